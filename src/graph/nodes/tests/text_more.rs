//! Cases for the rest of `nodetool.text.*`, from NodeTool's node semantics. Expected values
//! are what NodeTool's Python nodes return for the same inputs.

use super::run;
use serde_json::{Value, json};

fn text(ty: &str, props: Value) -> Value {
    run(&format!("nodetool.text.{ty}"), props).unwrap_or_else(|e| panic!("{ty}: {e}"))
}

fn fails(ty: &str, props: Value) -> String {
    run(&format!("nodetool.text.{ty}"), props).expect_err("should fail")
}

// ----- substrings and chunks -----

#[test]
fn extract_slices_by_code_point() {
    assert_eq!(
        text("Extract", json!({"text": "héllo", "start": 1, "end": 3})),
        json!("él")
    );
    assert_eq!(
        text("Extract", json!({"text": "hello", "start": -3, "end": 100})),
        json!("llo")
    );
    // The default end is 0, so the default result is empty (as in NodeTool).
    assert_eq!(text("Extract", json!({"text": "hello"})), json!(""));
}

#[test]
fn chunk_windows_words_and_joins_with_spaces() {
    let t = "a b c d e";
    assert_eq!(
        text("Chunk", json!({"text": t, "length": 2})),
        json!(["a b", "c d", "e"])
    );
    assert_eq!(
        text("Chunk", json!({"text": t, "length": 3, "overlap": 1})),
        json!(["a b c", "c d e", "e"])
    );
    // The separator splits; the join is always a space.
    assert_eq!(
        text(
            "Chunk",
            json!({"text": "a-b-c", "length": 2, "separator": "-"})
        ),
        json!(["a b", "c"])
    );
    assert_eq!(text("Chunk", json!({"text": ""})), json!([""]));
    assert_eq!(
        text("Chunk", json!({"text": t, "length": 1, "overlap": 2})),
        json!([])
    );
    assert_eq!(
        fails("Chunk", json!({"text": t, "length": 2, "overlap": 2})),
        "range() arg 3 must not be zero"
    );
    assert_eq!(
        fails("Chunk", json!({"text": t, "separator": ""})),
        "empty separator"
    );
}

// ----- JSONPath -----

#[test]
fn extract_json_follows_jsonpath_ng() {
    let doc = r#"{"b": 1, "a": [1, 2, {"c": 3}], "s": "xyz"}"#;
    let all = |path: &str| {
        text(
            "ExtractJSON",
            json!({"text": doc, "json_path": path, "find_all": true}),
        )
    };
    // Document order, not the engine's sorted keys.
    assert_eq!(all("$.*"), json!([1, [1, 2, {"c": 3}], "xyz"]));
    assert_eq!(all("$.a[-1].c"), json!([3]));
    assert_eq!(all("$..c"), json!([3]));
    assert_eq!(all("$.a[1:]"), json!([2, {"c": 3}]));
    assert_eq!(all("$.a[*] where c"), json!([{"c": 3}]));
    assert_eq!(all("$.a.`parent`.b"), json!([1]));
    // `|` binds tighter than `.`: this is `$.a.(b | $).b`.
    assert_eq!(all("$.a.b | $.b"), json!([1]));
    // jsonpath_ng's quirks: a slice wraps a non-list in a list; an index reads a string.
    assert_eq!(all("$.s[*]"), json!(["xyz"]));
    assert_eq!(all("$.s[0]"), json!(["x"]));
    assert_eq!(all("$.x"), json!([]));
    // Without find_all, the first match.
    assert_eq!(text("ExtractJSON", json!({"text": doc})), json!(1));
    assert_eq!(
        text("ExtractJSON", json!({"text": doc, "json_path": "$.a[2]"})),
        json!({"c": 3})
    );
}

