//! Cases for `nodetool.list.*` and `nodetool.numbers.*`, from NodeTool's node semantics.
//! Expected values were produced by CPython 3.11 (the version NodeTool runs on), with
//! `PYTHONHASHSEED=0` where string hashes decide an order.

use serde_json::{Map, Value, json};

use super::run;

/// Every value a node emits, in order (`run` keeps one value per handle; streams need all).
fn emitted(ty: &str, props: Value) -> Result<Vec<Value>, String> {
    Ok(super::emitted(ty, props)?
        .into_iter()
        .map(|(handle, v)| {
            assert_eq!(handle, "output");
            v
        })
        .collect())
}

fn list(ty: &str, props: Value) -> Result<Value, String> {
    run(&format!("nodetool.list.{ty}"), props)
}

#[test]
fn length_counts_items() {
    assert_eq!(
        list("Length", json!({"values": [1, [2, 3], null]})),
        Ok(json!(3))
    );
    assert_eq!(list("Length", json!({})), Ok(json!(0)));
}

#[test]
fn list_range_is_pythons_range() {
    let r = |start: i64, stop: i64, step: i64| {
        list(
            "ListRange",
            json!({"start": start, "stop": stop, "step": step}),
        )
    };
    assert_eq!(r(0, 5, 1), Ok(json!([0, 1, 2, 3, 4])));
    assert_eq!(r(10, 0, -3), Ok(json!([10, 7, 4, 1])));
    assert_eq!(r(-5, 5, 4), Ok(json!([-5, -1, 3])));
    assert_eq!(r(0, -5, 1), Ok(json!([])));
    assert_eq!(list("ListRange", json!({})), Ok(json!([])));
    assert_eq!(r(0, 5, 0), Err("range() arg 3 must not be zero".into()));
    // Near the ends of the integer range nothing overflows.
    assert_eq!(
        r(i64::MAX - 2, i64::MAX, 1),
        Ok(json!([i64::MAX - 2, i64::MAX - 1]))
    );
    assert_eq!(
        r(i64::MIN, i64::MAX, i64::MAX),
        Ok(json!([i64::MIN, -1, i64::MAX - 1]))
    );
    // Refused before it is built.
    assert_eq!(
        r(0, 100_001, 1),
        Err("the list would exceed 100000 items".into())
    );
    assert_eq!(
        r(i64::MIN, i64::MAX, 1),
        Err("the list would exceed 100000 items".into())
    );
    assert_eq!(
        r(0, 100_000, 1).map(|v| v.as_array().map(Vec::len)),
        Ok(Some(100_000))
    );
}

#[test]
fn typescript_range_counts_or_ranges() {
    // Its defaults: stop -1 means "count items from 0".
    assert_eq!(
        list("Range", json!({})),
        Ok(json!([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]))
    );
    assert_eq!(list("Range", json!({"count": -3})), Ok(json!([])));
    assert_eq!(
        list("Range", json!({"start": 2, "stop": 9, "step": 3})),
        Ok(json!([2, 5, 8]))
    );
    assert_eq!(
        list("Range", json!({"start": 5, "stop": 0, "step": -2})),
        Ok(json!([5, 3, 1]))
    );
    assert_eq!(
        list("Range", json!({"stop": 3, "step": 0})),
        Err("Range step must not be zero.".into())
    );
    assert_eq!(
        list("Range", json!({"count": 5, "max_output_length": 4})),
        Err("Range would produce 5 items, exceeding max_output_length (4).".into())
    );
    assert_eq!(
        list(
            "Range",
            json!({"count": 200_000, "max_output_length": 1_000_000})
        ),
        Err("the list would exceed 100000 items".into())
    );
}

#[test]
fn generate_sequence_emits_each_value() {
    let seq = |props| emitted("nodetool.list.GenerateSequence", props);
    assert_eq!(
        seq(json!({"start": 1, "stop": 4})),
        Ok(vec![json!(1), json!(2), json!(3)])
    );
    assert_eq!(
        seq(json!({"start": 3, "stop": -3, "step": -3})),
        Ok(vec![json!(3), json!(0)])
    );
    assert_eq!(seq(json!({})), Ok(vec![]));
    assert_eq!(
        seq(json!({"stop": 3, "step": 0})),
        Err("range() arg 3 must not be zero".into())
    );
}

