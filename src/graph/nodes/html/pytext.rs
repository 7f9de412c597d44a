//! Python's text rules the HTML and Markdown nodes share (`str.isspace`, `strip`, `repr`), and
//! the most items one result may hold.

/// Most items one result may hold (a list's length, or values streamed on one handle).
const MAX_ITEMS: usize = 100_000;

pub(super) use crate::graph::pytext::{py_isspace as py_space, py_str_repr as py_text_repr};

pub(super) fn too_many(n: usize) -> Result<(), String> {
    if n > MAX_ITEMS {
        Err(format!("the result would have more than {MAX_ITEMS} items"))
    } else {
        Ok(())
    }
}

/// Python's `str.strip()`.
pub(super) fn py_strip(s: &str) -> &str {
    s.trim_matches(py_space)
}
