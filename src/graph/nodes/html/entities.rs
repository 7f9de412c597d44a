//! Character references: named and numeric references as BeautifulSoup resolves them in text,
//! and Python's `html.unescape` for attribute values.

/// A named character reference: HTML 4's names (with HTML 5's values) plus `apos` and the
/// upper-case aliases. The flag marks the legacy names a browser also accepts without `;`.
pub(super) fn entity(name: &str) -> Option<(char, bool)> {
    ENTITIES
        .binary_search_by(|(n, _, _)| (*n).cmp(name))
        .ok()
        .map(|i| (ENTITIES[i].1, ENTITIES[i].2))
}

/// Windows-1252's characters for 0x80..=0x9F, which pages often meant by `&#150;` and the
/// like; its five holes stay the code point itself.
const CP1252: [char; 32] = [
    '\u{20ac}', '\u{81}', '\u{201a}', '\u{192}', '\u{201e}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{2c6}', '\u{2030}', '\u{160}', '\u{2039}', '\u{152}', '\u{8d}', '\u{17d}', '\u{8f}',
    '\u{90}', '\u{2018}', '\u{2019}', '\u{201c}', '\u{201d}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{2dc}', '\u{2122}', '\u{161}', '\u{203a}', '\u{153}', '\u{9d}', '\u{17e}', '\u{178}',
];

/// Digits as a code point, saturating far above Unicode's range (which is then invalid).
pub(super) fn code_point(digits: &str, radix: u32) -> u32 {
    digits.chars().fold(0u32, |n, c| {
        n.saturating_mul(radix)
            .saturating_add(c.to_digit(radix).unwrap_or(0))
    })
}

/// A numeric reference in text, as BeautifulSoup resolves it (the HTML standard's rules).
pub(super) fn text_char_ref(n: u32) -> char {
    match n {
        0x80..=0x9f => CP1252[(n - 0x80) as usize],
        _ => char::from_u32(n).filter(|_| n != 0).unwrap_or('\u{fffd}'),
    }
}

/// A numeric reference in an attribute, as Python's `html.unescape` resolves it: controls and
/// non-characters vanish, CR stays CR.
fn attr_char_ref(n: u32, out: &mut String) {
    let c = match n {
        0 => '\u{fffd}',
        0x0d => '\r',
        0x80..=0x9f => CP1252[(n - 0x80) as usize],
        0xd800..=0xdfff => '\u{fffd}',
        0x1..=0x8 | 0xb | 0xe..=0x1f | 0x7f | 0xfdd0..=0xfdef => return,
        _ if n & 0xfffe == 0xfffe && n <= 0x10ffff => return,
        _ => char::from_u32(n).unwrap_or('\u{fffd}'),
    };
    out.push(c);
}

/// Python's `html.unescape`, used on attribute values: `&#NN;`, `&#xHH;` and named references,
/// legacy names also without `;` and as the longest prefix of a longer word.
pub(super) fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let consumed = unescape_one(after, &mut out);
        if consumed == 0 {
            out.push('&');
        }
        rest = &after[consumed..];
    }
    out.push_str(rest);
    out
}

/// Resolves the reference at the start of `s` (just after a `&`) into `out`; returns how much
/// of `s` it used, 0 when there is none.
fn unescape_one(s: &str, out: &mut String) -> usize {
    let b = s.as_bytes();
    if b.first() == Some(&b'#') {
        let hex = matches!(b.get(1), Some(b'x' | b'X'));
        let start = if hex { 2 } else { 1 };
        let radix = if hex { 16 } else { 10 };
        let len = s[start..]
            .bytes()
            .take_while(|c| (*c as char).is_digit(radix))
            .count();
        if len == 0 {
            return 0;
        }
        attr_char_ref(code_point(&s[start..start + len], radix), out);
        let end = start + len;
        return end + usize::from(b.get(end) == Some(&b';'));
    }
    // `[^\t\n\f <&#;]{1,32};?`
    let name_len: usize = s
        .chars()
        .take_while(|c| !matches!(c, '\t' | '\n' | '\x0c' | ' ' | '<' | '&' | '#' | ';'))
        .take(32)
        .map(char::len_utf8)
        .sum();
    if name_len == 0 {
        return 0;
    }
    let name = &s[..name_len];
    let semi = b.get(name_len) == Some(&b';');
    let used = name_len + usize::from(semi);
    match entity(name) {
        Some((c, legacy)) if semi || legacy => {
            out.push(c);
            return used;
        }
        _ => {}
    }
    // The longest legacy name (two characters or more) that begins the word.
    let ends: Vec<usize> = name.char_indices().map(|(i, _)| i).skip(2).collect();
    for &end in ends.iter().rev() {
        if let Some((c, true)) = entity(&name[..end]) {
            out.push(c);
            out.push_str(&s[end..used]);
            return used;
        }
    }
    out.push('&');
    out.push_str(&s[..used]);
    used
}

