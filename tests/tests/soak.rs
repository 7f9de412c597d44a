//! A soak: several clients mix reads and writes of every kind against one real runner for
//! `NODETOOL_EDGE_SOAK_SECONDS` (20 by default, so the normal suite runs it briefly; scripts/soak
//! runs it for 10 minutes). Every answer must have the status the client's own model of the
//! store predicts, and afterwards every acknowledged write must be readable as written and every
//! acknowledged delete gone. Prints one `soak:` line (throughput, latency, errors, the runner's
//! RSS) for BENCHMARKS.md.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use nodetool_edge_conformance::runner::{ADMIN_TOKEN, STATIC_TOKEN};
use nodetool_edge_conformance::{Profile, Reply, Runner, request, skip_unless_native};
use serde_json::json;

const CLIENTS: usize = 8;
/// Workflow ids, storage keys and secrets each client owns: clients never touch each other's,
/// so each one's model of its own keys is exact even with all of them running at once.
const WORKFLOWS_PER_CLIENT: usize = 12;
const OBJECTS_PER_CLIENT: usize = 8;
const SECRETS_PER_CLIENT: usize = 2;
/// Server-chosen workflow ids (POST) a client keeps alive at most, so the store (and the cost
/// of a list) stays bounded however long the soak runs.
const MAX_CREATED: usize = 16;
const RUN_WORKFLOW: &str = "soak-run";
/// Secrets from NodeTool's registry (PUT refuses other names), two per client.
const SECRET_KEYS: [&str; CLIENTS * SECRETS_PER_CLIENT] = [
    "OPENAI_API_KEY",
    "OPENROUTER_API_KEY",
    "ANTHROPIC_API_KEY",
    "CEREBRAS_API_KEY",
    "TOGETHER_API_KEY",
    "GROQ_API_KEY",
    "ZHIPU_API_KEY",
    "MISTRAL_API_KEY",
    "MINIMAX_API_KEY",
    "GEMINI_API_KEY",
    "HF_TOKEN",
    "LLAMA_API_KEY",
    "REPLICATE_API_TOKEN",
    "AIME_API_KEY",
    "ELEVENLABS_API_KEY",
    "FAL_API_KEY",
];

/// xorshift64*: deterministic per client, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The bytes of an object version: a function of its seed, so the final check can regenerate
/// what each acknowledged PUT sent without keeping it.
fn blob(seed: u64, len: usize) -> Vec<u8> {
    let mut rng = Rng(seed | 1);
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        out.extend_from_slice(&rng.next().to_le_bytes());
    }
    out.truncate(len);
    out
}

fn workflow_body(name: &str) -> Vec<u8> {
    json!({
        "name": name, "access": "private", "description": "soak",
        "graph": {"nodes": [], "edges": []},
    })
    .to_string()
    .into_bytes()
}

/// Every request carries the bearer token and the admin token (ignored off `/admin`).
fn call(base: &str, method: &str, path: &str, body: &[u8]) -> Result<Reply, String> {
    let bearer = format!("Bearer {STATIC_TOKEN}");
    let headers: [(&str, &[u8]); 3] = [
        ("Authorization", bearer.as_bytes()),
        ("X-Admin-Token", ADMIN_TOKEN.as_bytes()),
        ("Content-Type", b"application/json"),
    ];
    // The client panics on a refused connection or a malformed answer; here that is one more
    // error to count, not the end of the soak.
    std::panic::catch_unwind(AssertUnwindSafe(|| {
        request(base, method, path, &headers, body)
    }))
    .map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "transport failure".into())
    })
}

/// What one client believes its keys hold: `None` is an acknowledged delete (or never written).
#[derive(Default)]
struct Model {
    workflows: HashMap<String, Option<String>>,
    /// Server-chosen ids currently alive.
    created: Vec<String>,
    /// key -> (seed, length) of the acknowledged version.
    objects: HashMap<String, Option<(u64, usize)>>,
    secrets: HashMap<String, Option<String>>,
}

#[derive(Default)]
struct Tally {
    requests: u64,
    /// (operation, microseconds) per request.
    latencies_us: Vec<(&'static str, u32)>,
    errors: Vec<String>,
    writes: u64,
}

struct Client<'a> {
    id: usize,
    base: &'a str,
    rng: Rng,
    model: Model,
    tally: Tally,
    version: u64,
    /// What the current request is part of, for the per-operation latencies.
    op: &'static str,
}

