//! Cases for `lib.date.*`, from NodeTool's node semantics. The expected values are what
//! NodeTool's Python nodes return (Python 3.11) for the same properties, with the clock at
//! 2023-11-14T22:13:20Z; errors are Python's own texts.

use serde_json::{Value, json};

use super::run;

fn ok(ty: &str, props: Value, want: Value) {
    assert_eq!(run(ty, props.clone()), Ok(want), "{ty} {props}");
}

fn err(ty: &str, props: Value, want: &str) {
    assert_eq!(
        run(ty, props.clone()),
        Err(want.to_string()),
        "{ty} {props}"
    );
}

/// A `Datetime` as NodeTool writes one: fields, zone name, offset in seconds as a float.
fn dt(f: [i64; 7], tzinfo: &str, utc_offset: f64) -> Value {
    json!({
        "type": "datetime", "year": f[0], "month": f[1], "day": f[2], "hour": f[3],
        "minute": f[4], "second": f[5], "microsecond": f[6], "tzinfo": tzinfo,
        "utc_offset": utc_offset,
    })
}

fn utc(f: [i64; 7]) -> Value {
    dt(f, "UTC", 0.0)
}

/// An input `Datetime` passed through untouched: an offset it left out stays the integer 0.
fn as_given(f: [i64; 7]) -> Value {
    let mut v = utc(f);
    v["utc_offset"] = json!(0);
    v
}

fn date(year: i64, month: i64, day: i64) -> Value {
    json!({"type": "date", "year": year, "month": month, "day": day})
}

#[test]
fn today() {
    ok("lib.date.Today", json!({}), date(2023, 11, 14));
}

#[test]
fn now() {
    ok(
        "lib.date.Now",
        json!({}),
        utc([2023, 11, 14, 22, 13, 20, 0]),
    );
}

#[test]
fn parse_date() {
    ok(
        "lib.date.ParseDate",
        json!({"date_string": "2024-03-05"}),
        date(2024, 3, 5),
    );
    ok(
        "lib.date.ParseDate",
        json!({"date_string": "2024-3-5"}),
        date(2024, 3, 5),
    );
    err(
        "lib.date.ParseDate",
        json!({"date_string": "2024-02-30"}),
        "day is out of range for month",
    );
    err(
        "lib.date.ParseDate",
        json!({"date_string": "0000-01-01"}),
        "year 0 is out of range",
    );
    err(
        "lib.date.ParseDate",
        json!({"date_string": ""}),
        "time data '' does not match format '%Y-%m-%d'",
    );
    err(
        "lib.date.ParseDate",
        json!({"date_string": "2024-01-05x"}),
        "unconverted data remains: x",
    );
    ok(
        "lib.date.ParseDate",
        json!({"date_string": "2024-01- 5"}),
        date(2024, 1, 5),
    );
    ok(
        "lib.date.ParseDate",
        json!({"date_string": "٢٠٢٤-01-05"}),
        date(2024, 1, 5),
    );
    ok(
        "lib.date.ParseDate",
        json!({"date_string": "12/31/2024", "input_format": "%m/%d/%Y"}),
        date(2024, 12, 31),
    );
    ok(
        "lib.date.ParseDate",
        json!({"date_string": "31/12/2024", "input_format": "%d/%m/%Y"}),
        date(2024, 12, 31),
    );
    err(
        "lib.date.ParseDate",
        json!({"date_string": "31/12/2024", "input_format": "%m/%d/%Y"}),
        "time data '31/12/2024' does not match format '%m/%d/%Y'",
    );
    ok(
        "lib.date.ParseDate",
        json!({"date_string": "march 7, 2024", "input_format": "%B %d, %Y"}),
        date(2024, 3, 7),
    );
    ok(
        "lib.date.ParseDate",
        json!({"date_string": "SEPTEMBER\t 07,\u{a0}2024", "input_format": "%B %d, %Y"}),
        date(2024, 9, 7),
    );
    err(
        "lib.date.ParseDate",
        json!({"date_string": "Auguſt 01, 2024", "input_format": "%B %d, %Y"}),
        "'auguſt' is not in list",
    );
    err(
        "lib.date.ParseDate",
        json!({"date_string": "Aprİl 01, 2024", "input_format": "%B %d, %Y"}),
        "'apri\u{307}l' is not in list",
    );
    err(
        "lib.date.ParseDate",
        json!({"date_string": "Mai 01, 2024", "input_format": "%B %d, %Y"}),
        "time data 'Mai 01, 2024' does not match format '%B %d, %Y'",
    );
    ok(
        "lib.date.ParseDate",
        json!({"date_string": "2024131", "input_format": "%Y%m%d"}),
        date(2024, 1, 31),
    );
    ok(
        "lib.date.ParseDate",
        json!({"date_string": "20240229", "input_format": "%Y%m%d"}),
        date(2024, 2, 29),
    );
    err(
        "lib.date.ParseDate",
        json!({"date_string": "20230229", "input_format": "%Y%m%d"}),
        "day is out of range for month",
    );
    err(
        "lib.date.ParseDate",
        json!({"date_string": "20240101_256161", "input_format": "%Y%m%d_%H%M%S"}),
        "unconverted data remains: 1",
    );
    err(
        "lib.date.ParseDate",
        json!({"date_string": "2024-01-01T10:00:61", "input_format": "%Y-%m-%dT%H:%M:%S"}),
        "second must be in 0..59",
    );
    ok(
        "lib.date.ParseDate",
        json!({"date_string": "May  5, 2024", "input_format": "%B %d, %Y"}),
        date(2024, 5, 5),
    );
    err(
        "lib.date.ParseDate",
        json!({"date_string": "May 5 , 2024", "input_format": "%B %d, %Y"}),
        "time data 'May 5 , 2024' does not match format '%B %d, %Y'",
    );
    ok(
        "lib.date.ParseDate",
        json!({"date_string": "May\u{1c}5,\u{2028}2024", "input_format": "%B %d, %Y"}),
        date(2024, 5, 5),
    );
    err(
        "lib.date.ParseDate",
        json!({"date_string": "December 32, 2024", "input_format": "%B %d, %Y"}),
        "time data 'December 32, 2024' does not match format '%B %d, %Y'",
    );
    err(
        "lib.date.ParseDate",
        json!({"date_string": "December 3, 24", "input_format": "%B %d, %Y"}),
        "time data 'December 3, 24' does not match format '%B %d, %Y'",
    );
    err(
        "lib.date.ParseDate",
        json!({"date_string": " 1/ 2/2024", "input_format": "%m/%d/%Y"}),
        "time data ' 1/ 2/2024' does not match format '%m/%d/%Y'",
    );
    ok(
        "lib.date.ParseDate",
        json!({"date_string": "1/ 2/2024", "input_format": "%m/%d/%Y"}),
        date(2024, 1, 2),
    );
    err(
        "lib.date.ParseDate",
        json!({"date_string": "2024-1-0", "input_format": "%Y-%m-%d"}),
        "time data '2024-1-0' does not match format '%Y-%m-%d'",
    );
    ok(
        "lib.date.ParseDate",
        json!({"date_string": "2024-10-1", "input_format": "%Y-%m-%d"}),
        date(2024, 10, 1),
    );
    ok(
        "lib.date.ParseDate",
        json!({"date_string": "2024111", "input_format": "%Y%m%d"}),
        date(2024, 11, 1),
    );
    err(
        "lib.date.ParseDate",
        json!({"date_string": "20241", "input_format": "%Y%m%d"}),
        "time data '20241' does not match format '%Y%m%d'",
    );
    err(
        "lib.date.ParseDate",
        json!({"date_string": "2024-01-05\n", "input_format": "%Y-%m-%d"}),
        "unconverted data remains: \n",
    );
    err(
        "lib.date.ParseDate",
        json!({"date_string": "2024-01-05é", "input_format": "%Y-%m-%d"}),
        "unconverted data remains: é",
    );
    err(
        "lib.date.ParseDate",
        json!({"date_string": "x'\"\n", "input_format": "%Y-%m-%d"}),
        "time data 'x\\'\"\\n' does not match format '%Y-%m-%d'",
    );
}

