//! `lib.json.*`: JSON text in and out, dotted paths, filters, templates and schema validation.
//!
//! The node specs are here; what the nodes compute is in the submodules, and the Python `json`
//! module they follow is in `pyjson`.

mod paths;
mod schema;
mod text;

use paths::{path_bool, path_dict, path_float, path_int, path_list, path_str};
use schema::validate_json;
use text::{filter_json, json_template, parse_dict, parse_list, stringify_json};

use super::spec::{Family, op};
use crate::graph::value::Kind;

pub(crate) const FAMILY: Family = Family {
    prefixes: &["lib.json."],
    nodes: &[
        ("ParseDict", op(parse_dict, JSON_STRING)),
        ("ParseList", op(parse_list, JSON_STRING)),
        (
            "StringifyJSON",
            op(
                stringify_json,
                &[("data", Kind::Any, "{}"), ("indent", Kind::Int, "2")],
            ),
        ),
        (
            "GetJSONPathStr",
            op(path_str, &[DATA, PATH, ("default", Kind::Str, "\"\"")]),
        ),
        (
            "GetJSONPathInt",
            op(path_int, &[DATA, PATH, ("default", Kind::Int, "0")]),
        ),
        (
            "GetJSONPathFloat",
            op(path_float, &[DATA, PATH, ("default", Kind::Float, "0.0")]),
        ),
        (
            "GetJSONPathBool",
            op(path_bool, &[DATA, PATH, ("default", Kind::Bool, "false")]),
        ),
        (
            "GetJSONPathList",
            op(path_list, &[DATA, PATH, ("default", Kind::List, "[]")]),
        ),
        (
            "GetJSONPathDict",
            op(path_dict, &[DATA, PATH, ("default", Kind::Dict, "{}")]),
        ),
        (
            "ValidateJSON",
            op(
                validate_json,
                &[("data", Kind::Any, "{}"), ("json_schema", Kind::Dict, "{}")],
            ),
        ),
        (
            "FilterJSON",
            op(
                filter_json,
                &[
                    ("array", Kind::List, "[]"),
                    ("key", Kind::Str, "\"\""),
                    ("value", Kind::Any, "{}"),
                ],
            ),
        ),
        (
            "JSONTemplate",
            op(
                json_template,
                &[
                    ("template", Kind::Str, "\"\""),
                    ("values", Kind::Dict, "{}"),
                ],
            ),
        ),
    ],
};

const JSON_STRING: &[(&str, Kind, &str)] = &[("json_string", Kind::Str, "\"\"")];
const DATA: (&str, Kind, &str) = ("data", Kind::Any, "{}");
const PATH: (&str, Kind, &str) = ("path", Kind::Str, "\"\"");