impl Client<'_> {
    /// One request, timed; an unexpected status (or a broken answer) is an error.
    fn expect(&mut self, method: &str, path: &str, body: &[u8], want: u16) -> Option<Reply> {
        let started = Instant::now();
        let reply = call(self.base, method, path, body);
        let micros = started.elapsed().as_micros().min(u32::MAX as u128) as u32;
        self.tally.latencies_us.push((self.op, micros));
        self.tally.requests += 1;
        match reply {
            Ok(r) if r.status == want => Some(r),
            Ok(r) => {
                self.error(format!(
                    "{method} {path}: {} (wanted {want}): {}",
                    r.status,
                    r.text().chars().take(200).collect::<String>()
                ));
                None
            }
            Err(e) => {
                self.error(format!("{method} {path}: {e}"));
                None
            }
        }
    }

    fn error(&mut self, e: String) {
        if self.tally.errors.len() < 20 {
            eprintln!("soak error (client {}): {e}", self.id);
        }
        self.tally.errors.push(e);
    }

    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.error(what());
        }
    }

    fn next_version(&mut self) -> u64 {
        self.version += 1;
        self.version
    }

    fn fixed_workflow(&mut self) -> String {
        format!(
            "soak-c{}-w{}",
            self.id,
            self.rng.below(WORKFLOWS_PER_CLIENT)
        )
    }

    fn any_workflow(&mut self) -> String {
        let n = WORKFLOWS_PER_CLIENT + self.model.created.len();
        let i = self.rng.below(n);
        if i < WORKFLOWS_PER_CLIENT {
            format!("soak-c{}-w{i}", self.id)
        } else {
            self.model.created[i - WORKFLOWS_PER_CLIENT].clone()
        }
    }

    fn object_path(&mut self) -> String {
        // Both buckets, nested keys.
        let k = self.rng.below(OBJECTS_PER_CLIENT);
        let bucket = if k.is_multiple_of(2) {
            "assets"
        } else {
            "temp"
        };
        format!("/admin/storage/{bucket}/soak/c{}/o{k}.bin", self.id)
    }

    fn secret_key(&mut self) -> &'static str {
        SECRET_KEYS[self.id * SECRETS_PER_CLIENT + self.rng.below(SECRETS_PER_CLIENT)]
    }

    fn step(&mut self) {
        let roll = self.rng.below(100);
        self.op = match roll {
            0..8 => "health",
            8..20 => "workflow put",
            20..32 => "workflow get",
            32..37 => "workflow delete",
            37..40 => "workflow create",
            40..46 => "workflow list",
            46..56 => "object put",
            56..68 => "object get",
            68..72 => "object delete",
            72..78 => "secret put",
            78..86 => "secret get",
            86..88 => "secret delete",
            _ => "run",
        };
        match roll {
            0..8 => {
                if let Some(r) = self.expect("GET", "/health", b"", 200) {
                    self.check(r.body.starts_with(b"\"OK\"") || r.body == b"OK", || {
                        format!("/health said {:?}", r.text())
                    });
                }
            }
            8..20 => self.put_workflow(),
            20..32 => self.get_workflow(),
            32..37 => self.delete_workflow(),
            37..40 => self.create_workflow(),
            40..46 => {
                if let Some(r) = self.expect("GET", "/api/workflows/?limit=50", b"", 200) {
                    let ok = r.json()["workflows"].is_array();
                    self.check(ok, || format!("list without workflows: {}", r.text()));
                }
            }
            46..56 => self.put_object(),
            56..68 => self.get_object(),
            68..72 => self.delete_object(),
            72..78 => self.put_secret(),
            78..86 => self.get_secret(),
            86..88 => self.delete_secret(),
            _ => self.run_workflow(),
        }
    }

    fn put_workflow(&mut self) {
        let id = self.fixed_workflow();
        let name = format!("{id} v{}", self.next_version());
        let path = format!("/api/workflows/{id}");
        if let Some(r) = self.expect("PUT", &path, &workflow_body(&name), 200) {
            self.check(r.json()["name"] == name.as_str(), || {
                format!("PUT {path} answered {}", r.text())
            });
            self.model.workflows.insert(id, Some(name));
            self.tally.writes += 1;
        }
    }

    fn get_workflow(&mut self) {
        let id = self.any_workflow();
        // Both path families.
        let path = if self.rng.below(2) == 0 {
            format!("/api/workflows/{id}")
        } else {
            format!("/workflows/{id}")
        };
        match self.model.workflows.get(&id).cloned().flatten() {
            Some(name) => {
                if let Some(r) = self.expect("GET", &path, b"", 200) {
                    let got = r.json()["name"].as_str().unwrap_or_default().to_string();
                    self.check(got == name, || {
                        format!("GET {path}: {got:?}, wanted {name:?}")
                    });
                }
            }
            None => {
                self.expect("GET", &path, b"", 404);
            }
        }
    }

    fn delete_workflow(&mut self) {
        let id = self.any_workflow();
        let path = format!("/api/workflows/{id}");
        let exists = self.model.workflows.get(&id).is_some_and(Option::is_some);
        if self
            .expect("DELETE", &path, b"", if exists { 200 } else { 404 })
            .is_some()
        {
            self.model.workflows.insert(id.clone(), None);
            self.model.created.retain(|c| *c != id);
            self.tally.writes += u64::from(exists);
        }
    }

    fn create_workflow(&mut self) {
        if self.model.created.len() >= MAX_CREATED {
            let i = self.rng.below(self.model.created.len());
            let id = self.model.created[i].clone();
            let path = format!("/workflows/{id}");
            if self.expect("DELETE", &path, b"", 200).is_some() {
                self.model.workflows.insert(id, None);
                self.model.created.swap_remove(i);
                self.tally.writes += 1;
            }
            return;
        }
        let v = self.next_version();
        let name = format!("soak-c{} created v{v}", self.id);
        if let Some(r) = self.expect("POST", "/api/workflows/", &workflow_body(&name), 200) {
            match r.json()["id"].as_str() {
                Some(id) => {
                    self.model.workflows.insert(id.to_string(), Some(name));
                    self.model.created.push(id.to_string());
                    self.tally.writes += 1;
                }
                None => self.error(format!("POST /api/workflows/ without an id: {}", r.text())),
            }
        }
    }

    fn put_object(&mut self) {
        let path = self.object_path();
        // A quarter are 64 KiB, the rest up to 8 KiB; some empty.
        let len = if self.rng.below(4) == 0 {
            64 * 1024
        } else {
            self.rng.below(8 * 1024)
        };
        let seed = self.rng.next();
        if self.expect("PUT", &path, &blob(seed, len), 200).is_some() {
            self.model.objects.insert(path, Some((seed, len)));
            self.tally.writes += 1;
        }
    }

    fn get_object(&mut self) {
        let path = self.object_path();
        match self.model.objects.get(&path).cloned().flatten() {
            Some((seed, len)) => {
                if let Some(r) = self.expect("GET", &path, b"", 200) {
                    let ok = r.body == blob(seed, len);
                    self.check(ok, || {
                        format!("GET {path}: {} bytes, not the {len} written", r.body.len())
                    });
                }
            }
            None => {
                self.expect("GET", &path, b"", 404);
            }
        }
    }

    fn delete_object(&mut self) {
        let path = self.object_path();
        let exists = self.model.objects.get(&path).is_some_and(Option::is_some);
        if self
            .expect("DELETE", &path, b"", if exists { 204 } else { 404 })
            .is_some()
        {
            self.model.objects.insert(path, None);
            self.tally.writes += u64::from(exists);
        }
    }

    fn put_secret(&mut self) {
        let key = self.secret_key();
        let v = self.next_version();
        let value = format!("sk-soak-{}-{v}", self.id);
        let path = format!("/api/settings/secrets/{key}");
        let body = json!({"value": value}).to_string();
        if self.expect("PUT", &path, body.as_bytes(), 200).is_some() {
            self.model.secrets.insert(key.to_string(), Some(value));
            self.tally.writes += 1;
        }
    }

    fn get_secret(&mut self) {
        let key = self.secret_key();
        let path = format!("/api/settings/secrets/{key}?decrypt=true");
        match self.model.secrets.get(key).cloned().flatten() {
            Some(value) => {
                if let Some(r) = self.expect("GET", &path, b"", 200) {
                    let got = r.json()["value"].as_str().unwrap_or_default().to_string();
                    self.check(got == value, || {
                        format!("GET {path}: {got:?}, wanted {value:?}")
                    });
                }
            }
            None => {
                self.expect("GET", &path, b"", 404);
            }
        }
    }

    fn delete_secret(&mut self) {
        let key = self.secret_key();
        let path = format!("/api/settings/secrets/{key}");
        let exists = self.model.secrets.get(key).is_some_and(Option::is_some);
        if self
            .expect("DELETE", &path, b"", if exists { 200 } else { 404 })
            .is_some()
        {
            self.model.secrets.insert(key.to_string(), None);
            self.tally.writes += u64::from(exists);
        }
    }

    fn run_workflow(&mut self) {
        let text = format!("soak {} {}", self.id, self.rng.next() % 1000);
        let body = json!({"params": {"text": text}}).to_string();
        let path = format!("/api/workflows/{RUN_WORKFLOW}/run");
        if let Some(r) = self.expect("POST", &path, body.as_bytes(), 200) {
            let want = json!({"result": text.to_uppercase()});
            self.check(r.json() == want, || format!("run answered {}", r.text()));
        }
    }

    /// After the load: every key's acknowledged state, read back once more. Returns how many
    /// keys were checked.
    fn verify(&mut self) -> usize {
        let mut checked = 0;
        let workflows: Vec<_> = self.model.workflows.clone().into_iter().collect();
        for (id, name) in workflows {
            let path = format!("/api/workflows/{id}");
            match name {
                Some(name) => {
                    if let Some(r) = self.expect("GET", &path, b"", 200) {
                        let ok = r.json()["name"] == name.as_str();
                        self.check(ok, || format!("final {path}: {}", r.text()));
                    }
                }
                None => {
                    self.expect("GET", &path, b"", 404);
                }
            }
            checked += 1;
        }
        let objects: Vec<_> = self.model.objects.clone().into_iter().collect();
        for (path, version) in objects {
            match version {
                Some((seed, len)) => {
                    if let Some(r) = self.expect("GET", &path, b"", 200) {
                        let ok = r.body == blob(seed, len);
                        self.check(ok, || format!("final {path}: wrong bytes"));
                    }
                }
                None => {
                    self.expect("GET", &path, b"", 404);
                }
            }
            checked += 1;
        }
        let secrets: Vec<_> = self.model.secrets.clone().into_iter().collect();
        for (key, value) in secrets {
            let path = format!("/api/settings/secrets/{key}?decrypt=true");
            match value {
                Some(value) => {
                    if let Some(r) = self.expect("GET", &path, b"", 200) {
                        let ok = r.json()["value"] == value.as_str();
                        self.check(ok, || format!("final {path}: {}", r.text()));
                    }
                }
                None => {
                    self.expect("GET", &path, b"", 404);
                }
            }
            checked += 1;
        }
        checked
    }
}