#[test]
fn slice_takes_stop_zero_as_the_end() {
    let v: Vec<i64> = (0..10).collect();
    let s = |start: i64, stop: i64, step: i64| {
        list(
            "Slice",
            json!({"values": v, "start": start, "stop": stop, "step": step}),
        )
    };
    assert_eq!(s(-3, 0, 1), Ok(json!([7, 8, 9])));
    assert_eq!(s(2, 5, 1), Ok(json!([2, 3, 4])));
    assert_eq!(s(0, -7, 1), Ok(json!([0, 1, 2])));
    assert_eq!(s(0, 0, 3), Ok(json!([0, 3, 6, 9])));
    assert_eq!(s(-100, 100, 2), Ok(json!([0, 2, 4, 6, 8])));
    // A negative step starts from `start` (0 here, so one item) and runs down.
    assert_eq!(s(0, 0, -1), Ok(json!([0])));
    assert_eq!(s(5, 2, -1), Ok(json!([5, 4, 3])));
    assert_eq!(s(8, 0, -3), Ok(json!([8, 5, 2])));
    assert_eq!(s(100, -100, -4), Ok(json!([9, 5, 1])));
    assert_eq!(s(3, 1, 1), Ok(json!([])));
    assert_eq!(s(i64::MIN, i64::MAX, i64::MAX), Ok(json!([0])));
    assert_eq!(s(0, 0, 0), Err("slice step cannot be zero".into()));
    assert_eq!(list("Slice", json!({"values": []})), Ok(json!([])));
}

#[test]
fn select_elements_indexes_like_python() {
    let values = json!(["a", "b", "c"]);
    assert_eq!(
        list(
            "SelectElements",
            json!({"values": values, "indices": [2, 0, -1, 0]})
        ),
        Ok(json!(["c", "a", "c", "a"]))
    );
    assert_eq!(
        list("SelectElements", json!({"values": values})),
        Ok(json!([]))
    );
    assert_eq!(
        list("SelectElements", json!({"values": values, "indices": [3]})),
        Err("list index out of range".into())
    );
    assert_eq!(
        list("SelectElements", json!({"values": values, "indices": [-4]})),
        Err("list index out of range".into())
    );
    assert_eq!(
        list(
            "SelectElements",
            json!({"values": values, "indices": [1.0]})
        ),
        Err("list indices must be integers or slices, not float".into())
    );
    assert_eq!(
        list(
            "SelectElements",
            json!({"values": values, "indices": ["1"]})
        ),
        Err("list indices must be integers or slices, not str".into())
    );
}

#[test]
fn get_element_indexes_like_python() {
    let values = json!([10, {"k": 1}, null]);
    let get = |i: i64| list("GetElement", json!({"values": values, "index": i}));
    assert_eq!(get(0), Ok(json!(10)));
    assert_eq!(get(-2), Ok(json!({"k": 1})));
    assert_eq!(get(2), Ok(json!(null)));
    assert_eq!(get(3), Err("list index out of range".into()));
    assert_eq!(get(i64::MIN), Err("list index out of range".into()));
    assert_eq!(
        list("GetElement", json!({})),
        Err("list index out of range".into())
    );
}

#[test]
fn append_and_extend() {
    assert_eq!(
        list("Append", json!({"values": [1], "value": [2, 3]})),
        Ok(json!([1, [2, 3]]))
    );
    assert_eq!(
        list("Append", json!({"values": [1], "value": null})),
        Ok(json!([1, null]))
    );
    // NodeTool's default value is an empty tuple.
    assert_eq!(list("Append", json!({})), Ok(json!([[]])));
    assert_eq!(
        list(
            "Extend",
            json!({"values": [1, 2], "other_values": ["a", [3]]})
        ),
        Ok(json!([1, 2, "a", [3]]))
    );
    assert_eq!(list("Extend", json!({})), Ok(json!([])));
    let big: Vec<i64> = vec![0; 100_000];
    assert_eq!(
        list("Append", json!({"values": big, "value": 1})),
        Err("the list would exceed 100000 items".into())
    );
    assert_eq!(
        list("Extend", json!({"values": big, "other_values": [1]})),
        Err("the list would exceed 100000 items".into())
    );
}

