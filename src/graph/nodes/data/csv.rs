//! `ImportCSV`: CSV text read as pandas' `read_csv` reads it with its defaults: RFC 4180
//! quoting, blank lines skipped, the first line as header, and each column typed as integers,
//! floats, booleans or text, with pandas' markers for missing values.

use std::collections::HashMap;

use serde_json::Value;

use super::table::{Cell, Column, Dtype, MAX_CELLS, MAX_ROWS, Table, check_size, default_index};

/// The strings pandas reads as missing by default.
const NA_VALUES: &[&str] = &[
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
];

/// One record and the line it starts on (lines inside quoted fields not counted, as pandas'
/// tokenizer counts them in its messages).
struct Record {
    fields: Vec<String>,
    line: usize,
}

pub(crate) fn read_csv(text: &str) -> Result<Table, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let records = tokenize(text)?;
    let Some((header, data)) = records.split_first() else {
        return Err("EmptyDataError: No columns to parse from file".into());
    };
    let names = header_names(&header.fields)?;
    let n = names.len();
    // A first data row wider than the header makes its leading fields the row labels.
    let k = data.first().map_or(0, |r| r.fields.len().saturating_sub(n));
    let width = n + k;
    for r in data {
        if r.fields.len() > width {
            return Err(format!(
                "Error tokenizing data. C error: Expected {width} fields in line {}, saw {}",
                r.line,
                r.fields.len()
            ));
        }
    }
    check_size(data.len(), width)?;
    fn field(r: &Record, j: usize) -> Option<&str> {
        r.fields.get(j).map(String::as_str)
    }
    let mut columns: Vec<(Dtype, Vec<Cell>)> = (0..width)
        .map(|j| convert(data.iter().map(|r| field(r, j)).collect()))
        .collect();
    let data_cols = columns.split_off(k);
    let index = match k {
        0 => default_index(data.len()),
        1 => columns.pop().map(|(_, c)| c).unwrap_or_default(),
        _ => (0..data.len())
            .map(|r| {
                Cell::Other(Value::Array(
                    columns.iter().map(|c| c.1[r].to_json()).collect(),
                ))
            })
            .collect(),
    };
    let cols = names
        .into_iter()
        .zip(data_cols)
        .map(|(name, (dtype, cells))| Column { name, dtype, cells })
        .collect();
    Ok(Table { cols, index })
}

/// Splits the text into records. Quotes open a field only at its start; `""` inside quotes is
/// a quote; text after a closing quote joins the field. Lines of only spaces and tabs are
/// skipped, as pandas skips blank lines.
fn tokenize(text: &str) -> Result<Vec<Record>, String> {
    let mut records = Vec::new();
    let mut cells = 0usize;
    let mut line = 1usize;
    let mut chars = text.chars().peekable();
    while chars.peek().is_some() {
        let start = line;
        let mut fields = Vec::new();
        let mut field = String::new();
        let (mut at_start, mut quoted, mut blank) = (true, false, true);
        loop {
            let Some(c) = chars.next() else {
                if quoted {
                    return Err(format!(
                        "Error tokenizing data. C error: EOF inside string starting at row {}",
                        start - 1
                    ));
                }
                break;
            };
            if quoted {
                if c == '"' {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        field.push('"');
                    } else {
                        quoted = false;
                    }
                } else {
                    field.push(c);
                }
                continue;
            }
            match c {
                '"' if at_start => (quoted, at_start, blank) = (true, false, false),
                ',' => {
                    fields.push(std::mem::take(&mut field));
                    (at_start, blank) = (true, false);
                }
                '\r' | '\n' => {
                    if c == '\r' && chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    line += 1;
                    break;
                }
                c => {
                    field.push(c);
                    at_start = false;
                    blank &= c == ' ' || c == '\t';
                }
            }
        }
        if blank {
            continue;
        }
        fields.push(field);
        cells += fields.len();
        if records.len() > MAX_ROWS || cells > MAX_CELLS + MAX_ROWS {
            return Err(format!(
                "the table would exceed {MAX_ROWS} rows or {MAX_CELLS} cells"
            ));
        }
        records.push(Record {
            fields,
            line: start,
        });
    }
    Ok(records)
}