#[test]
fn errors_quote_the_text_as_python_does() {
    err(
        "lib.date.ParseDate",
        json!({"date_string": "5\u{a0}x\u{2028}'", "input_format": "%d/%m/%Y"}),
        "time data \"5\\xa0x\\u2028'\" does not match format '%d/%m/%Y'",
    );
}

#[test]
fn parse_date_time() {
    err(
        "lib.date.ParseDateTime",
        json!({"datetime_string": "20240101_235960", "input_format": "%Y%m%d_%H%M%S"}),
        "second must be in 0..59",
    );
    ok(
        "lib.date.ParseDateTime",
        json!({"datetime_string": "20240101_235959", "input_format": "%Y%m%d_%H%M%S"}),
        utc([2024, 1, 1, 23, 59, 59, 0]),
    );
    ok(
        "lib.date.ParseDateTime",
        json!({"datetime_string": "2024-01-01t1:2:3", "input_format": "%Y-%m-%dT%H:%M:%S"}),
        utc([2024, 1, 1, 1, 2, 3, 0]),
    );
    err(
        "lib.date.ParseDateTime",
        json!({"datetime_string": "2024-01-01T10:00:00+0530", "input_format": "%Y-%m-%dT%H:%M:%S"}),
        "unconverted data remains: +0530",
    );
    ok(
        "lib.date.ParseDateTime",
        json!({"datetime_string": "2024-03-05T10:20:30+05:30", "input_format": "%Y-%m-%dT%H:%M:%S%z"}),
        dt([2024, 3, 5, 10, 20, 30, 0], "UTC+05:30", 19800.0),
    );
    ok(
        "lib.date.ParseDateTime",
        json!({"datetime_string": "2024-03-05T10:20:30-0800", "input_format": "%Y-%m-%dT%H:%M:%S%z"}),
        dt([2024, 3, 5, 10, 20, 30, 0], "UTC-08:00", -28800.0),
    );
    ok(
        "lib.date.ParseDateTime",
        json!({"datetime_string": "2024-03-05T10:20:30Z", "input_format": "%Y-%m-%dT%H:%M:%S%z"}),
        utc([2024, 3, 5, 10, 20, 30, 0]),
    );
    err(
        "lib.date.ParseDateTime",
        json!({"datetime_string": "2024-03-05T10:20:30z", "input_format": "%Y-%m-%dT%H:%M:%S%z"}),
        "time data '2024-03-05T10:20:30z' does not match format '%Y-%m-%dT%H:%M:%S%z'",
    );
    ok(
        "lib.date.ParseDateTime",
        json!({"datetime_string": "2024-03-05T10:20:30+0000", "input_format": "%Y-%m-%dT%H:%M:%S%z"}),
        utc([2024, 3, 5, 10, 20, 30, 0]),
    );
    ok(
        "lib.date.ParseDateTime",
        json!({"datetime_string": "2024-03-05T10:20:30-00:00:00.000001", "input_format": "%Y-%m-%dT%H:%M:%S%z"}),
        dt([2024, 3, 5, 10, 20, 30, 0], "UTC-00:00:00.000001", -1.0e-6),
    );
    ok(
        "lib.date.ParseDateTime",
        json!({"datetime_string": "2024-03-05T10:20:30+05:30:15.5", "input_format": "%Y-%m-%dT%H:%M:%S%z"}),
        dt([2024, 3, 5, 10, 20, 30, 0], "UTC+05:30:15.500000", 19815.5),
    );
    ok(
        "lib.date.ParseDateTime",
        json!({"datetime_string": "2024-03-05T10:20:30+053015", "input_format": "%Y-%m-%dT%H:%M:%S%z"}),
        dt([2024, 3, 5, 10, 20, 30, 0], "UTC+05:30:15", 19815.0),
    );
    err(
        "lib.date.ParseDateTime",
        json!({"datetime_string": "2024-03-05T10:20:30+05:3015", "input_format": "%Y-%m-%dT%H:%M:%S%z"}),
        "Inconsistent use of : in +05:3015",
    );
    err(
        "lib.date.ParseDateTime",
        json!({"datetime_string": "2024-03-05T10:20:30+0530:15", "input_format": "%Y-%m-%dT%H:%M:%S%z"}),
        "invalid literal for int() with base 10: ':1'",
    );
    err(
        "lib.date.ParseDateTime",
        json!({"datetime_string": "2024-03-05T10:20:30+99:00", "input_format": "%Y-%m-%dT%H:%M:%S%z"}),
        "offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24), not datetime.timedelta(days=4, seconds=10800).",
    );
    err(
        "lib.date.ParseDateTime",
        json!({"datetime_string": "2024-03-05T10:20:30-24:00", "input_format": "%Y-%m-%dT%H:%M:%S%z"}),
        "offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24), not datetime.timedelta(days=-1).",
    );
    err(
        "lib.date.ParseDateTime",
        json!({"datetime_string": "2024-03-05T10:20:30+05", "input_format": "%Y-%m-%dT%H:%M:%S%z"}),
        "time data '2024-03-05T10:20:30+05' does not match format '%Y-%m-%dT%H:%M:%S%z'",
    );
    err(
        "lib.date.ParseDateTime",
        json!({"datetime_string": "2024-03-05T10:20:30+05:30:15.1234567", "input_format": "%Y-%m-%dT%H:%M:%S%z"}),
        "unconverted data remains: 7",
    );
    err(
        "lib.date.ParseDateTime",
        json!({"datetime_string": "2024-02-30T10:00:61+9900", "input_format": "%Y-%m-%dT%H:%M:%S%z"}),
        "day is out of range for month",
    );
    err(
        "lib.date.ParseDateTime",
        json!({"datetime_string": "2024-02-03T10:00:61+9900", "input_format": "%Y-%m-%dT%H:%M:%S%z"}),
        "offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24), not datetime.timedelta(days=4, seconds=10800).",
    );
    err(
        "lib.date.ParseDateTime",
        json!({"datetime_string": "2024-02-03T10:00:61+0100", "input_format": "%Y-%m-%dT%H:%M:%S%z"}),
        "second must be in 0..59",
    );
    ok(
        "lib.date.ParseDateTime",
        json!({"datetime_string": "2024-03-05", "input_format": "%Y-%m-%d"}),
        utc([2024, 3, 5, 0, 0, 0, 0]),
    );
    err(
        "lib.date.ParseDateTime",
        json!({"datetime_string": "2024-03-05T10:20:30+05:30:1", "input_format": "%Y-%m-%dT%H:%M:%S%z"}),
        "unconverted data remains: :1",
    );
    err(
        "lib.date.ParseDateTime",
        json!({"datetime_string": "2024-03-05T10:20:30+0530.5", "input_format": "%Y-%m-%dT%H:%M:%S%z"}),
        "unconverted data remains: .5",
    );
    ok(
        "lib.date.ParseDateTime",
        json!({"datetime_string": "2024-03-05T10:20:30-05:30:15.123456", "input_format": "%Y-%m-%dT%H:%M:%S%z"}),
        dt(
            [2024, 3, 5, 10, 20, 30, 0],
            "UTC-05:30:15.123456",
            -19815.123456,
        ),
    );
    err(
        "lib.date.ParseDateTime",
        json!({"datetime_string": "2024-03-05T10:20:30+05:30:15.", "input_format": "%Y-%m-%dT%H:%M:%S%z"}),
        "unconverted data remains: .",
    );
    ok(
        "lib.date.ParseDateTime",
        json!({"datetime_string": "2024-03-05T10:20:30+0٥:3٠", "input_format": "%Y-%m-%dT%H:%M:%S%z"}),
        dt([2024, 3, 5, 10, 20, 30, 0], "UTC+05:30", 19800.0),
    );
    err(
        "lib.date.ParseDateTime",
        json!({"datetime_string": "2024-03-05T24:20:30", "input_format": "%Y-%m-%dT%H:%M:%S"}),
        "time data '2024-03-05T24:20:30' does not match format '%Y-%m-%dT%H:%M:%S'",
    );
    err(
        "lib.date.ParseDateTime",
        json!({"datetime_string": "2024-03-05T2:60:30", "input_format": "%Y-%m-%dT%H:%M:%S"}),
        "time data '2024-03-05T2:60:30' does not match format '%Y-%m-%dT%H:%M:%S'",
    );
    err(
        "lib.date.ParseDateTime",
        json!({"datetime_string": "20240305_1", "input_format": "%Y%m%d_%H%M%S"}),
        "time data '20240305_1' does not match format '%Y%m%d_%H%M%S'",
    );
    ok(
        "lib.date.ParseDateTime",
        json!({"datetime_string": "20240305_123", "input_format": "%Y%m%d_%H%M%S"}),
        utc([2024, 3, 5, 1, 2, 3, 0]),
    );
}

