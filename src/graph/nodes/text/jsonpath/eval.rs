//! Evaluation: matches with their contexts, in jsonpath_ng's order.

use serde_json::Value;

use super::doc::{Doc, NULL};
use super::parse::{Op, Path};
use crate::graph::nodes::text::output::{MAX_ITEMS, too_many};
use crate::graph::nodes::text::strings::py_slice_indices;
use crate::graph::value::too_long;

/// A value: a document node, or one character indexed out of a string.
#[derive(Clone, Copy)]
enum Item<'d> {
    Doc(&'d Doc),
    Char(char),
}

impl Item<'_> {
    fn to_value(self) -> Value {
        match self {
            Item::Doc(d) => d.to_value(),
            Item::Char(c) => Value::String(c.to_string()),
        }
    }

    fn size(self, cap: usize) -> usize {
        match self {
            Item::Doc(d) => d.size(cap),
            Item::Char(c) => c.len_utf8() + 2,
        }
    }
}

/// What a match holds: a value, or the one-item list jsonpath_ng wraps around a non-list
/// before slicing it.
#[derive(Clone, Copy)]
enum Val<'d> {
    One(Item<'d>),
    Wrapped(Item<'d>),
}

/// A match and the match it was found in (`DatumInContext`). `bare` is Python's None that
/// `parent` of the root gives, which is not a match at all.
#[derive(Clone, Copy)]
struct Datum<'d> {
    val: Val<'d>,
    parent: Option<usize>,
    bare: bool,
}

/// Matches are indices into one arena, so parents can be shared.
struct Eval<'d> {
    arena: Vec<Datum<'d>>,
}

const MAX_DATUMS: usize = 1_000_000;

impl<'d> Eval<'d> {
    fn add(&mut self, val: Val<'d>, parent: Option<usize>) -> Result<usize, String> {
        if self.arena.len() >= MAX_DATUMS {
            return Err(format!(
                "the JSONPath expression visits more than {MAX_DATUMS} values; narrow it"
            ));
        }
        self.arena.push(Datum {
            val,
            parent,
            bare: false,
        });
        Ok(self.arena.len() - 1)
    }

    fn find(&mut self, path: &Path, d: usize) -> Result<Vec<usize>, String> {
        let datum = self.arena[d];
        match path {
            Path::This => Ok(vec![d]),
            Path::Root => {
                let mut top = datum;
                while let Some(p) = top.parent {
                    top = self.arena[p];
                }
                Ok(vec![self.add(top.val, None)?])
            }
            Path::Parent => match datum.parent {
                Some(p) => Ok(vec![p]),
                None => {
                    let n = self.add(Val::One(Item::Doc(&NULL)), None)?;
                    self.arena[n].bare = true;
                    Ok(vec![n])
                }
            },
            Path::Fields(names) => self.fields(names, d),
            Path::Index(idx) => idx.iter().try_fold(Vec::new(), |mut out, &i| {
                if let Some(m) = self.index(d, i)? {
                    out.push(m);
                }
                Ok(out)
            }),
            Path::Slice(bounds) => self.slice(d, bounds),
            Path::Bin(op, l, r) => self.binary(*op, l, r, d),
        }
    }

    fn binary(&mut self, op: Op, l: &Path, r: &Path, d: usize) -> Result<Vec<usize>, String> {
        let mut out = Vec::new();
        match op {
            Op::Child => {
                for sub in self.find(l, d)? {
                    out.extend(self.find(r, sub)?);
                }
            }
            Op::Where | Op::WhereNot => {
                for sub in self.find(l, d)? {
                    if self.find(r, sub)?.is_empty() == (op == Op::WhereNot) {
                        out.push(sub);
                    }
                }
            }
            Op::Union => {
                out = self.find(l, d)?;
                out.extend(self.find(r, d)?);
            }
            Op::Descendants => {
                for sub in self.find(l, d)? {
                    self.descend(r, sub, &mut out, 0)?;
                }
            }
            Op::Intersect => {
                return Err("the JSONPath intersection operator '&' is not implemented".into());
            }
        }
        Ok(out)
    }