/// Header names as pandas makes them: blanks become `Unnamed: i`, repeats get `.1`, `.2`, ...
/// skipping suffixes the header already uses.
fn header_names(fields: &[String]) -> Result<Vec<String>, String> {
    let mut names: Vec<String> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            if f.is_empty() {
                format!("Unnamed: {i}")
            } else {
                f.clone()
            }
        })
        .collect();
    // How many times each name currently appears in the header, as renames happen.
    let mut present: HashMap<String, usize> = HashMap::new();
    for n in &names {
        *present.entry(n.clone()).or_insert(0) += 1;
    }
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut budget = MAX_CELLS;
    for name in names.iter_mut() {
        let old = name.clone();
        let mut col = old.clone();
        let mut cur = counts.get(&col).copied().unwrap_or(0);
        if cur > 0 {
            while cur > 0 {
                budget = budget
                    .checked_sub(1)
                    .ok_or("the header repeats too many column names")?;
                counts.insert(old.clone(), cur + 1);
                col = format!("{old}.{cur}");
                if present.get(&col).is_some_and(|&n| n > 0) {
                    cur += 1;
                } else {
                    cur = counts.get(&col).copied().unwrap_or(0);
                }
            }
            if let Some(n) = present.get_mut(&old) {
                *n -= 1;
            }
            *present.entry(col.clone()).or_insert(0) += 1;
            *name = col.clone();
        }
        *counts.entry(col).or_insert(0) += 1;
    }
    Ok(names)
}

/// Types one column from its fields (`None` where a row was short).
fn convert(fields: Vec<Option<&str>>) -> (Dtype, Vec<Cell>) {
    let is_na = |f: &Option<&str>| f.is_none_or(|s| NA_VALUES.contains(&s));
    if fields.is_empty() {
        return (Dtype::Object, Vec::new());
    }
    let present: Vec<&str> = fields
        .iter()
        .filter(|f| !is_na(f))
        .flatten()
        .copied()
        .collect();
    let any_na = present.len() < fields.len();
    let typed = |parse: &dyn Fn(&str) -> Option<Cell>| -> Option<Vec<Cell>> {
        fields
            .iter()
            .map(|f| {
                if is_na(f) {
                    Some(Cell::Null)
                } else {
                    f.and_then(parse)
                }
            })
            .collect()
    };
    if !present.is_empty()
        && present.iter().all(|s| parse_int(s).is_some())
        && let Some(cells) = typed(&|s| parse_int(s).map(Cell::Int))
    {
        if any_na {
            let cells = cells
                .into_iter()
                .map(|c| match c {
                    Cell::Int(i) => Cell::Float(i as f64),
                    other => other,
                })
                .collect();
            return (Dtype::Float, cells);
        }
        return (Dtype::Int, cells);
    }
    if present.iter().all(|s| parse_float(s).is_some())
        && let Some(cells) = typed(&|s| parse_float(s).map(Cell::Float))
    {
        return (Dtype::Float, cells);
    }
    if present.iter().all(|s| parse_bool(s).is_some())
        && let Some(cells) = typed(&|s| parse_bool(s).map(Cell::Bool))
    {
        return (if any_na { Dtype::Object } else { Dtype::Bool }, cells);
    }
    let cells = fields
        .iter()
        .map(|f| match f {
            Some(s) if !is_na(f) => Cell::Str((*s).to_string()),
            _ => Cell::Null,
        })
        .collect();
    (Dtype::Object, cells)
}

fn trim(s: &str) -> &str {
    s.trim_matches([' ', '\t'])
}

/// An integer as pandas reads one: optional sign and digits, spaces around allowed.
fn parse_int(s: &str) -> Option<i64> {
    let t = trim(s);
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

/// A float in decimal or exponent form, or an infinity; integers too large for 64 bits and
/// values that overflow stay text, as pandas leaves them.
fn parse_float(s: &str) -> Option<f64> {
    let t = trim(s);
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    if unsigned.eq_ignore_ascii_case("inf") || unsigned.eq_ignore_ascii_case("infinity") {
        return t.parse().ok();
    }
    let plain = !unsigned.is_empty()
        && unsigned
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if !plain {
        return None;
    }
    if unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return parse_int(t).map(|i| i as f64);
    }
    t.parse::<f64>().ok().filter(|f| f.is_finite())
}

fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}
