//! `nodetool-edge`: the native host for the nodetool-edge component.

use std::process::ExitCode;

use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use nodetool_edge::ws::limits as ws_limits;
use nodetool_edge_runner::access_log::LogFormat;
use nodetool_edge_runner::instances::{Isolation, Lifecycle};
use nodetool_edge_runner::jobs::JobLimits;
use nodetool_edge_runner::request_body::BodyLimits;
use nodetool_edge_runner::server::WireLimits;
use nodetool_edge_runner::websocket::SocketLimits;
use nodetool_edge_runner::{deploy, deployment_config, startup, users};

#[derive(Parser)]
#[command(
    name = "nodetool-edge",
    version,
    about = "NodeTool's deployment server, as one WebAssembly component"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The unified server; mode and auth come from the environment.
    Serve(ServeArgs),
    /// The seed's worker: static token auth always on.
    Worker(WorkerArgs),
    /// Show or rotate the static server token kept in the deployment config file.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Users of the multi_user provider, in the local database.
    Users {
        /// The database the server uses.
        #[arg(long, env = "DB_PATH", global = true)]
        db_path: Option<std::path::PathBuf>,
        #[command(subcommand)]
        action: UsersAction,
    },
    /// Sync and run workflows on deployments listed in the deployment config file
    /// (NodeTool's `deploy workflows` protocol).
    Deploy {
        #[command(subcommand)]
        action: DeployAction,
    },
}

#[derive(Subcommand)]
enum UsersAction {
    /// Add a user and print their token (shown only this once).
    Add {
        username: String,
        #[arg(long, default_value = "user", value_parser = ["user", "admin"])]
        role: String,
    },
    /// List users (token hashes shortened).
    List,
    /// Give a user a new token; the old one stops working.
    ResetToken { username: String },
    /// Remove a user (their data is kept).
    Remove { username: String },
    /// Add or replace the users of a NodeTool users.yaml (tokens keep working).
    Import { file: std::path::PathBuf },
}

#[derive(Subcommand)]
enum DeployAction {
    /// Workflows on a deployment.
    Workflows {
        #[command(subcommand)]
        action: WorkflowsAction,
    },
    /// Add or replace a deployment reachable at a URL.
    Add {
        name: String,
        #[arg(long)]
        url: String,
        /// Bearer token the deployment expects.
        #[arg(long, env = "NODETOOL_DEPLOY_TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// Admin token, sent as X-Admin-Token (for production deployments with ADMIN_TOKEN).
        #[arg(long, env = "NODETOOL_DEPLOY_ADMIN_TOKEN", hide_env_values = true)]
        admin_token: Option<String>,
    },
}

