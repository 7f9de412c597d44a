//! YouTube, Yelp, and the families that extend the main engines: `search.youtube.*`,
//! `search.yelp.*`, `search.extended.*` and `search.more_engines.*`.

use serde_json::{Map, Value, json};

use super::answers::{head, results_text, take_list};
use super::engines::{BING_SHOPPING, BING_VIDEOS};
use super::request::{Request, choice, need, query_raw};
use super::specs::{OUTPUT, QUERY_NUM, RESULTS_TEXT, engine, node};
use super::text::{
    format_results, heading, joined, known, listed, or, rating_line, set, thousands,
};
use crate::graph::nodes::serp::{Args, Engine, Query, Shaped};
use crate::graph::nodes::spec::Family;
use crate::graph::value::{Kind, py_str, truthy};

// ---- search.youtube ----

fn youtube_search_request(a: &Args) -> Result<Query, String> {
    need(!a.str("query").is_empty(), "Query is required")?;
    Request::new("youtube")
        .set("search_query", a.str("query"))
        .set("gl", "us")
        .set("hl", "en")
        .sent()
}

fn youtube_search_shape(_: &Args, mut answer: Value) -> Shaped {
    let results = take_list(&mut answer, "video_results");
    let mut lines = Vec::new();
    for (i, r) in results.iter().enumerate() {
        let pos = match r.get("position") {
            Some(p) => py_str(p),
            None => or(r, "position_on_page", &(i + 1).to_string()),
        };
        lines.push(format!("[{pos}] {}", or(r, "title", "Untitled")));
        let channel = match r.get("channel") {
            Some(c @ Value::Object(_)) => c.get("name").filter(|n| truthy(n)),
            other => other.filter(|c| truthy(c)),
        };
        if let Some(c) = channel {
            lines.push(format!("    Channel: {}", py_str(c)));
        }
        if let Some(v) = known(r, "views") {
            lines.push(format!("    Views: {}", thousands(v)));
        }
        if let Some(v) = set(r, "published_date") {
            lines.push(format!("    Published: {}", py_str(v)));
        }
        if let Some(v) = set(r, "length") {
            lines.push(format!("    Duration: {}", py_str(v)));
        }
        if let Some(v) = set(r, "link") {
            lines.push(format!("    {}", py_str(v)));
        }
        lines.push(String::new());
    }
    results_text(results, lines.join("\n"))
}

static YOUTUBE_SEARCH: Engine = engine(
    "youtube",
    RESULTS_TEXT,
    youtube_search_request,
    youtube_search_shape,
);

pub(crate) const YOUTUBE_FAMILY: Family = Family {
    prefixes: &["search.youtube."],
    nodes: &[("YouTubeSearch", node(QUERY_NUM, &YOUTUBE_SEARCH))],
};

// ---- search.yelp ----

fn yelp_search_request(a: &Args) -> Result<Query, String> {
    need(!a.str("query").is_empty(), "Query is required")?;
    need(
        !a.str("location").is_empty(),
        "Location is required for Yelp search",
    )?;
    Request::new("yelp")
        .set("find_desc", a.str("query"))
        .set("find_loc", a.str("location"))
        .sent()
}

fn yelp_search_shape(_: &Args, mut answer: Value) -> Shaped {
    let results = take_list(&mut answer, "organic_results");
    let mut lines = Vec::new();
    for (i, r) in results.iter().enumerate() {
        lines.push(heading(r, i));
        lines.extend(rating_line(r));
        if let Some(v) = set(r, "price") {
            lines.push(format!("    Price: {}", py_str(v)));
        }
        if let Some(v) = set(r, "address") {
            lines.push(format!("    Address: {}", py_str(v)));
        }
        if let Some(Value::Array(categories)) = set(r, "categories") {
            let names: Vec<String> = categories.iter().map(py_str).collect();
            lines.push(format!("    Categories: {}", names.join(", ")));
        }
        if let Some(v) = set(r, "link") {
            lines.push(format!("    {}", py_str(v)));
        }
        lines.push(String::new());
    }
    results_text(results, lines.join("\n"))
}

static YELP_SEARCH: Engine = engine("yelp", RESULTS_TEXT, yelp_search_request, yelp_search_shape);

pub(crate) const YELP_FAMILY: Family = Family {
    prefixes: &["search.yelp."],
    nodes: &[(
        "YelpSearch",
        node(
            &[
                ("query", Kind::Str, "\"\""),
                ("location", Kind::Str, "\"\""),
                ("num_results", Kind::Int, "10"),
            ],
            &YELP_SEARCH,
        ),
    )],
};

// ---- search.extended ----

fn youtube_video_request(a: &Args) -> Result<Query, String> {
    need(!a.str("video_id").is_empty(), "Video ID is required")?;
    Request::new("youtube_video")
        .set("v", a.str("video_id"))
        .raw()
}

