//! `keyward bench`: a load generator that drives a running server with correctly signed requests
//! (the Rust SDK, so ACS3 signatures and pooled keep-alive connections) and reports requests/s,
//! errors by code and latency p50/p90/p99/max, as a table or `--output json`.
//!
//! The run is bounded: `--duration` (default 30 s) and optionally `--requests`, whichever comes
//! first; requests still in flight at the deadline are abandoned and not counted. Before the
//! timed phase the bench does its own setup against the same endpoint (creates the keys it
//! needs, encrypts a blob for Decrypt, imports material for ImportKeyMaterial). `--server-pid`
//! (a local server) adds its current and peak RSS (`/proc/PID/status`) to the report and makes
//! the timed phase wait until the server's CPU use has settled after the setup.
//!
//! `--action GetSecretValue --agent-url URL --agent-token T` creates the secret through the
//! KMS endpoint, then times plain GETs to a `keyward agent` (its cache hits).
//!
//! `keyward bench reference-server` (hidden) is a minimal axum endpoint doing Encrypt's AES-GCM
//! work without auth or storage; `keyward bench --reference` drives it the same way, so KMS
//! throughput can be read as a ratio to it (`scripts/bench.sh`).

mod histogram;
mod reference;
mod workload;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine;
use keyward_client::{Client, ClientConfig};
use serde_json::{Value, json};
use tokio::time::Instant;

use self::histogram::Histogram;
use self::workload::{Setup, Workload};
use crate::output::Format;

/// The actions `keyward bench` can drive.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    #[value(name = "Encrypt")]
    Encrypt,
    #[value(name = "Decrypt")]
    Decrypt,
    #[value(name = "GenerateDataKey")]
    GenerateDataKey,
    #[value(name = "AsymmetricSign")]
    AsymmetricSign,
    #[value(name = "GetPublicKey")]
    GetPublicKey,
    #[value(name = "DescribeKey")]
    DescribeKey,
    #[value(name = "CreateKey")]
    CreateKey,
    #[value(name = "GetParametersForImport")]
    GetParametersForImport,
    #[value(name = "ImportKeyMaterial")]
    ImportKeyMaterial,
    #[value(name = "GetSecretValue")]
    GetSecretValue,
}

#[derive(clap::Subcommand, Debug)]
enum BenchCommand {
    /// Minimal axum `POST /encrypt` (AES-256-GCM, no auth, no storage) to compare against.
    #[command(hide = true)]
    ReferenceServer {
        /// Listen address (port 0 picks a free port; the bound address is printed).
        #[arg(long, default_value = "127.0.0.1:0")]
        addr: String,
    },
}

/// `keyward bench …`.
#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct BenchArgs {
    #[command(subcommand)]
    command: Option<BenchCommand>,
    /// Action to drive (names are case-insensitive).
    #[arg(long, value_enum, ignore_case = true)]
    action: Option<Action>,
    /// Drive a `keyward bench reference-server` at --endpoint instead (plain POSTs, no signing).
    #[arg(long, conflicts_with = "action")]
    reference: bool,
    /// With `--action GetSecretValue`: after creating the secret through --endpoint, time plain
    /// `GET /secretsmanager/get` requests to the `keyward agent` at this URL (cache hits) instead.
    #[arg(long, requires = "agent_token")]
    agent_url: Option<String>,
    /// The agent's SSRF token (sent as `X-KMS-Token`).
    #[arg(long, env = "KMS_TOKEN", hide_env_values = true)]
    agent_token: Option<String>,
    /// Concurrent requests (tasks sharing one pooled client).
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// How long the timed phase lasts at most, e.g. 30s, 500ms, 2m.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    duration: Duration,
    /// Stop after this many requests (or at --duration, whichever comes first).
    #[arg(long)]
    requests: Option<u64>,
    /// Plaintext length for Encrypt/Decrypt and the reference; NumberOfBytes for GenerateDataKey.
    #[arg(long, default_value_t = 32)]
    payload_bytes: usize,
    /// Key spec of the keys the setup creates [default: RSA_2048 for AsymmetricSign and
    /// GetPublicKey, Aliyun_AES_256 otherwise].
    #[arg(long)]
    key_spec: Option<String>,
    /// KeyUsage of the keys the setup creates [default: SIGN/VERIFY for signing and EC keys].
    #[arg(long)]
    key_usage: Option<String>,
    /// AsymmetricSign algorithm [default: RSA_PSS_SHA_256 for RSA, ECDSA_SHA_256 for EC].
    #[arg(long)]
    algorithm: Option<String>,
    /// Use this existing key instead of creating one.
    #[arg(long)]
    key_id: Option<String>,
    /// The server's pid (same machine, Linux): the report adds its resident memory (VmRSS and
    /// peak VmHWM), and the timed phase waits until the server is idle after the setup (e.g.
    /// until the wrapping-key pool has refilled after GetParametersForImport).
    #[arg(long)]
    server_pid: Option<u32>,
    /// Server endpoint, e.g. http://127.0.0.1:8080 or https://127.0.0.1:8443.
    #[arg(long, env = "KEYWARD_ENDPOINT", default_value = "http://127.0.0.1:8080")]
    endpoint: String,
    /// AccessKey id.
    #[arg(long, env = "ALIBABA_CLOUD_ACCESS_KEY_ID")]
    access_key_id: Option<String>,
    /// AccessKey secret.
    #[arg(long, env = "ALIBABA_CLOUD_ACCESS_KEY_SECRET", hide_env_values = true)]
    access_key_secret: Option<String>,
    /// CA certificate (PEM) to trust for HTTPS, e.g. keyward-data/tls/ca.pem.
    #[arg(long, env = "KEYWARD_CA_FILE")]
    ca_file: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    output: Format,
}