#[test]
fn extract_json_errors_read_as_python_raises_them() {
    let doc = r#"{"b": 1, "a": [1, 2]}"#;
    let err = |path: &str| fails("ExtractJSON", json!({"text": doc, "json_path": path}));
    assert_eq!(err("$.x"), "list index out of range");
    assert_eq!(err("$.a[-9]"), "list index out of range");
    assert_eq!(err("$.b[0]"), "object of type 'int' has no len()");
    assert_eq!(err("$."), "Parse error near the end of string!");
    assert_eq!(err("$.a]"), "Parse error at 1:3 near token ] (])");
    assert_eq!(
        err("$.'x"),
        "Unexpected EOF in string literal or identifier"
    );
    assert!(fails("ExtractJSON", json!({"text": "{"})).starts_with("invalid JSON"));
}

// ----- regular expressions -----

#[test]
fn extract_regex_returns_the_first_match_groups() {
    assert_eq!(
        text(
            "ExtractRegex",
            json!({"text": "tel 12-34", "regex": r"(\d+)-(\d+)"})
        ),
        json!(["12", "34"])
    );
    // A group that did not take part is None in Python.
    assert_eq!(
        text(
            "ExtractRegex",
            json!({"text": "tel 12-", "regex": r"(\d+)-(\d+)?"})
        ),
        json!(["12", null])
    );
    assert_eq!(
        text("ExtractRegex", json!({"text": "abc", "regex": "x(y)"})),
        json!([])
    );
    assert_eq!(
        text(
            "ExtractRegex",
            json!({"text": "A\nb", "regex": "a.(B)", "dotall": true, "ignorecase": true})
        ),
        json!(["b"])
    );
    assert_eq!(
        text(
            "ExtractRegex",
            json!({"text": "x\nfoo", "regex": "^(foo)$", "multiline": true})
        ),
        json!(["foo"])
    );
}

#[test]
fn find_all_regex_shapes_like_findall() {
    let f = |t: &str, r: &str| text("FindAllRegex", json!({"text": t, "regex": r}));
    assert_eq!(f("a1b22", r"\d+"), json!(["1", "22"]));
    assert_eq!(
        f("a@b.com, c@d.com", r"(\w+)@(\w+)\.com"),
        json!([["a", "b"], ["c", "d"]])
    );
    assert_eq!(f("aa", "(a)(x)?"), json!([["a", ""], ["a", ""]]));
    // \w and \d are Unicode-aware, as in Python.
    assert_eq!(f("héllo wörld ١٢", r"\w+"), json!(["héllo", "wörld", "١٢"]));
    assert_eq!(f("$12.50 $7.", r"(?<=\$)\d+(?=\.)"), json!(["12", "7"]));
    assert_eq!(f("aabbcd", r"(\w)\1"), json!(["a", "b"]));
    assert_eq!(
        text(
            "FindAllRegex",
            json!({"text": "STRAßE straße", "regex": "straße", "ignorecase": true})
        ),
        json!(["STRAßE", "straße"])
    );
}

#[test]
fn regex_match_picks_a_group_per_match() {
    let m = |props: Value| text("RegexMatch", props);
    assert_eq!(
        m(json!({"text": "a1 b2", "pattern": r"\w\d"})),
        json!(["a1", "b2"])
    );
    assert_eq!(
        m(json!({"text": "a1 b2", "pattern": r"(\w)(\d)", "group": 2})),
        json!(["1", "2"])
    );
    assert_eq!(
        m(json!({"text": "ab", "pattern": "(a)|b", "group": 1})),
        json!(["a", null])
    );
    assert_eq!(
        fails(
            "RegexMatch",
            json!({"text": "ab", "pattern": "a", "group": 1})
        ),
        "no such group"
    );
    // Without a match the group is never looked up.
    assert_eq!(
        m(json!({"text": "xy", "pattern": "a", "group": 5})),
        json!([])
    );
}

