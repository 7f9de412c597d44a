//! Start-up: validate the configuration with the core's own rules before anything is bound or
//! written, resolve the token, open storage, compile the component, then serve.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use nodetool_edge::auth::token::mask;
use nodetool_edge::config::{
    AuthProvider, BUNDLED_VARIABLE, Config, Environment, VARIABLE_NAMES, bundle_variables,
};

use crate::access_log::LogFormat;
use crate::compile_cache;
use crate::component::{self, Limits};
use crate::deployment_config::{self, ResolvedToken, TokenSource};
use crate::host_state::SharedHost;
use crate::instances::{Instances, Lifecycle};
use crate::key_value_host::STORE_LABEL;
use crate::kv::KvBackend;
use crate::kv::redis::RedisKv;
use crate::kv::runtime_config::{self, StoreConfig};
use crate::kv::sqlite::SqliteKv;
use crate::kv::timed::TimedKv;
use crate::master_key;
use crate::metrics::Metrics;
use crate::model_cache;
use crate::outbound::AllowList;
use crate::server::{ServerOptions, WireLimits, serve, serve_metrics};

/// Host limits and storage, from the command line.
#[derive(Debug, Clone)]
pub struct HostOptions {
    /// SQLite file for the key-value store (default under the user's data directory).
    pub db_path: Option<PathBuf>,
    pub max_concurrency: u32,
    pub lifecycle: Lifecycle,
    pub wire: WireLimits,
    pub sockets: crate::websocket::SocketLimits,
    pub jobs: crate::jobs::JobLimits,
    /// Permits for heavy guests (default: all cores but one).
    pub compute_slots: Option<usize>,
    pub shutdown_grace: Duration,
    pub auth_attempt_limit: u32,
    pub log_format: LogFormat,
    pub metrics_addr: Option<std::net::SocketAddr>,
    pub memory_mb: usize,
    pub deadline_ms: u64,
    pub timeout_ms: u64,
    /// A component file to serve instead of the embedded one.
    pub component: Option<PathBuf>,
    /// A Spin runtime-config file naming the key-value store (Redis, or SQLite at a path).
    pub runtime_config: Option<PathBuf>,
    /// `--tls-cert` and `--tls-key`: serve HTTPS.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Where the compiled component is kept between starts.
    pub compile_cache: CompileCache,
}

#[derive(Debug, Clone)]
pub enum CompileCache {
    /// Under the user's cache directory (`compile_cache::default_dir`).
    Default,
    At(PathBuf),
    /// Compile at every start.
    Off,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Server,
    Worker,
}

const RULE: &str = "======================================================================";

/// The variables handed to the component: the environment's values for the names the core
/// reads, with the worker's fixed settings applied.
fn collect_variables(role: Role) -> Result<HashMap<String, String>> {
    let mut vars: HashMap<String, String> = VARIABLE_NAMES
        .iter()
        .filter_map(|n| {
            std::env::var(n)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .map(|v| (n.to_string(), v))
        })
        .collect();
    if role == Role::Worker {
        match vars
            .get("AUTH_PROVIDER")
            .map(|p| p.trim().to_ascii_lowercase())
        {
            None => {
                vars.insert("AUTH_PROVIDER".into(), "static".into());
            }
            Some(p) if p == "static" => {}
            Some(p) => bail!(
                "the worker always uses AUTH_PROVIDER=static (found '{p}'); use `serve` for other providers"
            ),
        }
        vars.entry("NODETOOL_SERVER_MODE".into())
            .or_insert_with(|| "private".into());
    }
    Ok(vars)
}

/// The SQLite file: the one configured, else the default.
fn configured_or_default(configured: Option<PathBuf>) -> Result<PathBuf> {
    match configured {
        Some(p) => Ok(p),
        None => default_db_path(),
    }
}

pub fn default_db_path() -> Result<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("LOCALAPPDATA")
                .filter(|_| cfg!(windows))
                .map(PathBuf::from)
        })
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local").join("share")))
        .context("no data directory: set DB_PATH")?;
    Ok(base.join("nodetool-edge").join("nodetool-edge.sqlite3"))
}

