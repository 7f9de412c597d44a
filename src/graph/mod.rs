//! NodeTool workflow graphs (reference 6.2): parse, validate, order and run them.
//!
//! `compile` turns the graph JSON into a checked, topologically ordered plan; `run` executes
//! it. Everything a caller can get wrong is a `GraphError` naming the node or edge.

pub mod effects;
pub mod feed;
pub mod nodes;
pub mod pytext;
pub mod run;
pub mod template;
pub mod value;

use std::collections::{HashMap, HashSet, VecDeque};

use serde_json::{Map, Value};

use nodes::{Behaviour, Spec, prop_kind, spec};

/// Bounds on one graph and one run, so a workflow cannot take the host down.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_nodes: usize,
    pub max_edges: usize,
    /// Node executions plus emitted values, per run.
    pub max_steps: u64,
    /// Wall-clock budget of a run.
    pub max_run_micros: i64,
    /// Largest string (bytes) or list (items) a node may produce.
    pub max_value_len: usize,
}

pub const LIMITS: Limits = Limits {
    max_nodes: 1_000,
    max_edges: 5_000,
    max_steps: 100_000,
    max_run_micros: 10_000_000,
    max_value_len: 8 * 1024 * 1024,
};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    #[error("Invalid graph: {0}")]
    Malformed(String),
    #[error("Graph has {count} nodes; the limit is {max}")]
    TooManyNodes { count: usize, max: usize },
    #[error("Graph has {count} edges; the limit is {max}")]
    TooManyEdges { count: usize, max: usize },
    #[error("Duplicate node id '{0}'")]
    DuplicateNode(String),
    #[error("Edge '{edge}' refers to unknown node '{node}'")]
    UnknownNode { edge: String, node: String },
    #[error("Edge '{edge}': node '{node}' ({ty}) has no output '{handle}'")]
    UnknownOutput {
        edge: String,
        node: String,
        ty: String,
        handle: String,
    },
    #[error("Edge '{edge}': node '{node}' ({ty}) has no input '{handle}'")]
    UnknownInput {
        edge: String,
        node: String,
        ty: String,
        handle: String,
    },
    #[error("Edge '{0}' is a control edge from a node that cannot drive others (only agents can)")]
    ControlEdge(String),
    #[error("Graph has a cycle through node '{0}'")]
    Cycle(String),
    #[error("All InputNode(s) must have a non-empty name. Invalid: {0}")]
    UnnamedInputs(String),
    #[error("Multiple InputNode(s) have the same name. Duplicate names: {0}")]
    DuplicateInputs(String),
    #[error("Node '{node}' has unsupported type '{ty}'")]
    Unsupported { node: String, ty: String },
    /// Every node type of the graph that this server cannot run, each once, with why.
    #[error("This workflow uses node types this server cannot run: {}", list_cannot_run(.0))]
    CannotRun(Vec<(String, &'static str)>),
}

fn list_cannot_run(types: &[(String, &'static str)]) -> String {
    let parts: Vec<String> = types
        .iter()
        .map(|(t, why)| format!("{t} ({why})"))
        .collect();
    parts.join("; ")
}

/// A node ready to run: its spec, and its stored properties typed and with defaults filled.
#[derive(Debug, Clone)]
pub struct PlanNode {
    pub id: String,
    pub ty: String,
    pub spec: Spec,
    /// `data.name` (inputs and outputs are addressed by it).
    pub name: String,
    pub props: Map<String, Value>,
    /// Names of dynamic properties (a dynamic node's extra inputs).
    pub dynamic: Vec<String>,
    /// NodeTool's `sync_mode: "zip_all"`: pair inputs up instead of using the latest of each.
    pub zip_all: bool,
    /// Output handles the workflow declared on the node (NodeTool's `dynamic_outputs`).
    pub dynamic_outputs: Vec<String>,
    /// The node's title as shown in the editor, for naming it as a tool.
    pub title: String,
    /// Driven by another node through a control edge: it runs only when that node asks.
    pub controlled: bool,
}

/// One edge by node index.
#[derive(Debug, Clone)]
pub struct PlanEdge {
    pub source: usize,
    pub source_handle: String,
    pub target: usize,
    pub target_handle: String,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub nodes: Vec<PlanNode>,
    pub edges: Vec<PlanEdge>,
    /// Control edges: `(controller, controlled)` node indices.
    pub controls: Vec<(usize, usize)>,
    /// Node indices in dependency order.
    pub order: Vec<usize>,
}

fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

struct RawNode<'a> {
    id: &'a str,
    ty: &'a str,
    json: &'a Value,
}

struct RawEdge<'a> {
    label: String,
    control: bool,
    source: &'a str,
    source_handle: &'a str,
    target: &'a str,
    target_handle: &'a str,
}

fn raw_nodes(graph: &Value) -> Result<Vec<RawNode<'_>>, GraphError> {
    let nodes = match graph.get("nodes") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(GraphError::Malformed("'nodes' must be a list".into())),
    };
    nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let id = str_field(n, "id")
                .filter(|id| !id.is_empty())
                .ok_or_else(|| GraphError::Malformed(format!("node #{i} has no string 'id'")))?;
            if !matches!(n.get("data"), None | Some(Value::Null | Value::Object(_))) {
                return Err(GraphError::Malformed(format!(
                    "node '{id}': 'data' must be an object"
                )));
            }
            Ok(RawNode {
                id,
                ty: str_field(n, "type").unwrap_or("default"),
                json: n,
            })
        })
        .collect()
}