#[test]
fn add_time_delta() {
    err("lib.date.AddTimeDelta", json!({}), "year 0 is out of range");
    ok(
        "lib.date.AddTimeDelta",
        json!({"input_datetime": {"year": 2024, "month": 2, "day": 28, "hour": 23, "minute": 30}, "days": 1, "hours": 1, "minutes": 45}),
        utc([2024, 3, 1, 1, 15, 0, 0]),
    );
    ok(
        "lib.date.AddTimeDelta",
        json!({"input_datetime": {"type": "datetime", "year": 2024, "month": 3, "day": 1, "tzinfo": "EST", "utc_offset": -18000}, "days": -1, "hours": -24, "minutes": -60}),
        dt([2024, 2, 27, 23, 0, 0, 0], "EST", -18000.0),
    );
    err(
        "lib.date.AddTimeDelta",
        json!({"input_datetime": {"year": 9999, "month": 12, "day": 31}, "days": 1}),
        "date value out of range",
    );
    err(
        "lib.date.AddTimeDelta",
        json!({"input_datetime": {"year": 1, "month": 1, "day": 1}, "minutes": -1}),
        "date value out of range",
    );
    err(
        "lib.date.AddTimeDelta",
        json!({"input_datetime": {"year": 2024, "month": 1, "day": 1}, "days": 1000000000}),
        "days=1000000000; must have magnitude <= 999999999",
    );
    err(
        "lib.date.AddTimeDelta",
        json!({"input_datetime": {"year": 0}, "days": 1000000000}),
        "days=1000000000; must have magnitude <= 999999999",
    );
    err(
        "lib.date.AddTimeDelta",
        json!({"input_datetime": {"year": 2024, "month": 1, "day": 1, "tzinfo": "X", "utc_offset": 90000}}),
        "offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24), not datetime.timedelta(days=1, seconds=3600).",
    );
    err(
        "lib.date.AddTimeDelta",
        json!({"input_datetime": {"year": 2024, "month": 1, "day": 1, "tzinfo": "X", "utc_offset": -86400}}),
        "offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24), not datetime.timedelta(days=-1).",
    );
    err(
        "lib.date.AddTimeDelta",
        json!({"input_datetime": {"year": 2024, "month": 1, "day": 1, "tzinfo": "X", "utc_offset": 100000000000000.0}}),
        "days=1157407407; must have magnitude <= 999999999",
    );
    ok(
        "lib.date.AddTimeDelta",
        json!({"input_datetime": {"year": 2024, "month": 1, "day": 1, "tzinfo": "", "utc_offset": 3600.5}}),
        dt([2024, 1, 1, 0, 0, 0, 0], "UTC", 3600.5),
    );
    ok(
        "lib.date.AddTimeDelta",
        json!({"input_datetime": {"year": 2024, "month": 1, "day": 1, "tzinfo": "Q", "utc_offset": 1e-07}}),
        dt([2024, 1, 1, 0, 0, 0, 0], "Q", 0.0),
    );
    ok(
        "lib.date.AddTimeDelta",
        json!({"input_datetime": {"year": 2024, "month": 1, "day": 1, "tzinfo": "Q", "utc_offset": 1.5e-06}}),
        dt([2024, 1, 1, 0, 0, 0, 0], "Q", 2.0e-6),
    );
    ok(
        "lib.date.AddTimeDelta",
        json!({"input_datetime": {"year": 2024, "month": 1, "day": 1, "tzinfo": "Q", "utc_offset": 2.5e-06}}),
        dt([2024, 1, 1, 0, 0, 0, 0], "Q", 2.0e-6),
    );
    ok(
        "lib.date.AddTimeDelta",
        json!({"input_datetime": {"year": 2024, "month": 1, "day": 1, "tzinfo": "Q", "utc_offset": -2.5e-06}}),
        dt([2024, 1, 1, 0, 0, 0, 0], "Q", -2.0e-6),
    );
    err(
        "lib.date.AddTimeDelta",
        json!({"input_datetime": {"year": 2024, "month": 13, "day": 1}}),
        "month must be in 1..12",
    );
    err(
        "lib.date.AddTimeDelta",
        json!({"input_datetime": {"year": 2024, "month": 1, "day": 1, "hour": 24}}),
        "hour must be in 0..23",
    );
    err(
        "lib.date.AddTimeDelta",
        json!({"input_datetime": {"year": 2024, "month": 1, "day": 1, "minute": 60}}),
        "minute must be in 0..59",
    );
    err(
        "lib.date.AddTimeDelta",
        json!({"input_datetime": {"year": 2024, "month": 1, "day": 1, "second": -1}}),
        "second must be in 0..59",
    );
    err(
        "lib.date.AddTimeDelta",
        json!({"input_datetime": {"year": 2024, "month": 1, "day": 1, "microsecond": 1000000}}),
        "microsecond must be in 0..999999",
    );
    err(
        "lib.date.AddTimeDelta",
        json!({"input_datetime": {"year": 2147483648_i64, "month": 1, "day": 1}}),
        "signed integer is greater than maximum",
    );
    err(
        "lib.date.AddTimeDelta",
        json!({"input_datetime": {"year": 2024, "month": -2147483649_i64, "day": 1}}),
        "signed integer is less than minimum",
    );
    err(
        "lib.date.AddTimeDelta",
        json!({"input_datetime": {"year": 0, "month": 1, "day": 1, "hour": 4294967296_i64}}),
        "signed integer is greater than maximum",
    );
}

