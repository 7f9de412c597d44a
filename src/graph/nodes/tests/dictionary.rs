//! Cases for `nodetool.dictionary.*`, from NodeTool's node semantics (YAML and JSON texts are
//! what PyYAML's `yaml.dump` and Python's `json.dumps` produce for the same input).

use serde_json::{Value, json};

use super::run;

/// What a stream filter emits for one item: the item, or nothing (the harness shows no outputs
/// as an empty object).
fn filtered(ty: &str, item: Value, props: Value) -> Option<Value> {
    let mut all = props;
    all["value"] = item;
    let out = run(&format!("nodetool.dictionary.{ty}"), all).expect("filter runs");
    (out != json!({})).then_some(out)
}

#[test]
fn get_value_update_remove() {
    let d = json!({"a": 1, "b": 2, "c": 3});
    assert_eq!(
        run(
            "nodetool.dictionary.GetValue",
            json!({"dictionary": d, "key": "a"})
        ),
        Ok(json!(1))
    );
    // The default default is Python's empty tuple, which travels as [].
    assert_eq!(
        run(
            "nodetool.dictionary.GetValue",
            json!({"dictionary": {}, "key": "a"})
        ),
        Ok(json!([]))
    );
    assert_eq!(
        run(
            "nodetool.dictionary.GetValue",
            json!({"dictionary": {"a": null}, "key": "a", "default": 5})
        ),
        Ok(json!(null))
    );
    assert_eq!(
        run(
            "nodetool.dictionary.Update",
            json!({"dictionary": d, "new_pairs": {"a": 10, "d": 4}})
        ),
        Ok(json!({"a": 10, "b": 2, "c": 3, "d": 4}))
    );
    assert_eq!(
        run(
            "nodetool.dictionary.Remove",
            json!({"dictionary": d, "key": "a"})
        ),
        Ok(json!({"b": 2, "c": 3}))
    );
    assert_eq!(
        run(
            "nodetool.dictionary.Remove",
            json!({"dictionary": d, "key": "z"})
        ),
        Ok(d.clone())
    );
    assert_eq!(
        run("nodetool.dictionary.GetValue", json!({"dictionary": [1]})),
        Err("property 'dictionary' must be an object, got list".into())
    );
}

#[test]
fn parse_json_needs_an_object() {
    assert_eq!(
        run(
            "nodetool.dictionary.ParseJSON",
            json!({"json_string": "{\"a\": 1, \"b\": [true, null]}"})
        ),
        Ok(json!({"a": 1, "b": [true, null]}))
    );
    assert_eq!(
        run(
            "nodetool.dictionary.ParseJSON",
            json!({"json_string": "[1, 2, 3]"})
        ),
        Err("Input JSON is not a dictionary".into())
    );
    assert_eq!(
        run(
            "nodetool.dictionary.ParseJSON",
            json!({"json_string": "{\"a\": 1, \"b\": 2, \"c\": 3"})
        ),
        Err("Expecting ',' delimiter: line 1 column 24 (char 23)".into())
    );
}

#[test]
fn zip_keys_are_python_dict_keys() {
    assert_eq!(
        run(
            "nodetool.dictionary.Zip",
            json!({"keys": ["a", "b", "c"], "values": [1, 2, 3]})
        ),
        Ok(json!({"a": 1, "b": 2, "c": 3}))
    );
    // The shorter list wins; 1, 1.0 and True are one key that keeps its first spelling.
    assert_eq!(
        run(
            "nodetool.dictionary.Zip",
            json!({"keys": [1, true, 1.0, 2.5, null, false], "values": ["a", "b", "c", "d", "e"]})
        ),
        Ok(json!({"1": "c", "2.5": "d", "null": "e"}))
    );
    assert_eq!(
        run(
            "nodetool.dictionary.Zip",
            json!({"keys": [[1]], "values": [1]})
        ),
        Err("unhashable type: 'list'".into())
    );
}