#[test]
fn reverse_reverses() {
    assert_eq!(
        list("Reverse", json!({"values": [1, "b", [3]]})),
        Ok(json!([[3], "b", 1]))
    );
    assert_eq!(list("Reverse", json!({})), Ok(json!([])));
}

#[test]
fn randomize_shuffles_with_the_hosts_entropy() {
    let values: Vec<i64> = (0..50).collect();
    let out = list("Randomize", json!({"values": values})).unwrap();
    let mut got: Vec<i64> = out
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert_ne!(got, values, "fixed entropy still moves items");
    got.sort();
    assert_eq!(got, values, "a permutation of the input");
    assert_eq!(list("Randomize", json!({})), Ok(json!([])));
    assert_eq!(
        list("Randomize", json!({"values": ["x"]})),
        Ok(json!(["x"]))
    );
}

#[test]
fn dedupe_returns_cpython_set_order() {
    // Small integers land in slot order, which reads as sorted.
    assert_eq!(
        list("Dedupe", json!({"values": [3, 1, 2, 3, 8, 16, -1]})),
        Ok(json!([1, 2, 3, 8, 16, -1]))
    );
    // 1, 1.0 and True are one element; the first one seen stays.
    assert_eq!(
        list(
            "Dedupe",
            json!({"values": [1, 1.0, true, 2.5, "b", "a", "é", "😀", "中"]})
        ),
        Ok(json!([1, 2.5, "é", "😀", "b", "a", "中"]))
    );
    assert_eq!(
        list(
            "Dedupe",
            json!({"values": ["apple", "banana", "cherry", "apple"]})
        ),
        Ok(json!(["banana", "apple", "cherry"]))
    );
    assert_eq!(list("Dedupe", json!({})), Ok(json!([])));
    assert_eq!(
        list("Dedupe", json!({"values": [1, [2]]})),
        Err("unhashable type: 'list'".into())
    );
    assert_eq!(
        list("Dedupe", json!({"values": [{"a": 1}]})),
        Err("unhashable type: 'dict'".into())
    );
}

#[test]
fn set_operations_follow_cpython() {
    let two = |ty: &str, a: Value, b: Value| list(ty, json!({"list1": a, "list2": b}));
    assert_eq!(
        two("Intersection", json!([5, 3, 9, 1]), json!([9, 5, 7])),
        Ok(json!([9, 5]))
    );
    // Items come from the smaller set (from the second when sizes tie).
    assert_eq!(
        two("Intersection", json!([1.0, 2]), json!([1, 2, 3])),
        Ok(json!([1.0, 2]))
    );
    assert_eq!(
        two("Intersection", json!([1, 2, 3]), json!([true])),
        Ok(json!([true]))
    );
    assert_eq!(
        two("Union", json!([1, 2, 3]), json!([3, 4, 10])),
        Ok(json!([1, 2, 3, 4, 10]))
    );
    assert_eq!(
        two("Difference", json!([10, 20, 30, 40]), json!([20, 99])),
        Ok(json!([40, 10, 30]))
    );
    // A much larger first set is copied and trimmed instead.
    let forty: Vec<i64> = (0..40).collect();
    let mut expected = forty.clone();
    expected.retain(|i| *i != 5);
    assert_eq!(
        two("Difference", json!(forty), json!([5])),
        Ok(json!(expected))
    );
    assert_eq!(two("Union", json!([]), json!([])), Ok(json!([])));
    assert_eq!(
        two("Union", json!([1]), json!([[1]])),
        Err("unhashable type: 'list'".into())
    );
}

