//! Python's flag values, so the inline-flag rules read as in `re._parser`.

pub(super) const TEMPLATE: u32 = 1;
pub const IGNORECASE: u32 = 2;
const LOCALE: u32 = 4;
pub const MULTILINE: u32 = 8;
pub const DOTALL: u32 = 16;
pub(super) const UNICODE: u32 = 32;
pub(super) const VERBOSE: u32 = 64;
pub(super) const ASCII: u32 = 256;
pub(super) const TYPE_FLAGS: u32 = ASCII | LOCALE | UNICODE;

pub(super) fn flag_of(c: char) -> Option<u32> {
    Some(match c {
        'i' => IGNORECASE,
        'L' => LOCALE,
        'm' => MULTILINE,
        's' => DOTALL,
        'x' => VERBOSE,
        'a' => ASCII,
        't' => TEMPLATE,
        'u' => UNICODE,
        _ => return None,
    })
}