#[test]
fn combine_and_filter() {
    assert_eq!(
        run(
            "nodetool.dictionary.Combine",
            json!({"dict_a": {"a": 1, "b": 1}, "dict_b": {"b": 2, "c": 3}})
        ),
        Ok(json!({"a": 1, "b": 2, "c": 3}))
    );
    let d = json!({"name": "Bob", "age": 25, "city": "London"});
    assert_eq!(
        run(
            "nodetool.dictionary.Filter",
            json!({"dictionary": d, "keys": ["name", "city", "x"]})
        ),
        Ok(json!({"name": "Bob", "city": "London"}))
    );
    assert_eq!(
        run(
            "nodetool.dictionary.Filter",
            json!({"dictionary": d, "keys": [1]})
        ),
        Err("property 'keys' must hold strings, got integer".into())
    );
}

#[test]
fn reduce_dictionaries() {
    let rows =
        json!([{"id": 1, "value": "first"}, {"id": 1, "value": "second"}, {"id": 2, "value": "x"}]);
    let reduce = |policy: &str, value_field: &str| {
        run(
            "nodetool.dictionary.ReduceDictionaries",
            json!({"dictionaries": rows, "key_field": "id", "value_field": value_field,
                   "conflict_resolution": policy}),
        )
    };
    assert_eq!(
        reduce("first", "value"),
        Ok(json!({"1": "first", "2": "x"}))
    );
    assert_eq!(
        reduce("last", "value"),
        Ok(json!({"1": "second", "2": "x"}))
    );
    assert_eq!(
        reduce("error", "value"),
        Err("Duplicate key found: 1".into())
    );
    assert_eq!(
        reduce("first", ""),
        Ok(json!({"1": {"value": "first"}, "2": {"value": "x"}}))
    );
    assert_eq!(
        reduce("first", "missing"),
        Err("Value field 'missing' not found in dictionary".into())
    );
    assert_eq!(
        run(
            "nodetool.dictionary.ReduceDictionaries",
            json!({"dictionaries": [{"name": "A"}], "key_field": "id"})
        ),
        Err("Key field 'id' not found in dictionary".into())
    );
    assert_eq!(
        reduce("newest", "value"),
        Err("unsupported conflict_resolution 'newest'".into())
    );
}

#[test]
fn make_dictionary_from_dynamic_properties() {
    assert_eq!(
        run(
            "nodetool.dictionary.MakeDictionary",
            json!({"key1": "value1", "key2": 42})
        ),
        Ok(json!({"key1": "value1", "key2": 42}))
    );
    assert_eq!(
        run("nodetool.dictionary.MakeDictionary", json!({})),
        Ok(json!({}))
    );
}

#[test]
fn arg_max_picks_the_highest_score() {
    assert_eq!(
        run(
            "nodetool.dictionary.ArgMax",
            json!({"scores": {"cat": 0.7, "dog": 0.9, "bird": 0.3}})
        ),
        Ok(json!("dog"))
    );
    assert_eq!(
        run(
            "nodetool.dictionary.ArgMax",
            json!({"scores": {"a": -5, "b": -1, "c": "-10"}})
        ),
        Ok(json!("b"))
    );
    assert_eq!(
        run("nodetool.dictionary.ArgMax", json!({"scores": {}})),
        Err("Input dictionary cannot be empty".into())
    );
    assert_eq!(
        run("nodetool.dictionary.ArgMax", json!({"scores": {"a": "x"}})),
        Err("property 'scores' must hold numbers, got string".into())
    );
}

#[test]
fn filter_dict_by_value() {
    let f = |item: Value, kind: &str, criteria: &str| {
        filtered(
            "FilterDictByValue",
            item,
            json!({"key": "k", "filter_type": kind, "criteria": criteria}),
        )
        .is_some()
    };
    assert!(f(json!({"k": "Alice Smith"}), "starts_with", "Al"));
    assert!(!f(json!({"k": "Bob"}), "starts_with", "Al"));
    assert!(f(json!({"k": "report.pdf"}), "ends_with", ".pdf"));
    assert!(f(
        json!({"k": "Important meeting"}),
        "contains",
        "Important"
    ));
    // The value is compared as Python's str() of it.
    assert!(f(json!({"k": true}), "equals", "True"));
    assert!(f(json!({"k": [1, 2]}), "contains", "[1, 2]"));
    assert!(f(json!({"k": 2.0}), "type_is", "float"));
    assert!(f(json!({"k": null}), "type_is", "NoneType"));
    assert!(f(json!({"k": "héllo"}), "exact_length", " 5 "));
    assert!(f(json!({"k": {"a": 1}}), "length_less", "2"));
    // Numbers have no length, and a criterion that is not an integer passes items over.
    assert!(!f(json!({"k": 12345}), "length_greater", "1"));
    assert!(!f(json!({"k": "abc"}), "length_greater", "x"));
    // Missing keys and non-dict items are passed over, never an error.
    assert!(!f(json!({"other": "a"}), "contains", ""));
    assert!(!f(json!("not a dict"), "contains", ""));
    assert_eq!(
        run(
            "nodetool.dictionary.FilterDictByValue",
            json!({"filter_type": "regex"})
        ),
        Err("unsupported filter_type 'regex'".into())
    );
}

