//! A real `keyward server --dev --admin-addr … --log-format json`: the admin listener is
//! announced and serves `/metrics` (counting a request made with `keyward key` and the
//! background jobs' runs), `/healthz` and `/readyz`; the API listener answers the health routes
//! but not `/metrics`; every log line on stderr is a JSON object, and the request produced one
//! `keyward::request` line with its fields.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_keyward");
const AK: &str = "LTAIobservability001";
const SK: &str = "observability-secret-0123456789";

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// GET over a plain socket: (status, body).
fn http_get(addr: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text.split(' ').nth(1).unwrap().parse().unwrap();
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

#[test]
fn admin_listener_metrics_and_json_request_log() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["server", "--dev", "--http-addr", "127.0.0.1:0", "--https-addr", "off"])
        .args(["--admin-addr", "127.0.0.1:0", "--log-format", "json", "--data-dir"])
        .arg(dir.path())
        .env("KEYWARD_BOOTSTRAP_ACCESS_KEY_ID", AK)
        .env("KEYWARD_BOOTSTRAP_ACCESS_KEY_SECRET", SK)
        .env_remove("KEYWARD_DATABASE_URL")
        .env_remove("KEYWARD_LOG")
        .env_remove("KEYWARD_ADMIN_ADDR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let _server = Server(child);
    let log: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    let (mut http, mut admin) = (String::new(), String::new());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < deadline, "server did not become ready");
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "server exited early: {:?}", log.lock().unwrap());
        let line = line.trim_end();
        if let Some(a) = line.strip_prefix("keyward: listening http ") {
            http = a.to_string();
        } else if let Some(a) = line.strip_prefix("keyward: listening admin ") {
            admin = a.to_string();
        }
        if line == "keyward: ready" {
            break;
        }
    }
    assert!(!http.is_empty() && !admin.is_empty(), "both listeners announced");

    let out = Command::new(BIN)
        .args(["key", "--endpoint", &format!("http://{http}"), "--output", "json", "create"])
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", AK)
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SK)
        .env_remove("KEYWARD_ENDPOINT")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let (status, metrics) = http_get(&admin, "/metrics");
    assert_eq!(status, 200);
    assert!(
        metrics.lines().any(|l| l == r#"keyward_requests_total{protocol="alibaba",action="CreateKey",code="OK"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains("# TYPE keyward_request_duration_seconds histogram"), "{metrics}");
    // The background jobs ran once at start (the first tick is immediate), all four counted.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, metrics) = http_get(&admin, "/metrics");
        let runs: Vec<&str> = metrics.lines().filter(|l| l.starts_with("keyward_job_runs_total{")).collect();
        let failures = metrics.lines().filter(|l| l.starts_with("keyward_job_failures_total{"));
        if runs.len() == 4 && runs.iter().all(|l| !l.ends_with(" 0")) {
            assert!(failures.into_iter().all(|l| l.ends_with(" 0")), "{metrics}");
            break;
        }
        assert!(Instant::now() < deadline, "{metrics}");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(http_get(&admin, "/healthz"), (200, "ok\n".into()));
    assert_eq!(http_get(&admin, "/readyz"), (200, "ready\n".into()));
    assert_eq!(http_get(&http, "/healthz"), (200, "ok\n".into()));
    assert_eq!(http_get(&http, "/readyz"), (200, "ready\n".into()));
    let (status, body) = http_get(&http, "/metrics");
    assert_eq!(status, 404, "{body}");
    assert!(!body.contains("keyward_requests_total"));

    // The request's log line, as JSON with its fields at the top level.
    let deadline = Instant::now() + Duration::from_secs(10);
    let request_line = loop {
        let lines = log.lock().unwrap().clone();
        let found = lines
            .iter()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|v| v["target"] == "keyward::request" && v["action"] == "CreateKey");
        if let Some(v) = found {
            break v;
        }
        assert!(Instant::now() < deadline, "no request log line: {lines:?}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(request_line["level"], "INFO", "{request_line}");
    assert_eq!(request_line["message"], "request", "{request_line}");
    assert_eq!(request_line["protocol"], "alibaba", "{request_line}");
    assert_eq!(request_line["code"], "OK", "{request_line}");
    assert_eq!(request_line["status"], 200, "{request_line}");
    assert_eq!(request_line["principal"], "admin", "{request_line}");
    assert!(request_line["duration_us"].is_u64(), "{request_line}");
    assert_eq!(request_line["request_id"].as_str().map(str::len), Some(36), "{request_line}");
    let lines = log.lock().unwrap().clone();
    assert!(!lines.is_empty());
    for line in &lines {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(v.is_object() && v.get("timestamp").is_some(), "{line}");
    }
}
