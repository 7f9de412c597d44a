//! Running workflows over REST (reference 4.3): JSON results, NDJSON streams, bad graphs and
//! failing runs, through the real runner.

use nodetool_edge_conformance::graph::{edge, node};
use nodetool_edge_conformance::{Profile, Target};
use serde_json::{Value, json};

fn out(name: &str) -> Value {
    node(name, "nodetool.output.Output", json!({"name": name}))
}

fn save(t: &Target, id: &str, nodes: Vec<Value>, edges: Vec<&str>) -> Value {
    let body = json!({
        "name": id, "access": "private",
        "graph": {"nodes": nodes, "edges": edges.into_iter().map(edge).collect::<Vec<_>>()},
    });
    let r = t.call(
        "PUT",
        &format!("/api/workflows/{id}"),
        body.to_string().as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

fn run(t: &Target, path: &str, body: &str) -> nodetool_edge_conformance::Reply {
    t.call("POST", path, body.as_bytes())
}

fn upper_graph(t: &Target, id: &str) {
    save(
        t,
        id,
        vec![
            node(
                "in",
                "nodetool.input.StringInput",
                json!({"name": "text", "value": "hello"}),
            ),
            node("up", "nodetool.text.ToUppercase", json!({})),
            out("result"),
        ],
        vec!["in.output->up.text", "up.output->result.value"],
    );
}

#[test]
fn seed_run_returns_the_outputs_on_both_families() {
    let Some(t) = Target::new(Profile::Static) else {
        return;
    };
    upper_graph(&t, "upper");
    let r = run(&t, "/workflows/upper/run", "{}");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json(), json!({"result": "HELLO"}));

    let r = run(
        &t,
        "/api/workflows/upper/run",
        r#"{"params": {"text": "edge"}}"#,
    );
    assert_eq!(r.json(), json!({"result": "EDGE"}));
    // An empty body is no params.
    assert_eq!(
        run(&t, "/api/workflows/upper/run", "").json(),
        json!({"result": "HELLO"})
    );
}

#[test]
fn nodetool_test_helper_graph_runs() {
    let Some(t) = Target::new(Profile::Local) else {
        return;
    };
    save(
        &t,
        "helper",
        vec![node(
            "out",
            "nodetool.workflows.test_helper.StringOutput",
            json!({"name": "result", "value": "ok"}),
        )],
        vec![],
    );
    let r = run(&t, "/api/workflows/helper/run", "{}");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json(), json!({"result": "ok"}));
}

