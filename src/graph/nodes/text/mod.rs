//! `nodetool.text.*`: the text family's specs; the nodes live in the submodules, grouped by what
//! they do, with `jsonpath_ng` rebuilt in `jsonpath`. The regex nodes run on `nodes::pyre`,
//! Python's `re` rebuilt.

mod case;
mod chunks;
mod filters;
mod jsonpath;
mod length;
mod output;
mod regex;
mod strings;
mod whitespace;

use case::{capitalize, compare, equals, titlecase};
use chunks::{chunk, extract};
use filters::{filter_regex_string, filter_string};
use jsonpath::extract_json;
use length::{has_length, index_of, pad_text, surround_with, truncate_text};
use regex::{
    extract_regex, find_all_regex, regex_match, regex_replace, regex_split, regex_validate,
};
pub(crate) use strings::format_text;
pub use strings::py_slice_indices;
use strings::{
    concat, contains, ends_with, join, length, lower, parse_json, replace, slice, split,
    starts_with, template_text, to_string, upper,
};
use whitespace::{
    collapse_whitespace, is_empty, remove_punctuation, slugify, strip_accents, trim_whitespace,
};

use super::spec::{Behaviour, Family, OUT, Prop, Spec, TEXT, op};
use crate::graph::value::Kind;

pub(crate) const FAMILY: Family = Family {
    prefixes: &["nodetool.text."],
    nodes: &[
        (
            "Concat",
            op(
                concat,
                &[("a", Kind::Str, "\"\""), ("b", Kind::Str, "\"\"")],
            ),
        ),
        (
            "Join",
            op(
                join,
                &[
                    ("strings", Kind::List, "[]"),
                    ("separator", Kind::Str, "\"\""),
                ],
            ),
        ),
        (
            "FormatText",
            Spec {
                dynamic: true,
                ..op(format_text, &[("template", Kind::Str, "\"\"")])
            },
        ),
        (
            "Template",
            Spec {
                dynamic: true,
                ..op(
                    template_text,
                    &[("string", Kind::Str, "\"\""), ("values", Kind::Any, "{}")],
                )
            },
        ),
        (
            "Replace",
            op(
                replace,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("old", Kind::Str, "\"\""),
                    ("new", Kind::Str, "\"\""),
                ],
            ),
        ),
        (
            "Split",
            op(
                split,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("delimiter", Kind::Str, "\",\""),
                ],
            ),
        ),
        ("ToUppercase", op(upper, TEXT)),
        ("ToLowercase", op(lower, TEXT)),
        (
            "Length",
            op(
                length,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("measure", Kind::Str, "\"characters\""),
                    ("trim_whitespace", Kind::Bool, "false"),
                ],
            ),
        ),
        (
            "Contains",
            op(
                contains,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("substring", Kind::Str, "\"\""),
                    ("search_values", Kind::List, "[]"),
                    ("case_sensitive", Kind::Bool, "true"),
                    ("match_mode", Kind::Str, "\"any\""),
                ],
            ),
        ),
        (
            "Slice",
            op(
                slice,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("start", Kind::Int, "0"),
                    ("stop", Kind::Int, "0"),
                    ("step", Kind::Int, "1"),
                ],
            ),
        ),
        ("ParseJSON", op(parse_json, TEXT)),
        (
            "ToString",
            op(
                to_string,
                &[("value", Kind::Any, "[]"), ("mode", Kind::Str, "\"str\"")],
            ),
        ),
        (
            "StartsWith",
            op(
                starts_with,
                &[("text", Kind::Str, "\"\""), ("prefix", Kind::Str, "\"\"")],
            ),
        ),
        (
            "EndsWith",
            op(
                ends_with,
                &[("text", Kind::Str, "\"\""), ("suffix", Kind::Str, "\"\"")],
            ),
        ),
        (
            "Collect",
            Spec {
                behaviour: Behaviour::CollectText,
                props: &[
                    ("input_item", Kind::Str, "\"\""),
                    ("separator", Kind::Str, "\"\""),
                ],
                outputs: OUT,
                dynamic: false,
            },
        ),
        (
            "Extract",
            op(
                extract,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("start", Kind::Int, "0"),
                    ("end", Kind::Int, "0"),
                ],
            ),
        ),
        (
            "Chunk",
            op(
                chunk,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("length", Kind::Int, "100"),
                    ("overlap", Kind::Int, "0"),
                    ("separator", Kind::Str, "\" \""),
                ],
            ),
        ),
        ("ExtractRegex", op(extract_regex, REGEX_WITH_FLAGS)),
        ("FindAllRegex", op(find_all_regex, REGEX_WITH_FLAGS)),
        (
            "ExtractJSON",
            op(
                extract_json,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("json_path", Kind::Str, "\"$.*\""),
                    ("find_all", Kind::Bool, "false"),
                ],
            ),
        ),
        (
            "RegexMatch",
            op(
                regex_match,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("pattern", Kind::Str, "\"\""),
                    ("group", Kind::Int, "0"),
                ],
            ),
        ),
        (
            "RegexReplace",
            op(
                regex_replace,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("pattern", Kind::Str, "\"\""),
                    ("replacement", Kind::Str, "\"\""),
                    ("count", Kind::Int, "0"),
                ],
            ),
        ),
        (
            "RegexSplit",
            op(
                regex_split,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("pattern", Kind::Str, "\"\""),
                    ("maxsplit", Kind::Int, "0"),
                ],
            ),
        ),
        (
            "RegexValidate",
            op(
                regex_validate,
                &[("text", Kind::Str, "\"\""), ("pattern", Kind::Str, "\"\"")],
            ),
        ),
        ("Compare", op(compare, TWO_TEXTS)),
        ("Equals", op(equals, TWO_TEXTS)),
        ("ToTitlecase", op(titlecase, TEXT)),
        ("CapitalizeText", op(capitalize, TEXT)),
        (
            "TrimWhitespace",
            op(
                trim_whitespace,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("trim_start", Kind::Bool, "true"),
                    ("trim_end", Kind::Bool, "true"),
                ],
            ),
        ),
        (
            "CollapseWhitespace",
            op(
                collapse_whitespace,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("preserve_newlines", Kind::Bool, "false"),
                    ("replacement", Kind::Str, "\" \""),
                    ("trim_edges", Kind::Bool, "true"),
                ],
            ),
        ),
        (
            "IsEmpty",
            op(
                is_empty,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("trim_whitespace", Kind::Bool, "true"),
                ],
            ),
        ),
        (
            "RemovePunctuation",
            op(
                remove_punctuation,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("replacement", Kind::Str, "\"\""),
                    // Python's `string.punctuation`.
                    (
                        "punctuation",
                        Kind::Str,
                        r##""!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~""##,
                    ),
                ],
            ),
        ),
        (
            "StripAccents",
            op(
                strip_accents,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("preserve_non_ascii", Kind::Bool, "true"),
                ],
            ),
        ),
        (
            "Slugify",
            op(
                slugify,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("separator", Kind::Str, "\"-\""),
                    ("lowercase", Kind::Bool, "true"),
                    ("allow_unicode", Kind::Bool, "false"),
                ],
            ),
        ),
        (
            "HasLength",
            op(
                has_length,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("min_length", Kind::Int, "0"),
                    ("max_length", Kind::Int, "0"),
                    ("exact_length", Kind::Int, "0"),
                ],
            ),
        ),
        (
            "TruncateText",
            op(
                truncate_text,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("max_length", Kind::Int, "100"),
                    ("ellipsis", Kind::Str, "\"\""),
                ],
            ),
        ),
        (
            "PadText",
            op(
                pad_text,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("length", Kind::Int, "0"),
                    ("pad_character", Kind::Str, "\" \""),
                    ("direction", Kind::Str, "\"right\""),
                ],
            ),
        ),
        (
            "IndexOf",
            op(
                index_of,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("substring", Kind::Str, "\"\""),
                    ("case_sensitive", Kind::Bool, "true"),
                    ("start_index", Kind::Int, "0"),
                    ("end_index", Kind::Int, "0"),
                    ("search_from_end", Kind::Bool, "false"),
                ],
            ),
        ),
        (
            "SurroundWith",
            op(
                surround_with,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("prefix", Kind::Str, "\"\""),
                    ("suffix", Kind::Str, "\"\""),
                    ("skip_if_wrapped", Kind::Bool, "true"),
                ],
            ),
        ),
        (
            "FilterString",
            op(
                filter_string,
                &[
                    // `Any`: NodeTool skips non-strings in the stream instead of failing.
                    ("value", Kind::Any, "\"\""),
                    ("filter_type", Kind::Str, "\"contains\""),
                    ("criteria", Kind::Str, "\"\""),
                ],
            ),
        ),
        (
            "FilterRegexString",
            op(
                filter_regex_string,
                &[
                    ("value", Kind::Any, "\"\""),
                    ("pattern", Kind::Str, "\"\""),
                    ("full_match", Kind::Bool, "false"),
                ],
            ),
        ),
    ],
};

const REGEX_WITH_FLAGS: &[Prop] = &[
    ("text", Kind::Str, "\"\""),
    ("regex", Kind::Str, "\"\""),
    ("dotall", Kind::Bool, "false"),
    ("ignorecase", Kind::Bool, "false"),
    ("multiline", Kind::Bool, "false"),
];

const TWO_TEXTS: &[Prop] = &[
    ("text_a", Kind::Str, "\"\""),
    ("text_b", Kind::Str, "\"\""),
    ("case_sensitive", Kind::Bool, "true"),
    ("trim_whitespace", Kind::Bool, "false"),
];
