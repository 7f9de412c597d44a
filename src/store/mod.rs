//! Stored data over the key-value port: the record helpers, and workflows, assets,
//! collections, stored objects and secrets on top of them.

pub mod assets;
pub mod collections;
pub mod index;
pub mod jobs;
pub mod layout;
pub mod records;
pub mod secrets;
pub mod storage;
pub mod workflows;
