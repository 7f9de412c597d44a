use serde_json::{Map, Value, json};

use super::math::DOMAIN;
use super::*;

/// Every `(handle, value)` an operation node emits, in order, run on its defaults with `props`
/// over them. A property the node does not declare is a test mistake unless the node is dynamic;
/// a handle it does not declare is a node mistake.
pub(crate) fn emitted(ty: &str, props: Value) -> Result<Vec<(String, Value)>, String> {
    let spec = spec(ty).expect("known type");
    let Behaviour::Op(op) = spec.behaviour else {
        panic!("not an op")
    };
    let mut values = Map::new();
    for (name, _, default) in spec.props {
        values.insert((*name).into(), serde_json::from_str(default).unwrap());
    }
    let mut dynamic = Vec::new();
    for (k, v) in props.as_object().unwrap() {
        if prop_kind(&spec, k).is_none() {
            assert!(spec.dynamic, "{ty} has no property {k}");
            dynamic.push(k.clone());
        }
        values.insert(k.clone(), typed(&spec, k, v)?);
    }
    let out = op.run(&Props {
        values: &values,
        dynamic: &dynamic,
        max_len: 1 << 20,
        now_micros: 1_700_000_000_000_000,
        random: &|b: &mut [u8]| b.fill(7),
    })?;
    for (handle, _) in &out {
        assert!(spec.outputs.contains(handle), "{ty} emitted on {handle}");
    }
    Ok(out.into_iter().map(|(h, v)| (h.to_string(), v)).collect())
}

/// What a node emits: its one value, or an object by handle.
pub(crate) fn run(ty: &str, props: Value) -> Result<Value, String> {
    let out = emitted(ty, props)?;
    Ok(if out.len() == 1 {
        out[0].1.clone()
    } else {
        Value::Object(out.into_iter().collect())
    })
}

#[test]
fn math_follows_python() {
    assert_eq!(run("lib.math.Add", json!({"a": 2, "b": 3})), Ok(json!(5)));
    assert_eq!(
        run("lib.math.Add", json!({"a": 2, "b": 0.5})),
        Ok(json!(2.5))
    );
    assert_eq!(
        run("nodetool.math.Subtract", json!({"a": 2, "b": 5})),
        Ok(json!(-3))
    );
    assert_eq!(
        run("lib.math.Multiply", json!({"a": 4, "b": 2.5})),
        Ok(json!(10.0))
    );
    assert_eq!(
        run("lib.math.Divide", json!({"a": 7, "b": 2})),
        Ok(json!(3.5))
    );
    assert_eq!(
        run("lib.math.Divide", json!({"a": 6, "b": 3})),
        Ok(json!(2.0))
    );
    assert_eq!(
        run("lib.math.Divide", json!({"a": 1, "b": 0})),
        Err("division by zero".into())
    );
    assert_eq!(
        run("lib.math.Divide", json!({"a": 1.5, "b": 0})),
        Err("float division by zero".into())
    );
    assert_eq!(
        run("lib.math.Modulus", json!({"a": -7, "b": 3})),
        Ok(json!(2))
    );
    assert_eq!(
        run("lib.math.Modulus", json!({"a": 7, "b": -3})),
        Ok(json!(-2))
    );
    assert_eq!(
        run("lib.math.Modulus", json!({"a": 5.5, "b": 2})),
        Ok(json!(1.5))
    );
    assert_eq!(
        run("lib.math.Modulus", json!({"a": 1, "b": 0})),
        Err("integer modulo by zero".into())
    );
    assert_eq!(
        run("lib.math.Power", json!({"base": 2, "exponent": 10})),
        Ok(json!(1024.0))
    );
    assert_eq!(
        run("lib.math.Power", json!({"base": -8, "exponent": 0.5})),
        Err(DOMAIN.into())
    );
    assert_eq!(run("lib.math.Sqrt", json!({"x": 16})), Ok(json!(4.0)));
    assert_eq!(run("lib.math.Sqrt", json!({"x": -1})), Err(DOMAIN.into()));
    assert_eq!(
        run("lib.math.Sine", json!({"angle_rad": 0})),
        Ok(json!(0.0))
    );
    assert_eq!(
        run("lib.math.Cosine", json!({"angle_rad": 0})),
        Ok(json!(1.0))
    );
    assert_eq!(
        run("lib.math.Add", json!({"a": i64::MAX, "b": 1})),
        Err("integer overflow".into())
    );
}

