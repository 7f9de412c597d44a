//! `nodetool.dictionary.*`: dictionaries, their stream filters, and JSON and YAML text.
//!
//! The node specs are here; what the nodes compute is in the submodules.

mod edit;
mod query;
mod stream;
mod yaml;

use edit::{
    arg_max, combine, filter, get_value, make_dictionary, parse_json, reduce_dictionaries, remove,
    to_json, to_yaml, update, zip,
};
use stream::{filter_by_number, filter_by_query, filter_by_range, filter_by_value, filter_regex};

use super::spec::{Family, Spec, op};
use crate::graph::value::Kind;

pub(crate) const FAMILY: Family = Family {
    prefixes: &["nodetool.dictionary."],
    nodes: &[
        (
            "GetValue",
            op(
                get_value,
                &[
                    DICTIONARY,
                    ("key", Kind::Str, "\"\""),
                    ("default", Kind::Any, "[]"),
                ],
            ),
        ),
        (
            "Update",
            op(update, &[DICTIONARY, ("new_pairs", Kind::Dict, "{}")]),
        ),
        (
            "Remove",
            op(remove, &[DICTIONARY, ("key", Kind::Str, "\"\"")]),
        ),
        (
            "ParseJSON",
            op(parse_json, &[("json_string", Kind::Str, "\"\"")]),
        ),
        (
            "Zip",
            op(
                zip,
                &[("keys", Kind::List, "[]"), ("values", Kind::List, "[]")],
            ),
        ),
        (
            "Combine",
            op(
                combine,
                &[("dict_a", Kind::Dict, "{}"), ("dict_b", Kind::Dict, "{}")],
            ),
        ),
        (
            "Filter",
            op(filter, &[DICTIONARY, ("keys", Kind::List, "[]")]),
        ),
        (
            "ReduceDictionaries",
            op(
                reduce_dictionaries,
                &[
                    ("dictionaries", Kind::List, "[]"),
                    ("key_field", Kind::Str, "\"\""),
                    ("value_field", Kind::Str, "\"\""),
                    ("conflict_resolution", Kind::Str, "\"first\""),
                ],
            ),
        ),
        (
            "MakeDictionary",
            Spec {
                dynamic: true,
                ..op(make_dictionary, &[])
            },
        ),
        ("ArgMax", op(arg_max, &[("scores", Kind::Dict, "{}")])),
        (
            "FilterDictByValue",
            op(
                filter_by_value,
                &[
                    STREAM_VALUE,
                    STREAM_KEY,
                    ("filter_type", Kind::Str, "\"contains\""),
                    ("criteria", Kind::Str, "\"\""),
                ],
            ),
        ),
        (
            "FilterDictByRange",
            op(
                filter_by_range,
                &[
                    STREAM_VALUE,
                    STREAM_KEY,
                    ("min_value", Kind::Float, "0.0"),
                    ("max_value", Kind::Float, "0.0"),
                    ("inclusive", Kind::Bool, "true"),
                ],
            ),
        ),
        (
            "FilterDictByNumber",
            op(
                filter_by_number,
                &[
                    STREAM_VALUE,
                    STREAM_KEY,
                    ("filter_type", Kind::Str, "\"greater_than\""),
                    ("compare_value", Kind::Float, "0.0"),
                ],
            ),
        ),
        (
            "FilterDictRegex",
            op(
                filter_regex,
                &[
                    STREAM_VALUE,
                    STREAM_KEY,
                    ("pattern", Kind::Str, "\"\""),
                    ("full_match", Kind::Bool, "false"),
                ],
            ),
        ),
        (
            "FilterDictByQuery",
            op(
                filter_by_query,
                &[STREAM_VALUE, ("condition", Kind::Str, "\"\"")],
            ),
        ),
        ("ToJSON", op(to_json, &[DICTIONARY])),
        ("ToYAML", op(to_yaml, &[DICTIONARY])),
    ],
};

const DICTIONARY: (&str, Kind, &str) = ("dictionary", Kind::Dict, "{}");
/// The stream filters read their items unvalidated (NodeTool's `iter_any_input`): anything that
/// is not a dict is passed over, never an error.
const STREAM_VALUE: (&str, Kind, &str) = ("value", Kind::Any, "{}");
const STREAM_KEY: (&str, Kind, &str) = ("key", Kind::Str, "\"\"");
