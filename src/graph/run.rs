//! Runs a compiled plan: values travel along edges as events in FIFO order, so a `ForEach`
//! drives its downstream nodes once per item and `Collect` gathers them when its inputs end.
//!
//! Firing rule (NodeTool's default `on_any`): a node runs once every connected input has a
//! value, and again whenever any of them receives a new one. `zip_all` nodes instead take one
//! value from each input per run (an input whose source has finished keeps its last value).
//! A `null` arriving on a typed property (as `If` sends down its untaken branch) is passed on
//! as `null` without running the node.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;

use serde_json::{Map, Value, json};

use super::effects::{self, Call};
use super::nodes::{Behaviour, Props, prop_kind, typed};
use super::value::{Kind, coerce, py_str};
use super::{Limits, Plan};

/// Why a run stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    #[error("Input '{name}' {message}")]
    Param { name: String, message: String },
    #[error("Node '{node}' ({ty}) failed: {message}")]
    Node {
        node: String,
        ty: String,
        message: String,
    },
    #[error("{0}")]
    Budget(String),
}

/// The messages that end a failed run, in the order a run stream carries them. A host that
/// stops a run mid-stream (a limit of its instance) ends the stream with the same.
pub fn failure_messages(text: &str) -> [Value; 3] {
    [
        json!({"type": "error", "message": text}),
        json!({"type": "job_update", "status": "failed", "error": text}),
        json!({"type": "job_failed", "error": text}),
    ]
}

/// Names the run in a message as NodeTool does: every message its workflow, a job message
/// (`job_update`, `job_completed`, ...) its job too.
pub fn stamp(m: &mut Value, job_id: &str, workflow_id: &str) {
    if m["type"].as_str().is_some_and(|t| t.starts_with("job_")) {
        m["job_id"] = json!(job_id);
    }
    m["workflow_id"] = json!(workflow_id);
}

/// Per-run settings.
pub struct RunSpec<'a> {
    pub job_id: &'a str,
    pub workflow_id: &'a str,
    pub limits: Limits,
    /// Record the NDJSON message stream (reference 4.3), not only the result.
    pub messages: bool,
    pub now_micros: &'a dyn Fn() -> i64,
    /// Fills a buffer with random bytes (UUIDs, shuffles), from the host's entropy.
    pub random: &'a dyn Fn(&mut [u8]),
    /// Where messages go as they happen (a streamed answer); without one they are kept in
    /// [`Outcome::messages`]. With a sink the run also pauses after each step that sent one,
    /// so whoever polls it can pass them on before the next.
    pub sink: Option<&'a dyn Fn(Value)>,
}

pub use super::effects::{Effects, NoEffects};

pub struct Outcome {
    /// The last value of each output, by output name.
    pub result: Result<Map<String, Value>, RunError>,
    pub messages: Vec<Value>,
}

/// Pending once (asking to be polled again at once), then ready.
struct YieldNow(bool);

impl std::future::Future for YieldNow {
    type Output = ();

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            return std::task::Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}

enum Event {
    Deliver(usize, Value),
    Close(usize),
}

#[derive(Default)]
struct NodeState {
    latest: Map<String, Value>,
    queues: HashMap<String, VecDeque<Value>>,
    open_by_handle: HashMap<String, usize>,
    open: usize,
    fired: bool,
    received: bool,
    collected: Vec<Value>,
}

struct Engine<'a, E> {
    plan: &'a Plan,
    effects: &'a E,
    /// Time spent waiting on effects, which the run's time budget does not count.
    waited: i64,
    params: &'a Map<String, Value>,
    spec: &'a RunSpec<'a>,
    out_edges: Vec<Vec<usize>>,
    states: Vec<NodeState>,
    queue: VecDeque<Event>,
    steps: u64,
    bytes: usize,
    started: i64,
    result: Map<String, Value>,
    all: Map<String, Value>,
    messages: Vec<Value>,
    /// Messages went to the sink since the run last paused.
    unflushed: bool,
}

/// Bytes a value roughly occupies, to bound what a run copies around.
fn approx_size(v: &Value) -> usize {
    match v {
        Value::String(s) => s.len() + 24,
        Value::Array(a) => 24 + a.iter().map(approx_size).sum::<usize>(),
        Value::Object(o) => {
            24 + o
                .iter()
                .map(|(k, v)| k.len() + approx_size(v))
                .sum::<usize>()
        }
        _ => 16,
    }
}

