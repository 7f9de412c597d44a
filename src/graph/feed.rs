//! RSS 2.0 and Atom feeds, read the way NodeTool's feed nodes see them through feedparser: each
//! entry's title, link, publication time (UTC), summary and author, and the feed's own title,
//! description, link, language, updated and generator. A small tolerant scanner rather than an
//! XML library: feeds in the wild are often not well-formed, and the component stays small.

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Entry {
    pub title: String,
    pub link: String,
    pub published: Option<NaiveDateTime>,
    pub summary: String,
    pub author: String,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Feed {
    pub title: String,
    pub description: String,
    pub link: String,
    pub language: String,
    pub updated: String,
    pub generator: String,
    pub entries: Vec<Entry>,
}

/// The most entries read from one feed.
const MAX_ENTRIES: usize = 10_000;

pub fn parse(xml: &str) -> Feed {
    let first_entry = [find_open(xml, "item"), find_open(xml, "entry")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(xml.len());
    let head = &xml[..first_entry];
    let mut feed = Feed {
        title: text_of(head, &["title"]),
        description: text_of(head, &["description", "subtitle", "tagline"]),
        link: link_of(head),
        language: text_of(head, &["language", "dc:language"]),
        updated: text_of(head, &["lastBuildDate", "updated", "pubDate", "dc:date"]),
        generator: text_of(head, &["generator"]),
        entries: Vec::new(),
    };
    if feed.language.is_empty() {
        feed.language = attr_of(head, &["feed", "rss", "channel"], "xml:lang");
    }
    let mut rest = &xml[first_entry..];
    while feed.entries.len() < MAX_ENTRIES {
        let Some((name, start)) = ["item", "entry"]
            .iter()
            .filter_map(|n| find_open(rest, n).map(|at| (*n, at)))
            .min_by_key(|(_, at)| *at)
        else {
            break;
        };
        let body = &rest[start..];
        let end = body
            .find(&format!("</{name}>"))
            .map(|e| e + name.len() + 3)
            .unwrap_or(body.len());
        let item = &body[..end];
        feed.entries.push(Entry {
            title: text_of(item, &["title"]),
            link: link_of(item),
            published: date_of(item),
            summary: text_of(
                item,
                &["description", "summary", "content:encoded", "content"],
            ),
            author: author_of(item),
        });
        rest = &body[end..];
    }
    feed
}

/// Where `<name` opens as a whole tag name (not `<names`).
fn find_open(xml: &str, name: &str) -> Option<usize> {
    let pat = format!("<{name}");
    let mut from = 0;
    while let Some(at) = xml[from..].find(&pat) {
        let at = from + at;
        match xml.as_bytes().get(at + pat.len()) {
            Some(b'>' | b' ' | b'\t' | b'\n' | b'\r' | b'/') => return Some(at),
            _ => from = at + pat.len(),
        }
    }
    None
}

/// The raw inside of the first `<name ...>...</name>` (empty for `<name/>`), and its open tag.
fn element<'a>(xml: &'a str, name: &str) -> Option<(&'a str, &'a str)> {
    let start = find_open(xml, name)?;
    let tag_end = xml[start..].find('>')? + start;
    let tag = &xml[start..=tag_end];
    if tag.ends_with("/>") {
        return Some((tag, ""));
    }
    let close = format!("</{name}>");
    let inner_end = xml[tag_end + 1..]
        .find(&close)
        .map(|e| e + tag_end + 1)
        .unwrap_or(xml.len());
    Some((tag, &xml[tag_end + 1..inner_end]))
}

fn text_of(xml: &str, names: &[&str]) -> String {
    names
        .iter()
        .find_map(|n| element(xml, n).map(|(_, inner)| clean(inner)))
        .unwrap_or_default()
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let pat = format!("{name}=");
    let mut from = 0;
    while let Some(at) = tag[from..].find(&pat) {
        let at = from + at;
        let before = tag[..at].chars().last();
        if before.is_some_and(|c| c.is_whitespace()) {
            let rest = &tag[at + pat.len()..];
            let quote = rest.chars().next()?;
            if quote == '"' || quote == '\'' {
                let value = &rest[1..];
                let end = value.find(quote)?;
                return Some(decode(&value[..end]));
            }
        }
        from = at + pat.len();
    }
    None
}

fn attr_of(xml: &str, elements: &[&str], name: &str) -> String {
    elements
        .iter()
        .find_map(|e| element(xml, e).and_then(|(tag, _)| attr(tag, name)))
        .unwrap_or_default()
}

/// RSS puts the link in the text; Atom in `href`, preferring `rel="alternate"` (the default).
fn link_of(xml: &str) -> String {
    let mut rest = xml;
    let mut fallback = None;
    while let Some(at) = find_open(rest, "link") {
        let Some((tag, inner)) = element(&rest[at..], "link") else {
            break;
        };
        let text = clean(inner);
        if !text.is_empty() {
            return text;
        }
        if let Some(href) = attr(tag, "href") {
            match attr(tag, "rel").as_deref() {
                None | Some("alternate") => return href,
                _ => fallback = fallback.or(Some(href)),
            }
        }
        rest = &rest[at + tag.len()..];
    }
    fallback.unwrap_or_default()
}

fn author_of(xml: &str) -> String {
    if let Some((_, inner)) = element(xml, "author") {
        if let Some((_, name)) = element(inner, "name") {
            return clean(name);
        }
        return clean(inner);
    }
    text_of(xml, &["dc:creator"])
}

fn date_of(xml: &str) -> Option<NaiveDateTime> {
    ["pubDate", "published", "dc:date", "updated"]
        .iter()
        .find_map(|n| element(xml, n).map(|(_, inner)| clean(inner)))
        .and_then(|d| parse_date(&d))
}

/// CDATA unwrapped, entities decoded, outer whitespace trimmed.
fn clean(raw: &str) -> String {
    let raw = raw.trim();
    if let Some(inner) = raw
        .strip_prefix("<![CDATA[")
        .and_then(|r| r.strip_suffix("]]>"))
    {
        return inner.trim().to_string();
    }
    decode(raw).trim().to_string()
}

fn decode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let Some(end) = tail.find(';').filter(|e| *e <= 10) else {
            out.push('&');
            rest = &tail[1..];
            continue;
        };
        let entity = &tail[1..end];
        let ch = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") || e.starts_with("#X") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// RFC 822 (`Tue, 10 Jun 2003 04:00:00 GMT`, RSS) or RFC 3339 (`2003-12-13T18:30:02Z`, Atom)
/// as UTC.
pub fn parse_date(s: &str) -> Option<NaiveDateTime> {
    parse_rfc3339(s).or_else(|| parse_rfc822(s))
}

fn num(s: &str) -> Option<u32> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// `+hhmm`, `-hh:mm`, `Z`, `GMT`, `UT`, `UTC` and the US zones RFC 822 names, in minutes.
fn zone_minutes(z: &str) -> Option<i64> {
    Some(match z {
        "" | "Z" | "GMT" | "UT" | "UTC" => 0,
        "EST" => -300,
        "EDT" => -240,
        "CST" => -360,
        "CDT" => -300,
        "MST" => -420,
        "MDT" => -360,
        "PST" => -480,
        "PDT" => -420,
        _ => {
            let (sign, digits) = match z.as_bytes().first()? {
                b'+' => (1, &z[1..]),
                b'-' => (-1, &z[1..]),
                _ => return None,
            };
            let digits: String = digits.chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 || !digits.is_ascii() {
                return None;
            }
            let h = i64::from(num(&digits[..2])?);
            let m = i64::from(num(&digits[2..])?);
            sign * (h * 60 + m)
        }
    })
}

fn at(date: NaiveDate, h: u32, m: u32, s: u32, zone: i64) -> Option<NaiveDateTime> {
    let local = date.and_hms_opt(h, m, s.min(59))?;
    local.checked_sub_signed(TimeDelta::try_minutes(zone)?)
}

fn parse_rfc3339(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    // Byte offsets below are only safe on ASCII; a date is ASCII or not a date.
    if s.len() < 10 || !s.is_ascii() || s.as_bytes().get(4) != Some(&b'-') {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(num(&s[..4])? as i32, num(&s[5..7])?, num(&s[8..10])?)?;
    let rest = s[10..].trim_start_matches(['T', 't', ' ']);
    if rest.is_empty() {
        return at(date, 0, 0, 0, 0);
    }
    let h = num(rest.get(..2)?)?;
    let m = num(rest.get(3..5)?)?;
    let (sec, tail) = match rest.get(5..6) {
        Some(":") => (num(rest.get(6..8)?)?, &rest[8..]),
        _ => (0, &rest[5..]),
    };
    let tail = tail.trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    at(date, h, m, sec, zone_minutes(tail.trim())?)
}

fn parse_rfc822(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    let s = s.split_once(',').map(|(_, r)| r).unwrap_or(s);
    let parts: Vec<&str> = s.split_whitespace().collect();
    if parts.len() < 4 {
        return None;
    }
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let month = MONTHS
        .iter()
        .position(|m| parts[1].to_ascii_lowercase().starts_with(m))? as u32
        + 1;
    let mut year = num(parts[2])? as i32;
    if year < 100 {
        year += if year < 50 { 2000 } else { 1900 };
    }
    let date = NaiveDate::from_ymd_opt(year, month, num(parts[0])?)?;
    let hms: Vec<&str> = parts[3].split(':').collect();
    let h = num(hms.first()?)?;
    let m = num(hms.get(1)?)?;
    let sec = hms.get(2).and_then(|x| num(x)).unwrap_or(0);
    at(
        date,
        h,
        m,
        sec,
        zone_minutes(parts.get(4).copied().unwrap_or(""))?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSS: &str = r#"<?xml version="1.0"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
<title>Example &amp; Co</title><link>https://example.test/</link>
<description>News</description><language>en-us</language>
<lastBuildDate>Tue, 10 Jun 2003 09:41:01 GMT</lastBuildDate><generator>Gen 1</generator>
<item><title><![CDATA[First <b>post</b>]]></title><link>https://example.test/1</link>
<description>Hello &lt;i&gt;world&lt;/i&gt; &#8212; ok</description>
<pubDate>Tue, 03 Jun 2003 09:39:21 +0200</pubDate><dc:creator>Ada</dc:creator></item>
<item><title>Second</title></item>
</channel></rss>"#;

    const ATOM: &str = r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr">
<title>Atom feed</title><subtitle>Sub</subtitle><updated>2003-12-13T18:30:02Z</updated>
<link rel="self" href="https://example.test/feed"/><link href="https://example.test/"/>
<entry><title>Entry</title><link rel="alternate" href="https://example.test/e1"/>
<published>2003-12-13T08:29:29-04:00</published><summary>Sum</summary>
<author><name>Alan</name></author></entry></feed>"#;

    fn dt(s: &str) -> NaiveDateTime {
        let n: Vec<u32> = s
            .split(|c: char| !c.is_ascii_digit())
            .map(|x| x.parse().unwrap())
            .collect();
        NaiveDate::from_ymd_opt(n[0] as i32, n[1], n[2])
            .unwrap()
            .and_hms_opt(n[3], n[4], n[5])
            .unwrap()
    }

    #[test]
    fn rss_and_atom_read_as_feedparser_reports_them() {
        let f = parse(RSS);
        assert_eq!(f.title, "Example & Co");
        assert_eq!(f.link, "https://example.test/");
        assert_eq!(f.language, "en-us");
        assert_eq!(f.generator, "Gen 1");
        assert_eq!(f.entries.len(), 2);
        let e = &f.entries[0];
        assert_eq!(e.title, "First <b>post</b>");
        assert_eq!(e.summary, "Hello <i>world</i> \u{2014} ok");
        assert_eq!(e.published, Some(dt("2003-06-03 07:39:21")));
        assert_eq!(e.author, "Ada");
        assert_eq!(f.entries[1].published, None);

        let a = parse(ATOM);
        assert_eq!(a.title, "Atom feed");
        assert_eq!(a.description, "Sub");
        assert_eq!(a.language, "fr");
        assert_eq!(a.link, "https://example.test/");
        assert_eq!(a.entries[0].link, "https://example.test/e1");
        assert_eq!(a.entries[0].author, "Alan");
        assert_eq!(a.entries[0].published, Some(dt("2003-12-13 12:29:29")));
    }

    #[test]
    fn odd_input_is_harmless() {
        assert_eq!(parse("").entries.len(), 0);
        assert_eq!(parse("<item><title>x").entries[0].title, "x");
        assert_eq!(
            decode("a &bogus; & &#xZZ; &#99999999;"),
            "a &bogus; & &#xZZ; &#99999999;"
        );
        assert!(parse_date("not a date").is_none());
        assert!(parse_date("31 Feb 2020 10:00:00 GMT").is_none());
        // Multi-byte characters where digits belong are not dates (and must not split).
        assert!(parse_date("2003-é1-13T18:30:02Z").is_none());
        assert!(parse_date("2003-12-13T1é:30:02Z").is_none());
        assert!(parse_date("Tue, 10 Jun 2003 04:00:00 +é12").is_none());
        assert!(parse_date("Tue, 10 Jun 2003 04:é0:00 GMT").is_none());
    }
}