#[test]
fn regex_replace_follows_re_sub() {
    let r = |props: Value| text("RegexReplace", props);
    assert_eq!(
        r(json!({"text": "hello world", "pattern": r"(\w+) (\w+)", "replacement": r"\2 \1"})),
        json!("world hello")
    );
    // Empty matches next to a previous match count (Python 3.7+).
    assert_eq!(
        r(json!({"text": "abxd", "pattern": "x*", "replacement": "-"})),
        json!("-a-b--d-")
    );
    assert_eq!(
        r(json!({"text": "aaa", "pattern": "a", "replacement": "b", "count": 2})),
        json!("bba")
    );
    assert_eq!(
        r(json!({"text": "aaa", "pattern": "a", "replacement": "b", "count": -1})),
        json!("aaa")
    );
    assert_eq!(
        r(json!({"text": "ab", "pattern": "(?P<x>a)", "replacement": r"<\g<x>\g<0>\n>"})),
        json!("<aa\n>b")
    );
    assert_eq!(
        fails(
            "RegexReplace",
            json!({"text": "a", "pattern": "a", "replacement": r"\1"})
        ),
        "invalid group reference 1 at position 1"
    );
    assert_eq!(
        fails(
            "RegexReplace",
            json!({"text": "a", "pattern": "(a)", "replacement": r"\g<x>"})
        ),
        "unknown group name 'x'"
    );
    assert_eq!(
        fails(
            "RegexReplace",
            json!({"text": "a", "pattern": "a", "replacement": r"\x41"})
        ),
        "bad escape \\x at position 0"
    );
}

#[test]
fn regex_split_keeps_groups() {
    let s = |props: Value| text("RegexSplit", props);
    assert_eq!(
        s(json!({"text": "a,b;c", "pattern": "(,)|;"})),
        json!(["a", ",", "b", null, "c"])
    );
    assert_eq!(
        s(json!({"text": "a b  c", "pattern": r"\s+", "maxsplit": 1})),
        json!(["a", "b  c"])
    );
    assert_eq!(
        s(json!({"text": "axb", "pattern": "x*"})),
        json!(["", "a", "", "b", ""])
    );
    assert_eq!(
        s(json!({"text": "a,b", "pattern": ",", "maxsplit": -1})),
        json!(["a,b"])
    );
}

#[test]
fn regex_validate_anchors_at_the_start_only() {
    assert_eq!(
        text("RegexValidate", json!({"text": "12ab", "pattern": r"\d+"})),
        json!(true)
    );
    assert_eq!(
        text("RegexValidate", json!({"text": "ab12", "pattern": r"\d+"})),
        json!(false)
    );
    assert_eq!(
        text("RegexValidate", json!({"text": "", "pattern": ""})),
        json!(true)
    );
}

#[test]
fn invalid_patterns_fail_with_python_messages() {
    let bad = |pattern: &str| fails("RegexValidate", json!({"text": "a", "pattern": pattern}));
    assert_eq!(bad("*"), "nothing to repeat at position 0");
    assert_eq!(bad("a**"), "multiple repeat at position 2");
    assert_eq!(
        bad("(a"),
        "missing ), unterminated subpattern at position 0"
    );
    assert_eq!(bad("a)"), "unbalanced parenthesis at position 1");
    assert_eq!(bad("[z-a]"), "bad character range z-a at position 1");
    assert_eq!(bad(r"\q"), "bad escape \\q at position 0");
    assert_eq!(bad("a\\"), "bad escape (end of pattern) at position 1");
    assert_eq!(bad("(?<=a+)b"), "look-behind requires fixed-width pattern");
    assert_eq!(
        bad("(?i)a(?m)b"),
        "global flags not at the start of the expression at position 5"
    );
    assert_eq!(bad("a{99999999999}"), "the repetition number is too large");
    assert_eq!(
        bad("x\n("),
        "missing ), unterminated subpattern at position 2 (line 2, column 1)"
    );
}

