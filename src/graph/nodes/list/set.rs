//! Sets: CPython's set table, so that `list(set(...))` comes out in CPython's order.

use serde_json::Value;

use super::hash::py_hash;
use super::output::list_out;
use crate::graph::nodes::spec::{Emitted, Props};
use crate::graph::value::py_eq;

const LINEAR_PROBES: u64 = 9;
const PERTURB_SHIFT: u32 = 5;

#[derive(Clone, Copy)]
enum Slot<'v> {
    Empty,
    /// A removed entry: searches step over it.
    Dummy,
    Live(i64, &'v Value),
}

/// CPython's set: open addressing with nine linear probes, then perturbed jumps; grows at
/// 60% full. Iteration is slot order.
#[derive(Clone)]
struct PySet<'v> {
    table: Vec<Slot<'v>>,
    /// Live and dummy slots.
    fill: usize,
    used: usize,
}

/// The next probe start after `i`, as CPython's probe sequence goes.
fn next_probe(i: u64, perturb: &mut u64, mask: u64) -> u64 {
    *perturb >>= PERTURB_SHIFT;
    i.wrapping_mul(5).wrapping_add(1).wrapping_add(*perturb) & mask
}

fn growth(used: usize) -> usize {
    if used > 50_000 { used * 2 } else { used * 4 }
}

impl<'v> PySet<'v> {
    fn new() -> Self {
        PySet {
            table: vec![Slot::Empty; 8],
            fill: 0,
            used: 0,
        }
    }

    fn from_list(items: &'v [Value]) -> Result<Self, String> {
        let mut set = PySet::new();
        for item in items {
            set.add(item, py_hash(item)?);
        }
        Ok(set)
    }

    fn mask(&self) -> u64 {
        self.table.len() as u64 - 1
    }

