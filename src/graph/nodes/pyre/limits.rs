//! Bounds on patterns (repeat counts, groups, nesting) and on the work a search may do.

pub(super) const MAXREPEAT: u64 = 4_294_967_295;
/// An unbounded repeat.
pub(super) const INF: u32 = u32::MAX;
/// Far below Python's limit, far above any real pattern; bounds the matcher's registers.
pub(super) const MAX_GROUPS: usize = 10_000;
/// Bounds the parser's recursion (one level per parenthesis).
pub(super) const MAX_NESTING: usize = 200;
const MAX_STEPS: u64 = 20_000_000;
const STEPS_PER_CHAR: u64 = 64;
pub(super) const MAX_STACK: usize = 2_000_000;

/// Work left for one node run, shared by every search it makes: a fixed allowance plus
/// some per character, so long texts scan fully while runaway backtracking stops.
pub struct Budget(pub(super) u64);

impl Budget {
    pub fn for_text(chars: usize) -> Budget {
        Budget(MAX_STEPS.saturating_add((chars as u64).saturating_mul(STEPS_PER_CHAR)))
    }

    /// Adds the allowance for one more text searched under this budget.
    pub fn grant(&mut self, chars: usize) {
        self.0 = self
            .0
            .saturating_add((chars as u64).saturating_mul(STEPS_PER_CHAR));
    }
}

pub(super) fn too_complex() -> String {
    "the regular expression needs too many steps on this text; simplify the pattern \
     (nested repeats can backtrack exponentially)"
        .to_string()
}