pub fn run(role: Role, host: &str, port: u16, limits: HostOptions) -> Result<()> {
    let mut vars = collect_variables(role)?;
    let mut config = Config::from_lookup(|n| vars.get(n).cloned())?;
    // A development install without a master key gets one of its own, beside its data.
    if config.env == Environment::Development && config.secrets_master_key.is_none() {
        let db = configured_or_default(limits.db_path.clone())?;
        let dir = db
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let (key, path, origin) = master_key::load_or_create(dir)?;
        vars.insert("SECRETS_MASTER_KEY".into(), key);
        config = Config::from_lookup(|n| vars.get(n).cloned())?;
        let what = match origin {
            master_key::Origin::Generated => "generated and saved to",
            master_key::Origin::Loaded => "read from",
        };
        println!(
            "🔐 Secrets master key: {what} {} (development; set SECRETS_MASTER_KEY to use your own)",
            path.display()
        );
    }

    // Only `static` may mint a token; the other enforcing providers accept a configured one.
    let token = if config.auth_provider.enforces_auth() {
        deployment_config::resolve(
            &|n: &str| std::env::var(n).ok(),
            config.auth_provider == AuthProvider::Static,
        )?
    } else {
        None
    };
    vars.remove("WORKER_AUTH_TOKEN");
    match &token {
        Some(t) => {
            vars.insert("SERVER_AUTH_TOKEN".into(), t.token.clone());
        }
        None => {
            vars.remove("SERVER_AUTH_TOKEN");
        }
    }

    // The component shows this path and measures what is mapped at /hf-cache.
    let model_cache = model_cache::resolve(&|n: &str| std::env::var(n).ok());
    match &model_cache {
        Some(dir) => {
            vars.insert("HF_HUB_CACHE".into(), dir.display().to_string());
        }
        None => {
            vars.remove("HF_HUB_CACHE");
        }
    }

    let outbound = outbound_allow_list(&config)?;

    let (kv, storage) = open_store(&limits)?;
    let metrics = Arc::new(Metrics::default());
    // Timing every store operation costs a lock each; only when someone is looking.
    let kv: Arc<dyn KvBackend> = if limits.metrics_addr.is_some() {
        Arc::new(TimedKv::new(kv, metrics.clone()))
    } else {
        kv
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let compute_slots = limits
        .compute_slots
        .unwrap_or(cores.saturating_sub(1))
        .max(1);
    let mut wire = limits.wire;
    let ceiling = connection_ceiling();
    if wire.max_connections > ceiling {
        // The descriptor limit is the machine's, not a typo: serve, but say so.
        println!(
            "⚠️  --max-connections {} lowered to {ceiling}: half the open-file limit of this process",
            wire.max_connections
        );
        wire.max_connections = ceiling;
    }
    let mut sockets = limits.sockets;
    if sockets.max_sockets > ceiling {
        println!(
            "⚠️  --ws-max-sockets {} lowered to {ceiling}: half the open-file limit of this process",
            sockets.max_sockets
        );
        sockets.max_sockets = ceiling;
    }
    let server_options = ServerOptions {
        wire,
        sockets,
        jobs: limits.jobs,
        shutdown_grace: limits.shutdown_grace,
        auth_attempt_limit: limits.auth_attempt_limit,
        log_format: limits.log_format,
    };
    let lifecycle = limits.lifecycle;
    let metrics_addr = limits.metrics_addr;
    // A bad certificate or key stops start-up before the port is bound.
    let tls = match &limits.tls {
        Some((cert, key)) => Some(crate::tls::acceptor(cert, key)?),
        None => None,
    };

    let component_file = limits.component.clone();
    let compile_cache = match &limits.compile_cache {
        CompileCache::Off => None,
        CompileCache::At(dir) => Some(dir.clone()),
        CompileCache::Default => compile_cache::default_dir(),
    };
    // The flags' own ranges are checked by the parser; this one ties two of them.
    if limits.timeout_ms < limits.deadline_ms {
        anyhow::bail!(
            "--timeout-ms {} is below --deadline-ms {}: the wall clock must allow the CPU budget",
            limits.timeout_ms,
            limits.deadline_ms
        );
    }
    let limits = Limits {
        max_instances: limits.max_concurrency,
        memory_bytes: limits.memory_mb << 20,
        deadline: Duration::from_millis(limits.deadline_ms),
        timeout: Duration::from_millis(limits.timeout_ms),
    };
    let engine = component::engine(&limits)?;
    let bytes = match &component_file {
        Some(path) => std::borrow::Cow::Owned(
            std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
        ),
        None => std::borrow::Cow::Borrowed(component::EMBEDDED),
    };
    let ready = compile_cache::load_or_compile(&engine, &bytes, compile_cache.as_deref())
        .map_err(|e| component::context(e, "compiling the component"))?;
    let pre = component::prepare(&engine, &ready.component)?;
    let shared = SharedHost {
        kv,
        variables: Arc::new(spin_variables(vars)),
        memory_limit_bytes: limits.memory_bytes,
        model_cache: model_cache.filter(|d| d.is_dir()),
        outbound: Arc::new(outbound),
        compute: Arc::new(tokio::sync::Semaphore::new(compute_slots)),
    };

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind((host, port))
            .await
            .with_context(|| format!("binding {host}:{port}"))?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let addr = listener.local_addr()?;
        let banner = Banner {
            storage: &storage,
            component: &ready.describe(),
        };
        let metrics_at = match metrics_addr {
            Some(addr) => Some(serve_metrics(addr, metrics.clone()).await?),
            None => None,
        };
        if let Some(at) = metrics_at {
            println!("Metrics: http://{at}/metrics");
        }
        if binds_all_interfaces(host) && !config.auth_provider.enforces_auth() {
            warn_open_to_the_network(host, config.auth_provider.as_str());
        }
        if tls.is_none() && !is_loopback_host(host) && config.auth_provider.enforces_auth() {
            warn_tokens_in_clear(host, config.auth_provider.as_str());
        }
        let addr = addr.to_string();
        print_banner(role, &config, token.as_ref(), (scheme, &addr), banner);
        let instances = Instances::new(engine, pre, shared, limits, lifecycle, metrics);
        let served = serve(listener, instances, server_options, tls, shutdown_signal()).await;
        crate::instances::serving_stopped();
        served
    })?;
    // Blocking store calls still running (a sync of the database) may finish; nothing else
    // is waited for.
    rt.shutdown_timeout(Duration::from_secs(5));
    Ok(())
}