/// NodeTool's `output_type` names (Python type names).
fn output_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "none",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// Total bytes copied along edges in one run.
const MAX_RUN_BYTES: usize = 128 * 1024 * 1024;
/// The output a model node streams while it runs (NodeTool's `Chunk`s).
const STREAMED_HANDLE: &str = "chunk";
/// Longest list a node may produce.
const MAX_LIST_ITEMS: usize = 100_000;

/// Checks every param that names an input node converts to that input's type, so a bad
/// request is refused before a run starts.
pub fn check_params(plan: &Plan, params: &Map<String, Value>) -> Result<(), RunError> {
    for node in &plan.nodes {
        if node.spec.behaviour != Behaviour::Input {
            continue;
        }
        if let Some(p) = params.get(&node.name) {
            typed(&node.spec, "value", p).map_err(|m| param_error(&node.name, m))?;
        }
    }
    Ok(())
}

fn param_error(name: &str, message: String) -> RunError {
    RunError::Param {
        name: name.to_string(),
        message: message.trim_start_matches("property 'value' ").to_string(),
    }
}

pub async fn run<E: Effects>(
    plan: &Plan,
    params: &Map<String, Value>,
    spec: &RunSpec<'_>,
    effects: &E,
) -> Outcome {
    let mut out_edges = vec![Vec::new(); plan.nodes.len()];
    let mut states: Vec<NodeState> = plan.nodes.iter().map(|_| NodeState::default()).collect();
    for (i, e) in plan.edges.iter().enumerate() {
        out_edges[e.source].push(i);
        let st = &mut states[e.target];
        st.open += 1;
        *st.open_by_handle
            .entry(e.target_handle.clone())
            .or_default() += 1;
    }
    let mut engine = Engine {
        plan,
        effects,
        waited: 0,
        params,
        spec,
        out_edges,
        states,
        queue: VecDeque::new(),
        steps: 0,
        bytes: 0,
        started: (spec.now_micros)(),
        result: Map::new(),
        all: Map::new(),
        messages: Vec::new(),
        unflushed: false,
    };
    engine.message(json!({"type": "job_update", "status": "running"}));
    let result = engine.drive().await;
    engine.finish_job(result)
}