#[test]
fn date_difference() {
    ok(
        "lib.date.DateDifference",
        json!({"start_date": {"year": 2024, "month": 1, "day": 1}, "end_date": {"year": 2024, "month": 3, "day": 1, "hour": 5, "minute": 6, "second": 7, "microsecond": 999999}}),
        json!({"total_seconds": 5202367, "days": 60, "hours": 5, "minutes": 6, "seconds": 7}),
    );
    ok(
        "lib.date.DateDifference",
        json!({"end_date": {"year": 2024, "month": 1, "day": 1}, "start_date": {"year": 2024, "month": 3, "day": 1, "hour": 5, "minute": 6, "second": 7, "microsecond": 1}}),
        json!({"total_seconds": -5202367, "days": -61, "hours": 18, "minutes": 53, "seconds": 52}),
    );
    ok(
        "lib.date.DateDifference",
        json!({"start_date": {"year": 2024, "month": 1, "day": 1, "microsecond": 1}, "end_date": {"year": 2024, "month": 1, "day": 1}}),
        json!({"total_seconds": 0, "days": -1, "hours": 23, "minutes": 59, "seconds": 59}),
    );
    ok(
        "lib.date.DateDifference",
        json!({"start_date": {"year": 2024, "month": 1, "day": 1, "tzinfo": "A", "utc_offset": 3600}, "end_date": {"year": 2024, "month": 1, "day": 1}}),
        json!({"total_seconds": 3600, "days": 0, "hours": 1, "minutes": 0, "seconds": 0}),
    );
    ok(
        "lib.date.DateDifference",
        json!({"start_date": {"year": 1, "month": 1, "day": 1}, "end_date": {"year": 9999, "month": 12, "day": 31, "hour": 23, "minute": 59, "second": 59, "microsecond": 999999}}),
        json!({"total_seconds": 315537897600_i64, "days": 3652058, "hours": 23, "minutes": 59, "seconds": 59}),
    );
    ok(
        "lib.date.DateDifference",
        json!({"start_date": {"year": 9999, "month": 12, "day": 31, "hour": 23, "minute": 59, "second": 59, "microsecond": 999999}, "end_date": {"year": 1, "month": 1, "day": 1}}),
        json!({"total_seconds": -315537897600_i64, "days": -3652059, "hours": 0, "minutes": 0, "seconds": 0}),
    );
    err(
        "lib.date.DateDifference",
        json!({"start_date": {"year": 2024, "month": 1, "day": 1}}),
        "year 0 is out of range",
    );
    err(
        "lib.date.DateDifference",
        json!({"end_date": {"year": 2024, "month": 1, "day": 1}}),
        "year 0 is out of range",
    );
}

