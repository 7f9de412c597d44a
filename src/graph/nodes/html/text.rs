//! A page's readable text: the main content (WebsiteContentExtractor) and the whole page with
//! or without its line breaks (HTMLToText).

use serde_json::{Value, json};

use super::pytext::{py_space, py_strip};
use super::tokenizer::parse;
use super::tree::{Data, Doc, Strand};
use crate::graph::nodes::spec::{Emitted, Props, one};
use crate::graph::value::too_long;

/// The main content's text with whitespace runs made single spaces: the first `<article>`,
/// else `<main>`, else a `<div>` whose id or class mentions "content", else `<body>`, without
/// its nav, sidebar, footer and header elements.
pub(super) fn website_content(p: &Props) -> Result<Emitted, String> {
    let doc = parse(p.str("html_content"))?;
    let div_with = |attr: &str| {
        doc.select_first(|d| {
            doc.name(d) == Some("div") && doc.attr(d, attr).is_some_and(|v| v.contains("content"))
        })
    };
    let main = doc
        .select_first(|d| doc.name(d) == Some("article"))
        .or_else(|| doc.select_first(|d| doc.name(d) == Some("main")))
        .or_else(|| div_with("id"))
        .or_else(|| div_with("class"))
        // `soup.body` is a plain search, which does look inside templates.
        .or_else(|| doc.elements(&["body"]).next());
    let Some(main) = main else {
        return one(json!("No main content found"));
    };
    let text = doc.text(main, &["nav", "sidebar", "footer", "header"]);
    let mut clean = String::with_capacity(text.len());
    for word in text.split(py_space).filter(|w| !w.is_empty()) {
        if !clean.is_empty() {
            clean.push(' ');
        }
        clean.push_str(word);
    }
    too_long(clean.len(), p.max_len)?;
    one(Value::String(clean))
}

/// The page's text: with line breaks kept, each `<br>` is a newline and each paragraph, div,
/// heading and list item ends with one; blank lines then shrink to one empty line and runs of
/// spaces to one.
pub(super) fn html_to_text(p: &Props) -> Result<Emitted, String> {
    let doc = parse(p.str("text"))?;
    // The page's text plus a newline per block: no longer than the page and its node count.
    let text = if p.bool("preserve_linebreaks") {
        lines_text(&doc)
    } else {
        doc.text(0, &[])
    };
    let text = collapse_spaces(&collapse_blank_lines(&text));
    let text = py_strip(&text);
    too_long(text.len(), p.max_len)?;
    one(Value::String(text.to_string()))
}

const BLOCKS: &[&str] = &["p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li"];

/// `get_text()` after NodeTool's edits: `<br>` replaced by a newline, one appended to blocks.
fn lines_text(doc: &Doc) -> String {
    let mut out = String::new();
    let mut open_blocks: Vec<usize> = Vec::new();
    let close_until = |j: usize, out: &mut String, open_blocks: &mut Vec<usize>| {
        while open_blocks.last().is_some_and(|&end| end <= j) {
            open_blocks.pop();
            out.push('\n');
        }
    };
    for j in 1..doc.nodes.len() {
        close_until(j, &mut out, &mut open_blocks);
        match &doc.nodes[j].data {
            Data::Element { name, .. } if name == "br" => out.push('\n'),
            Data::Element { name, .. } if BLOCKS.contains(&name.as_str()) => {
                open_blocks.push(doc.nodes[j].end)
            }
            Data::Text(s, Strand::Text) => out.push_str(s),
            _ => {}
        }
    }
    close_until(usize::MAX, &mut out, &mut open_blocks);
    out
}

/// `re.sub(r"\n\s*\n", "\n\n", text)`: a whitespace run holding two newlines or more becomes
/// one blank line, keeping what follows its last newline.
fn collapse_blank_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(nl) = rest.find('\n') {
        out.push_str(&rest[..nl]);
        let after = &rest[nl + 1..];
        let run = after.len() - after.trim_start_matches(py_space).len();
        match after[..run].rfind('\n') {
            Some(last) => {
                out.push_str("\n\n");
                rest = &after[last + 1..];
            }
            None => {
                out.push('\n');
                out.push_str(&after[..run]);
                rest = &after[run..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `re.sub(r" +", " ", text)`
fn collapse_spaces(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut prev_space = false;
    for c in text.chars() {
        if c == ' ' && prev_space {
            continue;
        }
        prev_space = c == ' ';
        out.push(c);
    }
    out
}