#[test]
fn streaming_gives_ndjson_ending_in_job_completed() {
    let Some(t) = Target::new(Profile::Static) else {
        return;
    };
    upper_graph(&t, "upper");
    let r = run(
        &t,
        "/api/workflows/upper/run?stream=true",
        r#"{"params":{"text":"ab"}}"#,
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/x-ndjson"));
    let text = r.text();
    // NodeTool's own e2e test matches this text.
    assert!(text.contains(r#""type": "job_completed""#), "{text}");
    assert!(text.contains(r#""type": "output_update""#), "{text}");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["type"], "job_update");
    assert_eq!(lines[0]["status"], "running");
    let job_id = lines[0]["job_id"].as_str().unwrap();
    assert_eq!(job_id.len(), 32);
    let output = lines.iter().find(|l| l["type"] == "output_update").unwrap();
    assert_eq!(output["node_name"], "result");
    assert_eq!(output["value"], "AB");
    assert_eq!(output["output_type"], "str");
    assert_eq!(output["workflow_id"], "upper");
    assert!(
        lines.iter().any(|l| l["type"] == "node_update"
            && l["node_id"] == "up"
            && l["status"] == "completed")
    );
    let done = &lines[lines.len() - 2];
    assert_eq!(done["status"], "completed");
    assert_eq!(done["result"], json!({"result": ["AB"]}));
    let last = lines.last().unwrap();
    assert_eq!(last["type"], "job_completed");
    assert_eq!(last["job_id"], job_id);
}

/// One graph with every built-in family; the expected values are what NodeTool's Python nodes
/// compute for the same inputs.
#[test]
fn every_node_family_gives_nodetools_values() {
    let Some(t) = Target::new(Profile::Static) else {
        return;
    };
    let nodes = vec![
        node(
            "name",
            "nodetool.input.StringInput",
            json!({"name": "name", "value": "world"}),
        ),
        node(
            "n",
            "nodetool.input.IntegerInput",
            json!({"name": "n", "value": 7}),
        ),
        node(
            "x",
            "nodetool.input.FloatInput",
            json!({"name": "x", "value": 2.0}),
        ),
        node(
            "flag",
            "nodetool.input.BooleanInput",
            json!({"name": "flag", "value": true}),
        ),
        node("csv", "nodetool.constant.String", json!({"value": "a,b,c"})),
        node("four", "nodetool.constant.Integer", json!({"value": 4})),
        node("quarter", "nodetool.constant.Float", json!({"value": 2.25})),
        node("no", "nodetool.constant.Bool", json!({"value": false})),
        node(
            "nums",
            "nodetool.constant.List",
            json!({"value": [3, 1, 2]}),
        ),
        node("obj", "nodetool.constant.Dict", json!({"value": {"a": 1}})),
        // text
        json!({"id": "greet", "type": "nodetool.text.FormatText",
               "data": {"template": "Hello, {{ NAME|upper }}! {n} items"}}),
        json!({"id": "tmpl", "type": "nodetool.text.Template", "data": {"string": "{{ who }} has {count}"}}),
        node("concat", "nodetool.text.Concat", json!({"b": " :)"})),
        node("lower", "nodetool.text.ToLowercase", json!({})),
        node(
            "replace",
            "nodetool.text.Replace",
            json!({"old": "items", "new": "things"}),
        ),
        node("split", "nodetool.text.Split", json!({"delimiter": ","})),
        node("join", "nodetool.text.Join", json!({"separator": "+"})),
        node("length", "nodetool.text.Length", json!({})),
        node(
            "contains",
            "nodetool.text.Contains",
            json!({"substring": "EDGE", "case_sensitive": false}),
        ),
        node(
            "slice",
            "nodetool.text.Slice",
            json!({"start": 0, "stop": 5}),
        ),
        node(
            "parse",
            "nodetool.text.ParseJSON",
            json!({"text": "{\"k\": [1, 2.5]}"}),
        ),
        // math, both type-string families
        node("add", "lib.math.Add", json!({})),
        node("sub", "nodetool.math.Subtract", json!({})),
        node("mul", "lib.math.Multiply", json!({"b": 3})),
        node("div", "lib.math.Divide", json!({"b": 2})),
        node("mod", "lib.math.Modulus", json!({})),
        node("pow", "lib.math.Power", json!({"base": 2})),
        node("sqrt", "lib.math.Sqrt", json!({})),
        node("sin", "lib.math.Sine", json!({"angle_rad": 0})),
        node("cos", "nodetool.math.Cosine", json!({"angle_rad": 0})),
        node(
            "square",
            "lib.math.MathFunction",
            json!({"operation": "square"}),
        ),
        // boolean
        node(
            "cmp",
            "nodetool.boolean.Compare",
            json!({"b": 11, "comparison": "=="}),
        ),
        node(
            "xor",
            "nodetool.boolean.LogicalOperator",
            json!({"operation": "xor"}),
        ),
        node("not", "nodetool.boolean.Not", json!({})),
        node(
            "switch",
            "nodetool.boolean.ConditionalSwitch",
            json!({"if_true": "on", "if_false": "off"}),
        ),
        node("isnone", "nodetool.boolean.IsNone", json!({})),
        // control
        node("if", "nodetool.control.If", json!({})),
        node("reroute", "nodetool.control.Reroute", json!({})),
        node("each", "nodetool.control.ForEach", json!({})),
        node("each_up", "nodetool.text.ToUppercase", json!({})),
        node("collect", "nodetool.control.Collect", json!({})),
        // NodeTool's test helpers
        node(
            "helper",
            "nodetool.workflows.test_helper.FormatText",
            json!({}),
        ),
        // editor furniture is ignored
        node(
            "note",
            "nodetool.workflows.base_node.Comment",
            json!({"headline": "hi"}),
        ),
        node("peek", "nodetool.workflows.base_node.Preview", json!({})),
    ];
    let mut nodes = nodes;
    let outputs = [
        "o_greet",
        "o_tmpl",
        "o_replace",
        "o_join",
        "o_length",
        "o_contains",
        "o_slice",
        "o_parse",
        "o_add",
        "o_sub",
        "o_mul",
        "o_div",
        "o_mod",
        "o_pow",
        "o_sqrt",
        "o_sin",
        "o_cos",
        "o_square",
        "o_cmp",
        "o_xor",
        "o_not",
        "o_switch",
        "o_isnone",
        "o_reroute",
        "o_collect",
        "o_helper",
        "o_obj",
        "o_nums",
        "o_no",
    ];
    for o in outputs {
        nodes.push(out(o));
    }
    // An older typed output type.
    nodes.push(node(
        "o_typed",
        "nodetool.output.StringOutput",
        json!({"name": "o_typed"}),
    ));
    let edges = vec![
        "name.output->greet.name",
        "n.output->greet.n",
        "greet.output->o_greet.value",
        "name.output->tmpl.who",
        "n.output->tmpl.count",
        "tmpl.output->o_tmpl.value",
        "greet.output->concat.a",
        "concat.output->lower.text",
        "lower.output->replace.text",
        "replace.output->o_replace.value",
        "csv.output->split.text",
        "split.output->join.strings",
        "join.output->o_join.value",
        "replace.output->length.text",
        "length.output->o_length.value",
        "replace.output->contains.text",
        "contains.output->o_contains.value",
        "replace.output->slice.text",
        "slice.output->o_slice.value",
        "parse.output->o_parse.value",
        "n.output->add.a",
        "x.output->add.b",
        "add.output->o_add.value",
        "n.output->sub.a",
        "four.output->sub.b",
        "sub.output->o_sub.value",
        "sub.output->mul.a",
        "mul.output->o_mul.value",
        "mul.output->div.a",
        "div.output->o_div.value",
        "mul.output->mod.a",
        "four.output->mod.b",
        "mod.output->o_mod.value",
        "sub.output->pow.exponent",
        "pow.output->o_pow.value",
        "quarter.output->sqrt.x",
        "sqrt.output->o_sqrt.value",
        "sin.output->o_sin.value",
        "cos.output->o_cos.value",
        "sub.output->square.input",
        "square.output->o_square.value",
        "add.output->cmp.a",
        "cmp.output->o_cmp.value",
        "cmp.output->xor.a",
        "flag.output->xor.b",
        "xor.output->o_xor.value",
        "xor.output->not.value",
        "not.output->o_not.value",
        "not.output->switch.condition",
        "switch.output->o_switch.value",
        "flag.output->if.condition",
        "name.output->if.value",
        "if.if_false->isnone.value",
        "isnone.output->o_isnone.value",
        "if.if_true->reroute.input_value",
        "reroute.output->o_reroute.value",
        "split.output->each.input_list",
        "each.output->each_up.text",
        "each_up.output->collect.input_item",
        "collect.output->o_collect.value",
        "name.output->helper.text",
        "helper.output->o_helper.value",
        "obj.output->o_obj.value",
        "nums.output->o_nums.value",
        "no.output->o_no.value",
        "tmpl.output->o_typed.value",
        "greet.output->peek.value",
    ];
    let saved = save(&t, "families", nodes, edges);
    assert!(saved.get("warnings").is_none(), "{saved}");
    assert_eq!(
        saved["input_schema"]["required"],
        json!(["name", "n", "x", "flag"])
    );

    let r = run(
        &t,
        "/api/workflows/families/run",
        r#"{"params": {"name": "Edge", "n": "9"}}"#,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({
            "o_greet": "Hello, EDGE! 9 items",
            "o_tmpl": "Edge has 9",
            "o_typed": "Edge has 9",
            "o_replace": "hello, edge! 9 things :)",
            "o_join": "a+b+c",
            "o_length": 24,
            "o_contains": true,
            "o_slice": "hello",
            "o_parse": {"k": [1, 2.5]},
            "o_add": 11.0,
            "o_sub": 5,
            "o_mul": 15,
            "o_div": 7.5,
            "o_mod": 3,
            "o_pow": 32.0,
            "o_sqrt": 1.5,
            "o_sin": 0.0,
            "o_cos": 1.0,
            "o_square": 25,
            "o_cmp": true,
            "o_xor": false,
            "o_not": true,
            "o_switch": "on",
            "o_isnone": true,
            "o_reroute": "Edge",
            "o_collect": ["A", "B", "C"],
            "o_helper": "Hello, Edge",
            "o_obj": {"a": 1},
            "o_nums": [3, 1, 2],
            "o_no": false,
        })
    );
    // Ints stay ints and floats stay floats on the wire.
    let text = r.text();
    assert!(
        text.contains(r#""o_add":11.0"#) && text.contains(r#""o_sub":5,"#),
        "{text}"
    );
}

#[test]
fn bad_graphs_are_refused_naming_the_node() {
    let Some(t) = Target::new(Profile::Static) else {
        return;
    };
    let put = |id: &str, graph: Value| {
        let body = json!({"name": id, "access": "private", "graph": graph});
        t.call(
            "PUT",
            &format!("/api/workflows/{id}"),
            body.to_string().as_bytes(),
        )
    };
    let up = |id: &str| node(id, "nodetool.text.ToUppercase", json!({}));
    let cases = [
        (
            json!({"nodes": [up("a"), up("b")], "edges": [edge("a.output->b.text"), edge("b.output->a.text")]}),
            "Graph has a cycle through node 'a'",
        ),
        (
            json!({"nodes": [up("a")], "edges": [edge("a.output->ghost.text")]}),
            "Edge 'a.output->ghost.text' refers to unknown node 'ghost'",
        ),
        (
            json!({"nodes": [up("a"), up("a")]}),
            "Duplicate node id 'a'",
        ),
        (
            json!({"nodes": [{"type": "nodetool.text.Concat"}]}),
            "Invalid graph: node #0 has no string 'id'",
        ),
    ];
    for (i, (graph, detail)) in cases.into_iter().enumerate() {
        let r = put(&format!("bad{i}"), graph);
        assert_eq!(r.status, 400, "{detail}: {}", r.text());
        assert_eq!(r.detail(), detail);
        assert_eq!(
            t.get(&format!("/api/workflows/bad{i}")).status,
            404,
            "not stored"
        );
    }

    // Input nodes without a name or sharing one: saved with a warning (NodeTool checks them
    // when a workflow runs, and ships examples with unnamed desktop-only inputs), refused at run.
    let named = [
        (
            json!({"nodes": [
                node("i1", "nodetool.input.IntegerInput", json!({"name": "k"})),
                node("i2", "nodetool.input.FloatInput", json!({"name": "k"}))]}),
            "Multiple InputNode(s) have the same name. Duplicate names: k",
        ),
        (
            json!({"nodes": [node("i1", "nodetool.input.IntegerInput", json!({}))]}),
            "All InputNode(s) must have a non-empty name. Invalid: i1",
        ),
    ];
    for (i, (graph, detail)) in named.into_iter().enumerate() {
        let r = put(&format!("names{i}"), graph);
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["warnings"], json!([detail]));
        let r = run(&t, &format!("/workflows/names{i}/run"), "{}");
        assert_eq!(r.status, 400);
        assert_eq!(r.detail(), detail);
    }

    // A handle the node does not have is saved with a warning, and refused at run time.
    let r = put(
        "handles",
        json!({"nodes": [up("a"), up("b")], "edges": [edge("a.result->b.text")]}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let warning =
        "Edge 'a.result->b.text': node 'a' (nodetool.text.ToUppercase) has no output 'result'";
    assert_eq!(r.json()["warnings"], json!([warning]));
    let r = run(&t, "/workflows/handles/run", "{}");
    assert_eq!(r.status, 400);
    assert_eq!(r.detail(), warning);

    // An unsupported type is saved with a warning; the run is refused with 422 naming each
    // type this server cannot run, and why.
    let r = put(
        "later",
        json!({"nodes": [
            node("whisper", "huggingface.automatic_speech_recognition.Whisper", json!({})),
            node("clip", "nodetool.video.TextToVideo", json!({})),
            out("r"),
        ]}),
    );
    assert_eq!(r.status, 200);
    let warning =
        "Node 'whisper' has unsupported type 'huggingface.automatic_speech_recognition.Whisper'";
    assert_eq!(r.json()["warnings"][0], json!(warning));
    let r = run(&t, "/workflows/later/run", "{}");
    assert_eq!(r.status, 422);
    assert_eq!(
        r.detail(),
        "This workflow uses node types this server cannot run: \
         huggingface.automatic_speech_recognition.Whisper (runs a local model, which this server \
         does not host); nodetool.video.TextToVideo (processes video, which this server does not do)"
    );
}

#[test]
fn failing_runs_are_clear() {
    let Some(t) = Target::new(Profile::Static) else {
        return;
    };
    save(
        &t,
        "divide",
        vec![
            node(
                "a",
                "nodetool.input.IntegerInput",
                json!({"name": "a", "value": 1}),
            ),
            node(
                "b",
                "nodetool.input.IntegerInput",
                json!({"name": "b", "value": 2}),
            ),
            node("div", "lib.math.Divide", json!({})),
            out("q"),
        ],
        vec!["a.output->div.a", "b.output->div.b", "div.output->q.value"],
    );
    let path = "/api/workflows/divide/run";
    assert_eq!(
        run(&t, path, r#"{"params":{"a":3}}"#).json(),
        json!({"q": 1.5})
    );

    let r = run(&t, path, r#"{"params":{"b":0}}"#);
    assert_eq!(r.status, 422);
    assert_eq!(
        r.detail(),
        "Node 'div' (lib.math.Divide) failed: division by zero"
    );

    let r = run(&t, path, r#"{"params":{"a":"three"}}"#);
    assert_eq!(r.status, 422);
    assert_eq!(r.detail(), "Input 'a' must be an integer, got string");

    // The stream reports failures in-band, ending with job_failed.
    let r = run(&t, &format!("{path}?stream=1"), r#"{"params":{"b":0}}"#);
    assert_eq!(r.status, 200);
    let lines: Vec<Value> = r
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let last = lines.last().unwrap();
    assert_eq!(last["type"], "job_failed");
    assert_eq!(
        last["error"],
        "Node 'div' (lib.math.Divide) failed: division by zero"
    );
    assert!(
        lines
            .iter()
            .any(|l| l["type"] == "node_update" && l["status"] == "error")
    );
    assert!(
        lines
            .iter()
            .any(|l| l["type"] == "job_update" && l["status"] == "failed")
    );

    // Malformed requests.
    let r = run(&t, path, "{");
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["errors"][0]["type"], "json_invalid");
    let r = run(&t, path, r#"{"params": [1]}"#);
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["errors"][0]["loc"], json!(["body", "params"]));

    // Missing workflows and wrong methods.
    let r = run(&t, "/api/workflows/nope/run", "{}");
    assert_eq!(r.status, 404);
    assert_eq!(r.detail(), "Workflow not found");
    let r = t.get(path);
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("POST"));
    // Without a token, nothing is revealed.
    assert_eq!(t.anon("POST", path, &[], b"{}").status, 401);
}

#[test]
fn runs_are_bounded() {
    let Some(t) = Target::new(Profile::Static) else {
        return;
    };
    // 60,000 items through ForEach is 120,000 emissions: over the step budget.
    let items: Vec<u32> = (0..60_000).collect();
    save(
        &t,
        "huge",
        vec![
            node("l", "nodetool.constant.List", json!({"value": items})),
            node("each", "nodetool.control.ForEach", json!({})),
            node("c", "nodetool.control.Collect", json!({})),
            out("r"),
        ],
        vec![
            "l.output->each.input_list",
            "each.output->c.input_item",
            "c.output->r.value",
        ],
    );
    let r = run(&t, "/api/workflows/huge/run", "{}");
    assert_eq!(r.status, 422);
    assert_eq!(r.detail(), "Run stopped: it exceeded 100000 steps");

    // Text that doubles at every step stops at the size limit, not at the memory cap.
    let mut nodes = vec![node(
        "s",
        "nodetool.constant.String",
        json!({"value": "0123456789abcdef"}),
    )];
    let mut edges = Vec::new();
    let mut prev = "s".to_string();
    for i in 0..30 {
        let id = format!("c{i}");
        nodes.push(node(&id, "nodetool.text.Concat", json!({})));
        edges.push(format!("{prev}.output->{id}.a"));
        edges.push(format!("{prev}.output->{id}.b"));
        prev = id;
    }
    save(
        &t,
        "doubling",
        nodes,
        edges.iter().map(String::as_str).collect(),
    );
    let r = run(&t, "/api/workflows/doubling/run", "{}");
    assert_eq!(r.status, 422);
    assert!(r.detail().contains("is too large"), "{}", r.detail());
    // The server is fine afterwards.
    assert_eq!(t.get("/health").status, 200);
}