#[test]
fn sort_orders_like_python() {
    let sort = |values: Value, order: &str| list("Sort", json!({"values": values, "order": order}));
    assert_eq!(
        sort(json!([3, 1.5, true, 2, 0]), "ascending"),
        Ok(json!([0, true, 1.5, 2, 3]))
    );
    assert_eq!(
        sort(json!([3, 1.5, true, 2, 0]), "descending"),
        Ok(json!([3, 2, 1.5, true, 0]))
    );
    // Equal items keep their order both ways.
    assert_eq!(
        sort(json!([1.0, 1, true]), "ascending"),
        Ok(json!([1.0, 1, true]))
    );
    assert_eq!(
        sort(json!([1, 1.0, true]), "descending"),
        Ok(json!([1, 1.0, true]))
    );
    // Strings by code point.
    assert_eq!(
        sort(json!(["b", "B", "a", "é", "z", "😀", "中"]), "ascending"),
        Ok(json!(["B", "a", "b", "z", "é", "中", "😀"]))
    );
    // Lists compare at their first differing item, so some mixed lists still sort.
    assert_eq!(
        sort(json!([[2, 3], [1, "a"]]), "ascending"),
        Ok(json!([[1, "a"], [2, 3]]))
    );
    assert_eq!(
        sort(json!([[1, 2], [1]]), "ascending"),
        Ok(json!([[1], [1, 2]]))
    );
    // Integers beyond 2^53 still compare exactly against floats.
    assert_eq!(
        sort(
            json!([9007199254740993i64, 9007199254740992.0]),
            "ascending"
        ),
        Ok(json!([9007199254740992.0, 9007199254740993i64]))
    );
    assert_eq!(sort(json!([]), "ascending"), Ok(json!([])));
    let long: Vec<i64> = (0..500).map(|i| (i * 7919) % 503).collect();
    let mut sorted = long.clone();
    sorted.sort();
    assert_eq!(sort(json!(long), "ascending"), Ok(json!(sorted)));
}

#[test]
fn sort_fails_where_python_does() {
    let sort = |values: Value| list("Sort", json!({"values": values}));
    let err = |a: &str, b: &str| {
        Err(format!(
            "'<' not supported between instances of '{a}' and '{b}'"
        ))
    };
    assert_eq!(sort(json!([3, "a"])), err("str", "int"));
    assert_eq!(sort(json!(["b", 1, "a"])), err("int", "str"));
    assert_eq!(sort(json!([null, 1])), err("int", "NoneType"));
    assert_eq!(sort(json!([[1, 2], [1, "a"]])), err("str", "int"));
    assert_eq!(sort(json!([{"a": 1}, {"b": 2}])), err("dict", "dict"));
    // A single item is never compared.
    assert_eq!(sort(json!([null])), Ok(json!([null])));
    assert_eq!(
        list("Sort", json!({"values": [1], "order": "up"})),
        Err("unsupported order 'up'".into())
    );
    // Deep nesting is refused, not recursed into without bound.
    let mut deep = json!(1);
    for _ in 0..300 {
        deep = json!([deep]);
    }
    assert_eq!(
        sort(json!([deep.clone(), deep])),
        Err("maximum recursion depth exceeded in comparison".into())
    );
}

#[test]
fn chunk_splits_like_nodetool() {
    let chunk = |size: i64| {
        list(
            "Chunk",
            json!({"values": [1, 2, 3, 4, 5], "chunk_size": size}),
        )
    };
    assert_eq!(chunk(2), Ok(json!([[1, 2], [3, 4], [5]])));
    assert_eq!(chunk(1), Ok(json!([[1], [2], [3], [4], [5]])));
    assert_eq!(chunk(9), Ok(json!([[1, 2, 3, 4, 5]])));
    assert_eq!(chunk(i64::MAX), Ok(json!([[1, 2, 3, 4, 5]])));
    // NodeTool does not enforce its `gt=0`: zero fails in `range()`, negative yields none.
    assert_eq!(chunk(0), Err("range() arg 3 must not be zero".into()));
    assert_eq!(chunk(-2), Ok(json!([])));
    assert_eq!(list("Chunk", json!({})), Ok(json!([])));
}