#[test]
fn format_date_time() {
    ok(
        "lib.date.FormatDateTime",
        json!({"input_datetime": {"year": 2024, "month": 7, "day": 4, "hour": 9, "minute": 5, "second": 3}}),
        json!("July 04, 2024"),
    );
    ok(
        "lib.date.FormatDateTime",
        json!({"input_datetime": {"year": 999, "month": 7, "day": 4, "hour": 9, "minute": 5, "second": 3}, "output_format": "%Y%m%d_%H%M%S"}),
        json!("9990704_090503"),
    );
    ok(
        "lib.date.FormatDateTime",
        json!({"input_datetime": {"year": 5, "month": 7, "day": 4}, "output_format": "%Y-%m-%d"}),
        json!("5-07-04"),
    );
    ok(
        "lib.date.FormatDateTime",
        json!({"input_datetime": {"year": 2024, "month": 7, "day": 4}, "output_format": "%m/%d/%Y"}),
        json!("07/04/2024"),
    );
    ok(
        "lib.date.FormatDateTime",
        json!({"input_datetime": {"year": 2024, "month": 7, "day": 4}, "output_format": "%d/%m/%Y"}),
        json!("04/07/2024"),
    );
    ok(
        "lib.date.FormatDateTime",
        json!({"input_datetime": {"year": 2024, "month": 7, "day": 4}, "output_format": "%Y%m%d"}),
        json!("20240704"),
    );
    ok(
        "lib.date.FormatDateTime",
        json!({"input_datetime": {"year": 2024, "month": 7, "day": 4, "hour": 23}, "output_format": "%Y-%m-%dT%H:%M:%S"}),
        json!("2024-07-04T23:00:00"),
    );
    ok(
        "lib.date.FormatDateTime",
        json!({"input_datetime": {"year": 2024, "month": 7, "day": 4}, "output_format": "%Y-%m-%dT%H:%M:%S%z"}),
        json!("2024-07-04T00:00:00+0000"),
    );
    ok(
        "lib.date.FormatDateTime",
        json!({"input_datetime": {"year": 2024, "month": 7, "day": 4, "utc_offset": -3661.25}, "output_format": "%Y-%m-%dT%H:%M:%S%z"}),
        json!("2024-07-04T00:00:00-010101.250000"),
    );
    ok(
        "lib.date.FormatDateTime",
        json!({"input_datetime": {"year": 2024, "month": 7, "day": 4, "utc_offset": 19800}, "output_format": "%Y-%m-%dT%H:%M:%S%z"}),
        json!("2024-07-04T00:00:00+0530"),
    );
    ok(
        "lib.date.FormatDateTime",
        json!({"input_datetime": {"year": 2024, "month": 7, "day": 4, "utc_offset": 3601}, "output_format": "%Y-%m-%dT%H:%M:%S%z"}),
        json!("2024-07-04T00:00:00+010001"),
    );
    err(
        "lib.date.FormatDateTime",
        json!({}),
        "year 0 is out of range",
    );
}

#[test]
fn get_weekday() {
    ok(
        "lib.date.GetWeekday",
        json!({"input_datetime": {"year": 2024, "month": 7, "day": 4}}),
        json!("Thursday"),
    );
    ok(
        "lib.date.GetWeekday",
        json!({"input_datetime": {"year": 2024, "month": 7, "day": 4}, "as_name": false}),
        json!(3),
    );
    ok(
        "lib.date.GetWeekday",
        json!({"input_datetime": {"year": 1, "month": 1, "day": 1}, "as_name": false}),
        json!(0),
    );
    ok(
        "lib.date.GetWeekday",
        json!({"input_datetime": {"year": 9999, "month": 12, "day": 31}}),
        json!("Friday"),
    );
    ok(
        "lib.date.GetWeekday",
        json!({"input_datetime": {"year": 2024, "month": 7, "day": 7, "hour": 23, "utc_offset": -7200}}),
        json!("Sunday"),
    );
    err(
        "lib.date.GetWeekday",
        json!({"input_datetime": {"year": 2024, "month": 7, "day": 4, "utc_offset": 86399.9999999}}),
        "offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24), not datetime.timedelta(days=1).",
    );
    ok(
        "lib.date.GetWeekday",
        json!({"input_datetime": {"year": 2024, "month": 7, "day": 4, "utc_offset": -86399.9999994}}),
        json!("Thursday"),
    );
}

