//! The document tree, and the builder that makes it from parser events as BeautifulSoup does.

use std::collections::HashMap;

/// Most nodes (tags and strings) one page may have; about 60 MB of tree at most.
const MAX_NODES: usize = 500_000;

/// What kind of string a text node is, which decides whether `get_text()` reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Strand {
    /// Ordinary text and CDATA sections: the readable text.
    Text,
    /// Text inside `script`, `style`, `template`, `rt` or `rp`.
    Hidden,
    /// Comments, the doctype, declarations and processing instructions.
    Markup,
}

#[derive(Debug)]
pub(super) enum Data {
    Element {
        name: String,
        attrs: Vec<(String, String)>,
    },
    Text(String, Strand),
}

/// Nodes sit in document order, so an element's descendants are exactly the nodes after it
/// up to its `end`.
#[derive(Debug)]
pub(super) struct Node {
    pub(super) data: Data,
    pub(super) end: usize,
}

#[derive(Debug)]
pub(super) struct Doc {
    pub(super) nodes: Vec<Node>,
}

impl Doc {
    pub(super) fn name(&self, i: usize) -> Option<&str> {
        match &self.nodes[i].data {
            Data::Element { name, .. } => Some(name),
            Data::Text(..) => None,
        }
    }

    /// An attribute's value (`""` for one written without a value).
    pub(super) fn attr(&self, i: usize, key: &str) -> Option<&str> {
        match &self.nodes[i].data {
            Data::Element { attrs, .. } => attrs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str()),
            Data::Text(..) => None,
        }
    }

    /// Elements with one of `names`, in document order.
    pub(super) fn elements<'a>(&'a self, names: &'a [&str]) -> impl Iterator<Item = usize> + 'a {
        (0..self.nodes.len()).filter(|&i| self.name(i).is_some_and(|n| names.contains(&n)))
    }

    /// The first element matching `pred` as a CSS selector finds it: not looking inside
    /// `<template>` elements, whose contents are not part of the document.
    pub(super) fn select_first(&self, pred: impl Fn(usize) -> bool) -> Option<usize> {
        let mut j = 1;
        while j < self.nodes.len() {
            if self.name(j).is_some() && pred(j) {
                return Some(j);
            }
            j = if self.name(j) == Some("template") {
                self.nodes[j].end
            } else {
                j + 1
            };
        }
        None
    }

    /// Visits the nodes below `root` in order; `visit` says whether to enter a node's subtree.
    fn walk(&self, root: usize, mut visit: impl FnMut(usize) -> bool) {
        let mut j = root + 1;
        while j < self.nodes[root].end {
            j = if visit(j) { j + 1 } else { self.nodes[j].end };
        }
    }

    /// `get_text()` of `root`, leaving out the subtrees `skip` names.
    pub(super) fn text(&self, root: usize, skip: &[&str]) -> String {
        let mut out = String::new();
        self.walk(root, |j| match &self.nodes[j].data {
            Data::Text(s, Strand::Text) => {
                out.push_str(s);
                false
            }
            Data::Text(..) => false,
            Data::Element { name, .. } => !skip.contains(&name.as_str()),
        });
        out
    }

    /// BeautifulSoup's `.string`: the one string a node holds, looking through elements with a
    /// single child; `None` when there are several children or none.
    pub(super) fn string(&self, mut i: usize) -> Option<&str> {
        loop {
            match &self.nodes[i].data {
                Data::Text(s, _) => return Some(s),
                Data::Element { .. } => {
                    let child = i + 1;
                    if child >= self.nodes[i].end || self.nodes[child].end != self.nodes[i].end {
                        return None;
                    }
                    i = child;
                }
            }
        }
    }
}

/// Bytes of readable text before each node, so any subtree's text length is one subtraction.
pub(super) fn text_offsets(doc: &Doc) -> Vec<usize> {
    let mut sums = Vec::with_capacity(doc.nodes.len() + 1);
    let mut total = 0usize;
    sums.push(0);
    for n in &doc.nodes {
        if let Data::Text(s, Strand::Text) = &n.data {
            total += s.len();
        }
        sums.push(total);
    }
    sums
}

/// Tags closed as soon as they open (HTML's void elements, as BeautifulSoup lists them).
const VOID: &[&str] = &[
    "area", "base", "basefont", "bgsound", "br", "col", "command", "embed", "frame", "hr", "image",
    "img", "input", "isindex", "keygen", "link", "menuitem", "meta", "nextid", "param", "source",
    "spacer", "track", "wbr",
];

