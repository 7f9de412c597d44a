//! Whole-table operations behind the nodes: building frames from Python-shaped values,
//! combining frames (pandas' `concat` and `merge`), sorting, de-duplicating and filling.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::group::median;
use super::table::{
    Cell, Column, Dtype, Key, Table, cast, check_size, default_index, index_repr, infer, py_cmp,
    try_sort,
};

/// `pd.DataFrame(value)` for what `json.loads` can give.
pub(crate) fn from_value(v: &Value) -> Result<Table, String> {
    match v {
        Value::Null => Ok(Table::default()),
        Value::Array(items) => from_list(items),
        Value::Object(map) => from_dict(map),
        _ => Err("DataFrame constructor not properly called!".into()),
    }
}

fn from_list(items: &[Value]) -> Result<Table, String> {
    match items.first() {
        None => Ok(Table::default()),
        // A list of dicts is a list of rows by column name.
        Some(Value::Object(_)) => {
            let mut rows = Vec::with_capacity(items.len());
            for item in items {
                let Value::Object(o) = item else {
                    let ty = Cell::from_json(item).py_type();
                    return Err(format!("'{ty}' object has no attribute 'keys'"));
                };
                rows.push(
                    o.iter()
                        .map(|(k, v)| (k.clone(), Cell::from_json(v)))
                        .collect(),
                );
            }
            Table::from_records(&rows)
        }
        // A list of lists is a list of rows by position; columns are named 0, 1, ...
        Some(Value::Array(_)) => {
            let mut width = 0;
            for item in items {
                match item {
                    Value::Array(row) => width = width.max(row.len()),
                    _ => return Err("each row must be a list when the first one is".into()),
                }
            }
            check_size(items.len(), width)?;
            let cols = (0..width)
                .map(|j| {
                    let cells = items
                        .iter()
                        .map(|row| row.get(j).map_or(Cell::Null, Cell::from_json))
                        .collect();
                    Column::new(j.to_string(), cells)
                })
                .collect();
            Ok(Table {
                cols,
                index: default_index(items.len()),
            })
        }
        // A list of plain values is one column named 0.
        Some(_) => {
            check_size(items.len(), 1)?;
            Ok(Table {
                cols: vec![Column::new(
                    "0".into(),
                    items.iter().map(Cell::from_json).collect(),
                )],
                index: default_index(items.len()),
            })
        }
    }
}

/// A dict of columns: lists (of one length, with single values repeated) or dicts keyed by
/// row label.
fn from_dict(map: &Map<String, Value>) -> Result<Table, String> {
    if map.is_empty() {
        return Ok(Table::default());
    }
    let dicts = map.values().filter(|v| v.is_object()).count();
    if dicts == map.len() {
        return from_nested(map);
    }
    if dicts > 0 {
        return Err("Mixing dicts with non-Series may lead to ambiguous ordering.".into());
    }
    let mut len: Option<usize> = None;
    for v in map.values() {
        if let Value::Array(a) = v {
            if len.is_some_and(|l| l != a.len()) {
                return Err("All arrays must be of the same length".into());
            }
            len = Some(a.len());
        }
    }
    let Some(len) = len else {
        return Err("If using all scalar values, you must pass an index".into());
    };
    check_size(len, map.len())?;
    let cols = map
        .iter()
        .map(|(k, v)| {
            let cells = match v {
                Value::Array(a) => a.iter().map(Cell::from_json).collect(),
                single => vec![Cell::from_json(single); len],
            };
            Column::new(k.clone(), cells)
        })
        .collect();
    Ok(Table {
        cols,
        index: default_index(len),
    })
}

/// `{"col": {"row": value}}`: row labels are the union of the inner keys.
fn from_nested(map: &Map<String, Value>) -> Result<Table, String> {
    let mut labels: Vec<String> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for inner in map.values().filter_map(Value::as_object) {
        for k in inner.keys() {
            if seen.insert(k) {
                labels.push(k.clone());
            }
        }
    }
    check_size(labels.len(), map.len())?;
    let cols = map
        .iter()
        .map(|(name, inner)| {
            let cells = labels
                .iter()
                .map(|l| inner.get(l).map_or(Cell::Null, Cell::from_json))
                .collect();
            Column::new(name.clone(), cells)
        })
        .collect();
    Ok(Table {
        cols,
        index: labels.into_iter().map(Cell::Str).collect(),
    })
}

