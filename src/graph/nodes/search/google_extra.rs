//! `search.google_extra.*`: Google Events, Flights, Hotels, Patents, Videos and Autocomplete.

use serde_json::Value;

use super::answers::{results_text, take_list};
use super::google_travel::{
    google_flights_request, google_flights_shape, google_hotels_request, google_hotels_shape,
};
use super::request::{Request, need};
use super::specs::{RESULTS_TEXT, engine, node};
use super::text::{first_chars, format_results, heading, known, listed, or, set};
use crate::graph::nodes::serp::{Args, Engine, Query, Shaped};
use crate::graph::nodes::spec::Family;
use crate::graph::value::{Kind, py_str};

fn google_events_request(a: &Args) -> Result<Query, String> {
    need(!a.str("query").is_empty(), "Query is required")?;
    Request::new("google_events")
        .set("q", a.str("query"))
        .text("location", a, "location")
        .raw()
}

listed!(
    google_events_shape,
    "events_results",
    &[
        ("date", "Date"),
        ("address", "Address"),
        ("link", ""),
        ("description", ""),
        ("venue", "Venue"),
    ]
);

fn google_patents_request(a: &Args) -> Result<Query, String> {
    need(!a.str("query").is_empty(), "Query is required")?;
    Request::new("google_patents")
        .set("q", a.str("query"))
        .set("num", a.int("num_results").to_string())
        .text("sort", a, "sort")
        .text("inventor", a, "inventor")
        .text("assignee", a, "assignee")
        .text("country", a, "country")
        .text("status", a, "status")
        .text("language", a, "language")
        .text("before", a, "before_date")
        .text("after", a, "after_date")
        .raw()
}

fn google_patents_shape(_: &Args, mut answer: Value) -> Shaped {
    let results = take_list(&mut answer, "organic_results");
    let mut lines = Vec::new();
    for (i, r) in results.iter().enumerate() {
        lines.push(heading(r, i));
        for (key, label) in [
            ("patent_id", "Patent ID"),
            ("assignee", "Assignee"),
            ("inventor", "Inventor"),
            ("filing_date", "Filing Date"),
            ("grant_date", "Grant Date"),
            ("priority_date", "Priority Date"),
        ] {
            if let Some(v) = set(r, key) {
                lines.push(format!("    {label}: {}", py_str(v)));
            }
        }
        if let Some(v) = set(r, "snippet") {
            lines.push(format!("    {}", first_chars(v, 200)));
        }
        if let Some(v) = set(r, "patent_link") {
            lines.push(format!("    {}", py_str(v)));
        }
        lines.push(String::new());
    }
    let text = if lines.is_empty() {
        "No patents found.".to_string()
    } else {
        lines.join("\n")
    };
    results_text(results, text)
}

fn google_videos_request(a: &Args) -> Result<Query, String> {
    need(!a.str("query").is_empty(), "Query is required")?;
    Request::new("google_videos")
        .set("q", a.str("query"))
        .text("location", a, "location")
        .raw()
}

listed!(
    google_videos_shape,
    "video_results",
    &[
        ("link", ""),
        ("displayed_link", "Source"),
        ("duration", "Duration"),
        ("date", "Date"),
        ("snippet", ""),
    ]
);

fn google_autocomplete_request(a: &Args) -> Result<Query, String> {
    need(!a.str("query").is_empty(), "Query is required")?;
    Request::new("google_autocomplete")
        .set("q", a.str("query"))
        .text("hl", a, "language")
        .text("gl", a, "country")
        .raw()
}

fn google_autocomplete_shape(_: &Args, mut answer: Value) -> Shaped {
    let suggestions = take_list(&mut answer, "suggestions");
    let lines: Vec<String> = suggestions
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut line = format!("[{}] {}", i + 1, or(s, "value", ""));
            if let Some(r) = known(s, "relevance") {
                line.push_str(&format!(" (relevance: {})", py_str(r)));
            }
            line
        })
        .collect();
    let text = if lines.is_empty() {
        "No suggestions found.".to_string()
    } else {
        lines.join("\n")
    };
    results_text(suggestions, text)
}

