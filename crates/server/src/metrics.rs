//! Metrics in the Prometheus text exposition format (version 0.0.4), the health endpoints and the
//! admin listener's router.
//!
//! - `GET /healthz`: `200 ok` while the process serves (main and admin listeners).
//! - `GET /readyz`: `200 ready` when the store answers a cheap read (the root-key canary row)
//!   within [`READY_TIMEOUT`], else `503` with a one-line reason (main and admin listeners).
//! - `GET /metrics`: only on the admin listener ([`admin_router`]; `--admin-addr`, off by default),
//!   never on the API listeners.
//!
//! Series (every label takes values from a finite set, so cardinality is bounded whatever clients
//! send: `action` is one of the names the server routes ([`ALIBABA_ACTIONS`], [`HUAWEI_ACTIONS`])
//! or `other`, `code` is one of our own `&'static` error codes or `OK`):
//!
//! - `keyward_requests_total{protocol,action,code}` (counter) and
//!   `keyward_request_duration_seconds{protocol,action}` (histogram, [`BUCKETS_US`]: 50 µs to 5 s);
//! - `keyward_cache_hits_total{cache}` / `keyward_cache_misses_total{cache}` for the core caches;
//! - `keyward_wrapping_pool_ready` (gauge);
//! - `keyward_job_runs_total{job}` / `keyward_job_failures_total{job}` (background jobs, [`Job`]);
//! - `keyward_audit_enabled`, and with the audit log on `keyward_audit_events_written_total`,
//!   `keyward_audit_events_lost_total`, `keyward_audit_healthy` (0 when events were lost since the
//!   previous scrape and none were written, i.e. the writer is failing; back to 1 once it writes);
//! - `keyward_build_info{version}`, `process_resident_memory_bytes`, `process_start_time_seconds`,
//!   `keyward_uptime_seconds`.
//!
//! Recording a request is allocation-free: one series per (protocol, action) in a fixed table,
//! histogram buckets and the `OK` counter as relaxed atomics; only an error code takes a short
//! mutex on its series. Each request also gets one `info` log line (target `keyward::request`):
//! request id, protocol, action, status, code, principal (when authenticated), duration in µs.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::audit::{Outcome, Protocol, Record};

/// Upper bounds of the duration histogram's buckets, in microseconds.
pub const BUCKETS_US: [u64; 16] = [
    50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000,
    5_000_000,
];
/// [`BUCKETS_US`] as the `le` label (seconds).
const BUCKET_LABELS: [&str; 16] = [
    "0.00005", "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
    "0.5", "1", "2.5", "5",
];
/// How long `/readyz` waits for the store.
pub const READY_TIMEOUT: Duration = Duration::from_secs(2);
/// The `Content-Type` of `/metrics`.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";
/// The label value of every action the server does not route.
pub const OTHER: &str = "other";

/// Alibaba actions the server routes (`dispatch.rs`), sorted byte-wise.
pub const ALIBABA_ACTIONS: &[&str] = &[
    "AsymmetricDecrypt",
    "AsymmetricEncrypt",
    "AsymmetricSign",
    "AsymmetricVerify",
    "BatchGetSecretValue",
    "CancelKeyDeletion",
    "CreateAlias",
    "CreateKey",
    "CreateKeyVersion",
    "CreateSecret",
    "Decrypt",
    "DeleteAlias",
    "DeleteKeyMaterial",
    "DeleteSecret",
    "DescribeAccountKmsStatus",
    "DescribeKey",
    "DescribeKeyVersion",
    "DescribeRegions",
    "DescribeSecret",
    "DisableKey",
    "EnableKey",
    "Encrypt",
    "ExportDataKey",
    "GenerateAndExportDataKey",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "GetKeyPolicy",
    "GetKmsInstance",
    "GetKmsInstanceQuotaInfos",
    "GetParametersForImport",
    "GetPublicKey",
    "GetRandomPassword",
    "GetSecretPolicy",
    "GetSecretValue",
    "ImportKeyMaterial",
    "ListAliases",
    "ListAliasesByKeyId",
    "ListKeyVersions",
    "ListKeys",
    "ListKmsInstances",
    "ListResourceTags",
    "ListSecretVersionIds",
    "ListSecrets",
    "ListTagResources",
    "PutSecretValue",
    "ReEncrypt",
    "RestoreSecret",
    "RotateSecret",
    "ScheduleKeyDeletion",
    "SetDeletionProtection",
    "SetKeyPolicy",
    "SetSecretPolicy",
    "TagResource",
    "TagResources",
    "UntagResource",
    "UntagResources",
    "UpdateAlias",
    "UpdateKeyDescription",
    "UpdateRotationPolicy",
    "UpdateSecret",
    "UpdateSecretRotationPolicy",
    "UpdateSecretVersionStage",
];

