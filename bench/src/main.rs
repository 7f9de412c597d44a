//! `nodetool-edge-bench`: requests/s and latency of the native runner against a plain hyper
//! server running the same core natively, measured in the same run on the same machine, and
//! printed as ratios. See docs/benchmarks.md.

mod baseline;
mod chat;
mod footprint;
mod load;
mod sockets;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use footprint::{footprint, rss_kib};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use nodetool_edge_conformance::supabase::{EcKey, StandIn, claims};

const TOKEN: &str = "bench-static-token-000000000000000000000";

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(mut cmd: Command, dir: &Path, extra: &[(&str, &str)]) -> Result<Server> {
    cmd.env("NODETOOL_SERVER_MODE", "private")
        .env("AUTH_PROVIDER", "static")
        .env("SERVER_AUTH_TOKEN", TOKEN)
        .envs(extra.iter().copied())
        .env("HOME", dir)
        .env("NODETOOL_CONFIG_PATH", dir.join("deployment.yaml"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = cmd.spawn().context("spawning a server")?;
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        if let Some(base) = line?.strip_prefix("Listening on ") {
            let base = base.to_string();
            std::thread::spawn(move || for _ in lines {});
            return Ok(Server { child, base });
        }
    }
    bail!("server exited before listening")
}

/// The run benchmark's graph: ten nodes of text and math (input -> format -> upper -> concat
/// -> length; two integers -> add -> multiply -> modulus; two outputs).
fn run_graph() -> serde_json::Value {
    let n = |id: &str, ty: &str, data: serde_json::Value| serde_json::json!({"id": id, "type": ty, "data": data});
    let e = |s: &str, sh: &str, t: &str, th: &str| serde_json::json!({"id": format!("{s}-{t}-{th}"), "source": s, "sourceHandle": sh, "target": t, "targetHandle": th});
    serde_json::json!({
        "nodes": [
            n("name", "nodetool.input.StringInput", serde_json::json!({"name": "name", "value": "edge"})),
            n("fmt", "nodetool.text.FormatText", serde_json::json!({"template": "Hello, {{ name }}!"})),
            n("up", "nodetool.text.ToUppercase", serde_json::json!({})),
            n("cat", "nodetool.text.Concat", serde_json::json!({"b": " ok"})),
            n("len", "nodetool.text.Length", serde_json::json!({})),
            n("x", "nodetool.input.IntegerInput", serde_json::json!({"name": "x", "value": 6})),
            n("add", "lib.math.Add", serde_json::json!({})),
            n("mul", "lib.math.Multiply", serde_json::json!({"b": 3})),
            n("text", "nodetool.output.Output", serde_json::json!({"name": "text"})),
            n("number", "nodetool.output.Output", serde_json::json!({"name": "number"})),
        ],
        "edges": [
            e("name", "output", "fmt", "name"), e("fmt", "output", "up", "text"),
            e("up", "output", "cat", "a"), e("cat", "output", "text", "value"),
            e("cat", "output", "len", "text"), e("len", "output", "add", "a"),
            e("x", "output", "add", "b"), e("add", "output", "mul", "a"),
            e("mul", "output", "number", "value"),
        ],
    })
}

/// The large-graph run: an integer input through 198 arithmetic nodes in a chain (add, multiply,
/// modulus, subtract, repeated) to one output: 200 nodes that compute inside the component.
fn chain_graph() -> serde_json::Value {
    let ops = [
        ("lib.math.Add", 3),
        ("lib.math.Multiply", 2),
        ("lib.math.Modulus", 1_000_003),
        ("lib.math.Subtract", 1),
    ];
    let mut nodes = vec![
        serde_json::json!({"id": "n0", "type": "nodetool.input.IntegerInput", "data": {"name": "x", "value": 1}}),
    ];
    let mut edges = Vec::new();
    for i in 1..=198 {
        let (ty, b) = ops[(i - 1) % ops.len()];
        nodes.push(serde_json::json!({"id": format!("n{i}"), "type": ty, "data": {"b": b}}));
        edges.push(serde_json::json!({"id": format!("e{i}"), "source": format!("n{}", i - 1), "sourceHandle": "output", "target": format!("n{i}"), "targetHandle": "a"}));
    }
    nodes.push(serde_json::json!({"id": "out", "type": "nodetool.output.Output", "data": {"name": "result"}}));
    edges.push(serde_json::json!({"id": "e-out", "source": "n198", "sourceHandle": "output", "target": "out", "targetHandle": "value"}));
    serde_json::json!({"nodes": nodes, "edges": edges})
}

/// `n` workflows of 100 other users, as the keys and values of records and index entries in
/// the layout the server writes.
fn other_tenant_rows(n: usize) -> Vec<(String, Vec<u8>)> {
    let mut rows = Vec::with_capacity(n + 100);
    let mut indexes: Vec<serde_json::Map<String, serde_json::Value>> =
        vec![Default::default(); 100];
    for i in 0..n {
        let (id, owner) = (format!("other-{i}"), format!("tenant-{}", i % 100));
        let record = serde_json::json!({
            "format": 1, "id": id, "user_id": owner, "access": "private",
            "created_at": "2026-01-01T00:00:00.000000", "updated_at": "2026-01-01T00:00:00.000000",
            "name": id, "tool_name": null, "tags": [], "description": "", "package_name": "",
            "path": null, "thumbnail": null, "thumbnail_url": null,
            "graph": {"nodes": [{"id": "a", "type": "nodetool.constant.String", "data": {"value": "x"}}], "edges": []},
            "settings": {}, "run_mode": null, "workspace_id": null, "html_app": null
        });
        rows.push((
            format!("workflows/v1/{id}"),
            record.to_string().into_bytes(),
        ));
        indexes[i % 100].insert(id, serde_json::json!({"u": "2026-01-01T00:00:00.000000"}));
    }
    for (t, entries) in indexes.into_iter().enumerate() {
        let index = serde_json::json!({"e": entries});
        rows.push((
            format!("index/v1/workflows/tenant-{t}"),
            index.to_string().into_bytes(),
        ));
    }
    rows
}

/// Writes other tenants' workflows straight into a SQLite store, in one transaction (through
/// the API this would take minutes).
fn store_other_tenants(db: &std::path::Path, n: usize) -> Result<()> {
    let mut conn = rusqlite::Connection::open(db)?;
    let tx = conn.transaction()?;
    {
        let mut insert = tx.prepare(
            "INSERT OR REPLACE INTO nodetool_edge_kv (store, key, value) VALUES ('default', ?1, ?2)",
        )?;
        for (key, value) in other_tenant_rows(n) {
            insert.execute(rusqlite::params![key, value])?;
        }
    }
    tx.commit()?;
    // As a store that grew over time would be: its pages in the database, not the WAL.
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(())
}

/// The same into the runner's Redis store, under the prefix it reads, pipelined.
fn store_other_tenants_redis(url: &str, n: usize) -> Result<()> {
    let mut conn = redis::Client::open(url)?.get_connection()?;
    let prefix = nodetool_edge_runner::kv::redis::key_prefix("default");
    for batch in other_tenant_rows(n).chunks(5_000) {
        let mut pipe = redis::pipe();
        for (key, value) in batch {
            pipe.set(format!("{prefix}{key}"), value.as_slice())
                .ignore();
        }
        pipe.query::<()>(&mut conn)?;
    }
    Ok(())
}

async fn put_workflow(base: &str, id: &str) -> Result<()> {
    put_graph(
        base,
        id,
        serde_json::json!({"nodes": [{"id": "a", "type": "nodetool.constant.String", "data": {"value": "x"}}], "edges": []}),
    )
    .await
}

async fn put_graph(base: &str, id: &str, graph: serde_json::Value) -> Result<()> {
    let body =
        serde_json::json!({"name": format!("bench {id}"), "access": "private", "graph": graph});
    put(
        base,
        &format!("/api/workflows/{id}"),
        body.to_string().into(),
    )
    .await
}

/// An authenticated PUT that must answer 200 (seeding data before measuring).
async fn put(base: &str, path: &str, body: Bytes) -> Result<()> {
    let addr = base.trim_start_matches("http://");
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let req = hyper::Request::put(path)
        .header("host", addr)
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(Full::new(body))?;
    let resp = sender.send_request(req).await?;
    let status = resp.status();
    resp.into_body().collect().await?;
    if status != 200 {
        bail!("seeding {path} answered {status}");
    }
    Ok(())
}

/// The 1 MiB object of the asset benchmark.
const ASSET_PATH: &str = "/admin/storage/assets/bench-1mib.bin";

struct Args {
    duration: Duration,
    connections: usize,
    workflows: usize,
    /// Workflows of other tenants written straight into both stores before measuring, so the
    /// list case shows whether a listing costs what others have stored.
    other_tenants: usize,
    /// Chat requests per path; by default as many as fit in `duration`.
    chat_requests: Option<usize>,
    /// Only the throughput cases whose name contains this (no footprint, JWT or chat cases).
    only: Option<String>,
    /// The runner's store: "sqlite" (the default) or "redis" (a redis-server started here;
    /// the baseline stays on SQLite).
    store: String,
}

/// The flags, for `--help` and for an unknown flag.
const USAGE: &str = "flags: --seconds N --connections N --workflows N --other-tenants N \
                     --chat-requests N --only TEXT --store sqlite|redis";

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Args> {
    let mut a = Args {
        duration: Duration::from_secs(5),
        connections: 32,
        workflows: 20,
        other_tenants: 0,
        chat_requests: None,
        only: None,
        store: "sqlite".into(),
    };
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            println!("scripts/bench [flags]; {USAGE}");
            std::process::exit(0);
        }
        let value = it
            .next()
            .with_context(|| format!("{flag} needs a value; {USAGE}"))?;
        // A value that does not parse names its flag, instead of a bare parser error.
        let number = |v: &str| -> Result<usize> {
            v.parse()
                .with_context(|| format!("{flag} needs a whole number, not {v:?}"))
        };
        match flag.as_str() {
            "--seconds" => {
                a.duration = value
                    .parse::<f64>()
                    .ok()
                    .filter(|s| *s > 0.0)
                    .and_then(|s| Duration::try_from_secs_f64(s).ok())
                    .with_context(|| format!("--seconds needs a positive number, not {value:?}"))?
            }
            "--connections" => match number(&value)? {
                0 => bail!("--connections must be at least 1"),
                n => a.connections = n,
            },
            "--workflows" => a.workflows = number(&value)?,
            "--other-tenants" => a.other_tenants = number(&value)?,
            "--only" => a.only = Some(value),
            "--store" => match value.as_str() {
                "sqlite" | "redis" => a.store = value,
                _ => bail!("--store is sqlite or redis"),
            },
            "--chat-requests" => match number(&value)? {
                0 => bail!("--chat-requests must be at least 1"),
                n => a.chat_requests = Some(n),
            },
            _ => bail!("unknown flag {flag}; {USAGE}"),
        }
    }
    Ok(a)
}