/// The most connections the process can hold with room to spare: half its file-descriptor
/// limit, after raising the soft limit to the hard one.
fn connection_ceiling() -> usize {
    #[cfg(unix)]
    {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit only read and write the struct passed in.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
                return usize::MAX;
            }
            if lim.rlim_cur < lim.rlim_max {
                let raised = libc::rlimit {
                    rlim_cur: lim.rlim_max,
                    rlim_max: lim.rlim_max,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                    lim.rlim_cur = lim.rlim_max;
                }
            }
        }
        (lim.rlim_cur / 2).max(16) as usize
    }
    #[cfg(not(unix))]
    usize::MAX
}

/// The origins the component may call: the configured upstreams (the Supabase project, Ollama
/// and the OpenAI-compatible API) and whatever `ALLOWED_OUTBOUND_HOSTS` adds
/// (comma-separated `http(s)://host[:port]`).
fn outbound_allow_list(config: &Config) -> Result<AllowList> {
    let configured = config.outbound_origins();
    AllowList::parse(configured.iter().map(String::as_str))
        .context("the configured upstream URLs")?;
    let extra = std::env::var("ALLOWED_OUTBOUND_HOSTS").unwrap_or_default();
    AllowList::parse(
        configured
            .iter()
            .map(String::as_str)
            .chain(extra.split(',')),
    )
    .context("ALLOWED_OUTBOUND_HOSTS")
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// The component's key-value store, as the runtime-config file says (SQLite at `DB_PATH` or
/// its default when there is none), and how the banner names it (never with a password).
fn open_store(options: &HostOptions) -> Result<(Arc<dyn KvBackend>, String)> {
    let config = match &options.runtime_config {
        None => StoreConfig::Sqlite(None),
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("reading {}", file.display()))?;
            let dir = file.parent().unwrap_or(std::path::Path::new("."));
            runtime_config::parse(&text, dir)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?
        }
    };
    match config {
        StoreConfig::Redis(url) => {
            let shown = runtime_config::redacted(&url);
            let kv = RedisKv::open(&url, STORE_LABEL)
                .with_context(|| format!("connecting to {shown}"))?;
            Ok((Arc::new(kv), format!("Redis at {shown}")))
        }
        StoreConfig::Sqlite(path) => {
            let db_path = configured_or_default(path.or_else(|| options.db_path.clone()))?;
            let kv = SqliteKv::open(&db_path, STORE_LABEL)
                .with_context(|| format!("opening {}", db_path.display()))?;
            Ok((Arc::new(kv), format!("SQLite at {}", db_path.display())))
        }
    }
}

