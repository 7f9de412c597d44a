//! `lib.markdown.*`: links, headers, lists, code blocks and tables found in Markdown text by
//! NodeTool's line patterns; and the `lib.beautifulsoup.*` nodes that read HTML text (links,
//! metadata, media sources, readable text) and split URLs.
//!
//! The HTML nodes parse with a small tokenizer and tree builder written here to behave like
//! BeautifulSoup over Python's `html.parser` (the parser NodeTool uses): the same tag and
//! attribute rules, entity decoding, whitespace-only strings collapsed to one character, and
//! the text of `script`, `style`, `template`, `rt` and `rp` left out of `get_text()`. Named
//! references cover HTML 4's names (others stay as written). It fails only where Python's
//! parser rejects the markup, or past its bounds (nodes, and rescanning of broken tags); it
//! walks the tree without recursion.
//!
//! The tokenizer (`tokenizer`, with `tags`) feeds a tree builder (`tree`); `entities` decodes
//! character references, `url` joins URLs as `urllib.parse` does, and the nodes are in
//! `markdown`, `extract` (links, media, metadata) and `text` (readable text).

mod entities;
mod extract;
mod markdown;
mod pytext;
mod tags;
mod text;
mod tokenizer;
mod tree;
mod url;

use extract::{base_url, html_audio, html_images, html_links, html_metadata, html_videos};
use markdown::{
    md_bullet_lists, md_code_blocks, md_headers, md_links, md_numbered_lists, md_tables,
};
use text::{html_to_text, website_content};

use super::spec::{Family, Prop, Spec, op};
use crate::graph::value::Kind;

const MARKDOWN: &[Prop] = &[("markdown", Kind::Str, "\"\"")];
const HTML_AND_BASE: &[Prop] = &[("html", Kind::Str, "\"\""), ("base_url", Kind::Str, "\"\"")];

pub(crate) const FAMILY: Family = Family {
    // Both namespaces have an `ExtractLinks` with its own meaning, so the family answers to
    // `lib.` and each name carries its namespace.
    prefixes: &["lib."],
    nodes: &[
        (
            "markdown.ExtractLinks",
            op(
                md_links,
                &[
                    ("markdown", Kind::Str, "\"\""),
                    ("include_titles", Kind::Bool, "true"),
                ],
            ),
        ),
        (
            "markdown.ExtractHeaders",
            op(
                md_headers,
                &[
                    ("markdown", Kind::Str, "\"\""),
                    ("max_level", Kind::Int, "6"),
                ],
            ),
        ),
        ("markdown.ExtractBulletLists", op(md_bullet_lists, MARKDOWN)),
        (
            "markdown.ExtractNumberedLists",
            op(md_numbered_lists, MARKDOWN),
        ),
        ("markdown.ExtractCodeBlocks", op(md_code_blocks, MARKDOWN)),
        ("markdown.ExtractTables", op(md_tables, MARKDOWN)),
        (
            "beautifulsoup.BaseUrl",
            op(base_url, &[("url", Kind::Str, "\"\"")]),
        ),
        // The extractors below stream in NodeTool: one value per found item on each handle.
        (
            "beautifulsoup.ExtractLinks",
            Spec {
                outputs: &["href", "text", "type"],
                ..op(html_links, HTML_AND_BASE)
            },
        ),
        (
            "beautifulsoup.ExtractImages",
            Spec {
                outputs: &["image"],
                ..op(html_images, HTML_AND_BASE)
            },
        ),
        (
            "beautifulsoup.ExtractVideos",
            Spec {
                outputs: &["video"],
                ..op(html_videos, HTML_AND_BASE)
            },
        ),
        (
            "beautifulsoup.ExtractAudio",
            Spec {
                outputs: &["audio"],
                ..op(html_audio, HTML_AND_BASE)
            },
        ),
        (
            "beautifulsoup.ExtractMetadata",
            Spec {
                outputs: &["title", "description", "keywords"],
                ..op(html_metadata, &[("html", Kind::Str, "\"\"")])
            },
        ),
        (
            "beautifulsoup.WebsiteContentExtractor",
            op(website_content, &[("html_content", Kind::Str, "\"\"")]),
        ),
        (
            "beautifulsoup.HTMLToText",
            op(
                html_to_text,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("preserve_linebreaks", Kind::Bool, "true"),
                ],
            ),
        ),
    ],
};