/// `30s`, `500ms`, `2m`, `1h`, or bare seconds.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().map_err(|_| format!("{s:?} is not a duration like 30s, 500ms or 2m"))?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("{s:?}: unknown unit {unit:?} (use ms, s, m or h)")),
    };
    if !(secs > 0.0 && secs <= 24.0 * 3600.0) {
        return Err(format!("{s:?} must be more than 0 and at most 24h"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Runs `keyward bench`.
pub(crate) async fn run(args: BenchArgs) -> anyhow::Result<()> {
    if let Some(BenchCommand::ReferenceServer { addr }) = &args.command {
        return reference::serve(addr).await;
    }
    if !(1..=10_000).contains(&args.concurrency) {
        anyhow::bail!("--concurrency must be 1..=10000");
    }
    if args.requests == Some(0) {
        anyhow::bail!("--requests must be at least 1");
    }
    let timeout = Duration::from_secs(30);
    let (label, spec, workload) = if args.reference {
        let http = reqwest::Client::builder().timeout(timeout).build()?;
        let url = format!("{}/encrypt", args.endpoint.trim_end_matches('/'));
        let body = base64::engine::general_purpose::STANDARD.encode(workload::text(args.payload_bytes)?);
        ("Reference".to_string(), None, Workload::Reference { http, url, body })
    } else {
        let Some(action) = args.action else {
            anyhow::bail!("give --action (or --reference to drive a reference server)");
        };
        let (Some(access_key_id), Some(access_key_secret)) =
            (args.access_key_id.clone(), args.access_key_secret.clone())
        else {
            anyhow::bail!(
                "credentials missing: pass --access-key-id/--access-key-secret or set ALIBABA_CLOUD_ACCESS_KEY_ID \
                 and ALIBABA_CLOUD_ACCESS_KEY_SECRET"
            );
        };
        let client = Arc::new(Client::new(ClientConfig {
            endpoint: args.endpoint.clone(),
            access_key_id,
            access_key_secret,
            ca_file: args.ca_file.clone(),
            timeout,
        })?);
        let spec = args.key_spec.clone().unwrap_or_else(|| workload::default_spec(action).to_string());
        let setup = Setup {
            action,
            spec: &spec,
            usage: args.key_usage.as_deref(),
            algorithm: args.algorithm.as_deref(),
            key_id: args.key_id.as_deref(),
            payload_bytes: args.payload_bytes,
            concurrency: args.concurrency,
        };
        let (name, params) = workload::prepare(&client, &setup).await?;
        match (&args.agent_url, &args.agent_token) {
            (Some(url), Some(token)) => {
                if action != Action::GetSecretValue {
                    anyhow::bail!("--agent-url drives the agent, which serves GetSecretValue only");
                }
                let http = reqwest::Client::builder().timeout(timeout).build()?;
                let workload = Workload::agent(http, url, token, &params)?;
                ("Agent GetSecretValue (cache hit)".to_string(), None, workload)
            }
            _ => {
                let workload = Workload::kms(client, name, &params)?;
                (name.to_string(), Some(spec), workload)
            }
        }
    };
    let settled = match args.server_pid {
        Some(pid) => settle(pid).await,
        None => Duration::ZERO,
    };
    let cpu_before = (args.server_pid.and_then(cpu_ticks), cpu_ticks(std::process::id()));
    let outcome = drive(Arc::new(workload), args.concurrency, args.duration, args.requests).await;
    let cpu_after = (args.server_pid.and_then(cpu_ticks), cpu_ticks(std::process::id()));
    let mut report = report(&args, &label, spec.as_deref(), &outcome);
    if args.server_pid.is_some() {
        report["settle_secs"] = json!((settled.as_secs_f64() * 10.0).round() / 10.0);
    }
    // CPU time per successful request: unlike req/s, it holds up on a busy or shared machine.
    let per_request = |before: Option<u64>, after: Option<u64>| match (before, after) {
        (Some(b), Some(a)) if outcome.ok > 0 => {
            let secs = a.saturating_sub(b) as f64 / USER_HZ;
            let us = secs * 1e6 / outcome.ok as f64;
            json!({"secs": (secs * 100.0).round() / 100.0, "us_per_request": (us * 10.0).round() / 10.0})
        }
        _ => Value::Null,
    };
    report["cpu"] = json!({
        "bench": per_request(cpu_before.1, cpu_after.1),
        "server": if args.server_pid.is_some() { per_request(cpu_before.0, cpu_after.0) } else { Value::Null },
    });
    match args.output {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Table => print!("{}", table(&report)),
    }
    Ok(())
}

/// What the workers measured.
struct Outcome {
    elapsed: Duration,
    latency: Histogram,
    ok: u64,
    /// code -> (count, first message).
    errors: BTreeMap<String, (u64, String)>,
    limit_reached: bool,
}

#[derive(Default)]
struct Worker {
    latency: Histogram,
    ok: u64,
    errors: BTreeMap<String, (u64, String)>,
}

/// The timed phase: `concurrency` tasks each send, wait, record, repeat.
async fn drive(workload: Arc<Workload>, concurrency: usize, duration: Duration, limit: Option<u64>) -> Outcome {
    let issued = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..concurrency {
        let (workload, issued) = (workload.clone(), issued.clone());
        tasks.spawn(async move {
            let mut w = Worker::default();
            loop {
                if limit.is_some_and(|n| issued.fetch_add(1, Ordering::Relaxed) >= n) {
                    break;
                }
                let t = Instant::now();
                let Ok(result) = tokio::time::timeout_at(deadline, workload.send(i)).await else {
                    break;
                };
                let nanos = u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX);
                match result {
                    Ok(()) => {
                        w.ok += 1;
                        w.latency.record(nanos);
                    }
                    Err(f) => w.errors.entry(f.code).or_insert((0, f.message)).0 += 1,
                }
            }
            w
        });
    }
    let mut out = Outcome {
        elapsed: Duration::ZERO,
        latency: Histogram::default(),
        ok: 0,
        errors: BTreeMap::new(),
        limit_reached: false,
    };
    while let Some(done) = tasks.join_next().await {
        // A worker only ends by returning; a panic would be a bug in the bench itself.
        let Ok(w) = done else { continue };
        out.latency.merge(&w.latency);
        out.ok += w.ok;
        for (code, (n, msg)) in w.errors {
            out.errors.entry(code).or_insert((0, msg)).0 += n;
        }
    }
    out.elapsed = start.elapsed().min(duration);
    out.limit_reached = limit.is_some_and(|n| out.ok + out.errors.values().map(|e| e.0).sum::<u64>() >= n);
    out
}

/// Clock ticks per second of `/proc/PID/stat` (USER_HZ, 100 on Linux).
const USER_HZ: f64 = 100.0;

/// CPU time (user + system, all threads) of `pid` in clock ticks, from `/proc/PID/stat`.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name (which may contain spaces): state is field 3,
    // utime field 14, stime field 15.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Waits (at most 20 s) until `pid` uses under 10 % of a CPU over half a second, so that work
/// the setup left behind does not land in the timed phase. Returns how long it waited.
async fn settle(pid: u32) -> Duration {
    // 0.5 s at 10 % of one CPU is 5 ticks of USER_HZ.
    const WINDOW: Duration = Duration::from_millis(500);
    let start = Instant::now();
    let Some(mut last) = cpu_ticks(pid) else { return Duration::ZERO };
    while start.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(WINDOW).await;
        let Some(now) = cpu_ticks(pid) else { break };
        if now.saturating_sub(last) < 5 {
            break;
        }
        last = now;
    }
    start.elapsed()
}

/// `VmRSS` and `VmHWM` of `pid` in KiB (Linux `/proc`).
fn memory(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    };
    Some((kb("VmRSS:")?, kb("VmHWM:")?))
}

