//! Python's `re`, rebuilt: the one regular expression engine of the node library. The text
//! family's regex nodes, `nodetool.dictionary.FilterDictRegex`, JSON Schema's `pattern` and
//! `patternProperties`, and the YAML writer's implicit resolvers all run on it.
//!
//! NodeTool's regex nodes take Python patterns, and Rust's regex crates differ from them in
//! syntax (lookaround, backreferences, conditionals, atomic groups), in Unicode classes (`\w`,
//! `\d`), in how empty matches are iterated, and in replacement templates. This is a
//! backtracking matcher that follows `sre` instruction for instruction where it matters:
//! leftmost-first alternation, greedy/lazy/possessive repeats with sre's empty-iteration rule,
//! and Python's error messages. It never recurses on the text and counts its steps, so a
//! pathological pattern fails with a message instead of hanging the run.
//!
//! The parser (`parser`, with `escapes` and `groups`) builds a syntax tree (`syntax`) as
//! `re._parser` does; the compiler turns it into a program (`program`); the matcher (`matcher`
//! and its loop, `run`) runs the program over the text within a step budget (`limits`).
//! `chars` holds Python's character rules, which the text nodes share.

mod chars;
mod compiler;
mod escapes;
mod flags;
mod groups;
mod limits;
mod matcher;
mod parser;
mod program;
mod regex;
mod run;
mod syntax;
mod template;

pub(crate) use chars::{py_decimal, py_int, py_trim};
pub(crate) use flags::{DOTALL, IGNORECASE, MULTILINE};
pub(crate) use limits::Budget;
pub(crate) use regex::{Mode, Regex};
