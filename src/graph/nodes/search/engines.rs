//! The other web search engines: `search.duckduckgo.*`, `search.bing.*` and
//! `search.international.*` (Baidu, Yahoo, Naver).

use serde_json::Value;

use super::answers::{head, image_ref, results_text, take_list};
use super::request::{Request, need, query_raw};
use super::specs::{QUERY_NUM, RESULTS_TEXT, RESULTS_TEXT_OUTPUT, engine, node};
use super::text::{format_results, listed, set};
use crate::graph::nodes::serp::{Args, Engine, Query, Shaped};
use crate::graph::nodes::spec::Family;
use crate::graph::value::Kind;

// ---- search.duckduckgo ----

fn duckduckgo_request(a: &Args) -> Result<Query, String> {
    need(!a.str("query").is_empty(), "Query is required")?;
    Request::new("duckduckgo").set("q", a.str("query")).sent()
}

fn duckduckgo_shape(_: &Args, mut answer: Value) -> Shaped {
    let results = take_list(&mut answer, "organic_results");
    let text = format_results(
        &results,
        &[("snippet", ""), ("displayed_link", ""), ("link", "")],
    );
    let mut out = results_text(results.clone(), text);
    out.push(("output", Value::Array(results)));
    out
}

static DUCKDUCKGO: Engine = engine(
    "duckduckgo",
    RESULTS_TEXT_OUTPUT,
    duckduckgo_request,
    duckduckgo_shape,
);

pub(crate) const DUCKDUCKGO_FAMILY: Family = Family {
    prefixes: &["search.duckduckgo."],
    nodes: &[("DuckDuckGoSearch", node(QUERY_NUM, &DUCKDUCKGO))],
};

// ---- search.bing ----

query_raw!(bing_search_request, "bing", "q", "count");
listed!(
    bing_search_shape,
    "organic_results",
    &[
        ("link", ""),
        ("displayed_link", "URL"),
        ("date", "Date"),
        ("snippet", ""),
    ]
);

query_raw!(bing_news_request, "bing_news", "q", "count");

fn bing_news_shape(_: &Args, mut answer: Value) -> Shaped {
    let mut results = take_list(&mut answer, "organic_results");
    if results.is_empty() {
        results = take_list(&mut answer, "news_results");
    }
    let text = format_results(
        &results,
        &[
            ("link", ""),
            ("source", "Source"),
            ("date", "Date"),
            ("snippet", ""),
        ],
    );
    results_text(results, text)
}

query_raw!(bing_images_request, "bing_images", "q", "count");

fn bing_images_shape(_: &Args, mut answer: Value) -> Shaped {
    let results = take_list(&mut answer, "images_results");
    let text = format_results(
        &results,
        &[("source", "Source"), ("original", ""), ("size", "Size")],
    );
    let images = results
        .iter()
        .filter_map(|img| set(img, "original").and_then(Value::as_str))
        .map(image_ref)
        .collect();
    let mut out = results_text(results, text);
    out.push(("images", Value::Array(images)));
    out
}

query_raw!(bing_shopping_request, "bing_shopping", "q", "count");
listed!(
    bing_shopping_shape,
    "shopping_results",
    &[
        ("price", "Price"),
        ("seller", "Seller"),
        ("source", "Source"),
        ("rating", "Rating"),
        ("reviews", "Reviews"),
        ("link", ""),
    ]
);

query_raw!(bing_videos_request, "bing_videos", "q", "count");
listed!(
    bing_videos_shape,
    "video_results",
    &[
        ("source", "Source"),
        ("channel", "Channel"),
        ("length", "Duration"),
        ("views", "Views"),
        ("date", "Date"),
        ("link", ""),
    ]
);

static BING_SEARCH: Engine = engine("bing", RESULTS_TEXT, bing_search_request, bing_search_shape);
static BING_NEWS: Engine = engine(
    "bing_news",
    RESULTS_TEXT,
    bing_news_request,
    bing_news_shape,
);
static BING_IMAGES: Engine = engine(
    "bing_images",
    &["results", "text", "images"],
    bing_images_request,
    bing_images_shape,
);
pub(super) static BING_SHOPPING: Engine = engine(
    "bing_shopping",
    RESULTS_TEXT,
    bing_shopping_request,
    bing_shopping_shape,
);
pub(super) static BING_VIDEOS: Engine = engine(
    "bing_videos",
    RESULTS_TEXT,
    bing_videos_request,
    bing_videos_shape,
);

pub(crate) const BING_FAMILY: Family = Family {
    prefixes: &["search.bing."],
    nodes: &[
        ("BingSearch", node(QUERY_NUM, &BING_SEARCH)),
        ("BingNews", node(QUERY_NUM, &BING_NEWS)),
        (
            "BingImages",
            node(
                &[
                    ("query", Kind::Str, "\"\""),
                    ("num_results", Kind::Int, "20"),
                ],
                &BING_IMAGES,
            ),
        ),
    ],
};

// ---- search.international ----

query_raw!(baidu_request, "baidu", "q", "rn");
listed!(
    baidu_shape,
    "organic_results",
    &[("link", ""), ("snippet", "")]
);

query_raw!(yahoo_request, "yahoo", "p");
listed!(
    yahoo_shape,
    "organic_results",
    &[("link", ""), ("displayed_link", "URL"), ("snippet", "")],
    cut
);

query_raw!(naver_request, "naver", "query", "num");

static BAIDU: Engine = engine("baidu", RESULTS_TEXT, baidu_request, baidu_shape);
static YAHOO: Engine = engine("yahoo", RESULTS_TEXT, yahoo_request, yahoo_shape);
// Naver's text is Baidu's: link and snippet.
static NAVER: Engine = engine("naver", RESULTS_TEXT, naver_request, baidu_shape);

pub(crate) const INTERNATIONAL_FAMILY: Family = Family {
    prefixes: &["search.international."],
    nodes: &[
        ("BaiduSearch", node(QUERY_NUM, &BAIDU)),
        ("YahooSearch", node(QUERY_NUM, &YAHOO)),
        ("NaverSearch", node(QUERY_NUM, &NAVER)),
    ],
};