/// Huawei operations (`huawei::post_action` names, the tag routes by name, and `versions`),
/// sorted byte-wise.
pub const HUAWEI_ACTIONS: &[&str] = &[
    "batch-tags",
    "cancel-key-deletion",
    "create-datakey",
    "create-datakey-without-plaintext",
    "create-key",
    "create-tag",
    "decrypt-data",
    "decrypt-datakey",
    "delete-imported-key-material",
    "delete-tag",
    "describe-key",
    "disable-key",
    "enable-key",
    "encrypt-data",
    "encrypt-datakey",
    "gen-random",
    "generate-mac",
    "get-parameters-for-import",
    "get-publickey",
    "import-key-material",
    "list-keys",
    "list-project-tags",
    "query-by-tags",
    "schedule-key-deletion",
    "show-key-tags",
    "sign",
    "update-key-alias",
    "update-key-description",
    "verify",
    "verify-mac",
    "versions",
];

/// The `action` label of a request: a protocol and an index into its action list (the list's
/// length stands for [`OTHER`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action {
    protocol: Protocol,
    index: usize,
}

impl Action {
    /// The label of an Alibaba action name (anything unknown, empty included, is `other`).
    pub fn alibaba(name: &str) -> Self {
        let index = ALIBABA_ACTIONS.binary_search(&name).unwrap_or(ALIBABA_ACTIONS.len());
        Self { protocol: Protocol::Alibaba, index }
    }

    /// The label of a Huawei request, from its method and path (the route table of
    /// `huawei::route`; anything it would not route is `other`).
    pub fn huawei(method: &Method, path: &str) -> Self {
        let named = |name: &str| HUAWEI_ACTIONS.binary_search(&name).unwrap_or(HUAWEI_ACTIONS.len());
        let other = HUAWEI_ACTIONS.len();
        let mut seg = path.split('/').skip(1);
        let index = match (seg.next(), seg.next(), seg.next()) {
            (Some(""), None, None) | (Some("v1.0"), None | Some(""), None) => named("versions"),
            (Some("v1.0"), Some(_project), Some("kms")) => {
                let rest: Vec<&str> = seg.take(4).collect();
                let name = match (rest.as_slice(), method) {
                    (["tags"], &Method::GET) => "list-project-tags",
                    (["resource_instances", "action"], &Method::POST) => "query-by-tags",
                    ([_, "tags"], &Method::GET) => "show-key-tags",
                    ([_, "tags"], &Method::POST) => "create-tag",
                    ([_, "tags", "action"], &Method::POST) => "batch-tags",
                    ([_, "tags", _], &Method::DELETE) => "delete-tag",
                    ([op], _) if !matches!(*op, "versions" | "tags") => op,
                    _ => OTHER,
                };
                named(name)
            }
            _ => other,
        };
        Self { protocol: Protocol::Huawei, index }
    }

    /// The label value.
    pub fn name(self) -> &'static str {
        self.names().get(self.index).copied().unwrap_or(OTHER)
    }

    /// The protocol.
    pub fn protocol(self) -> Protocol {
        self.protocol
    }

    fn names(self) -> &'static [&'static str] {
        match self.protocol {
            Protocol::Alibaba => ALIBABA_ACTIONS,
            Protocol::Huawei => HUAWEI_ACTIONS,
        }
    }
}

fn protocol_name(p: Protocol) -> &'static str {
    match p {
        Protocol::Alibaba => "alibaba",
        Protocol::Huawei => "huawei",
    }
}

