//! OpenAI-compatible chat through the deployment: `/v1/chat/completions` and `/v1/models`
//! proxied to Ollama or any OpenAI-compatible provider, and the workflow chat node.

pub mod config;
pub mod error;
pub mod models;
pub mod provider;
pub mod stream;
