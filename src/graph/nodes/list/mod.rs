//! `nodetool.list.*`: lists (and NodeTool's number filters, `nodetool.numbers.*`).
//!
//! NodeTool runs these nodes on CPython 3.11, and several of them expose CPython internals
//! to the user: `Dedupe`, `Intersection`, `Union` and `Difference` return `list(set(...))`,
//! whose order is the hash table's slot order, and `Sort` raises on the first pair of
//! values its algorithm happens to compare. So this module reproduces the set table
//! (hashes, probing, growth) and the start of CPython's sort, rather than only their
//! documented contracts.

mod aggregate;
mod compare;
mod filter;
mod hash;
mod indexing;
mod output;
mod randomize;
mod set;
mod sort;

use aggregate::{average, maximum, minimum, product, sum};
use filter::{filter_number, filter_number_range};
use indexing::{
    append, chunk, extend, flatten, generate_sequence, get_element, length, list_range, reverse,
    select_elements, slice, ts_range,
};
use randomize::randomize;
use set::{dedupe, difference, intersection, union};
use sort::sort;

use super::spec::{Family, Prop, op};
use crate::graph::value::Kind;

pub(crate) const FAMILY: Family = Family {
    prefixes: &["nodetool.list."],
    nodes: &[
        ("Length", op(length, VALUES)),
        ("ListRange", op(list_range, RANGE)),
        // NodeTool's TypeScript port names its range node `Range` and adds a count mode.
        (
            "Range",
            op(
                ts_range,
                &[
                    ("start", Kind::Int, "0"),
                    ("stop", Kind::Int, "-1"),
                    ("count", Kind::Int, "10"),
                    ("step", Kind::Int, "1"),
                    ("max_output_length", Kind::Int, "10000"),
                ],
            ),
        ),
        ("GenerateSequence", op(generate_sequence, RANGE)),
        (
            "Slice",
            op(
                slice,
                &[
                    ("values", Kind::List, "[]"),
                    ("start", Kind::Int, "0"),
                    ("stop", Kind::Int, "0"),
                    ("step", Kind::Int, "1"),
                ],
            ),
        ),
        (
            "SelectElements",
            op(
                select_elements,
                &[("values", Kind::List, "[]"), ("indices", Kind::List, "[]")],
            ),
        ),
        (
            "GetElement",
            op(
                get_element,
                &[("values", Kind::List, "[]"), ("index", Kind::Int, "0")],
            ),
        ),
        // NodeTool's default is an empty tuple, which reaches JSON as `[]`.
        (
            "Append",
            op(
                append,
                &[("values", Kind::List, "[]"), ("value", Kind::Any, "[]")],
            ),
        ),
        (
            "Extend",
            op(
                extend,
                &[
                    ("values", Kind::List, "[]"),
                    ("other_values", Kind::List, "[]"),
                ],
            ),
        ),
        ("Dedupe", op(dedupe, VALUES)),
        ("Reverse", op(reverse, VALUES)),
        ("Randomize", op(randomize, VALUES)),
        (
            "Sort",
            op(
                sort,
                &[
                    ("values", Kind::List, "[]"),
                    ("order", Kind::Str, "\"ascending\""),
                ],
            ),
        ),
        ("Intersection", op(intersection, TWO_LISTS)),
        ("Union", op(union, TWO_LISTS)),
        ("Difference", op(difference, TWO_LISTS)),
        (
            "Chunk",
            op(
                chunk,
                &[("values", Kind::List, "[]"), ("chunk_size", Kind::Int, "1")],
            ),
        ),
        ("Sum", op(sum, VALUES)),
        ("Average", op(average, VALUES)),
        ("Minimum", op(minimum, VALUES)),
        ("Maximum", op(maximum, VALUES)),
        ("Product", op(product, VALUES)),
        (
            "Flatten",
            op(
                flatten,
                &[("values", Kind::List, "[]"), ("max_depth", Kind::Int, "-1")],
            ),
        ),
    ],
};

pub(crate) const NUMBERS: Family = Family {
    prefixes: &["nodetool.numbers."],
    nodes: &[
        // The value and the thresholds arrive unconverted in NodeTool (they are streamed),
        // so they are taken as they come and judged the way Python would.
        (
            "FilterNumber",
            op(
                filter_number,
                &[
                    ("value", Kind::Any, "0.0"),
                    ("filter_type", Kind::Str, "\"greater_than\""),
                    ("compare_value", Kind::Any, "0"),
                ],
            ),
        ),
        (
            "FilterNumberRange",
            op(
                filter_number_range,
                &[
                    ("value", Kind::Any, "0.0"),
                    ("min_value", Kind::Any, "0"),
                    ("max_value", Kind::Any, "0"),
                    ("inclusive", Kind::Bool, "true"),
                ],
            ),
        ),
    ],
};

const VALUES: &[Prop] = &[("values", Kind::List, "[]")];
const TWO_LISTS: &[Prop] = &[("list1", Kind::List, "[]"), ("list2", Kind::List, "[]")];
const RANGE: &[Prop] = &[
    ("start", Kind::Int, "0"),
    ("stop", Kind::Int, "0"),
    ("step", Kind::Int, "1"),
];