#[derive(Subcommand)]
enum WorkflowsAction {
    /// Copy a workflow from the local database (or a JSON file) to the deployment.
    Sync {
        deployment: String,
        workflow_id: String,
        /// Read the workflow from this JSON file instead of the local database.
        #[arg(long)]
        file: Option<std::path::PathBuf>,
        /// The local database (default: the one `serve` uses).
        #[arg(long, env = "DB_PATH")]
        db_path: Option<std::path::PathBuf>,
    },
    /// List the deployment's workflows.
    List { deployment: String },
    /// Run a workflow on the deployment with `-p name=value` params.
    Run {
        deployment: String,
        workflow_id: String,
        #[arg(short = 'p', long = "param")]
        params: Vec<String>,
    },
    /// Delete a workflow from the deployment.
    Delete {
        deployment: String,
        workflow_id: String,
        /// Accepted for compatibility with NodeTool's CLI; there is no prompt.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Args, Clone)]
struct HostArgs {
    /// SQLite file for the key-value store (default under the user's data directory).
    #[arg(long, env = "DB_PATH")]
    pub db_path: Option<std::path::PathBuf>,
    /// Requests in flight at once (each in an instance of its own while it runs).
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_concurrency: u32,
    /// `warm`: an instance serves many requests, one at a time, and is thrown away after any
    /// trap or limit; `request`: a fresh instance for every request (strongest isolation).
    #[arg(
        long,
        value_enum,
        default_value = "warm",
        env = "NODETOOL_EDGE_ISOLATION"
    )]
    pub isolation: Isolation,
    /// Requests one warm instance serves before it is retired.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub instance_max_requests: u64,
    /// Milliseconds a warm instance may stay idle before it is retired.
    #[arg(long, default_value_t = 60_000, value_parser = clap::value_parser!(u64).range(1..=86_400_000))]
    pub instance_idle_ms: u64,
    /// Milliseconds a client has to send a whole request head (from connecting, or from the
    /// end of its previous answer).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(100..=3_600_000))]
    pub header_timeout_ms: u64,
    /// Milliseconds an idle kept-alive connection stays open.
    #[arg(long, default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(100..=3_600_000))]
    pub keep_alive_ms: u64,
    /// Milliseconds a request body may stall before the request gets 408.
    #[arg(long, default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(100..=3_600_000))]
    pub body_idle_ms: u64,
    /// Bytes per second a request body must average once it has arrived for
    /// --body-idle-ms (0: no minimum).
    #[arg(long, default_value_t = 1024)]
    pub body_min_rate: u64,
    /// Client connections open at once (kept to half the file-descriptor limit at most);
    /// more wait to be accepted.
    #[arg(long, default_value_t = 1024, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1_000_000))]
    pub max_connections: usize,
    /// WebSockets (`/ws`) open at once, server-wide; more get 503.
    #[arg(long, env = "WS_MAX_SOCKETS", default_value_t = 4096, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1_000_000))]
    pub ws_max_sockets: usize,
    /// WebSockets one user may have open at once; more get 429.
    #[arg(long, env = "WS_MAX_SOCKETS_PER_USER", default_value_t = ws_limits::MAX_SOCKETS_PER_USER.default as usize, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1_000_000))]
    pub ws_max_sockets_per_user: usize,
    /// Largest WebSocket message a client may send; a bigger one closes the socket (1009).
    #[arg(long, env = "WS_MAX_MESSAGE_BYTES", default_value_t = ws_limits::MAX_MESSAGE_BYTES.default as usize, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1024..=(64 << 20)))]
    pub ws_max_message_bytes: usize,
    /// Seconds between the server's pings on a WebSocket (NodeTool's heartbeat is 25).
    #[arg(long, env = "WS_HEARTBEAT_SECS", default_value_t = ws_limits::HEARTBEAT_SECS.default, value_parser = clap::builder::RangedU64ValueParser::<u64>::new().range(1..=3_600))]
    pub ws_heartbeat_secs: u64,
    /// Seconds a WebSocket may send nothing, not even a pong, before it is closed.
    #[arg(long, env = "WS_IDLE_SECS", default_value_t = ws_limits::IDLE_SECS.default, value_parser = clap::builder::RangedU64ValueParser::<u64>::new().range(1..=86_400))]
    pub ws_idle_secs: u64,
    /// Seconds between checks of an open WebSocket's token: an expired or revoked one closes
    /// the socket (1008).
    #[arg(long, env = "WS_AUTH_CHECK_SECS", default_value_t = ws_limits::AUTH_CHECK_SECS.default, value_parser = clap::builder::RangedU64ValueParser::<u64>::new().range(1..=86_400))]
    pub ws_auth_check_secs: u64,
    /// Jobs (`/ws` `run_job`) one user may have running at once.
    #[arg(long, env = "MAX_JOBS_PER_USER", default_value_t = ws_limits::MAX_JOBS_PER_USER.default as usize, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=10_000))]
    pub max_jobs_per_user: usize,
    /// Seconds a finished job's messages stay for `reconnect_job`.
    #[arg(long, env = "JOB_RETENTION_SECS", default_value_t = ws_limits::JOB_RETENTION_SECS.default, value_parser = clap::builder::RangedU64ValueParser::<u64>::new().range(1..=604_800))]
    pub job_retention_secs: u64,
    /// Milliseconds a request may wait for a free instance slot before it gets 503.
    #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(0..=600_000))]
    pub queue_wait_ms: u64,
    /// Guests that compute without pause for more than 50 ms share this many cores (default:
    /// all but one), so requests that wait on I/O always keep a core.
    #[arg(long, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=4_096))]
    pub compute_slots: Option<usize>,
    /// Within a minute, this many failed bearer or admin-token attempts from one client
    /// address: this one and every later credentialed request get 429 until the minute is
    /// over.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(2..=1_000_000))]
    pub auth_attempt_limit: u32,
    /// On SIGTERM or Ctrl-C: seconds requests in flight get to finish.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(0..=3_600))]
    pub shutdown_grace: u64,
    /// `text`: refusals and faults on stderr; `json`: every request as one JSON line on stdout.
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Serve Prometheus metrics at /metrics on this address (a bare port means loopback).
    #[arg(long, value_parser = parse_metrics_addr)]
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// Linear memory cap of one instance, in MiB.
    #[arg(long, default_value_t = 256, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(16..=65_536))]
    pub memory_mb: usize,
    /// CPU time one request may use, in milliseconds (epoch interruption; time spent waiting
    /// on storage or an upstream does not count).
    #[arg(long, default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(10..=86_400_000))]
    pub deadline_ms: u64,
    /// Wall-clock limit of one request in milliseconds: to answer, and again to send a
    /// streamed body (a long chat completion).
    #[arg(long, default_value_t = 900_000, value_parser = clap::value_parser!(u64).range(10..=86_400_000))]
    pub timeout_ms: u64,
    /// Serve this component file instead of the one built into the binary.
    #[arg(long, env = "NODETOOL_EDGE_COMPONENT_FILE")]
    pub component: Option<std::path::PathBuf>,
    /// A Spin runtime-config file; its `[key_value_store.default]` picks Redis (shared by
    /// several runners) or SQLite at a path.
    #[arg(long = "runtime-config-file", env = "NODETOOL_EDGE_RUNTIME_CONFIG")]
    pub runtime_config: Option<std::path::PathBuf>,
    /// Keep the compiled component here between starts (default: the user's cache directory,
    /// `$XDG_CACHE_HOME/nodetool-edge` or `~/.cache/nodetool-edge`).
    #[arg(long, env = "NODETOOL_EDGE_COMPILE_CACHE")]
    pub compile_cache: Option<std::path::PathBuf>,
    /// Compile the component at every start instead (wins over the variable).
    #[arg(long)]
    pub no_compile_cache: bool,
    /// Serve HTTPS with this PEM certificate chain (HTTP/2 and HTTP/1.1 by ALPN).
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
}

