//! The table model behind `nodetool.data.*`: a pandas-like frame of typed columns read from and
//! written to NodeTool's `DataframeRef` JSON (`{"type": "dataframe", "columns": [{"name",
//! "data_type", "description"}], "data": [[row values]], ...}`).
//!
//! NodeTool hands frames between nodes in memory, so a frame keeps its row labels (pandas'
//! index) and exact dtypes from node to node. Here every hop goes through JSON, so the labels
//! ride along in `metadata.index` when they are not the default `0..n`, and a column's
//! `data_type` is read back as a hint where the values alone would lose it (an all-missing float
//! column).

use std::cmp::Ordering;

use serde_json::{Map, Value, json};

use crate::graph::value::{py_float, py_repr};

/// Most rows a table may have (the engine's list bound).
pub(crate) const MAX_ROWS: usize = 100_000;
/// Most cells a table may have: beyond this a table stops being something to pass along a graph.
pub(crate) const MAX_CELLS: usize = 1_000_000;
/// Deepest nesting compared inside list cells.
const MAX_DEPTH: usize = 64;

/// One value of a table. `Null` is pandas' missing value (`None` or `NaN`); a `Float` is never
/// NaN.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// Lists, dicts and numbers beyond 64 bits, kept as they came.
    Other(Value),
}

/// How cells compare for grouping, joining and de-duplication: as Python hashes them, so
/// `1`, `1.0` and `True` are the same key and missing values match each other.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    Null,
    Int(i64),
    Float(u64),
    Str(String),
    Json(String),
}

/// 2^63: integral floats below it in magnitude are exact i64 values.
const I64_BOUND: f64 = 9_223_372_036_854_775_808.0;

impl Cell {
    /// A float, with NaN as the missing value it stands for.
    pub(crate) fn float(f: f64) -> Cell {
        if f.is_nan() {
            Cell::Null
        } else {
            Cell::Float(f)
        }
    }

    pub(crate) fn from_json(v: &Value) -> Cell {
        match v {
            Value::Null => Cell::Null,
            Value::Bool(b) => Cell::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Cell::Int(i),
                None if n.is_f64() => n.as_f64().map_or(Cell::Null, Cell::float),
                None => Cell::Other(v.clone()),
            },
            Value::String(s) => Cell::Str(s.clone()),
            _ => Cell::Other(v.clone()),
        }
    }

    /// JSON has no NaN or infinity: both leave as `null`.
    pub(crate) fn to_json(&self) -> Value {
        match self {
            Cell::Null => Value::Null,
            Cell::Bool(b) => Value::Bool(*b),
            Cell::Int(i) => Value::from(*i),
            Cell::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Cell::Str(s) => Value::String(s.clone()),
            Cell::Other(v) => v.clone(),
        }
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Cell::Null)
    }

    /// The value as a number, for cells numpy treats as numbers (bools included).
    pub(crate) fn num(&self) -> Option<f64> {
        match self {
            Cell::Bool(b) => Some(*b as i64 as f64),
            Cell::Int(i) => Some(*i as f64),
            Cell::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// Python's name for the value's type, for error messages.
    pub(crate) fn py_type(&self) -> &'static str {
        match self {
            Cell::Null => "NoneType",
            Cell::Bool(_) => "bool",
            Cell::Int(_) => "int",
            Cell::Float(_) => "float",
            Cell::Str(_) => "str",
            Cell::Other(Value::Array(_)) => "list",
            Cell::Other(Value::Object(_)) => "dict",
            // The only other values kept whole are integers beyond 64 bits.
            Cell::Other(_) => "int",
        }
    }

    pub(crate) fn key(&self) -> Key {
        match self {
            Cell::Null => Key::Null,
            Cell::Bool(b) => Key::Int(*b as i64),
            Cell::Int(i) => Key::Int(*i),
            Cell::Float(f) if f.fract() == 0.0 && f.abs() < I64_BOUND => Key::Int(*f as i64),
            Cell::Float(f) => Key::Float(f.to_bits()),
            Cell::Str(s) => Key::Str(s.clone()),
            Cell::Other(v) => Key::Json(v.to_string()),
        }
    }

    /// Python's `str()` of the value (column names built from values).
    pub(crate) fn py_str(&self) -> String {
        match self {
            Cell::Null => "nan".into(),
            Cell::Float(f) => py_float(*f),
            Cell::Str(s) => s.clone(),
            other => crate::graph::value::py_str(&other.to_json()),
        }
    }
}