/// `pd.concat([a, b], axis=1)`: side by side, rows matched by label (the union of both
/// frames' labels, `a`'s first). Frames without columns take no part.
pub(crate) fn concat_columns(a: Table, b: Table) -> Result<Table, String> {
    let frames: Vec<Table> = [a, b].into_iter().filter(|t| !t.cols.is_empty()).collect();
    let labels: Vec<Key> = match frames.as_slice() {
        [] => return Ok(Table::default()),
        [only] => return Ok(only.clone()),
        [first, second] if first.index == second.index => {
            return side_by_side(first.clone(), second.clone());
        }
        [first, second] => {
            let mut labels: Vec<Key> = first.index.iter().map(Cell::key).collect();
            let known: HashSet<Key> = labels.iter().cloned().collect();
            let mut added: HashSet<Key> = HashSet::new();
            for k in second.index.iter().map(Cell::key) {
                if !known.contains(&k) && added.insert(k.clone()) {
                    labels.push(k);
                }
            }
            labels
        }
        _ => return Err("concat takes two frames".into()),
    };
    check_size(labels.len(), frames.iter().map(|t| t.cols.len()).sum())?;
    // The union's label cells: the first frame's, then the second's new ones.
    let mut cell_of: HashMap<Key, Cell> = HashMap::new();
    for t in &frames {
        for c in &t.index {
            cell_of.entry(c.key()).or_insert_with(|| c.clone());
        }
    }
    let index: Vec<Cell> = labels
        .iter()
        .map(|k| cell_of.get(k).cloned().unwrap_or(Cell::Null))
        .collect();
    let mut cols = Vec::new();
    for t in &frames {
        if t.index == index {
            cols.extend(t.cols.iter().cloned());
            continue;
        }
        let mut pos: HashMap<Key, usize> = HashMap::new();
        for (r, c) in t.index.iter().enumerate() {
            if pos.insert(c.key(), r).is_some() {
                return Err("Reindexing only valid with uniquely valued Index objects".into());
            }
        }
        let rows: Vec<Option<usize>> = labels.iter().map(|k| pos.get(k).copied()).collect();
        cols.extend(t.cols.iter().map(|c| c.reindex(&rows)));
    }
    Ok(Table { cols, index })
}

fn side_by_side(mut a: Table, b: Table) -> Result<Table, String> {
    check_size(a.nrows(), a.cols.len() + b.cols.len())?;
    a.cols.extend(b.cols);
    Ok(a)
}

/// Columns in dataframe A (...) do not match columns in dataframe B (...).
fn columns_differ(a: &Table, b: &Table) -> Option<String> {
    let (na, nb) = (a.names(), b.names());
    (na != nb).then(|| {
        format!(
            "Columns in dataframe A ({}) do not match columns in dataframe B ({})",
            index_repr(&na),
            index_repr(&nb)
        )
    })
}

/// The dtype two stacked columns share, by pandas' rules for `concat`.
fn stacked(a: Dtype, b: Dtype) -> Dtype {
    match (a, b) {
        _ if a == b => a,
        // pandas' order matters here: float then bool stays float, bool then float does not.
        (Dtype::Int, Dtype::Float) | (Dtype::Float, Dtype::Int | Dtype::Bool) => Dtype::Float,
        (Dtype::Int, Dtype::Bool) | (Dtype::Bool, Dtype::Int) => Dtype::Int,
        _ => Dtype::Object,
    }
}

