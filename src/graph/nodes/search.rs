//! NodeTool's search nodes (`search.*`), which call SerpApi (`GET /search.json?engine=...`)
//! with the caller's `SERPAPI_API_KEY`. Each node is an [`Engine`]: a request builder that
//! checks the properties as NodeTool does and sends the parameters NodeTool's SerpApi provider
//! sends, and a shaper that turns the answer into NodeTool's outputs and numbered text.
//! `graph::effects::search` makes the call.
//!
//! Two kinds of request exist in NodeTool: the provider's dedicated methods (Google Search,
//! News, Images, ...), each with its own fixed parameters, and the generic one, which adds
//! `hl=en` and `gl=us` unless the node set them. Results are cut to `num_results` only where
//! NodeTool cuts them; elsewhere `num_results` is only what is asked of SerpApi.

use serde_json::{Map, Value, json};

pub use super::serp::{Args, Engine, Query, Shaped};
use super::spec::{Behaviour, Effect, Family, Prop, Spec};
use crate::graph::value::{Kind, as_num, py_float, py_repr, py_str, truthy, type_name};

// ---- outputs ----

/// `output` is the older single output (the results list) of Google and DuckDuckGo Search,
/// which NodeTool's examples still wire (Competitive Analysis); it is kept on those two.
const RESULTS_TEXT_OUTPUT: &[&str] = &["results", "text", "output"];
const RESULTS_TEXT: &[&str] = &["results", "text"];
const OUTPUT: &[&str] = &["output"];

const fn node(props: &'static [Prop], engine: &'static Engine) -> Spec {
    Spec {
        behaviour: Behaviour::Effect(Effect::Search(engine)),
        props,
        outputs: engine.outputs,
        dynamic: false,
    }
}

const fn engine(
    name: &'static str,
    outputs: &'static [&'static str],
    request: fn(&Args) -> Result<Query, String>,
    shape: fn(&Args, Value) -> Shaped,
) -> Engine {
    Engine {
        engine: name,
        outputs,
        request,
        shape,
    }
}

// ---- requests ----

/// A request being built. Setting a parameter twice keeps its first place, as a Python dict
/// does, so the order is NodeTool's.
struct Request(Query);

impl Request {
    fn new(engine: &'static str) -> Self {
        Request(vec![("engine", engine.to_string())])
    }

    fn set(mut self, key: &'static str, value: impl Into<String>) -> Self {
        let value = value.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key, value)),
        }
        self
    }

    fn set_if(self, cond: bool, key: &'static str, value: impl Into<String>) -> Self {
        if cond { self.set(key, value) } else { self }
    }

    /// Sets a text property's value unless it is empty.
    fn text(self, key: &'static str, a: &Args, prop: &str) -> Self {
        let v = a.str(prop);
        self.set_if(!v.is_empty(), key, v)
    }

    fn remove(mut self, key: &str) -> Self {
        self.0.retain(|(k, _)| *k != key);
        self
    }

    /// The provider's own methods send exactly what they set.
    fn sent(self) -> Result<Query, String> {
        Ok(self.0)
    }

    /// The provider's generic method: language and country default to English and the US.
    fn raw(self) -> Result<Query, String> {
        let mut q = self.0;
        for (k, v) in [("hl", "en"), ("gl", "us")] {
            if !q.iter().any(|(key, _)| *key == k) {
                q.push((k, v.to_string()));
            }
        }
        Ok(q)
    }
}

fn need(ok: bool, message: &str) -> Result<(), String> {
    if ok { Ok(()) } else { Err(message.to_string()) }
}

/// An optional number (`float | None`) as Python writes it into a query (`10.0`).
fn opt_float(a: &Args, name: &str) -> Result<Option<String>, String> {
    match a.get(name) {
        Value::Null => Ok(None),
        v => as_num(v)
            .map(|n| Some(py_float(n.as_f64())))
            .ok_or_else(|| format!("property '{name}' must be a number, got {}", type_name(v))),
    }
}

/// An enumerated property's value, or the error NodeTool gives when converting another one.
fn choice<'a>(a: &'a Args, name: &str, options: &[&str], class: &str) -> Result<&'a str, String> {
    let v = a.str(name);
    if options.contains(&v) {
        return Ok(v);
    }
    let shown = py_repr(a.get(name));
    let shown: String = if shown.chars().count() > 200 {
        shown.chars().take(200).chain("...".chars()).collect()
    } else {
        shown
    };
    Err(format!(
        "Error converting value for property `{name}`: {shown} is not a valid {class}"
    ))
}

// ---- answers ----

/// Keys NodeTool drops from every answer, at any depth, with text values that are data URIs.
const INLINE_IMAGE_KEYS: &[&str] = &["image", "image_alt", "image_base64", "image_url"];

/// SerpApi's answer as NodeTool accepts it: an `error` in it becomes the node's error (its
/// text as is), a search whose status is `Error` fails, and inline images are removed.
pub fn accept(answer: Value) -> Result<Value, String> {
    if let Some(e) = answer.get("error") {
        let text = py_str(e);
        return Err(if text.is_empty() {
            "SerpApi returned an error".to_string()
        } else {
            text
        });
    }
    let status = answer.get("search_metadata").and_then(|m| m.get("status"));
    if status.and_then(Value::as_str) == Some("Error") {
        let shown = py_str(&answer);
        let shown: String = if shown.chars().count() > 1000 {
            shown.chars().take(1000).chain("...".chars()).collect()
        } else {
            shown
        };
        return Err(format!("SerpApi returned an error: {shown}"));
    }
    Ok(without_inline_images(answer))
}

/// Removes image keys and data-URI texts from every object in `v` (lists keep their items).
pub fn without_inline_images(mut v: Value) -> Value {
    let mut stack: Vec<&mut Value> = vec![&mut v];
    while let Some(node) = stack.pop() {
        match node {
            Value::Object(map) => {
                map.retain(|k, v| {
                    !INLINE_IMAGE_KEYS.contains(&k.as_str())
                        && !v.as_str().is_some_and(|s| s.starts_with("data:"))
                });
                stack.extend(map.values_mut());
            }
            Value::Array(items) => stack.extend(items.iter_mut()),
            _ => {}
        }
    }
    v
}

/// The list under `key` (none when it is missing or not a list).
fn take_list(answer: &mut Value, key: &str) -> Vec<Value> {
    match answer.get_mut(key).map(Value::take) {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    }
}

/// Python's `items[:n]`: a negative `n` drops that many from the end.
fn head(mut items: Vec<Value>, n: i64) -> Vec<Value> {
    let len = items.len() as i64;
    let keep = if n >= 0 { n.min(len) } else { (len + n).max(0) };
    items.truncate(keep as usize);
    items
}

fn results_text(results: Vec<Value>, text: String) -> Shaped {
    vec![("results", Value::Array(results)), ("text", json!(text))]
}

/// NodeTool's `ImageRef` for an image at `uri`.
fn image_ref(uri: &str) -> Value {
    json!({"type": "image", "uri": uri, "asset_id": null, "data": null, "metadata": null})
}

/// `answer[key]` when present (even null), else the whole answer.
fn part_or_whole(mut answer: Value, key: &str) -> Value {
    match answer.as_object_mut().and_then(|m| m.remove(key)) {
        Some(part) => part,
        None => answer,
    }
}

// ---- text ----

/// `r[key]` when it is truthy (Python's `if r.get(key):`).
fn set<'a>(r: &'a Value, key: &str) -> Option<&'a Value> {
    r.get(key).filter(|v| truthy(v))
}

/// `r[key]` when present and not null (Python's `if r.get(key) is not None:`).
fn known<'a>(r: &'a Value, key: &str) -> Option<&'a Value> {
    r.get(key).filter(|v| !v.is_null())
}

/// Python's `r.get(key, default)` as text.
fn or(r: &Value, key: &str, default: &str) -> String {
    r.get(key).map_or_else(|| default.to_string(), py_str)
}

/// `[position] title`, the first line of each result.
fn heading(r: &Value, i: usize) -> String {
    let pos = r
        .get("position")
        .map_or_else(|| (i + 1).to_string(), py_str);
    format!("[{pos}] {}", or(r, "title", "Untitled"))
}

/// `    Rating: 4.5 (120 reviews)`, when the result has a rating.
fn rating_line(r: &Value) -> Option<String> {
    let rating = known(r, "rating")?;
    let mut line = format!("    Rating: {}", py_str(rating));
    if let Some(reviews) = known(r, "reviews") {
        line.push_str(&format!(" ({} reviews)", py_str(reviews)));
    }
    Some(line)
}

/// Python's `text[:n]`, by characters; other values as they print.
fn first_chars(v: &Value, n: usize) -> String {
    match v {
        Value::String(s) => s.chars().take(n).collect(),
        other => py_str(other),
    }
}

/// The items Python's `', '.join(str(t) for t in v)` walks: a list's items, a text's
/// characters, an object's keys.
fn joined(v: &Value) -> String {
    let parts: Vec<String> = match v {
        Value::Array(items) => items.iter().map(py_str).collect(),
        Value::String(s) => s.chars().map(String::from).collect(),
        Value::Object(m) => m.keys().cloned().collect(),
        other => vec![py_str(other)],
    };
    parts.join(", ")
}

