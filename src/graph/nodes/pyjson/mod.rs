//! Python's behaviour the dictionary and JSON families share: `json.loads` and `json.dumps`,
//! number text and comparisons, and dict keys as Python hashes them. (Their regular expressions
//! run on `nodes::pyre`, Python's `re` rebuilt.)
//!
//! NodeTool runs these nodes on Python's `json` module, so its text is the contract: `dumps`
//! writes what `json.dumps` writes (separators, `ensure_ascii`, indentation, `repr` floats) and
//! `loads` accepts what `json.loads` accepts and fails with its messages and positions.

pub(crate) mod decode;
pub(crate) mod dict;
pub(crate) mod encode;
pub(crate) mod numbers;