/// A background job of `run::deletion_job`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// Destroying keys at the end of their deletion window.
    DestroyKeys,
    /// Deleting expired imported material and import tokens.
    SweepExpiredMaterial,
    /// Automatic key rotation.
    RotateKeys,
    /// Purging secrets at the end of their recovery window.
    PurgeSecrets,
}

impl Job {
    /// Every job, in rendering order.
    pub const ALL: [Job; 4] = [Job::DestroyKeys, Job::SweepExpiredMaterial, Job::RotateKeys, Job::PurgeSecrets];

    /// The `job` label value.
    pub fn name(self) -> &'static str {
        match self {
            Job::DestroyKeys => "destroy_keys",
            Job::SweepExpiredMaterial => "sweep_expired_material",
            Job::RotateKeys => "rotate_keys",
            Job::PurgeSecrets => "purge_secrets",
        }
    }
}

/// One (protocol, action) series: result codes and the duration histogram.
#[derive(Default)]
struct Series {
    ok: AtomicU64,
    /// Error code → count (few codes per action: a linear scan).
    errors: Mutex<Vec<(&'static str, u64)>>,
    /// Requests per bucket (not cumulative); the last one is above the largest bound.
    buckets: [AtomicU64; BUCKETS_US.len() + 1],
    sum_us: AtomicU64,
}

impl Series {
    fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).sum()
    }
}

#[derive(Default)]
struct AuditSeen {
    written: u64,
    lost: u64,
    healthy: bool,
}

/// The registry: request series, job counters, audit health state.
pub struct Metrics {
    started: Instant,
    started_unix: f64,
    alibaba: Box<[Series]>,
    huawei: Box<[Series]>,
    /// Runs and failures per [`Job`].
    jobs: [[AtomicU64; 2]; Job::ALL.len()],
    audit_seen: Mutex<AuditSeen>,
}

impl Default for Metrics {
    fn default() -> Self {
        let table = |n: usize| (0..=n).map(|_| Series::default()).collect::<Vec<_>>().into_boxed_slice();
        let started_unix =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
        Self {
            started: Instant::now(),
            started_unix,
            alibaba: table(ALIBABA_ACTIONS.len()),
            huawei: table(HUAWEI_ACTIONS.len()),
            jobs: Default::default(),
            audit_seen: Mutex::new(AuditSeen { healthy: true, ..Default::default() }),
        }
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").field("uptime", &self.started.elapsed()).finish_non_exhaustive()
    }
}

/// What `/metrics` shows besides the registry's own series (read from the service at scrape time).
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// `(cache, hits, misses)`.
    pub caches: Vec<(&'static str, u64, u64)>,
    /// RSA wrapping keys ready.
    pub wrapping_pool_ready: usize,
    /// Audit events `(written, lost)`, when the audit log is on.
    pub audit: Option<(u64, u64)>,
    /// Resident set size in bytes, when readable.
    pub resident_memory_bytes: Option<u64>,
}

impl Snapshot {
    /// Reads the service, the audit counters and `/proc/self/status`.
    pub fn of(state: &AppState) -> Self {
        Self {
            caches: state.kms.cache_stats(),
            wrapping_pool_ready: state.kms.wrapping_pool_ready(),
            audit: state.audit.as_ref().map(|a| (a.written(), a.lost())),
            resident_memory_bytes: resident_memory_bytes(),
        }
    }
}

/// VmRSS of `/proc/self/status`, in bytes (Linux).
pub fn resident_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?;
    let kib: u64 = line.trim().strip_suffix("kB")?.trim().parse().ok()?;
    Some(kib * 1024)
}

impl Metrics {
    fn series(&self, action: Action) -> &Series {
        let table = match action.protocol {
            Protocol::Alibaba => &self.alibaba,
            Protocol::Huawei => &self.huawei,
        };
        // `index` is at most the list's length, the `other` slot.
        &table[action.index.min(table.len() - 1)]
    }

    /// Counts one request: its result code (`OK` or an error code) and duration.
    pub fn observe(&self, action: Action, code: &'static str, elapsed: Duration) {
        let s = self.series(action);
        if code == "OK" {
            s.ok.fetch_add(1, Ordering::Relaxed);
        } else {
            let mut errors = s.errors.lock().unwrap_or_else(|p| p.into_inner());
            match errors.iter_mut().find(|(c, _)| *c == code) {
                Some((_, n)) => *n += 1,
                None => errors.push((code, 1)),
            }
        }
        let us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let bucket = BUCKETS_US.partition_point(|&bound| bound < us);
        s.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        s.sum_us.fetch_add(us, Ordering::Relaxed);
    }

