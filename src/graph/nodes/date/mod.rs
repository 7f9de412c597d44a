//! `lib.date.*`: dates and times as NodeTool's `Date` and `Datetime` objects.
//!
//! A `Datetime` travels as `{"type": "datetime", "year", "month", "day", "hour", "minute",
//! "second", "microsecond", "tzinfo", "utc_offset"}` and a `Date` as `{"type": "date", "year",
//! "month", "day"}`. NodeTool turns them into Python `datetime`s to compute, so Python's rules
//! and error texts apply: a nonzero `utc_offset` (seconds) is a fixed zone named `tzinfo`, zero
//! is UTC; fields are checked when a node converts them (the all-zero default is "year 0 is out
//! of range"), and results come back with the zone's name and offset.
//!
//! Where NodeTool's Python uses the machine's local zone (`Today`) this uses UTC: a server has
//! no local zone that means anything to the person running the workflow.

mod calendar;
mod convert;
mod datetime;
mod delta;
mod formats;
mod model;
mod pytext;
mod strptime;

use calendar::{
    add_time_delta, boundary_time, date_difference, date_range, get_quarter, get_weekday,
    is_date_in_range, relative_time,
};
use convert::{
    date_to_datetime, datetime_to_date, format_datetime, now, parse_date, parse_datetime, today,
};
pub(crate) use pytext::{clip, echo, is_py_space, py_decimal};

use super::spec::{Family, Prop, Spec, op};
use crate::graph::value::Kind;

const DATETIME: &str = r#"{"type":"datetime","year":0,"month":0,"day":0,"hour":0,"minute":0,"second":0,"microsecond":0,"tzinfo":"UTC","utc_offset":0}"#;
const DATE: &str = r#"{"type":"date","year":0,"month":0,"day":0}"#;

const fn dt_prop(name: &'static str) -> Prop {
    (name, Kind::Dict, DATETIME)
}

pub(crate) const FAMILY: Family = Family {
    prefixes: &["lib.date."],
    nodes: &[
        ("Today", op(today, &[])),
        ("Now", op(now, &[])),
        (
            "ParseDate",
            op(
                parse_date,
                &[
                    ("date_string", Kind::Str, "\"\""),
                    ("input_format", Kind::Str, "\"%Y-%m-%d\""),
                ],
            ),
        ),
        (
            "ParseDateTime",
            op(
                parse_datetime,
                &[
                    ("datetime_string", Kind::Str, "\"\""),
                    ("input_format", Kind::Str, "\"%Y-%m-%d\""),
                ],
            ),
        ),
        (
            "AddTimeDelta",
            op(
                add_time_delta,
                &[
                    dt_prop("input_datetime"),
                    ("days", Kind::Int, "0"),
                    ("hours", Kind::Int, "0"),
                    ("minutes", Kind::Int, "0"),
                ],
            ),
        ),
        (
            "DateDifference",
            Spec {
                outputs: &["total_seconds", "days", "hours", "minutes", "seconds"],
                ..op(
                    date_difference,
                    &[dt_prop("start_date"), dt_prop("end_date")],
                )
            },
        ),
        (
            "FormatDateTime",
            op(
                format_datetime,
                &[
                    dt_prop("input_datetime"),
                    ("output_format", Kind::Str, "\"%B %d, %Y\""),
                ],
            ),
        ),
        (
            "GetWeekday",
            op(
                get_weekday,
                &[dt_prop("input_datetime"), ("as_name", Kind::Bool, "true")],
            ),
        ),
        (
            "DateRange",
            op(
                date_range,
                &[
                    dt_prop("start_date"),
                    dt_prop("end_date"),
                    ("step_days", Kind::Int, "1"),
                ],
            ),
        ),
        (
            "IsDateInRange",
            op(
                is_date_in_range,
                &[
                    dt_prop("check_date"),
                    dt_prop("start_date"),
                    dt_prop("end_date"),
                    ("inclusive", Kind::Bool, "true"),
                ],
            ),
        ),
        (
            "GetQuarter",
            Spec {
                outputs: &["quarter", "quarter_start", "quarter_end"],
                ..op(get_quarter, &[dt_prop("input_datetime")])
            },
        ),
        (
            "DateToDatetime",
            op(date_to_datetime, &[("input_date", Kind::Dict, DATE)]),
        ),
        (
            "DatetimeToDate",
            op(datetime_to_date, &[dt_prop("input_datetime")]),
        ),
        (
            "RelativeTime",
            op(
                relative_time,
                &[
                    ("amount", Kind::Int, "1"),
                    ("unit", Kind::Str, "\"days\""),
                    ("direction", Kind::Str, "\"future\""),
                ],
            ),
        ),
        (
            "BoundaryTime",
            op(
                boundary_time,
                &[
                    dt_prop("input_datetime"),
                    ("period", Kind::Str, "\"day\""),
                    ("boundary", Kind::Str, "\"start\""),
                    ("start_monday", Kind::Bool, "true"),
                ],
            ),
        ),
    ],
};