fn raw_edges(graph: &Value) -> Result<Vec<RawEdge<'_>>, GraphError> {
    let edges = match graph.get("edges") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(GraphError::Malformed("'edges' must be a list".into())),
    };
    edges
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let label = str_field(e, "id")
                .map(str::to_string)
                .unwrap_or_else(|| format!("#{i}"));
            let field = |k: &str| {
                str_field(e, k).ok_or_else(|| {
                    GraphError::Malformed(format!("edge '{label}' has no string '{k}'"))
                })
            };
            Ok(RawEdge {
                control: str_field(e, "edge_type") == Some("control"),
                source: field("source")?,
                source_handle: field("sourceHandle")?,
                target: field("target")?,
                target_handle: field("targetHandle")?,
                label,
            })
        })
        .collect()
}

/// Dependency order (Kahn); a leftover node sits on a cycle.
fn topological_order(n: usize, edges: &[PlanEdge]) -> Result<Vec<usize>, usize> {
    let mut indegree = vec![0usize; n];
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for e in edges {
        indegree[e.target] += 1;
        out[e.source].push(e.target);
    }
    let mut ready: VecDeque<usize> = (0..n).filter(|i| indegree[*i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(i) = ready.pop_front() {
        order.push(i);
        for &t in &out[i] {
            indegree[t] -= 1;
            if indegree[t] == 0 {
                ready.push_back(t);
            }
        }
    }
    if order.len() == n {
        Ok(order)
    } else {
        Err((0..n).find(|i| indegree[*i] > 0).unwrap_or(0))
    }
}

/// What `check` found that does not stop a save.
#[derive(Debug, Default)]
pub struct Checked {
    pub warnings: Vec<String>,
}

/// Validates a graph for saving: structure must be sound (ids, edges between existing nodes,
/// no cycles, named inputs); unsupported node types, unknown handles and control edges are
/// reported as warnings (they fail only when the workflow runs).
pub fn check(graph: &Value, limits: &Limits) -> Result<Checked, GraphError> {
    match build(graph, limits, false) {
        Ok((_, warnings)) => Ok(Checked { warnings }),
        Err(e) => Err(e),
    }
}

/// Validates a graph for running: everything must be supported.
pub fn compile(graph: &Value, limits: &Limits) -> Result<Plan, GraphError> {
    build(graph, limits, true).map(|(plan, _)| plan)
}

fn build(graph: &Value, limits: &Limits, strict: bool) -> Result<(Plan, Vec<String>), GraphError> {
    if !graph.is_object() {
        return Err(GraphError::Malformed("the graph must be an object".into()));
    }
    let raw = raw_nodes(graph)?;
    if raw.len() > limits.max_nodes {
        return Err(GraphError::TooManyNodes {
            count: raw.len(),
            max: limits.max_nodes,
        });
    }
    let raw_e = raw_edges(graph)?;
    if raw_e.len() > limits.max_edges {
        return Err(GraphError::TooManyEdges {
            count: raw_e.len(),
            max: limits.max_edges,
        });
    }

    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, n) in raw.iter().enumerate() {
        if index.insert(n.id, i).is_some() {
            return Err(GraphError::DuplicateNode(n.id.to_string()));
        }
    }

    let mut warnings = Vec::new();
    let mut specs: Vec<Option<Spec>> = Vec::with_capacity(raw.len());
    let mut cannot: Vec<(String, &'static str)> = Vec::new();
    for n in &raw {
        let s = spec(n.ty);
        if s.is_none() {
            if !cannot.iter().any(|(t, _)| t == n.ty) {
                cannot.push((n.ty.to_string(), nodes::unavailable_reason(n.ty)));
            }
            warnings.push(
                GraphError::Unsupported {
                    node: n.id.to_string(),
                    ty: n.ty.to_string(),
                }
                .to_string(),
            );
        }
        specs.push(s);
    }
    if strict && !cannot.is_empty() {
        return Err(GraphError::CannotRun(cannot));
    }

    let mut edges = Vec::with_capacity(raw_e.len());
    let mut controls = Vec::new();
    for e in &raw_e {
        let lookup = |id: &str| {
            index
                .get(id)
                .copied()
                .ok_or_else(|| GraphError::UnknownNode {
                    edge: e.label.clone(),
                    node: id.to_string(),
                })
        };
        let (s, t) = (lookup(e.source)?, lookup(e.target)?);
        // Handles and edge kinds can drift between NodeTool versions: a save only warns about
        // them (so a sync from a newer NodeTool is not refused); a run refuses them.
        if e.control {
            // An agent offers the nodes it controls to its model as tools; nothing flows
            // along the edge itself.
            if specs[s].is_some_and(|sp| sp.behaviour.drives_tools())
                && specs[t].is_none_or(|sp| sp.behaviour.usable_as_tool())
            {
                controls.push((s, t));
            } else if strict {
                return Err(GraphError::ControlEdge(e.label.clone()));
            } else {
                warnings.push(GraphError::ControlEdge(e.label.clone()).to_string());
            }
            continue;
        }
        let declared = |h: &str| dynamic_outputs(raw[s].json).iter().any(|d| d == h);
        let problem = if specs[s]
            .is_some_and(|sp| !sp.outputs.contains(&e.source_handle) && !declared(e.source_handle))
        {
            Some(GraphError::UnknownOutput {
                edge: e.label.clone(),
                node: e.source.to_string(),
                ty: raw[s].ty.to_string(),
                handle: e.source_handle.to_string(),
            })
        } else if specs[t]
            .is_some_and(|sp| !sp.dynamic && prop_kind(&sp, e.target_handle).is_none())
        {
            Some(GraphError::UnknownInput {
                edge: e.label.clone(),
                node: e.target.to_string(),
                ty: raw[t].ty.to_string(),
                handle: e.target_handle.to_string(),
            })
        } else {
            None
        };
        if let Some(p) = problem {
            if strict {
                return Err(p);
            }
            warnings.push(p.to_string());
        }
        edges.push(PlanEdge {
            source: s,
            source_handle: e.source_handle.to_string(),
            target: t,
            target_handle: e.target_handle.to_string(),
        });
    }
    let order = topological_order(raw.len(), &edges)
        .map_err(|i| GraphError::Cycle(raw[i].id.to_string()))?;

    // NodeTool checks input names when a workflow runs, and ships examples whose desktop-only
    // inputs have none: a save only warns, so a sync never fails on it.
    match check_input_names(&raw, &specs) {
        Err(e) if strict => return Err(e),
        Err(e) => warnings.push(e.to_string()),
        Ok(()) => {}
    }

    let mut nodes = Vec::with_capacity(raw.len());
    for (n, s) in raw.iter().zip(&specs) {
        // Unsupported nodes only reach here when saving; give them an inert spec.
        let spec = s.unwrap_or(Spec {
            behaviour: Behaviour::Ignored,
            props: &[],
            outputs: &[],
            dynamic: true,
        });
        nodes.push(plan_node(n, spec, &edges, &index));
    }
    for &(_, t) in &controls {
        nodes[t].controlled = true;
    }
    Ok((
        Plan {
            nodes,
            edges,
            controls,
            order,
        },
        warnings,
    ))
}

fn check_input_names(raw: &[RawNode<'_>], specs: &[Option<Spec>]) -> Result<(), GraphError> {
    let mut unnamed = Vec::new();
    let mut seen = HashSet::new();
    let mut dups = Vec::new();
    for (n, s) in raw.iter().zip(specs) {
        if !s.is_some_and(|s| s.behaviour == Behaviour::Input) {
            continue;
        }
        let name = n.json["data"]["name"].as_str().unwrap_or_default();
        if name.is_empty() {
            unnamed.push(n.id);
        } else if !seen.insert(name) && !dups.contains(&name) {
            dups.push(name);
        }
    }
    if !unnamed.is_empty() {
        return Err(GraphError::UnnamedInputs(unnamed.join(", ")));
    }
    if !dups.is_empty() {
        return Err(GraphError::DuplicateInputs(dups.join(", ")));
    }
    Ok(())
}

fn plan_node(
    n: &RawNode<'_>,
    spec: Spec,
    edges: &[PlanEdge],
    index: &HashMap<&str, usize>,
) -> PlanNode {
    let me = index[n.id];
    let mut props = Map::new();
    for (name, _, default) in spec.props {
        props.insert(
            (*name).to_string(),
            serde_json::from_str(default).unwrap_or(Value::Null),
        );
    }
    let mut dynamic = Vec::new();
    let add_dynamic = |name: &str, dynamic: &mut Vec<String>| {
        if spec.dynamic && prop_kind(&spec, name).is_none() && !dynamic.iter().any(|d| d == name) {
            dynamic.push(name.to_string());
        }
    };
    // Stored values: `null` means "not set" (the default applies); extra keys of a dynamic
    // node and its `dynamic_properties` are its dynamic inputs.
    let sources = [n.json.get("dynamic_properties"), n.json.get("data")];
    for src in sources.into_iter().flatten() {
        for (k, v) in src.as_object().into_iter().flatten() {
            if v.is_null() {
                continue;
            }
            if prop_kind(&spec, k).is_some() || spec.dynamic {
                add_dynamic(k, &mut dynamic);
                props.insert(k.clone(), v.clone());
            }
        }
    }
    for e in edges.iter().filter(|e| e.target == me) {
        add_dynamic(&e.target_handle, &mut dynamic);
    }
    // Output nodes take any handle but are not "dynamic" for templating purposes.
    if spec.behaviour == Behaviour::Output {
        dynamic.clear();
    }
    PlanNode {
        id: n.id.to_string(),
        ty: n.ty.to_string(),
        spec,
        name: n.json["data"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        props,
        dynamic,
        zip_all: str_field(n.json, "sync_mode") == Some("zip_all"),
        dynamic_outputs: dynamic_outputs(n.json),
        title: title(n),
        controlled: false,
    }
}

/// The names of a node's `dynamic_outputs` (an object keyed by output name).
fn dynamic_outputs(node: &Value) -> Vec<String> {
    match node.get("dynamic_outputs") {
        Some(Value::Object(o)) => o.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// The title the editor shows: the one the user set, else the type's class name.
fn title(n: &RawNode<'_>) -> String {
    let set = ["/ui_properties/title", "/data/title"]
        .iter()
        .find_map(|p| n.json.pointer(p).and_then(Value::as_str))
        .filter(|t| !t.trim().is_empty());
    set.unwrap_or_else(|| n.ty.rsplit('.').next().unwrap_or(n.ty))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node(id: &str, ty: &str, data: Value) -> Value {
        json!({"id": id, "type": ty, "data": data})
    }
    fn edge(s: &str, sh: &str, t: &str, th: &str) -> Value {
        json!({"id": format!("{s}-{t}"), "source": s, "sourceHandle": sh, "target": t, "targetHandle": th})
    }

    #[test]
    fn orders_and_validates() {
        let g = json!({
            "nodes": [node("out", "nodetool.output.Output", json!({"name": "r"})),
                      node("in", "nodetool.input.StringInput", json!({"name": "t"}))],
            "edges": [edge("in", "output", "out", "value")],
        });
        let plan = compile(&g, &LIMITS).unwrap();
        assert_eq!(plan.order, [1, 0]);
    }

    #[test]
    fn structural_errors_name_the_culprit() {
        let up = |id: &str| node(id, "nodetool.text.ToUppercase", json!({}));
        let cyc = json!({"nodes": [up("a"), up("b")],
            "edges": [edge("a", "output", "b", "text"), edge("b", "output", "a", "text")]});
        assert_eq!(
            compile(&cyc, &LIMITS).unwrap_err(),
            GraphError::Cycle("a".into())
        );
        let unknown = json!({"nodes": [up("a")], "edges": [edge("a", "output", "zz", "text")]});
        assert_eq!(
            compile(&unknown, &LIMITS).unwrap_err().to_string(),
            "Edge 'a-zz' refers to unknown node 'zz'"
        );
        let bad_out =
            json!({"nodes": [up("a"), up("b")], "edges": [edge("a", "out", "b", "text")]});
        assert_eq!(
            compile(&bad_out, &LIMITS).unwrap_err().to_string(),
            "Edge 'a-b': node 'a' (nodetool.text.ToUppercase) has no output 'out'"
        );
        let bad_in =
            json!({"nodes": [up("a"), up("b")], "edges": [edge("a", "output", "b", "txt")]});
        assert!(matches!(
            compile(&bad_in, &LIMITS),
            Err(GraphError::UnknownInput { .. })
        ));
        let dup = json!({"nodes": [up("a"), up("a")]});
        assert_eq!(
            compile(&dup, &LIMITS).unwrap_err(),
            GraphError::DuplicateNode("a".into())
        );
    }

    #[test]
    fn input_names_must_be_present_and_unique() {
        let i =
            |id: &str, name: &str| node(id, "nodetool.input.IntegerInput", json!({"name": name}));
        let g = json!({"nodes": [i("a", ""), i("b", "x")]});
        assert_eq!(
            compile(&g, &LIMITS).unwrap_err().to_string(),
            "All InputNode(s) must have a non-empty name. Invalid: a"
        );
        assert_eq!(
            check(&g, &LIMITS).unwrap().warnings,
            ["All InputNode(s) must have a non-empty name. Invalid: a"]
        );
        let g = json!({"nodes": [i("a", "x"), i("b", "x")]});
        assert_eq!(
            compile(&g, &LIMITS).unwrap_err().to_string(),
            "Multiple InputNode(s) have the same name. Duplicate names: x"
        );
    }

    #[test]
    fn unsupported_types_warn_on_save_and_fail_on_run_naming_each_type_once() {
        let g = json!({"nodes": [
            node("m", "huggingface.Whisper", json!({})),
            node("v", "nodetool.video.TextToVideo", json!({})),
            node("m2", "huggingface.Whisper", json!({})),
            node("x", "acme.Unheard", json!({})),
        ]});
        let checked = check(&g, &LIMITS).unwrap();
        assert_eq!(
            checked.warnings[0],
            "Node 'm' has unsupported type 'huggingface.Whisper'"
        );
        assert_eq!(checked.warnings.len(), 4);
        let e = compile(&g, &LIMITS).unwrap_err();
        assert_eq!(
            e.to_string(),
            "This workflow uses node types this server cannot run: \
             huggingface.Whisper (runs a local model, which this server does not host); \
             nodetool.video.TextToVideo (processes video, which this server does not do); \
             acme.Unheard (is not implemented on this server)"
        );
    }

    #[test]
    fn limits_are_enforced() {
        let nodes: Vec<Value> = (0..3)
            .map(|i| node(&i.to_string(), "nodetool.constant.Integer", json!({})))
            .collect();
        let small = Limits {
            max_nodes: 2,
            ..LIMITS
        };
        assert_eq!(
            compile(&json!({"nodes": nodes}), &small).unwrap_err(),
            GraphError::TooManyNodes { count: 3, max: 2 }
        );
    }
}
