//! FilterDictByQuery: pandas' `DataFrame.query` on a one-row frame.
//!
//! Supported: column names (bare or in backticks, plus `index`), numbers, strings, True/False/
//! None, list and tuple literals, arithmetic (`+ - * / // % **`), comparisons (chained),
//! `in`/`not in`, `and`/`&`, `or`/`|`, `not`/`~`. As in pandas, a query that fails (an unknown
//! column, mismatched types, a result that is not a boolean) drops the row; function calls,
//! attributes and subscripts are refused as unsupported instead of dropping every row.

mod lexer;
mod parser;
mod values;

use serde_json::{Map, Value};

use lexer::tokenize;
use parser::QueryParser;
pub(super) use values::QueryFail;
use values::{Q, Qv};

pub(super) fn query(condition: &str, row: &Map<String, Value>) -> Q<bool> {
    let toks = tokenize(condition)?;
    let mut parser = QueryParser {
        toks,
        pos: 0,
        row,
        depth: 0,
    };
    let result = parser.or_expr()?;
    if parser.pos != parser.toks.len() {
        return Err(QueryFail::Skip);
    }
    // pandas indexes the frame with the result: a boolean selects the row, and a number
    // selects it by label, which only the one row's label, 0, matches.
    match (result.v, result.col) {
        (Qv::Bool(b), true) => Ok(b),
        (Qv::Int(0), true) => Ok(true),
        (Qv::Float(0.0), true) => Ok(true),
        _ => Err(QueryFail::Skip),
    }
}
