//! Route handlers. Each gets a `Ctx` holding the already-authenticated identity.

pub mod assets;
pub mod cache;
pub mod chat;
pub mod collections;
pub mod docs;
pub mod effects;
pub mod health;
pub mod jobs;
pub mod nodes;
pub mod run;
pub mod secrets;
pub mod storage;
mod tasks;
pub mod users;
pub mod websocket;
pub mod workflows;

use crate::auth::identity::Identity;
use crate::config::Config;

pub struct Ctx<'a, H> {
    pub host: &'a H,
    pub config: &'a Config,
    pub identity: Identity,
}

/// `application/x-www-form-urlencoded` query pairs, decoded; malformed escapes are kept raw.
pub fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let s = s.replace('+', " ");
        percent_encoding::percent_decode_str(&s)
            .decode_utf8_lossy()
            .into_owned()
    };
    query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

pub use crate::auth::token::random_hex;

/// Query-string truthiness as FastAPI parses a `bool` (`true/1/yes/on`).
pub fn truthy_param(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes" | "on")
}