    /// Counts one run of a background job.
    pub fn job_finished(&self, job: Job, ok: bool) {
        let i = Job::ALL.iter().position(|j| *j == job).unwrap_or(0);
        self.jobs[i][0].fetch_add(1, Ordering::Relaxed);
        if !ok {
            self.jobs[i][1].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Runs and failures of `job` so far.
    pub fn job_counts(&self, job: Job) -> (u64, u64) {
        let i = Job::ALL.iter().position(|j| *j == job).unwrap_or(0);
        (self.jobs[i][0].load(Ordering::Relaxed), self.jobs[i][1].load(Ordering::Relaxed))
    }

    /// Whether the audit writer is healthy given its counters now: unhealthy when events were
    /// lost since the previous call and none written; healthy again once events are written
    /// without loss; unchanged when nothing happened.
    fn audit_healthy(&self, written: u64, lost: u64) -> bool {
        let mut seen = self.audit_seen.lock().unwrap_or_else(|p| p.into_inner());
        let (wrote, lost_some) = (written > seen.written, lost > seen.lost);
        if lost_some && !wrote {
            seen.healthy = false;
        } else if wrote && !lost_some {
            seen.healthy = true;
        }
        seen.written = written;
        seen.lost = lost;
        seen.healthy
    }

    /// The whole exposition.
    pub fn render(&self, snap: &Snapshot) -> String {
        let mut out = String::with_capacity(8192);
        self.render_into(&mut out, snap);
        out
    }

    fn render_into(&self, out: &mut String, snap: &Snapshot) {
        let tables = [(Protocol::Alibaba, &self.alibaba), (Protocol::Huawei, &self.huawei)];
        let used = || {
            tables.iter().flat_map(|(p, t)| {
                t.iter().enumerate().filter(|(_, s)| s.count() > 0).map(move |(index, s)| {
                    let action = Action { protocol: *p, index };
                    (protocol_name(*p), action.name(), s)
                })
            })
        };

        header(out, "keyward_requests_total", "counter", "API requests by protocol, action and result code.");
        for (protocol, action, s) in used() {
            let ok = s.ok.load(Ordering::Relaxed);
            if ok > 0 {
                sample(
                    out,
                    "keyward_requests_total",
                    &[("protocol", protocol), ("action", action), ("code", "OK")],
                    ok,
                );
            }
            let mut errors = s.errors.lock().unwrap_or_else(|p| p.into_inner()).clone();
            errors.sort_unstable();
            for (code, n) in errors {
                sample(out, "keyward_requests_total", &[("protocol", protocol), ("action", action), ("code", code)], n);
            }
        }

        let name = "keyward_request_duration_seconds";
        header(out, name, "histogram", "Time to answer an API request, by protocol and action.");
        for (protocol, action, s) in used() {
            let labels = [("protocol", protocol), ("action", action)];
            let mut cumulative = 0;
            for (i, le) in BUCKET_LABELS.iter().enumerate() {
                cumulative += s.buckets[i].load(Ordering::Relaxed);
                sample(out, &format!("{name}_bucket"), &[labels[0], labels[1], ("le", le)], cumulative);
            }
            cumulative += s.buckets[BUCKETS_US.len()].load(Ordering::Relaxed);
            sample(out, &format!("{name}_bucket"), &[labels[0], labels[1], ("le", "+Inf")], cumulative);
            let sum = s.sum_us.load(Ordering::Relaxed) as f64 / 1e6;
            sample_f(out, &format!("{name}_sum"), &labels, sum);
            sample(out, &format!("{name}_count"), &labels, cumulative);
        }

        header(out, "keyward_cache_hits_total", "counter", "Hot-path cache lookups answered from the cache.");
        for (cache, hits, _) in &snap.caches {
            sample(out, "keyward_cache_hits_total", &[("cache", cache)], *hits);
        }
        header(out, "keyward_cache_misses_total", "counter", "Hot-path cache lookups that went to the store.");
        for (cache, _, misses) in &snap.caches {
            sample(out, "keyward_cache_misses_total", &[("cache", cache)], *misses);
        }

        header(out, "keyward_wrapping_pool_ready", "gauge", "Pre-generated RSA wrapping keys ready for import.");
        sample(out, "keyward_wrapping_pool_ready", &[], snap.wrapping_pool_ready as u64);

        header(out, "keyward_job_runs_total", "counter", "Runs of the background jobs.");
        for job in Job::ALL {
            sample(out, "keyward_job_runs_total", &[("job", job.name())], self.job_counts(job).0);
        }
        header(out, "keyward_job_failures_total", "counter", "Failed runs of the background jobs.");
        for job in Job::ALL {
            sample(out, "keyward_job_failures_total", &[("job", job.name())], self.job_counts(job).1);
        }

        header(out, "keyward_audit_enabled", "gauge", "Whether requests are written to the audit log.");
        sample(out, "keyward_audit_enabled", &[], u64::from(snap.audit.is_some()));
        if let Some((written, lost)) = snap.audit {
            header(out, "keyward_audit_events_written_total", "counter", "Audit events written and synced.");
            sample(out, "keyward_audit_events_written_total", &[], written);
            header(out, "keyward_audit_events_lost_total", "counter", "Audit events that could not be written.");
            sample(out, "keyward_audit_events_lost_total", &[], lost);
            header(out, "keyward_audit_healthy", "gauge", "0 while the audit writer fails to write.");
            sample(out, "keyward_audit_healthy", &[], u64::from(self.audit_healthy(written, lost)));
        }

        header(out, "keyward_build_info", "gauge", "The running keyward version.");
        sample(out, "keyward_build_info", &[("version", env!("CARGO_PKG_VERSION"))], 1);
        if let Some(rss) = snap.resident_memory_bytes {
            header(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
            sample(out, "process_resident_memory_bytes", &[], rss);
        }
        header(out, "process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch.");
        sample_f(out, "process_start_time_seconds", &[], self.started_unix);
        header(out, "keyward_uptime_seconds", "gauge", "Seconds since the server started.");
        sample_f(out, "keyward_uptime_seconds", &[], self.started.elapsed().as_secs_f64());
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn labels(out: &mut String, labels: &[(&str, &str)]) {
    if labels.is_empty() {
        return;
    }
    out.push('{');
    for (i, (k, v)) in labels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(k);
        out.push_str("=\"");
        for c in v.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                c => out.push(c),
            }
        }
        out.push('"');
    }
    out.push('}');
}

fn sample(out: &mut String, name: &str, l: &[(&str, &str)], value: u64) {
    out.push_str(name);
    labels(out, l);
    let _ = writeln!(out, " {value}");
}

fn sample_f(out: &mut String, name: &str, l: &[(&str, &str)], value: f64) {
    out.push_str(name);
    labels(out, l);
    let _ = writeln!(out, " {value}");
}

impl AppState {
    /// Accounts one finished API request: metrics, and the one `info` line of the request log
    /// (target `keyward::request`). `started` is when the handler began.
    pub fn account(
        &self,
        action: Action,
        code: &'static str,
        record: &Record,
        outcome: &Outcome<'_>,
        started: Instant,
    ) {
        let elapsed = started.elapsed();
        self.metrics.observe(action, code, elapsed);
        tracing::info!(
            target: "keyward::request",
            request_id = outcome.request_id,
            protocol = protocol_name(action.protocol),
            action = action.name(),
            status = outcome.status,
            code,
            principal = record.principal.as_deref(),
            duration_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            "request"
        );
    }
}

fn text(status: StatusCode, body: String) -> Response {
    let mut resp = (status, body).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    resp
}

/// `GET /healthz`: the process serves.
pub async fn healthz() -> Response {
    text(StatusCode::OK, "ok\n".into())
}

/// `GET /readyz`: the store answers a cheap read within [`READY_TIMEOUT`]. The reason of a 503
/// is generic (these routes are public); the log gets the store's error.
pub async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    readiness(state.kms.store().get_meta("root-key-canary"), READY_TIMEOUT).await
}

/// The answer of `/readyz` for a store read `check` given `timeout`.
async fn readiness<T>(
    check: impl Future<Output = Result<T, keyward_core::store::StoreError>>,
    timeout: Duration,
) -> Response {
    match tokio::time::timeout(timeout, check).await {
        Ok(Ok(_)) => text(StatusCode::OK, "ready\n".into()),
        Ok(Err(e)) => {
            tracing::warn!(error = ?e, "readiness check: the store failed a read");
            text(StatusCode::SERVICE_UNAVAILABLE, "not ready: the store failed a read\n".into())
        }
        Err(_) => {
            tracing::warn!(timeout_ms = timeout.as_millis() as u64, "readiness check: the store did not answer");
            text(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("not ready: the store did not answer within {} ms\n", timeout.as_millis()),
            )
        }
    }
}

/// `GET /metrics`.
pub async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let body = state.metrics.render(&Snapshot::of(&state));
    let mut resp = (StatusCode::OK, body).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    resp
}