/// Python's `f"{n:,}"`: digits grouped by thousands.
fn thousands(v: &Value) -> String {
    fn group(digits: &str) -> String {
        let (sign, digits) = match digits.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", digits),
        };
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        format!("{sign}{out}")
    }
    match v {
        Value::Bool(b) => (*b as i64).to_string(),
        Value::Number(n) if n.is_i64() || n.is_u64() => group(&n.to_string()),
        Value::Number(n) => {
            let s = py_float(n.as_f64().unwrap_or_default());
            match s.split_once('.') {
                Some((int, frac)) if !s.contains('e') => format!("{}.{frac}", group(int)),
                _ => s,
            }
        }
        other => py_str(other),
    }
}

/// NodeTool's numbered text of search results: `[position] title`, then each field that is
/// set, under its label or bare, then a blank line.
pub fn format_results(results: &[Value], fields: &[(&str, &str)]) -> String {
    let mut lines = Vec::new();
    for (i, r) in results.iter().enumerate() {
        lines.push(heading(r, i));
        for (key, label) in fields {
            if let Some(v) = set(r, key) {
                if label.is_empty() {
                    lines.push(format!("    {}", py_str(v)));
                } else {
                    lines.push(format!("    {label}: {}", py_str(v)));
                }
            }
        }
        lines.push(String::new());
    }
    lines.join("\n")
}

/// A shaper for nodes whose text is [`format_results`] over one list of the answer.
macro_rules! listed {
    ($name:ident, $key:literal, $fields:expr, cut) => {
        fn $name(a: &Args, mut answer: Value) -> Shaped {
            let results = head(take_list(&mut answer, $key), a.int("num_results"));
            let text = format_results(&results, $fields);
            results_text(results, text)
        }
    };
    ($name:ident, $key:literal, $fields:expr) => {
        fn $name(_: &Args, mut answer: Value) -> Shaped {
            let results = take_list(&mut answer, $key);
            let text = format_results(&results, $fields);
            results_text(results, text)
        }
    };
}

/// A request for nodes that send one required text property as one parameter, with
/// `num_results` as another (or not at all), through the generic method.
macro_rules! query_raw {
    ($name:ident, $engine:literal, $q:literal $(, $num:literal)?) => {
        fn $name(a: &Args) -> Result<Query, String> {
            need(!a.str("query").is_empty(), "Query is required")?;
            Request::new($engine)
                .set($q, a.str("query"))
                $(.set($num, a.int("num_results").to_string()))?
                .raw()
        }
    };
}

fn whole(_: &Args, answer: Value) -> Shaped {
    vec![("output", answer)]
}

fn product_result(_: &Args, answer: Value) -> Shaped {
    vec![("output", part_or_whole(answer, "product_result"))]
}

// ---- search.google ----

const KEYWORD_NUM: &[Prop] = &[
    ("keyword", Kind::Str, "\"\""),
    ("num_results", Kind::Int, "10"),
];
const QUERY_NUM: &[Prop] = &[
    ("query", Kind::Str, "\"\""),
    ("num_results", Kind::Int, "10"),
];
const PRODUCT_ID: &[Prop] = &[("product_id", Kind::Str, "\"\"")];

fn google_search_request(a: &Args) -> Result<Query, String> {
    need(!a.str("keyword").is_empty(), "Keyword is required")?;
    Request::new("google_light")
        .set("q", a.str("keyword"))
        .set("num", a.int("num_results").to_string())
        .set("gl", "us")
        .set("hl", "en")
        .sent()
}

fn google_search_shape(_: &Args, mut answer: Value) -> Shaped {
    let results = take_list(&mut answer, "organic_results");
    let text = format_results(&results, &[("link", ""), ("date", "Date"), ("snippet", "")]);
    let mut out = results_text(results.clone(), text);
    out.push(("output", Value::Array(results)));
    out
}

fn google_news_request(a: &Args) -> Result<Query, String> {
    need(!a.str("keyword").is_empty(), "Keyword is required")?;
    Request::new("google_news")
        .set("q", a.str("keyword"))
        .set("num", a.int("num_results").to_string())
        .set("gl", "us")
        .set("hl", "en")
        .sent()
}

listed!(
    google_news_shape,
    "news_results",
    &[("link", ""), ("date", "Date")]
);

fn google_images_request(a: &Args) -> Result<Query, String> {
    let (keyword, image_url) = (a.str("keyword"), a.str("image_url"));
    need(
        !keyword.is_empty() || !image_url.is_empty(),
        "One of 'keyword' or 'image_url' is required.",
    )?;
    let r = Request::new("google_images")
        .set("num", a.int("num_results").to_string())
        .set("gl", "us")
        .set("hl", "en")
        .set_if(!keyword.is_empty(), "q", keyword);
    if image_url.is_empty() {
        return r.sent();
    }
    r.set("engine", "google_reverse_image")
        .set("image_url", image_url)
        .remove("q")
        .sent()
}

fn google_images_shape(_: &Args, mut answer: Value) -> Shaped {
    let images = take_list(&mut answer, "images_results")
        .iter()
        .filter_map(|img| set(img, "original").and_then(Value::as_str))
        .map(image_ref)
        .collect();
    vec![("output", Value::Array(images))]
}

fn google_finance_request(a: &Args) -> Result<Query, String> {
    need(
        !a.str("query").is_empty(),
        "Query is required for Google Finance search.",
    )?;
    Request::new("google_finance")
        .set("q", a.str("query"))
        .set("gl", "us")
        .set("hl", "en")
        .text("window", a, "window")
        .sent()
}

fn google_jobs_request(a: &Args) -> Result<Query, String> {
    need(
        !a.str("query").is_empty(),
        "Query is required for Google Jobs search.",
    )?;
    Request::new("google_jobs")
        .set("q", a.str("query"))
        .set("hl", "en")
        .set("gl", "us")
        .text("location", a, "location")
        .sent()
}

listed!(
    google_jobs_shape,
    "jobs_results",
    &[
        ("company_name", "Company"),
        ("location", "Location"),
        ("via", "Via"),
        ("extensions", "Details"),
    ]
);

fn google_lens_request(a: &Args) -> Result<Query, String> {
    need(
        !a.str("image_url").is_empty(),
        "Image URL is required for Google Lens search.",
    )?;
    Request::new("google_lens")
        .set("url", a.str("image_url"))
        .set("hl", "en")
        .sent()
}

fn google_lens_shape(_: &Args, mut answer: Value) -> Shaped {
    let matches = take_list(&mut answer, "visual_matches");
    let images = matches
        .iter()
        .filter(|m| set(m, "image").is_some() || set(m, "thumbnail").is_some())
        .filter_map(|m| match m.get("image") {
            Some(image) => image.as_str(),
            None => m.get("thumbnail").map_or(Some(""), Value::as_str),
        })
        .map(image_ref)
        .collect();
    vec![
        ("results", Value::Array(matches)),
        ("images", Value::Array(images)),
    ]
}

fn google_maps_request(a: &Args) -> Result<Query, String> {
    need(
        !a.str("query").is_empty(),
        "Query is required for map search.",
    )?;
    Request::new("google_maps")
        .set("hl", "en")
        .set("gl", "us")
        .set("type", "search")
        .set("q", a.str("query"))
        .sent()
}

fn google_maps_shape(_: &Args, mut answer: Value) -> Shaped {
    let results = take_list(&mut answer, "local_results");
    let mut lines = Vec::new();
    for (i, r) in results.iter().enumerate() {
        lines.push(heading(r, i));
        if let Some(v) = set(r, "address") {
            lines.push(format!("    {}", py_str(v)));
        }
        lines.extend(rating_line(r));
        if let Some(v) = set(r, "price") {
            lines.push(format!("    Price: {}", py_str(v)));
        }
        if let Some(v) = set(r, "open_state") {
            lines.push(format!("    {}", py_str(v)));
        }
        lines.push(String::new());
    }
    results_text(results, lines.join("\n"))
}

fn google_shopping_request(a: &Args) -> Result<Query, String> {
    need(
        !a.str("query").is_empty(),
        "Query is required for Google Shopping search.",
    )?;
    let country = match a.str("country") {
        "" => "us",
        c => c,
    };
    // Google's `tbs` filter: price bounds need `mr:1,price:1` ahead of them.
    let mut tbs: Vec<String> = Vec::new();
    for (prop, part) in [("min_price", "ppr_min"), ("max_price", "ppr_max")] {
        let v = a.int(prop);
        if v > 0 {
            if tbs.is_empty() {
                tbs.extend(["mr:1".to_string(), "price:1".to_string()]);
            }
            tbs.push(format!("{part}:{v}"));
        }
    }
    match a.str("condition").to_lowercase().as_str() {
        "new" => tbs.push("p_cond:new".into()),
        "used" | "refurbished" => tbs.push("p_cond:used".into()),
        _ => {}
    }
    let sort_by = a.str("sort_by");
    if !sort_by.is_empty() {
        tbs.push(format!("sort:{sort_by}"));
    }
    Request::new("google_shopping")
        .set("q", a.str("query"))
        .set("hl", "en")
        .set("gl", country)
        .set_if(!tbs.is_empty(), "tbs", tbs.join(","))
        .sent()
}

