//! `search.google.*`: Google Search, News, Images, Finance, Jobs, Lens, Maps and Shopping.

use serde_json::Value;

use super::answers::{image_ref, results_text, take_list, whole};
use super::request::{Request, need};
use super::specs::{OUTPUT, QUERY_NUM, RESULTS_TEXT, RESULTS_TEXT_OUTPUT, engine, node};
use super::text::{format_results, heading, known, listed, rating_line, set};
use crate::graph::nodes::serp::{Args, Engine, Query, Shaped};
use crate::graph::nodes::spec::{Family, Prop};
use crate::graph::value::{Kind, py_str};

const KEYWORD_NUM: &[Prop] = &[
    ("keyword", Kind::Str, "\"\""),
    ("num_results", Kind::Int, "10"),
];

fn google_search_request(a: &Args) -> Result<Query, String> {
    need(!a.str("keyword").is_empty(), "Keyword is required")?;
    Request::new("google_light")
        .set("q", a.str("keyword"))
        .set("num", a.int("num_results").to_string())
        .set("gl", "us")
        .set("hl", "en")
        .sent()
}

fn google_search_shape(_: &Args, mut answer: Value) -> Shaped {
    let results = take_list(&mut answer, "organic_results");
    let text = format_results(&results, &[("link", ""), ("date", "Date"), ("snippet", "")]);
    let mut out = results_text(results.clone(), text);
    out.push(("output", Value::Array(results)));
    out
}

fn google_news_request(a: &Args) -> Result<Query, String> {
    need(!a.str("keyword").is_empty(), "Keyword is required")?;
    Request::new("google_news")
        .set("q", a.str("keyword"))
        .set("num", a.int("num_results").to_string())
        .set("gl", "us")
        .set("hl", "en")
        .sent()
}

listed!(
    google_news_shape,
    "news_results",
    &[("link", ""), ("date", "Date")]
);

fn google_images_request(a: &Args) -> Result<Query, String> {
    let (keyword, image_url) = (a.str("keyword"), a.str("image_url"));
    need(
        !keyword.is_empty() || !image_url.is_empty(),
        "One of 'keyword' or 'image_url' is required.",
    )?;
    let r = Request::new("google_images")
        .set("num", a.int("num_results").to_string())
        .set("gl", "us")
        .set("hl", "en")
        .set_if(!keyword.is_empty(), "q", keyword);
    if image_url.is_empty() {
        return r.sent();
    }
    r.set("engine", "google_reverse_image")
        .set("image_url", image_url)
        .remove("q")
        .sent()
}

fn google_images_shape(_: &Args, mut answer: Value) -> Shaped {
    let images = take_list(&mut answer, "images_results")
        .iter()
        .filter_map(|img| set(img, "original").and_then(Value::as_str))
        .map(image_ref)
        .collect();
    vec![("output", Value::Array(images))]
}

fn google_finance_request(a: &Args) -> Result<Query, String> {
    need(
        !a.str("query").is_empty(),
        "Query is required for Google Finance search.",
    )?;
    Request::new("google_finance")
        .set("q", a.str("query"))
        .set("gl", "us")
        .set("hl", "en")
        .text("window", a, "window")
        .sent()
}

fn google_jobs_request(a: &Args) -> Result<Query, String> {
    need(
        !a.str("query").is_empty(),
        "Query is required for Google Jobs search.",
    )?;
    Request::new("google_jobs")
        .set("q", a.str("query"))
        .set("hl", "en")
        .set("gl", "us")
        .text("location", a, "location")
        .sent()
}

listed!(
    google_jobs_shape,
    "jobs_results",
    &[
        ("company_name", "Company"),
        ("location", "Location"),
        ("via", "Via"),
        ("extensions", "Details"),
    ]
);

fn google_lens_request(a: &Args) -> Result<Query, String> {
    need(
        !a.str("image_url").is_empty(),
        "Image URL is required for Google Lens search.",
    )?;
    Request::new("google_lens")
        .set("url", a.str("image_url"))
        .set("hl", "en")
        .sent()
}

fn google_lens_shape(_: &Args, mut answer: Value) -> Shaped {
    let matches = take_list(&mut answer, "visual_matches");
    let images = matches
        .iter()
        .filter(|m| set(m, "image").is_some() || set(m, "thumbnail").is_some())
        .filter_map(|m| match m.get("image") {
            Some(image) => image.as_str(),
            None => m.get("thumbnail").map_or(Some(""), Value::as_str),
        })
        .map(image_ref)
        .collect();
    vec![
        ("results", Value::Array(matches)),
        ("images", Value::Array(images)),
    ]
}

fn google_maps_request(a: &Args) -> Result<Query, String> {
    need(
        !a.str("query").is_empty(),
        "Query is required for map search.",
    )?;
    Request::new("google_maps")
        .set("hl", "en")
        .set("gl", "us")
        .set("type", "search")
        .set("q", a.str("query"))
        .sent()
}

fn google_maps_shape(_: &Args, mut answer: Value) -> Shaped {
    let results = take_list(&mut answer, "local_results");
    let mut lines = Vec::new();
    for (i, r) in results.iter().enumerate() {
        lines.push(heading(r, i));
        if let Some(v) = set(r, "address") {
            lines.push(format!("    {}", py_str(v)));
        }
        lines.extend(rating_line(r));
        if let Some(v) = set(r, "price") {
            lines.push(format!("    Price: {}", py_str(v)));
        }
        if let Some(v) = set(r, "open_state") {
            lines.push(format!("    {}", py_str(v)));
        }
        lines.push(String::new());
    }
    results_text(results, lines.join("\n"))
}