#[test]
fn regex_features_python_has_and_rust_crates_lack() {
    let f = |t: &str, r: &str| text("FindAllRegex", json!({"text": t, "regex": r}));
    assert_eq!(f("aaab", "(?>a+)b"), json!(["aaab"]));
    assert_eq!(f("aaa", "a++a"), json!([]));
    assert_eq!(f("ab ac", r"a(?!b)\w"), json!(["ac"]));
    assert_eq!(f("ab b", r"(?<!a)b"), json!(["b"]));
    assert_eq!(f("<a> b>", r"(<)?\w(?(1)>)"), json!(["<", ""]));
    assert_eq!(f("abab", r"(?P<x>ab)(?P=x)"), json!(["ab"]));
    assert_eq!(f("A b", r"(?i:a) (?-i:B)"), json!([]));
    assert_eq!(f("x  # y", r"(?x) x \s+ \# # comment"), json!(["x  #"]));
}

#[test]
fn catastrophic_patterns_stop_with_a_message() {
    let t = "a".repeat(40) + "!";
    let e = fails("RegexValidate", json!({"text": t, "pattern": "(a|aa)+$"}));
    assert!(e.contains("simplify the pattern"), "{e}");
}

#[test]
fn filter_regex_string_passes_matches_only() {
    // The test runner shows "no output" as an empty object.
    let f = |props: Value| run("nodetool.text.FilterRegexString", props);
    assert_eq!(f(json!({"value": "abc", "pattern": "b"})), Ok(json!("abc")));
    assert_eq!(
        f(json!({"value": "abc", "pattern": "b", "full_match": true})),
        Ok(json!({}))
    );
    assert_eq!(
        f(json!({"value": "abc", "pattern": "a.c", "full_match": true})),
        Ok(json!("abc"))
    );
    // An invalid pattern or a value that is not text lets nothing through.
    assert_eq!(f(json!({"value": "abc", "pattern": "("})), Ok(json!({})));
    assert_eq!(f(json!({"value": 5, "pattern": ""})), Ok(json!({})));
}

// ----- comparison and case -----

#[test]
fn compare_orders_by_code_point() {
    let c = |a: &str, b: &str, extra: Value| {
        let mut props = json!({"text_a": a, "text_b": b});
        props
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        text("Compare", props)
    };
    assert_eq!(c("apple", "banana", json!({})), json!("less"));
    assert_eq!(c("b", "B", json!({})), json!("greater"));
    assert_eq!(
        c("b", "B", json!({"case_sensitive": false})),
        json!("equal")
    );
    assert_eq!(
        c(" x ", "x", json!({"trim_whitespace": true})),
        json!("equal")
    );
    assert_eq!(c("é", "z", json!({})), json!("greater"));
}

#[test]
fn equals_normalizes_like_compare() {
    let e = |props: Value| text("Equals", props);
    assert_eq!(e(json!({"text_a": "Ab", "text_b": "aB"})), json!(false));
    assert_eq!(
        e(json!({"text_a": "Ab", "text_b": "aB", "case_sensitive": false})),
        json!(true)
    );
    // Python strips its own whitespace set, which includes U+001C..U+001F.
    assert_eq!(
        e(json!({"text_a": "\u{1f}a\u{3000}", "text_b": "a", "trim_whitespace": true})),
        json!(true)
    );
}

#[test]
fn titlecase_follows_str_title() {
    assert_eq!(
        text(
            "ToTitlecase",
            json!({"text": "hello wORLD they're ǆ ß ﬁ ΟΔΟΣ"})
        ),
        json!("Hello World They'Re ǅ Ss Fi Οδος")
    );
    assert_eq!(text("ToTitlecase", json!({"text": ""})), json!(""));
}

#[test]
fn capitalize_titlecases_the_first_character_only() {
    assert_eq!(
        text("CapitalizeText", json!({"text": "ǆemal ΟΔΟΣ"})),
        json!("ǅemal οδος")
    );
    assert_eq!(text("CapitalizeText", json!({"text": "ßa"})), json!("Ssa"));
    assert_eq!(text("CapitalizeText", json!({"text": ""})), json!(""));
}

// ----- whitespace, punctuation, accents, slugs -----