#[test]
fn date_range() {
    ok(
        "lib.date.DateRange",
        json!({"start_date": {"year": 2024, "month": 1, "day": 30}, "end_date": {"year": 2024, "month": 2, "day": 2}}),
        json!([
            as_given([2024, 1, 30, 0, 0, 0, 0]),
            utc([2024, 1, 31, 0, 0, 0, 0]),
            utc([2024, 2, 1, 0, 0, 0, 0]),
            utc([2024, 2, 2, 0, 0, 0, 0])
        ]),
    );
    ok(
        "lib.date.DateRange",
        json!({"start_date": {"type": "datetime", "year": 2024, "month": 1, "day": 30, "tzinfo": "EST", "utc_offset": 0, "hour": 12}, "end_date": {"year": 2024, "month": 2, "day": 7}, "step_days": 3}),
        json!([
            dt([2024, 1, 30, 12, 0, 0, 0], "EST", 0.0),
            utc([2024, 2, 2, 12, 0, 0, 0]),
            utc([2024, 2, 5, 12, 0, 0, 0])
        ]),
    );
    ok(
        "lib.date.DateRange",
        json!({"start_date": {"year": 2024, "month": 1, "day": 30, "tzinfo": "", "utc_offset": 3600}, "end_date": {"year": 2024, "month": 2, "day": 1}}),
        json!([
            dt([2024, 1, 30, 0, 0, 0, 0], "", 3600.0),
            dt([2024, 1, 31, 0, 0, 0, 0], "UTC", 3600.0),
            dt([2024, 2, 1, 0, 0, 0, 0], "UTC", 3600.0)
        ]),
    );
    ok(
        "lib.date.DateRange",
        json!({"start_date": {"year": 2024, "month": 2, "day": 3}, "end_date": {"year": 2024, "month": 2, "day": 1}}),
        json!([]),
    );
    ok(
        "lib.date.DateRange",
        json!({"start_date": {"year": 2024, "month": 2, "day": 1}, "end_date": {"year": 2024, "month": 2, "day": 1}}),
        json!([as_given([2024, 2, 1, 0, 0, 0, 0])]),
    );
    err(
        "lib.date.DateRange",
        json!({"start_date": {"year": 2024, "month": 2, "day": 1}, "end_date": {"year": 2024, "month": 2, "day": 1}, "step_days": 1000000000}),
        "days=1000000000; must have magnitude <= 999999999",
    );
    err(
        "lib.date.DateRange",
        json!({"start_date": {"year": 9999, "month": 12, "day": 30}, "end_date": {"year": 9999, "month": 12, "day": 31}, "step_days": 2}),
        "date value out of range",
    );
    err(
        "lib.date.DateRange",
        json!({"start_date": {"year": 2, "month": 1, "day": 5}, "end_date": {"year": 2, "month": 1, "day": 5}, "step_days": -200}),
        "date value out of range",
    );
    err(
        "lib.date.DateRange",
        json!({"start_date": {"year": 2024, "month": 2, "day": 1}}),
        "year 0 is out of range",
    );
    err(
        "lib.date.DateRange",
        json!({"end_date": {"year": 2024, "month": 2, "day": 1}}),
        "year 0 is out of range",
    );
    ok(
        "lib.date.DateRange",
        json!({"start_date": {"year": 2024, "month": 1, "day": 1, "hour": 5}, "end_date": {"year": 2024, "month": 1, "day": 2, "hour": 4, "utc_offset": -3600}}),
        json!([
            as_given([2024, 1, 1, 5, 0, 0, 0]),
            utc([2024, 1, 2, 5, 0, 0, 0])
        ]),
    );
    ok(
        "lib.date.DateRange",
        json!({"start_date": {"year": 2024, "month": 1, "day": 1}, "end_date": {"year": 2024, "month": 1, "day": 10}, "step_days": 4}),
        json!([
            as_given([2024, 1, 1, 0, 0, 0, 0]),
            utc([2024, 1, 5, 0, 0, 0, 0]),
            utc([2024, 1, 9, 0, 0, 0, 0])
        ]),
    );
    ok(
        "lib.date.DateRange",
        json!({"start_date": {"year": 2024, "month": 1, "day": 1, "utc_offset": 0.0}, "end_date": {"year": 2024, "month": 1, "day": 1}, "step_days": 4}),
        json!([utc([2024, 1, 1, 0, 0, 0, 0])]),
    );
    ok(
        "lib.date.DateRange",
        json!({"start_date": {"year": 2024, "month": 1, "day": 1, "utc_offset": 3600, "tzinfo": ""}, "end_date": {"year": 2024, "month": 1, "day": 3}, "step_days": 1}),
        json!([
            dt([2024, 1, 1, 0, 0, 0, 0], "", 3600.0),
            dt([2024, 1, 2, 0, 0, 0, 0], "UTC", 3600.0),
            dt([2024, 1, 3, 0, 0, 0, 0], "UTC", 3600.0)
        ]),
    );
    err(
        "lib.date.DateRange",
        json!({"start_date": {"year": 2024, "month": 1, "day": 1}, "end_date": {"year": 2024, "month": 1, "day": 10}, "step_days": -1000000000}),
        "days=-1000000000; must have magnitude <= 999999999",
    );
    err(
        "lib.date.DateRange",
        json!({"start_date": {"year": 2024, "month": 1, "day": 1}, "end_date": {"year": 2024, "month": 1, "day": 10}, "step_days": -100000}),
        "date value out of range",
    );
    ok(
        "lib.date.DateRange",
        json!({"start_date": {"year": 2024, "month": 1, "day": 11}, "end_date": {"year": 2024, "month": 1, "day": 10}, "step_days": -1}),
        json!([]),
    );
    ok(
        "lib.date.DateRange",
        json!({"start_date": {"year": "2024", "month": 1.0, "day": true}, "end_date": {"year": 2024, "month": 1, "day": 1}}),
        json!([as_given([2024, 1, 1, 0, 0, 0, 0])]),
    );
}

#[test]
fn is_date_in_range() {
    ok(
        "lib.date.IsDateInRange",
        json!({"check_date": {"year": 2024, "month": 1, "day": 1}, "start_date": {"year": 2024, "month": 1, "day": 1}, "end_date": {"year": 2024, "month": 1, "day": 2}}),
        json!(true),
    );
    ok(
        "lib.date.IsDateInRange",
        json!({"check_date": {"year": 2024, "month": 1, "day": 1}, "start_date": {"year": 2024, "month": 1, "day": 1}, "end_date": {"year": 2024, "month": 1, "day": 2}, "inclusive": false}),
        json!(false),
    );
    ok(
        "lib.date.IsDateInRange",
        json!({"check_date": {"year": 2024, "month": 1, "day": 1}, "start_date": {"year": 2024, "month": 1, "day": 2}}),
        json!(false),
    );
    err(
        "lib.date.IsDateInRange",
        json!({"check_date": {"year": 2024, "month": 1, "day": 3}, "start_date": {"year": 2024, "month": 1, "day": 2}}),
        "year 0 is out of range",
    );
    ok(
        "lib.date.IsDateInRange",
        json!({"check_date": {"year": 2024, "month": 1, "day": 1, "hour": 12, "utc_offset": 7200}, "start_date": {"year": 2024, "month": 1, "day": 1, "hour": 10}, "end_date": {"year": 2024, "month": 1, "day": 1, "hour": 10}}),
        json!(true),
    );
    err(
        "lib.date.IsDateInRange",
        json!({"check_date": {"year": 2024, "month": 1, "day": 1}}),
        "year 0 is out of range",
    );
}

#[test]
fn get_quarter() {
    ok(
        "lib.date.GetQuarter",
        json!({"input_datetime": {"year": 2024, "month": 5, "day": 17, "hour": 3, "utc_offset": 3600, "tzinfo": "CET"}}),
        json!({"quarter": 2, "quarter_start": utc([2024, 4, 1, 0, 0, 0, 0]), "quarter_end": utc([2024, 6, 30, 0, 0, 0, 0])}),
    );
    ok(
        "lib.date.GetQuarter",
        json!({"input_datetime": {"year": 2024, "month": 11}}),
        json!({"quarter": 4, "quarter_start": utc([2024, 10, 1, 0, 0, 0, 0]), "quarter_end": utc([2024, 12, 31, 0, 0, 0, 0])}),
    );
    ok(
        "lib.date.GetQuarter",
        json!({"input_datetime": {"year": 2023, "month": 2}}),
        json!({"quarter": 1, "quarter_start": utc([2023, 1, 1, 0, 0, 0, 0]), "quarter_end": utc([2023, 3, 31, 0, 0, 0, 0])}),
    );
    ok(
        "lib.date.GetQuarter",
        json!({"input_datetime": {"year": 2024, "month": 1}}),
        json!({"quarter": 1, "quarter_start": utc([2024, 1, 1, 0, 0, 0, 0]), "quarter_end": utc([2024, 3, 31, 0, 0, 0, 0])}),
    );
    err(
        "lib.date.GetQuarter",
        json!({"input_datetime": {"year": 9999, "month": 12}}),
        "year 10000 is out of range",
    );
    err(
        "lib.date.GetQuarter",
        json!({"input_datetime": {"year": 2024, "month": 0}}),
        "month must be in 1..12",
    );
    err(
        "lib.date.GetQuarter",
        json!({"input_datetime": {"year": 2024, "month": 13}}),
        "month must be in 1..12",
    );
    err("lib.date.GetQuarter", json!({}), "year 0 is out of range");
    err(
        "lib.date.GetQuarter",
        json!({"input_datetime": {"year": 2024, "month": 9223372036854775807_i64}}),
        "signed integer is greater than maximum",
    );
    err(
        "lib.date.GetQuarter",
        json!({"input_datetime": {"year": 2024, "month": i64::MIN}}),
        "signed integer is less than minimum",
    );
    err(
        "lib.date.GetQuarter",
        json!({"input_datetime": {"year": 2024, "month": 2000000000}}),
        "month must be in 1..12",
    );
}