fn google_shopping_shape(_: &Args, mut answer: Value) -> Shaped {
    let results = take_list(&mut answer, "shopping_results");
    let mut lines = Vec::new();
    for (i, r) in results.iter().enumerate() {
        lines.push(heading(r, i));
        if let Some(price) = set(r, "price") {
            let mut line = format!("    Price: {}", py_str(price));
            if let Some(old) = set(r, "old_price") {
                line.push_str(&format!(" (was {})", py_str(old)));
            }
            lines.push(line);
        }
        if let Some(v) = set(r, "source") {
            lines.push(format!("    Source: {}", py_str(v)));
        }
        if let Some(v) = set(r, "link") {
            lines.push(format!("    {}", py_str(v)));
        }
        if let Some(v) = known(r, "rating") {
            lines.push(format!("    Rating: {}", py_str(v)));
        }
        lines.push(String::new());
    }
    results_text(results, lines.join("\n"))
}

static GOOGLE_SEARCH: Engine = engine(
    "google_light",
    RESULTS_TEXT_OUTPUT,
    google_search_request,
    google_search_shape,
);
static GOOGLE_NEWS: Engine = engine(
    "google_news",
    RESULTS_TEXT,
    google_news_request,
    google_news_shape,
);
static GOOGLE_IMAGES: Engine = engine(
    "google_images",
    OUTPUT,
    google_images_request,
    google_images_shape,
);
static GOOGLE_FINANCE: Engine = engine("google_finance", OUTPUT, google_finance_request, whole);
static GOOGLE_JOBS: Engine = engine(
    "google_jobs",
    RESULTS_TEXT,
    google_jobs_request,
    google_jobs_shape,
);
static GOOGLE_LENS: Engine = engine(
    "google_lens",
    &["results", "images"],
    google_lens_request,
    google_lens_shape,
);
static GOOGLE_MAPS: Engine = engine(
    "google_maps",
    RESULTS_TEXT,
    google_maps_request,
    google_maps_shape,
);
static GOOGLE_SHOPPING: Engine = engine(
    "google_shopping",
    RESULTS_TEXT,
    google_shopping_request,
    google_shopping_shape,
);

pub(crate) const GOOGLE_FAMILY: Family = Family {
    prefixes: &["search.google."],
    nodes: &[
        ("GoogleSearch", node(KEYWORD_NUM, &GOOGLE_SEARCH)),
        ("GoogleNews", node(KEYWORD_NUM, &GOOGLE_NEWS)),
        (
            "GoogleImages",
            node(
                &[
                    ("keyword", Kind::Str, "\"\""),
                    ("image_url", Kind::Str, "\"\""),
                    ("num_results", Kind::Int, "20"),
                ],
                &GOOGLE_IMAGES,
            ),
        ),
        (
            "GoogleFinance",
            node(
                &[("query", Kind::Str, "\"\""), ("window", Kind::Str, "\"\"")],
                &GOOGLE_FINANCE,
            ),
        ),
        (
            "GoogleJobs",
            node(
                &[
                    ("query", Kind::Str, "\"\""),
                    ("location", Kind::Str, "\"\""),
                    ("num_results", Kind::Int, "10"),
                ],
                &GOOGLE_JOBS,
            ),
        ),
        (
            "GoogleLens",
            node(
                &[
                    ("image_url", Kind::Str, "\"\""),
                    ("num_results", Kind::Int, "10"),
                ],
                &GOOGLE_LENS,
            ),
        ),
        ("GoogleMaps", node(QUERY_NUM, &GOOGLE_MAPS)),
        (
            "GoogleShopping",
            node(
                &[
                    ("query", Kind::Str, "\"\""),
                    ("country", Kind::Str, "\"us\""),
                    ("min_price", Kind::Int, "0"),
                    ("max_price", Kind::Int, "0"),
                    ("condition", Kind::Str, "\"\""),
                    ("sort_by", Kind::Str, "\"\""),
                    ("num_results", Kind::Int, "10"),
                ],
                &GOOGLE_SHOPPING,
            ),
        ),
    ],
};

// ---- search.duckduckgo ----

fn duckduckgo_request(a: &Args) -> Result<Query, String> {
    need(!a.str("query").is_empty(), "Query is required")?;
    Request::new("duckduckgo").set("q", a.str("query")).sent()
}

fn duckduckgo_shape(_: &Args, mut answer: Value) -> Shaped {
    let results = take_list(&mut answer, "organic_results");
    let text = format_results(
        &results,
        &[("snippet", ""), ("displayed_link", ""), ("link", "")],
    );
    let mut out = results_text(results.clone(), text);
    out.push(("output", Value::Array(results)));
    out
}

static DUCKDUCKGO: Engine = engine(
    "duckduckgo",
    RESULTS_TEXT_OUTPUT,
    duckduckgo_request,
    duckduckgo_shape,
);

pub(crate) const DUCKDUCKGO_FAMILY: Family = Family {
    prefixes: &["search.duckduckgo."],
    nodes: &[("DuckDuckGoSearch", node(QUERY_NUM, &DUCKDUCKGO))],
};

// ---- search.amazon ----

fn amazon_search_request(a: &Args) -> Result<Query, String> {
    need(!a.str("query").is_empty(), "Query is required")?;
    let domain = a.str("amazon_domain");
    Request::new("amazon")
        .set("amazon_url", format!("https://www.{domain}"))
        .set("amazon_domain", domain)
        .set("q", a.str("query"))
        .sent()
}

fn amazon_search_shape(_: &Args, mut answer: Value) -> Shaped {
    let results = take_list(&mut answer, "organic_results");
    let mut lines = Vec::new();
    for (i, r) in results.iter().enumerate() {
        lines.push(heading(r, i));
        if let Some(v) = set(r, "asin") {
            lines.push(format!("    ASIN: {}", py_str(v)));
        }
        if let Some(v) = set(r, "price") {
            lines.push(format!("    Price: {}", py_str(v)));
        }
        lines.extend(rating_line(r));
        if let Some(v) = set(r, "link") {
            lines.push(format!("    {}", py_str(v)));
        }
        lines.push(String::new());
    }
    results_text(results, lines.join("\n"))
}

fn amazon_product_request(a: &Args) -> Result<Query, String> {
    need(
        !a.str("product_id").is_empty(),
        "Product ID (ASIN) is required",
    )?;
    Request::new("amazon_product")
        .set("product_id", a.str("product_id"))
        .set("amazon_domain", a.str("amazon_domain"))
        .sent()
}

static AMAZON_SEARCH: Engine = engine(
    "amazon",
    RESULTS_TEXT,
    amazon_search_request,
    amazon_search_shape,
);
static AMAZON_PRODUCT: Engine = engine(
    "amazon_product",
    OUTPUT,
    amazon_product_request,
    product_result,
);

pub(crate) const AMAZON_FAMILY: Family = Family {
    prefixes: &["search.amazon."],
    nodes: &[
        (
            "AmazonSearch",
            node(
                &[
                    ("query", Kind::Str, "\"\""),
                    ("amazon_domain", Kind::Str, "\"amazon.com\""),
                    ("num_results", Kind::Int, "10"),
                ],
                &AMAZON_SEARCH,
            ),
        ),
        (
            "AmazonProduct",
            node(
                &[
                    ("product_id", Kind::Str, "\"\""),
                    ("amazon_domain", Kind::Str, "\"amazon.com\""),
                ],
                &AMAZON_PRODUCT,
            ),
        ),
    ],
};

// ---- search.bing ----

query_raw!(bing_search_request, "bing", "q", "count");
listed!(
    bing_search_shape,
    "organic_results",
    &[
        ("link", ""),
        ("displayed_link", "URL"),
        ("date", "Date"),
        ("snippet", ""),
    ]
);

query_raw!(bing_news_request, "bing_news", "q", "count");

fn bing_news_shape(_: &Args, mut answer: Value) -> Shaped {
    let mut results = take_list(&mut answer, "organic_results");
    if results.is_empty() {
        results = take_list(&mut answer, "news_results");
    }
    let text = format_results(
        &results,
        &[
            ("link", ""),
            ("source", "Source"),
            ("date", "Date"),
            ("snippet", ""),
        ],
    );
    results_text(results, text)
}

query_raw!(bing_images_request, "bing_images", "q", "count");

fn bing_images_shape(_: &Args, mut answer: Value) -> Shaped {
    let results = take_list(&mut answer, "images_results");
    let text = format_results(
        &results,
        &[("source", "Source"), ("original", ""), ("size", "Size")],
    );
    let images = results
        .iter()
        .filter_map(|img| set(img, "original").and_then(Value::as_str))
        .map(image_ref)
        .collect();
    let mut out = results_text(results, text);
    out.push(("images", Value::Array(images)));
    out
}

query_raw!(bing_shopping_request, "bing_shopping", "q", "count");
listed!(
    bing_shopping_shape,
    "shopping_results",
    &[
        ("price", "Price"),
        ("seller", "Seller"),
        ("source", "Source"),
        ("rating", "Rating"),
        ("reviews", "Reviews"),
        ("link", ""),
    ]
);

query_raw!(bing_videos_request, "bing_videos", "q", "count");
listed!(
    bing_videos_shape,
    "video_results",
    &[
        ("source", "Source"),
        ("channel", "Channel"),
        ("length", "Duration"),
        ("views", "Views"),
        ("date", "Date"),
        ("link", ""),
    ]
);

