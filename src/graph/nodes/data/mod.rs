//! `nodetool.data.*`: tables as NodeTool's `DataframeRef`, with the pandas semantics of
//! NodeTool's nodes (nodetool-base `nodetool/data.py`).
//!
//! Not here: the nodes that read or write files, URLs or the asset store (`SaveDataframe`,
//! `LoadCSVURL`, `LoadCSVFile`, `LoadCSVAssets`, `SaveCSVDataframeFile`).

mod csv;
mod group;
mod ops;
mod query;
mod table;

use serde_json::{Value, json};

use super::spec::{Emitted, Family, Prop, Props, Spec, one, op};
use crate::graph::value::{Kind, py_str, too_long};
use group::How;
use table::{Cell, MAX_ROWS, Table};

/// An unset `DataframeRef`, as NodeTool's nodes default to.
const DF: &str =
    r#"{"type":"dataframe","uri":"","asset_id":null,"data":null,"metadata":null,"columns":null}"#;
const EMPTY: &str = "\"\"";

const ONE_DF: &[Prop] = &[("dataframe", Kind::Dict, DF)];
const ONE_DF_SHORT: &[Prop] = &[("df", Kind::Dict, DF)];
const TWO_DF: &[Prop] = &[
    ("dataframe_a", Kind::Dict, DF),
    ("dataframe_b", Kind::Dict, DF),
];
const CONDITION: &[Prop] = &[("df", Kind::Dict, DF), ("condition", Kind::Str, EMPTY)];

pub(crate) const FAMILY: Family = Family {
    prefixes: &["nodetool.data."],
    nodes: &[
        (
            "Schema",
            op(
                schema,
                &[(
                    "columns",
                    Kind::Dict,
                    r#"{"type":"record_type","columns":[]}"#,
                )],
            ),
        ),
        ("Filter", op(filter, CONDITION)),
        ("FindRow", op(find_row, CONDITION)),
        (
            "Slice",
            op(
                slice,
                &[
                    ("dataframe", Kind::Dict, DF),
                    ("start_index", Kind::Int, "0"),
                    ("end_index", Kind::Int, "-1"),
                ],
            ),
        ),
        (
            "ImportCSV",
            op(import_csv, &[("csv_data", Kind::Str, EMPTY)]),
        ),
        ("FromList", op(from_list, &[("values", Kind::List, "[]")])),
        (
            "JSONToDataframe",
            op(json_to_dataframe, &[("text", Kind::Str, EMPTY)]),
        ),
        ("ToList", op(to_list, ONE_DF)),
        (
            "SelectColumn",
            op(
                select_column,
                &[("dataframe", Kind::Dict, DF), ("columns", Kind::Str, EMPTY)],
            ),
        ),
        (
            "ExtractColumn",
            op(
                extract_column,
                &[
                    ("dataframe", Kind::Dict, DF),
                    ("column_name", Kind::Str, EMPTY),
                ],
            ),
        ),
        (
            "AddColumn",
            op(
                add_column,
                &[
                    ("dataframe", Kind::Dict, DF),
                    ("column_name", Kind::Str, EMPTY),
                    ("values", Kind::List, "[]"),
                ],
            ),
        ),
        ("Merge", op(merge, TWO_DF)),
        ("Append", op(append, TWO_DF)),
        (
            "Join",
            op(
                join,
                &[
                    ("dataframe_a", Kind::Dict, DF),
                    ("dataframe_b", Kind::Dict, DF),
                    ("join_on", Kind::Str, EMPTY),
                ],
            ),
        ),
        (
            "RowIterator",
            Spec {
                outputs: &["dict", "index"],
                ..op(row_iterator, ONE_DF)
            },
        ),
        (
            "ForEachRow",
            Spec {
                outputs: &["row", "index"],
                ..op(for_each_row, ONE_DF)
            },
        ),
        (
            "SortByColumn",
            op(
                sort_by_column,
                &[("df", Kind::Dict, DF), ("column", Kind::Str, EMPTY)],
            ),
        ),
        ("DropDuplicates", op(drop_duplicates, ONE_DF_SHORT)),
        ("DropNA", op(drop_na, ONE_DF_SHORT)),
        (
            "Aggregate",
            op(
                aggregate,
                &[
                    ("dataframe", Kind::Dict, DF),
                    ("columns", Kind::Str, EMPTY),
                    ("aggregation", Kind::Str, "\"sum\""),
                ],
            ),
        ),
        (
            "Pivot",
            op(
                pivot,
                &[
                    ("dataframe", Kind::Dict, DF),
                    ("index", Kind::Str, EMPTY),
                    ("columns", Kind::Str, EMPTY),
                    ("values", Kind::Str, EMPTY),
                    ("aggfunc", Kind::Str, "\"sum\""),
                ],
            ),
        ),
        (
            "Rename",
            op(
                rename,
                &[
                    ("dataframe", Kind::Dict, DF),
                    ("rename_map", Kind::Str, EMPTY),
                ],
            ),
        ),
        (
            "FillNA",
            op(
                fill_na,
                &[
                    ("dataframe", Kind::Dict, DF),
                    ("value", Kind::Any, "0"),
                    ("method", Kind::Str, "\"value\""),
                    ("columns", Kind::Str, EMPTY),
                ],
            ),
        ),
        // NodeTool's default is an empty stream; here an unset value simply emits nothing.
        (
            "FilterNone",
            op(filter_none, &[("value", Kind::Any, "null")]),
        ),
    ],
};