static GOOGLE_EVENTS: Engine = engine(
    "google_events",
    RESULTS_TEXT,
    google_events_request,
    google_events_shape,
);
static GOOGLE_FLIGHTS: Engine = engine(
    "google_flights",
    RESULTS_TEXT,
    google_flights_request,
    google_flights_shape,
);
static GOOGLE_HOTELS: Engine = engine(
    "google_hotels",
    RESULTS_TEXT,
    google_hotels_request,
    google_hotels_shape,
);
static GOOGLE_PATENTS: Engine = engine(
    "google_patents",
    RESULTS_TEXT,
    google_patents_request,
    google_patents_shape,
);
static GOOGLE_VIDEOS: Engine = engine(
    "google_videos",
    RESULTS_TEXT,
    google_videos_request,
    google_videos_shape,
);
static GOOGLE_AUTOCOMPLETE: Engine = engine(
    "google_autocomplete",
    RESULTS_TEXT,
    google_autocomplete_request,
    google_autocomplete_shape,
);

pub(crate) const GOOGLE_EXTRA_FAMILY: Family = Family {
    prefixes: &["search.google_extra."],
    nodes: &[
        (
            "GoogleEvents",
            node(
                &[
                    ("query", Kind::Str, "\"\""),
                    ("location", Kind::Str, "\"\""),
                    ("num_results", Kind::Int, "10"),
                ],
                &GOOGLE_EVENTS,
            ),
        ),
        (
            "GoogleFlights",
            node(
                &[
                    ("departure_id", Kind::Str, "\"\""),
                    ("arrival_id", Kind::Str, "\"\""),
                    ("outbound_date", Kind::Str, "\"\""),
                    ("return_date", Kind::Str, "\"\""),
                    ("trip_type", Kind::Int, "1"),
                    ("adults", Kind::Int, "1"),
                    ("travel_class", Kind::Int, "1"),
                    ("currency", Kind::Str, "\"USD\""),
                    ("stops", Kind::Int, "0"),
                    ("sort_by", Kind::Int, "1"),
                ],
                &GOOGLE_FLIGHTS,
            ),
        ),
        (
            "GoogleHotels",
            node(
                &[
                    ("query", Kind::Str, "\"\""),
                    ("check_in_date", Kind::Str, "\"\""),
                    ("check_out_date", Kind::Str, "\"\""),
                    ("adults", Kind::Int, "2"),
                    ("children", Kind::Int, "0"),
                    ("currency", Kind::Str, "\"USD\""),
                    ("sort_by", Kind::Int, "0"),
                    ("min_price", Kind::Int, "0"),
                    ("max_price", Kind::Int, "0"),
                    ("hotel_class", Kind::Int, "0"),
                ],
                &GOOGLE_HOTELS,
            ),
        ),
        (
            "GooglePatents",
            node(
                &[
                    ("query", Kind::Str, "\"\""),
                    ("num_results", Kind::Int, "10"),
                    ("sort", Kind::Str, "\"\""),
                    ("inventor", Kind::Str, "\"\""),
                    ("assignee", Kind::Str, "\"\""),
                    ("country", Kind::Str, "\"\""),
                    ("status", Kind::Str, "\"\""),
                    ("language", Kind::Str, "\"\""),
                    ("before_date", Kind::Str, "\"\""),
                    ("after_date", Kind::Str, "\"\""),
                ],
                &GOOGLE_PATENTS,
            ),
        ),
        (
            "GoogleVideos",
            node(
                &[
                    ("query", Kind::Str, "\"\""),
                    ("num_results", Kind::Int, "10"),
                    ("location", Kind::Str, "\"\""),
                ],
                &GOOGLE_VIDEOS,
            ),
        ),
        (
            "GoogleAutocomplete",
            node(
                &[
                    ("query", Kind::Str, "\"\""),
                    ("language", Kind::Str, "\"\""),
                    ("country", Kind::Str, "\"\""),
                ],
                &GOOGLE_AUTOCOMPLETE,
            ),
        ),
    ],
};