fn google_shopping_request(a: &Args) -> Result<Query, String> {
    need(
        !a.str("query").is_empty(),
        "Query is required for Google Shopping search.",
    )?;
    let country = match a.str("country") {
        "" => "us",
        c => c,
    };
    // Google's `tbs` filter: price bounds need `mr:1,price:1` ahead of them.
    let mut tbs: Vec<String> = Vec::new();
    for (prop, part) in [("min_price", "ppr_min"), ("max_price", "ppr_max")] {
        let v = a.int(prop);
        if v > 0 {
            if tbs.is_empty() {
                tbs.extend(["mr:1".to_string(), "price:1".to_string()]);
            }
            tbs.push(format!("{part}:{v}"));
        }
    }
    match a.str("condition").to_lowercase().as_str() {
        "new" => tbs.push("p_cond:new".into()),
        "used" | "refurbished" => tbs.push("p_cond:used".into()),
        _ => {}
    }
    let sort_by = a.str("sort_by");
    if !sort_by.is_empty() {
        tbs.push(format!("sort:{sort_by}"));
    }
    Request::new("google_shopping")
        .set("q", a.str("query"))
        .set("hl", "en")
        .set("gl", country)
        .set_if(!tbs.is_empty(), "tbs", tbs.join(","))
        .sent()
}

fn google_shopping_shape(_: &Args, mut answer: Value) -> Shaped {
    let results = take_list(&mut answer, "shopping_results");
    let mut lines = Vec::new();
    for (i, r) in results.iter().enumerate() {
        lines.push(heading(r, i));
        if let Some(price) = set(r, "price") {
            let mut line = format!("    Price: {}", py_str(price));
            if let Some(old) = set(r, "old_price") {
                line.push_str(&format!(" (was {})", py_str(old)));
            }
            lines.push(line);
        }
        if let Some(v) = set(r, "source") {
            lines.push(format!("    Source: {}", py_str(v)));
        }
        if let Some(v) = set(r, "link") {
            lines.push(format!("    {}", py_str(v)));
        }
        if let Some(v) = known(r, "rating") {
            lines.push(format!("    Rating: {}", py_str(v)));
        }
        lines.push(String::new());
    }
    results_text(results, lines.join("\n"))
}

static GOOGLE_SEARCH: Engine = engine(
    "google_light",
    RESULTS_TEXT_OUTPUT,
    google_search_request,
    google_search_shape,
);
static GOOGLE_NEWS: Engine = engine(
    "google_news",
    RESULTS_TEXT,
    google_news_request,
    google_news_shape,
);
static GOOGLE_IMAGES: Engine = engine(
    "google_images",
    OUTPUT,
    google_images_request,
    google_images_shape,
);
static GOOGLE_FINANCE: Engine = engine("google_finance", OUTPUT, google_finance_request, whole);
static GOOGLE_JOBS: Engine = engine(
    "google_jobs",
    RESULTS_TEXT,
    google_jobs_request,
    google_jobs_shape,
);
static GOOGLE_LENS: Engine = engine(
    "google_lens",
    &["results", "images"],
    google_lens_request,
    google_lens_shape,
);
static GOOGLE_MAPS: Engine = engine(
    "google_maps",
    RESULTS_TEXT,
    google_maps_request,
    google_maps_shape,
);
static GOOGLE_SHOPPING: Engine = engine(
    "google_shopping",
    RESULTS_TEXT,
    google_shopping_request,
    google_shopping_shape,
);

pub(crate) const GOOGLE_FAMILY: Family = Family {
    prefixes: &["search.google."],
    nodes: &[
        ("GoogleSearch", node(KEYWORD_NUM, &GOOGLE_SEARCH)),
        ("GoogleNews", node(KEYWORD_NUM, &GOOGLE_NEWS)),
        (
            "GoogleImages",
            node(
                &[
                    ("keyword", Kind::Str, "\"\""),
                    ("image_url", Kind::Str, "\"\""),
                    ("num_results", Kind::Int, "20"),
                ],
                &GOOGLE_IMAGES,
            ),
        ),
        (
            "GoogleFinance",
            node(
                &[("query", Kind::Str, "\"\""), ("window", Kind::Str, "\"\"")],
                &GOOGLE_FINANCE,
            ),
        ),
        (
            "GoogleJobs",
            node(
                &[
                    ("query", Kind::Str, "\"\""),
                    ("location", Kind::Str, "\"\""),
                    ("num_results", Kind::Int, "10"),
                ],
                &GOOGLE_JOBS,
            ),
        ),
        (
            "GoogleLens",
            node(
                &[
                    ("image_url", Kind::Str, "\"\""),
                    ("num_results", Kind::Int, "10"),
                ],
                &GOOGLE_LENS,
            ),
        ),
        ("GoogleMaps", node(QUERY_NUM, &GOOGLE_MAPS)),
        (
            "GoogleShopping",
            node(
                &[
                    ("query", Kind::Str, "\"\""),
                    ("country", Kind::Str, "\"us\""),
                    ("min_price", Kind::Int, "0"),
                    ("max_price", Kind::Int, "0"),
                    ("condition", Kind::Str, "\"\""),
                    ("sort_by", Kind::Str, "\"\""),
                    ("num_results", Kind::Int, "10"),
                ],
                &GOOGLE_SHOPPING,
            ),
        ),
    ],
};