static BING_SEARCH: Engine = engine("bing", RESULTS_TEXT, bing_search_request, bing_search_shape);
static BING_NEWS: Engine = engine(
    "bing_news",
    RESULTS_TEXT,
    bing_news_request,
    bing_news_shape,
);
static BING_IMAGES: Engine = engine(
    "bing_images",
    &["results", "text", "images"],
    bing_images_request,
    bing_images_shape,
);
static BING_SHOPPING: Engine = engine(
    "bing_shopping",
    RESULTS_TEXT,
    bing_shopping_request,
    bing_shopping_shape,
);
static BING_VIDEOS: Engine = engine(
    "bing_videos",
    RESULTS_TEXT,
    bing_videos_request,
    bing_videos_shape,
);

pub(crate) const BING_FAMILY: Family = Family {
    prefixes: &["search.bing."],
    nodes: &[
        ("BingSearch", node(QUERY_NUM, &BING_SEARCH)),
        ("BingNews", node(QUERY_NUM, &BING_NEWS)),
        (
            "BingImages",
            node(
                &[
                    ("query", Kind::Str, "\"\""),
                    ("num_results", Kind::Int, "20"),
                ],
                &BING_IMAGES,
            ),
        ),
    ],
};

// ---- search.ebay ----

fn ebay_search_request(a: &Args) -> Result<Query, String> {
    need(!a.str("query").is_empty(), "Query is required")?;
    let condition = match a.str("condition") {
        c if c.to_lowercase() == "new" => "1000",
        c if c.to_lowercase() == "used" => "3000",
        c => c,
    };
    let (low, high) = (opt_float(a, "min_price")?, opt_float(a, "max_price")?);
    let mut r = Request::new("ebay")
        .set("_nkw", a.str("query"))
        .set("ebay_domain", a.str("ebay_domain"))
        .set_if(!condition.is_empty(), "LH_ItemCondition", condition);
    if let Some(low) = low {
        r = r.set("_udlo", low);
    }
    if let Some(high) = high {
        r = r.set("_udhi", high);
    }
    r.raw()
}

fn ebay_search_shape(a: &Args, mut answer: Value) -> Shaped {
    let results = head(
        take_list(&mut answer, "organic_results"),
        a.int("num_results"),
    );
    let mut lines = Vec::new();
    for (i, r) in results.iter().enumerate() {
        lines.push(heading(r, i));
        if let Some(v) = set(r, "product_id") {
            lines.push(format!("    ID: {}", py_str(v)));
        }
        match r.get("price") {
            Some(price @ Value::Object(_)) => {
                if let Some(raw) = set(price, "raw") {
                    lines.push(format!("    Price: {}", py_str(raw)));
                }
            }
            Some(price) if truthy(price) => lines.push(format!("    Price: {}", py_str(price))),
            _ => {}
        }
        if let Some(v) = set(r, "condition") {
            lines.push(format!("    Condition: {}", py_str(v)));
        }
        lines.extend(rating_line(r));
        if let Some(v) = set(r, "shipping") {
            lines.push(format!("    Shipping: {}", py_str(v)));
        }
        if let Some(v) = set(r, "link") {
            lines.push(format!("    {}", py_str(v)));
        }
        lines.push(String::new());
    }
    results_text(results, lines.join("\n"))
}

fn ebay_product_request(a: &Args) -> Result<Query, String> {
    need(!a.str("product_id").is_empty(), "Product ID is required")?;
    Request::new("ebay_product")
        .set("product_id", a.str("product_id"))
        .set("ebay_domain", a.str("ebay_domain"))
        .raw()
}

fn ebay_product_shape(_: &Args, answer: Value) -> Shaped {
    vec![("output", part_or_whole(answer, "product_results"))]
}

static EBAY_SEARCH: Engine = engine("ebay", RESULTS_TEXT, ebay_search_request, ebay_search_shape);
static EBAY_PRODUCT: Engine = engine(
    "ebay_product",
    OUTPUT,
    ebay_product_request,
    ebay_product_shape,
);

pub(crate) const EBAY_FAMILY: Family = Family {
    prefixes: &["search.ebay."],
    nodes: &[
        (
            "EbaySearch",
            node(
                &[
                    ("query", Kind::Str, "\"\""),
                    ("ebay_domain", Kind::Str, "\"ebay.com\""),
                    ("num_results", Kind::Int, "10"),
                    ("condition", Kind::Str, "\"\""),
                    ("min_price", Kind::Any, "null"),
                    ("max_price", Kind::Any, "null"),
                ],
                &EBAY_SEARCH,
            ),
        ),
        (
            "EbayProduct",
            node(
                &[
                    ("product_id", Kind::Str, "\"\""),
                    ("ebay_domain", Kind::Str, "\"ebay.com\""),
                ],
                &EBAY_PRODUCT,
            ),
        ),
    ],
};

// ---- search.extended ----

fn youtube_video_request(a: &Args) -> Result<Query, String> {
    need(!a.str("video_id").is_empty(), "Video ID is required")?;
    Request::new("youtube_video")
        .set("v", a.str("video_id"))
        .raw()
}

/// The video's details NodeTool keeps, its channel and chapters, and how many related videos
/// there are.
fn youtube_video_shape(_: &Args, answer: Value) -> Shaped {
    const KEPT: &[&str] = &[
        "title",
        "thumbnail",
        "views",
        "extracted_views",
        "likes",
        "extracted_likes",
        "published_date",
        "live",
        "description",
        "comment_count",
        "extracted_comment_count",
    ];
    let mut info = Map::new();
    for key in KEPT {
        if let Some(v) = answer.get(*key) {
            info.insert((*key).to_string(), v.clone());
        }
    }
    for key in ["channel", "chapters"] {
        if let Some(v) = set(&answer, key) {
            info.insert(key.to_string(), v.clone());
        }
    }
    let related = set(&answer, "related_videos").and_then(|v| match v {
        Value::Array(items) => Some(items.len()),
        Value::Object(m) => Some(m.len()),
        Value::String(s) => Some(s.chars().count()),
        _ => None,
    });
    if let Some(n) = related {
        info.insert("related_video_count".into(), json!(n));
    }
    vec![("output", Value::Object(info))]
}

query_raw!(duckduckgo_news_request, "duckduckgo_news", "q");
listed!(
    duckduckgo_news_shape,
    "news_results",
    &[
        ("source", "Source"),
        ("date", "Date"),
        ("snippet", ""),
        ("link", ""),
    ],
    cut
);

fn yelp_reviews_request(a: &Args) -> Result<Query, String> {
    need(!a.str("place_id").is_empty(), "Place ID is required")?;
    Request::new("yelp_reviews")
        .set("place_id", a.str("place_id"))
        .raw()
}

/// A reviewer's name: `user.name` when `user` is an object, else "Anonymous".
fn reviewer(r: &Value) -> String {
    match r.get("user") {
        Some(user @ Value::Object(_)) => or(user, "name", "Anonymous"),
        _ => "Anonymous".into(),
    }
}

fn yelp_reviews_shape(a: &Args, mut answer: Value) -> Shaped {
    let results = head(take_list(&mut answer, "reviews"), a.int("num_results"));
    let mut lines = Vec::new();
    for (i, r) in results.iter().enumerate() {
        let pos = r
            .get("position")
            .map_or_else(|| (i + 1).to_string(), py_str);
        lines.push(format!("[{pos}] Review by {}", reviewer(r)));
        if let Some(v) = known(r, "rating") {
            lines.push(format!("    Rating: {}/5", py_str(v)));
        }
        if let Some(v) = set(r, "date") {
            lines.push(format!("    Date: {}", py_str(v)));
        }
        let text = match r.get("comment") {
            None => String::new(),
            Some(c @ Value::Object(_)) => or(c, "text", ""),
            Some(c) if truthy(c) => py_str(c),
            Some(_) => String::new(),
        };
        if !text.is_empty() {
            if text.chars().count() > 200 {
                let cut: String = text.chars().take(197).collect();
                lines.push(format!("    {cut}..."));
            } else {
                lines.push(format!("    {text}"));
            }
        }
        if let Some(tags) = set(r, "tags") {
            lines.push(format!("    Tags: {}", joined(tags)));
        }
        if set(r, "owner_replies").is_some() {
            lines.push("    Owner replied: Yes".into());
        }
        lines.push(String::new());
    }
    results_text(results, lines.join("\n"))
}

fn scholar_author_request(a: &Args) -> Result<Query, String> {
    need(!a.str("author_id").is_empty(), "Author ID is required")?;
    Request::new("google_scholar_author")
        .set("author_id", a.str("author_id"))
        .raw()
}

fn scholar_author_shape(_: &Args, answer: Value) -> Shaped {
    let mut profile = Map::new();
    for key in [
        "author",
        "articles",
        "cited_by",
        "public_access",
        "co_authors",
    ] {
        if let Some(v) = set(&answer, key) {
            profile.insert(key.to_string(), v.clone());
        }
    }
    vec![("output", Value::Object(profile))]
}

static YOUTUBE_VIDEO: Engine = engine(
    "youtube_video",
    OUTPUT,
    youtube_video_request,
    youtube_video_shape,
);
static DUCKDUCKGO_NEWS: Engine = engine(
    "duckduckgo_news",
    RESULTS_TEXT,
    duckduckgo_news_request,
    duckduckgo_news_shape,
);
static YELP_REVIEWS: Engine = engine(
    "yelp_reviews",
    RESULTS_TEXT,
    yelp_reviews_request,
    yelp_reviews_shape,
);
static SCHOLAR_AUTHOR: Engine = engine(
    "google_scholar_author",
    OUTPUT,
    scholar_author_request,
    scholar_author_shape,
);