/// The video's details NodeTool keeps, its channel and chapters, and how many related videos
/// there are.
fn youtube_video_shape(_: &Args, answer: Value) -> Shaped {
    const KEPT: &[&str] = &[
        "title",
        "thumbnail",
        "views",
        "extracted_views",
        "likes",
        "extracted_likes",
        "published_date",
        "live",
        "description",
        "comment_count",
        "extracted_comment_count",
    ];
    let mut info = Map::new();
    for key in KEPT {
        if let Some(v) = answer.get(*key) {
            info.insert((*key).to_string(), v.clone());
        }
    }
    for key in ["channel", "chapters"] {
        if let Some(v) = set(&answer, key) {
            info.insert(key.to_string(), v.clone());
        }
    }
    let related = set(&answer, "related_videos").and_then(|v| match v {
        Value::Array(items) => Some(items.len()),
        Value::Object(m) => Some(m.len()),
        Value::String(s) => Some(s.chars().count()),
        _ => None,
    });
    if let Some(n) = related {
        info.insert("related_video_count".into(), json!(n));
    }
    vec![("output", Value::Object(info))]
}

query_raw!(duckduckgo_news_request, "duckduckgo_news", "q");
listed!(
    duckduckgo_news_shape,
    "news_results",
    &[
        ("source", "Source"),
        ("date", "Date"),
        ("snippet", ""),
        ("link", ""),
    ],
    cut
);

fn yelp_reviews_request(a: &Args) -> Result<Query, String> {
    need(!a.str("place_id").is_empty(), "Place ID is required")?;
    Request::new("yelp_reviews")
        .set("place_id", a.str("place_id"))
        .raw()
}

/// A reviewer's name: `user.name` when `user` is an object, else "Anonymous".
fn reviewer(r: &Value) -> String {
    match r.get("user") {
        Some(user @ Value::Object(_)) => or(user, "name", "Anonymous"),
        _ => "Anonymous".into(),
    }
}

fn yelp_reviews_shape(a: &Args, mut answer: Value) -> Shaped {
    let results = head(take_list(&mut answer, "reviews"), a.int("num_results"));
    let mut lines = Vec::new();
    for (i, r) in results.iter().enumerate() {
        let pos = r
            .get("position")
            .map_or_else(|| (i + 1).to_string(), py_str);
        lines.push(format!("[{pos}] Review by {}", reviewer(r)));
        if let Some(v) = known(r, "rating") {
            lines.push(format!("    Rating: {}/5", py_str(v)));
        }
        if let Some(v) = set(r, "date") {
            lines.push(format!("    Date: {}", py_str(v)));
        }
        let text = match r.get("comment") {
            None => String::new(),
            Some(c @ Value::Object(_)) => or(c, "text", ""),
            Some(c) if truthy(c) => py_str(c),
            Some(_) => String::new(),
        };
        if !text.is_empty() {
            if text.chars().count() > 200 {
                let cut: String = text.chars().take(197).collect();
                lines.push(format!("    {cut}..."));
            } else {
                lines.push(format!("    {text}"));
            }
        }
        if let Some(tags) = set(r, "tags") {
            lines.push(format!("    Tags: {}", joined(tags)));
        }
        if set(r, "owner_replies").is_some() {
            lines.push("    Owner replied: Yes".into());
        }
        lines.push(String::new());
    }
    results_text(results, lines.join("\n"))
}

fn scholar_author_request(a: &Args) -> Result<Query, String> {
    need(!a.str("author_id").is_empty(), "Author ID is required")?;
    Request::new("google_scholar_author")
        .set("author_id", a.str("author_id"))
        .raw()
}

fn scholar_author_shape(_: &Args, answer: Value) -> Shaped {
    let mut profile = Map::new();
    for key in [
        "author",
        "articles",
        "cited_by",
        "public_access",
        "co_authors",
    ] {
        if let Some(v) = set(&answer, key) {
            profile.insert(key.to_string(), v.clone());
        }
    }
    vec![("output", Value::Object(profile))]
}

static YOUTUBE_VIDEO: Engine = engine(
    "youtube_video",
    OUTPUT,
    youtube_video_request,
    youtube_video_shape,
);
static DUCKDUCKGO_NEWS: Engine = engine(
    "duckduckgo_news",
    RESULTS_TEXT,
    duckduckgo_news_request,
    duckduckgo_news_shape,
);
static YELP_REVIEWS: Engine = engine(
    "yelp_reviews",
    RESULTS_TEXT,
    yelp_reviews_request,
    yelp_reviews_shape,
);
static SCHOLAR_AUTHOR: Engine = engine(
    "google_scholar_author",
    OUTPUT,
    scholar_author_request,
    scholar_author_shape,
);

