//! NodeTool's search nodes (`search.*`), which call SerpApi (`GET /search.json?engine=...`)
//! with the caller's `SERPAPI_API_KEY`. Each node is an [`Engine`]: the SerpApi engine, which
//! properties become which parameters, where the results are in the answer, and how they are
//! worded as text. `graph::effects::search` makes the call.

use serde_json::Value;

pub use super::serp::{Engine, Shape};
use super::spec::{Behaviour, Effect, Family, Prop, Spec};
use crate::graph::value::{Kind, py_str};

/// `output` is the older single output (the results list), which NodeTool's examples still use.
const RESULTS_TEXT: &[&str] = &["results", "text", "output"];

const fn node(props: &'static [Prop], engine: &'static Engine) -> Spec {
    Spec {
        behaviour: Behaviour::Effect(Effect::Search(engine)),
        props,
        outputs: match engine.shape {
            Shape::ResultsAndText => RESULTS_TEXT,
            _ => &["output"],
        },
        dynamic: false,
    }
}

const KEYWORD_NUM: &[Prop] = &[
    ("keyword", Kind::Str, "\"\""),
    ("num_results", Kind::Int, "10"),
];
const QUERY_NUM: &[Prop] = &[
    ("query", Kind::Str, "\"\""),
    ("num_results", Kind::Int, "10"),
];

static GOOGLE: Engine = Engine {
    engine: "google_light",
    params: &[("keyword", "q"), ("num_results", "num")],
    fixed: &[],
    required: (&["keyword"], "Keyword is required"),
    results: "organic_results",
    fields: &[("link", ""), ("date", "Date"), ("snippet", "")],
    limit: Some("num_results"),
    shape: Shape::ResultsAndText,
};

static DUCKDUCKGO: Engine = Engine {
    engine: "duckduckgo",
    params: &[("query", "q")],
    fixed: &[],
    required: (&["query"], "Query is required"),
    results: "organic_results",
    fields: &[("link", ""), ("snippet", "")],
    limit: Some("num_results"),
    shape: Shape::ResultsAndText,
};

pub(crate) const GOOGLE_FAMILY: Family = Family {
    prefixes: &["search.google."],
    nodes: &[("GoogleSearch", node(KEYWORD_NUM, &GOOGLE))],
};

pub(crate) const DUCKDUCKGO_FAMILY: Family = Family {
    prefixes: &["search.duckduckgo."],
    nodes: &[("DuckDuckGoSearch", node(QUERY_NUM, &DUCKDUCKGO))],
};

/// NodeTool's numbered text of search results.
pub fn format_results(results: &[Value], fields: &[(&str, &str)]) -> String {
    let mut lines = Vec::new();
    for (i, r) in results.iter().enumerate() {
        let pos = r
            .get("position")
            .map(py_str)
            .unwrap_or_else(|| (i + 1).to_string());
        let title = r.get("title").and_then(Value::as_str).unwrap_or("Untitled");
        lines.push(format!("[{pos}] {title}"));
        for (key, label) in fields {
            match r.get(*key) {
                None | Some(Value::Null) => {}
                Some(Value::String(s)) if s.is_empty() => {}
                Some(v) if label.is_empty() => lines.push(format!("    {}", py_str(v))),
                Some(v) => lines.push(format!("    {label}: {}", py_str(v))),
            }
        }
        lines.push(String::new());
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn results_are_worded_as_nodetool_does() {
        let results = vec![
            json!({"position": 1, "title": "Rust", "link": "https://rust-lang.org", "snippet": "A language"}),
            json!({"link": "https://x.test", "date": "2 days ago"}),
        ];
        assert_eq!(
            format_results(&results, GOOGLE.fields),
            "[1] Rust\n    https://rust-lang.org\n    A language\n\n[2] Untitled\n    https://x.test\n    Date: 2 days ago\n"
        );
    }
}