#[derive(Args)]
struct ServeArgs {
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    #[arg(long, default_value_t = 7777)]
    port: u16,
    #[command(flatten)]
    limits: HostArgs,
}

#[derive(Args)]
struct WorkerArgs {
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    #[arg(long, default_value_t = 8000)]
    port: u16,
    #[command(flatten)]
    limits: HostArgs,
}

#[derive(Subcommand)]
enum TokenAction {
    /// Print the token the server would use (environment, then the config file, else a new one).
    Show,
    /// Generate a new token and save it to the config file.
    Rotate,
}

/// `PORT` (loopback) or `HOST:PORT`.
fn parse_metrics_addr(s: &str) -> Result<std::net::SocketAddr, String> {
    if let Ok(port) = s.parse::<u16>() {
        return Ok(std::net::SocketAddr::from(([127, 0, 0, 1], port)));
    }
    s.parse()
        .map_err(|_| format!("'{s}' is neither a port nor an address such as 127.0.0.1:9464"))
}

impl From<HostArgs> for startup::HostOptions {
    fn from(a: HostArgs) -> Self {
        startup::HostOptions {
            db_path: a.db_path,
            max_concurrency: a.max_concurrency,
            lifecycle: Lifecycle {
                isolation: a.isolation,
                max_requests: a.instance_max_requests,
                idle: Duration::from_millis(a.instance_idle_ms),
            },
            wire: WireLimits {
                header: Duration::from_millis(a.header_timeout_ms),
                keep_alive: Duration::from_millis(a.keep_alive_ms),
                body: BodyLimits {
                    idle: Duration::from_millis(a.body_idle_ms),
                    min_rate: a.body_min_rate,
                },
                max_connections: a.max_connections,
                queue_wait: Duration::from_millis(a.queue_wait_ms),
            },
            sockets: SocketLimits {
                max_sockets: a.ws_max_sockets,
                max_per_user: a.ws_max_sockets_per_user,
                max_message: a.ws_max_message_bytes,
                idle: Duration::from_secs(a.ws_idle_secs),
                heartbeat: Duration::from_secs(a.ws_heartbeat_secs),
                auth_check: Duration::from_secs(a.ws_auth_check_secs),
            },
            jobs: JobLimits {
                per_user: a.max_jobs_per_user,
                retention: Duration::from_secs(a.job_retention_secs),
                replay_bytes: ws_limits::REPLAY_BYTES,
            },
            compute_slots: a.compute_slots,
            shutdown_grace: Duration::from_secs(a.shutdown_grace),
            auth_attempt_limit: a.auth_attempt_limit,
            log_format: a.log_format,
            metrics_addr: a.metrics_addr,
            memory_mb: a.memory_mb,
            deadline_ms: a.deadline_ms,
            timeout_ms: a.timeout_ms,
            component: a.component,
            runtime_config: a.runtime_config,
            tls: a.tls_cert.zip(a.tls_key),
            compile_cache: match (a.no_compile_cache, a.compile_cache) {
                (true, _) => startup::CompileCache::Off,
                (false, Some(dir)) => startup::CompileCache::At(dir),
                (false, None) => startup::CompileCache::Default,
            },
        }
    }
}

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(a) => startup::run(startup::Role::Server, &a.host, a.port, a.limits.into()),
        Command::Worker(a) => startup::run(startup::Role::Worker, &a.host, a.port, a.limits.into()),
        Command::Token { action } => token_command(action),
        Command::Deploy { action } => deploy_command(action),
        Command::Users { db_path, action } => users_command(db_path, action),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn token_command(action: TokenAction) -> anyhow::Result<()> {
    match action {
        TokenAction::Show => {
            let resolved =
                deployment_config::resolve(&process_env, true)?.expect("generation allowed");
            eprintln!("Source: {}", resolved.source.describe());
            println!("{}", resolved.token);
        }
        TokenAction::Rotate => {
            let path = deployment_config::config_path(&process_env)?;
            let token = deployment_config::generate();
            deployment_config::store_token(&path, &token)?;
            eprintln!("Saved a new token to {}", path.display());
            for name in deployment_config::TOKEN_ENV {
                if process_env(name).is_some_and(|v| !v.trim().is_empty()) {
                    eprintln!(
                        "warning: {name} is set in the environment and takes precedence over the file"
                    );
                }
            }
            println!("{token}");
        }
    }
    Ok(())
}