fn millis(nanos: u64) -> f64 {
    (nanos as f64 / 1e3).round() / 1e3
}

fn report(args: &BenchArgs, label: &str, spec: Option<&str>, o: &Outcome) -> Value {
    let errors: u64 = o.errors.values().map(|e| e.0).sum();
    let secs = o.elapsed.as_secs_f64();
    let mut by_count: Vec<_> = o.errors.iter().collect();
    by_count.sort_by_key(|e| std::cmp::Reverse(e.1.0));
    let error_list: Vec<Value> =
        by_count.iter().map(|(code, (n, msg))| json!({"code": code, "count": n, "example": msg})).collect();
    let q = |p| millis(o.latency.quantile(p));
    let mut report = json!({
        "action": label,
        "key_spec": spec,
        "endpoint": args.endpoint,
        "concurrency": args.concurrency,
        "payload_bytes": args.payload_bytes,
        "duration_secs": (secs * 1000.0).round() / 1000.0,
        "requests": o.ok + errors,
        "ok": o.ok,
        "errors": errors,
        "error_codes": error_list,
        "requests_per_sec": if secs > 0.0 { (o.ok as f64 / secs * 10.0).round() / 10.0 } else { 0.0 },
        "latency_ms": {
            "mean": millis(o.latency.mean()),
            "p50": q(0.5),
            "p90": q(0.9),
            "p99": q(0.99),
            "max": millis(o.latency.max()),
        },
        "stopped_by": if o.limit_reached { "requests" } else { "duration" },
    });
    if let Some(pid) = args.server_pid {
        report["server"] = match memory(pid) {
            Some((rss, hwm)) => json!({"pid": pid, "rss_kb": rss, "peak_rss_kb": hwm}),
            None => json!({"pid": pid, "rss_kb": null, "peak_rss_kb": null}),
        };
    }
    report
}