/// NodeTool's `Append`: `b`'s rows after `a`'s when the columns match; an empty frame gives
/// the other.
pub(crate) fn append_rows(a: Table, b: Table) -> Result<Table, String> {
    if a.is_empty() {
        return Ok(b);
    }
    if b.is_empty() {
        return Ok(a);
    }
    if let Some(e) = columns_differ(&a, &b) {
        return Err(e);
    }
    check_size(a.nrows() + b.nrows(), a.cols.len())?;
    let cols = a
        .cols
        .into_iter()
        .zip(b.cols)
        .map(|(x, y)| {
            // A column of only `None` takes no part in choosing a float result's type.
            let gaps = |c: &Column| c.dtype == Dtype::Object && c.cells.iter().all(Cell::is_null);
            let dtype = match (x.dtype, y.dtype) {
                (Dtype::Float, _) if gaps(&y) => Dtype::Float,
                (_, Dtype::Float) if gaps(&x) => Dtype::Float,
                (a, b) => stacked(a, b),
            };
            let mut cells = x.cells;
            cells.extend(y.cells);
            // numpy joins booleans and floats as floats before pandas makes them objects.
            let bool_float = matches!(
                (x.dtype, y.dtype),
                (Dtype::Bool, Dtype::Float) | (Dtype::Float, Dtype::Bool)
            );
            cast(&mut cells, if bool_float { Dtype::Float } else { dtype });
            Column {
                name: x.name,
                dtype,
                cells,
            }
        })
        .collect();
    let mut index = a.index;
    index.extend(b.index);
    Ok(Table { cols, index })
}

/// NodeTool's `Join`: `pd.merge(a, b, on=key)`, an inner join keeping `a`'s row order and,
/// within a row, `b`'s; the other columns (both frames have the same ones) get `_x` / `_y`.
pub(crate) fn join(a: &Table, b: &Table, key: &str) -> Result<Table, String> {
    if let Some(e) = columns_differ(a, b) {
        return Err(e);
    }
    let (ia, ib) = (a.unique_col(key)?, b.unique_col(key)?);
    let (ka, kb) = (&a.cols[ia], &b.cols[ib]);
    if !keys_compatible(ka, kb) {
        return Err(format!(
            "You are trying to merge on {} and {} columns for key '{key}'. If you wish to \
             proceed you should use pd.concat",
            ka.dtype.numpy(),
            kb.dtype.numpy()
        ));
    }
    let (left, right) = join_rows(ka, kb, a.cols.len() * 2)?;
    let total = left.len();
    let mut cols = Vec::with_capacity(a.cols.len() * 2 - 1);
    for (i, c) in a.cols.iter().enumerate() {
        let mut col = c.take(&left);
        if i != ia {
            col.name = format!("{}_x", c.name);
        }
        cols.push(col);
    }
    for (i, c) in b.cols.iter().enumerate() {
        if i != ib {
            let mut col = c.take(&right);
            col.name = format!("{}_y", c.name);
            cols.push(col);
        }
    }
    Ok(Table {
        cols,
        index: default_index(total),
    })
}

