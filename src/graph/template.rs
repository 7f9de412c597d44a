//! Text templating for `FormatText` (Jinja2, via minijinja) and `Template` (NodeTool's plain
//! `{{ key }}` / `{key}` substitution), with values rendered as Python's `str()` would.

use minijinja::{Environment, Error, ErrorKind, State, Value as JValue, value::ValueKind};
use serde_json::{Map, Value};

use super::value::{py_str, too_long};

/// Instructions a template may execute: plenty for formatting, not enough to spin.
const TEMPLATE_FUEL: u64 = 200_000;

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `{NAME}` (an identifier in single braces) becomes `{{ NAME }}`, as NodeTool's FormatText
/// does before rendering, so both placeholder styles work.
fn single_braces_to_jinja(src: &str) -> String {
    let chars: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '{' && (i == 0 || chars[i - 1] != '{') {
            let start = i + 1;
            let mut j = start;
            if j < chars.len() && (chars[j].is_alphabetic() || chars[j] == '_') {
                while j < chars.len() && is_word(chars[j]) {
                    j += 1;
                }
                let closed = j < chars.len() && chars[j] == '}';
                let doubled = j + 1 < chars.len() && chars[j + 1] == '}';
                if closed && !doubled {
                    out.push_str("{{ ");
                    out.extend(&chars[start..j]);
                    out.push_str(" }}");
                    i = j + 1;
                    continue;
                }
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// NodeTool lower-cases each `{{ expr` head (up to `|` or `}`) wherever that text occurs, and
/// its variables by name; we do the same so templates written for NodeTool render alike.
fn lowercase_variables(src: &str) -> String {
    let mut heads = Vec::new();
    let mut rest = src;
    while let Some(pos) = rest.find("{{") {
        let after = &rest[pos + 2..];
        let body = after.trim_start();
        let end = body.find(['|', '}']).unwrap_or(body.len());
        if end > 0 {
            heads.push(body[..end].to_string());
        }
        rest = &body[end..];
    }
    let mut out = src.to_string();
    for head in heads {
        out = out.replace(&head, &head.to_lowercase());
    }
    out
}

/// Jinja2's `truncate(length=255, killwords=False, end='...', leeway=5)`.
fn truncate(
    s: String,
    length: Option<usize>,
    killwords: Option<bool>,
    end: Option<String>,
    leeway: Option<usize>,
) -> Result<String, Error> {
    let length = length.unwrap_or(255);
    let end = end.unwrap_or_else(|| "...".into());
    let leeway = leeway.unwrap_or(5);
    let chars: Vec<char> = s.chars().collect();
    let end_len = end.chars().count();
    if length < end_len {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("expected length >= {end_len}, got {length}"),
        ));
    }
    if chars.len() <= length + leeway {
        return Ok(s);
    }
    let head: String = chars[..length - end_len].iter().collect();
    if killwords.unwrap_or(false) {
        return Ok(head + &end);
    }
    let cut = match head.rfind(' ') {
        Some(i) => head[..i].to_string(),
        None => head,
    };
    Ok(cut + &end)
}

fn python_formatter(
    out: &mut minijinja::Output,
    _state: &State,
    value: &JValue,
) -> Result<(), Error> {
    let text = match value.kind() {
        ValueKind::Undefined => String::new(),
        ValueKind::String => value.as_str().unwrap_or_default().to_string(),
        _ => match serde_json::to_value(value) {
            Ok(v) => py_str(&v),
            Err(_) => value.to_string(),
        },
    };
    out.write_str(&text)
        .map_err(|_| Error::new(ErrorKind::WriteFailure, "could not write output"))
}

/// Collects rendered text, refusing to grow past a limit (a loop could otherwise print a
/// large value many times over).
struct Capped {
    buf: Vec<u8>,
    max: usize,
    overflowed: bool,
}

impl std::io::Write for Capped {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.buf.len() + data.len() > self.max {
            self.overflowed = true;
            return Err(std::io::Error::other("output limit"));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Renders a Jinja2 template the way NodeTool's `FormatText` node does.
pub fn format_text(
    template: &str,
    vars: &Map<String, Value>,
    max_len: usize,
) -> Result<String, String> {
    let source = lowercase_variables(&single_braces_to_jinja(template));
    let mut env = Environment::new();
    env.set_fuel(Some(TEMPLATE_FUEL));
    env.set_formatter(python_formatter);
    env.add_filter("truncate", truncate);
    let ctx: Map<String, Value> = vars
        .iter()
        .map(|(k, v)| (k.to_lowercase(), v.clone()))
        .collect();
    let tpl = env
        .template_from_str(&source)
        .map_err(|e| format!("Template error: {e}"))?;
    let mut out = Capped {
        buf: Vec::new(),
        max: max_len,
        overflowed: false,
    };
    match tpl.render_captured_to(JValue::from_serialize(&ctx), &mut out) {
        Ok(_) => Ok(String::from_utf8_lossy(&out.buf).into_owned()),
        Err(_) if out.overflowed => too_long(max_len + 1, max_len).map(|()| String::new()),
        Err(e) => Err(format!("Template error: {e}")),
    }
}

fn skip_ws(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() && chars[i].is_whitespace() {
        i += 1;
    }
    i
}

fn starts_at(chars: &[char], i: usize, pat: &[char]) -> bool {
    chars.len() >= i + pat.len() && chars[i..i + pat.len()] == *pat
}

/// Replaces `{{ key }}` (any inner whitespace) and a lone `{key}` with `value`.
fn substitute_one(src: &str, key: &str, value: &str, max: usize) -> Result<String, String> {
    let chars: Vec<char> = src.chars().collect();
    let key: Vec<char> = key.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < chars.len() {
        if starts_at(&chars, i, &['{', '{']) {
            let k = skip_ws(&chars, i + 2);
            if starts_at(&chars, k, &key) {
                let e = skip_ws(&chars, k + key.len());
                if starts_at(&chars, e, &['}', '}']) {
                    out.push_str(value);
                    too_long(out.len(), max)?;
                    i = e + 2;
                    continue;
                }
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    // Then the single-brace form, judged on the text as it now stands (as NodeTool's second
    // `re.sub` does).
    let chars: Vec<char> = out.chars().collect();
    let mut out2 = String::with_capacity(out.len());
    let mut i = 0;
    while i < chars.len() {
        let lone_open = chars[i] == '{' && (i == 0 || chars[i - 1] != '{');
        if lone_open && starts_at(&chars, i + 1, &key) {
            let close = i + 1 + key.len();
            if close < chars.len()
                && chars[close] == '}'
                && chars.get(close + 1).is_none_or(|c| *c != '}')
            {
                out2.push_str(value);
                too_long(out2.len(), max)?;
                i = close + 1;
                continue;
            }
        }
        out2.push(chars[i]);
        i += 1;
    }
    Ok(out2)
}

/// NodeTool's `Template` node: each key in turn, its value as Python's `str()`.
pub fn substitute(template: &str, vars: &[(String, Value)], max: usize) -> Result<String, String> {
    let mut result = template.to_string();
    for (key, value) in vars {
        result = substitute_one(&result, key, &py_str(value), max)?;
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn single_braces_become_jinja() {
        assert_eq!(single_braces_to_jinja("{a} {{b}} {1}"), "{{ a }} {{b}} {1}");
    }

    #[test]
    fn loops_are_fuel_limited() {
        let vars = Map::new();
        let err = format_text(
            "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
            &vars,
            1 << 20,
        )
        .unwrap_err();
        assert!(err.starts_with("Template error"), "{err}");
    }

    #[test]
    fn substitution_leaves_unknown_placeholders() {
        let vars = vec![("a".to_string(), json!("{b}")), ("b".to_string(), json!(2))];
        // Values are substituted into later keys' patterns, as in NodeTool.
        assert_eq!(substitute("{{a}} {c}", &vars, 100).unwrap(), "2 {c}");
        let big = vec![("a".to_string(), json!("x".repeat(60)))];
        assert!(substitute("{a}{a}", &big, 100).is_err());
    }
}
