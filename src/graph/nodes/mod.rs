//! The built-in node types: their type strings (reference 6.4), declared properties with
//! defaults, output handles, and what each computes. Semantics follow NodeTool's Python nodes,
//! including Python's arithmetic (`7 // -2`-style modulo, `/` always a float).

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::Value;

use super::value::{Kind, coerce};

mod agents;
mod boolean;
mod control;
mod data;
mod date;
mod dictionary;
mod html;
mod images;
mod json;
mod list;
mod math;
mod pyjson;
mod pyre;
pub mod search;
mod serp;
mod sources;
mod spec;
mod text;
mod unavailable;
mod uuid;
mod web;

pub use spec::{
    Behaviour, Effect, Emitted, Family, HttpCall, ImageFn, ImageNode, Op, Prop, Props, Spec,
    prop_kind,
};
pub use text::py_slice_indices;
pub use unavailable::reason as unavailable_reason;

/// Every family this server runs, inside the component.
const FAMILIES: &[&Family] = &[
    &sources::CONSTANT,
    &sources::INPUT,
    &sources::OUTPUT,
    &sources::TEST_HELPER,
    &sources::BASE_NODE,
    &agents::FAMILY,
    &agents::ANTHROPIC,
    &agents::GENERATORS,
    &agents::SAVE_JSON,
    &agents::SAVE_TEXT,
    &agents::IMAGE_MEDIA,
    &agents::KIE_IMAGE,
    &agents::FAL_IMAGE,
    &agents::SPEECH_TO_TEXT,
    &agents::TEXT_TO_SPEECH,
    &search::GOOGLE_FAMILY,
    &search::DUCKDUCKGO_FAMILY,
    &search::AMAZON_FAMILY,
    &search::BING_FAMILY,
    &search::EBAY_FAMILY,
    &search::EXTENDED_FAMILY,
    &search::GOOGLE_EXTRA_FAMILY,
    &search::GOOGLE_PLAY_FAMILY,
    &search::GOOGLE_TRENDS_EXTRA_FAMILY,
    &search::INTERNATIONAL_FAMILY,
    &search::MORE_ENGINES_FAMILY,
    &search::RETAIL_FAMILY,
    &search::SCHOLAR_FAMILY,
    &search::TRENDS_FAMILY,
    &search::WALMART_FAMILY,
    &search::YELP_FAMILY,
    &search::YOUTUBE_FAMILY,
    &web::HTTP,
    &web::RSS,
    &math::FAMILY,
    &text::FAMILY,
    &boolean::FAMILY,
    &control::FAMILY,
    &list::FAMILY,
    &list::NUMBERS,
    &dictionary::FAMILY,
    &json::FAMILY,
    &data::FAMILY,
    &date::FAMILY,
    &uuid::FAMILY,
    &html::FAMILY,
    &images::ENHANCE,
    &images::COLOR_GRADING,
    &images::FILTER,
    &images::DRAW,
    &images::PILLOW,
    &images::GRID,
];

/// Full type string → spec, built once per instance (a warm instance keeps it).
fn table() -> &'static HashMap<String, Spec> {
    static TABLE: OnceLock<HashMap<String, Spec>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = HashMap::new();
        for f in FAMILIES {
            for prefix in f.prefixes {
                for (name, spec) in f.nodes {
                    t.insert(format!("{prefix}{name}"), *spec);
                }
            }
        }
        t
    })
}

/// The spec for a type string, or `None` for a type we do not implement.
pub fn spec(ty: &str) -> Option<Spec> {
    if let Some(s) = table().get(ty) {
        return Some(*s);
    }
    // Older NodeTool graphs carry typed outputs (`nodetool.output.StringOutput`, ...); they
    // all record what reaches them.
    let old_output = ty.starts_with("nodetool.output.")
        || ty
            .strip_prefix("nodetool.workflows.test_helper.")
            .is_some_and(|n| n.ends_with("Output"));
    old_output.then_some(sources::OUTPUT_SPEC)
}

/// Every type string this server runs, sorted.
pub fn catalogue() -> Vec<(&'static str, &'static str, Spec)> {
    let mut all: Vec<_> = FAMILIES
        .iter()
        .flat_map(|f| {
            f.prefixes
                .iter()
                .flat_map(move |p| f.nodes.iter().map(move |(n, s)| (*p, *n, *s)))
        })
        .collect();
    all.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    all
}

/// Converts a property value to its declared type (`Any` for dynamic ones).
pub fn typed(spec: &Spec, name: &str, v: &Value) -> Result<Value, String> {
    let kind = prop_kind(spec, name).unwrap_or(Kind::Any);
    coerce(v, kind).map_err(|e| format!("property '{name}' {e}"))
}

#[cfg(test)]
mod tests;