pub(crate) const EXTENDED_FAMILY: Family = Family {
    prefixes: &["search.extended."],
    nodes: &[
        (
            "YouTubeVideo",
            node(&[("video_id", Kind::Str, "\"\"")], &YOUTUBE_VIDEO),
        ),
        ("DuckDuckGoNews", node(QUERY_NUM, &DUCKDUCKGO_NEWS)),
        (
            "YelpReviews",
            node(
                &[
                    ("place_id", Kind::Str, "\"\""),
                    ("num_results", Kind::Int, "10"),
                ],
                &YELP_REVIEWS,
            ),
        ),
        (
            "GoogleScholarAuthor",
            node(&[("author_id", Kind::Str, "\"\"")], &SCHOLAR_AUTHOR),
        ),
    ],
};

// ---- search.google_extra ----

fn google_events_request(a: &Args) -> Result<Query, String> {
    need(!a.str("query").is_empty(), "Query is required")?;
    Request::new("google_events")
        .set("q", a.str("query"))
        .text("location", a, "location")
        .raw()
}

listed!(
    google_events_shape,
    "events_results",
    &[
        ("date", "Date"),
        ("address", "Address"),
        ("link", ""),
        ("description", ""),
        ("venue", "Venue"),
    ]
);

fn google_flights_request(a: &Args) -> Result<Query, String> {
    need(
        !a.str("departure_id").is_empty() && !a.str("arrival_id").is_empty(),
        "Both departure_id and arrival_id are required",
    )?;
    need(
        !a.str("outbound_date").is_empty(),
        "Outbound date is required",
    )?;
    need(
        a.int("trip_type") != 1 || !a.str("return_date").is_empty(),
        "Return date is required for round trip flights",
    )?;
    let (stops, sort_by) = (a.int("stops"), a.int("sort_by"));
    Request::new("google_flights")
        .set("departure_id", a.str("departure_id"))
        .set("arrival_id", a.str("arrival_id"))
        .set("outbound_date", a.str("outbound_date"))
        .set("type", a.int("trip_type").to_string())
        .set("adults", a.int("adults").to_string())
        .set("travel_class", a.int("travel_class").to_string())
        .set("currency", a.str("currency"))
        .text("return_date", a, "return_date")
        .set_if(stops != 0, "stops", stops.to_string())
        .set_if(sort_by != 1, "sort_by", sort_by.to_string())
        .raw()
}

/// Python's `divmod(minutes, 60)` as text, for numbers.
fn hours_minutes(v: &Value) -> Option<(String, String)> {
    match v {
        Value::Bool(b) => Some(("0".into(), (*b as i64).to_string())),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Some((i.div_euclid(60).to_string(), i.rem_euclid(60).to_string())),
            None => {
                let f = n.as_f64()?;
                Some((py_float((f / 60.0).floor()), py_float(f.rem_euclid(60.0))))
            }
        },
        _ => None,
    }
}

/// NodeTool's text of flight options: each with its price, duration, legs and layovers.
fn format_flights(flights: &[Value]) -> String {
    let mut lines = Vec::new();
    for (i, option) in flights.iter().enumerate() {
        lines.push(format!("--- Option {} ---", i + 1));
        if let Some(v) = set(option, "price") {
            lines.push(format!("  Price: {}", py_str(v)));
        }
        if let Some((h, m)) = set(option, "total_duration").and_then(hours_minutes) {
            lines.push(format!("  Total Duration: {h}h {m}m"));
        }
        if let Some(v) = set(option, "type") {
            lines.push(format!("  Type: {}", py_str(v)));
        }
        let co2 = option
            .get("carbon_emissions")
            .and_then(|c| set(c, "this_flight"));
        if let Some(v) = co2 {
            lines.push(format!("  CO2 Emissions: {}g", py_str(v)));
        }
        let legs = option.get("flights").and_then(Value::as_array);
        for (j, seg) in legs.into_iter().flatten().enumerate() {
            let place = |key: &str| {
                let p = seg.get(key).unwrap_or(&Value::Null);
                format!(
                    "{} ({}) {}",
                    or(p, "name", "?"),
                    or(p, "id", "?"),
                    or(p, "time", "?")
                )
            };
            lines.push(format!(
                "  Leg {}: {} -> {}",
                j + 1,
                place("departure_airport"),
                place("arrival_airport")
            ));
            if let Some(v) = set(seg, "airline") {
                lines.push(format!(
                    "    Airline: {} {}",
                    py_str(v),
                    or(seg, "flight_number", "")
                ));
            }
            if let Some(v) = set(seg, "duration") {
                lines.push(format!("    Duration: {} min", py_str(v)));
            }
            if let Some(v) = set(seg, "travel_class") {
                lines.push(format!("    Class: {}", py_str(v)));
            }
        }
        let layovers = option.get("layovers").and_then(Value::as_array);
        for lay in layovers.into_iter().flatten() {
            lines.push(format!(
                "  Layover: {} ({}) - {} min",
                or(lay, "name", "?"),
                or(lay, "id", "?"),
                or(lay, "duration", "?")
            ));
        }
        lines.push(String::new());
    }
    lines.join("\n")
}

fn google_flights_shape(_: &Args, mut answer: Value) -> Shaped {
    let best = take_list(&mut answer, "best_flights");
    let other = take_list(&mut answer, "other_flights");
    let mut parts = Vec::new();
    if !best.is_empty() {
        parts.push(format!("=== Best Flights ===\n{}", format_flights(&best)));
    }
    if !other.is_empty() {
        parts.push(format!("=== Other Flights ===\n{}", format_flights(&other)));
    }
    if let Some(insights) = set(&answer, "price_insights") {
        if let Some(v) = set(insights, "lowest_price") {
            parts.push(format!("Lowest Price: {}", py_str(v)));
        }
        if let Some(v) = set(insights, "typical_price_range") {
            parts.push(format!("Typical Range: {}", py_str(v)));
        }
    }
    let text = if parts.is_empty() {
        "No flights found.".to_string()
    } else {
        parts.join("\n")
    };
    results_text(best.into_iter().chain(other).collect(), text)
}

fn google_hotels_request(a: &Args) -> Result<Query, String> {
    need(!a.str("query").is_empty(), "Query is required")?;
    need(
        !a.str("check_in_date").is_empty() && !a.str("check_out_date").is_empty(),
        "Both check_in_date and check_out_date are required",
    )?;
    let int = |k: &str| a.int(k);
    Request::new("google_hotels")
        .set("q", a.str("query"))
        .set("check_in_date", a.str("check_in_date"))
        .set("check_out_date", a.str("check_out_date"))
        .set("adults", int("adults").to_string())
        .set("currency", a.str("currency"))
        .set_if(int("children") > 0, "children", int("children").to_string())
        .set_if(int("sort_by") != 0, "sort_by", int("sort_by").to_string())
        .set_if(
            int("min_price") > 0,
            "min_price",
            int("min_price").to_string(),
        )
        .set_if(
            int("max_price") > 0,
            "max_price",
            int("max_price").to_string(),
        )
        .set_if(
            int("hotel_class") >= 2,
            "hotel_class",
            int("hotel_class").to_string(),
        )
        .raw()
}

fn google_hotels_shape(_: &Args, mut answer: Value) -> Shaped {
    let results = take_list(&mut answer, "properties");
    let mut lines = Vec::new();
    for (i, p) in results.iter().enumerate() {
        lines.push(format!("[{}] {}", i + 1, or(p, "name", "Untitled")));
        if let Some(v) = set(p, "type") {
            lines.push(format!("    Type: {}", py_str(v)));
        }
        if let Some(v) = set(p, "hotel_class").or_else(|| set(p, "extracted_hotel_class")) {
            lines.push(format!("    Class: {}-star", py_str(v)));
        }
        if let Some(rating) = known(p, "overall_rating") {
            let mut line = format!("    Rating: {}", py_str(rating));
            if let Some(reviews) = known(p, "reviews") {
                line.push_str(&format!(" ({} reviews)", py_str(reviews)));
            }
            lines.push(line);
        }
        let lowest = |key: &str| p.get(key).and_then(|r| set(r, "lowest"));
        if let Some(v) = lowest("rate_per_night") {
            lines.push(format!("    Price: {}/night", py_str(v)));
        }
        if let Some(v) = lowest("total_rate") {
            lines.push(format!("    Total: {}", py_str(v)));
        }
        if let Some(v) = set(p, "description") {
            lines.push(format!("    {}", first_chars(v, 200)));
        }
        let (check_in, check_out) = (set(p, "check_in_time"), set(p, "check_out_time"));
        if check_in.is_some() || check_out.is_some() {
            let shown = |v: Option<&Value>| v.map_or_else(|| "N/A".to_string(), py_str);
            lines.push(format!(
                "    Check-in: {} / Check-out: {}",
                shown(check_in),
                shown(check_out)
            ));
        }
        lines.push(String::new());
    }
    let text = if lines.is_empty() {
        "No hotels found.".to_string()
    } else {
        lines.join("\n")
    };
    results_text(results, text)
}

fn google_patents_request(a: &Args) -> Result<Query, String> {
    need(!a.str("query").is_empty(), "Query is required")?;
    Request::new("google_patents")
        .set("q", a.str("query"))
        .set("num", a.int("num_results").to_string())
        .text("sort", a, "sort")
        .text("inventor", a, "inventor")
        .text("assignee", a, "assignee")
        .text("country", a, "country")
        .text("status", a, "status")
        .text("language", a, "language")
        .text("before", a, "before_date")
        .text("after", a, "after_date")
        .raw()
}