#[test]
fn math_function_operations() {
    let f = |x: Value, op: &str| {
        run(
            "lib.math.MathFunction",
            json!({"input": x, "operation": op}),
        )
    };
    assert_eq!(f(json!(3), "negate"), Ok(json!(-3)));
    assert_eq!(f(json!(-2.5), "absolute"), Ok(json!(2.5)));
    assert_eq!(f(json!(3), "square"), Ok(json!(9)));
    assert_eq!(f(json!(2), "cube"), Ok(json!(8)));
    assert_eq!(f(json!(9), "square_root"), Ok(json!(3.0)));
    assert_eq!(f(json!(-8), "cube_root"), Ok(json!(-2.0)));
    assert_eq!(f(json!(0), "tangent"), Ok(json!(0.0)));
    assert_eq!(f(json!(2), "arcsin"), Err(DOMAIN.into()));
    assert_eq!(f(json!(0), "log"), Err(DOMAIN.into()));
    assert_eq!(
        f(json!(1), "arctan"),
        Ok(json!(std::f64::consts::FRAC_PI_4))
    );
    assert_eq!(
        f(json!(1), "frobnicate"),
        Err("unsupported operation 'frobnicate'".into())
    );
}

#[test]
fn text_nodes() {
    assert_eq!(
        run("nodetool.text.Concat", json!({"a": "ab", "b": "cd"})),
        Ok(json!("abcd"))
    );
    assert_eq!(
        run("nodetool.text.Concat", json!({"a": 1})),
        Err("property 'a' must be a string, got integer".into())
    );
    assert_eq!(
        run(
            "nodetool.text.Join",
            json!({"strings": ["a", 1, true, 2.0], "separator": "-"})
        ),
        Ok(json!("a-1-True-2.0"))
    );
    assert_eq!(
        run(
            "nodetool.text.Replace",
            json!({"text": "a.b.c", "old": ".", "new": "/"})
        ),
        Ok(json!("a/b/c"))
    );
    assert_eq!(
        run("nodetool.text.Split", json!({"text": "a,b,,c"})),
        Ok(json!(["a", "b", "", "c"]))
    );
    assert_eq!(
        run("nodetool.text.Split", json!({"text": "a", "delimiter": ""})),
        Err("empty separator".into())
    );
    assert_eq!(
        run("nodetool.text.ToUppercase", json!({"text": "straße"})),
        Ok(json!("STRASSE"))
    );
    assert_eq!(
        run("nodetool.text.ToLowercase", json!({"text": "ÀB"})),
        Ok(json!("àb"))
    );
    assert_eq!(
        run("nodetool.text.Length", json!({"text": "héllo"})),
        Ok(json!(5))
    );
    assert_eq!(
        run(
            "nodetool.text.Length",
            json!({"text": " a  b c ", "measure": "words"})
        ),
        Ok(json!(3))
    );
    assert_eq!(
        run(
            "nodetool.text.Length",
            json!({"text": "a\n\nb\n", "measure": "lines"})
        ),
        Ok(json!(3))
    );
    assert_eq!(
        run(
            "nodetool.text.Length",
            json!({"text": "a\n\nb\n", "measure": "lines", "trim_whitespace": true})
        ),
        Ok(json!(2))
    );
    assert_eq!(
        run(
            "nodetool.text.Contains",
            json!({"text": "Hello World", "substring": "world"})
        ),
        Ok(json!(false))
    );
    assert_eq!(
        run(
            "nodetool.text.Contains",
            json!({"text": "Hello World", "substring": "world", "case_sensitive": false})
        ),
        Ok(json!(true))
    );
    assert_eq!(
        run(
            "nodetool.text.Contains",
            json!({"text": "abc", "search_values": ["a", "z"], "match_mode": "all"})
        ),
        Ok(json!(false))
    );
    assert_eq!(
        run(
            "nodetool.text.Contains",
            json!({"text": "abc", "search_values": ["x", "z"], "match_mode": "none"})
        ),
        Ok(json!(true))
    );
    assert_eq!(
        run(
            "nodetool.text.Slice",
            json!({"text": "hello", "start": 1, "stop": 4})
        ),
        Ok(json!("ell"))
    );
    assert_eq!(
        run("nodetool.text.Slice", json!({"text": "hello"})),
        Ok(json!(""))
    );
    assert_eq!(
        run(
            "nodetool.text.Slice",
            json!({"text": "hello", "start": -1, "stop": -6, "step": -1})
        ),
        Ok(json!("olleh"))
    );
    assert_eq!(
        run(
            "nodetool.text.Slice",
            json!({"text": "hello", "start": -3, "stop": 100})
        ),
        Ok(json!("llo"))
    );
    assert_eq!(
        run("nodetool.text.Slice", json!({"text": "hello", "step": 0})),
        Err("slice step cannot be zero".into())
    );
    assert_eq!(
        run(
            "nodetool.text.ParseJSON",
            json!({"text": "{\"a\": [1, 2.5]}"})
        ),
        Ok(json!({"a": [1, 2.5]}))
    );
    assert!(
        run("nodetool.text.ParseJSON", json!({"text": "{"}))
            .unwrap_err()
            .starts_with("invalid JSON")
    );
    assert_eq!(
        run("nodetool.text.ToString", json!({"value": {"a": null}})),
        Ok(json!("{'a': None}"))
    );
    assert_eq!(
        run(
            "nodetool.text.ToString",
            json!({"value": "x", "mode": "repr"})
        ),
        Ok(json!("'x'"))
    );
    assert_eq!(
        run(
            "nodetool.text.StartsWith",
            json!({"text": "abc", "prefix": "ab"})
        ),
        Ok(json!(true))
    );
    assert_eq!(
        run(
            "nodetool.text.EndsWith",
            json!({"text": "abc", "suffix": "ab"})
        ),
        Ok(json!(false))
    );
}