/// The table in property `name`.
fn table(p: &Props, name: &str) -> Result<Table, String> {
    Table::from_ref(p.get(name))
}

fn out(t: &Table) -> Result<Emitted, String> {
    one(t.to_ref()?)
}

/// `RecordType`: the column definitions as given, with NodeTool's defaults filled in.
fn schema(p: &Props) -> Result<Emitted, String> {
    let given = p.dict("columns").cloned().unwrap_or_default();
    let defs = match given.get("columns") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(defs)) => defs.clone(),
        Some(_) => return Err("columns must be a list of column definitions".into()),
    };
    let mut out = Vec::with_capacity(defs.len());
    for (i, d) in defs.iter().enumerate() {
        let Some(name) = d.get("name").and_then(Value::as_str) else {
            return Err(format!("column {i} needs a name (text)"));
        };
        let data_type = d.get("data_type").and_then(Value::as_str).unwrap_or("");
        if !["int", "float", "datetime", "string", "object"].contains(&data_type) {
            return Err(format!(
                "column '{name}': data_type must be one of int, float, datetime, string, object"
            ));
        }
        let description = d.get("description").and_then(Value::as_str).unwrap_or("");
        out.push(json!({"name": name, "data_type": data_type, "description": description}));
    }
    one(json!({"type": "record_type", "columns": out}))
}

fn filter(p: &Props) -> Result<Emitted, String> {
    let t = table(p, "df")?;
    let rows = query::query(&t, p.str("condition"), p.max_len)?;
    out(&t.take_rows(&rows))
}

/// The first row the condition holds for (`df.query(condition).head(1)`).
fn find_row(p: &Props) -> Result<Emitted, String> {
    let t = table(p, "df")?;
    let rows = query::query(&t, p.str("condition"), p.max_len)?;
    out(&t.take_rows(&rows[..rows.len().min(1)]))
}

/// `df.iloc[start:end]`, where an end of exactly -1 means the last row included.
fn slice(p: &Props) -> Result<Emitted, String> {
    let t = table(p, "dataframe")?;
    let end = match p.int("end_index") {
        -1 => t.nrows() as i64,
        e => e,
    };
    let rows = super::text::py_slice_indices(t.nrows(), p.int("start_index"), end, 1)?;
    out(&t.take_rows(&rows))
}

fn import_csv(p: &Props) -> Result<Emitted, String> {
    out(&csv::read_csv(p.str("csv_data"))?)
}

/// A row dict's values as NodeTool keeps them: `{"value": v}` dicts give `v`, plain values
/// stay, anything else becomes its Python `str()`.
fn from_list(p: &Props) -> Result<Emitted, String> {
    let mut rows = Vec::new();
    for item in p.list("values") {
        let Value::Object(o) = item else {
            return Err("List must contain dicts.".into());
        };
        let mut row = Vec::with_capacity(o.len());
        for (k, v) in o {
            let cell = match v {
                Value::Object(d) => Cell::from_json(d.get("value").ok_or("KeyError: 'value'")?),
                Value::Bool(_) | Value::Number(_) | Value::String(_) => Cell::from_json(v),
                other => {
                    too_long(repr_bound(other, 0), p.max_len)?;
                    Cell::Str(py_str(other))
                }
            };
            row.push((k.clone(), cell));
        }
        rows.push(row);
    }
    out(&Table::from_records(&rows)?)
}

/// An upper bound on the length of a value's Python repr, to check before building it.
fn repr_bound(v: &Value, depth: usize) -> usize {
    let nested = |items: &mut dyn Iterator<Item = usize>| {
        items.fold(2usize, |acc, n| acc.saturating_add(n).saturating_add(4))
    };
    match v {
        Value::String(s) => s.len().saturating_mul(4).saturating_add(2),
        _ if depth > 200 => usize::MAX,
        Value::Array(a) => nested(&mut a.iter().map(|x| repr_bound(x, depth + 1))),
        Value::Object(o) => nested(&mut o.iter().map(|(k, x)| {
            k.len()
                .saturating_mul(4)
                .saturating_add(repr_bound(x, depth + 1))
        })),
        _ => 32,
    }
}