#[test]
fn sum_and_average_follow_python_311() {
    let agg = |ty: &str, values: Value| list(ty, json!({"values": values}));
    assert_eq!(agg("Sum", json!([1, 2, 3])), Ok(json!(6)));
    assert_eq!(agg("Sum", json!([1, 2.5])), Ok(json!(3.5)));
    assert_eq!(agg("Sum", json!([true, true])), Ok(json!(2)));
    // Plain left-to-right float addition (3.12 would compensate to 1.0).
    assert_eq!(
        agg("Sum", json!(vec![0.1; 10])),
        Ok(json!(0.9999999999999999))
    );
    // Integers are exact even when a running total leaves 64 bits.
    assert_eq!(
        agg("Sum", json!([i64::MAX, i64::MAX, -i64::MAX])),
        Ok(json!(i64::MAX))
    );
    assert_eq!(
        agg("Sum", json!([i64::MAX, 1])),
        Ok(json!(9223372036854775808u64))
    );
    assert_eq!(
        agg("Sum", json!([i64::MAX, i64::MAX, i64::MAX])),
        Err("integer overflow".into())
    );
    assert_eq!(agg("Average", json!([1, 2])), Ok(json!(1.5)));
    assert_eq!(
        agg("Average", json!([1, 2, 4])),
        Ok(json!(2.3333333333333335))
    );
    // Rounded once from the exact quotient, as Python's int division is.
    assert_eq!(
        agg(
            "Average",
            json!([
                4512851892790493403i64,
                1580939770444471706i64,
                3624205539173673999i64
            ])
        ),
        Ok(json!(3.2393324008028795e18))
    );
    assert_eq!(
        agg("Average", json!([2271850161202116613i64])),
        Ok(json!(2271850161202116613i64 as f64))
    );
    assert_eq!(agg("Sum", json!([])), Err("Cannot sum empty list".into()));
    assert_eq!(
        agg("Average", json!([])),
        Err("Cannot average empty list".into())
    );
    assert_eq!(
        agg("Sum", json!([1, "2"])),
        Err("All values must be numbers".into())
    );
    assert_eq!(
        agg("Average", json!([null])),
        Err("All values must be numbers".into())
    );
}

#[test]
fn product_minimum_maximum() {
    let agg = |ty: &str, values: Value| list(ty, json!({"values": values}));
    assert_eq!(agg("Product", json!([2, 3, 4])), Ok(json!(24)));
    assert_eq!(agg("Product", json!([2, 0.5])), Ok(json!(1.0)));
    // `reduce` returns a lone item as it is.
    assert_eq!(agg("Product", json!([true])), Ok(json!(true)));
    assert_eq!(
        agg("Product", json!([i64::MAX, i64::MAX, i64::MAX])),
        Err("integer overflow".into())
    );
    assert_eq!(
        agg("Product", json!([])),
        Err("Cannot calculate product of empty list".into())
    );
    // The first of equal extremes is the one returned.
    assert_eq!(agg("Minimum", json!([3, 1, 1.0, 2])), Ok(json!(1)));
    assert_eq!(agg("Maximum", json!([1, 3.0, 3, 2])), Ok(json!(3.0)));
    assert_eq!(agg("Minimum", json!([true, 1])), Ok(json!(true)));
    assert_eq!(agg("Maximum", json!([0, false])), Ok(json!(0)));
    assert_eq!(
        agg("Minimum", json!([])),
        Err("Cannot find minimum of empty list".into())
    );
    assert_eq!(
        agg("Maximum", json!([])),
        Err("Cannot find maximum of empty list".into())
    );
    assert_eq!(
        agg("Maximum", json!([1, [2]])),
        Err("All values must be numbers".into())
    );
}

#[test]
fn flatten_to_a_depth() {
    let nested = json!([[1, [2, 3]], [4, [5, [6]]], 7, []]);
    let flat = |depth: i64| list("Flatten", json!({"values": nested, "max_depth": depth}));
    assert_eq!(flat(-1), Ok(json!([1, 2, 3, 4, 5, 6, 7])));
    assert_eq!(flat(1), Ok(json!([1, [2, 3], 4, [5, [6]], 7])));
    assert_eq!(flat(2), Ok(json!([1, 2, 3, 4, 5, [6], 7])));
    assert_eq!(flat(0), Ok(nested.clone()));
    assert_eq!(flat(-2), Ok(nested.clone()));
    assert_eq!(list("Flatten", json!({})), Ok(json!([])));
    // Deep nesting needs no deep stack.
    let mut deep = Value::Array(vec![json!(1)]);
    for _ in 0..1_000 {
        deep = Value::Array(vec![deep, json!(2)]);
    }
    let mut props = Map::new();
    props.insert("values".into(), Value::Array(vec![deep]));
    let out = list("Flatten", Value::Object(props)).unwrap();
    assert_eq!(out.as_array().map(Vec::len), Some(1_001));
}

