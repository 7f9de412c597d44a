//! Papers and trends: `search.scholar.*`, `search.trends.*` and `search.google_trends_extra.*`.

use serde_json::Value;

use super::answers::{results_text, take_list, whole};
use super::request::{Request, choice, need};
use super::specs::{OUTPUT, QUERY_NUM, RESULTS_TEXT, engine, node};
use super::text::{heading, known, or, set, thousands};
use crate::graph::nodes::serp::{Args, Engine, Query, Shaped};
use crate::graph::nodes::spec::Family;
use crate::graph::value::{Kind, py_str, truthy};

// ---- search.scholar ----

fn scholar_request(a: &Args) -> Result<Query, String> {
    need(!a.str("query").is_empty(), "Query is required")?;
    Request::new("google_scholar")
        .set("q", a.str("query"))
        .set("num", a.int("num_results").to_string())
        .set("hl", "en")
        .sent()
}

fn scholar_shape(_: &Args, mut answer: Value) -> Shaped {
    let results = take_list(&mut answer, "organic_results");
    let mut lines = Vec::new();
    for (i, r) in results.iter().enumerate() {
        lines.push(heading(r, i));
        match set(r, "publication_info") {
            Some(p @ Value::Object(_)) => lines.push(format!("    {}", or(p, "summary", ""))),
            Some(p) => lines.push(format!("    {}", py_str(p))),
            None => {}
        }
        if let Some(v) = set(r, "snippet") {
            lines.push(format!("    {}", py_str(v)));
        }
        let cited = r
            .get("inline_links")
            .and_then(|l| l.get("cited_by"))
            .and_then(|c| set(c, "total"));
        if let Some(v) = cited {
            lines.push(format!("    Cited by: {}", py_str(v)));
        }
        if let Some(v) = set(r, "link") {
            lines.push(format!("    {}", py_str(v)));
        }
        lines.push(String::new());
    }
    results_text(results, lines.join("\n"))
}

static SCHOLAR: Engine = engine(
    "google_scholar",
    RESULTS_TEXT,
    scholar_request,
    scholar_shape,
);

pub(crate) const SCHOLAR_FAMILY: Family = Family {
    prefixes: &["search.scholar."],
    nodes: &[("GoogleScholar", node(QUERY_NUM, &SCHOLAR))],
};

// ---- search.trends ----

fn trends_request(a: &Args) -> Result<Query, String> {
    need(!a.str("query").is_empty(), "Query is required")?;
    Request::new("google_trends")
        .set("q", a.str("query"))
        .text("date", a, "date")
        .text("geo", a, "geo")
        .sent()
}

static TRENDS: Engine = engine("google_trends", OUTPUT, trends_request, whole);

pub(crate) const TRENDS_FAMILY: Family = Family {
    prefixes: &["search.trends."],
    nodes: &[(
        "GoogleTrends",
        node(
            &[
                ("query", Kind::Str, "\"\""),
                ("date", Kind::Str, "\"\""),
                ("geo", Kind::Str, "\"\""),
            ],
            &TRENDS,
        ),
    )],
};

// ---- search.google_trends_extra ----

fn trending_now_request(a: &Args) -> Result<Query, String> {
    // The frequency is checked as NodeTool converts it, though NodeTool does not send it.
    choice(a, "frequency", &["realtime", "daily"], "TrendingFrequency")?;
    let category = a.str("category");
    Request::new("google_trends_trending_now")
        .set("geo", a.str("geo"))
        .set("hours", a.int("hours").to_string())
        .set_if(
            !category.is_empty() && category != "all",
            "category_id",
            category,
        )
        .raw()
}

fn trending_now_shape(_: &Args, mut answer: Value) -> Shaped {
    let mut results = Vec::new();
    for key in ["trending_searches", "realtime_searches", "daily_searches"] {
        results = take_list(&mut answer, key);
        if !results.is_empty() {
            break;
        }
    }
    let mut lines = Vec::new();
    for (i, item) in results.iter().enumerate() {
        let query = match item.get("query") {
            Some(q) => py_str(q),
            None => or(item, "title", "Unknown"),
        };
        lines.push(format!("[{}] {query}", i + 1));
        if let Some(v) = known(item, "search_volume") {
            lines.push(format!("    Traffic: {}+ searches", thousands(v)));
        }
        if let Some(v) = known(item, "increase_percentage") {
            lines.push(format!("    Increase: {}%", py_str(v)));
        }
        if let Some(v) = known(item, "active") {
            let yes = if truthy(v) { "Yes" } else { "No" };
            lines.push(format!("    Active: {yes}"));
        }
        let names: Vec<String> = set(item, "categories")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| set(c, "name").map(py_str))
            .collect();
        if !names.is_empty() {
            lines.push(format!("    Categories: {}", names.join(", ")));
        }
        if let Some(Value::Array(related)) = set(item, "trend_breakdown") {
            let shown: Vec<String> = related.iter().take(5).map(py_str).collect();
            lines.push(format!("    Related: {}", shown.join(", ")));
        }
        lines.push(String::new());
    }
    results_text(results, lines.join("\n"))
}

static TRENDING_NOW: Engine = engine(
    "google_trends_trending_now",
    RESULTS_TEXT,
    trending_now_request,
    trending_now_shape,
);

pub(crate) const GOOGLE_TRENDS_EXTRA_FAMILY: Family = Family {
    prefixes: &["search.google_trends_extra."],
    nodes: &[(
        "GoogleTrendingNow",
        node(
            &[
                ("geo", Kind::Str, "\"US\""),
                ("category", Kind::Str, "\"all\""),
                ("frequency", Kind::Str, "\"realtime\""),
                ("hours", Kind::Int, "24"),
            ],
            &TRENDING_NOW,
        ),
    )],
};