#[test]
fn trim_whitespace_sides() {
    let t = " \t a \n";
    assert_eq!(text("TrimWhitespace", json!({"text": t})), json!("a"));
    assert_eq!(
        text("TrimWhitespace", json!({"text": t, "trim_end": false})),
        json!("a \n")
    );
    assert_eq!(
        text("TrimWhitespace", json!({"text": t, "trim_start": false})),
        json!(" \t a")
    );
    assert_eq!(
        text(
            "TrimWhitespace",
            json!({"text": t, "trim_start": false, "trim_end": false})
        ),
        json!(t)
    );
}

#[test]
fn collapse_whitespace_runs() {
    assert_eq!(
        text("CollapseWhitespace", json!({"text": " a \t b\n\nc "})),
        json!("a b c")
    );
    assert_eq!(
        text(
            "CollapseWhitespace",
            json!({"text": "a  b\n c", "preserve_newlines": true, "replacement": "_"})
        ),
        json!("a_b\n_c")
    );
    // The replacement is a Python template: `\n` is a newline.
    assert_eq!(
        text(
            "CollapseWhitespace",
            json!({"text": "a b", "replacement": r"\n"})
        ),
        json!("a\nb")
    );
}

#[test]
fn is_empty_trims_by_default() {
    assert_eq!(text("IsEmpty", json!({"text": " \n"})), json!(true));
    assert_eq!(
        text("IsEmpty", json!({"text": " ", "trim_whitespace": false})),
        json!(false)
    );
    assert_eq!(text("IsEmpty", json!({})), json!(true));
}

#[test]
fn remove_punctuation_translates_each_mark() {
    assert_eq!(
        text("RemovePunctuation", json!({"text": "a.b,c!d?"})),
        json!("abcd")
    );
    assert_eq!(
        text(
            "RemovePunctuation",
            json!({"text": "a-b", "replacement": " ", "punctuation": "-"})
        ),
        json!("a b")
    );
}

#[test]
fn strip_accents_decomposes_compatibly() {
    assert_eq!(
        text("StripAccents", json!({"text": "Crème Brûlée ﬁ ①"})),
        json!("Creme Brulee fi 1")
    );
    assert_eq!(
        text(
            "StripAccents",
            json!({"text": "naïve 日本", "preserve_non_ascii": false})
        ),
        json!("naive ")
    );
}

#[test]
fn slugify_like_nodetool() {
    let s = |props: Value| text("Slugify", props);
    assert_eq!(
        s(json!({"text": "  Héllo, Wörld! -- Ça va? "})),
        json!("hello-world-ca-va")
    );
    assert_eq!(
        s(json!({"text": "Hello World", "separator": "_", "lowercase": false})),
        json!("Hello_World")
    );
    assert_eq!(
        s(json!({"text": "日本語 テキスト", "allow_unicode": true})),
        json!("日本語-テキスト")
    );
    assert_eq!(s(json!({"text": "日本語"})), json!(""));
}

// ----- length, truncation, padding, search, wrapping -----

#[test]
fn has_length_compares_the_exact_length() {
    // NodeTool checks `exact_length is not None` first, so only it counts.
    assert_eq!(
        text("HasLength", json!({"text": "abc", "exact_length": 3})),
        json!(true)
    );
    assert_eq!(
        text(
            "HasLength",
            json!({"text": "abc", "min_length": 1, "max_length": 5})
        ),
        json!(false)
    );
    assert_eq!(text("HasLength", json!({"text": ""})), json!(true));
}

#[test]
fn truncate_text_with_and_without_ellipsis() {
    let t = |props: Value| text("TruncateText", props);
    assert_eq!(
        t(json!({"text": "hello world", "max_length": 5})),
        json!("hello")
    );
    assert_eq!(
        t(json!({"text": "hello world", "max_length": 8, "ellipsis": "..."})),
        json!("hello...")
    );
    assert_eq!(
        t(json!({"text": "hello", "max_length": 2, "ellipsis": "..."})),
        json!("he")
    );
    assert_eq!(
        t(json!({"text": "hi", "max_length": 0, "ellipsis": "…"})),
        json!("…")
    );
    assert_eq!(
        t(json!({"text": "héllo", "max_length": 10})),
        json!("héllo")
    );
}