fn json_to_dataframe(p: &Props) -> Result<Emitted, String> {
    let text = p.str("text");
    let parsed: Value = serde_json::from_str(text).map_err(|e| {
        if text.trim().is_empty() {
            "Expecting value: line 1 column 1 (char 0)".to_string()
        } else {
            format!("the text is not valid JSON: {e}")
        }
    })?;
    out(&ops::from_value(&parsed)?)
}

/// `df.to_dict("records")`.
fn to_list(p: &Props) -> Result<Emitted, String> {
    one(Value::Array(table(p, "dataframe")?.records()))
}

/// `df[columns.split(",")]`: names are taken exactly as written, spaces included.
fn select_column(p: &Props) -> Result<Emitted, String> {
    let t = table(p, "dataframe")?;
    let names: Vec<String> = p.str("columns").split(',').map(str::to_string).collect();
    out(&t.select(&names)?)
}

fn extract_column(p: &Props) -> Result<Emitted, String> {
    let t = table(p, "dataframe")?;
    let col = t.col(p.str("column_name"))?;
    one(Value::Array(col.cells.iter().map(Cell::to_json).collect()))
}

fn add_column(p: &Props) -> Result<Emitted, String> {
    let t = table(p, "dataframe")?;
    out(&ops::add_column(t, p.str("column_name"), p.list("values"))?)
}

fn merge(p: &Props) -> Result<Emitted, String> {
    out(&ops::concat_columns(
        table(p, "dataframe_a")?,
        table(p, "dataframe_b")?,
    )?)
}

fn append(p: &Props) -> Result<Emitted, String> {
    out(&ops::append_rows(
        table(p, "dataframe_a")?,
        table(p, "dataframe_b")?,
    )?)
}

fn join(p: &Props) -> Result<Emitted, String> {
    let (a, b) = (table(p, "dataframe_a")?, table(p, "dataframe_b")?);
    out(&ops::join(&a, &b, p.str("join_on"))?)
}

/// One `(row, index)` pair per row, in order, as NodeTool's generator yields them.
fn rows(t: &Table, row_handle: &'static str) -> Result<Emitted, String> {
    if t.nrows() > MAX_ROWS {
        return Err(format!("the table has more than {MAX_ROWS} rows"));
    }
    let mut emitted = Vec::with_capacity(t.nrows() * 2);
    for r in 0..t.nrows() {
        emitted.push((row_handle, Value::Object(t.row_dict(r))));
        emitted.push(("index", t.index[r].to_json()));
    }
    Ok(emitted)
}

fn row_iterator(p: &Props) -> Result<Emitted, String> {
    rows(&table(p, "dataframe")?, "dict")
}

fn for_each_row(p: &Props) -> Result<Emitted, String> {
    rows(&table(p, "dataframe")?, "row")
}

fn sort_by_column(p: &Props) -> Result<Emitted, String> {
    out(&ops::sort_by(&table(p, "df")?, p.str("column"))?)
}

fn drop_duplicates(p: &Props) -> Result<Emitted, String> {
    out(&ops::drop_duplicates(&table(p, "df")?))
}

fn drop_na(p: &Props) -> Result<Emitted, String> {
    out(&ops::drop_na(&table(p, "df")?))
}

fn aggregate(p: &Props) -> Result<Emitted, String> {
    let t = table(p, "dataframe")?;
    let name = p.str("aggregation");
    let how = How::parse(name).ok_or_else(|| format!("Unknown aggregation function: {name}"))?;
    let keys = group::names(p.str("columns"));
    out(&group::aggregate(&t, &keys, how, p.max_len)?)
}

fn pivot(p: &Props) -> Result<Emitted, String> {
    let t = table(p, "dataframe")?;
    let name = p.str("aggfunc");
    let how = How::parse(name)
        .filter(|h| !matches!(h, How::Std | How::Var | How::Median))
        .ok_or_else(|| format!("Unknown aggregation function: {name}"))?;
    let (index, columns, values) = (p.str("index"), p.str("columns"), p.str("values"));
    out(&group::pivot(&t, index, columns, values, how, p.max_len)?)
}

fn rename(p: &Props) -> Result<Emitted, String> {
    out(&ops::rename(table(p, "dataframe")?, p.str("rename_map")))
}

fn fill_na(p: &Props) -> Result<Emitted, String> {
    let t = table(p, "dataframe")?;
    out(&ops::fill_na(
        t,
        p.get("value"),
        p.str("method"),
        p.str("columns"),
    )?)
}

/// Passes on what arrives unless it is `None`.
fn filter_none(p: &Props) -> Result<Emitted, String> {
    match p.get("value") {
        Value::Null => Ok(Vec::new()),
        v => one(v.clone()),
    }
}
