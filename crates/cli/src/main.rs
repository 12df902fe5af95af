//! The `keyward` binary: `keyward server` (the KMS), `keyward admin …` (local administration
//! of a data dir: AccessKeys, KMS instances), `keyward key …` (client commands over the Rust
//! SDK), `keyward secret …` (secrets over the SDK), `keyward agent` (the local secrets agent),
//! `keyward byok wrap` (offline BYOK wrapping), `keyward audit verify|tail` (the audit log) and
//! `keyward bench` (load generator).

mod admin;
mod agent;
mod audit;
mod bench;
mod byok;
mod key;
mod output;
mod secret;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// mimalloc: the request path allocates many small, short-lived buffers; the system allocator
/// spent about 17 % of an Encrypt request in malloc/free (perf), mimalloc much less.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "keyward",
    version,
    about = "Self-hosted Key Management Service, wire-compatible with Alibaba Cloud KMS"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Flags naming a keyward configuration (shared by `server` and `admin`).
#[derive(clap::Args, Clone, Debug)]
pub(crate) struct ConfigArgs {
    /// TOML configuration file (overridden by KEYWARD_* environment variables and flags).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Data directory [default: ./keyward-data].
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Database URL: sqlite:PATH or postgres://… [default: SQLite in the data dir].
    #[arg(long, global = true)]
    database_url: Option<String>,
}

impl ConfigArgs {
    fn overrides(&self) -> keyward_server::config::Overrides {
        keyward_server::config::Overrides {
            config_file: self.config.clone(),
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            ..Default::default()
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the KMS server.
    Server {
        /// Zero-setup mode: generate a missing root key, admin AccessKey and local TLS CA.
        #[arg(long)]
        dev: bool,
        #[command(flatten)]
        config: ConfigArgs,
        /// HTTP listen address, or "off" [default: 127.0.0.1:8080].
        #[arg(long)]
        http_addr: Option<String>,
        /// HTTPS listen address, or "off" [default: 127.0.0.1:8443].
        #[arg(long)]
        https_addr: Option<String>,
        /// Admin listen address (plain HTTP: /metrics, /healthz, /readyz), or "off" [default: off].
        #[arg(long)]
        admin_addr: Option<String>,
        /// Log format on stderr: text, or json (one object per line). Level: KEYWARD_LOG.
        #[arg(long, env = "KEYWARD_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
        log_format: LogFormat,
    },
    /// Administer a data dir directly (principals, policies, AccessKeys, KMS instances).
    Admin {
        #[command(flatten)]
        config: ConfigArgs,
        #[command(subcommand)]
        command: admin::AdminCommand,
    },
    /// Bring Your Own Key tools that need no server (offline wrapping).
    #[command(subcommand)]
    Byok(byok::ByokCommand),
    /// Manage keys through the API (Rust SDK).
    Key {
        #[command(flatten)]
        conn: key::ConnArgs,
        #[command(subcommand)]
        command: key::KeyCommand,
    },
    /// Manage secrets through the API (Rust SDK).
    Secret {
        #[command(flatten)]
        conn: key::ConnArgs,
        #[command(subcommand)]
        command: secret::SecretCommand,
    },
    /// Run the local secrets agent on 127.0.0.1 (Alibaba KMS Agent interface).
    Agent(agent::AgentArgs),
    /// The audit log of a data dir: verify the hash chain, tail events.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Load generator: drive a running server with signed requests and report throughput and latency.
    Bench(bench::BenchArgs),
}

/// How log lines are written.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, event fields at the top level.
    Json,
}

/// Logs to stderr at `KEYWARD_LOG` (default `info`) in `format`.
fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("KEYWARD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only on a terminal: log files and collectors get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(false).with_span_list(false).init(),
    }
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logging(match &cli.command {
        Command::Server { log_format, .. } => *log_format,
        _ => LogFormat::Text,
    });
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Server { dev, config, http_addr, https_addr, admin_addr, log_format: _ } => {
                let overrides =
                    keyward_server::config::Overrides { http_addr, https_addr, admin_addr, ..config.overrides() };
                let settings = keyward_server::config::Settings::load(&overrides)?;
                keyward_server::run::serve(settings, dev).await
            }
            Command::Admin { config, command } => admin::run(&config.overrides(), command).await,
            Command::Key { conn, command } => key::run(conn, command).await,
            Command::Secret { conn, command } => secret::run(conn, command).await,
            Command::Byok(command) => byok::run(command),
            Command::Audit(command) => audit::run(command).await,
            Command::Bench(args) => bench::run(args).await,
            Command::Agent(args) => agent::run(args).await,
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
