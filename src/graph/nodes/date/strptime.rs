//! `strptime` for NodeTool's formats: Python's `_strptime` patterns, matched as its regex
//! matches them, with Python's errors.

use super::datetime::{Dt, MONTHS, Zone, make, ordinal};
use super::delta::offset_zone;
use super::pytext::{clip, echo, is_py_space, py_decimal, repr};

/// A piece of a compiled format: a literal, a run of white space (`\s+`) or a directive.
#[derive(Clone, Copy)]
enum Pat {
    Lit(char),
    Space,
    Dir(char),
}

fn compile(fmt: &str) -> Vec<Pat> {
    let mut out = Vec::new();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '%' {
            if let Some(d) = chars.next() {
                out.push(Pat::Dir(d));
            }
        } else if is_py_space(c) {
            while chars.peek().is_some_and(|c| is_py_space(*c)) {
                chars.next();
            }
            out.push(Pat::Space);
        } else {
            out.push(Pat::Lit(c));
        }
    }
    out
}

/// A character class in a directive's pattern.
#[derive(Clone, Copy)]
enum Cls {
    Ch(char),
    Range(char, char),
    Digit,
}

use Cls::{Ch, Digit, Range};

// Python's `_strptime` patterns, alternatives in the order its regex tries them.
const ALT_D: &[&[Cls]] = &[
    &[Ch('3'), Range('0', '1')],
    &[Range('1', '2'), Digit],
    &[Ch('0'), Range('1', '9')],
    &[Range('1', '9')],
    &[Ch(' '), Range('1', '9')],
];
const ALT_M: &[&[Cls]] = &[
    &[Ch('1'), Range('0', '2')],
    &[Ch('0'), Range('1', '9')],
    &[Range('1', '9')],
];
const ALT_Y: &[&[Cls]] = &[&[Digit, Digit, Digit, Digit]];
const ALT_HOUR: &[&[Cls]] = &[
    &[Ch('2'), Range('0', '3')],
    &[Range('0', '1'), Digit],
    &[Digit],
];
const ALT_MIN: &[&[Cls]] = &[&[Range('0', '5'), Digit], &[Digit]];
const ALT_SEC: &[&[Cls]] = &[
    &[Ch('6'), Range('0', '1')],
    &[Range('0', '5'), Digit],
    &[Digit],
];

fn is_digit(c: char) -> bool {
    py_decimal(c).is_some()
}

fn cls_matches(cls: Cls, c: char) -> bool {
    match cls {
        Ch(x) => c == x,
        Range(a, b) => (a..=b).contains(&c),
        Digit => is_digit(c),
    }
}

/// The regex's case-insensitive match of one month-name letter: ASCII case, plus the two
/// non-ASCII letters Python's `re` folds onto `i` and `s`.
fn letter_matches(want: char, c: char) -> bool {
    c.to_ascii_lowercase() == want
        || (want == 'i' && matches!(c, '\u{130}' | '\u{131}'))
        || (want == 's' && c == '\u{17f}')
}

struct Matcher<'a> {
    s: &'a [char],
    pats: &'a [Pat],
}