#[test]
fn date_to_datetime() {
    ok(
        "lib.date.DateToDatetime",
        json!({"input_date": {"year": 2024, "month": 2, "day": 29}}),
        utc([2024, 2, 29, 0, 0, 0, 0]),
    );
    err(
        "lib.date.DateToDatetime",
        json!({"input_date": {"type": "date", "year": 2023, "month": 2, "day": 29}}),
        "day is out of range for month",
    );
    err(
        "lib.date.DateToDatetime",
        json!({}),
        "year 0 is out of range",
    );
}

#[test]
fn datetime_to_date() {
    ok(
        "lib.date.DatetimeToDate",
        json!({"input_datetime": {"year": 2024, "month": 2, "day": 29, "hour": 23, "utc_offset": -3600}}),
        date(2024, 2, 29),
    );
    err(
        "lib.date.DatetimeToDate",
        json!({}),
        "year 0 is out of range",
    );
}

#[test]
fn relative_time() {
    ok(
        "lib.date.RelativeTime",
        json!({}),
        utc([2023, 11, 15, 22, 13, 20, 0]),
    );
    ok(
        "lib.date.RelativeTime",
        json!({"amount": 3, "unit": "hours", "direction": "past"}),
        utc([2023, 11, 14, 19, 13, 20, 0]),
    );
    ok(
        "lib.date.RelativeTime",
        json!({"amount": 0, "unit": "days"}),
        utc([2023, 11, 14, 22, 13, 20, 0]),
    );
    ok(
        "lib.date.RelativeTime",
        json!({"amount": -2, "unit": "days"}),
        utc([2023, 11, 12, 22, 13, 20, 0]),
    );
    err(
        "lib.date.RelativeTime",
        json!({"amount": 1000000000, "unit": "days"}),
        "days=1000000000; must have magnitude <= 999999999",
    );
    err(
        "lib.date.RelativeTime",
        json!({"amount": 999999999, "unit": "days"}),
        "date value out of range",
    );
    err(
        "lib.date.RelativeTime",
        json!({"amount": 24000000000_i64, "unit": "hours"}),
        "days=1000000000; must have magnitude <= 999999999",
    );
    ok(
        "lib.date.RelativeTime",
        json!({"amount": 2, "unit": "months"}),
        utc([2024, 1, 14, 22, 13, 20, 0]),
    );
    ok(
        "lib.date.RelativeTime",
        json!({"amount": 11, "unit": "months", "direction": "past"}),
        utc([2022, 12, 14, 22, 13, 20, 0]),
    );
    ok(
        "lib.date.RelativeTime",
        json!({"amount": 23, "unit": "months", "direction": "past"}),
        utc([2021, 12, 14, 22, 13, 20, 0]),
    );
    ok(
        "lib.date.RelativeTime",
        json!({"amount": 24, "unit": "months", "direction": "future"}),
        utc([2025, 11, 14, 22, 13, 20, 0]),
    );
    ok(
        "lib.date.RelativeTime",
        json!({"amount": 14, "unit": "months", "direction": "future"}),
        utc([2025, 1, 14, 22, 13, 20, 0]),
    );
    err(
        "lib.date.RelativeTime",
        json!({"amount": -11, "unit": "months", "direction": "future"}),
        "month must be in 1..12",
    );
    ok(
        "lib.date.RelativeTime",
        json!({"amount": -2, "unit": "months", "direction": "future"}),
        utc([2023, 9, 14, 22, 13, 20, 0]),
    );
    err(
        "lib.date.RelativeTime",
        json!({"amount": -2, "unit": "months", "direction": "past"}),
        "month must be in 1..12",
    );
    err(
        "lib.date.RelativeTime",
        json!({"amount": 96000, "unit": "months", "direction": "future"}),
        "year 10023 is out of range",
    );
    ok(
        "lib.date.RelativeTime",
        json!({"amount": 24000, "unit": "months", "direction": "past"}),
        utc([23, 11, 14, 22, 13, 20, 0]),
    );
}

