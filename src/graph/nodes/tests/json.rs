//! Cases for `lib.json.*`, from NodeTool's node semantics (expected texts are what Python's
//! `json` and `jsonschema` produce for the same input).

use serde_json::{Value, json};

use super::run;
use crate::graph::nodes::pyjson::decode::loads;
use crate::graph::nodes::pyjson::encode::dumps;

fn err(r: Result<Value, String>) -> String {
    r.expect_err("expected an error")
}

#[test]
fn loads_reports_python_errors_and_positions() {
    let cases = [
        ("", "Expecting value: line 1 column 1 (char 0)"),
        (
            "{",
            "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        ),
        ("[1,]", "Expecting value: line 1 column 4 (char 3)"),
        (
            "{\"a\":1,}",
            "Expecting property name enclosed in double quotes: line 1 column 8 (char 7)",
        ),
        (
            "{\"a\" 1}",
            "Expecting ':' delimiter: line 1 column 6 (char 5)",
        ),
        ("[1 2]", "Expecting ',' delimiter: line 1 column 4 (char 3)"),
        ("1 2", "Extra data: line 1 column 3 (char 2)"),
        (
            "\"abc",
            "Unterminated string starting at: line 1 column 1 (char 0)",
        ),
        ("\"a\\qb\"", "Invalid \\escape: line 1 column 3 (char 2)"),
        (
            "\"\\u12g4\"",
            "Invalid \\uXXXX escape: line 1 column 3 (char 2)",
        ),
        (
            "\"a\u{1}b\"",
            "Invalid control character at: line 1 column 3 (char 2)",
        ),
        ("1.", "Extra data: line 1 column 2 (char 1)"),
        ("01", "Extra data: line 1 column 2 (char 1)"),
        ("1e+", "Extra data: line 1 column 2 (char 1)"),
        ("-", "Expecting value: line 1 column 1 (char 0)"),
        ("[\n1,\n]", "Expecting value: line 3 column 1 (char 5)"),
        ("{\"é\":1}\n\n  x", "Extra data: line 3 column 3 (char 11)"),
        (
            "\u{feff}{}",
            "Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(loads(text), Err(want.to_string()), "{text:?}");
    }
}

#[test]
fn loads_values_like_python() {
    assert_eq!(
        loads(" [-0, -0.0, 0.5e-3, 1E2, \"\\ud83d\\ude00\\u00e9\\/\"] "),
        Ok(json!([0, -0.0, 0.0005, 100.0, "😀é/"]))
    );
    assert_eq!(loads("{\"a\":1,\"a\":2}"), Ok(json!({"a": 2})));
    assert_eq!(
        loads("18446744073709551615"),
        Ok(json!(18446744073709551615u64))
    );
    // Python accepts these but JSON cannot carry them on; malformed text still fails first.
    assert!(err(loads("[NaN]").map(|_| Value::Null)).contains("NaN"));
    assert!(err(loads("1e400").map(|_| Value::Null)).contains("1e400"));
    assert!(err(loads("\"\\ud800\"").map(|_| Value::Null)).contains("surrogate"));
    assert_eq!(
        loads("NaN x"),
        Err("Extra data: line 1 column 5 (char 4)".into())
    );
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    assert!(err(loads(&deep).map(|_| Value::Null)).contains("nested"));
}

#[test]
fn dumps_matches_python() {
    let v =
        json!({"a": [1, 2.5, 1e16, 1e-5, null, true], "b": "é😀\"\\\n\u{7f}", "c": {}, "d": []});
    assert_eq!(
        dumps(&v, None, 1 << 20),
        Ok(r#"{"a": [1, 2.5, 1e+16, 1e-05, null, true], "b": "\u00e9\ud83d\ude00\"\\\n\u007f", "c": {}, "d": []}"#.into())
    );
    assert_eq!(
        dumps(&json!({"a": [1, {"b": 2}], "c": []}), Some(2), 1 << 20),
        Ok("{\n  \"a\": [\n    1,\n    {\n      \"b\": 2\n    }\n  ],\n  \"c\": []\n}".into())
    );
    // indent=0 (and a negative one) still puts each item on its own line.
    assert_eq!(
        dumps(&json!([1, 2]), Some(0), 1 << 20),
        Ok("[\n1,\n2\n]".into())
    );
    assert_eq!(
        dumps(&json!(["abcdef"]), None, 5),
        Err("the text would exceed 5 bytes".into())
    );
}

#[test]
fn parse_dict_and_list() {
    assert_eq!(
        run(
            "lib.json.ParseDict",
            json!({"json_string": "{\"a\": 1, \"b\": 2}"})
        ),
        Ok(json!({"a": 1, "b": 2}))
    );
    assert_eq!(
        run("lib.json.ParseDict", json!({"json_string": "[1, 2, 3]"})),
        Err("JSON string must represent an object/dictionary".into())
    );
    assert_eq!(
        run("lib.json.ParseList", json!({"json_string": "[1, 2, 3]"})),
        Ok(json!([1, 2, 3]))
    );
    assert_eq!(
        run("lib.json.ParseList", json!({"json_string": "{\"a\": 1}"})),
        Err("JSON string must represent an array/list".into())
    );
    assert_eq!(
        run("lib.json.ParseList", json!({})),
        Err("Expecting value: line 1 column 1 (char 0)".into())
    );
}

#[test]
fn stringify_json_indents_like_python() {
    assert_eq!(
        run(
            "lib.json.StringifyJSON",
            json!({"data": {"a": 1, "b": [2, 3]}})
        ),
        Ok(json!("{\n  \"a\": 1,\n  \"b\": [\n    2,\n    3\n  ]\n}"))
    );
    assert_eq!(
        run("lib.json.StringifyJSON", json!({"data": "é", "indent": 4})),
        Ok(json!("\"\\u00e9\""))
    );
    assert_eq!(
        run(
            "lib.json.StringifyJSON",
            json!({"data": [1.0, {}], "indent": -1})
        ),
        Ok(json!("[\n1.0,\n{}\n]"))
    );
    assert_eq!(run("lib.json.StringifyJSON", json!({})), Ok(json!("{}")));
}

fn path(ty: &str, data: Value, p: &str) -> Result<Value, String> {
    run(
        &format!("lib.json.GetJSONPath{ty}"),
        json!({"data": data, "path": p}),
    )
}

#[test]
fn json_path_variants() {
    let data = json!({"a": {"b": {"c": 1}, "d": [10, 20]}, "e": "x", "f": true});
    assert_eq!(path("Str", data.clone(), "e"), Ok(json!("x")));
    assert_eq!(path("Int", data.clone(), "a.d.1"), Ok(json!(20)));
    assert_eq!(path("Float", data.clone(), "a.b.c"), Ok(json!(1.0)));
    assert_eq!(path("Bool", data.clone(), "f"), Ok(json!(true)));
    assert_eq!(path("List", data.clone(), "a.d"), Ok(json!([10, 20])));
    assert_eq!(path("Dict", data.clone(), "a.b"), Ok(json!({"c": 1})));
    assert_eq!(path("Str", data.clone(), "a.b"), Ok(json!("{'c': 1}")));
}

#[test]
fn json_path_defaults() {
    let data = json!({"a": {}, "n": null, "l": [1]});
    assert_eq!(
        run(
            "lib.json.GetJSONPathStr",
            json!({"data": data, "path": "missing", "default": "def"})
        ),
        Ok(json!("def"))
    );
    assert_eq!(
        run(
            "lib.json.GetJSONPathInt",
            json!({"data": data, "path": "a.d.5", "default": 7})
        ),
        Ok(json!(7))
    );
    // A JSON null, an index past the end, a non-digit index and an empty path are all "not
    // found".
    assert_eq!(path("Float", data.clone(), "n"), Ok(json!(0.0)));
    assert_eq!(path("Int", data.clone(), "l.1"), Ok(json!(0)));
    assert_eq!(path("Int", data.clone(), "l.-1"), Ok(json!(0)));
    assert_eq!(path("Bool", data.clone(), ""), Ok(json!(false)));
    assert_eq!(path("List", data.clone(), "l.0.x"), Ok(json!([])));
    assert_eq!(path("Dict", json!(5), "a"), Ok(json!({})));
}

#[test]
fn json_path_conversions_follow_python() {
    let d = |v: Value| json!({"v": v});
    assert_eq!(path("Int", d(json!(-2.7)), "v"), Ok(json!(-2)));
    assert_eq!(path("Int", d(json!(" 1_0 ")), "v"), Ok(json!(10)));
    assert_eq!(path("Int", d(json!(true)), "v"), Ok(json!(1)));
    assert_eq!(
        path("Int", d(json!("1.5")), "v"),
        Err("invalid literal for int() with base 10: '1.5'".into())
    );
    assert_eq!(
        path("Int", d(json!([1])), "v"),
        Err(
            "int() argument must be a string, a bytes-like object or a real number, not 'list'"
                .into()
        )
    );
    assert_eq!(path("Float", d(json!("1_0.5")), "v"), Ok(json!(10.5)));
    assert_eq!(
        path("Float", d(json!("abc")), "v"),
        Err("could not convert string to float: 'abc'".into())
    );
    assert_eq!(
        path("Float", d(json!({})), "v"),
        Err("float() argument must be a string or a real number, not 'dict'".into())
    );
    assert_eq!(path("Bool", d(json!("")), "v"), Ok(json!(false)));
    assert_eq!(path("Bool", d(json!([0])), "v"), Ok(json!(true)));
    assert_eq!(path("List", d(json!("ab")), "v"), Ok(json!(["a", "b"])));
    assert_eq!(
        path("List", d(json!({"x": 1, "y": 2})), "v"),
        Ok(json!(["x", "y"]))
    );
    assert_eq!(
        path("List", d(json!(5)), "v"),
        Err("'int' object is not iterable".into())
    );
    assert_eq!(
        path("Dict", d(json!([["a", 1], "bc", [1, 3], [true, 4]])), "v"),
        Ok(json!({"a": 1, "b": "c", "1": 4}))
    );
    assert_eq!(
        path("Dict", d(json!([[1, 2, 3]])), "v"),
        Err("dictionary update sequence element #0 has length 3; 2 is required".into())
    );
    assert_eq!(
        path("Dict", d(json!([null])), "v"),
        Err("cannot convert dictionary update sequence element #0 to a sequence".into())
    );
    assert_eq!(
        path("Dict", d(json!([[[1], 2]])), "v"),
        Err("unhashable type: 'list'".into())
    );
}

#[test]
fn validate_json_against_schemas() {
    let schema = json!({
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "number"}},
        "required": ["name"],
        "additionalProperties": false,
    });
    let check = |data: Value, schema: &Value| {
        run(
            "lib.json.ValidateJSON",
            json!({"data": data, "json_schema": schema}),
        )
    };
    assert_eq!(
        check(json!({"name": "Alice", "age": 30}), &schema),
        Ok(json!(true))
    );
    assert_eq!(check(json!({"age": 30}), &schema), Ok(json!(false)));
    assert_eq!(
        check(json!({"name": "A", "x": 1}), &schema),
        Ok(json!(false))
    );
    // Integral floats are integers; booleans are not numbers; 1 and 1.0 are one item.
    assert_eq!(
        check(json!(1.0), &json!({"type": "integer"})),
        Ok(json!(true))
    );
    assert_eq!(
        check(json!(true), &json!({"type": "integer"})),
        Ok(json!(false))
    );
    assert_eq!(
        check(json!([1, 1.0]), &json!({"uniqueItems": true})),
        Ok(json!(false))
    );
    assert_eq!(
        check(json!([1, true]), &json!({"uniqueItems": true})),
        Ok(json!(true))
    );
    assert_eq!(
        check(json!(0.3), &json!({"multipleOf": 0.1})),
        Ok(json!(false))
    );
    assert_eq!(
        check(json!(1e308), &json!({"multipleOf": 0.5})),
        Ok(json!(true))
    );
    assert_eq!(
        check(json!("abc"), &json!({"pattern": "^b"})),
        Ok(json!(false))
    );
    assert_eq!(check(json!({}), &json!({})), Ok(json!(true)));
}

#[test]
fn validate_json_patterns_are_python_regexes() {
    let check = |data: Value, schema: Value| {
        run(
            "lib.json.ValidateJSON",
            json!({"data": data, "json_schema": schema}),
        )
    };
    // `pattern` is searched anywhere, with Python's look-around, `$` before a final newline and
    // Unicode classes.
    let not_admin = json!({"pattern": "^(?!admin)"});
    assert_eq!(check(json!("admin1"), not_admin.clone()), Ok(json!(false)));
    assert_eq!(check(json!("user"), not_admin), Ok(json!(true)));
    assert_eq!(
        check(json!("the cat sat"), json!({"pattern": "(?<=the )cat"})),
        Ok(json!(true))
    );
    assert_eq!(
        check(json!("a\n"), json!({"pattern": "^a$"})),
        Ok(json!(true))
    );
    assert_eq!(
        check(json!("straße"), json!({"pattern": "^\\w+$"})),
        Ok(json!(true))
    );
    // `patternProperties` keys with a back-reference.
    let doubled = json!({"patternProperties": {"^(\\w)\\1": {"type": "integer"}}});
    assert_eq!(check(json!({"aa": "x"}), doubled.clone()), Ok(json!(false)));
    assert_eq!(check(json!({"aa": 1, "ab": "x"}), doubled), Ok(json!(true)));
    // A pattern Python compiles and this server cannot is an error, not "not a 'regex'".
    let err = check(json!("1"), json!({"pattern": "\\N{DIGIT ONE}"})).unwrap_err();
    assert!(err.contains("not supported on this server"), "{err}");
}

#[test]
fn validate_json_applicators_and_references() {
    let check = |data: Value, schema: Value| {
        run(
            "lib.json.ValidateJSON",
            json!({"data": data, "json_schema": schema}),
        )
    };
    let list = json!({
        "$defs": {"node": {"type": "object", "required": ["v"],
                           "properties": {"next": {"$ref": "#/$defs/node"}}}},
        "$ref": "#/$defs/node",
    });
    assert_eq!(
        check(json!({"v": 1, "next": {"v": 2}}), list.clone()),
        Ok(json!(true))
    );
    assert_eq!(check(json!({"v": 1, "next": {}}), list), Ok(json!(false)));
    let one_of = json!({"oneOf": [{"type": "integer"}, {"minimum": 2}]});
    assert_eq!(check(json!(3), one_of.clone()), Ok(json!(false)));
    assert_eq!(check(json!(1), one_of), Ok(json!(true)));
    let cond =
        json!({"if": {"type": "integer"}, "then": {"minimum": 3}, "else": {"type": "string"}});
    assert_eq!(check(json!(2), cond.clone()), Ok(json!(false)));
    assert_eq!(check(json!("s"), cond), Ok(json!(true)));
    let unevaluated = json!({
        "anyOf": [{"properties": {"a": {}}, "required": ["a"]},
                  {"properties": {"b": {}}, "required": ["b"]}],
        "unevaluatedProperties": false,
    });
    assert_eq!(
        check(json!({"a": 1, "b": 2}), unevaluated.clone()),
        Ok(json!(true))
    );
    assert_eq!(
        check(json!({"a": 1, "c": 2}), unevaluated),
        Ok(json!(false))
    );
    let draft7 = json!({"$schema": "http://json-schema.org/draft-07/schema#",
                        "items": [{"type": "string"}], "additionalItems": false});
    assert_eq!(check(json!(["a"]), draft7.clone()), Ok(json!(true)));
    assert_eq!(check(json!(["a", 1]), draft7), Ok(json!(false)));
}

#[test]
fn validate_json_refuses_bad_schemas() {
    let check = |schema: Value| {
        run(
            "lib.json.ValidateJSON",
            json!({"data": 1, "json_schema": schema}),
        )
    };
    assert_eq!(
        check(json!({"type": "foo"})),
        Err("'foo' is not valid under any of the given schemas".into())
    );
    assert_eq!(
        check(json!({"minimum": "a"})),
        Err("'a' is not of type 'number'".into())
    );
    assert_eq!(
        check(json!({"minLength": -1})),
        Err("-1 is less than the minimum of 0".into())
    );
    assert_eq!(
        check(json!({"items": [{"type": "string"}]})),
        Err("[{'type': 'string'}] is not of type 'object', 'boolean'".into())
    );
    assert_eq!(
        check(json!({"pattern": "("})),
        Err("'(' is not a 'regex'".into())
    );
    assert_eq!(
        check(json!({"$ref": "#/$defs/x"})),
        Err("PointerToNowhere: '/$defs/x' does not exist within {'$ref': '#/$defs/x'}".into())
    );
    assert_eq!(
        check(json!({"$ref": "http://example.com/s.json"})),
        Err("Unresolvable: http://example.com/s.json".into())
    );
    // A reference cycle is cut off instead of recursing without end.
    assert!(check(json!({"$ref": "#"})).is_err());
}

#[test]
fn filter_json_uses_python_equality() {
    let items = json!([
        {"id": 1, "type": "a"},
        {"id": 2, "type": "b"},
        {"id": 3, "type": "a"},
        {"id": 4},
    ]);
    assert_eq!(
        run(
            "lib.json.FilterJSON",
            json!({"array": items, "key": "type", "value": "a"})
        ),
        Ok(json!([{"id": 1, "type": "a"}, {"id": 3, "type": "a"}]))
    );
    assert_eq!(
        run(
            "lib.json.FilterJSON",
            json!({"array": items, "key": "id", "value": 2.0})
        ),
        Ok(json!([{"id": 2, "type": "b"}]))
    );
    // A missing key reads as None.
    assert_eq!(
        run(
            "lib.json.FilterJSON",
            json!({"array": items, "key": "type", "value": null})
        ),
        Ok(json!([{"id": 4}]))
    );
    assert_eq!(
        run("lib.json.FilterJSON", json!({"array": [1]})),
        Err("property 'array' must hold objects, got integer".into())
    );
}

#[test]
fn json_template_substitutes_safely() {
    let t = |template: &str, values: Value| {
        run(
            "lib.json.JSONTemplate",
            json!({"template": template, "values": values}),
        )
    };
    assert_eq!(
        t(
            "{\"name\": \"$user\", \"age\": $age}",
            json!({"user": "John", "age": 30})
        ),
        Ok(json!({"name": "John", "age": 30}))
    );
    let injection = "John\", \"admin\": true, \"dummy\": \"";
    assert_eq!(
        t("{\"name\": \"$user\"}", json!({"user": injection})),
        Ok(json!({"name": injection}))
    );
    assert_eq!(
        t(
            "{\"greeting\": \"Hello $name\"}",
            json!({"name": "Alice \"W\""})
        ),
        Ok(json!({"greeting": "Hello Alice \"W\""}))
    );
    assert_eq!(
        t("{\"a\": \"$x\"}", json!({"x": true})),
        Ok(json!({"a": true}))
    );
    assert_eq!(
        t("{invalid}", json!({})),
        Err(
            "Resulting JSON is invalid: Expecting property name enclosed in double quotes: \
             line 1 column 2 (char 1) \n {invalid}"
                .into()
        )
    );
    assert_eq!(
        t("[1, $x]", json!({"x": 2})),
        Err("Resulting JSON must be a dictionary: [1, 2]".into())
    );
}
