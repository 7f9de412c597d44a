//! Black-box conformance suite for nodetool-edge: drives a server over real HTTP.
//!
//! A test asks for a [`Target`] with a configuration profile. By default the suite starts the
//! real native runner (the real component, SQLite in a temporary directory) for it. With
//! `NODETOOL_EDGE_BASE_URL` set, tests whose profile matches `NODETOOL_EDGE_PROFILE` run against
//! that server instead (`wrangler dev`, `spin up`), and the others are skipped.

pub mod client;
pub mod runner;
pub mod supabase;
pub mod upstream;

pub use client::{Reply, bearer, request};
pub use runner::{Profile, Runner, Target};
