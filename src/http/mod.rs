//! HTTP: routing, request bodies, responses, errors, CORS and the browser boundary.

pub mod body;
pub mod browser;
pub mod cors;
pub mod error;
pub mod query;
pub mod response;
pub mod router;
