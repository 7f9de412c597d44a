//! The validator's keywords for arrays and objects: items, `contains`, properties and
//! dependencies.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::rules::{Draft, canonical, number};
use super::validator::{Seen, Validator};

impl Validator<'_> {
    pub(super) fn array(
        &mut self,
        items: &[Value],
        s: &Map<String, Value>,
        depth: usize,
        seen: &mut Seen,
    ) -> Result<bool, String> {
        let len = items.len() as f64;
        let bound = |key: &str| s.get(key).and_then(number);
        if bound("maxItems").is_some_and(|m| len > m) || bound("minItems").is_some_and(|m| len < m)
        {
            return Ok(false);
        }
        if s.get("uniqueItems") == Some(&Value::Bool(true)) {
            let mut keys = HashSet::new();
            for item in items {
                let mut k = String::new();
                canonical(item, &mut k);
                if !keys.insert(k) {
                    return Ok(false);
                }
            }
        }
        // Positional schemas: `prefixItems` (2020-12) or an array `items` (earlier drafts), then
        // the schema for the rest.
        let (prefix, rest) = match (self.draft, s.get("prefixItems"), s.get("items")) {
            (Draft::D2020, Some(Value::Array(p)), rest) => (p.as_slice(), rest),
            (Draft::D2020, _, rest) => (&[][..], rest),
            (_, _, Some(Value::Array(p))) => (p.as_slice(), s.get("additionalItems")),
            (_, _, rest) => (&[][..], rest),
        };
        for (i, (item, sub)) in items.iter().zip(prefix).enumerate() {
            if self.valid(item, sub, depth + 1)?.is_none() {
                return Ok(false);
            }
            seen.items.insert(i);
        }
        if let Some(sub) = rest {
            for item in items.iter().skip(prefix.len()) {
                if self.valid(item, sub, depth + 1)?.is_none() {
                    return Ok(false);
                }
            }
            if items.len() > prefix.len() {
                seen.all_items = true;
            }
        }
        self.contains(items, s, depth, seen)
    }

    fn contains(
        &mut self,
        items: &[Value],
        s: &Map<String, Value>,
        depth: usize,
        seen: &mut Seen,
    ) -> Result<bool, String> {
        let Some(sub) = s.get("contains").filter(|_| self.draft >= Draft::D6) else {
            return Ok(true);
        };
        let mut hits = 0.0;
        for (i, item) in items.iter().enumerate() {
            if self.valid(item, sub, depth + 1)?.is_some() {
                hits += 1.0;
                seen.items.insert(i);
            }
        }
        let (min, max) = if self.draft >= Draft::D2019 {
            (
                s.get("minContains").and_then(number).unwrap_or(1.0),
                s.get("maxContains").and_then(number),
            )
        } else {
            (1.0, None)
        };
        Ok(hits >= min && max.is_none_or(|m| hits <= m))
    }

    pub(super) fn object(
        &mut self,
        inst: &Value,
        map: &Map<String, Value>,
        s: &Map<String, Value>,
        depth: usize,
        seen: &mut Seen,
    ) -> Result<bool, String> {
        let len = map.len() as f64;
        let bound = |key: &str| s.get(key).and_then(number);
        if bound("maxProperties").is_some_and(|m| len > m)
            || bound("minProperties").is_some_and(|m| len < m)
        {
            return Ok(false);
        }
        if let Some(Value::Array(req)) = s.get("required")
            && req
                .iter()
                .any(|k| k.as_str().is_some_and(|k| !map.contains_key(k)))
        {
            return Ok(false);
        }
        if !self.dependencies(inst, map, s, depth, seen)? {
            return Ok(false);
        }
        let props = s.get("properties").and_then(Value::as_object);
        let mut patterns = Vec::new();
        if let Some(Value::Object(pp)) = s.get("patternProperties") {
            for (pat, sub) in pp {
                patterns.push((self.regex(pat)?, sub));
            }
        }
        let additional = s.get("additionalProperties");
        let names = s.get("propertyNames").filter(|_| self.draft >= Draft::D6);
        for (key, value) in map {
            if let Some(sub) = names
                && self
                    .valid(&Value::String(key.clone()), sub, depth + 1)?
                    .is_none()
            {
                return Ok(false);
            }
            let mut matched = false;
            if let Some(sub) = props.and_then(|p| p.get(key)) {
                matched = true;
                if self.valid(value, sub, depth + 1)?.is_none() {
                    return Ok(false);
                }
            }
            for (re, sub) in &patterns {
                if self.search(re, key)? {
                    matched = true;
                    if self.valid(value, sub, depth + 1)?.is_none() {
                        return Ok(false);
                    }
                }
            }
            if !matched && let Some(sub) = additional {
                if self.valid(value, sub, depth + 1)?.is_none() {
                    return Ok(false);
                }
                matched = true;
            }
            if matched {
                seen.props.insert(key.clone());
            }
        }
        Ok(true)
    }

    /// `dependentRequired`, `dependentSchemas` (2019-09 on) and `dependencies` (before).
    fn dependencies(
        &mut self,
        inst: &Value,
        map: &Map<String, Value>,
        s: &Map<String, Value>,
        depth: usize,
        seen: &mut Seen,
    ) -> Result<bool, String> {
        let keyed: Vec<(&str, &Value)> = if self.draft >= Draft::D2019 {
            ["dependentRequired", "dependentSchemas"]
                .iter()
                .filter_map(|k| Some((*k, s.get(*k)?)))
                .collect()
        } else {
            s.get("dependencies")
                .map(|d| ("dependencies", d))
                .into_iter()
                .collect()
        };
        for (_, deps) in keyed {
            let Value::Object(deps) = deps else { continue };
            for (prop, dep) in deps {
                if !map.contains_key(prop) {
                    continue;
                }
                match dep {
                    Value::Array(required) => {
                        if required
                            .iter()
                            .any(|k| k.as_str().is_some_and(|k| !map.contains_key(k)))
                        {
                            return Ok(false);
                        }
                    }
                    sub => match self.valid(inst, sub, depth + 1)? {
                        Some(got) => seen.merge(got),
                        None => return Ok(false),
                    },
                }
            }
        }
        Ok(true)
    }
}
