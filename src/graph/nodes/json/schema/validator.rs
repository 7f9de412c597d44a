//! The validator: references, and the keywords for every instance, numbers and strings.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use serde_json::{Map, Value};

use super::rules::{
    Draft, compiled, find_anchor, is_type, multiple_of, number, percent_decode, schema_eq,
};
use crate::graph::nodes::pyjson::numbers::num_cmp;
use crate::graph::nodes::pyre::{Budget, Mode, Regex};
use crate::graph::value::{py_repr, py_str};

/// Deepest chain of subschemas (and references) one validation follows.
const MAX_SCHEMA_DEPTH: usize = 128;

/// Work budget for one validation: references can make a schema revisit itself.
const MAX_SCHEMA_STEPS: usize = 1_000_000;

/// Properties and items a successful validation evaluated (for `unevaluated*`).
#[derive(Default)]
pub(super) struct Seen {
    pub(super) props: HashSet<String>,
    pub(super) all_props: bool,
    pub(super) items: HashSet<usize>,
    pub(super) all_items: bool,
}

impl Seen {
    pub(super) fn merge(&mut self, other: Seen) {
        self.props.extend(other.props);
        self.items.extend(other.items);
        self.all_props |= other.all_props;
        self.all_items |= other.all_items;
    }
}

/// `Ok(None)`: the instance is invalid; `Err`: the schema cannot be applied.
pub(super) type Outcome = Result<Option<Seen>, String>;

pub(super) struct Validator<'a> {
    pub(super) root: &'a Value,
    pub(super) draft: Draft,
    pub(super) steps: usize,
    /// Compiled `pattern`s and `patternProperties`, so a long array compiles each once.
    pub(super) patterns: HashMap<String, Rc<Regex>>,
    /// The work every pattern search of this validation shares.
    pub(super) budget: Budget,
}

impl<'a> Validator<'a> {
    pub(super) fn valid(&mut self, inst: &Value, schema: &Value, depth: usize) -> Outcome {
        self.steps += 1;
        if self.steps > MAX_SCHEMA_STEPS || depth > MAX_SCHEMA_DEPTH {
            return Err("the schema is too large or too deeply self-referencing to check".into());
        }
        let s = match schema {
            Value::Bool(true) => return Ok(Some(Seen::default())),
            Value::Bool(false) => return Ok(None),
            Value::Object(s) => s,
            // check_schema refuses these before validation starts.
            _ => return Ok(Some(Seen::default())),
        };
        for unsupported in ["$dynamicRef", "$recursiveRef"] {
            if s.contains_key(unsupported) {
                return Err(format!(
                    "the JSON Schema keyword '{unsupported}' is not supported on this server"
                ));
            }
        }
        let mut seen = Seen::default();
        if let Some(Value::String(r)) = s.get("$ref") {
            let target = self.resolve(r)?;
            let Some(got) = self.valid(inst, target, depth + 1)? else {
                return Ok(None);
            };
            // Up to draft 7 a reference replaces its siblings.
            if self.draft <= Draft::D7 {
                return Ok(Some(got));
            }
            seen.merge(got);
        }
        if !self.generic(inst, s) {
            return Ok(None);
        }
        let ok = match inst {
            Value::Number(_) => self.numeric(inst, s),
            Value::String(text) => self.string(text, s)?,
            _ => true,
        };
        if !ok {
            return Ok(None);
        }
        let ok = match inst {
            Value::Array(items) => self.array(items, s, depth, &mut seen)?,
            Value::Object(map) => self.object(inst, map, s, depth, &mut seen)?,
            _ => true,
        };
        if !ok || !self.applicators(inst, s, depth, &mut seen)? {
            return Ok(None);
        }
        if self.draft >= Draft::D2019 && !self.unevaluated(inst, s, depth, &mut seen)? {
            return Ok(None);
        }
        Ok(Some(seen))
    }

