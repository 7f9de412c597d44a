//! `Aggregate` and `Pivot`: pandas' group-by reductions. Groups leave out rows whose key is
//! missing and come out sorted by key (in order of appearance when keys of different kinds
//! cannot be ordered); sums and means use the compensated summation pandas uses, variances its
//! running (Welford) form, so results match to the last digit.

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap, HashSet};

use serde_json::Value;

use super::table::{
    Cell, Column, Dtype, Key, MAX_ROWS, Table, cast, check_size, default_index, infer, py_cmp,
    try_sort,
};
use crate::graph::value::too_long;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum How {
    Sum,
    Mean,
    Count,
    Min,
    Max,
    Std,
    Var,
    Median,
    First,
    Last,
}

impl How {
    pub(crate) fn parse(s: &str) -> Option<How> {
        Some(match s {
            "sum" => How::Sum,
            "mean" => How::Mean,
            "count" => How::Count,
            "min" => How::Min,
            "max" => How::Max,
            "std" => How::Std,
            "var" => How::Var,
            "median" => How::Median,
            "first" => How::First,
            "last" => How::Last,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            How::Sum => "sum",
            How::Mean => "mean",
            How::Count => "count",
            How::Min => "min",
            How::Max => "max",
            How::Std => "std",
            How::Var => "var",
            How::Median => "median",
            How::First => "first",
            How::Last => "last",
        }
    }

    /// The dtype of this reduction over a column of `input`.
    fn dtype(self, input: Dtype) -> Dtype {
        match (self, input) {
            (How::Count, _) => Dtype::Int,
            (How::Std, _) => Dtype::Float,
            // pandas reduces object columns value by value and keeps the object dtype.
            (_, Dtype::Object) => Dtype::Object,
            (How::Mean | How::Median | How::Var, _) => Dtype::Float,
            (How::Sum, Dtype::Int | Dtype::Bool) => Dtype::Int,
            (_, d) => d,
        }
    }
}

/// A key column's distinct present values in pandas' order, each as it first occurs in the
/// column (so `1` and `True`, one key, show as whichever came first), with each key's rank.
struct Levels {
    rank: HashMap<Key, usize>,
    values: Vec<Cell>,
}

fn levels(col: &Column) -> Result<Levels, String> {
    let mut firsts: Vec<Cell> = Vec::new();
    let mut seen: HashSet<Key> = HashSet::new();
    for c in &col.cells {
        if matches!(c, Cell::Other(Value::Array(_) | Value::Object(_))) {
            return Err(format!("unhashable type: '{}'", c.py_type()));
        }
        if !c.is_null() && seen.insert(c.key()) {
            firsts.push(c.clone());
        }
    }
    let values: Vec<Cell> = safe_sort(&firsts)
        .into_iter()
        .map(|i| firsts[i].clone())
        .collect();
    let rank = values
        .iter()
        .enumerate()
        .map(|(i, c)| (c.key(), i))
        .collect();
    Ok(Levels { rank, values })
}

/// pandas' `safe_sort` of distinct values: a plain sort, else numbers before text when the
/// two are mixed, else the order they came in.
fn safe_sort(cells: &[Cell]) -> Vec<usize> {
    let mut cmp = |a: usize, b: usize| py_cmp(&cells[a], &cells[b]);
    let mut all: Vec<usize> = (0..cells.len()).collect();
    if try_sort(&mut all, &mut cmp).is_ok() {
        return all;
    }
    let (mut text, mut other): (Vec<usize>, Vec<usize>) =
        (0..cells.len()).partition(|&i| matches!(cells[i], Cell::Str(_)));
    if try_sort(&mut other, &mut cmp).is_ok() && try_sort(&mut text, &mut cmp).is_ok() {
        other.extend(text);
        other
    } else {
        (0..cells.len()).collect()
    }
}

/// One group: the rank of its value in each key column, and its rows in table order.
struct Group {
    ranks: Vec<usize>,
    rows: Vec<usize>,
}

/// Rows grouped by the key columns (rows missing a key left out), in key order.
fn groups(keys: &[&Column], nrows: usize) -> Result<(Vec<Group>, Vec<Levels>), String> {
    let levels: Vec<Levels> = keys.iter().map(|k| levels(k)).collect::<Result<_, _>>()?;
    let mut ids: HashMap<Vec<usize>, usize> = HashMap::new();
    let mut out: Vec<Group> = Vec::new();
    for r in 0..nrows {
        if keys.iter().any(|k| k.cells[r].is_null()) {
            continue;
        }
        let ranks: Vec<usize> = keys
            .iter()
            .zip(&levels)
            .map(|(k, l)| l.rank.get(&k.cells[r].key()).copied().unwrap_or(0))
            .collect();
        match ids.entry(ranks) {
            Entry::Occupied(e) => out[*e.get()].rows.push(r),
            Entry::Vacant(e) => {
                let ranks = e.key().clone();
                e.insert(out.len());
                out.push(Group {
                    ranks,
                    rows: vec![r],
                });
            }
        }
    }
    out.sort_by(|a, b| a.ranks.cmp(&b.ranks));
    Ok((out, levels))
}

/// Sums as pandas' group sums do: Kahan-compensated.
fn kahan(vals: &[f64]) -> f64 {
    let (mut sum, mut comp) = (0.0f64, 0.0f64);
    for v in vals {
        let y = v - comp;
        let t = sum + y;
        comp = (t - sum) - y;
        sum = t;
    }
    sum
}

/// The sample variance (ddof 1) by Welford's running update, as pandas computes it.
fn variance(vals: &[f64]) -> Option<f64> {
    if vals.len() < 2 {
        return None;
    }
    let (mut n, mut mean, mut ssqdm) = (0.0f64, 0.0f64, 0.0f64);
    for v in vals {
        n += 1.0;
        let old = mean;
        mean += (v - old) / n;
        ssqdm += (v - mean) * (v - old);
    }
    Some(ssqdm / (n - 1.0))
}

pub(crate) fn median(vals: &mut [f64]) -> Option<f64> {
    if vals.is_empty() {
        return None;
    }
    vals.sort_by(f64::total_cmp);
    let mid = vals.len() / 2;
    Some(if vals.len().is_multiple_of(2) {
        (vals[mid - 1] + vals[mid]) / 2.0
    } else {
        vals[mid]
    })
}

fn failed(how: How, dtype: Dtype) -> String {
    format!(
        "agg function failed [how->{},dtype->{}]",
        how.name(),
        dtype.numpy()
    )
}

/// The present values as numbers; text in an object column fails the way pandas does.
fn numbers(vals: &[&Cell], how: How, dtype: Dtype) -> Result<Vec<f64>, String> {
    vals.iter()
        .map(|c| match (c.num(), c) {
            (Some(n), _) => Ok(n),
            // `std` converts each value with `float()`, so numeric text passes.
            (None, Cell::Str(s)) if how == How::Std => s
                .trim()
                .parse::<f64>()
                .map_err(|_| format!("could not convert string to float: '{s}'")),
            _ => Err(failed(how, dtype)),
        })
        .collect()
}

/// Python's `a + b` for the values an object column can sum.
fn py_add(a: &Cell, b: &Cell, max_len: usize) -> Result<Cell, String> {
    match (a, b) {
        (Cell::Str(x), Cell::Str(y)) => {
            too_long(x.len() + y.len(), max_len)?;
            Ok(Cell::Str(format!("{x}{y}")))
        }
        (Cell::Other(Value::Array(x)), Cell::Other(Value::Array(y))) => {
            if x.len() + y.len() > MAX_ROWS {
                return Err(format!("the sum would exceed {MAX_ROWS} list items"));
            }
            Ok(Cell::Other(Value::Array(
                x.iter().chain(y).cloned().collect(),
            )))
        }
        _ => match (a, b) {
            (Cell::Int(_) | Cell::Bool(_), Cell::Int(_) | Cell::Bool(_)) => {
                let (x, y) = (int_of(a).unwrap_or(0), int_of(b).unwrap_or(0));
                x.checked_add(y)
                    .map(Cell::Int)
                    .ok_or_else(|| "the sum is too large for a 64-bit integer".to_string())
            }
            _ => match (a.num(), b.num()) {
                (Some(x), Some(y)) => Ok(Cell::float(x + y)),
                // Python words a failed `+` after its left operand's type.
                _ if matches!(a, Cell::Str(_) | Cell::Other(Value::Array(_))) => Err(format!(
                    "can only concatenate {0} (not \"{1}\") to {0}",
                    a.py_type(),
                    b.py_type()
                )),
                _ => Err(format!(
                    "unsupported operand type(s) for +: '{}' and '{}'",
                    a.py_type(),
                    b.py_type()
                )),
            },
        },
    }
}

fn int_of(c: &Cell) -> Option<i64> {
    match c {
        Cell::Int(i) => Some(*i),
        Cell::Bool(b) => Some(*b as i64),
        _ => None,
    }
}

/// One reduction of a column's rows.
fn reduce(col: &Column, rows: &[usize], how: How, max_len: usize) -> Result<Cell, String> {
    let vals: Vec<&Cell> = rows
        .iter()
        .map(|&r| &col.cells[r])
        .filter(|c| !c.is_null())
        .collect();
    let d = col.dtype;
    Ok(match how {
        How::Count => Cell::Int(vals.len() as i64),
        How::First => vals.first().map_or(Cell::Null, |c| (*c).clone()),
        How::Last => vals.last().map_or(Cell::Null, |c| (*c).clone()),
        How::Sum => match d {
            // numpy's int64 sums wrap around rather than fail.
            Dtype::Int | Dtype::Bool => Cell::Int(
                vals.iter()
                    .filter_map(|c| int_of(c))
                    .fold(0i64, i64::wrapping_add),
            ),
            Dtype::Float => Cell::Float(kahan(&numbers(&vals, how, d)?)),
            Dtype::Object => {
                let mut it = vals.iter();
                match it.next() {
                    None => Cell::Int(0),
                    Some(first) => {
                        let mut acc = (*first).clone();
                        for c in it {
                            acc = py_add(&acc, c, max_len)?;
                        }
                        acc
                    }
                }
            }
        },
        How::Mean => {
            let nums = numbers(&vals, how, d)?;
            if nums.is_empty() {
                Cell::Null
            } else {
                Cell::float(kahan(&nums) / nums.len() as f64)
            }
        }
        How::Median => median(&mut numbers(&vals, how, d)?).map_or(Cell::Null, Cell::float),
        How::Var => variance(&numbers(&vals, how, d)?).map_or(Cell::Null, Cell::float),
        How::Std => {
            variance(&numbers(&vals, how, d)?).map_or(Cell::Null, |v| Cell::float(v.sqrt()))
        }
        How::Min | How::Max => extreme(col, rows, how)?,
    })
}

/// `min` / `max`. In an object column pandas stands in +inf / -inf for missing values and
/// compares pairwise (keeping the earlier of equals), so text next to a gap fails.
fn extreme(col: &Column, rows: &[usize], how: How) -> Result<Cell, String> {
    let d = col.dtype;
    let present = rows.iter().any(|&r| !col.cells[r].is_null());
    if !present {
        return Ok(Cell::Null);
    }
    let gap = Cell::Float(if how == How::Min {
        f64::INFINITY
    } else {
        f64::NEG_INFINITY
    });
    let mut best: Option<&Cell> = None;
    for &r in rows {
        let c = &col.cells[r];
        let c = match c {
            Cell::Null if d == Dtype::Object => &gap,
            Cell::Null => continue,
            c => c,
        };
        best = Some(match best {
            None => c,
            Some(b) => {
                let o = py_cmp(b, c).map_err(|_| failed(how, d))?;
                let keep = if how == How::Min {
                    o.is_le()
                } else {
                    o.is_ge()
                };
                if keep { b } else { c }
            }
        });
    }
    Ok(best.cloned().unwrap_or(Cell::Null))
}

/// A key column of the result, typed as `reset_index` types the index level it comes from:
/// by all of the key's distinct values, or (`pruned`, as after a pivot drops unused values) by
/// the values left when those are objects; as the source column when there are none.
fn key_column(source: &Column, level: &Levels, mut cells: Vec<Cell>, pruned: bool) -> Column {
    let name = source.name.clone();
    if level.values.is_empty() {
        return Column {
            name,
            dtype: source.dtype,
            cells,
        };
    }
    match infer(level.values.clone()).0 {
        Dtype::Object if pruned => Column::new(name, cells),
        dtype => {
            cast(&mut cells, dtype);
            Column { name, dtype, cells }
        }
    }
}

/// Splits a comma-separated list of names, trimming each.
pub(crate) fn names(list: &str) -> Vec<String> {
    list.split(',').map(|s| s.trim().to_string()).collect()
}

/// `df.groupby(columns).<how>().reset_index()`.
pub(crate) fn aggregate(
    table: &Table,
    keys: &[String],
    how: How,
    max_len: usize,
) -> Result<Table, String> {
    let mut key_cols = Vec::with_capacity(keys.len());
    for k in keys {
        key_cols.push(table.col(k)?);
    }
    let mut key_set: HashSet<&String> = HashSet::new();
    for k in keys {
        if !key_set.insert(k) {
            return Err(format!("cannot insert {k}, already exists"));
        }
    }
    let (groups, levels) = groups(&key_cols, table.nrows())?;
    // Key columns are typed from their values, as pandas types the index they come from.
    let mut cols: Vec<Column> = key_cols
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let cells = groups
                .iter()
                .map(|g| levels[i].values[g.ranks[i]].clone())
                .collect();
            key_column(k, &levels[i], cells, false)
        })
        .collect();
    for col in table.cols.iter().filter(|c| !key_set.contains(&c.name)) {
        // pandas converts a whole object column to floats for `std` before grouping, so the
        // first unconvertible value in table order is the one it names.
        if how == How::Std && col.dtype == Dtype::Object {
            let present: Vec<&Cell> = col.cells.iter().filter(|c| !c.is_null()).collect();
            numbers(&present, how, col.dtype)?;
        }
        let cells = groups
            .iter()
            .map(|g| reduce(col, &g.rows, how, max_len))
            .collect::<Result<Vec<_>, _>>()?;
        cols.push(Column {
            name: col.name.clone(),
            dtype: how.dtype(col.dtype),
            cells,
        });
    }
    Ok(Table {
        cols,
        index: default_index(groups.len()),
    })
}

