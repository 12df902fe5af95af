//! `keyward agent`: the local secrets agent (Alibaba KMS Agent interface) on 127.0.0.1. Settings
//! come from `--config FILE` (TOML, `[Server]`/`[Cache]`/`[Kms]`), the environment
//! (`ALIBABA_CLOUD_ACCESS_KEY_ID`/`_SECRET`, the SSRF token variables) and the flags below; see
//! the `keyward-agent` crate docs. Prints `keyward-agent: listening http ADDR` and
//! `keyward-agent: ready` on stdout, then serves until SIGINT or SIGTERM.

use std::path::PathBuf;

use anyhow::Context;
use keyward_agent::{AgentServer, Overrides, Settings};

#[derive(clap::Args, Debug)]
pub(crate) struct AgentArgs {
    /// Agent configuration file (TOML).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Listening port on 127.0.0.1 (overrides [Server] HttpPort; 0 = any free port).
    #[arg(long)]
    port: Option<u16>,
    /// keyward server endpoint, e.g. https://127.0.0.1:8443 (overrides [Kms] Endpoint).
    #[arg(long)]
    endpoint: Option<String>,
    /// CA certificate (PEM) to trust for the server's HTTPS (overrides [Kms] CaFile).
    #[arg(long)]
    ca_file: Option<PathBuf>,
}

pub(crate) async fn run(args: AgentArgs) -> anyhow::Result<()> {
    let overrides = Overrides { port: args.port, endpoint: args.endpoint, ca_file: args.ca_file };
    let settings = Settings::load(args.config.as_deref(), &overrides)?;
    let server = AgentServer::bind(settings).await?;
    let addr = server.local_addr().context("cannot read the listening address")?;
    println!("keyward-agent: listening http {addr}");
    println!("keyward-agent: ready");
    server.serve(shutdown_signal()).await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    {
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = ctrl_c => {}
            () = term => {}
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}
