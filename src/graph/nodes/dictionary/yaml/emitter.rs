//! The YAML emitter's state and the writing, indentation and indicators every node shares.

use crate::graph::value::too_long;

const BEST_INDENT: usize = 2;
pub(super) const BEST_WIDTH: usize = 80;

#[derive(Clone, Copy, Default)]
pub(super) struct Ctx {
    pub(super) mapping: bool,
    pub(super) simple_key: bool,
}

pub(super) struct Emitter {
    pub(super) out: String,
    pub(super) max: usize,
    pub(super) column: usize,
    pub(super) whitespace: bool,
    pub(super) indention: bool,
    pub(super) indent: Option<usize>,
    pub(super) indents: Vec<Option<usize>>,
}

impl Emitter {
    pub(super) fn write(&mut self, s: &str) -> Result<(), String> {
        too_long(self.out.len() + s.len(), self.max)?;
        self.out.push_str(s);
        self.column += s.chars().count();
        Ok(())
    }

    pub(super) fn write_chars(&mut self, s: &[char]) -> Result<(), String> {
        let text: String = s.iter().collect();
        self.write(&text)
    }

    pub(super) fn line_break(&mut self, text: &str) -> Result<(), String> {
        self.whitespace = true;
        self.indention = true;
        self.write(text)?;
        self.column = 0;
        Ok(())
    }

    pub(super) fn write_indent(&mut self) -> Result<(), String> {
        let indent = self.indent.unwrap_or(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.line_break("\n")?;
        }
        if self.column < indent {
            self.whitespace = true;
            let pad = " ".repeat(indent - self.column);
            self.write(&pad)?;
        }
        Ok(())
    }

    pub(super) fn write_indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        whitespace: bool,
        indention: bool,
    ) -> Result<(), String> {
        let data = if self.whitespace || !need_whitespace {
            indicator.to_string()
        } else {
            format!(" {indicator}")
        };
        self.whitespace = whitespace;
        self.indention = self.indention && indention;
        self.write(&data)
    }

    pub(super) fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        self.indent = match self.indent {
            None => Some(if flow { BEST_INDENT } else { 0 }),
            Some(i) if !indentless => Some(i + BEST_INDENT),
            same => same,
        };
    }

    pub(super) fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or_default();
    }
}
