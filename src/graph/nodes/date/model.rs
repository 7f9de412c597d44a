//! NodeTool's Date and Datetime objects: reading them from properties as pydantic does, and
//! writing them back.

use serde_json::{Map, Value, json};

use super::datetime::{Dt, Zone, make};
use super::delta::fixed_zone;
use super::pytext::clip;
use crate::graph::nodes::spec::Props;
use crate::graph::value::{Kind, coerce, py_str, type_name};

const DT_FIELDS: [&str; 7] = [
    "year",
    "month",
    "day",
    "hour",
    "minute",
    "second",
    "microsecond",
];

/// A `Datetime` object as NodeTool validates it: integer fields (not yet checked as a date),
/// the zone's name and its offset in seconds. An offset left out stays pydantic's unvalidated
/// default, the integer 0, and is written back as such.
#[derive(Clone, Debug)]
pub(super) struct DtModel {
    pub(super) f: [i64; 7],
    pub(super) tzinfo: String,
    utc_offset: Option<f64>,
}

/// The object a property holds, checked to be of NodeTool type `ty` when it says.
pub(super) fn typed_object<'a>(
    p: &'a Props,
    prop: &str,
    ty: &str,
) -> Result<&'a Map<String, Value>, String> {
    let obj = p.dict(prop).ok_or_else(|| {
        format!(
            "property '{prop}' must be a {ty} object, got {}",
            type_name(p.get(prop))
        )
    })?;
    match obj.get("type") {
        None => Ok(obj),
        Some(Value::String(t)) if t == ty => Ok(obj),
        Some(t) => {
            let t = py_str(t);
            let (t, more) = clip(&t, p.max_len);
            Err(format!(
                "Invalid value for property `{prop}`: a {t}{more} object is not a {ty}"
            ))
        }
    }
}

/// One field of an object property, converted as pydantic would, or its default.
fn field(
    obj: &Map<String, Value>,
    prop: &str,
    key: &str,
    kind: Kind,
) -> Result<Option<Value>, String> {
    obj.get(key)
        .map(|v| coerce(v, kind).map_err(|e| format!("property '{prop}' field '{key}' {e}")))
        .transpose()
}

pub(super) fn int_fields<const N: usize>(
    obj: &Map<String, Value>,
    prop: &str,
    keys: [&str; N],
) -> Result<[i64; N], String> {
    let mut out = [0i64; N];
    for (slot, key) in out.iter_mut().zip(keys) {
        if let Some(v) = field(obj, prop, key, Kind::Int)? {
            *slot = v.as_i64().unwrap_or_default();
        }
    }
    Ok(out)
}

impl DtModel {
    pub(super) fn read(p: &Props, prop: &str) -> Result<DtModel, String> {
        let obj = typed_object(p, prop, "datetime")?;
        let f = int_fields(obj, prop, DT_FIELDS)?;
        let tzinfo = match field(obj, prop, "tzinfo", Kind::Str)? {
            Some(Value::String(s)) => s,
            _ => "UTC".into(),
        };
        let utc_offset = field(obj, prop, "utc_offset", Kind::Float)?.and_then(|v| v.as_f64());
        Ok(DtModel {
            f,
            tzinfo,
            utc_offset,
        })
    }

    /// `Datetime.from_datetime(dt)`.
    pub(super) fn from_dt(dt: &Dt) -> DtModel {
        let x = dt.fields();
        let name = dt.zone.tzname();
        DtModel {
            f: [x.year, x.month, x.day, x.hour, x.minute, x.second, x.micro],
            tzinfo: if name.is_empty() { "UTC".into() } else { name },
            // Exact: an offset is under a day, well within a float's integers.
            utc_offset: Some(dt.zone.offset_us as f64 / 1e6),
        }
    }

    /// `Datetime.to_datetime()`: the zone is built first, so its errors come first.
    pub(super) fn to_dt(&self) -> Result<Dt, String> {
        let zone = if let Some(x) = self.utc_offset.filter(|x| *x != 0.0) {
            fixed_zone(x, &self.tzinfo)?
        } else {
            Zone::UTC
        };
        make(self.f.map(i128::from), zone)
    }

    pub(super) fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("type".into(), json!("datetime"));
        for (k, v) in DT_FIELDS.iter().zip(self.f) {
            m.insert((*k).into(), json!(v));
        }
        m.insert("tzinfo".into(), json!(self.tzinfo));
        let offset = self.utc_offset.map_or(json!(0), |x| json!(x));
        m.insert("utc_offset".into(), offset);
        Value::Object(m)
    }
}

pub(super) fn dt_value(dt: &Dt) -> Value {
    DtModel::from_dt(dt).to_value()
}

pub(super) fn date_value(dt: &Dt) -> Value {
    let x = dt.fields();
    json!({"type": "date", "year": x.year, "month": x.month, "day": x.day})
}

/// A `Datetime` property converted to a Python datetime.
pub(super) fn read_dt(p: &Props, prop: &str) -> Result<Dt, String> {
    DtModel::read(p, prop)?.to_dt()
}