fn users_command(db_path: Option<std::path::PathBuf>, action: UsersAction) -> anyhow::Result<()> {
    let db = match db_path {
        Some(p) => p,
        None => startup::default_db_path()?,
    };
    let action = match &action {
        UsersAction::Add { username, role } => users::Action::Add { username, role },
        UsersAction::List => users::Action::List,
        UsersAction::ResetToken { username } => users::Action::ResetToken { username },
        UsersAction::Remove { username } => users::Action::Remove { username },
        UsersAction::Import { file } => users::Action::Import { file },
    };
    users::run(&db, action)
}

fn deploy_command(action: DeployAction) -> anyhow::Result<()> {
    let env = process_env;
    match action {
        DeployAction::Add {
            name,
            url,
            token,
            admin_token,
        } => deploy::add(&name, &url, token.as_deref(), admin_token.as_deref(), &env),
        DeployAction::Workflows { action } => match action {
            WorkflowsAction::Sync {
                deployment,
                workflow_id,
                file,
                db_path,
            } => {
                let source = match (file, db_path) {
                    (Some(f), _) => deploy::Source::File(f),
                    (None, Some(db)) => deploy::Source::Database(db),
                    (None, None) => deploy::Source::Database(startup::default_db_path()?),
                };
                deploy::sync(&deployment, &workflow_id, &source, &env)
            }
            WorkflowsAction::List { deployment } => deploy::list(&deployment, &env),
            WorkflowsAction::Run {
                deployment,
                workflow_id,
                params,
            } => deploy::run(&deployment, &workflow_id, &params, &env),
            WorkflowsAction::Delete {
                deployment,
                workflow_id,
                force: _,
            } => deploy::delete(&deployment, &workflow_id, &env),
        },
    }
}
