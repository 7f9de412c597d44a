//! Object storage over the KV port (reference 4.5): validated keys, objects kept as chunks so
//! no value exceeds a platform's limit and a range read touches only the chunks it needs.

pub mod blob_store;
pub mod blob_stream;
pub mod content_type;
pub mod key;
pub mod range;

/// The two storage areas NodeTool's admin API exposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    Assets,
    Temp,
}

impl Bucket {
    pub fn parse(s: &str) -> Option<Bucket> {
        match s {
            "assets" => Some(Bucket::Assets),
            "temp" => Some(Bucket::Temp),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::Assets => "assets",
            Bucket::Temp => "temp",
        }
    }
}