#[test]
fn pad_text_directions() {
    let p = |props: Value| text("PadText", props);
    assert_eq!(p(json!({"text": "ab", "length": 5})), json!("ab   "));
    assert_eq!(
        p(json!({"text": "ab", "length": 5, "direction": "left", "pad_character": "*"})),
        json!("***ab")
    );
    assert_eq!(
        p(json!({"text": "ab", "length": 5, "direction": "both", "pad_character": "é"})),
        json!("éabéé")
    );
    assert_eq!(p(json!({"text": "abc", "length": 2})), json!("abc"));
    assert_eq!(
        fails(
            "PadText",
            json!({"text": "a", "length": 3, "pad_character": "ab"})
        ),
        "pad_character must be a single character"
    );
    assert!(fails("PadText", json!({"text": "a", "length": 9_000_000_000i64})).contains("exceed"));
}

#[test]
fn index_of_follows_str_find() {
    let i = |props: Value| text("IndexOf", props);
    // NodeTool's end_index defaults to 0, which searches nothing.
    assert_eq!(i(json!({"text": "abcabc", "substring": "c"})), json!(-1));
    assert_eq!(i(json!({"text": "abcabc", "substring": ""})), json!(0));
    assert_eq!(
        i(json!({"text": "abcabc", "substring": "c", "end_index": 6})),
        json!(2)
    );
    assert_eq!(
        i(json!({"text": "abcabc", "substring": "c", "end_index": 6, "search_from_end": true})),
        json!(5)
    );
    assert_eq!(
        i(json!({"text": "abcabc", "substring": "c", "start_index": -3, "end_index": 6})),
        json!(5)
    );
    assert_eq!(
        i(json!({"text": "aB", "substring": "b", "end_index": 2, "case_sensitive": false})),
        json!(1)
    );
    assert_eq!(
        i(json!({"text": "héllo", "substring": "l", "end_index": 5})),
        json!(2)
    );
}

#[test]
fn surround_with_skips_wrapped_text() {
    let s = |props: Value| text("SurroundWith", props);
    assert_eq!(
        s(json!({"text": "x", "prefix": "(", "suffix": ")"})),
        json!("(x)")
    );
    assert_eq!(
        s(json!({"text": "(x)", "prefix": "(", "suffix": ")"})),
        json!("(x)")
    );
    assert_eq!(
        s(json!({"text": "(x)", "prefix": "(", "suffix": ")", "skip_if_wrapped": false})),
        json!("((x))")
    );
}

// ----- stream filters -----

#[test]
fn filter_string_emits_only_what_passes() {
    let f = |props: Value| run("nodetool.text.FilterString", props);
    assert_eq!(
        f(json!({"value": "hello", "criteria": "ell"})),
        Ok(json!("hello"))
    );
    assert_eq!(
        f(json!({"value": "hello", "filter_type": "length_greater", "criteria": " 4 "})),
        Ok(json!("hello"))
    );
    assert_eq!(
        f(json!({"value": "héllo", "filter_type": "exact_length", "criteria": "5"})),
        Ok(json!("héllo"))
    );
    assert_eq!(
        f(json!({"value": "hello", "filter_type": "starts_with", "criteria": "he"})),
        Ok(json!("hello"))
    );
    assert_eq!(
        f(json!({"value": "hello", "filter_type": "ends_with", "criteria": "lo"})),
        Ok(json!("hello"))
    );
    // No match, a criteria that is not an integer, or a value that is not text: no output.
    assert_eq!(f(json!({"value": "hello", "criteria": "x"})), Ok(json!({})));
    assert_eq!(
        f(json!({"value": "hello", "filter_type": "length_less", "criteria": "five"})),
        Ok(json!({}))
    );
    assert_eq!(f(json!({"value": null})), Ok(json!({})));
    assert_eq!(
        fails(
            "FilterString",
            json!({"value": "a", "filter_type": "sideways"})
        ),
        "unsupported filter_type 'sideways'"
    );
}