/// Named references, sorted by name: (name, character, accepted without `;`).
const ENTITIES: &[(&str, char, bool)] = &[
    ("AElig", '\u{c6}', true),
    ("AMP", '\u{26}', true),
    ("Aacute", '\u{c1}', true),
    ("Acirc", '\u{c2}', true),
    ("Agrave", '\u{c0}', true),
    ("Alpha", '\u{391}', false),
    ("Aring", '\u{c5}', true),
    ("Atilde", '\u{c3}', true),
    ("Auml", '\u{c4}', true),
    ("Beta", '\u{392}', false),
    ("COPY", '\u{a9}', true),
    ("Ccedil", '\u{c7}', true),
    ("Chi", '\u{3a7}', false),
    ("Dagger", '\u{2021}', false),
    ("Delta", '\u{394}', false),
    ("ETH", '\u{d0}', true),
    ("Eacute", '\u{c9}', true),
    ("Ecirc", '\u{ca}', true),
    ("Egrave", '\u{c8}', true),
    ("Epsilon", '\u{395}', false),
    ("Eta", '\u{397}', false),
    ("Euml", '\u{cb}', true),
    ("GT", '\u{3e}', true),
    ("Gamma", '\u{393}', false),
    ("Iacute", '\u{cd}', true),
    ("Icirc", '\u{ce}', true),
    ("Igrave", '\u{cc}', true),
    ("Iota", '\u{399}', false),
    ("Iuml", '\u{cf}', true),
    ("Kappa", '\u{39a}', false),
    ("LT", '\u{3c}', true),
    ("Lambda", '\u{39b}', false),
    ("Mu", '\u{39c}', false),
    ("Ntilde", '\u{d1}', true),
    ("Nu", '\u{39d}', false),
    ("OElig", '\u{152}', false),
    ("Oacute", '\u{d3}', true),
    ("Ocirc", '\u{d4}', true),
    ("Ograve", '\u{d2}', true),
    ("Omega", '\u{3a9}', false),
    ("Omicron", '\u{39f}', false),
    ("Oslash", '\u{d8}', true),
    ("Otilde", '\u{d5}', true),
    ("Ouml", '\u{d6}', true),
    ("Phi", '\u{3a6}', false),
    ("Pi", '\u{3a0}', false),
    ("Prime", '\u{2033}', false),
    ("Psi", '\u{3a8}', false),
    ("QUOT", '\u{22}', true),
    ("REG", '\u{ae}', true),
    ("Rho", '\u{3a1}', false),
    ("Scaron", '\u{160}', false),
    ("Sigma", '\u{3a3}', false),
    ("THORN", '\u{de}', true),
    ("Tau", '\u{3a4}', false),
    ("Theta", '\u{398}', false),
    ("Uacute", '\u{da}', true),
    ("Ucirc", '\u{db}', true),
    ("Ugrave", '\u{d9}', true),
    ("Upsilon", '\u{3a5}', false),
    ("Uuml", '\u{dc}', true),
    ("Xi", '\u{39e}', false),
    ("Yacute", '\u{dd}', true),
    ("Yuml", '\u{178}', false),
    ("Zeta", '\u{396}', false),
    ("aacute", '\u{e1}', true),
    ("acirc", '\u{e2}', true),
    ("acute", '\u{b4}', true),
    ("aelig", '\u{e6}', true),
    ("agrave", '\u{e0}', true),
    ("alefsym", '\u{2135}', false),
    ("alpha", '\u{3b1}', false),
    ("amp", '\u{26}', true),
    ("and", '\u{2227}', false),
    ("ang", '\u{2220}', false),
    ("apos", '\u{27}', false),
    ("aring", '\u{e5}', true),
    ("asymp", '\u{2248}', false),
    ("atilde", '\u{e3}', true),
    ("auml", '\u{e4}', true),
    ("bdquo", '\u{201e}', false),
    ("beta", '\u{3b2}', false),
    ("brvbar", '\u{a6}', true),
    ("bull", '\u{2022}', false),
    ("cap", '\u{2229}', false),
    ("ccedil", '\u{e7}', true),
    ("cedil", '\u{b8}', true),
    ("cent", '\u{a2}', true),
    ("chi", '\u{3c7}', false),
    ("circ", '\u{2c6}', false),
    ("clubs", '\u{2663}', false),
    ("cong", '\u{2245}', false),
    ("copy", '\u{a9}', true),
    ("crarr", '\u{21b5}', false),
    ("cup", '\u{222a}', false),
    ("curren", '\u{a4}', true),
    ("dArr", '\u{21d3}', false),
    ("dagger", '\u{2020}', false),
    ("darr", '\u{2193}', false),
    ("deg", '\u{b0}', true),
    ("delta", '\u{3b4}', false),
    ("diams", '\u{2666}', false),
    ("divide", '\u{f7}', true),
    ("eacute", '\u{e9}', true),
    ("ecirc", '\u{ea}', true),
    ("egrave", '\u{e8}', true),
    ("empty", '\u{2205}', false),
    ("emsp", '\u{2003}', false),
    ("ensp", '\u{2002}', false),
    ("epsilon", '\u{3b5}', false),
    ("equiv", '\u{2261}', false),
    ("eta", '\u{3b7}', false),
    ("eth", '\u{f0}', true),
    ("euml", '\u{eb}', true),
    ("euro", '\u{20ac}', false),
    ("exist", '\u{2203}', false),
    ("fnof", '\u{192}', false),
    ("forall", '\u{2200}', false),
    ("frac12", '\u{bd}', true),
    ("frac14", '\u{bc}', true),
    ("frac34", '\u{be}', true),
    ("frasl", '\u{2044}', false),
    ("gamma", '\u{3b3}', false),
    ("ge", '\u{2265}', false),
    ("gt", '\u{3e}', true),
    ("hArr", '\u{21d4}', false),
    ("harr", '\u{2194}', false),
    ("hearts", '\u{2665}', false),
    ("hellip", '\u{2026}', false),
    ("iacute", '\u{ed}', true),
    ("icirc", '\u{ee}', true),
    ("iexcl", '\u{a1}', true),
    ("igrave", '\u{ec}', true),
    ("image", '\u{2111}', false),
    ("infin", '\u{221e}', false),
    ("int", '\u{222b}', false),
    ("iota", '\u{3b9}', false),
    ("iquest", '\u{bf}', true),
    ("isin", '\u{2208}', false),
    ("iuml", '\u{ef}', true),
    ("kappa", '\u{3ba}', false),
    ("lArr", '\u{21d0}', false),
    ("lambda", '\u{3bb}', false),
    ("lang", '\u{27e8}', false),
    ("laquo", '\u{ab}', true),
    ("larr", '\u{2190}', false),
    ("lceil", '\u{2308}', false),
    ("ldquo", '\u{201c}', false),
    ("le", '\u{2264}', false),
    ("lfloor", '\u{230a}', false),
    ("lowast", '\u{2217}', false),
    ("loz", '\u{25ca}', false),
    ("lrm", '\u{200e}', false),
    ("lsaquo", '\u{2039}', false),
    ("lsquo", '\u{2018}', false),
    ("lt", '\u{3c}', true),
    ("macr", '\u{af}', true),
    ("mdash", '\u{2014}', false),
    ("micro", '\u{b5}', true),
    ("middot", '\u{b7}', true),
    ("minus", '\u{2212}', false),
    ("mu", '\u{3bc}', false),
    ("nabla", '\u{2207}', false),
    ("nbsp", '\u{a0}', true),
    ("ndash", '\u{2013}', false),
    ("ne", '\u{2260}', false),
    ("ni", '\u{220b}', false),
    ("not", '\u{ac}', true),
    ("notin", '\u{2209}', false),
    ("nsub", '\u{2284}', false),
    ("ntilde", '\u{f1}', true),
    ("nu", '\u{3bd}', false),
    ("oacute", '\u{f3}', true),
    ("ocirc", '\u{f4}', true),
    ("oelig", '\u{153}', false),
    ("ograve", '\u{f2}', true),
    ("oline", '\u{203e}', false),
    ("omega", '\u{3c9}', false),
    ("omicron", '\u{3bf}', false),
    ("oplus", '\u{2295}', false),
    ("or", '\u{2228}', false),
    ("ordf", '\u{aa}', true),
    ("ordm", '\u{ba}', true),
    ("oslash", '\u{f8}', true),
    ("otilde", '\u{f5}', true),
    ("otimes", '\u{2297}', false),
    ("ouml", '\u{f6}', true),
    ("para", '\u{b6}', true),
    ("part", '\u{2202}', false),
    ("permil", '\u{2030}', false),
    ("perp", '\u{22a5}', false),
    ("phi", '\u{3c6}', false),
    ("pi", '\u{3c0}', false),
    ("piv", '\u{3d6}', false),
    ("plusmn", '\u{b1}', true),
    ("pound", '\u{a3}', true),
    ("prime", '\u{2032}', false),
    ("prod", '\u{220f}', false),
    ("prop", '\u{221d}', false),
    ("psi", '\u{3c8}', false),
    ("quot", '\u{22}', true),
    ("rArr", '\u{21d2}', false),
    ("radic", '\u{221a}', false),
    ("rang", '\u{27e9}', false),
    ("raquo", '\u{bb}', true),
    ("rarr", '\u{2192}', false),
    ("rceil", '\u{2309}', false),
    ("rdquo", '\u{201d}', false),
    ("real", '\u{211c}', false),
    ("reg", '\u{ae}', true),
    ("rfloor", '\u{230b}', false),
    ("rho", '\u{3c1}', false),
    ("rlm", '\u{200f}', false),
    ("rsaquo", '\u{203a}', false),
    ("rsquo", '\u{2019}', false),
    ("sbquo", '\u{201a}', false),
    ("scaron", '\u{161}', false),
    ("sdot", '\u{22c5}', false),
    ("sect", '\u{a7}', true),
    ("shy", '\u{ad}', true),
    ("sigma", '\u{3c3}', false),
    ("sigmaf", '\u{3c2}', false),
    ("sim", '\u{223c}', false),
    ("spades", '\u{2660}', false),
    ("sub", '\u{2282}', false),
    ("sube", '\u{2286}', false),
    ("sum", '\u{2211}', false),
    ("sup", '\u{2283}', false),
    ("sup1", '\u{b9}', true),
    ("sup2", '\u{b2}', true),
    ("sup3", '\u{b3}', true),
    ("supe", '\u{2287}', false),
    ("szlig", '\u{df}', true),
    ("tau", '\u{3c4}', false),
    ("there4", '\u{2234}', false),
    ("theta", '\u{3b8}', false),
    ("thetasym", '\u{3d1}', false),
    ("thinsp", '\u{2009}', false),
    ("thorn", '\u{fe}', true),
    ("tilde", '\u{2dc}', false),
    ("times", '\u{d7}', true),
    ("trade", '\u{2122}', false),
    ("uArr", '\u{21d1}', false),
    ("uacute", '\u{fa}', true),
    ("uarr", '\u{2191}', false),
    ("ucirc", '\u{fb}', true),
    ("ugrave", '\u{f9}', true),
    ("uml", '\u{a8}', true),
    ("upsih", '\u{3d2}', false),
    ("upsilon", '\u{3c5}', false),
    ("uuml", '\u{fc}', true),
    ("weierp", '\u{2118}', false),
    ("xi", '\u{3be}', false),
    ("yacute", '\u{fd}', true),
    ("yen", '\u{a5}', true),
    ("yuml", '\u{ff}', true),
    ("zeta", '\u{3b6}', false),
    ("zwj", '\u{200d}', false),
    ("zwnj", '\u{200c}', false),
];