/// The matching row pairs of an inner join, in the order pandas gives them.
fn join_rows(ka: &Column, kb: &Column, width: usize) -> Result<(Vec<usize>, Vec<usize>), String> {
    // Codes by first appearance, left then right; missing keys share one code.
    let mut codes: HashMap<Key, usize> = HashMap::new();
    let mut code_of = |c: &Cell| {
        let n = codes.len();
        *codes.entry(c.key()).or_insert(n)
    };
    let lab_l: Vec<Option<usize>> = ka
        .cells
        .iter()
        .map(|c| (!c.is_null()).then(|| code_of(c)))
        .collect();
    let lab_r: Vec<Option<usize>> = kb
        .cells
        .iter()
        .map(|c| (!c.is_null()).then(|| code_of(c)))
        .collect();
    let na = codes.len();
    let groups = na + 1;
    let lab_l: Vec<usize> = lab_l.into_iter().map(|l| l.unwrap_or(na)).collect();
    let lab_r: Vec<usize> = lab_r.into_iter().map(|l| l.unwrap_or(na)).collect();
    let (ls, lc) = groupsort(&lab_l, groups);
    let (rs, rc) = groupsort(&lab_r, groups);
    let total = lc
        .iter()
        .zip(&rc)
        .fold(0usize, |t, (l, r)| t.saturating_add(l.saturating_mul(*r)));
    check_size(total, width)?;
    if sorted_keys(ka) && sorted_keys(kb) && (unique_keys(ka) || unique_keys(kb)) {
        // pandas joins sorted keys by merging them: left rows in order, each with its
        // matches in right order.
        let mut by_code: Vec<Vec<usize>> = vec![Vec::new(); groups];
        for (r, &l) in lab_r.iter().enumerate() {
            by_code[l].push(r);
        }
        let (mut left, mut right) = (Vec::with_capacity(total), Vec::with_capacity(total));
        for (i, &l) in lab_l.iter().enumerate() {
            for &m in &by_code[l] {
                left.push(i);
                right.push(m);
            }
        }
        return Ok((left, right));
    }
    // Otherwise pandas' `inner_join`: pairs by key code, then put back in left order (or,
    // when the pair count equals the left row count, by its shortcut that assumes one pair
    // per left row).
    let (mut li, mut ri) = (Vec::with_capacity(total), Vec::with_capacity(total));
    let (mut lpos, mut rpos) = (0, 0);
    for g in 0..groups {
        for j in 0..lc[g] {
            for k in 0..rc[g] {
                li.push(ls[lpos + j]);
                ri.push(rs[rpos + k]);
            }
        }
        lpos += lc[g];
        rpos += rc[g];
    }
    let rev: Vec<usize> = if ka.cells.len() == total {
        let mut rev = vec![0; total];
        for (i, &l) in ls.iter().enumerate() {
            rev[l] = i;
        }
        rev
    } else {
        groupsort(&li, ka.cells.len()).0
    };
    Ok((
        rev.iter().map(|&p| li[p]).collect(),
        rev.iter().map(|&p| ri[p]).collect(),
    ))
}

/// A stable counting sort of `labels` (each below `groups`): the order and the count of each.
fn groupsort(labels: &[usize], groups: usize) -> (Vec<usize>, Vec<usize>) {
    let mut counts = vec![0usize; groups];
    for &l in labels {
        counts[l] += 1;
    }
    let mut start = Vec::with_capacity(groups);
    let mut acc = 0;
    for c in &counts {
        start.push(acc);
        acc += c;
    }
    let mut order = vec![0; labels.len()];
    for (i, &l) in labels.iter().enumerate() {
        order[start[l]] = i;
        start[l] += 1;
    }
    (order, counts)
}

/// Whether a key column is in increasing order with no gaps (pandas' `is_monotonic_increasing`).
fn sorted_keys(c: &Column) -> bool {
    !c.cells.iter().any(Cell::is_null)
        && c.cells
            .windows(2)
            .all(|w| py_cmp(&w[0], &w[1]).is_ok_and(|o| o.is_le()))
}

fn unique_keys(c: &Column) -> bool {
    let mut seen = HashSet::new();
    c.cells.iter().all(|v| seen.insert(v.key()))
}

/// pandas' kind of a key column (`lib.infer_dtype` with missing values counted).
fn inferred(c: &Column) -> &'static str {
    match c.dtype {
        Dtype::Int => return "integer",
        Dtype::Float => return "floating",
        Dtype::Bool => return "boolean",
        Dtype::Object => {}
    }
    let all = |f: fn(&Cell) -> bool| c.cells.iter().all(f);
    if c.cells.is_empty() {
        "empty"
    } else if all(|v| matches!(v, Cell::Str(_))) {
        "string"
    } else if all(|v| matches!(v, Cell::Bool(_))) {
        "boolean"
    } else if all(|v| matches!(v, Cell::Int(_))) {
        "integer"
    } else if c.cells.iter().any(|v| matches!(v, Cell::Int(_))) {
        "mixed-integer"
    } else {
        "mixed"
    }
}