#[test]
fn filter_dict_by_range_and_number() {
    let range = |item: Value, inclusive: bool| {
        filtered(
            "FilterDictByRange",
            item,
            json!({"key": "score", "min_value": 10, "max_value": 40, "inclusive": inclusive}),
        )
        .is_some()
    };
    assert!(range(json!({"score": 10}), true));
    assert!(!range(json!({"score": 10}), false));
    assert!(range(json!({"score": 39.5}), false));
    assert!(!range(json!({"score": "20"}), true));
    let number = |item: Value, kind: &str, cmp: f64| {
        filtered(
            "FilterDictByNumber",
            item,
            json!({"key": "v", "filter_type": kind, "compare_value": cmp}),
        )
        .is_some()
    };
    assert!(number(json!({"v": 5}), "less_than", 12.0));
    assert!(!number(json!({"v": 15}), "less_than", 12.0));
    assert!(number(json!({"v": 2}), "equal_to", 2.0));
    assert!(number(json!({"v": 4}), "even", 0.0));
    assert!(!number(json!({"v": 4.0}), "even", 0.0));
    assert!(number(json!({"v": -3}), "odd", 0.0));
    // Booleans are ints to Python.
    assert!(number(json!({"v": true}), "odd", 0.0));
    assert!(number(json!({"v": -0.5}), "negative", 0.0));
    assert!(!number(json!({"v": 0}), "positive", 0.0));
    // Exact across int and float, as Python compares them.
    assert!(number(
        json!({"v": 9007199254740993i64}),
        "greater_than",
        9007199254740992.0
    ));
}

#[test]
fn filter_dict_regex() {
    let re = |item: Value, pattern: &str, full: bool| {
        filtered(
            "FilterDictRegex",
            item,
            json!({"key": "k", "pattern": pattern, "full_match": full}),
        )
        .is_some()
    };
    assert!(re(
        json!({"k": "alice@example.com"}),
        r"@example\.com$",
        false
    ));
    assert!(!re(json!({"k": "bob@test.org"}), r"@example\.com$", false));
    assert!(re(json!({"k": "ABC123"}), r"ABC\d{3}", true));
    assert!(!re(json!({"k": "ABC123XYZ"}), r"ABC\d{3}", true));
    // Python's spellings: \Z, {,n}, octal escapes, a literal '[' in a class, `$` before a final
    // newline.
    assert!(re(json!({"k": "ab"}), r"\Aab\Z", false));
    assert!(re(json!({"k": "b"}), r"^a{,2}b$", false));
    assert!(re(json!({"k": "A"}), r"\101", true));
    assert!(re(json!({"k": "["}), r"[[a]", true));
    assert!(re(json!({"k": "x\n"}), r"x$", false));
    assert!(re(json!({"k": 12}), r"^\d+$", false));
    // A pattern Python rejects passes every item over.
    assert!(!re(json!({"k": "a"}), r"(", false));
    // Look-around and back-references match as in Python.
    assert!(re(json!({"k": "ab"}), r"(?<=a)b", false));
    assert!(!re(json!({"k": "cb"}), r"(?<=a)b", false));
    assert!(re(json!({"k": "aaa"}), r"(\w)\1+", true));
    assert!(!re(json!({"k": "aab"}), r"(\w)\1+", true));
    assert!(re(
        json!({"k": "say \"hi\""}),
        r#"(?P<q>['"]).*(?P=q)"#,
        false
    ));
    // Python's classes are Unicode: `\w` holds ß, `\d` every script's digits.
    assert!(re(json!({"k": "straße"}), r"^\w+$", false));
    assert!(re(json!({"k": "١٢٣"}), r"\d+", true));
    // What Python compiles and this server cannot (character names) is an error, not a
    // silent non-match.
    let err = run(
        "nodetool.dictionary.FilterDictRegex",
        json!({"value": {"k": "1"}, "key": "k", "pattern": r"\N{DIGIT ONE}"}),
    )
    .unwrap_err();
    assert!(err.contains("not supported on this server"), "{err}");
}