fn google_patents_shape(_: &Args, mut answer: Value) -> Shaped {
    let results = take_list(&mut answer, "organic_results");
    let mut lines = Vec::new();
    for (i, r) in results.iter().enumerate() {
        lines.push(heading(r, i));
        for (key, label) in [
            ("patent_id", "Patent ID"),
            ("assignee", "Assignee"),
            ("inventor", "Inventor"),
            ("filing_date", "Filing Date"),
            ("grant_date", "Grant Date"),
            ("priority_date", "Priority Date"),
        ] {
            if let Some(v) = set(r, key) {
                lines.push(format!("    {label}: {}", py_str(v)));
            }
        }
        if let Some(v) = set(r, "snippet") {
            lines.push(format!("    {}", first_chars(v, 200)));
        }
        if let Some(v) = set(r, "patent_link") {
            lines.push(format!("    {}", py_str(v)));
        }
        lines.push(String::new());
    }
    let text = if lines.is_empty() {
        "No patents found.".to_string()
    } else {
        lines.join("\n")
    };
    results_text(results, text)
}

fn google_videos_request(a: &Args) -> Result<Query, String> {
    need(!a.str("query").is_empty(), "Query is required")?;
    Request::new("google_videos")
        .set("q", a.str("query"))
        .text("location", a, "location")
        .raw()
}

listed!(
    google_videos_shape,
    "video_results",
    &[
        ("link", ""),
        ("displayed_link", "Source"),
        ("duration", "Duration"),
        ("date", "Date"),
        ("snippet", ""),
    ]
);

fn google_autocomplete_request(a: &Args) -> Result<Query, String> {
    need(!a.str("query").is_empty(), "Query is required")?;
    Request::new("google_autocomplete")
        .set("q", a.str("query"))
        .text("hl", a, "language")
        .text("gl", a, "country")
        .raw()
}

fn google_autocomplete_shape(_: &Args, mut answer: Value) -> Shaped {
    let suggestions = take_list(&mut answer, "suggestions");
    let lines: Vec<String> = suggestions
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut line = format!("[{}] {}", i + 1, or(s, "value", ""));
            if let Some(r) = known(s, "relevance") {
                line.push_str(&format!(" (relevance: {})", py_str(r)));
            }
            line
        })
        .collect();
    let text = if lines.is_empty() {
        "No suggestions found.".to_string()
    } else {
        lines.join("\n")
    };
    results_text(suggestions, text)
}

static GOOGLE_EVENTS: Engine = engine(
    "google_events",
    RESULTS_TEXT,
    google_events_request,
    google_events_shape,
);
static GOOGLE_FLIGHTS: Engine = engine(
    "google_flights",
    RESULTS_TEXT,
    google_flights_request,
    google_flights_shape,
);
static GOOGLE_HOTELS: Engine = engine(
    "google_hotels",
    RESULTS_TEXT,
    google_hotels_request,
    google_hotels_shape,
);
static GOOGLE_PATENTS: Engine = engine(
    "google_patents",
    RESULTS_TEXT,
    google_patents_request,
    google_patents_shape,
);
static GOOGLE_VIDEOS: Engine = engine(
    "google_videos",
    RESULTS_TEXT,
    google_videos_request,
    google_videos_shape,
);
static GOOGLE_AUTOCOMPLETE: Engine = engine(
    "google_autocomplete",
    RESULTS_TEXT,
    google_autocomplete_request,
    google_autocomplete_shape,
);

pub(crate) const GOOGLE_EXTRA_FAMILY: Family = Family {
    prefixes: &["search.google_extra."],
    nodes: &[
        (
            "GoogleEvents",
            node(
                &[
                    ("query", Kind::Str, "\"\""),
                    ("location", Kind::Str, "\"\""),
                    ("num_results", Kind::Int, "10"),
                ],
                &GOOGLE_EVENTS,
            ),
        ),
        (
            "GoogleFlights",
            node(
                &[
                    ("departure_id", Kind::Str, "\"\""),
                    ("arrival_id", Kind::Str, "\"\""),
                    ("outbound_date", Kind::Str, "\"\""),
                    ("return_date", Kind::Str, "\"\""),
                    ("trip_type", Kind::Int, "1"),
                    ("adults", Kind::Int, "1"),
                    ("travel_class", Kind::Int, "1"),
                    ("currency", Kind::Str, "\"USD\""),
                    ("stops", Kind::Int, "0"),
                    ("sort_by", Kind::Int, "1"),
                ],
                &GOOGLE_FLIGHTS,
            ),
        ),
        (
            "GoogleHotels",
            node(
                &[
                    ("query", Kind::Str, "\"\""),
                    ("check_in_date", Kind::Str, "\"\""),
                    ("check_out_date", Kind::Str, "\"\""),
                    ("adults", Kind::Int, "2"),
                    ("children", Kind::Int, "0"),
                    ("currency", Kind::Str, "\"USD\""),
                    ("sort_by", Kind::Int, "0"),
                    ("min_price", Kind::Int, "0"),
                    ("max_price", Kind::Int, "0"),
                    ("hotel_class", Kind::Int, "0"),
                ],
                &GOOGLE_HOTELS,
            ),
        ),
        (
            "GooglePatents",
            node(
                &[
                    ("query", Kind::Str, "\"\""),
                    ("num_results", Kind::Int, "10"),
                    ("sort", Kind::Str, "\"\""),
                    ("inventor", Kind::Str, "\"\""),
                    ("assignee", Kind::Str, "\"\""),
                    ("country", Kind::Str, "\"\""),
                    ("status", Kind::Str, "\"\""),
                    ("language", Kind::Str, "\"\""),
                    ("before_date", Kind::Str, "\"\""),
                    ("after_date", Kind::Str, "\"\""),
                ],
                &GOOGLE_PATENTS,
            ),
        ),
        (
            "GoogleVideos",
            node(
                &[
                    ("query", Kind::Str, "\"\""),
                    ("num_results", Kind::Int, "10"),
                    ("location", Kind::Str, "\"\""),
                ],
                &GOOGLE_VIDEOS,
            ),
        ),
        (
            "GoogleAutocomplete",
            node(
                &[
                    ("query", Kind::Str, "\"\""),
                    ("language", Kind::Str, "\"\""),
                    ("country", Kind::Str, "\"\""),
                ],
                &GOOGLE_AUTOCOMPLETE,
            ),
        ),
    ],
};

// ---- search.google_play ----

fn google_play_request(a: &Args) -> Result<Query, String> {
    need(!a.str("query").is_empty(), "Query is required")?;
    Request::new("google_play")
        .set("q", a.str("query"))
        .set("store", a.str("store"))
        .raw()
}

/// Google Play answers sections of items; NodeTool lists the items of all of them.
fn google_play_shape(a: &Args, mut answer: Value) -> Shaped {
    let items: Vec<Value> = take_list(&mut answer, "organic_results")
        .into_iter()
        .flat_map(|mut section| take_list(&mut section, "items"))
        .collect();
    let results = head(items, a.int("num_results"));
    let mut lines = Vec::new();
    for (i, r) in results.iter().enumerate() {
        lines.push(heading(r, i));
        if let Some(v) = set(r, "product_id") {
            lines.push(format!("    ID: {}", py_str(v)));
        }
        if let Some(v) = known(r, "rating") {
            lines.push(format!("    Rating: {}", py_str(v)));
        }
        for (key, label) in [
            ("author", "Developer"),
            ("category", "Category"),
            ("downloads", "Downloads"),
        ] {
            if let Some(v) = set(r, key) {
                lines.push(format!("    {label}: {}", py_str(v)));
            }
        }
        if let Some(v) = set(r, "price").or_else(|| known(r, "extracted_price")) {
            lines.push(format!("    Price: {}", py_str(v)));
        }
        if let Some(v) = set(r, "description") {
            let desc = py_str(v);
            if desc.chars().count() > 150 {
                let cut: String = desc.chars().take(147).collect();
                lines.push(format!("    {cut}..."));
            } else {
                lines.push(format!("    {desc}"));
            }
        }
        if let Some(v) = set(r, "link") {
            lines.push(format!("    {}", py_str(v)));
        }
        lines.push(String::new());
    }
    results_text(results, lines.join("\n"))
}

static GOOGLE_PLAY: Engine = engine(
    "google_play",
    RESULTS_TEXT,
    google_play_request,
    google_play_shape,
);

pub(crate) const GOOGLE_PLAY_FAMILY: Family = Family {
    prefixes: &["search.google_play."],
    nodes: &[(
        "GooglePlaySearch",
        node(
            &[
                ("query", Kind::Str, "\"\""),
                ("store", Kind::Str, "\"apps\""),
                ("num_results", Kind::Int, "10"),
            ],
            &GOOGLE_PLAY,
        ),
    )],
};

// ---- search.google_trends_extra ----

fn trending_now_request(a: &Args) -> Result<Query, String> {
    // The frequency is checked as NodeTool converts it, though NodeTool does not send it.
    choice(a, "frequency", &["realtime", "daily"], "TrendingFrequency")?;
    let category = a.str("category");
    Request::new("google_trends_trending_now")
        .set("geo", a.str("geo"))
        .set("hours", a.int("hours").to_string())
        .set_if(
            !category.is_empty() && category != "all",
            "category_id",
            category,
        )
        .raw()
}

