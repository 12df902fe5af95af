//! Running the server: listeners (HTTP and HTTPS for the API; the optional plain-HTTP admin
//! listener for `/metrics`, `/healthz` and `/readyz`), the background deletion job, graceful
//! shutdown. Prints one `keyward: listening <scheme> <addr>` line per listener (`admin` for the
//! admin listener) so scripts and tests that bind port 0 can find the real port.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum_server::Handle;
use axum_server::tls_rustls::RustlsConfig;
use keyward_core::Kms;

use crate::app::{AppState, router};
use crate::bootstrap::{self, Mode};
use crate::config::Settings;
use crate::metrics::{Job, Metrics};
use crate::tls;

/// Runs until `shutdown` resolves (or SIGINT/SIGTERM when `None`).
pub async fn serve(settings: Settings, dev: bool) -> anyhow::Result<()> {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let opened = bootstrap::open(&settings, if dev { Mode::Dev } else { Mode::Server }).await?;
    let kms = opened.kms.clone();
    println!("keyward: data dir {} ({} store)", settings.data_dir.display(), kms.store().backend_name());
    if opened.root_key_generated {
        println!("keyward: generated a root key (keep it safe; without it the data cannot be read)");
    }
    if let Some((id, secret)) = &opened.new_admin_key {
        println!(
            "keyward: generated the admin AccessKey (shown once, also written to {}):",
            settings.credentials_file().display()
        );
        println!("  ALIBABA_CLOUD_ACCESS_KEY_ID={id}");
        println!("  ALIBABA_CLOUD_ACCESS_KEY_SECRET={}", String::from_utf8_lossy(secret.expose()));
    }

    let project_id = crate::huawei::project::resolve_project_id(&kms, settings.huawei_project_id.as_deref())
        .await
        .map_err(|e| anyhow::anyhow!("cannot determine the Huawei project id: {e}"))?;
    println!("keyward: huawei project id {project_id}");

    let handle = Handle::new();
    let mut state = AppState::new(kms.clone()).with_huawei_project(Some(project_id));
    let audit = if settings.audit_enabled {
        let dir = settings.audit_dir();
        let audit = crate::audit::Audit::start(&dir, settings.audit_max_file_bytes)
            .with_context(|| format!("cannot open the audit log in {}", dir.display()))?;
        println!("keyward: audit log {}", dir.join(crate::audit::LIVE_FILE).display());
        state = state.with_audit(audit.clone());
        Some(audit)
    } else {
        println!("keyward: audit log disabled");
        None
    };
    let metrics = state.metrics.clone();
    let state = Arc::new(state);
    let app = router(state.clone());
    let mut servers = Vec::new();
    if let Some(addr) = settings.http_addr {
        let listener = bind(addr)?;
        println!("keyward: listening http {}", listener.local_addr()?);
        let server = axum_server::from_tcp(listener)?
            .handle(handle.clone())
            .serve(app.clone().into_make_service_with_connect_info::<SocketAddr>());
        servers.push(tokio::spawn(server));
    }
    if let Some(addr) = settings.https_addr {
        let files = tls::prepare(&settings.tls, Some(addr)).context("cannot prepare the TLS certificate")?;
        let config = RustlsConfig::from_pem_file(&files.cert, &files.key).await.with_context(|| {
            format!("cannot load TLS certificate {} / key {}", files.cert.display(), files.key.display())
        })?;
        let listener = bind(addr)?;
        println!("keyward: listening https {}", listener.local_addr()?);
        if let Some(ca) = &files.ca {
            println!(
                "keyward: HTTPS certificate issued by the local CA {} (give it to clients as their CA file)",
                ca.display()
            );
        }
        let server = axum_server::from_tcp_rustls(listener, config)?.handle(handle.clone()).serve(
            app.clone()
                .layer(axum::Extension(crate::app::SecureTransport))
                .into_make_service_with_connect_info::<SocketAddr>(),
        );
        servers.push(tokio::spawn(server));
    }
    if let Some(addr) = settings.admin_addr {
        let listener = bind(addr)?;
        println!("keyward: listening admin {}", listener.local_addr()?);
        let server = axum_server::from_tcp(listener)?
            .handle(handle.clone())
            .serve(crate::metrics::admin_router(state.clone()).into_make_service());
        servers.push(tokio::spawn(server));
    }
    tokio::spawn(deletion_job(kms, settings.deletion_sweep, metrics));
    println!("keyward: ready");

    shutdown_signal().await;
    println!("keyward: shutting down");
    handle.graceful_shutdown(Some(Duration::from_secs(10)));
    for s in servers {
        s.await.context("listener task failed")??;
    }
    if let Some(audit) = audit {
        audit.flush().await;
    }
    Ok(())
}

fn bind(addr: SocketAddr) -> anyhow::Result<std::net::TcpListener> {
    let l = std::net::TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr}"))?;
    l.set_nonblocking(true)?;
    Ok(l)
}

/// Every `period`: destroys keys at the end of their deletion window, deletes expired imported
/// material and expired import tokens, rotates keys whose automatic rotation is due, purges
/// secrets at the end of their recovery window. Each run is counted in `metrics` ([`Job`]).
async fn deletion_job(kms: Arc<Kms>, period: Duration, metrics: Arc<Metrics>) {
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let r = kms.destroy_due_keys(kms.now()).await;
        metrics.job_finished(Job::DestroyKeys, r.is_ok());
        if let Err(e) = r {
            tracing::error!(error = %e, "deletion job failed; it will retry");
        }
        let r = kms.sweep_expired_material().await;
        metrics.job_finished(Job::SweepExpiredMaterial, r.is_ok());
        if let Err(e) = r {
            tracing::error!(error = %e, "expiry job failed; it will retry");
        }
        let r = kms.rotate_due_keys().await;
        metrics.job_finished(Job::RotateKeys, r.is_ok());
        if let Err(e) = r {
            tracing::error!(error = %e, "rotation job failed; it will retry");
        }
        let r = kms.purge_due_secrets(kms.now()).await;
        metrics.job_finished(Job::PurgeSecrets, r.is_ok());
        if let Err(e) = r {
            tracing::error!(error = %e, "secret purge job failed; it will retry");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
