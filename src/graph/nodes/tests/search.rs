//! Cases for `search.*`: each node's declared properties and outputs, the SerpApi request it
//! makes (NodeTool's provider parameters, in its order), its errors, and how it shapes a canned
//! answer into NodeTool's outputs and text.

use std::cell::RefCell;

use futures_executor::block_on;
use serde_json::{Map, Value, json};

use crate::graph::effects::{Effects, Fetch, Fetched, Media, search::run as run_search};
use crate::graph::nodes::search::{accept, format_results, without_inline_images};
use crate::graph::nodes::{self, Behaviour, Effect, Spec, typed};
use crate::llm;

fn spec_of(ty: &str) -> Spec {
    nodes::spec(ty).unwrap_or_else(|| panic!("no search node {ty}"))
}

/// A SerpApi that answers one canned JSON and records what it was asked.
struct Canned {
    answer: Value,
    sent: RefCell<Vec<Vec<(String, String)>>>,
}

impl Effects for Canned {
    async fn llm(&self, _: &str, _: llm::Request) -> Result<llm::Reply, String> {
        Err("no model here".into())
    }
    async fn search(&self, params: &[(&str, String)]) -> Result<Value, String> {
        self.sent.borrow_mut().push(
            params
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        );
        Ok(self.answer.clone())
    }
    async fn save_asset(&self, _: &str, _: &str, _: Vec<u8>) -> Result<Value, String> {
        Err("no assets here".into())
    }
    async fn fetch(&self, _: Fetch) -> Result<Fetched, String> {
        Err("no network here".into())
    }
    async fn media(&self, _: &str, _: Media) -> Result<Vec<u8>, String> {
        Err("no media here".into())
    }
    async fn read_media(&self, _: &Value) -> Result<(Vec<u8>, String), String> {
        Err("no assets here".into())
    }
}

type Sent = Option<Vec<(String, String)>>;

/// Runs node `ty` with `props` over its defaults against `answer`: its outputs (or error) and
/// the request it made, if any.
fn call(ty: &str, props: Value, answer: Value) -> (Result<Map<String, Value>, String>, Sent) {
    let spec = spec_of(ty);
    let Behaviour::Effect(Effect::Search(engine)) = spec.behaviour else {
        panic!("{ty} is not a search node")
    };
    let mut values = Map::new();
    for (name, _, default) in spec.props {
        values.insert((*name).into(), serde_json::from_str(default).unwrap());
    }
    for (k, v) in props.as_object().unwrap() {
        values.insert(k.clone(), typed(&spec, k, v).unwrap());
    }
    let fx = Canned {
        answer,
        sent: RefCell::new(Vec::new()),
    };
    let out = block_on(run_search(engine, &values, &fx)).map(|o| o.into_iter().collect());
    let mut sent = fx.sent.into_inner();
    assert!(sent.len() <= 1, "{ty} made {} requests", sent.len());
    (out, sent.pop())
}