fn trending_now_shape(_: &Args, mut answer: Value) -> Shaped {
    let mut results = Vec::new();
    for key in ["trending_searches", "realtime_searches", "daily_searches"] {
        results = take_list(&mut answer, key);
        if !results.is_empty() {
            break;
        }
    }
    let mut lines = Vec::new();
    for (i, item) in results.iter().enumerate() {
        let query = match item.get("query") {
            Some(q) => py_str(q),
            None => or(item, "title", "Unknown"),
        };
        lines.push(format!("[{}] {query}", i + 1));
        if let Some(v) = known(item, "search_volume") {
            lines.push(format!("    Traffic: {}+ searches", thousands(v)));
        }
        if let Some(v) = known(item, "increase_percentage") {
            lines.push(format!("    Increase: {}%", py_str(v)));
        }
        if let Some(v) = known(item, "active") {
            let yes = if truthy(v) { "Yes" } else { "No" };
            lines.push(format!("    Active: {yes}"));
        }
        let names: Vec<String> = set(item, "categories")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| set(c, "name").map(py_str))
            .collect();
        if !names.is_empty() {
            lines.push(format!("    Categories: {}", names.join(", ")));
        }
        if let Some(Value::Array(related)) = set(item, "trend_breakdown") {
            let shown: Vec<String> = related.iter().take(5).map(py_str).collect();
            lines.push(format!("    Related: {}", shown.join(", ")));
        }
        lines.push(String::new());
    }
    results_text(results, lines.join("\n"))
}

static TRENDING_NOW: Engine = engine(
    "google_trends_trending_now",
    RESULTS_TEXT,
    trending_now_request,
    trending_now_shape,
);

pub(crate) const GOOGLE_TRENDS_EXTRA_FAMILY: Family = Family {
    prefixes: &["search.google_trends_extra."],
    nodes: &[(
        "GoogleTrendingNow",
        node(
            &[
                ("geo", Kind::Str, "\"US\""),
                ("category", Kind::Str, "\"all\""),
                ("frequency", Kind::Str, "\"realtime\""),
                ("hours", Kind::Int, "24"),
            ],
            &TRENDING_NOW,
        ),
    )],
};

// ---- search.international ----

query_raw!(baidu_request, "baidu", "q", "rn");
listed!(
    baidu_shape,
    "organic_results",
    &[("link", ""), ("snippet", "")]
);

query_raw!(yahoo_request, "yahoo", "p");
listed!(
    yahoo_shape,
    "organic_results",
    &[("link", ""), ("displayed_link", "URL"), ("snippet", "")],
    cut
);

query_raw!(naver_request, "naver", "query", "num");

static BAIDU: Engine = engine("baidu", RESULTS_TEXT, baidu_request, baidu_shape);
static YAHOO: Engine = engine("yahoo", RESULTS_TEXT, yahoo_request, yahoo_shape);
// Naver's text is Baidu's: link and snippet.
static NAVER: Engine = engine("naver", RESULTS_TEXT, naver_request, baidu_shape);

pub(crate) const INTERNATIONAL_FAMILY: Family = Family {
    prefixes: &["search.international."],
    nodes: &[
        ("BaiduSearch", node(QUERY_NUM, &BAIDU)),
        ("YahooSearch", node(QUERY_NUM, &YAHOO)),
        ("NaverSearch", node(QUERY_NUM, &NAVER)),
    ],
};

// ---- search.more_engines ----

fn maps_reviews_request(a: &Args) -> Result<Query, String> {
    need(
        !a.str("data_id").is_empty(),
        "data_id is required. Use a Google Maps search to find the place data_id.",
    )?;
    let sort_by = choice(
        a,
        "sort_by",
        &["qualityScore", "newestFirst", "ratingHigh", "ratingLow"],
        "ReviewSortOrder",
    )?;
    Request::new("google_maps_reviews")
        .set("data_id", a.str("data_id"))
        .set("sort_by", sort_by)
        .set("num", a.int("num_results").to_string())
        .raw()
}

fn maps_reviews_shape(_: &Args, mut answer: Value) -> Shaped {
    let reviews = take_list(&mut answer, "reviews");
    let mut lines = Vec::new();
    for (i, r) in reviews.iter().enumerate() {
        lines.push(format!(
            "[{}] {} - {}/5",
            i + 1,
            reviewer(r),
            or(r, "rating", "N/A")
        ));
        if let Some(v) = set(r, "date").or_else(|| set(r, "iso_date")) {
            lines.push(format!("    Date: {}", py_str(v)));
        }
        if let Some(v) = set(r, "snippet") {
            lines.push(format!("    {}", py_str(v)));
        }
        if let Some(v) = set(r, "source") {
            lines.push(format!("    Source: {}", py_str(v)));
        }
        lines.push(String::new());
    }
    let mut header = String::new();
    if let Some(place) = set(&answer, "place_info")
        && let Some(title) = set(place, "title")
    {
        header = format!("Place: {}", py_str(title));
        if let Some(v) = set(place, "rating") {
            header.push_str(&format!(" | Rating: {}", py_str(v)));
        }
        if let Some(v) = set(place, "reviews") {
            header.push_str(&format!(" | Total reviews: {}", py_str(v)));
        }
        header.push_str("\n\n");
    }
    results_text(reviews, header + &lines.join("\n"))
}

fn youtube_transcript_request(a: &Args) -> Result<Query, String> {
    need(!a.str("video_id").is_empty(), "video_id is required")?;
    Request::new("youtube_video_transcript")
        .set("v", a.str("video_id"))
        .set("language_code", a.str("lang"))
        .raw()
}

/// The transcript's segments, and their texts joined by spaces.
fn youtube_transcript_shape(_: &Args, mut answer: Value) -> Shaped {
    let segments = take_list(&mut answer, "transcript");
    let texts: Vec<String> = segments
        .iter()
        .filter_map(|s| set(s, "snippet"))
        .map(|v| py_str(v).trim().to_string())
        .collect();
    vec![
        ("text", json!(texts.join(" "))),
        ("segments", Value::Array(segments)),
    ]
}

static MAPS_REVIEWS: Engine = engine(
    "google_maps_reviews",
    RESULTS_TEXT,
    maps_reviews_request,
    maps_reviews_shape,
);
static YOUTUBE_TRANSCRIPT: Engine = engine(
    "youtube_video_transcript",
    &["text", "segments"],
    youtube_transcript_request,
    youtube_transcript_shape,
);

pub(crate) const MORE_ENGINES_FAMILY: Family = Family {
    prefixes: &["search.more_engines."],
    nodes: &[
        (
            "GoogleMapsReviews",
            node(
                &[
                    ("data_id", Kind::Str, "\"\""),
                    ("sort_by", Kind::Str, "\"qualityScore\""),
                    ("num_results", Kind::Int, "10"),
                ],
                &MAPS_REVIEWS,
            ),
        ),
        ("BingShopping", node(QUERY_NUM, &BING_SHOPPING)),
        ("BingVideos", node(QUERY_NUM, &BING_VIDEOS)),
        (
            "YouTubeTranscript",
            node(
                &[
                    ("video_id", Kind::Str, "\"\""),
                    ("lang", Kind::Str, "\"en\""),
                ],
                &YOUTUBE_TRANSCRIPT,
            ),
        ),
    ],
};

// ---- search.retail ----

fn home_depot_request(a: &Args) -> Result<Query, String> {
    need(!a.str("query").is_empty(), "Query is required")?;
    Request::new("home_depot")
        .set("q", a.str("query"))
        .set("ps", a.int("num_results").min(48).to_string())
        .raw()
}

listed!(
    home_depot_shape,
    "products",
    &[
        ("brand", "Brand"),
        ("price", "Price"),
        ("rating", "Rating"),
        ("model_number", "Model"),
        ("link", ""),
    ],
    cut
);

fn home_depot_product_request(a: &Args) -> Result<Query, String> {
    need(!a.str("product_id").is_empty(), "Product ID is required")?;
    Request::new("home_depot_product")
        .set("product_id", a.str("product_id"))
        .raw()
}

fn app_store_request(a: &Args) -> Result<Query, String> {
    need(!a.str("query").is_empty(), "Query is required")?;
    Request::new("apple_app_store")
        .set("term", a.str("query"))
        .set("country", a.str("country"))
        .set("num", a.int("num_results").min(200).to_string())
        .raw()
}

listed!(
    app_store_shape,
    "organic_results",
    &[
        ("developer", "Developer"),
        ("price", "Price"),
        ("rating", "Rating"),
        ("description", "Description"),
        ("link", ""),
    ],
    cut
);

static HOME_DEPOT: Engine = engine(
    "home_depot",
    RESULTS_TEXT,
    home_depot_request,
    home_depot_shape,
);
static HOME_DEPOT_PRODUCT: Engine = engine(
    "home_depot_product",
    OUTPUT,
    home_depot_product_request,
    product_result,
);
static APP_STORE: Engine = engine(
    "apple_app_store",
    RESULTS_TEXT,
    app_store_request,
    app_store_shape,
);

