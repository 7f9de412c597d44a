//! YAML scalars: which style PyYAML picks for a string, and how it writes each style.

use std::sync::OnceLock;

use super::emitter::{BEST_WIDTH, Ctx, Emitter};
use crate::graph::nodes::pyre::{Budget, Mode, Regex};
use crate::graph::value::py_float;

#[derive(PartialEq)]
enum Style {
    Plain,
    Single,
    Double,
}

/// What PyYAML's `analyze_scalar` finds in a string, reduced to what block context uses.
pub(super) struct Analysis {
    pub(super) empty: bool,
    pub(super) multiline: bool,
    allow_block_plain: bool,
    allow_single_quoted: bool,
}

fn is_break(c: char) -> bool {
    matches!(c, '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_space_or_break(c: Option<char>) -> bool {
    c.is_none_or(|c| matches!(c, '\0' | ' ' | '\t' | '\r') || is_break(c))
}

pub(super) fn analyze(s: &[char]) -> Analysis {
    if s.is_empty() {
        return Analysis {
            empty: true,
            multiline: false,
            allow_block_plain: true,
            allow_single_quoted: true,
        };
    }
    let starts = |p: &str| s.len() >= 3 && s[..3].iter().copied().eq(p.chars());
    let mut block_indicators = starts("---") || starts("...");
    let (mut line_breaks, mut special) = (false, false);
    let (mut leading_space, mut leading_break) = (false, false);
    let (mut trailing_space, mut trailing_break) = (false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut preceded_by_ws = true;
    for (i, &c) in s.iter().enumerate() {
        let followed_by_ws = is_space_or_break(s.get(i + 1).copied());
        if i == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(c) || (matches!(c, '?' | ':' | '-') && followed_by_ws) {
                block_indicators = true;
            }
        } else if (c == ':' && followed_by_ws) || (c == '#' && preceded_by_ws) {
            block_indicators = true;
        }
        if is_break(c) {
            line_breaks = true;
        }
        // Without allow_unicode every character outside printable ASCII needs double quotes.
        if !(c == '\n' || (' '..='~').contains(&c)) {
            special = true;
        }
        if c == ' ' {
            leading_space |= i == 0;
            trailing_space |= i == s.len() - 1;
            break_space |= previous_break;
            (previous_space, previous_break) = (true, false);
        } else if is_break(c) {
            leading_break |= i == 0;
            trailing_break |= i == s.len() - 1;
            space_break |= previous_space;
            (previous_space, previous_break) = (false, true);
        } else {
            (previous_space, previous_break) = (false, false);
        }
        preceded_by_ws = is_space_or_break(Some(c));
    }
    let edges = leading_space || leading_break || trailing_space || trailing_break;
    Analysis {
        empty: false,
        multiline: line_breaks,
        allow_block_plain: !(edges
            || break_space
            || space_break
            || special
            || line_breaks
            || block_indicators),
        allow_single_quoted: !(break_space || space_break || special),
    }
}

/// PyYAML's implicit resolvers: plain text that would read back as something other than a
/// string (bool, int, float, null, timestamp, merge, value, yaml), each tried with `match` as
/// PyYAML does. A text the engine cannot decide on counts as resolving, so it is quoted, which
/// reads back as the string either way.
fn resolves_to_non_string(text: &str) -> bool {
    static RESOLVERS: OnceLock<Vec<Regex>> = OnceLock::new();
    let resolvers = RESOLVERS.get_or_init(|| {
        [
            r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$",
            r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
            r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$",
            r"^(?:<<)$",
            r"^(?:~|null|Null|NULL|)$",
            r"^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$",
            r"^(?:=)$",
            r"^(?:!|&|\*)$",
        ]
        .iter()
        .filter_map(|p| Regex::new(p, 0).ok())
        .collect()
    });
    let budget = &mut Budget::for_text(text.chars().count());
    resolvers
        .iter()
        .any(|r| r.is_match(text, Mode::Match, budget).unwrap_or(true))
}

/// PyYAML's `repr` of a float: Python's repr, lower case, with `.0` added before a bare exponent.
pub(super) fn yaml_float(f: f64) -> String {
    let text = py_float(f).to_lowercase();
    if !text.contains('.') && text.contains('e') {
        text.replacen('e', ".0e", 1)
    } else {
        text
    }
}

impl Emitter {
    pub(super) fn scalar(&mut self, text: &str, is_string: bool, ctx: Ctx) -> Result<(), String> {
        let chars: Vec<char> = text.chars().collect();
        let a = analyze(&chars);
        let implicit = !is_string || !resolves_to_non_string(text);
        let style =
            if implicit && !(ctx.simple_key && (a.empty || a.multiline)) && a.allow_block_plain {
                Style::Plain
            } else if a.allow_single_quoted && !(ctx.simple_key && a.multiline) {
                Style::Single
            } else {
                Style::Double
            };
        self.increase_indent(true, false);
        let split = !ctx.simple_key;
        match style {
            Style::Plain => self.plain(&chars, split)?,
            Style::Single => self.single_quoted(&chars, split)?,
            Style::Double => self.double_quoted(&chars, split)?,
        }
        self.pop_indent();
        Ok(())
    }

    fn plain(&mut self, s: &[char], split: bool) -> Result<(), String> {
        if s.is_empty() {
            return Ok(());
        }
        if !self.whitespace {
            self.write(" ")?;
        }
        self.whitespace = false;
        self.indention = false;
        let (mut spaces, mut start) = (false, 0);
        for end in 0..=s.len() {
            let ch = s.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end && self.column > BEST_WIDTH && split {
                        self.write_indent()?;
                        self.whitespace = false;
                        self.indention = false;
                    } else {
                        self.write_chars(&s[start..end])?;
                    }
                    start = end;
                }
            } else if ch.is_none_or(|c| c == ' ' || is_break(c)) {
                self.write_chars(&s[start..end])?;
                start = end;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
            }
        }
        Ok(())
    }

    fn single_quoted(&mut self, s: &[char], split: bool) -> Result<(), String> {
        self.write_indicator("'", true, false, false)?;
        let (mut spaces, mut breaks, mut start) = (false, false, 0);
        for end in 0..=s.len() {
            let ch = s.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end
                        && self.column > BEST_WIDTH
                        && split
                        && start != 0
                        && end != s.len()
                    {
                        self.write_indent()?;
                    } else {
                        self.write_chars(&s[start..end])?;
                    }
                    start = end;
                }
            } else if breaks {
                if ch.is_none_or(|c| !is_break(c)) {
                    if s[start] == '\n' {
                        self.line_break("\n")?;
                    }
                    for &br in &s[start..end] {
                        let text = br.to_string();
                        self.line_break(if br == '\n' { "\n" } else { &text })?;
                    }
                    self.write_indent()?;
                    start = end;
                }
            } else if ch.is_none_or(|c| c == ' ' || c == '\'' || is_break(c)) && start < end {
                self.write_chars(&s[start..end])?;
                start = end;
            }
            if ch == Some('\'') {
                self.write("''")?;
                start = end + 1;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
                breaks = is_break(c);
            }
        }
        self.write_indicator("'", false, false, false)
    }

    fn double_quoted(&mut self, s: &[char], split: bool) -> Result<(), String> {
        self.write_indicator("\"", true, false, false)?;
        let mut start = 0usize;
        for end in 0..=s.len() {
            let ch = s.get(end).copied();
            let escaped = ch.is_none_or(|c| {
                matches!(
                    c,
                    '"' | '\\' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}'
                ) || !(' '..='~').contains(&c)
            });
            if escaped {
                if start < end {
                    self.write_chars(&s[start..end])?;
                    start = end;
                }
                if let Some(c) = ch {
                    self.write(&yaml_escape(c))?;
                    start = end + 1;
                }
            }
            // Fold a long line at a space (or right after an escape), marking it with "\".
            let fold = end > 0
                && end + 1 < s.len()
                && (ch == Some(' ') || start >= end)
                && self.column as i64 + end as i64 - start as i64 > BEST_WIDTH as i64
                && split;
            if fold {
                let mut data: String = s[start.min(end)..end].iter().collect();
                data.push('\\');
                if start < end {
                    start = end;
                }
                self.write(&data)?;
                self.write_indent()?;
                self.whitespace = false;
                self.indention = false;
                if s.get(start) == Some(&' ') {
                    self.write("\\")?;
                }
            }
        }
        self.write_indicator("\"", false, false, false)
    }
}

fn yaml_escape(c: char) -> String {
    let named = match c {
        '\0' => "0",
        '\u{7}' => "a",
        '\u{8}' => "b",
        '\t' => "t",
        '\n' => "n",
        '\u{b}' => "v",
        '\u{c}' => "f",
        '\r' => "r",
        '\u{1b}' => "e",
        '"' => "\"",
        '\\' => "\\",
        '\u{85}' => "N",
        '\u{a0}' => "_",
        '\u{2028}' => "L",
        '\u{2029}' => "P",
        _ => "",
    };
    let code = c as u32;
    if !named.is_empty() {
        format!("\\{named}")
    } else if code <= 0xff {
        format!("\\x{code:02X}")
    } else if code <= 0xffff {
        format!("\\u{code:04X}")
    } else {
        format!("\\U{code:08X}")
    }
}
