//! Python's text rules, shared with `lib.uuid.*`: digits, white space, `repr`, and clipped
//! echoes of what a user wrote.

use crate::graph::nodes::spec::Props;
pub(super) use crate::graph::pytext::py_str_repr as repr;
pub(crate) use crate::graph::pytext::{py_decimal, py_isspace as is_py_space};

/// At most what an error message may quote of `s`: text near the length limit is cut, since a
/// repr can be four times its input.
pub(crate) fn clip(s: &str, max_len: usize) -> (&str, &'static str) {
    let room = (max_len / 4).saturating_sub(64).max(16);
    if s.len() <= room {
        return (s, "");
    }
    let mut cut = room;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    (&s[..cut], "...")
}

/// `repr(s)` for an error message, shortened when the input is too long to echo in full.
pub(crate) fn echo(s: &str, max_len: usize) -> String {
    let (s, more) = clip(s, max_len);
    format!("{}{more}", repr(s))
}

/// The value of an enumerated property, or the error NodeTool gives for one it does not know.
pub(super) fn choice(
    p: &Props,
    name: &str,
    options: &[&'static str],
) -> Result<&'static str, String> {
    let v = p.str(name);
    options.iter().copied().find(|o| *o == v).ok_or_else(|| {
        format!(
            "Invalid value for property `{name}`: {} (expected one of {})",
            echo(v, p.max_len),
            options.join(", ")
        )
    })
}