/// Python's `<` ordering between two present values, or Python's TypeError text.
pub(crate) fn py_cmp(a: &Cell, b: &Cell) -> Result<Ordering, String> {
    match (a, b) {
        (Cell::Int(x), Cell::Int(y)) => Ok(x.cmp(y)),
        (Cell::Str(x), Cell::Str(y)) => Ok(x.cmp(y)),
        (Cell::Other(x), Cell::Other(y)) => json_cmp(x, y, 0),
        _ => match (a.num(), b.num()) {
            (Some(x), Some(y)) => Ok(x.partial_cmp(&y).unwrap_or(Ordering::Equal)),
            _ => Err(not_supported("<", a.py_type(), b.py_type())),
        },
    }
}

pub(crate) fn not_supported(op: &str, a: &str, b: &str) -> String {
    format!("'{op}' not supported between instances of '{a}' and '{b}'")
}

/// Python's ordering of nested values (lists compare element by element).
fn json_cmp(a: &Value, b: &Value, depth: usize) -> Result<Ordering, String> {
    if depth > MAX_DEPTH {
        return Err("the values are nested too deeply to compare".into());
    }
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            for (p, q) in x.iter().zip(y) {
                let o = json_cmp(p, q, depth + 1)?;
                if o != Ordering::Equal {
                    return Ok(o);
                }
            }
            Ok(x.len().cmp(&y.len()))
        }
        (Value::Array(_), _) | (_, Value::Array(_)) => {
            let (ca, cb) = (Cell::from_json(a), Cell::from_json(b));
            Err(not_supported("<", ca.py_type(), cb.py_type()))
        }
        _ => {
            let (ca, cb) = (Cell::from_json(a), Cell::from_json(b));
            if matches!(ca, Cell::Other(_) | Cell::Null)
                || matches!(cb, Cell::Other(_) | Cell::Null)
            {
                return Err(not_supported("<", ca.py_type(), cb.py_type()));
            }
            py_cmp(&ca, &cb)
        }
    }
}

/// A stable merge sort whose comparison may fail (Python raises mid-sort; Rust's own sorts
/// require a total order, which mixed-type cells do not have).
pub(crate) fn try_sort(
    items: &mut Vec<usize>,
    cmp: &mut dyn FnMut(usize, usize) -> Result<Ordering, String>,
) -> Result<(), String> {
    let n = items.len();
    let mut buf = items.clone();
    let mut width = 1;
    while width < n {
        let mut lo = 0;
        while lo < n {
            let mid = (lo + width).min(n);
            let hi = (lo + 2 * width).min(n);
            let (mut i, mut j, mut k) = (lo, mid, lo);
            while i < mid && j < hi {
                // Take from the right only when strictly smaller: equal keys keep their order.
                if cmp(items[j], items[i])? == Ordering::Less {
                    buf[k] = items[j];
                    j += 1;
                } else {
                    buf[k] = items[i];
                    i += 1;
                }
                k += 1;
            }
            buf[k..k + (mid - i)].copy_from_slice(&items[i..mid]);
            k += mid - i;
            buf[k..k + (hi - j)].copy_from_slice(&items[j..hi]);
            lo = hi;
        }
        std::mem::swap(items, &mut buf);
        width *= 2;
    }
    Ok(())
}

/// A column's dtype, as far as NodeTool's nodes can tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dtype {
    Int,
    Float,
    Bool,
    Object,
}

impl Dtype {
    /// numpy's name, as pandas prints it in messages.
    pub(crate) fn numpy(self) -> &'static str {
        match self {
            Dtype::Int => "int64",
            Dtype::Float => "float64",
            Dtype::Bool => "bool",
            Dtype::Object => "object",
        }
    }

    /// NodeTool's `ColumnDef.data_type` for it.
    fn column_type(self) -> &'static str {
        match self {
            Dtype::Int => "int",
            Dtype::Float => "float",
            Dtype::Bool | Dtype::Object => "object",
        }
    }

    /// What a column of this dtype becomes when some rows have no value (reindexing, pivots).
    pub(crate) fn with_missing(self) -> Dtype {
        match self {
            Dtype::Int => Dtype::Float,
            Dtype::Bool => Dtype::Object,
            other => other,
        }
    }
}