#[test]
fn filter_dict_by_query() {
    let q = |item: Value, condition: &str| {
        filtered("FilterDictByQuery", item, json!({"condition": condition})).is_some()
    };
    let b = json!({"name": "B", "age": 30, "score": 90, "active": true, "tags": [1]});
    assert!(q(b.clone(), "age >= 30 and score > 75"));
    assert!(!q(
        json!({"name": "A", "age": 25, "score": 80}),
        "age >= 30"
    ));
    assert!(q(b.clone(), ""));
    assert!(q(b.clone(), "name in ['A', 'B'] & not age < 18"));
    assert!(q(b.clone(), "1 < age / 10 < 4 or name == 'Z'"));
    assert!(q(b.clone(), "active"));
    assert!(q(b.clone(), "score % 7 == 6 and -age == -30"));
    assert!(q(b.clone(), "name != 5"));
    // pandas raises for these, and the row is dropped.
    assert!(!q(b.clone(), "missing == 1"));
    assert!(!q(b.clone(), "name > 1"));
    assert!(!q(b.clone(), "age"));
    assert!(!q(b.clone(), "@pd.io.common.os.system('echo x')"));
    assert!(!q(b.clone(), "__import__('os').system('echo x')"));
    assert!(!q(b.clone(), "age = 30"));
    let err = run(
        "nodetool.dictionary.FilterDictByQuery",
        json!({"value": b, "condition": "name.str.startswith('B')"}),
    )
    .unwrap_err();
    assert!(err.contains("does not support"), "{err}");
}

#[test]
fn to_json_matches_json_dumps() {
    assert_eq!(
        run(
            "nodetool.dictionary.ToJSON",
            json!({"dictionary": {"a": 1, "b": [2.0, null, true], "é": "😀"}})
        ),
        Ok(json!(
            r#"{"a": 1, "b": [2.0, null, true], "\u00e9": "\ud83d\ude00"}"#
        ))
    );
    assert_eq!(
        run("nodetool.dictionary.ToJSON", json!({})),
        Ok(json!("{}"))
    );
}

#[test]
fn to_yaml_matches_pyyaml() {
    let y = |d: Value| run("nodetool.dictionary.ToYAML", json!({"dictionary": d}));
    assert_eq!(y(json!({})), Ok(json!("{}\n")));
    assert_eq!(
        y(json!({"b": [1, {"x": null, "y": [true]}], "a": {"c": 1.5, "d": []}, "e": 1e16})),
        Ok(json!(
            "a:\n  c: 1.5\n  d: []\nb:\n- 1\n- x: null\n  y:\n  - true\ne: 1.0e+16\n"
        ))
    );
    // Strings that would read back as something else are quoted; specials double-quoted.
    assert_eq!(
        y(
            json!({"s": ["yes", "1.0", "", "it's", "a: b", "- x", "é", "tab\there", "2001-12-14", "plain text"]})
        ),
        Ok(json!(
            "s:\n- 'yes'\n- '1.0'\n- ''\n- it's\n- 'a: b'\n- '- x'\n- \"\\xE9\"\n- \"tab\\there\"\n- '2001-12-14'\n- plain text\n"
        ))
    );
    assert_eq!(
        y(json!({"": 1, "m": "a\nb"})),
        Ok(json!("? ''\n: 1\nm: 'a\n\n  b'\n"))
    );
    // Long plain text folds at the 80th column.
    let long = "word ".repeat(20).trim_end().to_string();
    assert_eq!(
        y(json!({"k": long})),
        Ok(json!(format!(
            "k: {}\n  {}\n",
            "word ".repeat(16).trim_end(),
            "word ".repeat(4).trim_end()
        )))
    );
}