    fn resolve(&self, reference: &str) -> Result<&'a Value, String> {
        let root: &'a Value = self.root;
        let root_id = root.get("$id").and_then(Value::as_str).unwrap_or("");
        let local = match reference.split_once('#') {
            Some((base, frag)) if base.is_empty() || base == root_id => frag,
            None if !root_id.is_empty() && reference == root_id => "",
            _ => return Err(format!("Unresolvable: {reference}")),
        };
        if local.is_empty() {
            return Ok(root);
        }
        if !local.starts_with('/') {
            return find_anchor(root, local, 0).ok_or_else(|| format!("Unresolvable: {reference}"));
        }
        let mut cur = root;
        for raw in local[1..].split('/') {
            let token = percent_decode(raw).replace("~1", "/").replace("~0", "~");
            let next = match cur {
                Value::Object(m) => m.get(&token),
                Value::Array(a) => token.parse::<usize>().ok().and_then(|i| a.get(i)),
                _ => None,
            };
            cur = next.ok_or_else(|| {
                format!(
                    "PointerToNowhere: {} does not exist within {}",
                    py_repr(&Value::String(local.to_string())),
                    py_str(root)
                )
            })?;
        }
        Ok(cur)
    }

    /// `type`, `enum`, `const`: the keywords that apply to every instance.
    fn generic(&self, inst: &Value, s: &Map<String, Value>) -> bool {
        let type_ok = match s.get("type") {
            Some(Value::String(t)) => is_type(inst, t, self.draft),
            Some(Value::Array(ts)) => ts
                .iter()
                .any(|t| t.as_str().is_some_and(|t| is_type(inst, t, self.draft))),
            _ => true,
        };
        let enum_ok = match s.get("enum") {
            Some(Value::Array(options)) => options.iter().any(|o| schema_eq(o, inst)),
            _ => true,
        };
        let const_ok = self.draft < Draft::D6 || s.get("const").is_none_or(|c| schema_eq(c, inst));
        type_ok && enum_ok && const_ok
    }

    fn numeric(&self, inst: &Value, s: &Map<String, Value>) -> bool {
        let cmp = |key: &str| s.get(key).and_then(|b| num_cmp(inst, b));
        let flag = |key: &str| s.get(key) == Some(&Value::Bool(true));
        use Ordering::*;
        let (max_ok, min_ok) = if self.draft == Draft::D4 {
            // Draft 4's exclusive bounds are flags on maximum and minimum.
            (
                cmp("maximum")
                    .is_none_or(|o| o == Less || (o == Equal && !flag("exclusiveMaximum"))),
                cmp("minimum")
                    .is_none_or(|o| o == Greater || (o == Equal && !flag("exclusiveMinimum"))),
            )
        } else {
            (
                cmp("maximum").is_none_or(|o| o != Greater)
                    && cmp("exclusiveMaximum").is_none_or(|o| o == Less),
                cmp("minimum").is_none_or(|o| o != Less)
                    && cmp("exclusiveMinimum").is_none_or(|o| o == Greater),
            )
        };
        max_ok && min_ok && s.get("multipleOf").is_none_or(|m| multiple_of(inst, m))
    }

    pub(super) fn regex(&mut self, pattern: &str) -> Result<Rc<Regex>, String> {
        if let Some(re) = self.patterns.get(pattern) {
            return Ok(re.clone());
        }
        let re = Rc::new(compiled(pattern)?);
        self.patterns.insert(pattern.to_string(), re.clone());
        Ok(re)
    }

    /// `re.search(pattern, text)`: whether the pattern is found anywhere in the text.
    pub(super) fn search(&mut self, re: &Regex, text: &str) -> Result<bool, String> {
        self.budget.grant(text.chars().count());
        re.is_match(text, Mode::Search, &mut self.budget)
    }

    fn string(&mut self, text: &str, s: &Map<String, Value>) -> Result<bool, String> {
        let len = text.chars().count() as f64;
        if number(s.get("maxLength").unwrap_or(&Value::Null)).is_some_and(|m| len > m)
            || number(s.get("minLength").unwrap_or(&Value::Null)).is_some_and(|m| len < m)
        {
            return Ok(false);
        }
        match s.get("pattern") {
            Some(Value::String(pat)) => {
                let re = self.regex(pat)?;
                self.search(&re, text)
            }
            _ => Ok(true),
        }
    }
}