impl Matcher<'_> {
    fn at(&self, i: usize) -> Option<char> {
        self.s.get(i).copied()
    }

    fn alts(&self, alts: &[&[Cls]], pos: usize) -> Vec<usize> {
        alts.iter()
            .filter(|alt| {
                alt.iter()
                    .enumerate()
                    .all(|(k, cls)| self.at(pos + k).is_some_and(|c| cls_matches(*cls, c)))
            })
            .map(|alt| pos + alt.len())
            .collect()
    }

    fn month_name(&self, pos: usize) -> Vec<usize> {
        MONTHS
            .iter()
            .filter(|name| {
                name.chars().enumerate().all(|(k, want)| {
                    self.at(pos + k)
                        .is_some_and(|c| letter_matches(want.to_ascii_lowercase(), c))
                })
            })
            .map(|name| pos + name.len())
            .collect()
    }

    /// `:?` (greedy): after a colon first, then without.
    fn colon(&self, pos: usize) -> Vec<usize> {
        if self.at(pos) == Some(':') {
            vec![pos + 1, pos]
        } else {
            vec![pos]
        }
    }

    fn two(&self, pos: usize, first: Cls) -> bool {
        self.at(pos).is_some_and(|c| cls_matches(first, c))
            && self.at(pos + 1).is_some_and(is_digit)
    }

    /// `[+-]\d\d:?[0-5]\d(:?[0-5]\d(\.\d{1,6})?)?|Z`, every way it can end, in the regex's
    /// order of preference.
    fn offset(&self, pos: usize) -> Vec<usize> {
        let mut out = Vec::new();
        if matches!(self.at(pos), Some('+' | '-')) && self.two(pos + 1, Digit) {
            for p1 in self.colon(pos + 3) {
                if !self.two(p1, Range('0', '5')) {
                    continue;
                }
                for p2 in self.colon(p1 + 2) {
                    if !self.two(p2, Range('0', '5')) {
                        continue;
                    }
                    let p3 = p2 + 2;
                    if self.at(p3) == Some('.') {
                        let n = (1..=6)
                            .take_while(|k| self.at(p3 + k).is_some_and(is_digit))
                            .count();
                        out.extend((1..=n).rev().map(|k| p3 + 1 + k));
                    }
                    out.push(p3);
                }
                out.push(p1 + 2);
            }
        }
        if self.at(pos) == Some('Z') {
            out.push(pos + 1);
        }
        out
    }

    fn candidates(&self, pat: Pat, pos: usize) -> Vec<usize> {
        match pat {
            Pat::Lit(l) => match self.at(pos) {
                Some(c) if c.eq_ignore_ascii_case(&l) => vec![pos + 1],
                _ => Vec::new(),
            },
            // Runs of white space are walked in `run`, without listing every length.
            Pat::Space => Vec::new(),
            Pat::Dir('d') => self.alts(ALT_D, pos),
            Pat::Dir('m') => self.alts(ALT_M, pos),
            Pat::Dir('Y') => self.alts(ALT_Y, pos),
            Pat::Dir('H') => self.alts(ALT_HOUR, pos),
            Pat::Dir('M') => self.alts(ALT_MIN, pos),
            Pat::Dir('S') => self.alts(ALT_SEC, pos),
            Pat::Dir('B') => self.month_name(pos),
            Pat::Dir('z') => self.offset(pos),
            Pat::Dir(_) => Vec::new(),
        }
    }

    /// Matches pieces `i..` from `pos` the way a backtracking regex does: the first way that
    /// gets through every piece wins. Recursion is one level per piece of a fixed format.
    fn run(&self, i: usize, pos: usize, caps: &mut Vec<(char, usize, usize)>) -> Option<usize> {
        let Some(&pat) = self.pats.get(i) else {
            return Some(pos);
        };
        if let Pat::Space = pat {
            // `\s+` is greedy: the longest run first, then one shorter at a time.
            let n = self.s.get(pos..).unwrap_or_default();
            let n = n.iter().take_while(|c| is_py_space(**c)).count();
            return (1..=n).rev().find_map(|k| self.run(i + 1, pos + k, caps));
        }
        for end in self.candidates(pat, pos) {
            if let Pat::Dir(d) = pat {
                caps.push((d, pos, end));
            }
            if let Some(done) = self.run(i + 1, end, caps) {
                return Some(done);
            }
            if let Pat::Dir(_) = pat {
                caps.pop();
            }
        }
        None
    }
}