/// The dtype pandas infers for a sequence of values, and the values converted to it.
pub(crate) fn infer(mut cells: Vec<Cell>) -> (Dtype, Vec<Cell>) {
    if cells.is_empty() {
        return (Dtype::Object, cells);
    }
    let (mut ints, mut floats, mut bools, mut nulls) = (0, 0, 0, 0);
    for c in &cells {
        match c {
            Cell::Int(_) => ints += 1,
            Cell::Float(_) => floats += 1,
            Cell::Bool(_) => bools += 1,
            Cell::Null => nulls += 1,
            _ => return (Dtype::Object, cells),
        }
    }
    let n = cells.len();
    if ints == n {
        (Dtype::Int, cells)
    } else if bools == n {
        (Dtype::Bool, cells)
    } else if bools == 0 && ints + floats > 0 && ints + floats + nulls == n {
        to_float(&mut cells);
        (Dtype::Float, cells)
    } else {
        (Dtype::Object, cells)
    }
}

fn to_float(cells: &mut [Cell]) {
    for c in cells {
        if let Cell::Int(i) = c {
            *c = Cell::Float(*i as f64);
        }
    }
}

/// Converts cells of one dtype to another that holds them (numpy's casts between columns).
pub(crate) fn cast(cells: &mut [Cell], to: Dtype) {
    match to {
        Dtype::Float => {
            for c in cells.iter_mut() {
                if let Cell::Bool(b) = c {
                    *c = Cell::Float(*b as i64 as f64);
                }
            }
            to_float(cells);
        }
        Dtype::Int => {
            for c in cells {
                if let Cell::Bool(b) = c {
                    *c = Cell::Int(*b as i64);
                }
            }
        }
        Dtype::Bool | Dtype::Object => {}
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Column {
    pub name: String,
    pub dtype: Dtype,
    pub cells: Vec<Cell>,
}

impl Column {
    pub(crate) fn new(name: String, cells: Vec<Cell>) -> Column {
        let (dtype, cells) = infer(cells);
        Column { name, dtype, cells }
    }

    pub(crate) fn take(&self, rows: &[usize]) -> Column {
        Column {
            name: self.name.clone(),
            dtype: self.dtype,
            cells: rows.iter().map(|&r| self.cells[r].clone()).collect(),
        }
    }

    /// The rows picked by `rows`, missing where `None`.
    pub(crate) fn reindex(&self, rows: &[Option<usize>]) -> Column {
        let missing = rows.iter().any(Option::is_none);
        let dtype = if missing {
            self.dtype.with_missing()
        } else {
            self.dtype
        };
        let mut cells: Vec<Cell> = rows
            .iter()
            .map(|r| r.map_or(Cell::Null, |r| self.cells[r].clone()))
            .collect();
        cast(&mut cells, dtype);
        Column {
            name: self.name.clone(),
            dtype,
            cells,
        }
    }
}

/// A frame: named columns of equal length and the row labels.
#[derive(Debug, Clone, Default)]
pub(crate) struct Table {
    pub cols: Vec<Column>,
    pub index: Vec<Cell>,
}

/// Refuses a table beyond the bounds before it is built.
pub(crate) fn check_size(rows: usize, cols: usize) -> Result<(), String> {
    if rows > MAX_ROWS {
        return Err(format!("the table would exceed {MAX_ROWS} rows"));
    }
    if rows.checked_mul(cols).is_none_or(|n| n > MAX_CELLS) || cols > MAX_ROWS {
        return Err(format!("the table would exceed {MAX_CELLS} cells"));
    }
    Ok(())
}

pub(crate) fn default_index(n: usize) -> Vec<Cell> {
    (0..n).map(|i| Cell::Int(i as i64)).collect()
}

/// Python's repr of a list of column names, as pandas prints an `Index` of them.
pub(crate) fn index_repr(names: &[String]) -> String {
    let shown: Vec<String> = names.iter().take(20).map(|n| py_repr(&json!(n))).collect();
    let more = if names.len() > 20 { ", ..." } else { "" };
    format!("Index([{}{more}], dtype='object')", shown.join(", "))
}

/// Python's KeyError text for a missing column, with the columns there are.
pub(crate) fn key_error(name: &str, table: &Table) -> String {
    let names: Vec<String> = table.cols.iter().map(|c| c.name.clone()).collect();
    let list: Vec<String> = names.iter().take(20).map(|n| py_repr(&json!(n))).collect();
    let more = if names.len() > 20 { ", ..." } else { "" };
    format!(
        "KeyError: {} (the columns are [{}{more}])",
        py_repr(&json!(name)),
        list.join(", ")
    )
}

impl Table {
    pub(crate) fn nrows(&self) -> usize {
        self.index.len()
    }

    pub(crate) fn names(&self) -> Vec<String> {
        self.cols.iter().map(|c| c.name.clone()).collect()
    }

    /// pandas' `DataFrame.empty`: no rows or no columns.
    pub(crate) fn is_empty(&self) -> bool {
        self.nrows() == 0 || self.cols.is_empty()
    }

    pub(crate) fn find(&self, name: &str) -> Option<usize> {
        self.cols.iter().position(|c| c.name == name)
    }

    /// `df[name]` for one column, or pandas' KeyError.
    pub(crate) fn col(&self, name: &str) -> Result<&Column, String> {
        self.find(name)
            .map(|i| &self.cols[i])
            .ok_or_else(|| key_error(name, self))
    }

    /// The column by a label that must name exactly one column (sorting, joining on it).
    pub(crate) fn unique_col(&self, name: &str) -> Result<usize, String> {
        let i = self.find(name).ok_or_else(|| key_error(name, self))?;
        if self.cols.iter().filter(|c| c.name == name).count() > 1 {
            return Err(format!(
                "The column label {} is not unique.",
                py_repr(&json!(name))
            ));
        }
        Ok(i)
    }

    pub(crate) fn take_rows(&self, rows: &[usize]) -> Table {
        Table {
            cols: self.cols.iter().map(|c| c.take(rows)).collect(),
            index: rows.iter().map(|&r| self.index[r].clone()).collect(),
        }
    }

    /// Position of the first column of each name.
    pub(crate) fn positions(&self) -> std::collections::HashMap<&str, usize> {
        let mut pos = std::collections::HashMap::new();
        for (i, c) in self.cols.iter().enumerate() {
            pos.entry(c.name.as_str()).or_insert(i);
        }
        pos
    }

    /// `df[names]`: the columns in the order asked, or pandas' KeyError for missing ones.
    pub(crate) fn select(&self, names: &[String]) -> Result<Table, String> {
        let pos = self.positions();
        let missing: Vec<&String> = names
            .iter()
            .filter(|n| !pos.contains_key(n.as_str()))
            .collect();
        if missing.len() == names.len() && !names.is_empty() {
            return Err(format!(
                "KeyError: None of [{}] are in the [columns]",
                index_repr(names)
            ));
        }
        if !missing.is_empty() {
            let list: Vec<String> = missing
                .iter()
                .take(20)
                .map(|n| py_repr(&json!(n)))
                .collect();
            return Err(format!("KeyError: [{}] not in index", list.join(", ")));
        }
        check_size(self.nrows(), names.len())?;
        let cols = names
            .iter()
            .filter_map(|n| pos.get(n.as_str()).map(|&i| self.cols[i].clone()))
            .collect();
        Ok(Table {
            cols,
            index: self.index.clone(),
        })
    }

    /// A row as `iterrows` gives it: numpy's common dtype across the row's columns.
    pub(crate) fn row_dict(&self, r: usize) -> Map<String, Value> {
        let all = |d: Dtype| self.cols.iter().all(|c| c.dtype == d);
        let numeric = self
            .cols
            .iter()
            .all(|c| matches!(c.dtype, Dtype::Int | Dtype::Float));
        let as_float = numeric && !all(Dtype::Int);
        self.cols
            .iter()
            .map(|c| {
                let cell = &c.cells[r];
                let v = match cell {
                    Cell::Int(i) if as_float => Cell::Float(*i as f64).to_json(),
                    _ => cell.to_json(),
                };
                (c.name.clone(), v)
            })
            .collect()
    }

    /// `to_dict("records")`: each row with its own column types.
    pub(crate) fn records(&self) -> Vec<Value> {
        (0..self.nrows())
            .map(|r| {
                Value::Object(
                    self.cols
                        .iter()
                        .map(|c| (c.name.clone(), c.cells[r].to_json()))
                        .collect(),
                )
            })
            .collect()
    }

    /// Builds a frame from row dicts, as `pd.DataFrame(list_of_dicts)` does: columns in order
    /// of first appearance, absent keys missing.
    pub(crate) fn from_records(rows: &[Vec<(String, Cell)>]) -> Result<Table, String> {
        let mut names: Vec<String> = Vec::new();
        let mut pos: std::collections::HashMap<String, usize> = Default::default();
        for row in rows {
            for (k, _) in row {
                if !pos.contains_key(k) {
                    pos.insert(k.clone(), names.len());
                    names.push(k.clone());
                }
            }
        }
        check_size(rows.len(), names.len())?;
        let mut cells: Vec<Vec<Cell>> = vec![vec![Cell::Null; rows.len()]; names.len()];
        for (r, row) in rows.iter().enumerate() {
            for (k, v) in row {
                if let Some(&c) = pos.get(k) {
                    cells[c][r] = v.clone();
                }
            }
        }
        Ok(Table {
            cols: names
                .into_iter()
                .zip(cells)
                .map(|(n, c)| Column::new(n, c))
                .collect(),
            index: default_index(rows.len()),
        })
    }

    /// Reads a `DataframeRef`, as NodeTool's `dataframe_to_pandas` does for inline tables.
    pub(crate) fn from_ref(v: &Value) -> Result<Table, String> {
        let Some(obj) = v.as_object() else {
            return Err("expected a dataframe (an object with columns and data)".into());
        };
        let data = obj.get("data").unwrap_or(&Value::Null);
        let table = match obj.get("columns") {
            Some(Value::Array(defs)) if !defs.is_empty() => from_columns(defs, data)?,
            Some(Value::Array(_)) => no_columns(data)?,
            _ => match obj.get("rows") {
                // The shape NodeTool's TypeScript port passes: row objects.
                Some(Value::Array(rows)) => records_of(rows)?,
                _ => return Err(empty_ref(obj, data)),
            },
        };
        Ok(with_labels(table, obj.get("metadata")))
    }

    /// Writes the frame as a `DataframeRef` (NodeTool's `DataframeRef.from_pandas`), with the
    /// row labels in `metadata.index` when they are not `0..n`.
    pub(crate) fn to_ref(&self) -> Result<Value, String> {
        let n = self.nrows();
        check_size(n, self.cols.len())?;
        let defs: Vec<Value> = self
            .cols
            .iter()
            .map(|c| json!({"name": c.name, "data_type": c.dtype.column_type(), "description": ""}))
            .collect();
        let data: Vec<Value> = (0..n)
            .map(|r| Value::Array(self.cols.iter().map(|c| c.cells[r].to_json()).collect()))
            .collect();
        let default = self
            .index
            .iter()
            .enumerate()
            .all(|(i, c)| *c == Cell::Int(i as i64));
        let metadata = if default {
            Value::Null
        } else {
            json!({"index": self.index.iter().map(Cell::to_json).collect::<Vec<_>>()})
        };
        Ok(json!({
            "type": "dataframe", "uri": "", "asset_id": null,
            "data": data, "metadata": metadata, "columns": defs,
        }))
    }
}

/// The reason a reference without columns cannot be read.
fn empty_ref(obj: &Map<String, Value>, data: &Value) -> String {
    let uri = obj.get("uri").and_then(Value::as_str).unwrap_or_default();
    let asset = obj.get("asset_id").is_some_and(|a| !a.is_null());
    if !uri.is_empty() || asset {
        "this server cannot load a dataframe from an asset or URI; pass the table inline \
         (columns and data)"
            .into()
    } else if !data.is_null() {
        "Unexpected list data type: the dataframe has data but no columns".into()
    } else {
        "AssetRef is empty: the dataframe has no columns and no data".into()
    }
}

/// A frame with no columns: only its row count survives (all rows must be empty).
fn no_columns(data: &Value) -> Result<Table, String> {
    let rows = match data {
        Value::Null => 0,
        Value::Array(rows) if rows.iter().all(|r| r.as_array().is_some_and(Vec::is_empty)) => {
            rows.len()
        }
        _ => return Err("Unexpected list data type: the dataframe has data but no columns".into()),
    };
    check_size(rows, 0)?;
    Ok(Table {
        cols: Vec::new(),
        index: default_index(rows),
    })
}

fn records_of(rows: &[Value]) -> Result<Table, String> {
    let rows: Vec<Vec<(String, Cell)>> = rows
        .iter()
        .filter_map(Value::as_object)
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), Cell::from_json(v)))
                .collect()
        })
        .collect();
    Table::from_records(&rows)
}