pub(crate) const EXTENDED_FAMILY: Family = Family {
    prefixes: &["search.extended."],
    nodes: &[
        (
            "YouTubeVideo",
            node(&[("video_id", Kind::Str, "\"\"")], &YOUTUBE_VIDEO),
        ),
        ("DuckDuckGoNews", node(QUERY_NUM, &DUCKDUCKGO_NEWS)),
        (
            "YelpReviews",
            node(
                &[
                    ("place_id", Kind::Str, "\"\""),
                    ("num_results", Kind::Int, "10"),
                ],
                &YELP_REVIEWS,
            ),
        ),
        (
            "GoogleScholarAuthor",
            node(&[("author_id", Kind::Str, "\"\"")], &SCHOLAR_AUTHOR),
        ),
    ],
};

// ---- search.more_engines ----

fn maps_reviews_request(a: &Args) -> Result<Query, String> {
    need(
        !a.str("data_id").is_empty(),
        "data_id is required. Use a Google Maps search to find the place data_id.",
    )?;
    let sort_by = choice(
        a,
        "sort_by",
        &["qualityScore", "newestFirst", "ratingHigh", "ratingLow"],
        "ReviewSortOrder",
    )?;
    Request::new("google_maps_reviews")
        .set("data_id", a.str("data_id"))
        .set("sort_by", sort_by)
        .set("num", a.int("num_results").to_string())
        .raw()
}

fn maps_reviews_shape(_: &Args, mut answer: Value) -> Shaped {
    let reviews = take_list(&mut answer, "reviews");
    let mut lines = Vec::new();
    for (i, r) in reviews.iter().enumerate() {
        lines.push(format!(
            "[{}] {} - {}/5",
            i + 1,
            reviewer(r),
            or(r, "rating", "N/A")
        ));
        if let Some(v) = set(r, "date").or_else(|| set(r, "iso_date")) {
            lines.push(format!("    Date: {}", py_str(v)));
        }
        if let Some(v) = set(r, "snippet") {
            lines.push(format!("    {}", py_str(v)));
        }
        if let Some(v) = set(r, "source") {
            lines.push(format!("    Source: {}", py_str(v)));
        }
        lines.push(String::new());
    }
    let mut header = String::new();
    if let Some(place) = set(&answer, "place_info")
        && let Some(title) = set(place, "title")
    {
        header = format!("Place: {}", py_str(title));
        if let Some(v) = set(place, "rating") {
            header.push_str(&format!(" | Rating: {}", py_str(v)));
        }
        if let Some(v) = set(place, "reviews") {
            header.push_str(&format!(" | Total reviews: {}", py_str(v)));
        }
        header.push_str("\n\n");
    }
    results_text(reviews, header + &lines.join("\n"))
}

fn youtube_transcript_request(a: &Args) -> Result<Query, String> {
    need(!a.str("video_id").is_empty(), "video_id is required")?;
    Request::new("youtube_video_transcript")
        .set("v", a.str("video_id"))
        .set("language_code", a.str("lang"))
        .raw()
}

/// The transcript's segments, and their texts joined by spaces.
fn youtube_transcript_shape(_: &Args, mut answer: Value) -> Shaped {
    let segments = take_list(&mut answer, "transcript");
    let texts: Vec<String> = segments
        .iter()
        .filter_map(|s| set(s, "snippet"))
        .map(|v| py_str(v).trim().to_string())
        .collect();
    vec![
        ("text", json!(texts.join(" "))),
        ("segments", Value::Array(segments)),
    ]
}

static MAPS_REVIEWS: Engine = engine(
    "google_maps_reviews",
    RESULTS_TEXT,
    maps_reviews_request,
    maps_reviews_shape,
);
static YOUTUBE_TRANSCRIPT: Engine = engine(
    "youtube_video_transcript",
    &["text", "segments"],
    youtube_transcript_request,
    youtube_transcript_shape,
);

pub(crate) const MORE_ENGINES_FAMILY: Family = Family {
    prefixes: &["search.more_engines."],
    nodes: &[
        (
            "GoogleMapsReviews",
            node(
                &[
                    ("data_id", Kind::Str, "\"\""),
                    ("sort_by", Kind::Str, "\"qualityScore\""),
                    ("num_results", Kind::Int, "10"),
                ],
                &MAPS_REVIEWS,
            ),
        ),
        ("BingShopping", node(QUERY_NUM, &BING_SHOPPING)),
        ("BingVideos", node(QUERY_NUM, &BING_VIDEOS)),
        (
            "YouTubeTranscript",
            node(
                &[
                    ("video_id", Kind::Str, "\"\""),
                    ("lang", Kind::Str, "\"en\""),
                ],
                &YOUTUBE_TRANSCRIPT,
            ),
        ),
    ],
};