/// `df.pivot_table(index=, columns=, values=, aggfunc=).reset_index()` for one value column.
pub(crate) fn pivot(
    table: &Table,
    index: &str,
    columns: &str,
    values: &str,
    how: How,
    max_len: usize,
) -> Result<Table, String> {
    let val = table.col(values)?;
    let (row_key, col_key) = (table.col(index)?, table.col(columns)?);
    let dup = if index == columns || values == index {
        Some(index)
    } else if values == columns {
        Some(columns)
    } else {
        None
    };
    if let Some(d) = dup {
        return Err(format!("Grouper for '{d}' not 1-dimensional"));
    }
    // Aggregate each (row, column) pair, dropping pairs whose result is missing.
    let (groups, levels) = groups(&[row_key, col_key], table.nrows())?;
    let mut cells: HashMap<(usize, usize), Cell> = HashMap::new();
    for g in &groups {
        let v = reduce(val, &g.rows, how, max_len)?;
        if !v.is_null() {
            cells.insert((g.ranks[0], g.ranks[1]), v);
        }
    }
    let row_ranks: BTreeSet<usize> = cells.keys().map(|k| k.0).collect();
    let col_ranks: BTreeSet<usize> = cells.keys().map(|k| k.1).collect();
    check_size(row_ranks.len(), col_ranks.len() + 1)?;
    let full = cells.len() == row_ranks.len() * col_ranks.len();
    let dtype = if full {
        how.dtype(val.dtype)
    } else {
        how.dtype(val.dtype).with_missing()
    };
    let row_keys: Vec<Cell> = row_ranks
        .iter()
        .map(|&r| levels[0].values[r].clone())
        .collect();
    let mut cols = vec![key_column(row_key, &levels[0], row_keys, true)];
    // Column names are the column key's values as its index level types them (`1.0` when
    // the level is float).
    let col_dtype = infer(levels[1].values.clone()).0;
    cols[0].name = index.to_string();
    for &c in &col_ranks {
        let mut name_cell = [levels[1].values[c].clone()];
        cast(&mut name_cell, col_dtype);
        let name = name_cell[0].py_str();
        if name == index {
            return Err(format!("cannot insert {index}, already exists"));
        }
        let mut column: Vec<Cell> = row_ranks
            .iter()
            .map(|&r| cells.remove(&(r, c)).unwrap_or(Cell::Null))
            .collect();
        cast(&mut column, dtype);
        cols.push(Column {
            name,
            dtype,
            cells: column,
        });
    }
    Ok(Table {
        index: default_index(row_ranks.len()),
        cols,
    })
}
