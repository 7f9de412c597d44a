//! The regular expression nodes: `re.search`, `findall`, `finditer`, `sub`, `split` and
//! `match` over NodeTool's properties, on the `pyre` engine.

use serde_json::Value;

use super::output::{Bounded, chars_of, string_of};
use crate::graph::nodes::pyre;
use crate::graph::nodes::spec::{Emitted, Props, one};

fn regex_flags(p: &Props) -> u32 {
    let mut flags = 0;
    for (name, flag) in [
        ("dotall", pyre::DOTALL),
        ("ignorecase", pyre::IGNORECASE),
        ("multiline", pyre::MULTILINE),
    ] {
        if p.bool(name) {
            flags |= flag;
        }
    }
    flags
}

/// A group's text, or null where the group did not take part (Python's None).
fn group_value(
    out: &mut Bounded,
    chars: &[char],
    span: Option<(usize, usize)>,
) -> Result<Value, String> {
    match span {
        Some((s, e)) => out.text(string_of(chars, s, e)),
        None => Ok(Value::Null),
    }
}

/// `re.search(regex, text, flags).groups()`, or an empty list when nothing matches.
pub(crate) fn extract_regex(p: &Props) -> Result<Emitted, String> {
    let re = pyre::Regex::new(p.str("regex"), regex_flags(p))?;
    let chars = chars_of(p.str("text"));
    let mut out = Bounded::new(p.max_len);
    if let Some(m) = re.exec(
        &chars,
        0,
        false,
        pyre::Mode::Search,
        &mut pyre::Budget::for_text(chars.len()),
    )? {
        for span in m.into_iter().skip(1) {
            let v = group_value(&mut out, &chars, span)?;
            out.push(v)?;
        }
    }
    out.done()
}

/// `re.findall`: whole matches without groups, the group with one, lists of groups with
/// several (a group that did not take part is an empty string there).
pub(crate) fn find_all_regex(p: &Props) -> Result<Emitted, String> {
    let re = pyre::Regex::new(p.str("regex"), regex_flags(p))?;
    find_all(&re, p.str("text"), p.max_len)
}

fn find_all(re: &pyre::Regex, text: &str, max_len: usize) -> Result<Emitted, String> {
    let chars = chars_of(text);
    let mut out = Bounded::new(max_len);
    let text_of =
        |span: Option<(usize, usize)>| span.map_or(String::new(), |(s, e)| string_of(&chars, s, e));
    re.for_each(&chars, &mut pyre::Budget::for_text(chars.len()), |m| {
        let item = match m.len() {
            1 => out.text(text_of(m[0]))?,
            2 => out.text(text_of(m[1]))?,
            _ => {
                let mut groups = Vec::with_capacity(m.len() - 1);
                for span in &m[1..] {
                    groups.push(out.text(text_of(*span))?);
                }
                Value::Array(groups)
            }
        };
        out.push(item)?;
        Ok(true)
    })?;
    out.done()
}

/// `[m.group(group) for m in re.finditer(pattern, text)]`.
pub(crate) fn regex_match(p: &Props) -> Result<Emitted, String> {
    let re = pyre::Regex::new(p.str("pattern"), 0)?;
    let chars = chars_of(p.str("text"));
    let group = p.int("group");
    let mut out = Bounded::new(p.max_len);
    re.for_each(&chars, &mut pyre::Budget::for_text(chars.len()), |m| {
        let span = usize::try_from(group)
            .ok()
            .and_then(|g| m.get(g))
            .ok_or("no such group")?;
        let v = group_value(&mut out, &chars, *span)?;
        out.push(v)?;
        Ok(true)
    })?;
    out.done()
}

/// `re.sub(pattern, replacement, text, count=count)`: 0 replaces all, a negative count none.
pub(crate) fn regex_replace(p: &Props) -> Result<Emitted, String> {
    let re = pyre::Regex::new(p.str("pattern"), 0)?;
    let chars = chars_of(p.str("text"));
    let out = re.sub(
        &chars,
        p.str("replacement"),
        p.int("count"),
        p.max_len,
        &mut pyre::Budget::for_text(chars.len()),
    )?;
    one(Value::String(out))
}

/// `re.split(pattern, text, maxsplit=maxsplit)`: groups in the pattern are kept in the result
/// (null where a group did not take part); 0 splits everywhere, a negative count nowhere.
pub(crate) fn regex_split(p: &Props) -> Result<Emitted, String> {
    let re = pyre::Regex::new(p.str("pattern"), 0)?;
    let chars = chars_of(p.str("text"));
    let maxsplit = p.int("maxsplit");
    let mut out = Bounded::new(p.max_len);
    let mut last = 0;
    if maxsplit >= 0 {
        let mut n: i64 = 0;
        re.for_each(&chars, &mut pyre::Budget::for_text(chars.len()), |m| {
            let (s, e) = m[0].unwrap_or((last, last));
            out.push_text(string_of(&chars, last, s))?;
            for span in &m[1..] {
                let v = group_value(&mut out, &chars, *span)?;
                out.push(v)?;
            }
            last = e;
            n += 1;
            Ok(maxsplit == 0 || n < maxsplit)
        })?;
    }
    out.push_text(string_of(&chars, last, chars.len()))?;
    out.done()
}

/// `bool(re.match(pattern, text))`: anchored at the start only.
pub(crate) fn regex_validate(p: &Props) -> Result<Emitted, String> {
    let re = pyre::Regex::new(p.str("pattern"), 0)?;
    let chars = chars_of(p.str("text"));
    let hit = re.exec(
        &chars,
        0,
        false,
        pyre::Mode::Match,
        &mut pyre::Budget::for_text(chars.len()),
    )?;
    one(Value::Bool(hit.is_some()))
}