/// Whether pandas lets a numeric key merge with an object one: not when one side is
/// text-like and the other is not.
fn keys_compatible(a: &Column, b: &Column) -> bool {
    let numeric = |c: &Column| matches!(c.dtype, Dtype::Int | Dtype::Float);
    let object = |c: &Column| c.dtype == Dtype::Object;
    let mixed = (numeric(a) && object(b)) || (object(a) && numeric(b));
    if !mixed || a.cells.is_empty() || b.cells.is_empty() {
        return true;
    }
    let (ia, ib) = (inferred(a), inferred(b));
    let boolish = ["integer", "mixed-integer", "boolean", "empty"];
    let texty = ["string", "mixed", "empty"];
    if ia == ib || (boolish.contains(&ia) && boolish.contains(&ib)) {
        return true;
    }
    texty.contains(&ia) == texty.contains(&ib)
}

/// `df.sort_values(column)`: ascending, missing values last, ties in table order.
pub(crate) fn sort_by(table: &Table, column: &str) -> Result<Table, String> {
    let col = &table.cols[table.unique_col(column)?];
    let (mut present, missing): (Vec<usize>, Vec<usize>) =
        (0..table.nrows()).partition(|&r| !col.cells[r].is_null());
    try_sort(&mut present, &mut |x, y| {
        py_cmp(&col.cells[x], &col.cells[y])
    })?;
    present.extend(missing);
    Ok(table.take_rows(&present))
}

/// `df.drop_duplicates()`: the first of each set of equal rows.
pub(crate) fn drop_duplicates(table: &Table) -> Table {
    let mut seen: HashSet<Vec<Key>> = HashSet::new();
    let rows: Vec<usize> = (0..table.nrows())
        .filter(|&r| seen.insert(table.cols.iter().map(|c| c.cells[r].key()).collect()))
        .collect();
    table.take_rows(&rows)
}

/// `df.dropna()`: rows with no missing value.
pub(crate) fn drop_na(table: &Table) -> Table {
    let rows: Vec<usize> = (0..table.nrows())
        .filter(|&r| table.cols.iter().all(|c| !c.cells[r].is_null()))
        .collect();
    table.take_rows(&rows)
}

/// `df[name] = values`: replaces the column of that name or adds one at the end. A frame
/// with no rows takes its rows from the values.
pub(crate) fn add_column(mut table: Table, name: &str, values: &[Value]) -> Result<Table, String> {
    let n = table.nrows();
    if n == 0 && !values.is_empty() {
        check_size(values.len(), table.cols.len() + 1)?;
        let none: Vec<Option<usize>> = vec![None; values.len()];
        table.cols = table.cols.iter().map(|c| c.reindex(&none)).collect();
        table.index = default_index(values.len());
    } else if values.len() != n {
        return Err(format!(
            "Length of values ({}) does not match length of index ({n})",
            values.len()
        ));
    }
    check_size(table.nrows(), table.cols.len() + 1)?;
    let mut col = Column::new(
        name.to_string(),
        values.iter().map(Cell::from_json).collect(),
    );
    if values.is_empty() {
        col.dtype = Dtype::Float;
    }
    match table.find(name) {
        Some(i) => table.cols[i] = col,
        None => table.cols.push(col),
    }
    Ok(table)
}

/// NodeTool's `Rename`: `old:new` pairs separated by commas; unknown names are ignored.
pub(crate) fn rename(mut table: Table, map: &str) -> Table {
    let mut pairs: HashMap<String, String> = HashMap::new();
    for part in map.split(',') {
        if let Some((old, new)) = part.trim().split_once(':') {
            pairs.insert(old.trim().to_string(), new.trim().to_string());
        }
    }
    for c in &mut table.cols {
        if let Some(new) = pairs.get(&c.name) {
            c.name = new.clone();
        }
    }
    table
}