#[test]
fn templates() {
    assert_eq!(
        run(
            "nodetool.text.FormatText",
            json!({"template": "Hi {{ Name|upper }} and {who}!", "name": "ann", "who": "bob"})
        ),
        Ok(json!("Hi ANN and bob!"))
    );
    assert_eq!(
        run(
            "nodetool.text.FormatText",
            json!({"template": "{{ n }} {{ flag }} {{ xs }} {{ missing }}.", "n": 2.0, "flag": true, "xs": [1, "a"]})
        ),
        Ok(json!("2.0 True [1, 'a'] ."))
    );
    assert_eq!(
        run(
            "nodetool.text.FormatText",
            json!({"template": "{{ t|truncate(9) }}", "t": "hello wonderful world"})
        ),
        Ok(json!("hello..."))
    );
    assert!(
        run("nodetool.text.FormatText", json!({"template": "{{ x "}))
            .unwrap_err()
            .starts_with("Template error")
    );
    assert_eq!(
        run(
            "nodetool.text.Template",
            json!({"string": "{{ a }}+{b}={{c}} {{ d }}", "values": {"a": 1, "b": 2}, "c": 3.0})
        ),
        Ok(json!("1+2=3.0 {{ d }}"))
    );
    assert_eq!(
        run(
            "nodetool.workflows.test_helper.FormatText",
            json!({"text": "World"})
        ),
        Ok(json!("Hello, World"))
    );
}

#[test]
fn boolean_and_control() {
    assert_eq!(
        run(
            "nodetool.boolean.Compare",
            json!({"a": 2, "b": 2.0, "comparison": "=="})
        ),
        Ok(json!(true))
    );
    assert_eq!(
        run(
            "nodetool.boolean.Compare",
            json!({"a": 1, "b": 2, "comparison": ">="})
        ),
        Ok(json!(false))
    );
    for (op, want) in [
        ("and", false),
        ("or", true),
        ("xor", true),
        ("nand", true),
        ("nor", false),
    ] {
        assert_eq!(
            run(
                "nodetool.boolean.LogicalOperator",
                json!({"a": true, "b": false, "operation": op})
            ),
            Ok(json!(want)),
            "{op}"
        );
    }
    assert_eq!(
        run("nodetool.boolean.Not", json!({"value": "yes"})),
        Ok(json!(false))
    );
    assert_eq!(
        run(
            "nodetool.boolean.ConditionalSwitch",
            json!({"condition": true, "if_true": "y", "if_false": "n"})
        ),
        Ok(json!("y"))
    );
    assert_eq!(
        run("nodetool.boolean.IsNone", json!({"value": null})),
        Ok(json!(true))
    );
    assert_eq!(run("nodetool.boolean.IsNone", json!({})), Ok(json!(false)));
    assert_eq!(
        run(
            "nodetool.boolean.IsIn",
            json!({"value": 1, "options": [1.0, 2]})
        ),
        Ok(json!(true))
    );
    assert_eq!(
        run("nodetool.boolean.All", json!({"values": [true, 1]})),
        Ok(json!(true))
    );
    assert_eq!(
        run("nodetool.boolean.Some", json!({"values": [false, 0]})),
        Ok(json!(false))
    );
    assert_eq!(
        run(
            "nodetool.control.If",
            json!({"condition": true, "value": 5})
        ),
        Ok(json!({"if_true": 5, "if_false": null}))
    );
    assert_eq!(
        run("nodetool.control.Reroute", json!({"input_value": [1]})),
        Ok(json!([1]))
    );
}

#[test]
fn unknown_types_are_none() {
    assert!(spec("nodetool.text.Frobnicate").is_none());
    assert!(spec("nodetool.constant.Frobnicate").is_none());
    assert!(spec("default").is_none());
    assert!(spec("nodetool.output.ImageOutput").is_some());
}

mod data;
mod date;
mod dictionary;
mod html;
mod images;
mod json;
mod list;
mod search;
mod sources;
mod text_more;
mod uuid;