#[test]
fn boundary_time() {
    ok(
        "lib.date.BoundaryTime",
        json!({"input_datetime": {"year": 2024, "month": 7, "day": 4, "hour": 9, "minute": 5, "utc_offset": 3600, "tzinfo": "CET"}}),
        dt([2024, 7, 4, 0, 0, 0, 0], "CET", 3600.0),
    );
    ok(
        "lib.date.BoundaryTime",
        json!({"input_datetime": {"year": 2024, "month": 7, "day": 4, "hour": 9}, "boundary": "end"}),
        utc([2024, 7, 4, 23, 59, 59, 999999]),
    );
    ok(
        "lib.date.BoundaryTime",
        json!({"input_datetime": {"year": 2024, "month": 7, "day": 4, "hour": 9}, "period": "week"}),
        utc([2024, 7, 1, 0, 0, 0, 0]),
    );
    ok(
        "lib.date.BoundaryTime",
        json!({"input_datetime": {"year": 2024, "month": 7, "day": 4, "hour": 9}, "period": "week", "boundary": "end"}),
        utc([2024, 7, 7, 23, 59, 59, 999999]),
    );
    ok(
        "lib.date.BoundaryTime",
        json!({"input_datetime": {"year": 2024, "month": 7, "day": 4, "hour": 9}, "period": "week", "start_monday": false}),
        utc([2024, 6, 30, 0, 0, 0, 0]),
    );
    ok(
        "lib.date.BoundaryTime",
        json!({"input_datetime": {"year": 2024, "month": 7, "day": 7, "hour": 9}, "period": "week", "start_monday": false, "boundary": "end"}),
        utc([2024, 7, 13, 23, 59, 59, 999999]),
    );
    err(
        "lib.date.BoundaryTime",
        json!({"input_datetime": {"year": 1, "month": 1, "day": 1}, "period": "week", "start_monday": false}),
        "date value out of range",
    );
    err(
        "lib.date.BoundaryTime",
        json!({"input_datetime": {"year": 9999, "month": 12, "day": 31}, "period": "week", "boundary": "end"}),
        "date value out of range",
    );
    ok(
        "lib.date.BoundaryTime",
        json!({"input_datetime": {"year": 2024, "month": 2, "day": 14, "hour": 9}, "period": "month"}),
        utc([2024, 2, 1, 0, 0, 0, 0]),
    );
    ok(
        "lib.date.BoundaryTime",
        json!({"input_datetime": {"year": 2024, "month": 2, "day": 14, "hour": 9}, "period": "month", "boundary": "end"}),
        utc([2024, 2, 29, 23, 59, 59, 999999]),
    );
    ok(
        "lib.date.BoundaryTime",
        json!({"input_datetime": {"year": 2024, "month": 12, "day": 14, "hour": 9}, "period": "month", "boundary": "end"}),
        utc([2024, 12, 31, 23, 59, 59, 999999]),
    );
    err(
        "lib.date.BoundaryTime",
        json!({"input_datetime": {"year": 9999, "month": 12, "day": 14, "hour": 9}, "period": "month", "boundary": "end"}),
        "year 10000 is out of range",
    );
    ok(
        "lib.date.BoundaryTime",
        json!({"input_datetime": {"year": 2024, "month": 2, "day": 14, "hour": 9}, "period": "year"}),
        utc([2024, 1, 1, 0, 0, 0, 0]),
    );
    ok(
        "lib.date.BoundaryTime",
        json!({"input_datetime": {"year": 2024, "month": 2, "day": 14, "hour": 9}, "period": "year", "boundary": "end"}),
        utc([2024, 12, 31, 23, 59, 59, 999999]),
    );
    err("lib.date.BoundaryTime", json!({}), "year 0 is out of range");
}

#[test]
fn properties_are_checked_like_nodetool() {
    err(
        "lib.date.ParseDate",
        json!({"date_string": "2024", "input_format": "%Y"}),
        "Invalid value for property `input_format`: '%Y' (expected one of %Y-%m-%d, %m/%d/%Y, \
         %d/%m/%Y, %B %d, %Y, %Y%m%d, %Y%m%d_%H%M%S, %Y-%m-%dT%H:%M:%S, %Y-%m-%dT%H:%M:%S%z)",
    );
    err(
        "lib.date.RelativeTime",
        json!({"unit": "weeks"}),
        "Invalid value for property `unit`: 'weeks' (expected one of hours, days, months)",
    );
    err(
        "lib.date.BoundaryTime",
        json!({"input_datetime": {"year": 2024, "month": 1, "day": 1}, "boundary": "middle"}),
        "Invalid value for property `boundary`: 'middle' (expected one of start, end)",
    );
    // A Date is not a Datetime, and fields convert as pydantic converts them.
    err(
        "lib.date.DatetimeToDate",
        json!({"input_datetime": {"type": "date", "year": 2024, "month": 1, "day": 1}}),
        "Invalid value for property `input_datetime`: a date object is not a datetime",
    );
    err(
        "lib.date.DateToDatetime",
        json!({"input_date": {"type": "datetime", "year": 2024, "month": 1, "day": 1}}),
        "Invalid value for property `input_date`: a datetime object is not a date",
    );
    err(
        "lib.date.DatetimeToDate",
        json!({"input_datetime": {"year": "soon"}}),
        "property 'input_datetime' field 'year' must be an integer, got string",
    );
    err(
        "lib.date.DatetimeToDate",
        json!({"input_datetime": {"year": 2024, "month": 1, "day": 1, "tzinfo": 5}}),
        "property 'input_datetime' field 'tzinfo' must be a string, got integer",
    );
    ok(
        "lib.date.DatetimeToDate",
        json!({"input_datetime": {"year": "2024", "month": 2.0, "day": 3, "utc_offset": "3600"}}),
        date(2024, 2, 3),
    );
    err(
        "lib.date.DatetimeToDate",
        json!({"input_datetime": "2024-01-01"}),
        "property 'input_datetime' must be an object, got string",
    );
}

#[test]
fn date_range_stays_within_the_list_limit() {
    // NodeTool would loop forever without a step, and build millions of dates here.
    let start = json!({"year": 2024, "month": 1, "day": 1});
    err(
        "lib.date.DateRange",
        json!({"start_date": start, "end_date": start, "step_days": 0}),
        "the list would exceed 100000 items",
    );
    err(
        "lib.date.DateRange",
        json!({"start_date": {"year": 1, "month": 1, "day": 1}, "end_date": start}),
        "the list would exceed 100000 items",
    );
    // 2000-01-01 + 100,000 days is 2273-10-16: one date too many.
    err(
        "lib.date.DateRange",
        json!({"start_date": {"year": 2000, "month": 1, "day": 1},
               "end_date": {"year": 2273, "month": 10, "day": 16}}),
        "the list would exceed 100000 items",
    );
}

#[test]
fn long_inputs_are_quoted_shortened() {
    let text = "x".repeat(300_000);
    let e = run("lib.date.ParseDate", json!({"date_string": text})).unwrap_err();
    assert!(e.starts_with("time data 'xxx"), "{}", &e[..40]);
    assert!(e.ends_with("'... does not match format '%Y-%m-%d'"));
    assert!(e.len() < 300_000);
    let text = format!("2024-01-01{}", "y".repeat(300_000));
    let e = run("lib.date.ParseDate", json!({"date_string": text})).unwrap_err();
    assert!(e.starts_with("unconverted data remains: yyy") && e.ends_with("y..."));
    assert!(e.len() < 300_000);
    // A long run of white space is tried one length at a time, without listing them all.
    let text = format!("May{}x", " ".repeat(300_000));
    let e = run(
        "lib.date.ParseDate",
        json!({"date_string": text, "input_format": "%B %d, %Y"}),
    )
    .unwrap_err();
    assert!(e.starts_with("time data 'May   "));
}
