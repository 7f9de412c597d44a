//! The shape of a SerpApi-backed search node: which engine it calls with which parameters, and
//! how its answer becomes outputs. The nodes themselves are in `search`.

/// What a search node outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `results` (the list) and `text` (NodeTool's numbered summary).
    ResultsAndText,
    /// A list of image references built from each result's `original` URL.
    Images,
    /// The whole answer as one object on `output`.
    Whole,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Engine {
    /// The SerpApi engine.
    pub engine: &'static str,
    /// Node property → SerpApi parameter; a property left empty is not sent.
    pub params: &'static [(&'static str, &'static str)],
    /// Fixed parameters.
    pub fixed: &'static [(&'static str, &'static str)],
    /// Properties of which at least one must be set, and the error when none is.
    pub required: (&'static [&'static str], &'static str),
    /// Where the results are in the answer.
    pub results: &'static str,
    /// Result fields shown under each title: `(key, label)`, no label for the bare value.
    pub fields: &'static [(&'static str, &'static str)],
    /// At most this many results are kept, from this property.
    pub limit: Option<&'static str>,
    pub shape: Shape,
}
