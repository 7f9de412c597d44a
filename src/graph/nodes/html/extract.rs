//! The BeautifulSoup extractors: a URL's base, and a page's links, images, videos, audio and
//! metadata, streamed one item at a time as NodeTool streams them.

use serde_json::{Map, Value, json};

use super::pytext::{py_strip, too_many};
use super::tokenizer::parse;
use super::tree::text_offsets;
use super::url::{urljoin, urlparse};
use crate::graph::nodes::spec::{Emitted, Props, one};
use crate::graph::value::too_long;

/// `scheme://netloc` of a URL.
pub(super) fn base_url(p: &Props) -> Result<Emitted, String> {
    let url = p.str("url");
    if url.is_empty() {
        return Err("URL must not be empty".into());
    }
    let u = urlparse(url, "")?;
    one(Value::String(format!("{}://{}", u.scheme, u.netloc)))
}

/// NodeTool's empty media reference with a URI.
fn media_ref(kind: &str, uri: String) -> Value {
    let mut r = Map::new();
    r.insert("type".into(), json!(kind));
    r.insert("uri".into(), Value::String(uri));
    for key in ["asset_id", "data", "metadata"] {
        r.insert(key.into(), Value::Null);
    }
    if kind == "video" {
        r.insert("duration".into(), Value::Null);
        r.insert("format".into(), Value::Null);
    }
    Value::Object(r)
}

/// Counts what a streaming node emits: items and text, against the result limits. The text
/// budget is twice the longest value, since links' texts may nest and repeat.
struct Stream {
    out: Emitted,
    items: usize,
    bytes: usize,
    max_bytes: usize,
}

impl Stream {
    fn new(p: &Props) -> Self {
        Stream {
            out: Vec::new(),
            items: 0,
            bytes: 0,
            max_bytes: p.max_len.saturating_mul(2),
        }
    }

    /// Reserves `len` more bytes of output text.
    fn reserve(&mut self, len: usize) -> Result<(), String> {
        self.bytes = self.bytes.saturating_add(len);
        too_long(self.bytes, self.max_bytes)
    }

    fn item(&mut self, values: Vec<(&'static str, Value)>) -> Result<(), String> {
        self.items += 1;
        too_many(self.items)?;
        self.out.extend(values);
        Ok(())
    }
}

/// Every `<a>` with an `href`: the link, its stripped text, and whether it is internal (it
/// starts with the base URL, or with `/`). With no base URL every link counts as internal.
pub(super) fn html_links(p: &Props) -> Result<Emitted, String> {
    let doc = parse(p.str("html"))?;
    let base = p.str("base_url");
    let offsets = text_offsets(&doc);
    let mut out = Stream::new(p);
    for a in doc.elements(&["a"]) {
        let Some(href) = doc.attr(a, "href") else {
            continue;
        };
        out.reserve(href.len() + offsets[doc.nodes[a].end] - offsets[a + 1])?;
        let text = doc.text(a, &[]);
        let kind = if href.starts_with(base) || href.starts_with('/') {
            "internal"
        } else {
            "external"
        };
        out.item(vec![
            ("href", json!(href)),
            ("text", json!(py_strip(&text))),
            ("type", json!(kind)),
        ])?;
    }
    Ok(out.out)
}

/// Streams a media reference for each source found, resolved against the base URL.
fn media_refs(
    p: &Props,
    kind: &'static str,
    sources: impl Iterator<Item = String>,
) -> Result<Emitted, String> {
    let base = p.str("base_url");
    let mut out = Stream::new(p);
    for src in sources {
        out.reserve(base.len() + src.len())?;
        let uri = urljoin(base, &src)?;
        out.item(vec![(kind, media_ref(kind, uri))])?;
    }
    Ok(out.out)
}

/// Every `<img>`. NodeTool's loop reuses the previous image's URL for an `<img>` without a
/// `src`, and fails on one that comes first; so does this.
pub(super) fn html_images(p: &Props) -> Result<Emitted, String> {
    let doc = parse(p.str("html"))?;
    let base = p.str("base_url");
    let mut out = Stream::new(p);
    let mut last: Option<String> = None;
    for img in doc.elements(&["img"]) {
        if let Some(src) = doc.attr(img, "src").filter(|s| !s.is_empty()) {
            out.reserve(base.len() + src.len())?;
            last = Some(urljoin(base, src)?);
        }
        let Some(uri) = &last else {
            return Err(
                "cannot access local variable 'full_url' where it is not associated with a value"
                    .into(),
            );
        };
        out.reserve(uri.len())?;
        out.item(vec![("image", media_ref("image", uri.clone()))])?;
    }
    Ok(out.out)
}

/// `<video>` (its `src`, else its first `<source>`'s) and `<iframe>` sources.
pub(super) fn html_videos(p: &Props) -> Result<Emitted, String> {
    let doc = parse(p.str("html"))?;
    let sources: Vec<usize> = doc.elements(&["source"]).collect();
    let found = doc.elements(&["video", "iframe"]).filter_map(|v| {
        let own = doc.attr(v, "src").filter(|s| !s.is_empty());
        let src = if doc.name(v) == Some("video") {
            // The first `<source>` anywhere inside the video.
            own.or_else(|| {
                let k = sources.partition_point(|&s| s <= v);
                sources
                    .get(k)
                    .filter(|&&s| s < doc.nodes[v].end)
                    .and_then(|&s| doc.attr(s, "src"))
            })
        } else {
            own
        };
        src.filter(|s| !s.is_empty()).map(str::to_string)
    });
    let found: Vec<String> = found.collect();
    media_refs(p, "video", found.into_iter())
}

/// `<audio>` and `<source>` sources (a video's `<source>` too, as in NodeTool).
pub(super) fn html_audio(p: &Props) -> Result<Emitted, String> {
    let doc = parse(p.str("html"))?;
    let found: Vec<String> = doc
        .elements(&["audio", "source"])
        .filter_map(|a| doc.attr(a, "src").filter(|s| !s.is_empty()))
        .map(str::to_string)
        .collect();
    media_refs(p, "audio", found.into_iter())
}

/// The first `<title>`'s string, and the `content` of the first `<meta name="description">`
/// and `<meta name="keywords">`; `null` for what is missing.
pub(super) fn html_metadata(p: &Props) -> Result<Emitted, String> {
    let doc = parse(p.str("html"))?;
    let title = doc
        .elements(&["title"])
        .next()
        .and_then(|t| doc.string(t))
        .map_or(Value::Null, |s| json!(s));
    let meta = |name: &str| -> Result<Value, String> {
        let Some(m) = doc
            .elements(&["meta"])
            .find(|&m| doc.attr(m, "name") == Some(name))
        else {
            return Ok(Value::Null);
        };
        // Python's `tag["content"]` on a tag without one raises KeyError('content').
        doc.attr(m, "content")
            .map(|c| json!(c))
            .ok_or_else(|| "'content'".to_string())
    };
    Ok(vec![
        ("title", title),
        ("description", meta("description")?),
        ("keywords", meta("keywords")?),
    ])
}
