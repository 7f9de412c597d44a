//! The validator's applicators (`allOf`, `anyOf`, `oneOf`, `not`, conditionals) and the
//! `unevaluated*` keywords.

use serde_json::{Map, Value};

use super::rules::Draft;
use super::validator::{Seen, Validator};

impl Validator<'_> {
    /// `allOf`, `anyOf`, `oneOf`, `not`, `if`/`then`/`else`.
    pub(super) fn applicators(
        &mut self,
        inst: &Value,
        s: &Map<String, Value>,
        depth: usize,
        seen: &mut Seen,
    ) -> Result<bool, String> {
        let subs = |key: &str| match s.get(key) {
            Some(Value::Array(a)) => a.as_slice(),
            _ => &[],
        };
        for sub in subs("allOf") {
            match self.valid(inst, sub, depth + 1)? {
                Some(got) => seen.merge(got),
                None => return Ok(false),
            }
        }
        if s.contains_key("anyOf") {
            let mut any = false;
            for sub in subs("anyOf") {
                if let Some(got) = self.valid(inst, sub, depth + 1)? {
                    any = true;
                    seen.merge(got);
                }
            }
            if !any {
                return Ok(false);
            }
        }
        if s.contains_key("oneOf") {
            let mut passing = Vec::new();
            for sub in subs("oneOf") {
                if let Some(got) = self.valid(inst, sub, depth + 1)? {
                    passing.push(got);
                }
            }
            if passing.len() != 1 {
                return Ok(false);
            }
            seen.merge(passing.remove(0));
        }
        if let Some(sub) = s.get("not")
            && self.valid(inst, sub, depth + 1)?.is_some()
        {
            return Ok(false);
        }
        if let Some(cond) = s.get("if").filter(|_| self.draft >= Draft::D7) {
            let branch = match self.valid(inst, cond, depth + 1)? {
                Some(got) => {
                    seen.merge(got);
                    s.get("then")
                }
                None => s.get("else"),
            };
            if let Some(sub) = branch {
                match self.valid(inst, sub, depth + 1)? {
                    Some(got) => seen.merge(got),
                    None => return Ok(false),
                }
            }
        }
        Ok(true)
    }

    /// `unevaluatedItems` and `unevaluatedProperties`: what no other keyword evaluated.
    pub(super) fn unevaluated(
        &mut self,
        inst: &Value,
        s: &Map<String, Value>,
        depth: usize,
        seen: &mut Seen,
    ) -> Result<bool, String> {
        if let (Some(sub), Value::Array(items)) = (s.get("unevaluatedItems"), inst) {
            if !seen.all_items {
                for (i, item) in items.iter().enumerate() {
                    if !seen.items.contains(&i) && self.valid(item, sub, depth + 1)?.is_none() {
                        return Ok(false);
                    }
                }
            }
            seen.all_items = true;
        }
        if let (Some(sub), Value::Object(map)) = (s.get("unevaluatedProperties"), inst) {
            if !seen.all_props {
                for (k, v) in map {
                    if !seen.props.contains(k) && self.valid(v, sub, depth + 1)?.is_none() {
                        return Ok(false);
                    }
                }
            }
            seen.all_props = true;
        }
        Ok(true)
    }
}