/// `pd.DataFrame(data, columns=names)`: rows padded with missing values, longer rows refused.
fn from_columns(defs: &[Value], data: &Value) -> Result<Table, String> {
    let mut names = Vec::with_capacity(defs.len());
    let mut hints = Vec::with_capacity(defs.len());
    for (i, d) in defs.iter().enumerate() {
        let (name, hint) = match d {
            Value::String(s) => (s.clone(), ""),
            Value::Object(o) => match o.get("name") {
                Some(Value::String(s)) => (
                    s.clone(),
                    o.get("data_type").and_then(Value::as_str).unwrap_or(""),
                ),
                _ => return Err(format!("column {i} of the dataframe has no name")),
            },
            _ => {
                return Err(format!(
                    "column {i} of the dataframe is not a column definition"
                ));
            }
        };
        names.push(name);
        hints.push(hint);
    }
    let rows: &[Value] = match data {
        Value::Null => &[],
        Value::Array(rows) => rows,
        _ => return Err("the dataframe's data must be a list of rows".into()),
    };
    check_size(rows.len(), names.len())?;
    let mut cells: Vec<Vec<Cell>> = vec![Vec::with_capacity(rows.len()); names.len()];
    for row in rows {
        match row {
            Value::Array(vals) => {
                if vals.len() > names.len() {
                    let widest = rows
                        .iter()
                        .filter_map(Value::as_array)
                        .map(Vec::len)
                        .max()
                        .unwrap_or(vals.len());
                    return Err(format!(
                        "{} columns passed, passed data had {widest} columns",
                        names.len()
                    ));
                }
                for (c, col) in cells.iter_mut().enumerate() {
                    col.push(vals.get(c).map_or(Cell::Null, Cell::from_json));
                }
            }
            // A row given as an object is read by column name.
            Value::Object(o) => {
                for (c, col) in cells.iter_mut().enumerate() {
                    col.push(o.get(&names[c]).map_or(Cell::Null, Cell::from_json));
                }
            }
            _ => return Err("each row of the dataframe's data must be a list".into()),
        }
    }
    let cols = names
        .into_iter()
        .zip(cells)
        .zip(hints)
        .map(|((name, cells), hint)| hinted(name, cells, hint))
        .collect();
    Ok(Table {
        cols,
        index: default_index(rows.len()),
    })
}

/// A column typed by its values, except that a column declared `float` whose values are all
/// numbers or missing stays float (JSON cannot say NaN, and `2.0` may arrive as `2`).
fn hinted(name: String, cells: Vec<Cell>, hint: &str) -> Column {
    let numeric = cells
        .iter()
        .all(|c| matches!(c, Cell::Int(_) | Cell::Float(_) | Cell::Null));
    if hint == "float" && numeric {
        let mut cells = cells;
        to_float(&mut cells);
        return Column {
            name,
            dtype: Dtype::Float,
            cells,
        };
    }
    Column::new(name, cells)
}

/// Restores row labels written by `to_ref`, when they fit the table.
fn with_labels(mut table: Table, metadata: Option<&Value>) -> Table {
    let labels = metadata
        .and_then(|m| m.get("index"))
        .and_then(Value::as_array);
    if let Some(labels) = labels
        && labels.len() == table.nrows()
    {
        table.index = labels.iter().map(Cell::from_json).collect();
    }
    table
}