pub(crate) const RETAIL_FAMILY: Family = Family {
    prefixes: &["search.retail."],
    nodes: &[
        ("HomeDepotSearch", node(QUERY_NUM, &HOME_DEPOT)),
        ("HomeDepotProduct", node(PRODUCT_ID, &HOME_DEPOT_PRODUCT)),
        (
            "AppleAppStore",
            node(
                &[
                    ("query", Kind::Str, "\"\""),
                    ("num_results", Kind::Int, "10"),
                    ("country", Kind::Str, "\"us\""),
                ],
                &APP_STORE,
            ),
        ),
    ],
};

// ---- search.scholar ----

fn scholar_request(a: &Args) -> Result<Query, String> {
    need(!a.str("query").is_empty(), "Query is required")?;
    Request::new("google_scholar")
        .set("q", a.str("query"))
        .set("num", a.int("num_results").to_string())
        .set("hl", "en")
        .sent()
}

fn scholar_shape(_: &Args, mut answer: Value) -> Shaped {
    let results = take_list(&mut answer, "organic_results");
    let mut lines = Vec::new();
    for (i, r) in results.iter().enumerate() {
        lines.push(heading(r, i));
        match set(r, "publication_info") {
            Some(p @ Value::Object(_)) => lines.push(format!("    {}", or(p, "summary", ""))),
            Some(p) => lines.push(format!("    {}", py_str(p))),
            None => {}
        }
        if let Some(v) = set(r, "snippet") {
            lines.push(format!("    {}", py_str(v)));
        }
        let cited = r
            .get("inline_links")
            .and_then(|l| l.get("cited_by"))
            .and_then(|c| set(c, "total"));
        if let Some(v) = cited {
            lines.push(format!("    Cited by: {}", py_str(v)));
        }
        if let Some(v) = set(r, "link") {
            lines.push(format!("    {}", py_str(v)));
        }
        lines.push(String::new());
    }
    results_text(results, lines.join("\n"))
}

static SCHOLAR: Engine = engine(
    "google_scholar",
    RESULTS_TEXT,
    scholar_request,
    scholar_shape,
);

pub(crate) const SCHOLAR_FAMILY: Family = Family {
    prefixes: &["search.scholar."],
    nodes: &[("GoogleScholar", node(QUERY_NUM, &SCHOLAR))],
};

// ---- search.trends ----

fn trends_request(a: &Args) -> Result<Query, String> {
    need(!a.str("query").is_empty(), "Query is required")?;
    Request::new("google_trends")
        .set("q", a.str("query"))
        .text("date", a, "date")
        .text("geo", a, "geo")
        .sent()
}

static TRENDS: Engine = engine("google_trends", OUTPUT, trends_request, whole);

pub(crate) const TRENDS_FAMILY: Family = Family {
    prefixes: &["search.trends."],
    nodes: &[(
        "GoogleTrends",
        node(
            &[
                ("query", Kind::Str, "\"\""),
                ("date", Kind::Str, "\"\""),
                ("geo", Kind::Str, "\"\""),
            ],
            &TRENDS,
        ),
    )],
};

// ---- search.walmart ----

fn walmart_search_request(a: &Args) -> Result<Query, String> {
    need(!a.str("query").is_empty(), "Query is required")?;
    let sort_by = a.str("sort_by");
    let (low, high) = (opt_float(a, "min_price")?, opt_float(a, "max_price")?);
    let mut r = Request::new("walmart").set("query", a.str("query")).set_if(
        !sort_by.is_empty() && sort_by != "best_match",
        "sort",
        sort_by,
    );
    if let Some(low) = low {
        r = r.set("min_price", low);
    }
    if let Some(high) = high {
        r = r.set("max_price", high);
    }
    r.raw()
}

fn walmart_search_shape(a: &Args, mut answer: Value) -> Shaped {
    let results = head(
        take_list(&mut answer, "organic_results"),
        a.int("num_results"),
    );
    let mut lines = Vec::new();
    for (i, r) in results.iter().enumerate() {
        lines.push(heading(r, i));
        if let Some(v) = set(r, "us_item_id") {
            lines.push(format!("    ID: {}", py_str(v)));
        }
        if let Some(v) = r.get("primary_offer").and_then(|o| set(o, "offer_price")) {
            lines.push(format!("    Price: ${}", py_str(v)));
        }
        lines.extend(rating_line(r));
        if let Some(v) = set(r, "seller_name") {
            lines.push(format!("    Seller: {}", py_str(v)));
        }
        if let Some(v) = set(r, "product_page_url") {
            lines.push(format!("    {}", py_str(v)));
        }
        lines.push(String::new());
    }
    results_text(results, lines.join("\n"))
}

fn walmart_product_request(a: &Args) -> Result<Query, String> {
    need(!a.str("product_id").is_empty(), "Product ID is required")?;
    Request::new("walmart_product")
        .set("product_id", a.str("product_id"))
        .raw()
}

static WALMART_SEARCH: Engine = engine(
    "walmart",
    RESULTS_TEXT,
    walmart_search_request,
    walmart_search_shape,
);
static WALMART_PRODUCT: Engine = engine(
    "walmart_product",
    OUTPUT,
    walmart_product_request,
    product_result,
);

pub(crate) const WALMART_FAMILY: Family = Family {
    prefixes: &["search.walmart."],
    nodes: &[
        (
            "WalmartSearch",
            node(
                &[
                    ("query", Kind::Str, "\"\""),
                    ("num_results", Kind::Int, "10"),
                    ("sort_by", Kind::Str, "\"best_match\""),
                    ("min_price", Kind::Any, "null"),
                    ("max_price", Kind::Any, "null"),
                ],
                &WALMART_SEARCH,
            ),
        ),
        ("WalmartProduct", node(PRODUCT_ID, &WALMART_PRODUCT)),
    ],
};

// ---- search.yelp ----

fn yelp_search_request(a: &Args) -> Result<Query, String> {
    need(!a.str("query").is_empty(), "Query is required")?;
    need(
        !a.str("location").is_empty(),
        "Location is required for Yelp search",
    )?;
    Request::new("yelp")
        .set("find_desc", a.str("query"))
        .set("find_loc", a.str("location"))
        .sent()
}

fn yelp_search_shape(_: &Args, mut answer: Value) -> Shaped {
    let results = take_list(&mut answer, "organic_results");
    let mut lines = Vec::new();
    for (i, r) in results.iter().enumerate() {
        lines.push(heading(r, i));
        lines.extend(rating_line(r));
        if let Some(v) = set(r, "price") {
            lines.push(format!("    Price: {}", py_str(v)));
        }
        if let Some(v) = set(r, "address") {
            lines.push(format!("    Address: {}", py_str(v)));
        }
        if let Some(Value::Array(categories)) = set(r, "categories") {
            let names: Vec<String> = categories.iter().map(py_str).collect();
            lines.push(format!("    Categories: {}", names.join(", ")));
        }
        if let Some(v) = set(r, "link") {
            lines.push(format!("    {}", py_str(v)));
        }
        lines.push(String::new());
    }
    results_text(results, lines.join("\n"))
}

static YELP_SEARCH: Engine = engine("yelp", RESULTS_TEXT, yelp_search_request, yelp_search_shape);

pub(crate) const YELP_FAMILY: Family = Family {
    prefixes: &["search.yelp."],
    nodes: &[(
        "YelpSearch",
        node(
            &[
                ("query", Kind::Str, "\"\""),
                ("location", Kind::Str, "\"\""),
                ("num_results", Kind::Int, "10"),
            ],
            &YELP_SEARCH,
        ),
    )],
};

// ---- search.youtube ----

fn youtube_search_request(a: &Args) -> Result<Query, String> {
    need(!a.str("query").is_empty(), "Query is required")?;
    Request::new("youtube")
        .set("search_query", a.str("query"))
        .set("gl", "us")
        .set("hl", "en")
        .sent()
}

fn youtube_search_shape(_: &Args, mut answer: Value) -> Shaped {
    let results = take_list(&mut answer, "video_results");
    let mut lines = Vec::new();
    for (i, r) in results.iter().enumerate() {
        let pos = match r.get("position") {
            Some(p) => py_str(p),
            None => or(r, "position_on_page", &(i + 1).to_string()),
        };
        lines.push(format!("[{pos}] {}", or(r, "title", "Untitled")));
        let channel = match r.get("channel") {
            Some(c @ Value::Object(_)) => c.get("name").filter(|n| truthy(n)),
            other => other.filter(|c| truthy(c)),
        };
        if let Some(c) = channel {
            lines.push(format!("    Channel: {}", py_str(c)));
        }
        if let Some(v) = known(r, "views") {
            lines.push(format!("    Views: {}", thousands(v)));
        }
        if let Some(v) = set(r, "published_date") {
            lines.push(format!("    Published: {}", py_str(v)));
        }
        if let Some(v) = set(r, "length") {
            lines.push(format!("    Duration: {}", py_str(v)));
        }
        if let Some(v) = set(r, "link") {
            lines.push(format!("    {}", py_str(v)));
        }
        lines.push(String::new());
    }
    results_text(results, lines.join("\n"))
}

static YOUTUBE_SEARCH: Engine = engine(
    "youtube",
    RESULTS_TEXT,
    youtube_search_request,
    youtube_search_shape,
);

pub(crate) const YOUTUBE_FAMILY: Family = Family {
    prefixes: &["search.youtube."],
    nodes: &[("YouTubeSearch", node(QUERY_NUM, &YOUTUBE_SEARCH))],
};
