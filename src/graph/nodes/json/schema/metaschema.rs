//! The metaschema check `jsonschema.validate` makes before validating.

use std::collections::HashSet;

use serde_json::Value;

use super::rules::{Draft, compiled, number};
use crate::graph::nodes::pyjson::encode::MAX_WALK_DEPTH;
use crate::graph::value::{Num, as_num, py_repr};

/// The metaschema check `jsonschema.validate` makes first: keyword values of the wrong shape
/// are a schema error (reported with the first line of jsonschema's message), not a `False`.
pub(super) fn check_schema(schema: &Value, draft: Draft, depth: usize) -> Result<(), String> {
    if depth > MAX_WALK_DEPTH {
        return Err("the schema is nested too deeply to check".into());
    }
    let s = match schema {
        Value::Object(s) => s,
        Value::Bool(_) if draft > Draft::D4 => return Ok(()),
        other => return Err(not_of_type(other, "'object', 'boolean'")),
    };
    for (key, v) in s {
        check_keyword(key, v, draft, depth)?;
    }
    Ok(())
}

fn not_of_type(v: &Value, ty: &str) -> String {
    format!("{} is not of type {ty}", py_repr(v))
}

fn check_keyword(key: &str, v: &Value, draft: Draft, depth: usize) -> Result<(), String> {
    let is_num = matches!(v, Value::Number(_));
    match key {
        "type" => check_type_keyword(v),
        "maximum" | "minimum" | "exclusiveMaximum" | "exclusiveMinimum"
            if !(is_num || draft == Draft::D4 && key.starts_with("exclusive")) =>
        {
            Err(not_of_type(v, "'number'"))
        }
        "multipleOf" if !is_num => Err(not_of_type(v, "'number'")),
        "multipleOf" if number(v).is_some_and(|d| d <= 0.0) => Err(format!(
            "{} is less than or equal to the minimum of 0",
            py_repr(v)
        )),
        "maxLength" | "minLength" | "maxItems" | "minItems" | "maxProperties" | "minProperties"
        | "maxContains" | "minContains" => match (v, as_num(v)) {
            (Value::Number(_), Some(Num::Float(f))) if f.fract() != 0.0 => {
                Err(not_of_type(v, "'integer'"))
            }
            (Value::Number(_), Some(n)) if n.as_f64() < 0.0 => {
                Err(format!("{} is less than the minimum of 0", py_repr(v)))
            }
            (Value::Number(_), _) => Ok(()),
            _ => Err(not_of_type(v, "'integer'")),
        },
        "required" => check_string_array(v, draft),
        "enum" if !v.is_array() => Err(not_of_type(v, "'array'")),
        "uniqueItems" if !v.is_boolean() => Err(not_of_type(v, "'boolean'")),
        "pattern" => match v {
            Value::String(p) => compiled(p).map(|_| ()),
            _ => Err(not_of_type(v, "'string'")),
        },
        "allOf" | "anyOf" | "oneOf" => match v {
            Value::Array(a) if a.is_empty() => Err("[] should be non-empty".into()),
            Value::Array(a) => a.iter().try_for_each(|s| check_schema(s, draft, depth + 1)),
            _ => Err(not_of_type(v, "'array'")),
        },
        "properties" | "patternProperties" | "$defs" | "definitions" | "dependentSchemas" => {
            let Value::Object(m) = v else {
                return Err(not_of_type(v, "'object'"));
            };
            if key == "patternProperties" {
                m.keys().try_for_each(|p| compiled(p).map(|_| ()))?;
            }
            m.values()
                .try_for_each(|s| check_schema(s, draft, depth + 1))
        }
        "items" if draft < Draft::D2020 && v.is_array() => v
            .as_array()
            .into_iter()
            .flatten()
            .try_for_each(|s| check_schema(s, draft, depth + 1)),
        "prefixItems" => match v {
            Value::Array(a) => a.iter().try_for_each(|s| check_schema(s, draft, depth + 1)),
            _ => Err(not_of_type(v, "'array'")),
        },
        "items"
        | "additionalItems"
        | "additionalProperties"
        | "contains"
        | "propertyNames"
        | "not"
        | "if"
        | "then"
        | "else"
        | "unevaluatedItems"
        | "unevaluatedProperties" => check_schema(v, draft, depth + 1),
        "$ref" if !v.is_string() => Err(not_of_type(v, "'string'")),
        _ => Ok(()),
    }
}

fn check_type_keyword(v: &Value) -> Result<(), String> {
    const TYPES: [&str; 7] = [
        "array", "boolean", "integer", "null", "number", "object", "string",
    ];
    let known = |t: &Value| t.as_str().is_some_and(|t| TYPES.contains(&t));
    let ok = match v {
        Value::String(_) => known(v),
        Value::Array(ts) => {
            let distinct: HashSet<&str> = ts.iter().filter_map(Value::as_str).collect();
            !ts.is_empty() && ts.iter().all(known) && distinct.len() == ts.len()
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{} is not valid under any of the given schemas",
            py_repr(v)
        ))
    }
}

fn check_string_array(v: &Value, draft: Draft) -> Result<(), String> {
    let Value::Array(items) = v else {
        return Err(not_of_type(v, "'array'"));
    };
    if let Some(bad) = items.iter().find(|k| !k.is_string()) {
        return Err(not_of_type(bad, "'string'"));
    }
    let distinct: HashSet<&str> = items.iter().filter_map(Value::as_str).collect();
    if distinct.len() != items.len() && draft >= Draft::D6 {
        return Err(format!("{} has non-unique elements", py_repr(v)));
    }
    if items.is_empty() && draft == Draft::D4 {
        return Err("[] should be non-empty".into());
    }
    Ok(())
}
