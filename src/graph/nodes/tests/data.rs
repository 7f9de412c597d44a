//! Cases for `nodetool.data.*`, from NodeTool's node semantics. Expected tables are what
//! pandas 2.3 (NodeTool's pinned version) gives for the same calls; NaN reads as `null`.

use std::f64::consts::{FRAC_1_SQRT_2, SQRT_2};

use serde_json::{Value, json};

use super::{emitted, run};

/// A `DataframeRef` with the given column names and rows.
fn frame(cols: &[&str], rows: Value) -> Value {
    let defs: Vec<Value> = cols
        .iter()
        .map(|c| json!({"name": c, "data_type": "object", "description": ""}))
        .collect();
    json!({"type": "dataframe", "uri": "", "asset_id": null, "data": rows,
           "metadata": null, "columns": defs})
}

fn ok(ty: &str, props: Value) -> Value {
    match run(ty, props) {
        Ok(v) => v,
        Err(e) => panic!("{ty} failed: {e}"),
    }
}

fn err(ty: &str, props: Value) -> String {
    match run(ty, props) {
        Ok(v) => panic!("{ty} should fail, gave {v}"),
        Err(e) => e,
    }
}

fn names(v: &Value) -> Vec<String> {
    v["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

fn types(v: &Value) -> Vec<String> {
    v["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["data_type"].as_str().unwrap().to_string())
        .collect()
}

/// The row labels: `metadata.index`, else `0..n`.
fn labels(v: &Value) -> Value {
    match v["metadata"].get("index") {
        Some(ix) => ix.clone(),
        None => json!((0..v["data"].as_array().unwrap().len()).collect::<Vec<_>>()),
    }
}

fn csv(text: &str) -> Result<Value, String> {
    run("nodetool.data.ImportCSV", json!({ "csv_data": text }))
}

#[test]
fn import_csv_types_columns_like_pandas() {
    let t = csv("a,b,c\n1,2.5,x\n3,4,y\n").unwrap();
    assert_eq!(names(&t), ["a", "b", "c"]);
    assert_eq!(types(&t), ["int", "float", "object"]);
    assert_eq!(t["data"], json!([[1, 2.5, "x"], [3, 4.0, "y"]]));
    assert_eq!(t["type"], "dataframe");

    // Empty fields and NA markers are missing: an int column with gaps becomes float, a
    // boolean one object.
    let t = csv("a,b,c,d\n1,,x,True\n,2,,False\n").unwrap();
    assert_eq!(types(&t), ["float", "float", "object", "object"]);
    assert_eq!(
        t["data"],
        json!([[1.0, null, "x", true], [null, 2.0, null, false]])
    );
    let t = csv("a\nNA\nnull\nNone\nn/a\nnan\n-nan\n<NA>\n#N/A\nNULL\n1\n").unwrap();
    assert_eq!(types(&t), ["float"]);
    assert_eq!(t["data"][9], json!([1.0]));
    assert_eq!(t["data"][0], json!([null]));
    let t = csv("a\nTRUE\nFalse\nNA\n").unwrap();
    assert_eq!(t["data"], json!([[true], [false], [null]]));
    let t = csv("a,b,c\ntrue,TRUE,True\nfalse,FALSE,False\n").unwrap();
    assert_eq!(
        t["data"],
        json!([[true, true, true], [false, false, false]])
    );

    // Numbers pandas does not read stay text; spaces around numbers are allowed.
    let t = csv("a,b,c,d,e\n1e400,0x10,1_000, 7 ,99999999999999999999\n").unwrap();
    assert_eq!(
        t["data"],
        json!([["1e400", "0x10", "1_000", 7, "99999999999999999999"]])
    );
    let t = csv("a\n1\n2.5\n.5\n-2.\n+3\n1e3\n").unwrap();
    assert_eq!(
        t["data"],
        json!([[1.0], [2.5], [0.5], [-2.0], [3.0], [1000.0]])
    );
    // Infinity is a float, which JSON can only carry as null.
    let t = csv("a\ninf\n1\n").unwrap();
    assert_eq!(
        (types(&t), t["data"].clone()),
        (vec!["float".into()], json!([[null], [1.0]]))
    );
    let t = csv("a\n 1.5\nabc\n").unwrap();
    assert_eq!(t["data"], json!([[" 1.5"], ["abc"]]));
}

#[test]
fn import_csv_quoting_headers_and_shape() {
    let t = csv("a,b\n\"1,5\",\"say \"\"hi\"\"\"\n\"2\",\"multi\nline\"\n").unwrap();
    assert_eq!(
        t["data"],
        json!([["1,5", "say \"hi\""], ["2", "multi\nline"]])
    );
    // A quote opens a field only at its start; text after a closing quote joins the field.
    let t = csv("a,b,c\nab\"c\"d,\"x\"y, \"z\"\n").unwrap();
    assert_eq!(t["data"], json!([["ab\"c\"d", "xy", " \"z\""]]));
    let t = csv("\u{feff}a,b\r\n\r\n1,2\r\n  \n3,4").unwrap();
    assert_eq!(
        (names(&t), t["data"].clone()),
        (vec!["a".into(), "b".into()], json!([[1, 2], [3, 4]]))
    );
    let t = csv("a,a,b,a\n1,2,3,4\n").unwrap();
    assert_eq!(names(&t), ["a", "a.1", "b", "a.2"]);
    let t = csv("a,a,a.1\n1,2,3\n").unwrap();
    assert_eq!(names(&t), ["a", "a.2", "a.1"]);
    let t = csv(",b,\n1,2,3\n").unwrap();
    assert_eq!(names(&t), ["Unnamed: 0", "b", "Unnamed: 2"]);
    let t = csv(" a ,名前\n1,太郎\n").unwrap();
    assert_eq!(
        (names(&t), t["data"].clone()),
        (vec![" a ".into(), "名前".into()], json!([[1, "太郎"]]))
    );
    // Short rows are padded; a trailing comma makes an all-missing (float) column.
    let t = csv("a,b,c\n1,2\n3,4,5\n").unwrap();
    assert_eq!(types(&t), ["int", "int", "float"]);
    assert_eq!(t["data"], json!([[1, 2, null], [3, 4, 5.0]]));
    let t = csv("a,b,\n1,2,\n").unwrap();
    assert_eq!(
        (types(&t), t["data"].clone()),
        (
            vec!["int".into(), "int".into(), "float".into()],
            json!([[1, 2, null]])
        )
    );
    // A first data row wider than the header gives the row labels.
    let t = csv("a,b\n1,2,3\n3,4,5\n").unwrap();
    assert_eq!(
        (t["data"].clone(), labels(&t)),
        (json!([[2, 3], [4, 5]]), json!([1, 3]))
    );
    // Header only, or blank lines only.
    let t = csv("a,b\n").unwrap();
    assert_eq!(
        (names(&t), t["data"].clone()),
        (vec!["a".into(), "b".into()], json!([]))
    );
    assert_eq!(types(&t), ["object", "object"]);
    let t = csv("a\n\n\n").unwrap();
    assert_eq!(t["data"], json!([]));
    let t = csv("a\n\"\"\n1\n").unwrap();
    assert_eq!(t["data"], json!([[null], [1.0]]));
    for empty in ["", "\n\n", "  \n"] {
        assert_eq!(
            csv(empty),
            Err("EmptyDataError: No columns to parse from file".into())
        );
    }
    assert_eq!(
        csv("a,b\n1,2\n3,4,5\n"),
        Err("Error tokenizing data. C error: Expected 2 fields in line 3, saw 3".into())
    );
    // Lines are counted as pandas counts them: blank lines do, quoted newlines do not.
    assert_eq!(
        csv("a,b\n\n1,2\n\n3,4,5\n"),
        Err("Error tokenizing data. C error: Expected 2 fields in line 5, saw 3".into())
    );
    assert_eq!(
        csv("a,b\n\"x\ny\",2\n3,4,5\n"),
        Err("Error tokenizing data. C error: Expected 2 fields in line 3, saw 3".into())
    );
    assert_eq!(
        csv("a\n\"abc\n"),
        Err("Error tokenizing data. C error: EOF inside string starting at row 1".into())
    );
}

/// The table NodeTool's own examples filter: names with a gap, ages, salaries with a NaN.
fn people() -> Value {
    frame(
        &["name", "age", "sal", "ok", "status", "my col"],
        json!([
            ["Ann", 31, 40000.0, true, "Active", 1],
            ["Bob", 17, null, false, "Pending", 2],
            ["Cy", 45, 60000.0, true, "Gone", 3],
            ["Di", 30, 52000.0, false, "Active", 4],
            [null, 22, 1.0, true, "x", 5]
        ]),
    )
}

fn filter(condition: &str) -> Result<Value, String> {
    run(
        "nodetool.data.Filter",
        json!({"df": people(), "condition": condition}),
    )
    .map(|t| labels(&t))
}

#[test]
fn filter_follows_pandas_query() {
    let cases: &[(&str, Value)] = &[
        ("age > 30", json!([0, 2])),
        ("age > 30 and sal < 50000", json!([0])),
        ("name == 'Ann'", json!([0])),
        ("name == \"Bob\"", json!([1])),
        ("'Ann' == name", json!([0])),
        ("100 <= sal <= 55000", json!([0, 3])),
        ("status in ['Active', 'Pending']", json!([0, 1, 3])),
        ("name in ('Ann','Bob')", json!([0, 1])),
        ("status not in ['Active']", json!([1, 2, 4])),
        ("not (age < 18)", json!([0, 2, 3, 4])),
        ("not age > 30", json!([1, 3, 4])),
        // `&` and `|` bind like `and` and `or`, more loosely than comparisons.
        ("age > 30 & sal < 50000", json!([0])),
        ("age > 30 | sal < 50000", json!([0, 2, 4])),
        (
            "sal > 50000 and sal < 70000 or name == 'Bob'",
            json!([1, 2, 3]),
        ),
        ("~ok", json!([1, 3])),
        ("ok", json!([0, 2, 4])),
        ("not ok", json!([1, 3])),
        ("ok and not ok", json!([])),
        ("ok & age > 30", json!([0, 2])),
        ("age > 30 and True", json!([0, 2])),
        ("`my col` >= 3", json!([2, 3, 4])),
        // NaN equals nothing, itself included; None likewise.
        ("sal != sal", json!([1])),
        ("sal == sal", json!([0, 2, 3, 4])),
        ("name == None", json!([])),
        ("name != None", json!([0, 1, 2, 3, 4])),
        ("name in ['Ann', None]", json!([0, 4])),
        ("name > 'B'", json!([1, 2, 3])),
        ("age == '31'", json!([])),
        ("age == 31.0", json!([0])),
        ("age == True", json!([])),
        ("ok == 1", json!([0, 2, 4])),
        ("ok == 'True'", json!([])),
        ("sal in [1]", json!([4])),
        ("age == [31, 45]", json!([0, 2])),
        ("age != [31, 45]", json!([1, 3, 4])),
        ("status in 'Active'", json!([0, 3])),
        ("age in []", json!([])),
        ("index > 2", json!([3, 4])),
        ("age + 1 > 31", json!([0, 2])),
        ("age * 2 == 62", json!([0])),
        ("age / 2 > 15", json!([0, 2])),
        ("age // 10 == 3", json!([0, 3])),
        ("age % 2 == 1", json!([0, 1, 2])),
        ("age ** 2 > 900", json!([0, 2])),
        ("-age < -30", json!([0, 2])),
        ("-1 < age", json!([0, 1, 2, 3, 4])),
        ("age > -1e1", json!([0, 1, 2, 3, 4])),
        ("(age > 30) == True", json!([0, 2])),
        // Chained: (age > 30) and (30 == True).
        ("age > 30 == True", json!([])),
        ("age == 31 == 31", json!([0])),
        ("name + name == 'AnnAnn'", json!([0])),
    ];
    for (condition, want) in cases {
        assert_eq!(filter(condition).as_ref(), Ok(want), "{condition}");
    }
    let errors: &[(&str, &str)] = &[
        ("", "expr cannot be an empty string"),
        ("   ", "expr cannot be an empty string"),
        (
            "age > '3'",
            "Invalid comparison between dtype=int64 and str",
        ),
        (
            "'3' <= sal",
            "Invalid comparison between dtype=float64 and str",
        ),
        (
            "name < 5",
            "'<' not supported between instances of 'str' and 'int'",
        ),
        ("zzz > 1", "name 'zzz' is not defined"),
        ("@x > 1", "local variable 'x' is not defined"),
        ("age = 31", "cannot assign without a target object"),
        (
            "age ** -1 > 0",
            "Integers to negative integer powers are not allowed.",
        ),
        (
            "name - 1 > 0",
            "unsupported operand type(s) for -: 'object' and '<class 'int'>'",
        ),
        (
            "name + '!' == 'Ann!'",
            "unsupported operand type(s) for +: 'object' and '<class 'str'>'",
        ),
        (
            "name - name > 0",
            "unsupported operand type(s) for -: 'str' and 'str'",
        ),
    ];
    for (condition, want) in errors {
        assert_eq!(filter(condition), Err(want.to_string()), "{condition}");
    }
    for bad in [
        "age",
        "True",
        "1 < 2",
        "age > 30 and",
        "my col > 1",
        "(age > 30",
        "name is None",
        "age >> 2",
        "31 in age",
        "if age > 1",
    ] {
        assert!(filter(bad).is_err(), "{bad}");
    }
    let deep = format!("{}age > 1{}", "(".repeat(100), ")".repeat(100));
    assert!(filter(&deep).unwrap_err().contains("nests too deeply"));
    let nots = format!("{}ok", "not ".repeat(1000));
    assert!(filter(&nots).unwrap_err().contains("nests too deeply"));
    // Long flat chains are fine.
    let long = vec!["age == 1"; 400].join(" or ");
    assert_eq!(filter(&long), Ok(json!([])));
    let longer = vec!["age == 1"; 600].join(" or ");
    assert!(filter(&longer).unwrap_err().contains("too long"));
}

#[test]
fn filter_keeps_columns_and_labels() {
    let t = ok(
        "nodetool.data.Filter",
        json!({"df": people(), "condition": "age > 30"}),
    );
    assert_eq!(names(&t), ["name", "age", "sal", "ok", "status", "my col"]);
    assert_eq!(
        types(&t),
        ["object", "int", "float", "object", "object", "int"]
    );
    assert_eq!(
        t["data"],
        json!([
            ["Ann", 31, 40000.0, true, "Active", 1],
            ["Cy", 45, 60000.0, true, "Gone", 3]
        ])
    );
    assert_eq!(t["metadata"], json!({"index": [0, 2]}));
    // The labels travel on: a second filter sees them.
    let again = ok(
        "nodetool.data.Filter",
        json!({"df": t, "condition": "index == 2"}),
    );
    assert_eq!(labels(&again), json!([2]));
    let none = ok(
        "nodetool.data.FindRow",
        json!({"df": people(), "condition": "age > 100"}),
    );
    assert_eq!((names(&none).len(), none["data"].clone()), (6, json!([])));
    let first = ok(
        "nodetool.data.FindRow",
        json!({"df": people(), "condition": "age < 40 and ok"}),
    );
    assert_eq!(
        (labels(&first), first["data"][0][0].clone()),
        (json!([0]), json!("Ann"))
    );
    assert_eq!(
        err("nodetool.data.FindRow", json!({"df": people()})),
        "expr cannot be an empty string"
    );
}

#[test]
fn unset_and_foreign_dataframes() {
    for ty in ["nodetool.data.ToList", "nodetool.data.DropNA"] {
        let e = err(ty, json!({}));
        assert!(e.starts_with("AssetRef is empty"), "{e}");
    }
    let remote = json!({"type": "dataframe", "uri": "https://x/y.csv", "columns": null});
    assert!(err("nodetool.data.ToList", json!({ "dataframe": remote })).contains("asset or URI"));
    let wide = frame(&["a"], json!([[1, 2]]));
    assert_eq!(
        err("nodetool.data.ToList", json!({ "dataframe": wide })),
        "1 columns passed, passed data had 2 columns"
    );
    // Rows shorter than the columns are padded; rows may also be objects by column name.
    let short = frame(&["a", "b"], json!([[1], {"b": "x", "a": 2}]));
    assert_eq!(
        ok("nodetool.data.ToList", json!({ "dataframe": short })),
        json!([{"a": 1, "b": null}, {"a": 2, "b": "x"}])
    );
    // NodeTool's TypeScript port passes `{"rows": [...]}`.
    let rows = json!({"rows": [{"a": 1}, {"a": 2}]});
    assert_eq!(
        ok(
            "nodetool.data.ExtractColumn",
            json!({"dataframe": rows, "column_name": "a"})
        ),
        json!([1, 2])
    );
    // A frame without columns but with rows survives a round trip.
    let blank = json!({"type": "dataframe", "columns": [], "data": [[], []]});
    let t = ok("nodetool.data.DropNA", json!({ "df": blank }));
    assert_eq!(t["data"], json!([[], []]));
    // A float column with no values stays float.
    let nan = json!({"columns": [{"name": "f", "data_type": "float"}], "data": [[null], [2]]});
    assert_eq!(
        types(&ok("nodetool.data.DropNA", json!({ "df": nan }))),
        ["float"]
    );
}

#[test]
fn slice_rows() {
    let t = frame(&["a"], json!([[0], [1], [2], [3]]));
    let s = |start: i64, end: i64| {
        ok(
            "nodetool.data.Slice",
            json!({"dataframe": t, "start_index": start, "end_index": end}),
        )["data"]
            .clone()
    };
    assert_eq!(s(1, -1), json!([[1], [2], [3]]));
    assert_eq!(s(0, -2), json!([[0], [1]]));
    assert_eq!(s(-2, -1), json!([[2], [3]]));
    assert_eq!(s(5, -1), json!([]));
    assert_eq!(s(3, 1), json!([]));
    assert_eq!(s(i64::MIN, i64::MAX), json!([[0], [1], [2], [3]]));
    let sliced = ok(
        "nodetool.data.Slice",
        json!({"dataframe": t, "start_index": 2}),
    );
    assert_eq!(labels(&sliced), json!([2, 3]));
}

#[test]
fn from_list_to_list_and_json() {
    let t = ok(
        "nodetool.data.FromList",
        json!({"values": [{"a": 1, "b": {"value": "x"}}, {"a": 2, "c": [1, "y"], "d": null}]}),
    );
    assert_eq!(names(&t), ["a", "b", "c", "d"]);
    assert_eq!(types(&t), ["int", "object", "object", "object"]);
    assert_eq!(
        t["data"],
        json!([[1, "x", null, null], [2, null, "[1, 'y']", "None"]])
    );
    assert_eq!(
        ok("nodetool.data.ToList", json!({ "dataframe": t })),
        json!([
            {"a": 1, "b": "x", "c": null, "d": null},
            {"a": 2, "b": null, "c": "[1, 'y']", "d": "None"}
        ])
    );
    assert_eq!(
        err("nodetool.data.FromList", json!({"values": [{"a": 1}, 2]})),
        "List must contain dicts."
    );
    assert_eq!(
        err(
            "nodetool.data.FromList",
            json!({"values": [{"a": {"v": 1}}]})
        ),
        "KeyError: 'value'"
    );
    let empty = ok("nodetool.data.FromList", json!({}));
    assert_eq!((names(&empty).len(), empty["data"].clone()), (0, json!([])));

    let j = |text: &str| run("nodetool.data.JSONToDataframe", json!({ "text": text }));
    let t = j(r#"[{"a": 1, "b": 2}, {"b": 3, "c": "x"}]"#).unwrap();
    assert_eq!(
        (types(&t), t["data"].clone()),
        (
            vec!["float".into(), "int".into(), "object".into()],
            json!([[1.0, 2, null], [null, 3, "x"]])
        )
    );
    let t = j("[[1, 2], [3]]").unwrap();
    assert_eq!(
        (names(&t), t["data"].clone()),
        (vec!["0".into(), "1".into()], json!([[1, 2.0], [3, null]]))
    );
    let t = j(r#"{"a": [1, 2], "b": 5}"#).unwrap();
    assert_eq!(t["data"], json!([[1, 5], [2, 5]]));
    let t = j(r#"{"a": {"x": 1, "y": 2}, "b": {"y": 3, "z": 4}}"#).unwrap();
    assert_eq!(
        (t["data"].clone(), labels(&t)),
        (
            json!([[1.0, null], [2.0, 3.0], [null, 4.0]]),
            json!(["x", "y", "z"])
        )
    );
    let t = j("[1, 2]").unwrap();
    assert_eq!(
        (names(&t), t["data"].clone()),
        (vec!["0".into()], json!([[1], [2]]))
    );
    assert_eq!(j("[]").unwrap()["data"], json!([]));
    assert_eq!(
        j("").unwrap_err(),
        "Expecting value: line 1 column 1 (char 0)"
    );
    assert!(
        j("{")
            .unwrap_err()
            .starts_with("the text is not valid JSON")
    );
    assert_eq!(
        j("5").unwrap_err(),
        "DataFrame constructor not properly called!"
    );
    assert_eq!(
        j(r#"{"a": 1}"#).unwrap_err(),
        "If using all scalar values, you must pass an index"
    );
    assert_eq!(
        j(r#"{"a": [1, 2], "b": [1]}"#).unwrap_err(),
        "All arrays must be of the same length"
    );
    assert_eq!(
        j(r#"{"a": [1], "b": {"x": 1}}"#).unwrap_err(),
        "Mixing dicts with non-Series may lead to ambiguous ordering."
    );
    assert_eq!(
        j(r#"[{"a": 1}, null]"#).unwrap_err(),
        "'NoneType' object has no attribute 'keys'"
    );
}

fn abc() -> Value {
    frame(&["a", "b", "c"], json!([[1, 3, 5], [2, 4, 6]]))
}

#[test]
fn select_extract_and_add_columns() {
    let sel = |cols: &str| {
        run(
            "nodetool.data.SelectColumn",
            json!({"dataframe": abc(), "columns": cols}),
        )
    };
    let t = sel("c,a").unwrap();
    assert_eq!(
        (names(&t), t["data"].clone()),
        (vec!["c".into(), "a".into()], json!([[5, 1], [6, 2]]))
    );
    assert_eq!(sel("a, b"), Err("KeyError: [' b'] not in index".into()));
    assert_eq!(
        sel(""),
        Err("KeyError: None of [Index([''], dtype='object')] are in the [columns]".into())
    );
    assert_eq!(
        ok(
            "nodetool.data.ExtractColumn",
            json!({"dataframe": abc(), "column_name": "b"})
        ),
        json!([3, 4])
    );
    assert_eq!(
        err(
            "nodetool.data.ExtractColumn",
            json!({"dataframe": abc(), "column_name": "z"})
        ),
        "KeyError: 'z' (the columns are ['a', 'b', 'c'])"
    );

    let add = |df: Value, name: &str, values: Value| {
        run(
            "nodetool.data.AddColumn",
            json!({"dataframe": df, "column_name": name, "values": values}),
        )
    };
    let t = add(abc(), "d", json!([9, null])).unwrap();
    assert_eq!(
        (names(&t).len(), types(&t)[3].clone()),
        (4, "float".to_string())
    );
    assert_eq!(t["data"], json!([[1, 3, 5, 9.0], [2, 4, 6, null]]));
    let t = add(abc(), "a", json!(["x", "y"])).unwrap();
    assert_eq!(
        (names(&t), t["data"][0].clone()),
        (vec!["a".into(), "b".into(), "c".into()], json!(["x", 3, 5]))
    );
    assert_eq!(
        add(abc(), "d", json!([1])),
        Err("Length of values (1) does not match length of index (2)".into())
    );
    // A frame with no rows takes them from the values.
    let t = add(frame(&["a"], json!([])), "z", json!([1, 2])).unwrap();
    assert_eq!(t["data"], json!([[null, 1], [null, 2]]));
    let t = add(frame(&["a"], json!([])), "z", json!([])).unwrap();
    assert_eq!(types(&t), ["object", "float"]);
}

#[test]
fn merge_aligns_rows_by_label() {
    let x = frame(&["x"], json!([[1], [2], [3]]));
    let y = frame(&["y"], json!([["p"], ["q"]]));
    let t = ok(
        "nodetool.data.Merge",
        json!({"dataframe_a": x, "dataframe_b": y}),
    );
    assert_eq!(types(&t), ["int", "object"]);
    assert_eq!(t["data"], json!([[1, "p"], [2, "q"], [3, null]]));
    // After a filter the labels no longer line up with positions.
    let mut shuffled = frame(&["x"], json!([[3], [1]]));
    shuffled["metadata"] = json!({"index": [2, 0]});
    let t = ok(
        "nodetool.data.Merge",
        json!({"dataframe_a": shuffled, "dataframe_b": y}),
    );
    assert_eq!(t["data"], json!([[3.0, null], [1.0, "p"], [null, "q"]]));
    assert_eq!(labels(&t), json!([2, 0, 1]));
    // The same name twice is kept twice.
    let t = ok(
        "nodetool.data.Merge",
        json!({"dataframe_a": x, "dataframe_b": x}),
    );
    assert_eq!(names(&t), ["x", "x"]);
    let mut dup = frame(&["x"], json!([[1], [2]]));
    dup["metadata"] = json!({"index": [0, 0]});
    let mut other = frame(&["z"], json!([[1], [2]]));
    other["metadata"] = json!({"index": [5, 0]});
    assert_eq!(
        err(
            "nodetool.data.Merge",
            json!({"dataframe_a": other, "dataframe_b": dup})
        ),
        "Reindexing only valid with uniquely valued Index objects"
    );
}

#[test]
fn append_stacks_matching_frames() {
    let a = frame(&["x", "y"], json!([[1, 1.5]]));
    let b = frame(&["x", "y"], json!([[2.5, "s"]]));
    let t = ok(
        "nodetool.data.Append",
        json!({"dataframe_a": a, "dataframe_b": b}),
    );
    assert_eq!(types(&t), ["float", "object"]);
    assert_eq!(
        (t["data"].clone(), labels(&t)),
        (json!([[1.0, 1.5], [2.5, "s"]]), json!([0, 0]))
    );
    let bools = frame(&["x", "y"], json!([[true, 1]]));
    let t = ok(
        "nodetool.data.Append",
        json!({"dataframe_a": bools, "dataframe_b": a}),
    );
    assert_eq!(t["data"], json!([[1, 1.0], [1, 1.5]]));
    let c = frame(&["x", "z"], json!([[1, 2]]));
    assert_eq!(
        err(
            "nodetool.data.Append",
            json!({"dataframe_a": a, "dataframe_b": c})
        ),
        "Columns in dataframe A (Index(['x', 'y'], dtype='object')) do not match columns in \
         dataframe B (Index(['x', 'z'], dtype='object'))"
    );
    // An empty frame gives the other one, whatever its columns.
    let empty = frame(&["q"], json!([]));
    let t = ok(
        "nodetool.data.Append",
        json!({"dataframe_a": empty, "dataframe_b": c}),
    );
    assert_eq!(names(&t), ["x", "z"]);
}

#[test]
fn join_on_a_column() {
    let l = frame(
        &["id", "v"],
        json!([[1, "a"], [2, "b"], [2, "c"], [3, "d"], [null, "e"]]),
    );
    let r = frame(
        &["id", "v"],
        json!([[2, "B"], [1, "A"], [4, "D"], [2, "B2"], [null, "N"]]),
    );
    let t = ok(
        "nodetool.data.Join",
        json!({"dataframe_a": l, "dataframe_b": r, "join_on": "id"}),
    );
    assert_eq!(names(&t), ["id", "v_x", "v_y"]);
    assert_eq!(
        t["data"],
        json!([
            [1.0, "a", "A"],
            [2.0, "b", "B"],
            [2.0, "b", "B2"],
            [2.0, "c", "B"],
            [2.0, "c", "B2"],
            [null, "e", "N"]
        ])
    );
    assert!(
        err(
            "nodetool.data.Join",
            json!({"dataframe_a": l, "dataframe_b": r, "join_on": "zz"})
        )
        .starts_with("KeyError: 'zz'")
    );
    assert!(
        err(
            "nodetool.data.Join",
            json!({"dataframe_a": l, "dataframe_b": abc(), "join_on": "id"})
        )
        .starts_with("Columns in dataframe A (Index(['id', 'v'], dtype='object'))")
    );
    let ints = frame(&["k", "v"], json!([[1, 1], [2, 2]]));
    let texts = frame(&["k", "v"], json!([["1", 1], ["2", 2]]));
    assert_eq!(
        err(
            "nodetool.data.Join",
            json!({"dataframe_a": ints, "dataframe_b": texts, "join_on": "k"})
        ),
        "You are trying to merge on int64 and object columns for key 'k'. If you wish to proceed \
         you should use pd.concat"
    );
    // Too many matches are refused before they are built.
    let many: Vec<Value> = (0..1000).map(|i| json!([1, i])).collect();
    let big = frame(&["k", "v"], json!(many));
    let e = err(
        "nodetool.data.Join",
        json!({"dataframe_a": big, "dataframe_b": big, "join_on": "k"}),
    );
    assert_eq!(e, "the table would exceed 100000 rows");
}

#[test]
fn row_iterators_emit_each_row_and_label() {
    let t = frame(
        &["i", "f", "s", "t"],
        json!([[1, null, "x", true], [2, 2.5, null, false]]),
    );
    let out = emitted("nodetool.data.ForEachRow", json!({ "dataframe": t })).unwrap();
    let want = vec![
        (
            "row".to_string(),
            json!({"i": 1, "f": null, "s": "x", "t": true}),
        ),
        ("index".to_string(), json!(0)),
        (
            "row".to_string(),
            json!({"i": 2, "f": 2.5, "s": null, "t": false}),
        ),
        ("index".to_string(), json!(1)),
    ];
    assert_eq!(out, want);
    // A row of numbers only shares numpy's common type: the ints become floats.
    let nums = frame(&["i", "f"], json!([[1, 1.5]]));
    let out = emitted("nodetool.data.RowIterator", json!({ "dataframe": nums })).unwrap();
    assert_eq!(
        out,
        vec![
            ("dict".into(), json!({"i": 1.0, "f": 1.5})),
            ("index".into(), json!(0))
        ]
    );
    // Labels after a filter are the original ones.
    let f = ok(
        "nodetool.data.Filter",
        json!({"df": people(), "condition": "age > 40"}),
    );
    let out = emitted("nodetool.data.RowIterator", json!({ "dataframe": f })).unwrap();
    assert_eq!(out[1], ("index".into(), json!(2)));
    assert_eq!(
        emitted(
            "nodetool.data.ForEachRow",
            json!({"dataframe": frame(&["a"], json!([]))})
        ),
        Ok(vec![])
    );
}

#[test]
fn sort_dedupe_and_drop_missing() {
    let sort = |df: Value, col: &str| {
        run(
            "nodetool.data.SortByColumn",
            json!({"df": df, "column": col}),
        )
    };
    let t = sort(
        frame(&["a", "b"], json!([[3, "w"], [1, "x"], [2, "y"], [1, "z"]])),
        "a",
    )
    .unwrap();
    assert_eq!(
        (labels(&t), t["data"][1].clone()),
        (json!([1, 3, 2, 0]), json!([1, "z"]))
    );
    let t = sort(frame(&["a"], json!([[3.0], [null], [2.0], [1.5]])), "a").unwrap();
    assert_eq!(labels(&t), json!([3, 2, 0, 1]));
    let t = sort(
        frame(&["a"], json!([["b"], [null], ["a"], ["B"], ["é"]])),
        "a",
    )
    .unwrap();
    assert_eq!(t["data"], json!([["B"], ["a"], ["b"], ["é"], [null]]));
    let t = sort(frame(&["a"], json!([[true], [0], [2]])), "a").unwrap();
    assert_eq!(t["data"], json!([[0], [true], [2]]));
    let t = sort(frame(&["a"], json!([[[2, 1]], [[1, 5]], [[1]]])), "a").unwrap();
    assert_eq!(t["data"], json!([[[1]], [[1, 5]], [[2, 1]]]));
    assert!(
        sort(frame(&["a"], json!([["b"], [1]])), "a")
            .unwrap_err()
            .ends_with("not supported between instances of 'int' and 'str'")
    );
    assert!(sort(abc(), "").unwrap_err().starts_with("KeyError: ''"));
    let twice = ok(
        "nodetool.data.Merge",
        json!({"dataframe_a": abc(), "dataframe_b": abc()}),
    );
    assert_eq!(
        sort(twice, "a"),
        Err("The column label 'a' is not unique.".into())
    );

    let t = ok(
        "nodetool.data.DropDuplicates",
        json!({"df": frame(&["a", "b"], json!([[1, "x"], [1, "x"], [2, "y"], [null, null], [null, null]]))}),
    );
    assert_eq!(labels(&t), json!([0, 2, 3]));
    let t = ok(
        "nodetool.data.DropDuplicates",
        json!({"df": frame(&["a"], json!([[1], [1.0], [true], ["1"], [[1]], [[1]]]))}),
    );
    assert_eq!(t["data"], json!([[1], ["1"], [[1]]]));
    let t = ok(
        "nodetool.data.DropNA",
        json!({"df": frame(&["a", "b"], json!([[1, "x"], [null, "y"], [3, null]]))}),
    );
    assert_eq!(
        (t["data"].clone(), labels(&t)),
        (json!([[1.0, "x"]]), json!([0]))
    );
}

/// Groups `b`, `a`, `b`, `a` and a row with no group.
fn grouped() -> Value {
    frame(
        &["g", "s", "i", "f", "t"],
        json!([
            ["b", "x", 1, 1.5, true],
            ["a", "y", 2, null, false],
            ["b", "z", 3, 2.5, true],
            ["a", null, 4, null, true],
            [null, "w", 5, 1.0, false]
        ]),
    )
}

fn agg(df: Value, columns: &str, how: &str) -> Result<Value, String> {
    run(
        "nodetool.data.Aggregate",
        json!({"dataframe": df, "columns": columns, "aggregation": how}),
    )
}

#[test]
fn aggregate_by_group() {
    let t = agg(grouped(), "g", "sum").unwrap();
    assert_eq!(names(&t), ["g", "s", "i", "f", "t"]);
    assert_eq!(types(&t), ["object", "object", "int", "float", "int"]);
    assert_eq!(
        t["data"],
        json!([["a", "y", 6, 0.0, 1], ["b", "xz", 4, 4.0, 2]])
    );
    assert_eq!(
        agg(grouped(), "g", "count").unwrap()["data"],
        json!([["a", 1, 2, 0, 2], ["b", 2, 2, 2, 2]])
    );
    assert_eq!(
        agg(grouped(), "g", "first").unwrap()["data"],
        json!([["a", "y", 2, null, false], ["b", "x", 1, 1.5, true]])
    );
    assert_eq!(
        agg(grouped(), "g", "last").unwrap()["data"],
        json!([["a", "y", 4, null, true], ["b", "z", 3, 2.5, true]])
    );
    for how in ["mean", "median", "var", "min", "max"] {
        assert_eq!(
            agg(grouped(), "g", how),
            Err(format!("agg function failed [how->{how},dtype->object]"))
        );
    }
    assert_eq!(
        agg(grouped(), "g", "std"),
        Err("could not convert string to float: 'x'".into())
    );
    let numeric = ok(
        "nodetool.data.SelectColumn",
        json!({"dataframe": grouped(), "columns": "g,i,f,t"}),
    );
    let cases = [
        ("mean", json!([["a", 3.0, null, 0.5], ["b", 2.0, 2.0, 1.0]])),
        (
            "median",
            json!([["a", 3.0, null, 0.5], ["b", 2.0, 2.0, 1.0]]),
        ),
        ("min", json!([["a", 2, null, false], ["b", 1, 1.5, true]])),
        ("max", json!([["a", 4, null, true], ["b", 3, 2.5, true]])),
        ("var", json!([["a", 2.0, null, 0.5], ["b", 2.0, 0.5, 0.0]])),
        (
            "std",
            json!([
                ["a", SQRT_2, null, FRAC_1_SQRT_2],
                ["b", SQRT_2, FRAC_1_SQRT_2, 0.0]
            ]),
        ),
    ];
    for (how, want) in cases {
        assert_eq!(
            agg(numeric.clone(), "g", how).unwrap()["data"],
            want,
            "{how}"
        );
    }
    // Several keys, key order as written, and the compensated sums pandas computes.
    let t = agg(numeric.clone(), "g, t", "sum").unwrap();
    assert_eq!(names(&t), ["g", "t", "i", "f"]);
    assert_eq!(
        t["data"],
        json!([
            ["a", false, 2, 0.0],
            ["a", true, 4, 0.0],
            ["b", true, 4, 4.0]
        ])
    );
    let tenths = frame(&["g", "v"], json!([["b", 0.1], ["b", 0.2], ["b", 0.3]]));
    for (how, want) in [
        ("sum", 0.6),
        ("mean", 0.19999999999999998),
        ("var", 0.009999999999999995),
    ] {
        assert_eq!(
            agg(tenths.clone(), "g", how).unwrap()["data"][0][1],
            json!(want),
            "{how}"
        );
    }
    // Keys of different kinds cannot be sorted: groups stay in order of appearance.
    let mixed = frame(&["k", "v"], json!([[2, 1], ["a", 2], [2, 3]]));
    assert_eq!(
        agg(mixed, "k", "sum").unwrap()["data"],
        json!([[2, 4], ["a", 2]])
    );
    let text = frame(&["k", "v"], json!([["b", 1], ["B", 2], ["a", 3], ["é", 4]]));
    assert_eq!(
        agg(text, "k", "sum").unwrap()["data"],
        json!([["B", 2], ["a", 3], ["b", 1], ["é", 4]])
    );
    let lists = frame(&["k", "v"], json!([[1, [1]], [1, [2]], [2, "x"], [2, 3]]));
    assert_eq!(
        agg(lists.clone(), "k", "sum"),
        Err("can only concatenate str (not \"int\") to str".into())
    );
    let lists = frame(&["k", "v"], json!([[1, [1]], [1, [2]]]));
    assert_eq!(
        agg(lists, "k", "sum").unwrap()["data"],
        json!([[1, [1, 2]]])
    );
    let wrap = frame(
        &["k", "v"],
        json!([[1, 4611686018427387904i64], [1, 4611686018427387904i64]]),
    );
    assert_eq!(
        agg(wrap, "k", "sum").unwrap()["data"],
        json!([[1, i64::MIN]])
    );
    assert_eq!(
        agg(grouped(), "g", "foo"),
        Err("Unknown aggregation function: foo".into())
    );
    assert!(
        agg(grouped(), "zz", "sum")
            .unwrap_err()
            .starts_with("KeyError: 'zz'")
    );
    assert!(
        agg(grouped(), " g , ", "sum")
            .unwrap_err()
            .starts_with("KeyError: ''")
    );
    assert_eq!(
        agg(grouped(), "g,g", "sum"),
        Err("cannot insert g, already exists".into())
    );
}

fn pivot(df: Value, values: &str, how: &str) -> Result<Value, String> {
    run(
        "nodetool.data.Pivot",
        json!({"dataframe": df, "index": "r", "columns": "c", "values": values, "aggfunc": how}),
    )
}

#[test]
fn pivot_tables() {
    let df = frame(
        &["r", "c", "v", "i", "s"],
        json!([
            ["b", "x", 1, 1, "p"],
            ["a", "y", 2, 2, "q"],
            ["b", "y", 3, 3, "r"],
            ["a", "x", 4, 4, "s"],
            ["c", "x", null, 5, "t"]
        ]),
    );
    let t = pivot(df.clone(), "v", "sum").unwrap();
    assert_eq!(
        (names(&t), types(&t)),
        (
            vec!["r".into(), "x".into(), "y".into()],
            vec!["object".into(), "float".into(), "float".into()]
        )
    );
    assert_eq!(
        t["data"],
        json!([["a", 4.0, 2.0], ["b", 1.0, 3.0], ["c", 0.0, null]])
    );
    // Pairs whose result is missing are dropped, and rows left with nothing go too.
    assert_eq!(
        pivot(df.clone(), "v", "mean").unwrap()["data"],
        json!([["a", 4.0, 2.0], ["b", 1.0, 3.0]])
    );
    assert_eq!(
        pivot(df.clone(), "v", "count").unwrap()["data"],
        json!([["a", 1.0, 1.0], ["b", 1.0, 1.0], ["c", 0.0, null]])
    );
    let t = pivot(df.clone(), "s", "first").unwrap();
    assert_eq!(types(&t), ["object", "object", "object"]);
    assert_eq!(
        t["data"],
        json!([["a", "s", "q"], ["b", "p", "r"], ["c", "t", null]])
    );
    let full = frame(
        &["r", "c", "v"],
        json!([["a", "x", 1], ["a", "y", 2], ["b", "x", 5], ["b", "y", 6]]),
    );
    assert_eq!(
        types(&pivot(full.clone(), "v", "sum").unwrap()),
        ["object", "int", "int"]
    );
    assert_eq!(
        types(&pivot(full, "v", "mean").unwrap()),
        ["object", "float", "float"]
    );
    let numbered = frame(&["r", "c", "v"], json!([["a", 2, 1], ["a", 1, 2]]));
    let t = pivot(numbered, "v", "sum").unwrap();
    assert_eq!(
        (names(&t), t["data"].clone()),
        (
            vec!["r".into(), "1".into(), "2".into()],
            json!([["a", 2, 1]])
        )
    );
    let flags = frame(
        &["r", "c", "v"],
        json!([["a", "x", true], ["a", "y", false], ["b", "x", true]]),
    );
    assert_eq!(
        pivot(flags, "v", "max").unwrap()["data"],
        json!([["a", true, false], ["b", true, null]])
    );
    assert_eq!(
        pivot(df.clone(), "v", "median"),
        Err("Unknown aggregation function: median".into())
    );
    assert!(
        pivot(df.clone(), "", "sum")
            .unwrap_err()
            .starts_with("KeyError: ''")
    );
    assert_eq!(
        pivot(df.clone(), "r", "sum"),
        Err("Grouper for 'r' not 1-dimensional".into())
    );
    let clash = frame(&["r", "c", "v"], json!([["a", "r", 1]]));
    assert_eq!(
        pivot(clash, "v", "sum"),
        Err("cannot insert r, already exists".into())
    );
    let none = ok(
        "nodetool.data.Slice",
        json!({"dataframe": df, "start_index": 0, "end_index": 0}),
    );
    let t = pivot(none, "i", "sum").unwrap();
    assert_eq!(
        (names(&t), t["data"].clone()),
        (vec!["r".into()], json!([]))
    );
}

#[test]
fn rename_and_fill_missing() {
    let t = ok(
        "nodetool.data.Rename",
        json!({"dataframe": abc(), "rename_map": "a:x, b : y,zz:q,bad,c:p:q"}),
    );
    assert_eq!(names(&t), ["x", "y", "p:q"]);
    let unchanged = ok("nodetool.data.Rename", json!({ "dataframe": abc() }));
    assert_eq!(names(&unchanged), ["a", "b", "c"]);

    let df = frame(
        &["i", "f", "s", "t", "n"],
        json!([[1, null, "x", true, null], [2, 2.5, null, false, null]]),
    );
    let fill = |args: Value| {
        let mut a = args;
        a["dataframe"] = df.clone();
        run("nodetool.data.FillNA", a)
    };
    let t = fill(json!({})).unwrap();
    assert_eq!(types(&t), ["int", "float", "object", "object", "int"]);
    assert_eq!(
        t["data"],
        json!([[1, 0.0, "x", true, 0], [2, 2.5, 0, false, 0]])
    );
    let t = fill(json!({"value": "z"})).unwrap();
    assert_eq!(types(&t), ["int", "object", "object", "object", "object"]);
    assert_eq!(
        t["data"],
        json!([[1, "z", "x", true, "z"], [2, 2.5, "z", false, "z"]])
    );
    let t = fill(json!({"value": 1.5})).unwrap();
    assert_eq!(types(&t)[4], "float");
    let t = fill(json!({"value": {"f": 9, "s": "q", "zz": 1}})).unwrap();
    assert_eq!(
        t["data"],
        json!([[1, 9.0, "x", true, null], [2, 2.5, "q", false, null]])
    );
    let t = fill(json!({"value": 7, "columns": "f"})).unwrap();
    assert_eq!(
        t["data"],
        json!([[1, 7.0, "x", true, null], [2, 2.5, null, false, null]])
    );
    assert_eq!(
        fill(json!({"value": null})),
        Err("Must specify a fill 'value' or 'method'.".into())
    );
    assert_eq!(
        fill(json!({"value": [1]})),
        Err("\"value\" parameter must be a scalar or dict, but you passed a \"list\"".into())
    );
    let t = fill(json!({"method": "forward"})).unwrap();
    assert_eq!(
        t["data"],
        json!([[1, null, "x", true, null], [2, 2.5, "x", false, null]])
    );
    let t = fill(json!({"method": "backward"})).unwrap();
    assert_eq!(
        t["data"],
        json!([[1, 2.5, "x", true, null], [2, 2.5, null, false, null]])
    );
    assert_eq!(
        fill(json!({"method": "forward", "columns": "zz"})),
        Err("KeyError: None of [Index(['zz'], dtype='object')] are in the [columns]".into())
    );
    assert_eq!(
        fill(json!({"method": "forward", "columns": "f, zz,yy"})),
        Err("KeyError: ['zz', 'yy'] not in index".into())
    );
    assert_eq!(
        fill(json!({"method": "zero"})),
        Err("Unknown fill method: zero".into())
    );
    let gaps = frame(
        &["a", "s"],
        json!([[1.0, "x"], [null, null], [4.0, "y"], [null, "z"]]),
    );
    let fill_gaps = |method: &str| {
        ok(
            "nodetool.data.FillNA",
            json!({"dataframe": gaps, "method": method}),
        )["data"]
            .clone()
    };
    assert_eq!(
        fill_gaps("mean"),
        json!([[1.0, "x"], [2.5, null], [4.0, "y"], [2.5, "z"]])
    );
    assert_eq!(
        fill_gaps("median"),
        json!([[1.0, "x"], [2.5, null], [4.0, "y"], [2.5, "z"]])
    );
    assert!(
        run(
            "nodetool.data.FillNA",
            json!({"dataframe": gaps, "method": "mean", "columns": "q"})
        )
        .unwrap_err()
        .starts_with("KeyError: 'q'")
    );
}

#[test]
fn schema_and_filter_none() {
    assert_eq!(
        ok("nodetool.data.Schema", json!({})),
        json!({"type": "record_type", "columns": []})
    );
    let given = json!({"columns": [{"name": "age", "data_type": "int"}]});
    assert_eq!(
        ok("nodetool.data.Schema", json!({ "columns": given })),
        json!({"type": "record_type", "columns": [{"name": "age", "data_type": "int", "description": ""}]})
    );
    let bad = json!({"columns": [{"name": "age", "data_type": "number"}]});
    assert!(err("nodetool.data.Schema", json!({ "columns": bad })).contains("data_type"));

    assert_eq!(
        emitted("nodetool.data.FilterNone", json!({"value": null})),
        Ok(vec![])
    );
    assert_eq!(emitted("nodetool.data.FilterNone", json!({})), Ok(vec![]));
    assert_eq!(
        ok("nodetool.data.FilterNone", json!({"value": 0})),
        json!(0)
    );
    assert_eq!(
        ok("nodetool.data.FilterNone", json!({"value": [null]})),
        json!([null])
    );
}

#[test]
fn tables_stay_within_bounds() {
    let rows: Vec<Value> = (0..60_000).map(|i| json!([i])).collect();
    let big = frame(&["a"], json!(rows));
    assert_eq!(
        err(
            "nodetool.data.Append",
            json!({"dataframe_a": big, "dataframe_b": big})
        ),
        "the table would exceed 100000 rows"
    );
    let mut text = String::from("a\n");
    for i in 0..100_001 {
        text.push_str(&format!("{i}\n"));
    }
    assert!(
        csv(&text)
            .unwrap_err()
            .starts_with("the table would exceed")
    );
}

#[test]
fn join_row_order_follows_pandas() {
    let rows = |keys: &[i64], tag: &str| {
        let rows: Vec<Value> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| json!([k, format!("{tag}{i}")]))
            .collect();
        frame(&["k", "v"], json!(rows))
    };
    let pairs = |l: &[i64], r: &[i64]| {
        let t = ok(
            "nodetool.data.Join",
            json!({"dataframe_a": rows(l, "l"), "dataframe_b": rows(r, "r"), "join_on": "k"}),
        );
        t["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| format!("{}{}", row[1].as_str().unwrap(), row[2].as_str().unwrap()))
            .collect::<Vec<_>>()
    };
    // Left order, each row with its matches in right order...
    assert_eq!(
        pairs(&[3, 1, 1, 3], &[3, 3, 1]),
        ["l0r0", "l0r1", "l1r2", "l2r2", "l3r0", "l3r1"]
    );
    // ...except when as many pairs as left rows come out, where pandas takes a shortcut that
    // assumes one match per left row.
    assert_eq!(
        pairs(&[4, 2, -2, 1, -1, -2, -1], &[-2, 1, 4, -1, 1]),
        ["l0r2", "l2r0", "l5r0", "l3r4", "l4r3", "l3r1", "l6r3"]
    );
    // Sorted keys are merged.
    assert_eq!(pairs(&[1, 2, 3], &[1, 1, 3]), ["l0r0", "l0r1", "l2r2"]);
    // Integers and text in one object key may meet a numeric key.
    let mixed = frame(&["k", "v"], json!([[null, 1], [1, 2], ["x", 3]]));
    let floats = frame(&["k", "v"], json!([[1.0, 5], [null, 6]]));
    let t = ok(
        "nodetool.data.Join",
        json!({"dataframe_a": mixed, "dataframe_b": floats, "join_on": "k"}),
    );
    assert_eq!(t["data"], json!([[null, 1, 6], [1, 2, 5]]));
}

#[test]
fn group_keys_order_and_types_like_pandas() {
    // Keys of different kinds: numbers first, then text; `1` and `True` are one key, shown as
    // it first occurs.
    let mixed = frame(
        &["k", "v"],
        json!([[2, 1], ["b", 2], [true, 3], [1.5, 4], ["a", 5], [1, 6]]),
    );
    assert_eq!(
        agg(mixed, "k", "sum").unwrap()["data"],
        json!([[true, 9], [1.5, 4], [2, 1], ["a", 5], ["b", 2]])
    );
    // An object key of numbers comes back as numbers of one type.
    let keys = frame(&["k", "v"], json!([[1, 1], [2.5, 2], [true, 3]]));
    let t = agg(keys, "k", "sum").unwrap();
    assert_eq!(
        (types(&t)[0].clone(), t["data"].clone()),
        ("float".into(), json!([[1.0, 4], [2.5, 2]]))
    );
    // Gaps in an object column stand in as infinities for min and max, so numbers pass and
    // text fails.
    let gaps = frame(
        &["k", "v"],
        json!([["a", 1], ["a", null], ["a", true], ["b", null]]),
    );
    assert_eq!(
        agg(gaps, "k", "max").unwrap()["data"],
        json!([["a", 1], ["b", null]])
    );
    let text = frame(&["k", "v"], json!([["a", "y"], ["a", null]]));
    assert_eq!(
        agg(text, "k", "min"),
        Err("agg function failed [how->min,dtype->object]".into())
    );
    let lists = frame(&["k", "v"], json!([[[1], 1]]));
    assert_eq!(
        agg(lists, "k", "sum"),
        Err("unhashable type: 'list'".into())
    );
    // Pivot columns named by a float level read as floats.
    let df = frame(
        &["r", "c", "v"],
        json!([["a", 1, 1], ["a", 2.5, 2], ["b", true, 3]]),
    );
    let t = pivot(df, "v", "sum").unwrap();
    assert_eq!(names(&t), ["r", "1.0", "2.5"]);
}

#[test]
fn filter_follows_numpy_on_typed_columns() {
    let df = frame(
        &["b", "f", "s"],
        json!([[true, 1.5, "x"], [false, null, null]]),
    );
    let f = |c: &str| {
        run("nodetool.data.Filter", json!({"df": df, "condition": c})).map(|t| labels(&t))
    };
    assert_eq!(f("-b == False"), Ok(json!([0])));
    assert_eq!(f("b + b"), Ok(json!([0])));
    assert_eq!(
        f("b - b == 0"),
        Err(
            "numpy boolean subtract, the `-` operator, is not supported, use the bitwise_xor, \
             the `^` operator, or the logical_xor function instead."
                .into()
        )
    );
    assert_eq!(
        f("b / b > 0"),
        Err("operator 'truediv' not implemented for bool dtypes".into())
    );
    assert_eq!(f("~s"), Err("bad operand type for unary ~: 'str'".into()));
    assert!(
        f("~f")
            .unwrap_err()
            .starts_with("ufunc 'invert' not supported")
    );
    // A float column's NaN is not `None`; an object column's gap is.
    assert_eq!(f("f in [None]"), Ok(json!([])));
    assert_eq!(f("s in [None]"), Ok(json!([1])));
    // numpy compares a numeric column with an object one without skipping gaps.
    assert_eq!(
        f("f > s"),
        Err("'>' not supported between instances of 'float' and 'str'".into())
    );
    assert_eq!(
        f("s < f"),
        Err("'<' not supported between instances of 'str' and 'float'".into())
    );
    assert_eq!(
        f("1 < s"),
        Err("'>' not supported between instances of 'str' and 'int'".into())
    );
    // Float and object columns read as Python truth values; integers would be bitwise.
    assert_eq!(f("b and f"), Ok(json!([0])));
    assert_eq!(f("b | s"), Ok(json!([0])));
    let ints = frame(&["i"], json!([[1], [2]]));
    assert_eq!(
        run(
            "nodetool.data.Filter",
            json!({"df": ints, "condition": "i > 0 and i"})
        ),
        Err(
            "unsupported operand type(s) for &: 'bool' and 'int' ('and' needs True or False on \
             both sides)"
                .into()
        )
    );
    assert_eq!(
        f("s * 2 == 'xx'"),
        Err("unsupported operand type(s) for *: 'object' and \
        '<class 'int'>'"
            .into())
    );
}

#[test]
fn append_types_follow_pandas_concat() {
    let stack = |a: Value, b: Value| {
        let t = ok(
            "nodetool.data.Append",
            json!({"dataframe_a": a, "dataframe_b": b}),
        );
        (types(&t)[0].clone(), t["data"].clone())
    };
    let floats = frame(&["x"], json!([[0.5]]));
    let flags = frame(&["x"], json!([[true]]));
    let gaps = frame(&["x"], json!([[null]]));
    assert_eq!(
        stack(floats.clone(), flags.clone()),
        ("float".into(), json!([[0.5], [1.0]]))
    );
    assert_eq!(
        stack(flags, floats.clone()),
        ("object".into(), json!([[1.0], [0.5]]))
    );
    assert_eq!(
        stack(gaps, floats),
        ("float".into(), json!([[null], [0.5]]))
    );
    // Old Mac line endings.
    let t = csv("a,b\n1,2\r3,4\n").unwrap();
    assert_eq!(t["data"], json!([[1, 2], [3, 4]]));
}
