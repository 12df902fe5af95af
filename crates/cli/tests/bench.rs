//! Functional tests of `keyward bench` (no timing assertions): a dev server on port 0, then small
//! fixed-count runs of several actions with `--output json`, checking the report's fields, the
//! request count and that nothing failed; and the reference server driven with `--reference`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_keyward");
const AK: &str = "LTAIbenchtest0000000001";
const SK: &str = "benchTestSecret0123456789abcdefXYZ";

/// A child process killed on drop.
struct Proc {
    child: Child,
    addr: String,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Spawns `keyward args…` and reads stdout until `prefix ADDR` and then, if given, `ready`.
fn spawn(args: &[&str], envs: &[(&str, &str)], prefix: &str, ready: Option<&str>) -> Proc {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove("KEYWARD_DATABASE_URL")
        .env_remove("KEYWARD_ENDPOINT")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut addr = None;
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < deadline, "{args:?} did not become ready: {seen:?}");
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            panic!("{args:?} exited early: {seen:?}");
        }
        let line = line.trim_end().to_string();
        if let Some(a) = line.strip_prefix(prefix) {
            addr = Some(format!("http://{a}"));
        }
        let done = addr.is_some() && ready.is_none_or(|r| line == r);
        seen.push(line);
        if done {
            break;
        }
    }
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in reader.lines() {});
    Proc { child, addr: addr.unwrap() }
}

fn server(data: &Path) -> Proc {
    let dir = data.to_str().unwrap();
    spawn(
        &["server", "--dev", "--http-addr", "127.0.0.1:0", "--https-addr", "off", "--data-dir", dir],
        &[("KEYWARD_BOOTSTRAP_ACCESS_KEY_ID", AK), ("KEYWARD_BOOTSTRAP_ACCESS_KEY_SECRET", SK)],
        "keyward: listening http ",
        Some("keyward: ready"),
    )
}

fn bench(endpoint: &str, args: &[&str]) -> Value {
    let out = Command::new(BIN)
        .arg("bench")
        .args(args)
        .args(["--endpoint", endpoint, "--output", "json", "--duration", "60s"])
        .env_remove("KEYWARD_CA_FILE")
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", AK)
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SK)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "bench {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

/// The report of a clean fixed-count run.
fn check(report: &Value, action: &str, requests: u64) {
    assert_eq!(report["action"], action, "{report:#}");
    assert_eq!(report["requests"], requests, "{report:#}");
    assert_eq!(report["ok"], requests, "{report:#}");
    assert_eq!(report["errors"], 0, "{report:#}");
    assert_eq!(report["error_codes"], Value::Array(vec![]), "{report:#}");
    assert_eq!(report["stopped_by"], "requests", "{report:#}");
    assert!(report["requests_per_sec"].as_f64().unwrap() > 0.0, "{report:#}");
    let l = &report["latency_ms"];
    let (p50, p90, p99, max) = (l["p50"].as_f64(), l["p90"].as_f64(), l["p99"].as_f64(), l["max"].as_f64());
    let (p50, p90, p99, max) = (p50.unwrap(), p90.unwrap(), p99.unwrap(), max.unwrap());
    assert!(0.0 < p50 && p50 <= p90 && p90 <= p99 && p99 <= max, "{report:#}");
    assert!(l["mean"].as_f64().unwrap() > 0.0 && report["duration_secs"].as_f64().unwrap() > 0.0);
}

#[test]
fn bench_drives_the_main_actions_without_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(&dir.path().join("data"));
    let url = server.addr.as_str();
    let pid = server.child.id().to_string();

    let r = bench(url, &["--action", "Encrypt", "--requests", "200", "--concurrency", "4", "--server-pid", &pid]);
    check(&r, "Encrypt", 200);
    assert_eq!((r["concurrency"].as_u64(), r["payload_bytes"].as_u64()), (Some(4), Some(32)));
    assert_eq!(r["key_spec"], "Aliyun_AES_256");
    assert_eq!(r["server"]["pid"].as_u64(), Some(u64::from(server.child.id())));
    let (rss, peak) = (r["server"]["rss_kb"].as_u64().unwrap(), r["server"]["peak_rss_kb"].as_u64().unwrap());
    assert!(rss > 0 && peak >= rss, "{r:#}");
    assert!(r["settle_secs"].as_f64().is_some(), "{r:#}");
    for who in ["bench", "server"] {
        assert!(r["cpu"][who]["us_per_request"].as_f64().is_some_and(|us| us >= 0.0), "{r:#}");
    }

    check(&bench(url, &["--action", "Decrypt", "--requests", "50", "--concurrency", "4"]), "Decrypt", 50);
    let r =
        bench(url, &["--action", "AsymmetricSign", "--key-spec", "EC_P256", "--requests", "40", "--concurrency", "4"]);
    check(&r, "AsymmetricSign", 40);
    assert_eq!(r["key_spec"], "EC_P256");
    let r = bench(url, &["--action", "GenerateDataKey", "--requests", "30", "--concurrency", "3"]);
    check(&r, "GenerateDataKey", 30);
    check(
        &bench(url, &["--action", "GetParametersForImport", "--requests", "6", "--concurrency", "2"]),
        "GetParametersForImport",
        6,
    );
    check(
        &bench(url, &["--action", "importkeymaterial", "--requests", "12", "--concurrency", "3"]),
        "ImportKeyMaterial",
        12,
    );
    check(&bench(url, &["--action", "CreateKey", "--requests", "10", "--concurrency", "2"]), "CreateKey", 10);
}

#[test]
fn bench_reports_errors_by_code_and_rejects_bad_flags() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(&dir.path().join("data"));
    let url = server.addr.as_str();
    // A key that does not exist: every timed request fails, and the report says why.
    let r =
        bench(url, &["--action", "DescribeKey", "--key-id", "no-such-key", "--requests", "20", "--concurrency", "2"]);
    assert_eq!((r["requests"].as_u64(), r["ok"].as_u64(), r["errors"].as_u64()), (Some(20), Some(0), Some(20)));
    let codes = r["error_codes"].as_array().unwrap();
    assert_eq!(codes.len(), 1, "{r:#}");
    assert_eq!(codes[0]["count"], 20);
    assert!(!codes[0]["code"].as_str().unwrap().is_empty());

    for bad in [
        &["--requests", "5"][..],
        &["--action", "Encrypt", "--concurrency", "0"],
        &["--action", "Encrypt", "--duration", "0s"],
        &["--action", "Frobnicate"],
    ] {
        let out = Command::new(BIN)
            .arg("bench")
            .args(bad)
            .args(["--endpoint", url, "--access-key-id", AK, "--access-key-secret", SK])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{bad:?} was accepted");
    }
}

#[test]
fn reference_server_and_reference_mode() {
    let reference = spawn(&["bench", "reference-server", "--addr", "127.0.0.1:0"], &[], "listening http ", None);
    let r =
        bench(&reference.addr, &["--reference", "--requests", "300", "--concurrency", "8", "--payload-bytes", "64"]);
    check(&r, "Reference", 300);
    assert_eq!(r["key_spec"], Value::Null);
    assert_eq!(r["payload_bytes"], 64);
}
