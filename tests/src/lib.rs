//! Black-box conformance suite for nodetool-edge: drives a server over real HTTP.
//!
//! A test asks for a [`Target`] with a configuration profile, or a [`Server`] with exact
//! settings. By default the suite starts the real native runner (the real component, SQLite in
//! a temporary directory) for it; with `NODETOOL_EDGE_HOST=wrangler` it starts `wrangler dev`
//! (the Workers build on workerd, local KV) instead, one per test. With
//! `NODETOOL_EDGE_BASE_URL` set, tests whose profile matches `NODETOOL_EDGE_PROFILE` run against
//! that server (a deployment, `spin up`), and the others are skipped.

pub mod chromium;
pub mod client;
pub mod graph;
pub mod models;
pub mod process_group;
pub mod redis_server;
pub mod runner;
pub mod server;
pub mod spin;
pub mod supabase;
pub mod upstream;
pub mod wrangler;
pub mod ws_client;

pub use client::{Reply, bearer, parse, request};
pub use runner::{Profile, Runner, Target};
pub use server::{Host, Server, skip_unless_native, skip_when_external};