/// The admin listener's router: `/metrics`, `/healthz`, `/readyz`; 404 for anything else.
pub fn admin_router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/metrics", axum::routing::get(metrics))
        .route("/healthz", axum::routing::get(healthz))
        .route("/readyz", axum::routing::get(readyz))
        .fallback(|| async { text(StatusCode::NOT_FOUND, "not found\n".into()) })
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names routed by a match in `source`: string literals followed by `=> actions::`.
    fn routed(source: &str) -> Vec<&str> {
        source
            .lines()
            .filter_map(|l| {
                let l = l.trim();
                let rest = l.strip_prefix('"')?;
                let (name, tail) = rest.split_once('"')?;
                tail.trim_start().starts_with("=> actions::").then_some(name)
            })
            .collect()
    }

    #[test]
    fn action_lists_are_sorted_and_match_the_route_tables() {
        for list in [ALIBABA_ACTIONS, HUAWEI_ACTIONS] {
            assert!(list.windows(2).all(|w| w[0] < w[1]), "sorted and unique: {list:?}");
        }
        let alibaba = routed(include_str!("dispatch.rs"));
        assert!(alibaba.len() >= 50, "{alibaba:?}");
        for name in &alibaba {
            assert!(ALIBABA_ACTIONS.contains(name), "add {name} to metrics::ALIBABA_ACTIONS");
        }
        assert_eq!(alibaba.len(), ALIBABA_ACTIONS.len(), "metrics::ALIBABA_ACTIONS names an action not routed");
        let huawei = routed(include_str!("huawei/mod.rs"));
        assert!(huawei.len() >= 20, "{huawei:?}");
        for name in &huawei {
            assert!(HUAWEI_ACTIONS.contains(name), "add {name} to metrics::HUAWEI_ACTIONS");
        }
    }

    #[test]
    fn labels_are_bounded() {
        assert_eq!(Action::alibaba("Encrypt").name(), "Encrypt");
        for junk in ["", "encrypt", "Encrypt ", "../../etc", "\u{0}", &"A".repeat(300)] {
            assert_eq!(Action::alibaba(junk).name(), OTHER, "{junk:?}");
        }
        let p = "/v1.0/0123456789abcdef0123456789abcdef/kms";
        let cases = [
            (Method::POST, format!("{p}/encrypt-data"), "encrypt-data"),
            (Method::GET, format!("{p}/encrypt-data"), "encrypt-data"),
            (Method::POST, format!("{p}/no-such-op"), OTHER),
            (Method::GET, format!("{p}/tags"), "list-project-tags"),
            (Method::POST, format!("{p}/resource_instances/action"), "query-by-tags"),
            (Method::GET, format!("{p}/k1/tags"), "show-key-tags"),
            (Method::POST, format!("{p}/k1/tags"), "create-tag"),
            (Method::POST, format!("{p}/k1/tags/action"), "batch-tags"),
            (Method::DELETE, format!("{p}/k1/tags/t"), "delete-tag"),
            (Method::PUT, format!("{p}/k1/tags/t"), OTHER),
            (Method::POST, format!("{p}/versions"), OTHER),
            (Method::GET, "/".into(), "versions"),
            (Method::GET, "/v1.0".into(), "versions"),
            (Method::GET, "/v1.0/".into(), "versions"),
            (Method::GET, "/v2/x".into(), OTHER),
            (Method::POST, format!("{p}/a/b/c/d/e"), OTHER),
        ];
        for (m, path, want) in cases {
            let a = Action::huawei(&m, &path);
            assert_eq!((a.name(), a.protocol()), (want, Protocol::Huawei), "{m} {path}");
        }
    }

    type Sample = (String, Vec<(String, String)>, f64);

    /// Parses the exposition strictly enough for these tests: `# HELP`/`# TYPE` before each
    /// family's samples, `name{k="v",…} value` lines. Returns (name, labels, value) triples.
    fn parse(text: &str) -> Vec<Sample> {
        let mut typed = std::collections::HashMap::new();
        let mut out = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').unwrap();
                assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
                assert!(typed.insert(name.to_string(), kind.to_string()).is_none(), "one TYPE per family: {line}");
                continue;
            }
            if line.starts_with("# HELP ") {
                continue;
            }
            let (series, value) = line.rsplit_once(' ').unwrap();
            let value: f64 = value.parse().unwrap_or_else(|_| panic!("value of {line}"));
            let (name, labels) = match series.split_once('{') {
                Some((n, l)) => {
                    let l = l.strip_suffix('}').unwrap();
                    let pairs = l
                        .split(',')
                        .map(|kv| {
                            let (k, v) = kv.split_once('=').unwrap();
                            (k.to_string(), v.strip_prefix('"').unwrap().strip_suffix('"').unwrap().to_string())
                        })
                        .collect();
                    (n.to_string(), pairs)
                }
                None => (series.to_string(), Vec::new()),
            };
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| name.strip_suffix(s).filter(|f| typed.get(*f).is_some_and(|k| k == "histogram")))
                .unwrap_or(&name);
            let kind = typed.get(family).unwrap_or_else(|| panic!("no TYPE before {line}"));
            if kind == "counter" {
                assert!(name.ends_with("_total"), "{line}");
            }
            out.push((name, labels, value));
        }
        out
    }

    fn value(samples: &[Sample], name: &str, want: &[(&str, &str)]) -> Option<f64> {
        samples
            .iter()
            .find(|(n, l, _)| {
                n == name && l.len() == want.len() && want.iter().all(|(k, v)| l.iter().any(|(a, b)| a == k && b == v))
            })
            .map(|s| s.2)
    }

    #[test]
    fn renders_the_text_format() {
        let m = Metrics::default();
        let enc = Action::alibaba("Encrypt");
        m.observe(enc, "OK", Duration::from_micros(40));
        m.observe(enc, "OK", Duration::from_micros(50));
        m.observe(enc, "OK", Duration::from_micros(51));
        m.observe(enc, "Forbidden.KeyNotFound", Duration::from_millis(3));
        m.observe(enc, "Forbidden.KeyNotFound", Duration::from_secs(9));
        m.observe(Action::alibaba("Nope"), "InvalidAction.NotFound", Duration::from_micros(10));
        m.job_finished(Job::RotateKeys, true);
        m.job_finished(Job::RotateKeys, false);
        let snap = Snapshot {
            caches: vec![("keys", 7, 2), ("aliases", 0, 1)],
            wrapping_pool_ready: 3,
            audit: Some((10, 0)),
            resident_memory_bytes: Some(4096),
        };
        let text = m.render(&snap);
        let s = parse(&text);
        let req = |action: &str, code: &str| {
            value(&s, "keyward_requests_total", &[("protocol", "alibaba"), ("action", action), ("code", code)])
        };
        assert_eq!(req("Encrypt", "OK"), Some(3.0));
        assert_eq!(req("Encrypt", "Forbidden.KeyNotFound"), Some(2.0));
        assert_eq!(req("other", "InvalidAction.NotFound"), Some(1.0));
        assert_eq!(req("Decrypt", "OK"), None, "unused series are not rendered");
        let bucket = |le: &str| {
            value(
                &s,
                "keyward_request_duration_seconds_bucket",
                &[("protocol", "alibaba"), ("action", "Encrypt"), ("le", le)],
            )
        };
        // `le` is inclusive: 40 µs and 50 µs are in the first bucket, 51 µs in the second.
        assert_eq!(bucket("0.00005"), Some(2.0));
        assert_eq!(bucket("0.0001"), Some(3.0));
        assert_eq!(bucket("0.0025"), Some(3.0));
        assert_eq!(bucket("0.005"), Some(4.0));
        assert_eq!(bucket("5"), Some(4.0));
        assert_eq!(bucket("+Inf"), Some(5.0));
        let enc_labels = [("protocol", "alibaba"), ("action", "Encrypt")];
        assert_eq!(value(&s, "keyward_request_duration_seconds_count", &enc_labels), Some(5.0));
        let sum = value(&s, "keyward_request_duration_seconds_sum", &enc_labels).unwrap();
        assert!((sum - 9.003141).abs() < 1e-9, "{sum}");
        assert_eq!(value(&s, "keyward_cache_hits_total", &[("cache", "keys")]), Some(7.0));
        assert_eq!(value(&s, "keyward_cache_misses_total", &[("cache", "aliases")]), Some(1.0));
        assert_eq!(value(&s, "keyward_wrapping_pool_ready", &[]), Some(3.0));
        assert_eq!(value(&s, "keyward_job_runs_total", &[("job", "rotate_keys")]), Some(2.0));
        assert_eq!(value(&s, "keyward_job_failures_total", &[("job", "rotate_keys")]), Some(1.0));
        assert_eq!(value(&s, "keyward_job_runs_total", &[("job", "purge_secrets")]), Some(0.0));
        assert_eq!(value(&s, "keyward_audit_healthy", &[]), Some(1.0));
        assert_eq!(value(&s, "keyward_audit_events_written_total", &[]), Some(10.0));
        assert_eq!(value(&s, "keyward_build_info", &[("version", env!("CARGO_PKG_VERSION"))]), Some(1.0));
        assert_eq!(value(&s, "process_resident_memory_bytes", &[]), Some(4096.0));
        assert!(value(&s, "keyward_uptime_seconds", &[]).unwrap() >= 0.0);
        assert!(text.contains("# HELP keyward_requests_total "), "{text}");
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn audit_health_follows_the_writer() {
        let m = Metrics::default();
        assert!(m.audit_healthy(5, 0));
        assert!(!m.audit_healthy(5, 2), "lost without writing");
        assert!(!m.audit_healthy(5, 2), "nothing happened since: still failing");
        assert!(m.audit_healthy(9, 2), "written again");
        let off = Snapshot::default();
        let s = parse(&m.render(&off));
        assert_eq!(value(&s, "keyward_audit_enabled", &[]), Some(0.0));
        assert_eq!(value(&s, "keyward_audit_healthy", &[]), None);
    }

    #[test]
    fn label_values_are_escaped() {
        let mut out = String::new();
        sample(&mut out, "x_total", &[("a", "q\"b\\n\nl")], 1);
        assert_eq!(out, "x_total{a=\"q\\\"b\\\\n\\nl\"} 1\n");
    }

    async fn body_of(resp: Response) -> (u16, String) {
        use http_body_util::BodyExt;
        let status = resp.status().as_u16();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn readiness_needs_a_timely_store_answer() {
        use keyward_core::store::StoreError;
        let ok = readiness(async { Ok::<_, StoreError>(None::<Vec<u8>>) }, READY_TIMEOUT);
        assert_eq!(body_of(ok.await).await, (200, "ready\n".into()));
        let failed = readiness(async { Err::<(), _>(StoreError::Backend("connection refused".into())) }, READY_TIMEOUT);
        let (status, reason) = body_of(failed.await).await;
        assert_eq!(status, 503);
        assert_eq!(reason, "not ready: the store failed a read\n", "no store detail on a public route");
        let started = Instant::now();
        let hung = readiness(std::future::pending::<Result<(), StoreError>>(), Duration::from_millis(50));
        let (status, reason) = body_of(hung.await).await;
        assert_eq!(status, 503);
        assert_eq!(reason, "not ready: the store did not answer within 50 ms\n");
        assert_eq!(reason.lines().count(), 1);
        assert!(started.elapsed() >= Duration::from_millis(50));
    }

    #[test]
    fn resident_memory_is_read() {
        if std::path::Path::new("/proc/self/status").exists() {
            assert!(resident_memory_bytes().unwrap() > 1024 * 1024);
        }
    }
}