fn runner_binary() -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let p = exe.with_file_name("nodetool-edge");
    if !p.exists() {
        bail!(
            "{} is missing: cargo build --release -p nodetool-edge-runner",
            p.display()
        );
    }
    Ok(p)
}

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("baseline") {
        args.next();
        let db = PathBuf::from(args.next().context("baseline <db-path>")?);
        return baseline::serve(0, &db).await;
    }
    if args.peek().map(String::as_str) == Some("sockets") {
        args.next();
        let n = args.next().map_or(Ok(1000), |v| v.parse())?;
        let dir = tempfile::tempdir()?;
        return sockets::run(dir.path(), n).await;
    }
    let args = parse_args(args)?;

    let dir = tempfile::tempdir()?;
    let redis = (args.store == "redis").then(|| {
        let port = nodetool_edge_conformance::redis_server::free_port();
        nodetool_edge_conformance::redis_server::Redis::start(port, dir.path())
    });
    let runtime_config = match &redis {
        Some(redis) => {
            let file = dir.path().join("runtime-config.toml");
            std::fs::write(
                &file,
                format!(
                    "[key_value_store.default]\ntype = \"redis\"\nurl = \"{}\"\n",
                    redis.url()
                ),
            )?;
            Some(file)
        }
        None => None,
    };
    let (runner, baseline) = pair(dir.path(), "static", &[], runtime_config.as_deref())?;

    for server in [&runner, &baseline] {
        // The graphs to run first, so the newest `--workflows` are the small ones the list
        // case reads (a list is newest first).
        put_graph(&server.base, "bench-run", run_graph()).await?;
        put_graph(&server.base, "bench-chain", chain_graph()).await?;
        for i in 0..args.workflows {
            put_workflow(&server.base, &format!("bench-{i}")).await?;
        }
        let asset: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8).collect();
        put(&server.base, ASSET_PATH, asset.into()).await?;
    }
    if args.other_tenants > 0 {
        store_other_tenants(
            &dir.path().join("baseline-static.sqlite3"),
            args.other_tenants,
        )?;
        match &redis {
            Some(redis) => store_other_tenants_redis(&redis.url(), args.other_tenants)?,
            None => store_other_tenants(
                &dir.path().join("runner-static.sqlite3"),
                args.other_tenants,
            )?,
        }
    }
    let idle_rss = [rss_kib(&runner, "VmRSS")?, rss_kib(&baseline, "VmRSS")?];

    let bearer = Some(format!("Bearer {TOKEN}"));
    let get = |path: &str, auth: Option<String>| load::Shape {
        method: hyper::Method::GET,
        path: path.into(),
        auth,
        body: Bytes::new(),
    };
    // One page of the stored workflows: the run graphs stay off it.
    let list_path = format!("/workflows?limit={}", args.workflows.max(1));
    let cases = [
        ("GET /health", get("/health", None)),
        (
            "GET /workflows (authenticated)",
            get(&list_path, bearer.clone()),
        ),
        (
            "POST /workflows/{id}/run (10-node text+math graph)",
            load::Shape {
                method: hyper::Method::POST,
                path: "/workflows/bench-run/run".into(),
                auth: bearer.clone(),
                body: Bytes::from_static(br#"{"params": {"name": "bench", "x": 4}}"#),
            },
        ),
        (
            "POST /workflows/{id}/run (200-node arithmetic graph)",
            load::Shape {
                method: hyper::Method::POST,
                path: "/workflows/bench-chain/run".into(),
                auth: bearer.clone(),
                body: Bytes::from_static(br#"{"params": {"x": 5}}"#),
            },
        ),
        (
            "GET 1 MiB asset (admin storage)",
            get(ASSET_PATH, bearer.clone()),
        ),
    ];
    println!(
        "nodetool-edge benchmark: {} connections, {:?} per measurement, {} workflows stored \
         (and {} of other users), {} CPUs",
        args.connections,
        args.duration,
        args.workflows,
        args.other_tenants,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    println!();
    println!("| case | server | req/s | p50 µs | p99 µs | non-200 |");
    println!("|---|---|---:|---:|---:|---:|");
    let mut ratios = Vec::new();
    for (name, shape) in cases {
        if args
            .only
            .as_ref()
            .is_some_and(|only| !name.contains(only.as_str()))
        {
            continue;
        }
        measure(name, &shape, (&runner, &baseline), &args, &mut ratios).await?;
    }
    if args.only.is_some() {
        println!();
        for (name, rps, p99) in ratios {
            println!("{name}: runner/baseline req/s = {rps:.2}, p99 = {p99:.2}x");
        }
        return Ok(());
    }
    let peak_rss = [rss_kib(&runner, "VmHWM")?, rss_kib(&baseline, "VmHWM")?];
    drop((runner, baseline));
    let footprint = footprint(dir.path(), idle_rss, peak_rss).await?;

    // Supabase access tokens (ES256, keys from a local stand-in of the project's JWKS):
    // verified once and then remembered for AUTH_CACHE_TTL, and verified on every request.
    let auth = StandIn::start();
    let key = EcKey::generate("bench-key");
    auth.set_keys(vec![key.jwk()]);
    let jwt = format!("Bearer {}", key.sign(&claims(&auth.issuer(), "bench-user")));
    for (name, ttl) in [
        ("GET /workflows (Supabase ES256 JWT, cached)", "60"),
        (
            "GET /workflows (Supabase ES256 JWT, verified every request)",
            "0",
        ),
    ] {
        let env = [
            ("AUTH_PROVIDER", "supabase"),
            ("SUPABASE_URL", auth.url.as_str()),
            ("AUTH_CACHE_TTL", ttl),
        ];
        let servers = pair(
            dir.path(),
            &format!("supabase-{ttl}"),
            &env,
            runtime_config.as_deref(),
        )?;
        measure(
            name,
            &get("/workflows", Some(jwt.clone())),
            (&servers.0, &servers.1),
            &args,
            &mut ratios,
        )
        .await?;
    }
    let chat_ratios = chat::run(dir.path(), &args).await?;
    println!();
    for line in footprint {
        println!("{line}");
    }
    println!();
    for (name, rps, p99) in ratios {
        println!("{name}: runner/baseline req/s = {rps:.2}, p99 = {p99:.2}x");
    }
    for line in chat_ratios {
        println!("{line}");
    }
    Ok(())
}

/// The runner and the baseline with the same configuration, each on its own database (the
/// runner's is the runtime-config file's store when one is given).
fn pair(
    dir: &Path,
    tag: &str,
    env: &[(&str, &str)],
    runtime_config: Option<&Path>,
) -> Result<(Server, Server)> {
    let mut runner_cmd = Command::new(runner_binary()?);
    runner_cmd
        .args(["serve", "--port", "0"])
        .env("DB_PATH", dir.join(format!("runner-{tag}.sqlite3")));
    if let Some(file) = runtime_config {
        runner_cmd.arg("--runtime-config-file").arg(file);
    }
    let runner = spawn(runner_cmd, dir, env)?;
    let mut base_cmd = Command::new(std::env::current_exe()?);
    base_cmd
        .arg("baseline")
        .arg(dir.join(format!("baseline-{tag}.sqlite3")));
    let baseline = spawn(base_cmd, dir, env)?;
    Ok((runner, baseline))
}

type Ratio = (&'static str, f64, f64);

async fn measure(
    name: &'static str,
    shape: &load::Shape,
    (runner, baseline): (&Server, &Server),
    args: &Args,
    ratios: &mut Vec<Ratio>,
) -> Result<()> {
    {
        let base = load::run(&baseline.base, shape, args.connections, args.duration).await?;
        let comp = load::run(&runner.base, shape, args.connections, args.duration).await?;
        for (label, o) in [
            ("plain hyper + native core", &base),
            ("nodetool-edge runner (component)", &comp),
        ] {
            println!(
                "| {name} | {label} | {:.0} | {} | {} | {} |",
                o.rps(),
                o.p50_us,
                o.p99_us,
                o.errors
            );
        }
        if base.errors + comp.errors > 0 {
            bail!("{name}: some requests failed");
        }
        ratios.push((
            name,
            comp.rps() / base.rps(),
            comp.p99_us as f64 / base.p99_us.max(1) as f64,
        ));
    }
    Ok(())
}