/// Python's `int()` of a captured run of digits (an `%d` may start with a space).
fn py_int(chars: &[char]) -> Result<i64, String> {
    let digits: Vec<u8> = chars
        .iter()
        .skip_while(|c| **c == ' ')
        .map(|c| py_decimal(*c))
        .collect::<Option<_>>()
        .filter(|d: &Vec<u8>| !d.is_empty())
        .ok_or_else(|| {
            let text: String = chars.iter().collect();
            format!("invalid literal for int() with base 10: {}", repr(&text))
        })?;
    // The patterns let at most six digits through; saturating keeps even more harmless.
    Ok(digits.iter().fold(0i64, |n, d| {
        n.saturating_mul(10).saturating_add(i64::from(*d))
    }))
}

/// The offset `%z` read, as `_strptime` computes it (slicing by code point).
fn parse_offset(z: &[char]) -> Result<i128, String> {
    if z == ['Z'] {
        return Ok(0);
    }
    let original: String = z.iter().collect();
    let mut z = z.to_vec();
    if z.get(3) == Some(&':') {
        z.remove(3);
        if z.len() > 5 {
            if z.get(5) != Some(&':') {
                return Err(format!("Inconsistent use of : in {original}"));
            }
            z.remove(5);
        }
    }
    let slice = |a: usize, b: usize| &z[a.min(z.len())..b.min(z.len())];
    let hours = py_int(slice(1, 3))?;
    let minutes = py_int(slice(3, 5))?;
    let seconds = match slice(5, 7) {
        [] => 0,
        s => py_int(s)?,
    };
    let rest = slice(8, z.len());
    let mut frac: Vec<char> = rest.to_vec();
    frac.resize(frac.len().max(6), '0');
    let frac = py_int(&frac)?;
    let sign = if z.first() == Some(&'-') { -1 } else { 1 };
    Ok(sign * (i128::from((hours * 60 + minutes) * 60 + seconds) * 1_000_000 + i128::from(frac)))
}

/// `datetime.strptime(text, fmt)` for NodeTool's formats, with Python's errors.
pub(super) fn strptime(text: &str, fmt: &str, max_len: usize) -> Result<Dt, String> {
    let s: Vec<char> = text.chars().collect();
    let pats = compile(fmt);
    let m = Matcher { s: &s, pats: &pats };
    let mut caps = Vec::new();
    let Some(end) = m.run(0, 0, &mut caps) else {
        return Err(format!(
            "time data {} does not match format {}",
            echo(text, max_len),
            repr(fmt)
        ));
    };
    if end != s.len() {
        let rest: String = s[end..].iter().collect();
        let (rest, more) = clip(&rest, max_len);
        return Err(format!("unconverted data remains: {rest}{more}"));
    }
    let (mut year, mut month, mut day) = (1900, 1, 1);
    let (mut hour, mut minute, mut second) = (0, 0, 0);
    let mut offset = None;
    for (d, a, b) in caps {
        let got = &s[a..b];
        match d {
            'Y' => year = py_int(got)?,
            'm' => month = py_int(got)?,
            'd' => day = py_int(got)?,
            'H' => hour = py_int(got)?,
            'M' => minute = py_int(got)?,
            'S' => second = py_int(got)?,
            'B' => month = month_index(got)?,
            'z' => offset = Some(parse_offset(got)?),
            _ => {}
        }
    }
    // `_strptime` works out the day of the year, which checks the date...
    ordinal(year, month, day)?;
    // ...then the zone is built, then the datetime checks the time.
    let zone = match offset {
        Some(us) => offset_zone(us, None)?,
        None => Zone::UTC,
    };
    make(
        [year, month, day, hour, minute, second, 0].map(i128::from),
        zone,
    )
}

/// The month a `%B` match names; Python looks the lower-cased text up in its list of names,
/// which a folded non-ASCII letter (`ſ`, `ı`, `İ`) does not survive.
fn month_index(got: &[char]) -> Result<i64, String> {
    let lower: String = got.iter().collect::<String>().to_lowercase();
    MONTHS
        .iter()
        .position(|m| m.to_ascii_lowercase() == lower)
        .map(|i| i as i64 + 1)
        .ok_or_else(|| format!("{} is not in list", repr(&lower)))
}