    /// `right` at `d`, then at every value below it, depth first.
    fn descend(
        &mut self,
        r: &Path,
        d: usize,
        out: &mut Vec<usize>,
        depth: usize,
    ) -> Result<(), String> {
        out.extend(self.find(r, d)?);
        if depth > 200 {
            return Err("the JSON document is nested too deeply".into());
        }
        let children: Vec<Item<'d>> = match self.arena[d].val {
            Val::Wrapped(v) => vec![v],
            Val::One(Item::Doc(Doc::List(items))) => items.iter().map(Item::Doc).collect(),
            Val::One(Item::Doc(Doc::Obj(pairs))) => {
                pairs.iter().map(|(_, v)| Item::Doc(v)).collect()
            }
            Val::One(_) => Vec::new(),
        };
        for child in children {
            let c = self.add(Val::One(child), Some(d))?;
            self.descend(r, c, out, depth + 1)?;
        }
        Ok(())
    }

    /// Only objects have fields; anything else has none.
    fn fields(&mut self, names: &[String], d: usize) -> Result<Vec<usize>, String> {
        let Val::One(Item::Doc(Doc::Obj(pairs))) = self.arena[d].val else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        if names.iter().any(|n| n == "*") {
            for (_, v) in pairs {
                out.push(self.add(Val::One(Item::Doc(v)), Some(d))?);
            }
        } else {
            for name in names {
                if let Some((_, v)) = pairs.iter().find(|(k, _)| k == name) {
                    out.push(self.add(Val::One(Item::Doc(v)), Some(d))?);
                }
            }
        }
        Ok(out)
    }

    /// `if datum.value and len(datum.value) > index: datum.value[index]`, with Python's
    /// errors for what cannot be indexed.
    fn index(&mut self, d: usize, i: i128) -> Result<Option<usize>, String> {
        let val = self.arena[d].val;
        let (truthy, len) = match val {
            Val::Wrapped(_) | Val::One(Item::Char(_)) => (true, 1),
            Val::One(Item::Doc(doc)) => match doc {
                Doc::Null => (false, 0),
                Doc::Bool(b) => (*b, 0),
                Doc::Num(n) => (n.as_f64().is_some_and(|f| f != 0.0), 0),
                Doc::Str(s) => (!s.is_empty(), s.chars().count()),
                Doc::List(items) => (!items.is_empty(), items.len()),
                Doc::Obj(pairs) => (!pairs.is_empty(), pairs.len()),
            },
        };
        if !truthy {
            return Ok(None);
        }
        let kind = match val {
            Val::One(Item::Doc(Doc::Bool(_))) => Some("bool"),
            Val::One(Item::Doc(Doc::Num(n))) if n.is_f64() => Some("float"),
            Val::One(Item::Doc(Doc::Num(_))) => Some("int"),
            _ => None,
        };
        if let Some(kind) = kind {
            return Err(format!("object of type '{kind}' has no len()"));
        }
        if len as i128 <= i {
            return Ok(None);
        }
        let at = if i < 0 { len as i128 + i } else { i };
        let pos = usize::try_from(at).ok();
        let found = match val {
            Val::Wrapped(item) => pos.filter(|p| *p == 0).map(|_| item),
            Val::One(Item::Char(c)) => pos.filter(|p| *p == 0).map(|_| Item::Char(c)),
            Val::One(Item::Doc(Doc::List(items))) => pos.and_then(|p| items.get(p)).map(Item::Doc),
            Val::One(Item::Doc(Doc::Str(s))) => match pos.and_then(|p| s.chars().nth(p)) {
                Some(c) => Some(Item::Char(c)),
                None => return Err("string index out of range".into()),
            },
            // A dict indexed by an int: JSON keys are strings, so Python's KeyError.
            _ => return Err(i.to_string()),
        };
        match found {
            Some(v) => Ok(Some(self.add(Val::One(v), Some(d))?)),
            None => Err(if matches!(val, Val::One(Item::Char(_))) {
                "string index out of range".into()
            } else {
                "list index out of range".into()
            }),
        }
    }

    fn slice(&mut self, d: usize, bounds: &[Option<i128>; 3]) -> Result<Vec<usize>, String> {
        let datum = self.arena[d];
        let (list, items): (usize, Vec<Item<'d>>) = match datum.val {
            Val::One(Item::Doc(Doc::Null)) => return Ok(Vec::new()),
            Val::One(Item::Doc(Doc::List(items))) => (d, items.iter().map(Item::Doc).collect()),
            Val::Wrapped(v) => (d, vec![v]),
            // jsonpath_ng slices a non-list as a one-item list around it.
            Val::One(v) => {
                let w = self.add(Val::Wrapped(v), datum.parent)?;
                (w, vec![v])
            }
        };
        let clamp = |b: Option<i128>, default: i64| {
            b.map_or(default, |v| {
                v.clamp(i64::MIN as i128, i64::MAX as i128) as i64
            })
        };
        let step = clamp(bounds[2], 1);
        let (start, stop) = if step > 0 {
            (clamp(bounds[0], 0), clamp(bounds[1], i64::MAX))
        } else {
            (clamp(bounds[0], i64::MAX), clamp(bounds[1], i64::MIN))
        };
        let mut out = Vec::new();
        for i in py_slice_indices(items.len(), start, stop, step)? {
            out.push(self.add(Val::One(items[i]), Some(list))?);
        }
        Ok(out)
    }
}

/// The values of every match, in jsonpath_ng's order.
pub fn find(path: &Path, doc: &Doc, max_len: usize) -> Result<Vec<Value>, String> {
    let mut e = Eval { arena: Vec::new() };
    let root = e.add(Val::One(Item::Doc(doc)), None)?;
    let found = e.find(path, root)?;
    let mut size = 0usize;
    let mut out = Vec::with_capacity(found.len().min(MAX_ITEMS + 1));
    for m in found {
        let datum = e.arena[m];
        if datum.bare {
            return Err("'NoneType' object has no attribute 'value'".into());
        }
        let (v, wrapped) = match datum.val {
            Val::One(v) => (v, false),
            Val::Wrapped(v) => (v, true),
        };
        size = size.saturating_add(v.size(max_len.saturating_sub(size)));
        too_long(size, max_len)?;
        too_many(out.len() + 1)?;
        let v = v.to_value();
        out.push(if wrapped { Value::Array(vec![v]) } else { v });
    }
    Ok(out)
}