impl<E: Effects> Engine<'_, E> {
    fn message(&mut self, mut m: Value) {
        if !self.spec.messages {
            return;
        }
        stamp(&mut m, self.spec.job_id, self.spec.workflow_id);
        match self.spec.sink {
            Some(sink) => {
                sink(m);
                self.unflushed = true;
            }
            None => self.messages.push(m),
        }
    }

    fn node_update(&mut self, n: usize, status: &str, error: Option<&str>) {
        if !self.spec.messages {
            return;
        }
        let node = &self.plan.nodes[n];
        let mut m = json!({
            "type": "node_update",
            "node_id": node.id,
            "node_name": node.ty.rsplit('.').next().unwrap_or_default(),
            "node_type": node.ty,
            "status": status,
        });
        if let Some(e) = error {
            m["error"] = json!(e);
        }
        self.message(m);
    }

    fn finish_job(mut self, result: Result<(), RunError>) -> Outcome {
        match &result {
            Ok(()) => {
                let secs = ((self.spec.now_micros)() - self.started) as f64 / 1e6;
                let all = std::mem::take(&mut self.all);
                let msg = format!("Workflow {} completed", self.spec.job_id);
                self.message(json!({
                    "type": "job_update", "status": "completed", "result": all,
                    "message": msg, "duration": secs,
                }));
                self.message(json!({"type": "job_completed"}));
            }
            Err(e) => {
                for m in failure_messages(&e.to_string()) {
                    self.message(m);
                }
            }
        }
        Outcome {
            result: result.map(|()| self.result),
            messages: self.messages,
        }
    }

    async fn drive(&mut self) -> Result<(), RunError> {
        for &n in &self.plan.order {
            if self.states[n].open == 0 {
                self.activate(n).await?;
                self.finish_node(n)?;
                self.flush().await;
            }
        }
        while let Some(ev) = self.queue.pop_front() {
            match ev {
                Event::Deliver(e, v) => self.deliver(e, v).await?,
                Event::Close(e) => self.close(e).await?,
            }
            self.flush().await;
        }
        Ok(())
    }

    /// Lets the poller pass on what the sink got (see [`RunSpec::sink`]).
    async fn flush(&mut self) {
        if std::mem::take(&mut self.unflushed) {
            YieldNow(false).await;
        }
    }

    fn tick(&mut self) -> Result<(), RunError> {
        self.steps += 1;
        let limits = &self.spec.limits;
        if self.steps > limits.max_steps {
            return Err(RunError::Budget(format!(
                "Run stopped: it exceeded {} steps",
                limits.max_steps
            )));
        }
        if self.steps.is_multiple_of(64)
            && (self.spec.now_micros)() - self.started - self.waited > limits.max_run_micros
        {
            return Err(RunError::Budget(format!(
                "Run stopped: it exceeded its time budget of {} ms",
                limits.max_run_micros / 1000
            )));
        }
        Ok(())
    }

    fn node_error(&mut self, n: usize, message: String) -> RunError {
        self.node_update(n, "error", Some(&message));
        let node = &self.plan.nodes[n];
        RunError::Node {
            node: node.id.clone(),
            ty: node.ty.clone(),
            message,
        }
    }

    /// Sends `value` out of `handle` of node `n`.
    fn emit(&mut self, n: usize, handle: &str, value: Value) -> Result<(), RunError> {
        for e in self.route(n, handle, &value)? {
            self.queue.push_back(Event::Deliver(e, value.clone()));
        }
        Ok(())
    }

    /// [`Engine::emit`] for a value a node streams while it runs: an `Output` or `Preview`
    /// it feeds reports the value now; other nodes get it in turn, as any value.
    fn emit_live(&mut self, n: usize, handle: &str, value: Value) -> Result<(), RunError> {
        for e in self.route(n, handle, &value)? {
            let target = self.plan.edges[e].target;
            match self.plan.nodes[target].spec.behaviour {
                Behaviour::Output | Behaviour::Preview => self.report(e, value.clone())?,
                _ => self.queue.push_back(Event::Deliver(e, value.clone())),
            }
        }
        Ok(())
    }

    /// The edges `value` leaves `n` by through `handle`, once it is within the run's limits.
    fn route(&mut self, n: usize, handle: &str, value: &Value) -> Result<Vec<usize>, RunError> {
        self.tick()?;
        let too_big = match value {
            Value::String(s) => s.len() > self.spec.limits.max_value_len,
            Value::Array(a) => a.len() > MAX_LIST_ITEMS,
            _ => false,
        };
        if too_big {
            let msg = format!(
                "output '{handle}' is too large (limits: {} bytes of text, {MAX_LIST_ITEMS} list items)",
                self.spec.limits.max_value_len
            );
            return Err(self.node_error(n, msg));
        }
        let targets: Vec<usize> = self.out_edges[n]
            .iter()
            .copied()
            .filter(|&e| self.plan.edges[e].source_handle == handle)
            .collect();
        if !targets.is_empty() {
            self.bytes += approx_size(value) * targets.len();
            if self.bytes > MAX_RUN_BYTES {
                return Err(RunError::Budget(format!(
                    "Run stopped: it moved more than {} MiB of data",
                    MAX_RUN_BYTES >> 20
                )));
            }
        }
        Ok(targets)
    }

    /// A value reaching an `Output` (an `output_update`) or a `Preview` (a `preview_update`).
    fn report(&mut self, e: usize, value: Value) -> Result<(), RunError> {
        let n = self.plan.edges[e].target;
        self.states[n].received = true;
        self.first_fire(n);
        match self.plan.nodes[n].spec.behaviour {
            Behaviour::Preview => self.preview(n, value),
            _ => self.record_output(n, value),
        }
    }

    /// NodeTool's `Preview`: shows the value to the client and passes it on.
    fn preview(&mut self, n: usize, value: Value) -> Result<(), RunError> {
        self.tick()?;
        let id = self.plan.nodes[n].id.clone();
        self.message(json!({"type": "preview_update", "node_id": id, "value": value}));
        self.emit(n, "output", value)
    }

    fn record_output(&mut self, n: usize, value: Value) -> Result<(), RunError> {
        let node = &self.plan.nodes[n];
        let name = if node.name.is_empty() {
            node.id.clone()
        } else {
            node.name.clone()
        };
        if self.spec.messages {
            let m = json!({
                "type": "output_update", "node_id": node.id, "node_name": name,
                "output_name": name, "value": value, "output_type": output_type(&value),
                "metadata": {},
            });
            self.message(m);
            match self.all.entry(name.clone()).or_insert_with(|| json!([])) {
                Value::Array(list) => list.push(value.clone()),
                other => *other = json!([value.clone()]),
            }
        }
        self.result.insert(name, value.clone());
        self.emit(n, "output", value)
    }

    /// A node without inbound edges runs once (unless an agent drives it as a tool).
    async fn activate(&mut self, n: usize) -> Result<(), RunError> {
        if self.plan.nodes[n].controlled {
            return Ok(());
        }
        match self.plan.nodes[n].spec.behaviour {
            Behaviour::Output | Behaviour::Collect | Behaviour::CollectText => Ok(()),
            Behaviour::Ignored | Behaviour::Preview => Ok(()),
            _ => self.fire(n, Map::new()).await,
        }
    }

    async fn deliver(&mut self, e: usize, value: Value) -> Result<(), RunError> {
        let edge = &self.plan.edges[e];
        let (n, handle) = (edge.target, edge.target_handle.clone());
        self.states[n].received = true;
        match self.plan.nodes[n].spec.behaviour {
            Behaviour::Output | Behaviour::Preview => self.report(e, value),
            Behaviour::Collect => {
                self.tick()?;
                self.first_fire(n);
                self.states[n].collected.push(value);
                Ok(())
            }
            Behaviour::CollectText => {
                self.tick()?;
                self.first_fire(n);
                let v = match &value {
                    Value::Null => value,
                    other => coerce(other, Kind::Str)
                        .map_err(|m| self.node_error(n, format!("property 'input_item' {m}")))?,
                };
                self.states[n].collected.push(v);
                Ok(())
            }
            Behaviour::Ignored => self.tick(),
            _ if self.plan.nodes[n].zip_all => {
                self.states[n]
                    .queues
                    .entry(handle)
                    .or_default()
                    .push_back(value);
                self.fire_zipped(n).await
            }
            _ => {
                let st = &mut self.states[n];
                st.latest.insert(handle, value);
                let ready = st.open_by_handle.keys().all(|h| st.latest.contains_key(h));
                if ready {
                    let inputs = st.latest.clone();
                    self.fire(n, inputs).await
                } else {
                    Ok(())
                }
            }
        }
    }

    /// `zip_all`: one value from each input per run; a finished input keeps its last value.
    async fn fire_zipped(&mut self, n: usize) -> Result<(), RunError> {
        loop {
            let st = &mut self.states[n];
            let ready = st
                .open_by_handle
                .keys()
                .all(|h| st.queues.get(h).is_some_and(|q| !q.is_empty()));
            if !ready {
                return Ok(());
            }
            let mut inputs = Map::new();
            let mut took = false;
            for (h, open) in &st.open_by_handle {
                let q = st.queues.get_mut(h).expect("ready implies a queue");
                let v = if q.len() > 1 || *open > 0 {
                    took = true;
                    q.pop_front().expect("non-empty")
                } else {
                    q.front().cloned().expect("non-empty")
                };
                inputs.insert(h.clone(), v);
            }
            if !took && st.fired {
                return Ok(());
            }
            self.fire(n, inputs).await?;
        }
    }

    async fn close(&mut self, e: usize) -> Result<(), RunError> {
        let edge = &self.plan.edges[e];
        let n = edge.target;
        let st = &mut self.states[n];
        if let Some(c) = st.open_by_handle.get_mut(&edge.target_handle) {
            *c -= 1;
        }
        st.open -= 1;
        if self.plan.nodes[n].zip_all {
            self.fire_zipped(n).await?;
        }
        if self.states[n].open == 0 {
            self.finish_node(n)?;
        }
        Ok(())
    }

    /// All inputs of `n` have ended: stream-end behaviour, then close its outbound edges.
    fn finish_node(&mut self, n: usize) -> Result<(), RunError> {
        let node = &self.plan.nodes[n];
        match node.spec.behaviour {
            Behaviour::Output if !self.states[n].received => {
                // Nothing arrived: the configured value, once (as NodeTool).
                self.first_fire(n);
                let v = node.props.get("value").cloned().unwrap_or(Value::Null);
                self.record_output(n, v)?;
            }
            Behaviour::Preview if !self.states[n].received => {
                // Nothing arrived: the configured value, if there is one (as NodeTool).
                if let Some(v) = node.props.get("value").filter(|v| !v.is_null()).cloned() {
                    self.first_fire(n);
                    self.preview(n, v)?;
                }
            }
            Behaviour::Collect => {
                self.first_fire(n);
                let items = std::mem::take(&mut self.states[n].collected);
                self.emit(n, "output", Value::Array(items))?;
            }
            Behaviour::CollectText => {
                self.first_fire(n);
                let sep = match node.props.get("separator") {
                    Some(Value::String(s)) => s.clone(),
                    _ => String::new(),
                };
                let items = std::mem::take(&mut self.states[n].collected);
                let parts: Vec<String> = items.iter().map(py_str).collect();
                self.emit(n, "output", Value::String(parts.join(&sep)))?;
            }
            _ => {}
        }
        if self.states[n].fired {
            self.node_update(n, "completed", None);
        }
        for &e in &self.out_edges[n] {
            self.queue.push_back(Event::Close(e));
        }
        Ok(())
    }

    fn first_fire(&mut self, n: usize) {
        if !self.states[n].fired {
            self.states[n].fired = true;
            self.node_update(n, "running", None);
        }
    }

    /// Runs a function-like node with `inputs` (edge values) over its stored properties.
    async fn fire(&mut self, n: usize, inputs: Map<String, Value>) -> Result<(), RunError> {
        self.tick()?;
        self.first_fire(n);
        // "running" reaches the client before the node's work, however long that takes.
        self.flush().await;
        let node = &self.plan.nodes[n];
        let spec = node.spec;
        let mut values = Map::new();
        for (k, v) in node.props.iter() {
            let t = typed(&spec, k, v).map_err(|m| self.node_error(n, m))?;
            values.insert(k.clone(), t);
        }
        let mut null_in = false;
        for (k, v) in inputs {
            let kind = prop_kind(&spec, &k).unwrap_or(Kind::Any);
            if v.is_null() && kind != Kind::Any {
                null_in = true;
                continue;
            }
            let t = typed(&spec, &k, &v).map_err(|m| self.node_error(n, m))?;
            values.insert(k, t);
        }
        if null_in {
            for out in spec.outputs {
                self.emit(n, out, Value::Null)?;
            }
            return Ok(());
        }
        match spec.behaviour {
            Behaviour::Input | Behaviour::Constant => {
                let mut v = values.remove("value").unwrap_or(Value::Null);
                if spec.behaviour == Behaviour::Input
                    && let Some(p) = self.params.get(&node.name)
                {
                    v = typed(&spec, "value", p).map_err(|m| param_error(&node.name, m))?;
                }
                self.emit(n, "output", v)
            }
            Behaviour::ForEach => {
                let items = match values.remove("input_list") {
                    Some(Value::Array(a)) => a,
                    _ => Vec::new(),
                };
                for (i, item) in items.into_iter().enumerate() {
                    self.emit(n, "output", item)?;
                    self.emit(n, "index", json!(i))?;
                }
                Ok(())
            }
            Behaviour::Op(op) => {
                let props = Props {
                    values: &values,
                    dynamic: &node.dynamic,
                    max_len: self.spec.limits.max_value_len,
                    now_micros: (self.spec.now_micros)(),
                    random: self.spec.random,
                };
                let emitted = op.run(&props).map_err(|m| self.node_error(n, m))?;
                for (handle, v) in emitted {
                    self.emit(n, handle, v)?;
                }
                Ok(())
            }
            Behaviour::Effect(effect) => {
                let plan = self.plan;
                let fx = self.effects;
                let tools = effects::tools_of(plan, n);
                let node = &plan.nodes[n];
                // What the node streams while it runs waits here until the engine passes it on.
                let streamed: RefCell<Vec<(String, Value)>> = RefCell::new(Vec::new());
                let keep = |handle: &str, v: Value| streamed.borrow_mut().push((handle.into(), v));
                let wired = self.out_edges[n]
                    .iter()
                    .any(|&e| plan.edges[e].source_handle == STREAMED_HANDLE);
                let call = Call {
                    node_id: &node.id,
                    values: &values,
                    dynamic_outputs: &node.dynamic_outputs,
                    tools: &tools,
                    now_micros: (self.spec.now_micros)(),
                    max_len: self.spec.limits.max_value_len,
                    random: self.spec.random,
                    live: wired.then_some(&keep as effects::Live<'_>),
                };
                let before = (self.spec.now_micros)();
                let mut work = pin!(effects::run(effect, &call, fx));
                let result = loop {
                    // Runs the node until it ends or has streamed something.
                    let step = poll_fn(|cx| match work.as_mut().poll(cx) {
                        Poll::Ready(r) => Poll::Ready(Some(r)),
                        Poll::Pending if !streamed.borrow().is_empty() => Poll::Ready(None),
                        Poll::Pending => Poll::Pending,
                    })
                    .await;
                    let pieces = std::mem::take(&mut *streamed.borrow_mut());
                    for (handle, v) in pieces {
                        self.emit_live(n, &handle, v)?;
                    }
                    match step {
                        Some(r) => break r,
                        None => self.flush().await,
                    }
                };
                self.waited += (self.spec.now_micros)() - before;
                let emitted = result.map_err(|m| self.node_error(n, m))?;
                for (handle, v) in emitted {
                    self.emit(n, &handle, v)?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{LIMITS, compile};

    fn n(id: &str, ty: &str, data: Value) -> Value {
        json!({"id": id, "type": ty, "data": data})
    }
    fn e(s: &str, sh: &str, t: &str, th: &str) -> Value {
        json!({"id": format!("{s}.{sh}->{t}.{th}"), "source": s, "sourceHandle": sh, "target": t, "targetHandle": th})
    }
    fn run_graph(nodes: Vec<Value>, edges: Vec<Value>, params: Value) -> Outcome {
        run_with(nodes, edges, params, LIMITS)
    }
    fn run_with(nodes: Vec<Value>, edges: Vec<Value>, params: Value, limits: Limits) -> Outcome {
        let plan = compile(&json!({"nodes": nodes, "edges": edges}), &limits).unwrap();
        let clock = || 0i64;
        let random = |b: &mut [u8]| b.fill(7);
        let spec = RunSpec {
            job_id: "job",
            workflow_id: "wf",
            limits,
            messages: true,
            sink: None,
            now_micros: &clock,
            random: &random,
        };
        futures_executor::block_on(run(&plan, params.as_object().unwrap(), &spec, &NoEffects))
    }
    fn out(name: &str) -> Value {
        n(name, "nodetool.output.Output", json!({"name": name}))
    }

    #[test]
    fn params_bind_to_inputs_and_outputs_collect_by_name() {
        let o = run_graph(
            vec![
                n(
                    "in",
                    "nodetool.input.StringInput",
                    json!({"name": "text", "value": "x"}),
                ),
                n("up", "nodetool.text.ToUppercase", json!({})),
                out("result"),
            ],
            vec![
                e("in", "output", "up", "text"),
                e("up", "output", "result", "value"),
            ],
            json!({"text": "hello", "unknown": 1}),
        );
        assert_eq!(
            o.result.unwrap(),
            json!({"result": "HELLO"}).as_object().unwrap().clone()
        );
        let types: Vec<&str> = o
            .messages
            .iter()
            .map(|m| m["type"].as_str().unwrap())
            .collect();
        assert_eq!(types.first(), Some(&"job_update"));
        assert_eq!(types.last(), Some(&"job_completed"));
        assert!(types.contains(&"output_update") && types.contains(&"node_update"));
        let done = &o.messages[o.messages.len() - 2];
        assert_eq!(done["result"], json!({"result": ["HELLO"]}));
        assert_eq!(done["message"], "Workflow job completed");
    }

    #[test]
    fn params_are_converted_and_wrong_types_named() {
        let nodes = || {
            vec![
                n(
                    "a",
                    "nodetool.input.IntegerInput",
                    json!({"name": "a", "value": 1}),
                ),
                n("b", "nodetool.input.FloatInput", json!({"name": "b"})),
                n("add", "lib.math.Add", json!({})),
                out("sum"),
            ]
        };
        let edges = || {
            vec![
                e("a", "output", "add", "a"),
                e("b", "output", "add", "b"),
                e("add", "output", "sum", "value"),
            ]
        };
        let o = run_graph(nodes(), edges(), json!({"a": "4", "b": "0.5"}));
        assert_eq!(o.result.unwrap()["sum"], json!(4.5));
        let o = run_graph(nodes(), edges(), json!({"a": "four"}));
        assert_eq!(
            o.result.unwrap_err().to_string(),
            "Input 'a' must be an integer, got string"
        );
        let last = o.messages.last().unwrap();
        assert_eq!(last["type"], "job_failed");
    }

    #[test]
    fn node_failures_name_the_node() {
        let o = run_graph(
            vec![n("d", "lib.math.Divide", json!({"a": 1, "b": 0})), out("r")],
            vec![e("d", "output", "r", "value")],
            json!({}),
        );
        assert_eq!(
            o.result.unwrap_err().to_string(),
            "Node 'd' (lib.math.Divide) failed: division by zero"
        );
    }

    #[test]
    fn unconnected_output_emits_its_value() {
        let o = run_graph(
            vec![n(
                "out",
                "nodetool.workflows.test_helper.StringOutput",
                json!({"name": "result", "value": "ok"}),
            )],
            vec![],
            json!({}),
        );
        assert_eq!(
            o.result.unwrap(),
            json!({"result": "ok"}).as_object().unwrap().clone()
        );
    }

    #[test]
    fn for_each_drives_downstream_per_item_and_collect_gathers() {
        let o = run_graph(
            vec![
                n(
                    "list",
                    "nodetool.constant.List",
                    json!({"value": ["a", "b", "c"]}),
                ),
                n("each", "nodetool.control.ForEach", json!({})),
                n("up", "nodetool.text.ToUppercase", json!({})),
                n("cat", "nodetool.text.Concat", json!({})),
                n("idx", "nodetool.text.ToString", json!({})),
                n("all", "nodetool.control.Collect", json!({})),
                n("joined", "nodetool.text.Collect", json!({"separator": ","})),
                out("items"),
                out("text"),
            ],
            vec![
                e("list", "output", "each", "input_list"),
                e("each", "output", "up", "text"),
                e("up", "output", "all", "input_item"),
                e("each", "index", "idx", "value"),
                e("up", "output", "cat", "a"),
                e("idx", "output", "cat", "b"),
                e("cat", "output", "joined", "input_item"),
                e("all", "output", "items", "value"),
                e("joined", "output", "text", "value"),
            ],
            json!({}),
        );
        let r = o.result.unwrap();
        assert_eq!(r["items"], json!(["A", "B", "C"]));
        // on_any: Concat runs again whenever either input changes.
        assert_eq!(r["text"], json!("A0,B0,B1,C1,C2"));
    }

    #[test]
    fn zip_all_pairs_inputs() {
        let o = run_graph(
            vec![
                n(
                    "list",
                    "nodetool.constant.List",
                    json!({"value": ["a", "b"]}),
                ),
                n("each", "nodetool.control.ForEach", json!({})),
                n("up", "nodetool.text.ToUppercase", json!({})),
                n("idx", "nodetool.text.ToString", json!({})),
                json!({"id": "cat", "type": "nodetool.text.Concat", "data": {}, "sync_mode": "zip_all"}),
                n("all", "nodetool.control.Collect", json!({})),
                out("r"),
            ],
            vec![
                e("list", "output", "each", "input_list"),
                e("each", "output", "up", "text"),
                e("each", "index", "idx", "value"),
                e("up", "output", "cat", "a"),
                e("idx", "output", "cat", "b"),
                e("cat", "output", "all", "input_item"),
                e("all", "output", "r", "value"),
            ],
            json!({}),
        );
        assert_eq!(o.result.unwrap()["r"], json!(["A0", "B1"]));
    }

    #[test]
    fn if_sends_null_down_the_untaken_branch() {
        let o = run_graph(
            vec![
                n("c", "nodetool.constant.Bool", json!({"value": true})),
                n("v", "nodetool.constant.String", json!({"value": "yes"})),
                n("if", "nodetool.control.If", json!({})),
                n("up", "nodetool.text.ToUppercase", json!({})),
                n("low", "nodetool.text.ToLowercase", json!({})),
                out("t"),
                out("f"),
            ],
            vec![
                e("c", "output", "if", "condition"),
                e("v", "output", "if", "value"),
                e("if", "if_true", "up", "text"),
                e("if", "if_false", "low", "text"),
                e("up", "output", "t", "value"),
                e("low", "output", "f", "value"),
            ],
            json!({}),
        );
        let r = o.result.unwrap();
        assert_eq!(r["t"], json!("YES"));
        assert_eq!(r["f"], Value::Null);
    }

    #[test]
    fn step_budget_stops_big_fan_outs() {
        let limits = Limits {
            max_steps: 50,
            ..LIMITS
        };
        let list: Vec<i64> = (0..100).collect();
        let o = run_with(
            vec![
                n("l", "nodetool.constant.List", json!({"value": list})),
                n("each", "nodetool.control.ForEach", json!({})),
                n("all", "nodetool.control.Collect", json!({})),
                out("r"),
            ],
            vec![
                e("l", "output", "each", "input_list"),
                e("each", "output", "all", "input_item"),
                e("all", "output", "r", "value"),
            ],
            json!({}),
            limits,
        );
        assert_eq!(
            o.result.unwrap_err(),
            RunError::Budget("Run stopped: it exceeded 50 steps".into())
        );
    }

    #[test]
    fn doubling_text_hits_the_size_limit() {
        let limits = Limits {
            max_value_len: 1000,
            ..LIMITS
        };
        let mut nodes = vec![n(
            "s",
            "nodetool.constant.String",
            json!({"value": "0123456789"}),
        )];
        let mut edges = vec![];
        let mut prev = "s".to_string();
        for i in 0..10 {
            let id = format!("c{i}");
            nodes.push(n(&id, "nodetool.text.Concat", json!({})));
            edges.push(e(&prev, "output", &id, "a"));
            edges.push(e(&prev, "output", &id, "b"));
            prev = id;
        }
        let o = run_with(nodes, edges, json!({}), limits);
        let err = o.result.unwrap_err().to_string();
        assert!(
            err.starts_with(
                "Node 'c6' (nodetool.text.Concat) failed: output 'output' is too large"
            ),
            "{err}"
        );
    }

    /// Answers every model call with three pieces, streamed when asked.
    struct ThreePieces;

    impl Effects for ThreePieces {
        async fn llm(&self, _: &str, _: crate::llm::Request) -> Result<crate::llm::Reply, String> {
            Ok(crate::llm::Reply {
                text: "one two three".into(),
                tool_calls: Vec::new(),
            })
        }
        async fn llm_streamed(
            &self,
            provider: &str,
            req: crate::llm::Request,
            on_text: &dyn Fn(&str),
        ) -> Result<crate::llm::Reply, String> {
            for piece in ["one ", "two ", "three"] {
                on_text(piece);
            }
            self.llm(provider, req).await
        }
        async fn search(&self, _: &[(&str, String)]) -> Result<Value, String> {
            Err("none".into())
        }
        async fn fetch(&self, _: effects::Fetch) -> Result<effects::Fetched, String> {
            Err("none".into())
        }
        async fn media(&self, _: &str, _: effects::Media) -> Result<Vec<u8>, String> {
            Err("none".into())
        }
        async fn read_media(&self, _: &Value) -> Result<(Vec<u8>, String), String> {
            Err("none".into())
        }
        async fn save_asset(&self, _: &str, _: &str, _: Vec<u8>) -> Result<Value, String> {
            Err("none".into())
        }
    }

    fn agent_run(edges: Vec<Value>) -> Outcome {
        let nodes = vec![
            n("model", "nodetool.agents.Agent", json!({"prompt": "hi"})),
            n("look", "nodetool.workflows.base_node.Preview", json!({})),
            out("answer"),
        ];
        let plan = compile(&json!({"nodes": nodes, "edges": edges}), &LIMITS).unwrap();
        let clock = || 0i64;
        let random = |b: &mut [u8]| b.fill(7);
        let spec = RunSpec {
            job_id: "job",
            workflow_id: "wf",
            limits: LIMITS,
            messages: true,
            sink: None,
            now_micros: &clock,
            random: &random,
        };
        futures_executor::block_on(run(&plan, &Map::new(), &spec, &ThreePieces))
    }

    /// `(type, node or content)` of each message, to read their order.
    fn trace(o: &Outcome) -> Vec<String> {
        o.messages
            .iter()
            .filter_map(|m| match m["type"].as_str()? {
                "preview_update" => Some(format!("preview {}", m["value"]["content"])),
                "node_update" => Some(format!("{} {}", m["node_id"].as_str()?, m["status"])),
                "output_update" => Some(format!("output {}", m["value"])),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_wired_chunk_reaches_its_preview_piece_by_piece_while_the_model_runs() {
        let o = agent_run(vec![
            e("model", "chunk", "look", "value"),
            e("model", "text", "answer", "value"),
        ]);
        assert_eq!(
            trace(&o),
            [
                r#"model "running""#,
                r#"look "running""#,
                r#"preview "one ""#,
                r#"preview "two ""#,
                r#"preview "three""#,
                r#"model "completed""#,
                r#"preview """#,
                r#"answer "running""#,
                r#"output "one two three""#,
                r#"look "completed""#,
                r#"answer "completed""#,
            ]
        );
        let done = o
            .messages
            .iter()
            .rfind(|m| m["type"] == "preview_update")
            .unwrap();
        assert_eq!(
            done["value"],
            json!({"type": "chunk", "node_id": "model", "content_type": "text", "content": "", "done": true})
        );
        assert_eq!(done["node_id"], "look");
    }

    #[test]
    fn an_unwired_chunk_asks_for_no_stream_and_a_preview_shows_its_own_value() {
        let o = agent_run(vec![e("model", "text", "answer", "value")]);
        assert_eq!(o.result.as_ref().unwrap()["answer"], "one two three");
        // Nothing feeds the preview and it has no value of its own: it says nothing.
        assert!(!trace(&o).iter().any(|t| t.starts_with("preview")));
        let shown = run_graph(
            vec![n(
                "look",
                "nodetool.workflows.base_node.Preview",
                json!({"value": [1, 2]}),
            )],
            vec![],
            json!({}),
        );
        let previews: Vec<&Value> = shown
            .messages
            .iter()
            .filter(|m| m["type"] == "preview_update")
            .collect();
        assert_eq!(previews.len(), 1);
        assert_eq!(previews[0]["value"], json!([1, 2]));
    }
}