fn query(pairs: &[(&str, &str)]) -> Sent {
    Some(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// The node's outputs for `answer`, checking the request it made.
fn shaped(ty: &str, props: Value, want: &[(&str, &str)], answer: Value) -> Map<String, Value> {
    let (out, sent) = call(ty, props.clone(), answer);
    assert_eq!(sent, query(want), "{ty} {props}");
    out.unwrap_or_else(|e| panic!("{ty} {props}: {e}"))
}

/// The request the node makes for `props`.
fn sends(ty: &str, props: Value, want: &[(&str, &str)]) {
    shaped(ty, props, want, json!({}));
}

/// The node refuses `props` with `message`, before any request.
fn refuses(ty: &str, props: Value, message: &str) {
    let (out, sent) = call(ty, props.clone(), json!({}));
    assert_eq!(out, Err(message.to_string()), "{ty} {props}");
    assert_eq!(sent, None, "{ty} {props} sent a request");
}

fn text(out: &Map<String, Value>) -> &str {
    out["text"].as_str().unwrap()
}

fn image(uri: &str) -> Value {
    json!({"type": "image", "uri": uri, "asset_id": null, "data": null, "metadata": null})
}

const GL_HL: [(&str, &str); 2] = [("hl", "en"), ("gl", "us")];

/// `pairs` followed by the generic method's language and country.
fn raw(pairs: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    pairs.iter().copied().chain(GL_HL).collect()
}

// ---- the declared nodes ----

/// A node type, its properties with their defaults (as JSON text), and its outputs.
type Declared = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static [&'static str],
);

#[test]
fn every_node_declares_nodetool_properties_and_outputs() {
    const RT: &[&str] = &["results", "text"];
    const OUT: &[&str] = &["output"];
    let q_num = &[("query", "\"\""), ("num_results", "10")][..];
    let nodes: &[Declared] = &[
        (
            "search.google.GoogleSearch",
            &[("keyword", "\"\""), ("num_results", "10")],
            &["results", "text", "output"],
        ),
        (
            "search.google.GoogleNews",
            &[("keyword", "\"\""), ("num_results", "10")],
            RT,
        ),
        (
            "search.google.GoogleImages",
            &[
                ("keyword", "\"\""),
                ("image_url", "\"\""),
                ("num_results", "20"),
            ],
            OUT,
        ),
        (
            "search.google.GoogleFinance",
            &[("query", "\"\""), ("window", "\"\"")],
            OUT,
        ),
        (
            "search.google.GoogleJobs",
            &[
                ("query", "\"\""),
                ("location", "\"\""),
                ("num_results", "10"),
            ],
            RT,
        ),
        (
            "search.google.GoogleLens",
            &[("image_url", "\"\""), ("num_results", "10")],
            &["results", "images"],
        ),
        ("search.google.GoogleMaps", q_num, RT),
        (
            "search.google.GoogleShopping",
            &[
                ("query", "\"\""),
                ("country", "\"us\""),
                ("min_price", "0"),
                ("max_price", "0"),
                ("condition", "\"\""),
                ("sort_by", "\"\""),
                ("num_results", "10"),
            ],
            RT,
        ),
        (
            "search.duckduckgo.DuckDuckGoSearch",
            q_num,
            &["results", "text", "output"],
        ),
        (
            "search.amazon.AmazonSearch",
            &[
                ("query", "\"\""),
                ("amazon_domain", "\"amazon.com\""),
                ("num_results", "10"),
            ],
            RT,
        ),
        (
            "search.amazon.AmazonProduct",
            &[("product_id", "\"\""), ("amazon_domain", "\"amazon.com\"")],
            OUT,
        ),
        ("search.bing.BingSearch", q_num, RT),
        ("search.bing.BingNews", q_num, RT),
        (
            "search.bing.BingImages",
            &[("query", "\"\""), ("num_results", "20")],
            &["results", "text", "images"],
        ),
        (
            "search.ebay.EbaySearch",
            &[
                ("query", "\"\""),
                ("ebay_domain", "\"ebay.com\""),
                ("num_results", "10"),
                ("condition", "\"\""),
                ("min_price", "null"),
                ("max_price", "null"),
            ],
            RT,
        ),
        (
            "search.ebay.EbayProduct",
            &[("product_id", "\"\""), ("ebay_domain", "\"ebay.com\"")],
            OUT,
        ),
        ("search.extended.YouTubeVideo", &[("video_id", "\"\"")], OUT),
        ("search.extended.DuckDuckGoNews", q_num, RT),
        (
            "search.extended.YelpReviews",
            &[("place_id", "\"\""), ("num_results", "10")],
            RT,
        ),
        (
            "search.extended.GoogleScholarAuthor",
            &[("author_id", "\"\"")],
            OUT,
        ),
        (
            "search.google_extra.GoogleEvents",
            &[
                ("query", "\"\""),
                ("location", "\"\""),
                ("num_results", "10"),
            ],
            RT,
        ),
        (
            "search.google_extra.GoogleFlights",
            &[
                ("departure_id", "\"\""),
                ("arrival_id", "\"\""),
                ("outbound_date", "\"\""),
                ("return_date", "\"\""),
                ("trip_type", "1"),
                ("adults", "1"),
                ("travel_class", "1"),
                ("currency", "\"USD\""),
                ("stops", "0"),
                ("sort_by", "1"),
            ],
            RT,
        ),
        (
            "search.google_extra.GoogleHotels",
            &[
                ("query", "\"\""),
                ("check_in_date", "\"\""),
                ("check_out_date", "\"\""),
                ("adults", "2"),
                ("children", "0"),
                ("currency", "\"USD\""),
                ("sort_by", "0"),
                ("min_price", "0"),
                ("max_price", "0"),
                ("hotel_class", "0"),
            ],
            RT,
        ),
        (
            "search.google_extra.GooglePatents",
            &[
                ("query", "\"\""),
                ("num_results", "10"),
                ("sort", "\"\""),
                ("inventor", "\"\""),
                ("assignee", "\"\""),
                ("country", "\"\""),
                ("status", "\"\""),
                ("language", "\"\""),
                ("before_date", "\"\""),
                ("after_date", "\"\""),
            ],
            RT,
        ),
        (
            "search.google_extra.GoogleVideos",
            &[
                ("query", "\"\""),
                ("num_results", "10"),
                ("location", "\"\""),
            ],
            RT,
        ),
        (
            "search.google_extra.GoogleAutocomplete",
            &[("query", "\"\""), ("language", "\"\""), ("country", "\"\"")],
            RT,
        ),
        (
            "search.google_play.GooglePlaySearch",
            &[
                ("query", "\"\""),
                ("store", "\"apps\""),
                ("num_results", "10"),
            ],
            RT,
        ),
        (
            "search.google_trends_extra.GoogleTrendingNow",
            &[
                ("geo", "\"US\""),
                ("category", "\"all\""),
                ("frequency", "\"realtime\""),
                ("hours", "24"),
            ],
            RT,
        ),
        ("search.international.BaiduSearch", q_num, RT),
        ("search.international.YahooSearch", q_num, RT),
        ("search.international.NaverSearch", q_num, RT),
        (
            "search.more_engines.GoogleMapsReviews",
            &[
                ("data_id", "\"\""),
                ("sort_by", "\"qualityScore\""),
                ("num_results", "10"),
            ],
            RT,
        ),
        ("search.more_engines.BingShopping", q_num, RT),
        ("search.more_engines.BingVideos", q_num, RT),
        (
            "search.more_engines.YouTubeTranscript",
            &[("video_id", "\"\""), ("lang", "\"en\"")],
            &["text", "segments"],
        ),
        ("search.retail.HomeDepotSearch", q_num, RT),
        (
            "search.retail.HomeDepotProduct",
            &[("product_id", "\"\"")],
            OUT,
        ),
        (
            "search.retail.AppleAppStore",
            &[
                ("query", "\"\""),
                ("num_results", "10"),
                ("country", "\"us\""),
            ],
            RT,
        ),
        ("search.scholar.GoogleScholar", q_num, RT),
        (
            "search.trends.GoogleTrends",
            &[("query", "\"\""), ("date", "\"\""), ("geo", "\"\"")],
            OUT,
        ),
        (
            "search.walmart.WalmartSearch",
            &[
                ("query", "\"\""),
                ("num_results", "10"),
                ("sort_by", "\"best_match\""),
                ("min_price", "null"),
                ("max_price", "null"),
            ],
            RT,
        ),
        (
            "search.walmart.WalmartProduct",
            &[("product_id", "\"\"")],
            OUT,
        ),
        (
            "search.yelp.YelpSearch",
            &[
                ("query", "\"\""),
                ("location", "\"\""),
                ("num_results", "10"),
            ],
            RT,
        ),
        ("search.youtube.YouTubeSearch", q_num, RT),
    ];
    let declared = nodes::catalogue()
        .iter()
        .filter(|(prefix, _, _)| prefix.starts_with("search."))
        .count();
    assert_eq!(declared, nodes.len());
    assert_eq!(nodes.len(), 44);
    for (ty, props, outputs) in nodes {
        let spec = spec_of(ty);
        let got: Vec<(&str, &str)> = spec.props.iter().map(|(n, _, d)| (*n, *d)).collect();
        assert_eq!(got, *props, "{ty}");
        assert_eq!(spec.outputs, *outputs, "{ty}");
        assert!(spec.behaviour.usable_as_tool(), "{ty}");
        for (_, _, default) in spec.props {
            serde_json::from_str::<Value>(default).unwrap();
        }
    }
}

// ---- answers ----

#[test]
fn serpapi_errors_become_the_nodes_error() {
    assert_eq!(
        accept(json!({"error": "Invalid API key."})),
        Err("Invalid API key.".into())
    );
    assert_eq!(
        accept(json!({"error": {"code": 1}})),
        Err("{'code': 1}".into())
    );
    let e = accept(json!({"search_metadata": {"status": "Error"}})).unwrap_err();
    assert!(
        e.starts_with("SerpApi returned an error: {'search_metadata'"),
        "{e}"
    );
    let big = json!({"search_metadata": {"status": "Error"}, "x": "y".repeat(5000)});
    assert!(accept(big).unwrap_err().chars().count() < 1100);
    assert_eq!(accept(json!([1])), Ok(json!([1])));
    // Through a node: the error of the answer, after the request was made.
    let (out, sent) = call(
        "search.bing.BingSearch",
        json!({"query": "q"}),
        json!({"error": "Google hasn't returned any results for this query."}),
    );
    assert_eq!(
        out,
        Err("Google hasn't returned any results for this query.".into())
    );
    assert!(sent.is_some());
}

#[test]
fn inline_images_are_removed_at_any_depth() {
    let answer = json!({
        "image": "https://x", "keep": "data", "thumb": "data:image/png;base64,AAAA",
        "list": [{"image_alt": "a", "image_base64": "b", "image_url": "c", "title": "t"},
                 "data:image/png;base64,kept-in-lists", [{"image": 1, "n": 2}]],
        "deep": {"deeper": {"image": {"x": 1}, "thumbnail": "https://t"}},
    });
    assert_eq!(
        without_inline_images(answer),
        json!({
            "keep": "data",
            "list": [{"title": "t"}, "data:image/png;base64,kept-in-lists", [{"n": 2}]],
            "deep": {"deeper": {"thumbnail": "https://t"}},
        })
    );
    assert_eq!(accept(json!({"a": {"image": 1}})), Ok(json!({"a": {}})));
    // Deep nesting is walked without recursion (and unwound by hand here, since dropping a
    // value recurses).
    let mut deep = json!({"image": "x"});
    for _ in 0..10_000 {
        deep = Value::Array(vec![deep]);
    }
    let mut v = without_inline_images(deep);
    for _ in 0..10_000 {
        v = v.as_array_mut().unwrap().pop().unwrap();
    }
    assert_eq!(v, json!({}));
}

#[test]
fn results_are_worded_as_nodetool_does() {
    let results = vec![
        json!({"position": 1, "title": "Rust", "link": "https://rust-lang.org", "snippet": "A language"}),
        json!({"link": "https://x.test", "date": "2 days ago", "snippet": ""}),
        json!({"title": null, "position": "7", "date": 0, "snippet": [], "link": false}),
        json!("not an object"),
        json!({"title": "T", "date": {"when": "Fri"}, "snippet": ["a", 1]}),
    ];
    assert_eq!(
        format_results(&results, &[("link", ""), ("date", "Date"), ("snippet", "")]),
        "[1] Rust\n    https://rust-lang.org\n    A language\n\n\
         [2] Untitled\n    https://x.test\n    Date: 2 days ago\n\n\
         [7] None\n\n\
         [4] Untitled\n\n\
         [5] T\n    Date: {'when': 'Fri'}\n    ['a', 1]\n"
    );
    assert_eq!(format_results(&[], &[("link", "")]), "");
}

// ---- search.google ----

#[test]
fn google_search() {
    let ty = "search.google.GoogleSearch";
    refuses(ty, json!({"keyword": ""}), "Keyword is required");
    let out = shaped(
        ty,
        json!({"keyword": "rust", "num_results": 2}),
        &[
            ("engine", "google_light"),
            ("q", "rust"),
            ("num", "2"),
            ("gl", "us"),
            ("hl", "en"),
        ],
        json!({"search_metadata": {"status": "Success"}, "organic_results": [
            {"position": 1, "title": "Rust", "link": "https://rust-lang.org", "snippet": "A language",
             "thumbnail": "data:image/png;base64,AAAA"},
            {"link": "https://x.test", "date": "2 days ago", "snippet": ""},
            {"position": 3, "title": "Third"},
        ]}),
    );
    // NodeTool asks for `num` results and keeps what comes back.
    assert_eq!(out["results"].as_array().unwrap().len(), 3);
    assert_eq!(
        out["results"][0],
        json!({"position": 1, "title": "Rust", "link": "https://rust-lang.org", "snippet": "A language"})
    );
    assert_eq!(out["output"], out["results"]);
    assert_eq!(
        text(&out),
        "[1] Rust\n    https://rust-lang.org\n    A language\n\n\
         [2] Untitled\n    https://x.test\n    Date: 2 days ago\n\n[3] Third\n"
    );
    // A blank-looking keyword is still a keyword to NodeTool.
    sends(
        ty,
        json!({"keyword": " "}),
        &[
            ("engine", "google_light"),
            ("q", " "),
            ("num", "10"),
            ("gl", "us"),
            ("hl", "en"),
        ],
    );
}

#[test]
fn google_news() {
    let ty = "search.google.GoogleNews";
    refuses(ty, json!({}), "Keyword is required");
    let out = shaped(
        ty,
        json!({"keyword": "ai"}),
        &[
            ("engine", "google_news"),
            ("q", "ai"),
            ("num", "10"),
            ("gl", "us"),
            ("hl", "en"),
        ],
        json!({"news_results": [{"title": "AI news", "link": "https://n", "date": "today",
                                 "source": {"name": "X"}}]}),
    );
    assert_eq!(text(&out), "[1] AI news\n    https://n\n    Date: today\n");
    assert_eq!(out.len(), 2);
}

#[test]
fn google_images() {
    let ty = "search.google.GoogleImages";
    refuses(
        ty,
        json!({}),
        "One of 'keyword' or 'image_url' is required.",
    );
    let answer = json!({"images_results": [
        {"original": "https://a/1.jpg", "thumbnail": "https://t/1.jpg"},
        {"original": ""},
        {"thumbnail": "https://t/2.jpg"},
        {"original": "data:image/png;base64,AAAA"},
        {"original": 5},
    ]});
    let out = shaped(
        ty,
        json!({"keyword": "cats"}),
        &[
            ("engine", "google_images"),
            ("num", "20"),
            ("gl", "us"),
            ("hl", "en"),
            ("q", "cats"),
        ],
        answer,
    );
    assert_eq!(out["output"], json!([image("https://a/1.jpg")]));
    assert_eq!(out.len(), 1);
    // An image URL turns the search into a reverse image search, without the keyword.
    sends(
        ty,
        json!({"keyword": "cats", "image_url": "https://i/x.png", "num_results": 5}),
        &[
            ("engine", "google_reverse_image"),
            ("num", "5"),
            ("gl", "us"),
            ("hl", "en"),
            ("image_url", "https://i/x.png"),
        ],
    );
}

#[test]
fn google_finance() {
    let ty = "search.google.GoogleFinance";
    refuses(
        ty,
        json!({"window": "1M"}),
        "Query is required for Google Finance search.",
    );
    sends(
        ty,
        json!({"query": "GOOGL:NASDAQ"}),
        &[
            ("engine", "google_finance"),
            ("q", "GOOGL:NASDAQ"),
            ("gl", "us"),
            ("hl", "en"),
        ],
    );
    let out = shaped(
        ty,
        json!({"query": "GOOGL:NASDAQ", "window": "1M"}),
        &[
            ("engine", "google_finance"),
            ("q", "GOOGL:NASDAQ"),
            ("gl", "us"),
            ("hl", "en"),
            ("window", "1M"),
        ],
        json!({"summary": {"title": "Alphabet", "image": "https://logo"},
               "search_metadata": {"status": "Success"}}),
    );
    assert_eq!(
        out["output"],
        json!({"summary": {"title": "Alphabet"}, "search_metadata": {"status": "Success"}})
    );
}

#[test]
fn google_jobs() {
    let ty = "search.google.GoogleJobs";
    refuses(ty, json!({}), "Query is required for Google Jobs search.");
    let out = shaped(
        ty,
        json!({"query": "barista", "location": "New York, NY", "num_results": 3}),
        &[
            ("engine", "google_jobs"),
            ("q", "barista"),
            ("hl", "en"),
            ("gl", "us"),
            ("location", "New York, NY"),
        ],
        json!({"jobs_results": [{"title": "Barista", "company_name": "Cafe", "location": "NYC",
                                  "via": "LinkedIn", "extensions": ["Full-time", "Health"]}]}),
    );
    assert_eq!(
        text(&out),
        "[1] Barista\n    Company: Cafe\n    Location: NYC\n    Via: LinkedIn\n    \
         Details: ['Full-time', 'Health']\n"
    );
}

#[test]
fn google_lens() {
    let ty = "search.google.GoogleLens";
    refuses(
        ty,
        json!({}),
        "Image URL is required for Google Lens search.",
    );
    let out = shaped(
        ty,
        json!({"image_url": "https://i/x.jpg"}),
        &[
            ("engine", "google_lens"),
            ("url", "https://i/x.jpg"),
            ("hl", "en"),
        ],
        json!({"visual_matches": [
            {"title": "A", "image": "https://big", "thumbnail": "https://small"},
            {"title": "B"},
            {"title": "C", "thumbnail": "data:image/jpeg;base64,AAAA"},
        ]}),
    );
    // NodeTool drops `image` from answers, so the thumbnail is what it shows.
    assert_eq!(out["images"], json!([image("https://small")]));
    assert_eq!(
        out["results"],
        json!([{"title": "A", "thumbnail": "https://small"}, {"title": "B"}, {"title": "C"}])
    );
}

#[test]
fn google_maps() {
    let ty = "search.google.GoogleMaps";
    refuses(
        ty,
        json!({"keyword": "pizza"}),
        "Query is required for map search.",
    );
    let out = shaped(
        ty,
        json!({"query": "pizza"}),
        &[
            ("engine", "google_maps"),
            ("hl", "en"),
            ("gl", "us"),
            ("type", "search"),
            ("q", "pizza"),
        ],
        json!({"local_results": [
            {"position": 1, "title": "Joe's", "address": "1 Main St", "rating": 4.5,
             "reviews": 120, "price": "$$", "open_state": "Open now"},
            {"title": "Bob's", "rating": 0},
        ]}),
    );
    assert_eq!(
        text(&out),
        "[1] Joe's\n    1 Main St\n    Rating: 4.5 (120 reviews)\n    Price: $$\n    Open now\n\n\
         [2] Bob's\n    Rating: 0\n"
    );
}

#[test]
fn google_shopping() {
    let ty = "search.google.GoogleShopping";
    refuses(
        ty,
        json!({}),
        "Query is required for Google Shopping search.",
    );
    let base = [
        ("engine", "google_shopping"),
        ("q", "shoes"),
        ("hl", "en"),
        ("gl", "us"),
    ];
    sends(ty, json!({"query": "shoes", "country": ""}), &base);
    let mut all = base.to_vec();
    all.push((
        "tbs",
        "mr:1,price:1,ppr_min:50,ppr_max:100,p_cond:used,sort:p",
    ));
    sends(
        ty,
        json!({"query": "shoes", "min_price": 50, "max_price": 100, "condition": "Refurbished",
               "sort_by": "p"}),
        &all,
    );
    sends(
        ty,
        json!({"query": "shoes", "country": "de", "max_price": 80, "min_price": -5,
               "condition": "NEW"}),
        &[
            ("engine", "google_shopping"),
            ("q", "shoes"),
            ("hl", "en"),
            ("gl", "de"),
            ("tbs", "mr:1,price:1,ppr_max:80,p_cond:new"),
        ],
    );
    let out = shaped(
        ty,
        json!({"query": "shoes"}),
        &base,
        json!({"shopping_results": [
            {"title": "Shoe", "price": "$60", "old_price": "$80", "source": "Shop",
             "link": "https://s", "rating": 4.0},
            {"title": "Other", "price": "$5", "rating": null},
        ]}),
    );
    assert_eq!(
        text(&out),
        "[1] Shoe\n    Price: $60 (was $80)\n    Source: Shop\n    https://s\n    Rating: 4.0\n\n\
         [2] Other\n    Price: $5\n"
    );
}

// ---- search.duckduckgo ----

#[test]
fn duckduckgo_search() {
    let ty = "search.duckduckgo.DuckDuckGoSearch";
    refuses(ty, json!({}), "Query is required");
    let out = shaped(
        ty,
        json!({"query": "rust", "num_results": 1}),
        &[("engine", "duckduckgo"), ("q", "rust")],
        json!({"organic_results": [
            {"position": 1, "title": "Rust", "snippet": "s", "displayed_link": "rust-lang.org",
             "link": "https://rust-lang.org"},
            {"position": 2, "title": "More"},
        ]}),
    );
    assert_eq!(
        text(&out),
        "[1] Rust\n    s\n    rust-lang.org\n    https://rust-lang.org\n\n[2] More\n"
    );
    assert_eq!(out["output"], out["results"]);
}

// ---- search.amazon ----

#[test]
fn amazon_search() {
    let ty = "search.amazon.AmazonSearch";
    refuses(ty, json!({}), "Query is required");
    let out = shaped(
        ty,
        json!({"query": "kindle"}),
        &[
            ("engine", "amazon"),
            ("amazon_url", "https://www.amazon.com"),
            ("amazon_domain", "amazon.com"),
            ("q", "kindle"),
        ],
        json!({"organic_results": [{"position": 1, "title": "Kindle", "asin": "B0", "price": "$99",
                                     "rating": 4.7, "reviews": 1000, "link": "https://a"}]}),
    );
    assert_eq!(
        text(&out),
        "[1] Kindle\n    ASIN: B0\n    Price: $99\n    Rating: 4.7 (1000 reviews)\n    https://a\n"
    );
}

#[test]
fn amazon_product() {
    let ty = "search.amazon.AmazonProduct";
    refuses(ty, json!({}), "Product ID (ASIN) is required");
    let want = [
        ("engine", "amazon_product"),
        ("product_id", "B0"),
        ("amazon_domain", "amazon.de"),
    ];
    let props = json!({"product_id": "B0", "amazon_domain": "amazon.de"});
    let out = shaped(
        ty,
        props.clone(),
        &want,
        json!({"product_result": {"title": "K"}, "search_metadata": {}}),
    );
    assert_eq!(out["output"], json!({"title": "K"}));
    let out = shaped(ty, props, &want, json!({"title": "whole"}));
    assert_eq!(out["output"], json!({"title": "whole"}));
}

// ---- search.bing ----

#[test]
fn bing_search() {
    let ty = "search.bing.BingSearch";
    refuses(ty, json!({}), "Query is required");
    let out = shaped(
        ty,
        json!({"query": "rust", "num_results": 5}),
        &raw(&[("engine", "bing"), ("q", "rust"), ("count", "5")]),
        json!({"organic_results": [{"position": 1, "title": "R", "link": "https://r",
                                     "displayed_link": "r.org", "date": "d", "snippet": "s"}]}),
    );
    assert_eq!(
        text(&out),
        "[1] R\n    https://r\n    URL: r.org\n    Date: d\n    s\n"
    );
}

#[test]
fn bing_news() {
    let ty = "search.bing.BingNews";
    refuses(ty, json!({}), "Query is required");
    let want = raw(&[("engine", "bing_news"), ("q", "x"), ("count", "10")]);
    // Without organic results, the news results are the results.
    let out = shaped(
        ty,
        json!({"query": "x"}),
        &want,
        json!({"organic_results": [], "news_results": [
            {"title": "N", "link": "https://n", "source": "S", "date": "d", "snippet": "x"}]}),
    );
    assert_eq!(
        text(&out),
        "[1] N\n    https://n\n    Source: S\n    Date: d\n    x\n"
    );
    let out = shaped(
        ty,
        json!({"query": "x"}),
        &want,
        json!({"organic_results": [{"title": "O"}], "news_results": [{"title": "N"}]}),
    );
    assert_eq!(out["results"], json!([{"title": "O"}]));
}

#[test]
fn bing_images() {
    let ty = "search.bing.BingImages";
    refuses(ty, json!({}), "Query is required");
    let out = shaped(
        ty,
        json!({"query": "cats"}),
        &raw(&[("engine", "bing_images"), ("q", "cats"), ("count", "20")]),
        json!({"images_results": [
            {"title": "I", "source": "S", "original": "https://o.jpg", "size": "1 MB"},
            {"title": "J"},
        ]}),
    );
    assert_eq!(
        text(&out),
        "[1] I\n    Source: S\n    https://o.jpg\n    Size: 1 MB\n\n[2] J\n"
    );
    assert_eq!(out["images"], json!([image("https://o.jpg")]));
}

// ---- search.ebay ----

#[test]
fn ebay_search() {
    let ty = "search.ebay.EbaySearch";
    refuses(ty, json!({}), "Query is required");
    sends(
        ty,
        json!({"query": "camera", "condition": "4000"}),
        &raw(&[
            ("engine", "ebay"),
            ("_nkw", "camera"),
            ("ebay_domain", "ebay.com"),
            ("LH_ItemCondition", "4000"),
        ]),
    );
    let (out, sent) = call(
        ty,
        json!({"query": "camera", "min_price": "abc"}),
        json!({}),
    );
    assert_eq!(
        out,
        Err("property 'min_price' must be a number, got string".into())
    );
    assert_eq!(sent, None);
    let out = shaped(
        ty,
        json!({"query": "camera", "condition": "Used", "min_price": 10, "max_price": 99.5,
               "num_results": 1}),
        &raw(&[
            ("engine", "ebay"),
            ("_nkw", "camera"),
            ("ebay_domain", "ebay.com"),
            ("LH_ItemCondition", "3000"),
            ("_udlo", "10.0"),
            ("_udhi", "99.5"),
        ]),
        json!({"organic_results": [
            {"title": "Cam", "product_id": "123", "price": {"raw": "$50.00", "extracted": 50},
             "condition": "Used", "rating": 4.5, "shipping": "Free", "link": "https://e"},
            {"title": "Cut"},
        ]}),
    );
    assert_eq!(
        text(&out),
        "[1] Cam\n    ID: 123\n    Price: $50.00\n    Condition: Used\n    Rating: 4.5\n    \
         Shipping: Free\n    https://e\n"
    );
    // Python's slice: a negative count drops that many from the end.
    let (out, _) = call(
        ty,
        json!({"query": "c", "num_results": -1}),
        json!({"organic_results": [{"title": "A", "price": "$1"}, {"title": "B"}]}),
    );
    let out = out.unwrap();
    assert_eq!(out["results"], json!([{"title": "A", "price": "$1"}]));
    assert_eq!(text(&out), "[1] A\n    Price: $1\n");
}

#[test]
fn ebay_product() {
    let ty = "search.ebay.EbayProduct";
    refuses(ty, json!({}), "Product ID is required");
    let out = shaped(
        ty,
        json!({"product_id": "42"}),
        &raw(&[
            ("engine", "ebay_product"),
            ("product_id", "42"),
            ("ebay_domain", "ebay.com"),
        ]),
        json!({"product_results": {"title": "P"}}),
    );
    assert_eq!(out["output"], json!({"title": "P"}));
}

// ---- search.extended ----

#[test]
fn youtube_video() {
    let ty = "search.extended.YouTubeVideo";
    refuses(ty, json!({}), "Video ID is required");
    let out = shaped(
        ty,
        json!({"video_id": "abc"}),
        &raw(&[("engine", "youtube_video"), ("v", "abc")]),
        json!({"title": "T", "views": "1M", "live": false, "channel": {"name": "C"},
               "chapters": [], "related_videos": [{}, {}], "search_metadata": {"id": "x"},
               "description": null}),
    );
    assert_eq!(
        out["output"],
        json!({"title": "T", "views": "1M", "live": false, "description": null,
               "channel": {"name": "C"}, "related_video_count": 2})
    );
}

#[test]
fn duckduckgo_news() {
    let ty = "search.extended.DuckDuckGoNews";
    refuses(ty, json!({}), "Query is required");
    let out = shaped(
        ty,
        json!({"query": "x", "num_results": 1}),
        &raw(&[("engine", "duckduckgo_news"), ("q", "x")]),
        json!({"news_results": [
            {"title": "A", "source": "S", "date": "d", "snippet": "snip", "link": "https://l"},
            {"title": "B"},
        ]}),
    );
    assert_eq!(
        text(&out),
        "[1] A\n    Source: S\n    Date: d\n    snip\n    https://l\n"
    );
    assert_eq!(out["results"].as_array().unwrap().len(), 1);
}

#[test]
fn yelp_reviews() {
    let ty = "search.extended.YelpReviews";
    refuses(ty, json!({}), "Place ID is required");
    let long = "x".repeat(250);
    let out = shaped(
        ty,
        json!({"place_id": "P", "num_results": 2}),
        &raw(&[("engine", "yelp_reviews"), ("place_id", "P")]),
        json!({"reviews": [
            {"position": 1, "user": {"name": "Ann"}, "rating": 5, "date": "1/1/2024",
             "comment": {"text": long}, "tags": ["Useful 2", "Funny"],
             "owner_replies": [{"comment": "thanks"}]},
            {"user": "bob", "comment": "Plain", "rating": 3},
            {"user": {"name": "Cut"}},
        ]}),
    );
    assert_eq!(
        text(&out),
        format!(
            "[1] Review by Ann\n    Rating: 5/5\n    Date: 1/1/2024\n    {}...\n    \
             Tags: Useful 2, Funny\n    Owner replied: Yes\n\n\
             [2] Review by Anonymous\n    Rating: 3/5\n    Plain\n",
            "x".repeat(197)
        )
    );
}

#[test]
fn google_scholar_author() {
    let ty = "search.extended.GoogleScholarAuthor";
    refuses(ty, json!({}), "Author ID is required");
    let out = shaped(
        ty,
        json!({"author_id": "A1"}),
        &raw(&[("engine", "google_scholar_author"), ("author_id", "A1")]),
        json!({"author": {"name": "N", "thumbnail": "https://t"}, "articles": [{"title": "P"}],
               "cited_by": {}, "co_authors": [{"name": "M"}], "search_metadata": {}}),
    );
    assert_eq!(
        out["output"],
        json!({"author": {"name": "N", "thumbnail": "https://t"}, "articles": [{"title": "P"}],
               "co_authors": [{"name": "M"}]})
    );
}

// ---- search.google_extra ----

#[test]
fn google_events() {
    let ty = "search.google_extra.GoogleEvents";
    refuses(ty, json!({"location": "Austin"}), "Query is required");
    let out = shaped(
        ty,
        json!({"query": "concerts", "location": "Austin"}),
        &raw(&[
            ("engine", "google_events"),
            ("q", "concerts"),
            ("location", "Austin"),
        ]),
        json!({"events_results": [{"title": "Gig", "date": {"start_date": "Jan 1", "when": "Fri"},
                                    "address": ["Venue", "Austin, TX"], "link": "https://g",
                                    "description": "d", "venue": {"name": "V"}}]}),
    );
    assert_eq!(
        text(&out),
        "[1] Gig\n    Date: {'start_date': 'Jan 1', 'when': 'Fri'}\n    \
         Address: ['Venue', 'Austin, TX']\n    https://g\n    d\n    Venue: {'name': 'V'}\n"
    );
}

#[test]
fn google_flights() {
    let ty = "search.google_extra.GoogleFlights";
    refuses(
        ty,
        json!({"departure_id": "JFK"}),
        "Both departure_id and arrival_id are required",
    );
    refuses(
        ty,
        json!({"departure_id": "JFK", "arrival_id": "LHR"}),
        "Outbound date is required",
    );
    refuses(
        ty,
        json!({"departure_id": "JFK", "arrival_id": "LHR", "outbound_date": "2025-01-01"}),
        "Return date is required for round trip flights",
    );
    sends(
        ty,
        json!({"departure_id": "JFK", "arrival_id": "LHR", "outbound_date": "2025-01-01",
               "return_date": "2025-01-08"}),
        &raw(&[
            ("engine", "google_flights"),
            ("departure_id", "JFK"),
            ("arrival_id", "LHR"),
            ("outbound_date", "2025-01-01"),
            ("type", "1"),
            ("adults", "1"),
            ("travel_class", "1"),
            ("currency", "USD"),
            ("return_date", "2025-01-08"),
        ]),
    );
    let want = raw(&[
        ("engine", "google_flights"),
        ("departure_id", "JFK"),
        ("arrival_id", "LHR"),
        ("outbound_date", "2025-01-01"),
        ("type", "2"),
        ("adults", "2"),
        ("travel_class", "3"),
        ("currency", "EUR"),
        ("stops", "1"),
        ("sort_by", "2"),
    ]);
    let props = json!({"departure_id": "JFK", "arrival_id": "LHR", "outbound_date": "2025-01-01",
                       "trip_type": 2, "adults": 2, "travel_class": 3, "currency": "EUR",
                       "stops": 1, "sort_by": 2});
    let out = shaped(
        ty,
        props.clone(),
        &want,
        json!({
            "best_flights": [{
                "price": 450, "total_duration": 425, "type": "Round trip",
                "carbon_emissions": {"this_flight": 350000},
                "flights": [{
                    "departure_airport": {"name": "JFK Intl", "id": "JFK", "time": "2025-01-01 18:00"},
                    "arrival_airport": {"name": "Heathrow", "id": "LHR", "time": "2025-01-02 06:05"},
                    "airline": "BA", "flight_number": "BA 117", "duration": 425,
                    "travel_class": "Economy", "airline_logo": "https://logo"}],
                "layovers": [{"name": "Dublin", "id": "DUB", "duration": 90}],
            }],
            "other_flights": [{"price": 300, "total_duration": 90.5,
                               "flights": [{"departure_airport": {"id": "JFK"}, "arrival_airport": {},
                                            "airline": "AA"}]}],
            "price_insights": {"lowest_price": 300, "typical_price_range": [350, 600]},
        }),
    );
    assert_eq!(
        text(&out),
        "=== Best Flights ===\n--- Option 1 ---\n  Price: 450\n  Total Duration: 7h 5m\n  \
         Type: Round trip\n  CO2 Emissions: 350000g\n  \
         Leg 1: JFK Intl (JFK) 2025-01-01 18:00 -> Heathrow (LHR) 2025-01-02 06:05\n    \
         Airline: BA BA 117\n    Duration: 425 min\n    Class: Economy\n  \
         Layover: Dublin (DUB) - 90 min\n\n\
         === Other Flights ===\n--- Option 1 ---\n  Price: 300\n  Total Duration: 1.0h 30.5m\n  \
         Leg 1: ? (JFK) ? -> ? (?) ?\n    Airline: AA \n\n\
         Lowest Price: 300\nTypical Range: [350, 600]"
    );
    let prices: Vec<&Value> = out["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["price"])
        .collect();
    assert_eq!(prices, [&json!(450), &json!(300)]);
    let out = shaped(ty, props, &want, json!({"best_flights": []}));
    assert_eq!(text(&out), "No flights found.");
    assert_eq!(out["results"], json!([]));
}

#[test]
fn google_hotels() {
    let ty = "search.google_extra.GoogleHotels";
    refuses(
        ty,
        json!({"check_in_date": "2025-01-01"}),
        "Query is required",
    );
    refuses(
        ty,
        json!({"query": "Paris", "check_in_date": "2025-01-01"}),
        "Both check_in_date and check_out_date are required",
    );
    let want = raw(&[
        ("engine", "google_hotels"),
        ("q", "Paris"),
        ("check_in_date", "2025-01-01"),
        ("check_out_date", "2025-01-03"),
        ("adults", "2"),
        ("currency", "USD"),
        ("children", "1"),
        ("sort_by", "3"),
        ("min_price", "50"),
    ]);
    let props = json!({"query": "Paris", "check_in_date": "2025-01-01",
                       "check_out_date": "2025-01-03", "children": 1, "sort_by": 3,
                       "min_price": 50, "hotel_class": 1});
    let out = shaped(
        ty,
        props.clone(),
        &want,
        json!({"properties": [
            {"name": "H", "type": "hotel", "extracted_hotel_class": 4, "overall_rating": 4.2,
             "reviews": 900, "rate_per_night": {"lowest": "$120"}, "total_rate": {"lowest": "$360"},
             "description": "d".repeat(250), "check_in_time": "3:00 PM"},
            {"type": ""},
        ]}),
    );
    assert_eq!(
        text(&out),
        format!(
            "[1] H\n    Type: hotel\n    Class: 4-star\n    Rating: 4.2 (900 reviews)\n    \
             Price: $120/night\n    Total: $360\n    {}\n    \
             Check-in: 3:00 PM / Check-out: N/A\n\n[2] Untitled\n",
            "d".repeat(200)
        )
    );
    let out = shaped(ty, props, &want, json!({}));
    assert_eq!(text(&out), "No hotels found.");
    sends(
        ty,
        json!({"query": "Rome", "check_in_date": "a", "check_out_date": "b", "hotel_class": 3,
               "max_price": 200}),
        &raw(&[
            ("engine", "google_hotels"),
            ("q", "Rome"),
            ("check_in_date", "a"),
            ("check_out_date", "b"),
            ("adults", "2"),
            ("currency", "USD"),
            ("max_price", "200"),
            ("hotel_class", "3"),
        ]),
    );
}

#[test]
fn google_patents() {
    let ty = "search.google_extra.GooglePatents";
    refuses(ty, json!({}), "Query is required");
    let want = raw(&[
        ("engine", "google_patents"),
        ("q", "battery"),
        ("num", "10"),
        ("sort", "new"),
        ("inventor", "Ann"),
        ("status", "GRANT"),
        ("before", "publication:20230101"),
    ]);
    let props = json!({"query": "battery", "sort": "new", "inventor": "Ann", "status": "GRANT",
                       "before_date": "publication:20230101"});
    let out = shaped(
        ty,
        props.clone(),
        &want,
        json!({"organic_results": [{
            "position": 1, "title": "Cell", "patent_id": "patent/US1/en", "assignee": "Acme",
            "inventor": "Ann", "filing_date": "2020-01-01", "grant_date": "",
            "priority_date": "2019-01-01", "snippet": "s".repeat(300), "patent_link": "https://p"}]}),
    );
    assert_eq!(
        text(&out),
        format!(
            "[1] Cell\n    Patent ID: patent/US1/en\n    Assignee: Acme\n    Inventor: Ann\n    \
             Filing Date: 2020-01-01\n    Priority Date: 2019-01-01\n    {}\n    https://p\n",
            "s".repeat(200)
        )
    );
    let out = shaped(ty, props, &want, json!({"organic_results": []}));
    assert_eq!(text(&out), "No patents found.");
}

#[test]
fn google_videos() {
    let ty = "search.google_extra.GoogleVideos";
    refuses(ty, json!({}), "Query is required");
    let out = shaped(
        ty,
        json!({"query": "v", "location": "Berlin"}),
        &raw(&[
            ("engine", "google_videos"),
            ("q", "v"),
            ("location", "Berlin"),
        ]),
        json!({"video_results": [{"title": "V", "link": "https://v", "displayed_link": "YouTube",
                                   "duration": "3:01", "date": "d", "snippet": "s"}]}),
    );
    assert_eq!(
        text(&out),
        "[1] V\n    https://v\n    Source: YouTube\n    Duration: 3:01\n    Date: d\n    s\n"
    );
}

#[test]
fn google_autocomplete() {
    let ty = "search.google_extra.GoogleAutocomplete";
    refuses(ty, json!({}), "Query is required");
    sends(
        ty,
        json!({"query": "cof", "country": "fr"}),
        &[
            ("engine", "google_autocomplete"),
            ("q", "cof"),
            ("gl", "fr"),
            ("hl", "en"),
        ],
    );
    let want = [
        ("engine", "google_autocomplete"),
        ("q", "cof"),
        ("hl", "de"),
        ("gl", "us"),
    ];
    let out = shaped(
        ty,
        json!({"query": "cof", "language": "de"}),
        &want,
        json!({"suggestions": [{"value": "coffee", "relevance": 1250}, {"value": "coffee near me"}]}),
    );
    assert_eq!(
        text(&out),
        "[1] coffee (relevance: 1250)\n[2] coffee near me"
    );
    let out = shaped(
        ty,
        json!({"query": "cof", "language": "de"}),
        &want,
        json!({}),
    );
    assert_eq!(text(&out), "No suggestions found.");
}

// ---- search.google_play ----

#[test]
fn google_play_search() {
    let ty = "search.google_play.GooglePlaySearch";
    refuses(ty, json!({}), "Query is required");
    let out = shaped(
        ty,
        json!({"query": "chess", "num_results": 2}),
        &raw(&[("engine", "google_play"), ("q", "chess"), ("store", "apps")]),
        json!({"organic_results": [
            {"title": "Section", "items": [
                {"title": "Chess", "product_id": "com.chess", "rating": 4.6, "author": "Chess.com",
                 "category": "Board", "downloads": "50M+", "price": "", "extracted_price": 0,
                 "description": "x".repeat(160), "link": "https://p"},
                {"title": "B", "price": "$1.99"},
            ]},
            {"items": [{"title": "C"}]},
        ]}),
    );
    assert_eq!(
        text(&out),
        format!(
            "[1] Chess\n    ID: com.chess\n    Rating: 4.6\n    Developer: Chess.com\n    \
             Category: Board\n    Downloads: 50M+\n    Price: 0\n    {}...\n    https://p\n\n\
             [2] B\n    Price: $1.99\n",
            "x".repeat(147)
        )
    );
    assert_eq!(out["results"].as_array().unwrap().len(), 2);
}

// ---- search.google_trends_extra ----

#[test]
fn google_trending_now() {
    let ty = "search.google_trends_extra.GoogleTrendingNow";
    refuses(
        ty,
        json!({"frequency": "weekly"}),
        "Error converting value for property `frequency`: 'weekly' is not a valid TrendingFrequency",
    );
    sends(
        ty,
        json!({"category": "17", "frequency": "daily", "hours": 4}),
        &raw(&[
            ("engine", "google_trends_trending_now"),
            ("geo", "US"),
            ("hours", "4"),
            ("category_id", "17"),
        ]),
    );
    let out = shaped(
        ty,
        json!({}),
        &raw(&[
            ("engine", "google_trends_trending_now"),
            ("geo", "US"),
            ("hours", "24"),
        ]),
        json!({"trending_searches": [], "realtime_searches": [
            {"query": "eclipse", "search_volume": 1234567, "increase_percentage": 1000,
             "active": true, "categories": [{"id": 1, "name": "Science"}, {"id": 2}],
             "trend_breakdown": ["a", "b", "c", "d", "e", "f"]},
            {"title": "T", "active": false, "search_volume": 999.5},
        ]}),
    );
    assert_eq!(
        text(&out),
        "[1] eclipse\n    Traffic: 1,234,567+ searches\n    Increase: 1000%\n    Active: Yes\n    \
         Categories: Science\n    Related: a, b, c, d, e\n\n\
         [2] T\n    Traffic: 999.5+ searches\n    Active: No\n"
    );
}

// ---- search.international ----

#[test]
fn baidu_search() {
    let ty = "search.international.BaiduSearch";
    refuses(ty, json!({}), "Query is required");
    let out = shaped(
        ty,
        json!({"query": "x", "num_results": 5}),
        &raw(&[("engine", "baidu"), ("q", "x"), ("rn", "5")]),
        json!({"organic_results": [{"title": "B", "link": "https://b", "snippet": "s"}]}),
    );
    assert_eq!(text(&out), "[1] B\n    https://b\n    s\n");
}

#[test]
fn yahoo_search() {
    let ty = "search.international.YahooSearch";
    refuses(ty, json!({}), "Query is required");
    let out = shaped(
        ty,
        json!({"query": "x", "num_results": 1}),
        &raw(&[("engine", "yahoo"), ("p", "x")]),
        json!({"organic_results": [
            {"title": "Y", "link": "https://y", "displayed_link": "y.com", "snippet": "s"},
            {"title": "Z"},
        ]}),
    );
    assert_eq!(text(&out), "[1] Y\n    https://y\n    URL: y.com\n    s\n");
}

#[test]
fn naver_search() {
    let ty = "search.international.NaverSearch";
    refuses(ty, json!({}), "Query is required");
    let out = shaped(
        ty,
        json!({"query": "x"}),
        &raw(&[("engine", "naver"), ("query", "x"), ("num", "10")]),
        json!({"organic_results": [{"title": "N", "link": "https://n", "snippet": "s"}]}),
    );
    assert_eq!(text(&out), "[1] N\n    https://n\n    s\n");
}

// ---- search.more_engines ----

#[test]
fn google_maps_reviews() {
    let ty = "search.more_engines.GoogleMapsReviews";
    refuses(
        ty,
        json!({}),
        "data_id is required. Use a Google Maps search to find the place data_id.",
    );
    refuses(
        ty,
        json!({"data_id": "0x1", "sort_by": "best"}),
        "Error converting value for property `sort_by`: 'best' is not a valid ReviewSortOrder",
    );
    let out = shaped(
        ty,
        json!({"data_id": "0x1", "sort_by": "newestFirst", "num_results": 5}),
        &raw(&[
            ("engine", "google_maps_reviews"),
            ("data_id", "0x1"),
            ("sort_by", "newestFirst"),
            ("num", "5"),
        ]),
        json!({"place_info": {"title": "Cafe", "rating": 4.5, "reviews": 200},
        "reviews": [
            {"user": {"name": "Ann"}, "rating": 5, "iso_date": "2024-01-01",
             "snippet": "Great", "source": "Google"},
            {"date": "", "rating": null},
        ]}),
    );
    assert_eq!(
        text(&out),
        "Place: Cafe | Rating: 4.5 | Total reviews: 200\n\n\
         [1] Ann - 5/5\n    Date: 2024-01-01\n    Great\n    Source: Google\n\n\
         [2] Anonymous - None/5\n"
    );
    let (out, _) = call(
        ty,
        json!({"data_id": "0x1"}),
        json!({"place_info": {"rating": 4}, "reviews": [{"rating": 4, "date": "d"}]}),
    );
    assert_eq!(text(&out.unwrap()), "[1] Anonymous - 4/5\n    Date: d\n");
}

#[test]
fn bing_shopping() {
    let ty = "search.more_engines.BingShopping";
    refuses(ty, json!({}), "Query is required");
    let out = shaped(
        ty,
        json!({"query": "mug"}),
        &raw(&[("engine", "bing_shopping"), ("q", "mug"), ("count", "10")]),
        json!({"shopping_results": [{"title": "S", "price": "$5", "seller": "Shop", "rating": 0,
                                      "reviews": 12, "link": "https://s"}]}),
    );
    assert_eq!(
        text(&out),
        "[1] S\n    Price: $5\n    Seller: Shop\n    Reviews: 12\n    https://s\n"
    );
}

#[test]
fn bing_videos() {
    let ty = "search.more_engines.BingVideos";
    refuses(ty, json!({}), "Query is required");
    let out = shaped(
        ty,
        json!({"query": "v", "num_results": 3}),
        &raw(&[("engine", "bing_videos"), ("q", "v"), ("count", "3")]),
        json!({"video_results": [{"title": "V", "source": "YouTube", "channel": "C",
                                   "length": "3:00", "views": "1K", "date": "d",
                                   "link": "https://v"}]}),
    );
    assert_eq!(
        text(&out),
        "[1] V\n    Source: YouTube\n    Channel: C\n    Duration: 3:00\n    Views: 1K\n    \
         Date: d\n    https://v\n"
    );
}

#[test]
fn youtube_transcript() {
    let ty = "search.more_engines.YouTubeTranscript";
    refuses(ty, json!({}), "video_id is required");
    let out = shaped(
        ty,
        json!({"video_id": "abc"}),
        &raw(&[
            ("engine", "youtube_video_transcript"),
            ("v", "abc"),
            ("language_code", "en"),
        ]),
        json!({"transcript": [{"snippet": " Hello ", "start_ms": 0}, {"snippet": ""},
                              {"snippet": "world\n"}]}),
    );
    assert_eq!(out["text"], json!("Hello world"));
    assert_eq!(out["segments"].as_array().unwrap().len(), 3);
    assert_eq!(out.len(), 2);
}

// ---- search.retail ----

#[test]
fn home_depot_search() {
    let ty = "search.retail.HomeDepotSearch";
    refuses(ty, json!({}), "Query is required");
    let out = shaped(
        ty,
        json!({"query": "drill", "num_results": 100}),
        &raw(&[("engine", "home_depot"), ("q", "drill"), ("ps", "48")]),
        json!({"products": [{"title": "Drill", "brand": "DeWalt", "price": 99.0, "rating": 4.8,
                             "model_number": "DCD", "link": "https://h"}]}),
    );
    assert_eq!(
        text(&out),
        "[1] Drill\n    Brand: DeWalt\n    Price: 99.0\n    Rating: 4.8\n    Model: DCD\n    \
         https://h\n"
    );
    let (out, _) = call(
        ty,
        json!({"query": "drill", "num_results": 1}),
        json!({"products": [{"title": "A"}, {"title": "B"}]}),
    );
    assert_eq!(text(&out.unwrap()), "[1] A\n");
}

#[test]
fn home_depot_product() {
    let ty = "search.retail.HomeDepotProduct";
    refuses(ty, json!({}), "Product ID is required");
    let out = shaped(
        ty,
        json!({"product_id": "314"}),
        &raw(&[("engine", "home_depot_product"), ("product_id", "314")]),
        json!({"product_result": {"title": "Drill"}}),
    );
    assert_eq!(out["output"], json!({"title": "Drill"}));
}

#[test]
fn apple_app_store() {
    let ty = "search.retail.AppleAppStore";
    refuses(ty, json!({}), "Query is required");
    let out = shaped(
        ty,
        json!({"query": "notes", "num_results": 500, "country": "gb"}),
        &raw(&[
            ("engine", "apple_app_store"),
            ("term", "notes"),
            ("country", "gb"),
            ("num", "200"),
        ]),
        json!({"organic_results": [{"position": 1, "title": "Notes",
                                     "developer": {"name": "Apple"}, "price": {"type": "Free"},
                                     "rating": [{"type": "All Times", "rating": 4.7}],
                                     "description": "d", "link": "https://apps"}]}),
    );
    assert_eq!(
        text(&out),
        "[1] Notes\n    Developer: {'name': 'Apple'}\n    Price: {'type': 'Free'}\n    \
         Rating: [{'rating': 4.7, 'type': 'All Times'}]\n    Description: d\n    https://apps\n"
    );
}

// ---- search.scholar ----

#[test]
fn google_scholar() {
    let ty = "search.scholar.GoogleScholar";
    refuses(ty, json!({}), "Query is required");
    let out = shaped(
        ty,
        json!({"query": "transformers", "num_results": 5}),
        &[
            ("engine", "google_scholar"),
            ("q", "transformers"),
            ("num", "5"),
            ("hl", "en"),
        ],
        json!({"organic_results": [
            {"title": "Paper", "publication_info": {"summary": "A Author - Journal, 2020"},
             "snippet": "s", "inline_links": {"cited_by": {"total": 42}}, "link": "https://p"},
            {"title": "P2", "publication_info": "plain", "inline_links": null},
        ]}),
    );
    assert_eq!(
        text(&out),
        "[1] Paper\n    A Author - Journal, 2020\n    s\n    Cited by: 42\n    https://p\n\n\
         [2] P2\n    plain\n"
    );
}

// ---- search.trends ----

#[test]
fn google_trends() {
    let ty = "search.trends.GoogleTrends";
    refuses(ty, json!({"geo": "US"}), "Query is required");
    sends(
        ty,
        json!({"query": "rust"}),
        &[("engine", "google_trends"), ("q", "rust")],
    );
    let answer = json!({"interest_over_time": {"timeline_data": [{"date": "Jan"}]}});
    let out = shaped(
        ty,
        json!({"query": "rust", "date": "today 12-m", "geo": "US"}),
        &[
            ("engine", "google_trends"),
            ("q", "rust"),
            ("date", "today 12-m"),
            ("geo", "US"),
        ],
        answer.clone(),
    );
    assert_eq!(out["output"], answer);
}

// ---- search.walmart ----

#[test]
fn walmart_search() {
    let ty = "search.walmart.WalmartSearch";
    refuses(ty, json!({}), "Query is required");
    sends(
        ty,
        json!({"query": "tv"}),
        &raw(&[("engine", "walmart"), ("query", "tv")]),
    );
    let out = shaped(
        ty,
        json!({"query": "tv", "sort_by": "price_low", "min_price": 100, "num_results": 1}),
        &raw(&[
            ("engine", "walmart"),
            ("query", "tv"),
            ("sort", "price_low"),
            ("min_price", "100.0"),
        ]),
        json!({"organic_results": [
            {"title": "TV", "us_item_id": "1", "primary_offer": {"offer_price": 299.0},
             "rating": 4.5, "reviews": 10, "seller_name": "Walmart.com",
             "product_page_url": "https://w"},
            {"title": "Cut"},
        ]}),
    );
    assert_eq!(
        text(&out),
        "[1] TV\n    ID: 1\n    Price: $299.0\n    Rating: 4.5 (10 reviews)\n    \
         Seller: Walmart.com\n    https://w\n"
    );
}

#[test]
fn walmart_product() {
    let ty = "search.walmart.WalmartProduct";
    refuses(ty, json!({}), "Product ID is required");
    let out = shaped(
        ty,
        json!({"product_id": "55"}),
        &raw(&[("engine", "walmart_product"), ("product_id", "55")]),
        json!({"product_result": {"title": "TV"}, "reviews_results": {}}),
    );
    assert_eq!(out["output"], json!({"title": "TV"}));
}

// ---- search.yelp ----

#[test]
fn yelp_search() {
    let ty = "search.yelp.YelpSearch";
    refuses(ty, json!({"location": "SF"}), "Query is required");
    refuses(
        ty,
        json!({"query": "tacos"}),
        "Location is required for Yelp search",
    );
    let out = shaped(
        ty,
        json!({"query": "tacos", "location": "San Francisco, CA"}),
        &[
            ("engine", "yelp"),
            ("find_desc", "tacos"),
            ("find_loc", "San Francisco, CA"),
        ],
        json!({"organic_results": [{"position": 1, "title": "Taco", "rating": 4.5, "reviews": 300,
                                     "price": "$$", "address": "1 St",
                                     "categories": [{"title": "Mexican"}], "link": "https://y"}]}),
    );
    assert_eq!(
        text(&out),
        "[1] Taco\n    Rating: 4.5 (300 reviews)\n    Price: $$\n    Address: 1 St\n    \
         Categories: {'title': 'Mexican'}\n    https://y\n"
    );
}

// ---- search.youtube ----

#[test]
fn youtube_search() {
    let ty = "search.youtube.YouTubeSearch";
    refuses(ty, json!({}), "Query is required");
    let out = shaped(
        ty,
        json!({"query": "rust"}),
        &[
            ("engine", "youtube"),
            ("search_query", "rust"),
            ("gl", "us"),
            ("hl", "en"),
        ],
        json!({"video_results": [
            {"position_on_page": 1, "title": "V", "channel": {"name": "C"}, "views": 1234567,
             "published_date": "1 day ago", "length": "10:00", "link": "https://yt"},
            {"title": "W", "channel": "Plain", "views": 12},
        ]}),
    );
    assert_eq!(
        text(&out),
        "[1] V\n    Channel: C\n    Views: 1,234,567\n    Published: 1 day ago\n    \
         Duration: 10:00\n    https://yt\n\n[2] W\n    Channel: Plain\n    Views: 12\n"
    );
}