#[test]
fn filter_number_passes_matching_values() {
    let f = |value: Value, kind: &str, cmp: Value| {
        emitted(
            "nodetool.numbers.FilterNumber",
            json!({"value": value, "filter_type": kind, "compare_value": cmp}),
        )
    };
    let pass = |v: Value| Ok(vec![v]);
    assert_eq!(f(json!(5), "greater_than", json!(3)), pass(json!(5)));
    assert_eq!(f(json!(3), "greater_than", json!(3)), Ok(vec![]));
    assert_eq!(f(json!(2.5), "less_than", json!(3)), pass(json!(2.5)));
    assert_eq!(f(json!(3), "equal_to", json!(3.0)), pass(json!(3)));
    assert_eq!(f(json!(3), "equal_to", json!("3")), Ok(vec![]));
    assert_eq!(f(json!(-4), "even", json!(0)), pass(json!(-4)));
    assert_eq!(f(json!(-3), "odd", json!(0)), pass(json!(-3)));
    assert_eq!(f(json!(3.5), "odd", json!(0)), pass(json!(3.5)));
    assert_eq!(f(json!(4.0), "odd", json!(0)), Ok(vec![]));
    assert_eq!(f(json!(0), "positive", json!(0)), Ok(vec![]));
    assert_eq!(f(json!(-0.5), "negative", json!(0)), pass(json!(-0.5)));
    // `True` is an int to Python.
    assert_eq!(f(json!(true), "positive", json!(0)), pass(json!(true)));
    // Non-numbers are skipped; a missing threshold matches nothing.
    assert_eq!(f(json!("5"), "greater_than", json!(0)), Ok(vec![]));
    assert_eq!(f(json!(null), "positive", json!(0)), Ok(vec![]));
    assert_eq!(f(json!(5), "greater_than", json!(null)), Ok(vec![]));
    assert_eq!(
        f(json!(5), "greater_than", json!("a")),
        Err("'>' not supported between instances of 'int' and 'str'".into())
    );
    assert_eq!(
        f(json!(5), "bigger", json!(0)),
        Err("unsupported filter_type 'bigger'".into())
    );
    // Defaults: greater than 0.
    assert_eq!(
        emitted("nodetool.numbers.FilterNumber", json!({"value": 1})),
        pass(json!(1))
    );
}

#[test]
fn filter_number_range_checks_bounds() {
    let f = |value: Value, lo: Value, hi: Value, inclusive: bool| {
        emitted(
            "nodetool.numbers.FilterNumberRange",
            json!({"value": value, "min_value": lo, "max_value": hi, "inclusive": inclusive}),
        )
    };
    assert_eq!(f(json!(1), json!(1), json!(3), true), Ok(vec![json!(1)]));
    assert_eq!(f(json!(1), json!(1), json!(3), false), Ok(vec![]));
    assert_eq!(
        f(json!(2.5), json!(1), json!(3), false),
        Ok(vec![json!(2.5)])
    );
    assert_eq!(
        f(json!(3.0), json!(1), json!(3), true),
        Ok(vec![json!(3.0)])
    );
    assert_eq!(f(json!(4), json!(1), json!(3), true), Ok(vec![]));
    assert_eq!(f(json!("2"), json!(1), json!(3), true), Ok(vec![]));
    // Python evaluates the upper bound only when the lower one holds.
    assert_eq!(f(json!(0), json!(1), json!(null), true), Ok(vec![]));
    assert_eq!(
        f(json!(2), json!(1), json!(null), true),
        Err("'<=' not supported between instances of 'int' and 'NoneType'".into())
    );
    assert_eq!(
        f(json!(2), json!(null), json!(3), false),
        Err("'<' not supported between instances of 'NoneType' and 'int'".into())
    );
    // Defaults: the range [0, 0].
    assert_eq!(
        emitted("nodetool.numbers.FilterNumberRange", json!({"value": 0})),
        Ok(vec![json!(0)])
    );
}