fn table(r: &Value) -> String {
    let mut rows: Vec<(String, String)> = Vec::new();
    let action = match r["key_spec"].as_str() {
        Some(spec) => format!("{} ({spec})", r["action"].as_str().unwrap_or("")),
        None => r["action"].as_str().unwrap_or("").to_string(),
    };
    rows.push(("action".into(), action));
    rows.push(("endpoint".into(), r["endpoint"].as_str().unwrap_or("").to_string()));
    rows.push(("load".into(), format!("concurrency {}, payload {} bytes", r["concurrency"], r["payload_bytes"])));
    rows.push((
        "duration".into(),
        format!("{} s (stopped by {})", r["duration_secs"], r["stopped_by"].as_str().unwrap_or("")),
    ));
    rows.push(("requests".into(), format!("{} (ok {}, errors {})", r["requests"], r["ok"], r["errors"])));
    rows.push(("throughput".into(), format!("{} req/s", r["requests_per_sec"])));
    let l = &r["latency_ms"];
    rows.push((
        "latency ms".into(),
        format!("mean {}  p50 {}  p90 {}  p99 {}  max {}", l["mean"], l["p50"], l["p90"], l["p99"], l["max"]),
    ));
    for e in r["error_codes"].as_array().into_iter().flatten().take(5) {
        let msg: String = e["example"].as_str().unwrap_or("").chars().take(160).collect();
        rows.push(("error".into(), format!("{} x{}: {msg}", e["code"].as_str().unwrap_or(""), e["count"])));
    }
    for (who, c) in [("bench CPU", &r["cpu"]["bench"]), ("server CPU", &r["cpu"]["server"])] {
        if !c.is_null() {
            rows.push((who.into(), format!("{} s, {} us per request", c["secs"], c["us_per_request"])));
        }
    }
    if let Some(s) = r.get("settle_secs") {
        rows.push(("settle".into(), format!("{s} s waiting for the server to go idle before the timed phase")));
    }
    if let Some(s) = r.get("server") {
        rows.push((
            "server memory".into(),
            format!("pid {}: RSS {} KiB, peak {} KiB", s["pid"], s["rss_kb"], s["peak_rss_kb"]),
        ));
    }
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    rows.iter().map(|(k, v)| format!("{k:width$}  {v}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        for bad in ["", "0s", "-1s", "10x", "25h", "s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn memory_of_this_process() {
        if cfg!(target_os = "linux") {
            let (rss, hwm) = memory(std::process::id()).unwrap();
            assert!(rss > 0 && hwm >= rss);
            assert!(cpu_ticks(std::process::id()).is_some());
        }
    }
}