    fn live(&self) -> impl Iterator<Item = (i64, &'v Value)> + '_ {
        self.table.iter().filter_map(|s| match s {
            Slot::Live(h, k) => Some((*h, *k)),
            _ => None,
        })
    }

    fn add(&mut self, key: &'v Value, hash: i64) {
        let mask = self.mask();
        let mut i = hash as u64 & mask;
        let mut perturb = hash as u64;
        let mut free = None;
        loop {
            let probes = if i + LINEAR_PROBES <= mask {
                LINEAR_PROBES
            } else {
                0
            };
            for j in i..=i + probes {
                match self.table[j as usize] {
                    Slot::Empty => {
                        self.used += 1;
                        if let Some(f) = free {
                            self.table[f] = Slot::Live(hash, key);
                            return;
                        }
                        self.table[j as usize] = Slot::Live(hash, key);
                        self.fill += 1;
                        if self.fill as u64 * 5 >= mask * 3 {
                            self.resize(growth(self.used));
                        }
                        return;
                    }
                    Slot::Live(h, k) if h == hash && py_eq(k, key) => return,
                    Slot::Dummy => free = Some(j as usize),
                    Slot::Live(..) => {}
                }
            }
            i = next_probe(i, &mut perturb, mask);
        }
    }

    /// The slot holding an item equal to `key`.
    fn find(&self, key: &Value, hash: i64) -> Option<usize> {
        let mask = self.mask();
        let mut i = hash as u64 & mask;
        let mut perturb = hash as u64;
        loop {
            let probes = if i + LINEAR_PROBES <= mask {
                LINEAR_PROBES
            } else {
                0
            };
            for j in i..=i + probes {
                match self.table[j as usize] {
                    Slot::Empty => return None,
                    Slot::Live(h, k) if h == hash && py_eq(k, key) => return Some(j as usize),
                    _ => {}
                }
            }
            i = next_probe(i, &mut perturb, mask);
        }
    }

    fn contains(&self, key: &Value, hash: i64) -> bool {
        self.find(key, hash).is_some()
    }

    fn discard(&mut self, key: &Value, hash: i64) {
        if let Some(j) = self.find(key, hash) {
            self.table[j] = Slot::Dummy;
            self.used -= 1;
        }
    }

    /// Places a key known to be absent into a table without dummies.
    fn insert_clean(table: &mut [Slot<'v>], key: &'v Value, hash: i64) {
        let mask = table.len() as u64 - 1;
        let mut i = hash as u64 & mask;
        let mut perturb = hash as u64;
        loop {
            let probes = if i + LINEAR_PROBES <= mask {
                LINEAR_PROBES
            } else {
                0
            };
            for j in i..=i + probes {
                if let Slot::Empty = table[j as usize] {
                    table[j as usize] = Slot::Live(hash, key);
                    return;
                }
            }
            i = next_probe(i, &mut perturb, mask);
        }
    }

    /// Rebuilds the table with the smallest power-of-two size above `min_used` (at least 8).
    fn resize(&mut self, min_used: usize) {
        let mut size = 8;
        while size <= min_used {
            size <<= 1;
        }
        if size == 8 && self.table.len() == 8 && self.fill == self.used {
            return;
        }
        let old = std::mem::replace(&mut self.table, vec![Slot::Empty; size]);
        for slot in old {
            if let Slot::Live(h, k) = slot {
                Self::insert_clean(&mut self.table, k, h);
            }
        }
        self.fill = self.used;
    }

    /// `self |= other`, by CPython's `set_merge` (which a copy also goes through).
    fn merge(&mut self, other: &PySet<'v>) {
        if other.used == 0 {
            return;
        }
        if (self.fill + other.used) as u64 * 5 >= self.mask() * 3 {
            self.resize((self.used + other.used) * 2);
        }
        if self.fill == 0 && self.mask() == other.mask() && other.fill == other.used {
            self.table.clone_from(&other.table);
        } else if self.fill == 0 {
            for (h, k) in other.live() {
                Self::insert_clean(&mut self.table, k, h);
            }
        } else {
            for (h, k) in other.live() {
                self.add(k, h);
            }
            return;
        }
        self.fill = other.used;
        self.used = other.used;
    }

    fn copy(&self) -> PySet<'v> {
        let mut out = PySet::new();
        out.merge(self);
        out
    }

    /// `a.intersection(b)`: walks the smaller set, keeping its items.
    fn intersection(&self, other: &PySet<'v>) -> PySet<'v> {
        let (big, small) = if other.used > self.used {
            (other, self)
        } else {
            (self, other)
        };
        let mut out = PySet::new();
        for (h, k) in small.live() {
            if big.contains(k, h) {
                out.add(k, h);
            }
        }
        out
    }

    fn union(&self, other: &PySet<'v>) -> PySet<'v> {
        let mut out = self.copy();
        out.merge(other);
        out
    }

    fn difference(&self, other: &PySet<'v>) -> PySet<'v> {
        if (self.used >> 2) > other.used {
            let mut out = self.copy();
            out.difference_update(other);
            return out;
        }
        let mut out = PySet::new();
        for (h, k) in self.live() {
            if !other.contains(k, h) {
                out.add(k, h);
            }
        }
        out
    }

    fn difference_update(&mut self, other: &PySet<'v>) {
        let narrowed;
        let other = if (other.used >> 3) > self.used {
            narrowed = self.intersection(other);
            &narrowed
        } else {
            other
        };
        let removals: Vec<_> = other.live().collect();
        for (h, k) in removals {
            self.discard(k, h);
        }
        if (self.fill - self.used) as u64 > self.mask() / 4 {
            self.resize(growth(self.used));
        }
    }

    fn to_list(&self) -> Vec<Value> {
        self.live().map(|(_, k)| k.clone()).collect()
    }
}

pub(crate) fn dedupe(p: &Props) -> Result<Emitted, String> {
    list_out(PySet::from_list(p.list("values"))?.to_list())
}

fn two_sets<'v>(p: &'v Props) -> Result<(PySet<'v>, PySet<'v>), String> {
    Ok((
        PySet::from_list(p.list("list1"))?,
        PySet::from_list(p.list("list2"))?,
    ))
}

pub(crate) fn intersection(p: &Props) -> Result<Emitted, String> {
    let (a, b) = two_sets(p)?;
    list_out(a.intersection(&b).to_list())
}

pub(crate) fn union(p: &Props) -> Result<Emitted, String> {
    let (a, b) = two_sets(p)?;
    list_out(a.union(&b).to_list())
}

pub(crate) fn difference(p: &Props) -> Result<Emitted, String> {
    let (a, b) = two_sets(p)?;
    list_out(a.difference(&b).to_list())
}