/// VmRSS of `pid` in KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

#[test]
fn mixed_load_keeps_every_acknowledged_write_and_bounded_memory() {
    if skip_unless_native() {
        return;
    }
    let seconds: u64 = std::env::var("NODETOOL_EDGE_SOAK_SECONDS")
        .ok()
        .map(|s| {
            s.parse()
                .expect("NODETOOL_EDGE_SOAK_SECONDS: whole seconds")
        })
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let runner = Runner::start(&["serve"], &Profile::ProductionAdmin.env(), dir.path());
    let base = runner.base.clone();
    let pid = runner.pid();

    // The workflow the clients run: text input, upper-cased, to an output.
    let graph = json!({
        "name": RUN_WORKFLOW, "access": "private",
        "graph": {
            "nodes": [
                {"id": "in", "type": "nodetool.input.StringInput", "data": {"name": "text", "value": "x"}},
                {"id": "up", "type": "nodetool.text.ToUppercase", "data": {}},
                {"id": "result", "type": "nodetool.output.Output", "data": {"name": "result"}}
            ],
            "edges": [
                {"id": "e1", "source": "in", "sourceHandle": "output", "target": "up", "targetHandle": "text"},
                {"id": "e2", "source": "up", "sourceHandle": "output", "target": "result", "targetHandle": "value"}
            ]
        }
    });
    let r = call(
        &base,
        "PUT",
        &format!("/api/workflows/{RUN_WORKFLOW}"),
        graph.to_string().as_bytes(),
    )
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());

    let rss_start = rss_kib(pid).expect("the runner's VmRSS");
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut samples = Vec::new();
            while !done.load(Ordering::Relaxed) {
                samples.push(rss_kib(pid).unwrap_or(0));
                std::thread::sleep(Duration::from_millis(250));
            }
            samples
        })
    };

    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let clients: Vec<_> =
        (0..CLIENTS)
            .map(|id| {
                let base = base.clone();
                std::thread::spawn(move || {
                    let mut c = Client {
                        id,
                        base: &base,
                        rng: Rng(
                            0x9e37_79b9_7f4a_7c15 ^ (id as u64 + 1).wrapping_mul(0x1234_5678_9abc)
                        ),
                        model: Model::default(),
                        tally: Tally::default(),
                        version: 0,
                        op: "",
                    };
                    while Instant::now() < deadline {
                        c.step();
                    }
                    (c.model, c.tally)
                })
            })
            .collect();
    let results: Vec<(Model, Tally)> = clients.into_iter().map(|h| h.join().unwrap()).collect();
    let elapsed = started.elapsed();
    let rss_end = rss_kib(pid).expect("the runner's VmRSS after the load");
    done.store(true, Ordering::Relaxed);
    let mut rss_samples = sampler.join().unwrap();
    rss_samples.push(rss_end);
    let rss_max = rss_samples.iter().copied().max().unwrap_or(rss_end);
    // The trend, to tell a plateau from a slow climb: RSS at each tenth of the run.
    let rss_trend: Vec<String> = (1..=10)
        .map(|i| {
            let at = (rss_samples.len() * i / 10).saturating_sub(1);
            format!("{:.0}", rss_samples[at] as f64 / 1024.0)
        })
        .collect();

    let mut latencies = Vec::new();
    let mut per_op: HashMap<&str, Vec<u32>> = HashMap::new();
    let mut errors = Vec::new();
    let (mut requests, mut writes) = (0, 0);
    let mut models = Vec::new();
    for (model, tally) in results {
        requests += tally.requests;
        writes += tally.writes;
        for (op, micros) in tally.latencies_us {
            latencies.push(micros);
            per_op.entry(op).or_default().push(micros);
        }
        errors.extend(tally.errors);
        models.push(model);
    }
    latencies.sort_unstable();

    // The final check, one client's model at a time.
    let mut verified = 0;
    let mut verify_errors = Vec::new();
    for (id, model) in models.into_iter().enumerate() {
        let mut c = Client {
            id,
            base: &base,
            rng: Rng(1),
            model,
            tally: Tally::default(),
            version: 0,
            op: "final check",
        };
        verified += c.verify();
        verify_errors.extend(c.tally.errors);
    }

    let mib = |kib: u64| kib as f64 / 1024.0;
    println!(
        "soak: {:.0} s, {CLIENTS} clients, {requests} requests ({:.0} req/s), {writes} acknowledged \
         writes/deletes, p50 {:.2} ms, p99 {:.2} ms, errors {}, final check {verified} keys \
         ({} wrong), runner RSS start {:.1} MiB, end {:.1} MiB, max {:.1} MiB",
        elapsed.as_secs_f64(),
        requests as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        errors.len(),
        verify_errors.len(),
        mib(rss_start),
        mib(rss_end),
        mib(rss_max),
    );
    let mut ops: Vec<_> = per_op.into_iter().collect();
    ops.sort_by_key(|(op, _)| *op);
    let ops: Vec<String> = ops
        .into_iter()
        .map(|(op, mut l)| {
            l.sort_unstable();
            format!(
                "{op} {} p50 {:.1} p99 {:.1}",
                l.len(),
                percentile(&l, 0.5),
                percentile(&l, 0.99)
            )
        })
        .collect();
    println!("soak per operation (count, ms): {}", ops.join("; "));
    println!(
        "soak RSS at each tenth of the run (MiB): {}",
        rss_trend.join(" ")
    );
    assert!(
        errors.is_empty(),
        "{} errors, first: {:?}",
        errors.len(),
        &errors[..errors.len().min(5)]
    );
    assert!(
        verify_errors.is_empty(),
        "final check: {:?}",
        &verify_errors[..verify_errors.len().min(5)]
    );
    let panics = runner.panics();
    assert!(panics.is_empty(), "the runner panicked: {panics:?}");

    // Runaway memory, not a tight budget. At most CLIENTS requests are in flight, each in a
    // fresh instance whose pages go back to the pool's allocator when it ends, and SQLite keeps
    // at most ~2 MiB of cache per connection (one writer, up to 8 idle readers): the working
    // set reaches a plateau within seconds (about +50 MiB over start-up on a 2-core machine)
    // and must stay there however long the soak runs. 512 MiB above start-up is ten times that
    // plateau, yet a leak of a few KiB per request crosses it within a 10-minute soak.
    let bound = rss_start + 512 * 1024;
    assert!(
        rss_end < bound,
        "runner RSS grew from {:.0} MiB to {:.0} MiB (bound {:.0} MiB)",
        mib(rss_start),
        mib(rss_end),
        mib(bound)
    );
}