/// NodeTool's `FillNA` over the columns named (all when `columns` is empty).
pub(crate) fn fill_na(
    mut table: Table,
    value: &Value,
    method: &str,
    columns: &str,
) -> Result<Table, String> {
    let names: Vec<String> = if columns.is_empty() {
        table.names()
    } else {
        columns.split(',').map(|s| s.trim().to_string()).collect()
    };
    match method {
        "value" => {
            table.select(&names)?;
            let fill = |name: &str| -> Option<Cell> {
                match value {
                    Value::Object(per_column) => per_column.get(name).map(Cell::from_json),
                    v => Some(Cell::from_json(v)),
                }
            };
            match value {
                Value::Null => return Err("Must specify a fill 'value' or 'method'.".into()),
                Value::Array(_) => {
                    return Err(
                        "\"value\" parameter must be a scalar or dict, but you passed a \"list\""
                            .into(),
                    );
                }
                _ => {}
            }
            let chosen: HashSet<&String> = names.iter().collect();
            for c in table.cols.iter_mut().filter(|c| chosen.contains(&c.name)) {
                if let Some(v) = fill(&c.name) {
                    fill_value(c, &v);
                }
            }
        }
        "forward" | "backward" => {
            table.select(&names)?;
            let chosen: HashSet<&String> = names.iter().collect();
            for c in table.cols.iter_mut().filter(|c| chosen.contains(&c.name)) {
                propagate(&mut c.cells, method == "forward");
            }
        }
        "mean" | "median" => {
            for name in &names {
                let i = table
                    .find(name)
                    .ok_or_else(|| super::table::key_error(name, &table))?;
                let c = &mut table.cols[i];
                if matches!(c.dtype, Dtype::Int | Dtype::Float) {
                    let stat = if method == "mean" {
                        mean(&c.cells)
                    } else {
                        median_of(&c.cells)
                    };
                    if let Some(v) = stat {
                        fill_value(c, &Cell::Float(v));
                    }
                }
            }
        }
        other => return Err(format!("Unknown fill method: {other}")),
    }
    Ok(table)
}

/// Fills a column's missing values with `v`: a float column stays float for a number and
/// becomes object otherwise; an object column is re-typed afterwards, as pandas does.
fn fill_value(c: &mut Column, v: &Cell) {
    if v.is_null() || !c.cells.iter().any(Cell::is_null) {
        return;
    }
    for cell in c.cells.iter_mut().filter(|x| x.is_null()) {
        *cell = v.clone();
    }
    match c.dtype {
        Dtype::Float if matches!(v, Cell::Int(_) | Cell::Float(_)) => {
            cast(&mut c.cells, Dtype::Float)
        }
        Dtype::Float => c.dtype = Dtype::Object,
        _ => {
            let (dtype, cells) = infer(std::mem::take(&mut c.cells));
            c.dtype = dtype;
            c.cells = cells;
        }
    }
}

/// Carries the last present value forward (or the next one backward) over missing ones.
fn propagate(cells: &mut [Cell], forward: bool) {
    let mut last: Option<Cell> = None;
    let mut step = |cell: &mut Cell| {
        if cell.is_null() {
            if let Some(v) = &last {
                *cell = v.clone();
            }
        } else {
            last = Some(cell.clone());
        }
    };
    if forward {
        cells.iter_mut().for_each(&mut step);
    } else {
        cells.iter_mut().rev().for_each(&mut step);
    }
}

/// `Series.mean()`: numpy's pairwise sum over the values (missing ones as 0) by the count.
fn mean(cells: &[Cell]) -> Option<f64> {
    let vals: Vec<f64> = cells.iter().map(|c| c.num().unwrap_or(0.0)).collect();
    let count = cells.iter().filter(|c| !c.is_null()).count();
    (count > 0).then(|| pairwise_sum(&vals) / count as f64)
}

fn median_of(cells: &[Cell]) -> Option<f64> {
    let mut vals: Vec<f64> = cells.iter().filter_map(Cell::num).collect();
    median(&mut vals)
}

/// numpy's pairwise summation (blocks of 8 accumulators up to 128 values, halves above),
/// so a mean agrees with numpy's to the last bit.
fn pairwise_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        return a.iter().fold(0.0, |s, v| s + v);
    }
    if n <= 128 {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - n % 8 {
            for j in 0..8 {
                r[j] += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for v in &a[i..] {
            res += v;
        }
        return res;
    }
    let half = n / 2 - (n / 2) % 8;
    pairwise_sum(&a[..half]) + pairwise_sum(&a[half..])
}
