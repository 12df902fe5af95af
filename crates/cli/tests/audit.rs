//! `keyward audit verify|tail` on a log chained here independently (SHA-256 via aws-lc-rs):
//! an intact chain across a rotated file passes, one changed byte in the middle is reported at
//! its line with a non-zero exit, and `tail -n` prints the newest events readably. End to end:
//! a real `keyward server --dev` audits requests made with `keyward key` (source address, user
//! agent, an authentication failure) and `keyward audit verify` accepts its log.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_lc_rs::digest;

const BIN: &str = env!("CARGO_BIN_EXE_keyward");

fn sha(s: &str) -> String {
    digest::digest(&digest::SHA256, s.as_bytes()).as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `n` chained events: the first `split` in `audit.log.000001`, the rest in `audit.log`.
fn write_log(audit: &Path, n: usize, split: usize) {
    std::fs::create_dir_all(audit).unwrap();
    let mut prev = sha("keyward-audit-log-v1");
    let (mut old, mut live) = (String::new(), String::new());
    for i in 0..n {
        let line = format!(
            "{{\"prev\":\"{prev}\",\"time\":\"2026-01-01T00:00:0{}.000Z\",\"request_id\":\"R{i}\",\"protocol\":\"alibaba\",\
             \"action\":\"Encrypt\",\"principal\":\"admin\",\"access_key_id\":\"LTAIx\",\"resources\":[\"acs:kms:r:a:key/k{i}\"],\
             \"result\":\"OK\",\"status\":200}}",
            i % 10
        );
        prev = sha(&line);
        let target = if i < split { &mut old } else { &mut live };
        target.push_str(&line);
        target.push('\n');
    }
    std::fs::write(audit.join("audit.log.000001"), old).unwrap();
    std::fs::write(audit.join("audit.log"), live).unwrap();
}

fn keyward(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn verify_finds_the_changed_line_and_tail_prints_events() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit");
    write_log(&audit, 12, 5);
    let data_dir = dir.path().to_str().unwrap();
    let (ok, out, err) = keyward(&["audit", "verify", "--data-dir", data_dir]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("12 lines in 2 file(s)"), "{out}");
    // The live file alone: its first line chains to the rotated file, taken as given.
    let live = audit.join("audit.log");
    let (ok, out, err) = keyward(&["audit", "verify", live.to_str().unwrap()]);
    assert!(ok, "{out}{err}");

    let (ok, out, _) = keyward(&["audit", "tail", "-n", "2", "--data-dir", data_dir]);
    assert!(ok);
    let printed: Vec<&str> = out.lines().collect();
    assert_eq!(printed.len(), 2, "{out}");
    assert!(
        printed[1].contains("Encrypt") && printed[1].contains("R11") && printed[1].contains("admin/LTAIx"),
        "{out}"
    );
    assert!(printed[0].contains("R10"), "{out}");

    // Change one byte of line 4 of the live file (still valid JSON).
    let text = std::fs::read_to_string(&live).unwrap();
    let mut bytes = text.into_bytes();
    let starts: Vec<usize> =
        std::iter::once(0).chain(bytes.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i + 1)).collect();
    let line4 = &bytes[starts[3]..starts[4]];
    let at = starts[3] + line4.windows(7).position(|w| w == b"Encrypt").unwrap();
    bytes[at] = b'e';
    std::fs::write(&live, &bytes).unwrap();
    let (ok, out, err) = keyward(&["audit", "verify", "--data-dir", data_dir]);
    assert!(!ok, "{out}{err}");
    assert!(err.contains("audit.log:4:"), "{err}");
    let (ok, _, err) = keyward(&["audit", "verify", live.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("audit.log:4:"), "{err}");

    // A line broken as JSON is named itself.
    let mut bytes = std::fs::read(&live).unwrap();
    bytes[starts[1]] = b'x';
    std::fs::write(&live, &bytes).unwrap();
    let (ok, _, err) = keyward(&["audit", "verify", "--data-dir", data_dir]);
    assert!(!ok);
    assert!(err.contains("audit.log:2:") && err.contains("not a JSON line"), "{err}");
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const AK: &str = "LTAIauditcli000001";
const SK: &str = "audit-cli-secret-0123456789";

/// `keyward server --dev` on an HTTP port 0; returns the server and its endpoint.
fn start(data: &Path) -> (Server, String) {
    let mut child = Command::new(BIN)
        .args(["server", "--dev", "--http-addr", "127.0.0.1:0", "--https-addr", "off", "--data-dir"])
        .arg(data)
        .env("KEYWARD_BOOTSTRAP_ACCESS_KEY_ID", AK)
        .env("KEYWARD_BOOTSTRAP_ACCESS_KEY_SECRET", SK)
        .env_remove("KEYWARD_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let server = Server(child);
    let (mut http, mut audit_line) = (String::new(), false);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < deadline, "server did not become ready");
        let mut line = String::new();
        assert!(reader.read_line(&mut line).unwrap() > 0, "server exited early");
        let line = line.trim_end();
        if let Some(a) = line.strip_prefix("keyward: listening http ") {
            http = format!("http://{a}");
        }
        audit_line |= line.starts_with("keyward: audit log ") && line.ends_with("audit.log");
        if line == "keyward: ready" {
            break;
        }
    }
    assert!(audit_line, "the server names its audit log");
    (server, http)
}

fn key_cmd(args: &[&str], endpoint: &str, secret: &str) -> (bool, String) {
    let out = Command::new(BIN)
        .args(["key", "--endpoint", endpoint, "--output", "json"])
        .args(args)
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", AK)
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", secret)
        .env_remove("KEYWARD_ENDPOINT")
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn audit_lines(data: &Path, at_least: usize) -> Vec<serde_json::Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(data.join("audit").join("audit.log")).unwrap_or_default();
        if text.lines().count() >= at_least || Instant::now() > deadline {
            return text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_running_server_audits_requests() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (_server, http) = start(&data);
    let (ok, out) = key_cmd(&["create"], &http, SK);
    assert!(ok, "{out}");
    let (ok, _) = key_cmd(&["list"], &http, "not-the-secret");
    assert!(!ok);
    let lines = audit_lines(&data, 2);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!((lines[0]["action"].as_str(), lines[0]["result"].as_str()), (Some("CreateKey"), Some("OK")));
    assert_eq!(lines[0]["principal"], "admin");
    assert!(lines[0]["source"].as_str().unwrap().starts_with("127.0.0.1:"), "{}", lines[0]);
    assert!(lines[0]["user_agent"].as_str().is_some(), "{}", lines[0]);
    assert_eq!(lines[1]["action"], "ListKeys");
    assert!(lines[1].get("principal").is_none(), "{}", lines[1]);
    assert_eq!(lines[1]["claimed_access_key_id"], AK);
    let (ok, out, err) = keyward(&["audit", "verify", "--data-dir", data.to_str().unwrap()]);
    assert!(ok && out.contains("2 lines"), "{out}{err}");
}