/// Builds the tree from parser events as BeautifulSoup does: no implied end tags, an end tag
/// closes everything opened after its most recent match, an unmatched one is ignored.
pub(super) struct Builder {
    nodes: Vec<Node>,
    stack: Vec<usize>,
    open: HashMap<String, usize>,
    /// Open `pre`/`textarea` elements, inside which whitespace-only strings stay as they are.
    preserving: usize,
    /// Open `script`/`style`/`template`/`rt`/`rp` elements, whose strings are hidden.
    hiding: Vec<usize>,
    pending: Option<String>,
    /// Void elements already closed, whose explicit end tag is then ignored once.
    closed_void: Vec<String>,
    pub(super) full: bool,
}

impl Builder {
    pub(super) fn new() -> Self {
        let root = Node {
            data: Data::Element {
                name: "[document]".into(),
                attrs: Vec::new(),
            },
            end: 1,
        };
        Builder {
            nodes: vec![root],
            stack: vec![0],
            open: HashMap::new(),
            preserving: 0,
            hiding: Vec::new(),
            pending: None,
            closed_void: Vec::new(),
            full: false,
        }
    }

    fn add(&mut self, data: Data) -> Option<usize> {
        if self.nodes.len() >= MAX_NODES {
            self.full = true;
            return None;
        }
        let i = self.nodes.len();
        self.nodes.push(Node { data, end: i + 1 });
        Some(i)
    }

    pub(super) fn data(&mut self, s: &str) {
        self.pending.get_or_insert_with(String::new).push_str(s);
    }

    /// Ends the current run of text: one string, whitespace-only ones shrunk to a newline or a
    /// space, of the given kind or else of its surroundings.
    fn end_data(&mut self, kind: Option<Strand>) {
        let Some(mut s) = self.pending.take() else {
            return;
        };
        let blank = s
            .bytes()
            .all(|b| matches!(b, b' ' | b'\n' | b'\t' | 0x0c | b'\r'));
        if self.preserving == 0 && blank {
            s = if s.contains('\n') { "\n" } else { " " }.to_string();
        }
        let kind = kind.unwrap_or(if self.hiding.is_empty() {
            Strand::Text
        } else {
            Strand::Hidden
        });
        self.add(Data::Text(s, kind));
    }

    pub(super) fn marked(&mut self, s: &str, kind: Strand) {
        self.end_data(None);
        self.data(s);
        self.end_data(Some(kind));
    }

    pub(super) fn start_tag(
        &mut self,
        name: String,
        attrs: Vec<(String, String)>,
        self_closing: bool,
    ) {
        self.end_data(None);
        let void = VOID.contains(&name.as_str());
        let Some(i) = self.add(Data::Element {
            name: name.clone(),
            attrs,
        }) else {
            return;
        };
        self.stack.push(i);
        if matches!(name.as_str(), "pre" | "textarea") {
            self.preserving += 1;
        }
        if matches!(name.as_str(), "script" | "style" | "template" | "rt" | "rp") {
            self.hiding.push(i);
        }
        *self.open.entry(name.clone()).or_default() += 1;
        if self_closing {
            self.close(&name);
        } else if void {
            self.close(&name);
            self.closed_void.push(name);
        }
    }

    pub(super) fn end_tag(&mut self, name: &str) {
        match self.closed_void.iter().position(|n| n == name) {
            Some(k) => {
                self.closed_void.remove(k);
            }
            None => self.close(name),
        }
    }

    /// Pops up to and including the most recent open element named `name`, if there is one.
    fn close(&mut self, name: &str) {
        self.end_data(None);
        while self.stack.len() > 1 && self.open.get(name).is_some_and(|n| *n > 0) {
            let top = self.pop();
            if top == name {
                break;
            }
        }
    }

    fn pop(&mut self) -> String {
        let Some(i) = self.stack.pop() else {
            return String::new();
        };
        self.nodes[i].end = self.nodes.len();
        if self.hiding.last() == Some(&i) {
            self.hiding.pop();
        }
        let name = match &self.nodes[i].data {
            Data::Element { name, .. } => name.clone(),
            Data::Text(..) => String::new(),
        };
        if matches!(name.as_str(), "pre" | "textarea") {
            self.preserving = self.preserving.saturating_sub(1);
        }
        if let Some(n) = self.open.get_mut(&name) {
            *n = n.saturating_sub(1);
        }
        name
    }

    pub(super) fn finish(mut self) -> Result<Doc, String> {
        self.end_data(None);
        while self.stack.len() > 1 {
            self.pop();
        }
        if self.full {
            return Err(format!(
                "the HTML has more than {MAX_NODES} tags and text pieces; pass a smaller part of it"
            ));
        }
        self.nodes[0].end = self.nodes.len();
        Ok(Doc { nodes: self.nodes })
    }
}
