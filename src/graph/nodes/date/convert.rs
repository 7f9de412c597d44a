//! The date nodes that make, parse, format and convert dates and datetimes.

use serde_json::json;

use super::datetime::{Zone, make, now_dt};
use super::formats::{FORMATS, strftime};
use super::model::{DtModel, date_value, dt_value, int_fields, read_dt, typed_object};
use super::pytext::choice;
use super::strptime::strptime;
use crate::graph::nodes::spec::{Emitted, Props, one};

/// Today in UTC: NodeTool's Python asks for the machine's local date.
pub(super) fn today(p: &Props) -> Result<Emitted, String> {
    one(date_value(&now_dt(p)?))
}

pub(super) fn now(p: &Props) -> Result<Emitted, String> {
    one(dt_value(&now_dt(p)?))
}

pub(super) fn parse_date(p: &Props) -> Result<Emitted, String> {
    let fmt = choice(p, "input_format", FORMATS)?;
    one(date_value(&strptime(p.str("date_string"), fmt, p.max_len)?))
}

pub(super) fn parse_datetime(p: &Props) -> Result<Emitted, String> {
    let fmt = choice(p, "input_format", FORMATS)?;
    one(dt_value(&strptime(
        p.str("datetime_string"),
        fmt,
        p.max_len,
    )?))
}

pub(super) fn format_datetime(p: &Props) -> Result<Emitted, String> {
    let model = DtModel::read(p, "input_datetime")?;
    let fmt = choice(p, "output_format", FORMATS)?;
    one(json!(strftime(&model.to_dt()?, fmt)))
}

pub(super) fn date_to_datetime(p: &Props) -> Result<Emitted, String> {
    let obj = typed_object(p, "input_date", "date")?;
    let [y, m, d] = int_fields(obj, "input_date", ["year", "month", "day"])?;
    let dt = make([y, m, d, 0, 0, 0, 0].map(i128::from), Zone::UTC)?;
    one(dt_value(&dt))
}

pub(super) fn datetime_to_date(p: &Props) -> Result<Emitted, String> {
    one(date_value(&read_dt(p, "input_datetime")?))
}