/// The variables as the component reads them: each under its lower-case Spin name, and all of
/// them bundled in one (`BUNDLED_VARIABLE`), which the component reads first.
fn spin_variables(vars: HashMap<String, String>) -> HashMap<String, String> {
    let bundle = bundle_variables(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let mut out: HashMap<String, String> = vars
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect();
    out.insert(BUNDLED_VARIABLE.into(), bundle);
    out
}

/// `localhost` or a loopback address: only this machine can connect.
fn is_loopback_host(host: &str) -> bool {
    let h = host.trim().trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost")
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Tokens are enforced, so they travel in every request: without TLS, in clear text.
fn warn_tokens_in_clear(host: &str, provider: &str) {
    println!(
        "⚠️  Serving plain HTTP on '{host}' with AUTH_PROVIDER='{provider}': bearer tokens cross the network unencrypted."
    );
    println!(
        "   Use --tls-cert and --tls-key, or put a TLS-terminating reverse proxy in front and bind 127.0.0.1."
    );
}

/// `0.0.0.0`, `::` or an empty host: every network interface, as NodeTool names them.
fn binds_all_interfaces(host: &str) -> bool {
    matches!(host.trim(), "" | "0.0.0.0" | "::" | "[::]")
}

/// NodeTool's warning for the same case, with our own hints.
fn warn_open_to_the_network(host: &str, provider: &str) {
    println!(
        "⚠️  SECURITY WARNING: Server is binding to '{host}' (all network interfaces) with AUTH_PROVIDER='{provider}' which does NOT enforce authentication."
    );
    println!("   Anyone who can reach this port can read and change every workflow and secret.");
    println!("   Bind 127.0.0.1 (the default) for local use, or set AUTH_PROVIDER=static,");
    println!("   multi_user or supabase with NODETOOL_SERVER_MODE=private.");
}

/// What start-up chose, for the banner.
struct Banner<'a> {
    storage: &'a str,
    component: &'a str,
}

fn print_banner(
    role: Role,
    config: &Config,
    token: Option<&ResolvedToken>,
    (scheme, addr): (&str, &str),
    banner: Banner<'_>,
) {
    let what = if role == Role::Worker {
        "worker"
    } else {
        "server"
    };
    println!("🚀 Starting NodeTool {what} on {addr}");
    println!();
    println!("{RULE}");
    println!(
        "Environment: {}",
        if config.env == Environment::Production {
            "production"
        } else {
            "development"
        }
    );
    println!("Server mode: {:?}", config.mode);
    println!("Auth provider: {}", config.auth_provider.as_str());
    println!("Storage: {}", banner.storage);
    println!("Component: {}", banner.component);
    for warning in &config.warnings {
        println!("⚠️  {warning}");
    }
    if config.admin_token.is_some() {
        println!("Admin Token: configured (X-Admin-Token required on /admin/*)");
    } else if config.env == Environment::Production {
        println!("⚠️  Admin Token: Not configured");
    }
    if let Some(t) = token {
        println!("{RULE}");
        println!("AUTHENTICATION");
        println!("{RULE}");
        println!("🔒 Status: ENABLED (all endpoints require authentication)");
        println!("🔑 Token: {}", mask(&t.token));
        println!("📍 Source: {}", t.source.describe());
        if let TokenSource::Generated(path) = &t.source {
            println!("   💾 Full token saved to: {}", path.display());
        }
        println!();
        println!("🔓 Public endpoints (no auth): /health, /ping");
        println!("🔐 Protected endpoints: All others (use header below)");
        println!();
        // The full token only right after it was generated: nobody else can know it yet.
        match &t.source {
            TokenSource::Generated(_) => println!("   Authorization: Bearer {}", t.token),
            _ => println!(
                "   Authorization: Bearer <token from {}>",
                t.source.describe()
            ),
        }
    } else if !config.auth_provider.enforces_auth() {
        println!(
            "🔓 Authentication: not enforced (AUTH_PROVIDER={}); every request runs as user \"1\"",
            config.auth_provider.as_str()
        );
    }
    println!("{RULE}");
    println!("Listening on {scheme}://{addr}");
}
