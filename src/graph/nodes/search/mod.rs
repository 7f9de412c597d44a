//! NodeTool's search nodes (`search.*`), which call SerpApi (`GET /search.json?engine=...`)
//! with the caller's `SERPAPI_API_KEY`. Each node is an [`Engine`]: a request builder that
//! checks the properties as NodeTool does and sends the parameters NodeTool's SerpApi provider
//! sends, and a shaper that turns the answer into NodeTool's outputs and numbered text.
//! `graph::effects::search` makes the call.
//!
//! Two kinds of request exist in NodeTool: the provider's dedicated methods (Google Search,
//! News, Images, ...), each with its own fixed parameters, and the generic one, which adds
//! `hl=en` and `gl=us` unless the node set them. Results are cut to `num_results` only where
//! NodeTool cuts them; elsewhere `num_results` is only what is asked of SerpApi.

mod answers;
mod engines;
mod extended;
mod google;
mod google_extra;
mod google_travel;
mod request;
mod research;
mod shopping;
mod specs;
mod text;

pub use super::serp::{Args, Engine, Query, Shaped};
pub use answers::{accept, without_inline_images};
pub(crate) use engines::{BING_FAMILY, DUCKDUCKGO_FAMILY, INTERNATIONAL_FAMILY};
pub(crate) use extended::{EXTENDED_FAMILY, MORE_ENGINES_FAMILY, YELP_FAMILY, YOUTUBE_FAMILY};
pub(crate) use google::GOOGLE_FAMILY;
pub(crate) use google_extra::GOOGLE_EXTRA_FAMILY;
pub(crate) use research::{GOOGLE_TRENDS_EXTRA_FAMILY, SCHOLAR_FAMILY, TRENDS_FAMILY};
pub(crate) use shopping::{
    AMAZON_FAMILY, EBAY_FAMILY, GOOGLE_PLAY_FAMILY, RETAIL_FAMILY, WALMART_FAMILY,
};
pub use text::format_results;
