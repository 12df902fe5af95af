//! Full-process tests of `keyward agent`: the real `keyward server --dev` on port 0 and the real
//! agent pointed at its HTTPS listener with the generated CA. Secrets are created and changed
//! through the Rust SDK; the agent is spoken to over raw HTTP/1.1 sockets, so every header and
//! connection is under the test's control.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use keyward_client::{Client, ClientConfig, ClientError};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_keyward");
const TOKEN: &str = "agent-test-token-0123456789";

struct Proc {
    child: Child,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Server {
    proc: Proc,
    https: String,
    ca: PathBuf,
    ak: String,
    sk: String,
}

fn start_server(dir: &Path) -> Server {
    let mut cmd = Command::new(BIN);
    cmd.args(["server", "--dev", "--http-addr", "127.0.0.1:0", "--https-addr", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .env_remove("KEYWARD_BOOTSTRAP_ACCESS_KEY_ID")
        .env_remove("KEYWARD_BOOTSTRAP_ACCESS_KEY_SECRET")
        .env_remove("KEYWARD_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let (mut https, mut ca, mut stdout) = (String::new(), PathBuf::new(), Vec::new());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < deadline, "server did not become ready: {stdout:?}");
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            panic!("server exited early: {stdout:?}");
        }
        let line = line.trim_end().to_string();
        if let Some(a) = line.strip_prefix("keyward: listening https ") {
            https = format!("https://{a}");
        } else if let Some(rest) = line.strip_prefix("keyward: HTTPS certificate issued by the local CA ") {
            ca = PathBuf::from(rest.split(" (").next().unwrap());
        }
        let ready = line == "keyward: ready";
        stdout.push(line);
        if ready {
            break;
        }
    }
    let text = std::fs::read_to_string(dir.join("credentials")).unwrap();
    let get = |k: &str| text.lines().find_map(|l| l.strip_prefix(&format!("{k}="))).unwrap().to_string();
    let (ak, sk) = (get("ALIBABA_CLOUD_ACCESS_KEY_ID"), get("ALIBABA_CLOUD_ACCESS_KEY_SECRET"));
    Server { proc: Proc { child }, https, ca, ak, sk }
}

struct Agent {
    _proc: Proc,
    addr: String,
}

/// Starts `keyward agent --config <config>` with exactly `envs` among the variables it reads.
fn try_start_agent(dir: &Path, config: &str, envs: &[(&str, &str)]) -> Result<Agent, String> {
    let path = dir.join(format!("agent-{}.toml", uuid::Uuid::new_v4()));
    std::fs::write(&path, config).unwrap();
    let mut cmd = Command::new(BIN);
    cmd.args(["agent", "--port", "0", "--config"]).arg(&path).stdout(Stdio::piped()).stderr(Stdio::piped());
    for v in [
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        "KMS_TOKEN",
        "KMS_SESSION_TOKEN",
        "KMS_CONTAINER_AUTHORIZATION_TOKEN",
    ] {
        cmd.env_remove(v);
    }
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut addr = String::new();
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            let mut err = String::new();
            child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
            let _ = child.wait();
            return Err(err);
        }
        let line = line.trim_end().to_string();
        if let Some(a) = line.strip_prefix("keyward-agent: listening http ") {
            addr = a.to_string();
        }
        let ready = line == "keyward-agent: ready";
        lines.push(line);
        if ready {
            break;
        }
    }
    assert!(addr.starts_with("127.0.0.1:"), "{lines:?}");
    Ok(Agent { _proc: Proc { child }, addr })
}

fn start_agent(server: &Server, dir: &Path, extra: &str) -> Agent {
    let config = format!(
        "{extra}\n[Kms]\nEndpoint = \"{}\"\nCaFile = \"{}\"\nAccessKeyId = \"{}\"\nAccessKeySecret = \"{}\"\n",
        server.https,
        server.ca.display(),
        server.ak,
        server.sk
    );
    try_start_agent(dir, &config, &[("KMS_TOKEN", TOKEN)]).unwrap_or_else(|e| panic!("agent did not start: {e}"))
}

#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }

    fn cache(&self) -> &str {
        self.header("x-keyward-cache").unwrap_or_default()
    }
}

fn send(stream: &mut TcpStream, method: &str, target: &str, headers: &[(&str, &str)], close: bool) {
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: localhost\r\n");
    if close {
        req.push_str("Connection: close\r\n");
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).unwrap();
}

fn read_response(reader: &mut impl BufRead) -> Resp {
    let mut status_line = String::new();
    reader.read_line(&mut status_line).unwrap();
    let status =
        status_line.split(' ').nth(1).unwrap_or_else(|| panic!("status line {status_line:?}")).parse().unwrap();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (k, v) = line.split_once(':').unwrap();
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let len: usize =
        headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("content-length")).map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = vec![0; len];
    reader.read_exact(&mut body).unwrap();
    Resp { status, headers, body: String::from_utf8(body).unwrap() }
}

fn connect(addr: &str) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s
}

fn request(addr: &str, method: &str, target: &str, headers: &[(&str, &str)]) -> Resp {
    let mut s = connect(addr);
    send(&mut s, method, target, headers, true);
    read_response(&mut BufReader::new(s))
}

fn get(agent: &Agent, target: &str) -> Resp {
    request(&agent.addr, "GET", target, &[("X-KMS-Token", TOKEN)])
}

struct Sdk {
    rt: tokio::runtime::Runtime,
    client: Client,
}

impl Sdk {
    fn new(server: &Server) -> Self {
        let client = Client::new(ClientConfig {
            endpoint: server.https.clone(),
            access_key_id: server.ak.clone(),
            access_key_secret: server.sk.clone(),
            ca_file: Some(server.ca.clone()),
            timeout: Duration::from_secs(30),
        })
        .unwrap();
        Self { rt: tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap(), client }
    }

    fn try_call(&self, action: &str, params: &[(&str, &str)]) -> Result<Value, ClientError> {
        let params: Vec<(&str, String)> = params.iter().map(|(k, v)| (*k, v.to_string())).collect();
        self.rt.block_on(self.client.call(action, &params))
    }

    fn call(&self, action: &str, params: &[(&str, &str)]) -> Value {
        self.try_call(action, params).unwrap_or_else(|e| panic!("{action}: {e}"))
    }

    fn create(&self, name: &str, version: &str, data: &str) {
        self.call("CreateSecret", &[("SecretName", name), ("VersionId", version), ("SecretData", data)]);
    }

    fn put(&self, name: &str, version: &str, data: &str) {
        self.call("PutSecretValue", &[("SecretName", name), ("VersionId", version), ("SecretData", data)]);
    }
}

#[test]
fn agent_defences_urls_versions_and_cache_hits() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(&dir.path().join("data"));
    let sdk = Sdk::new(&server);
    let agent = start_agent(&server, dir.path(), "");
    let a = agent.addr.as_str();

    // Health check without a token; everything else needs it.
    let r = request(a, "GET", "/ping", &[]);
    assert_eq!((r.status, r.body.as_str()), (200, "healthy"));
    let r = request(a, "GET", "/secretsmanager/get?secretId=app%2Fdb", &[]);
    assert_eq!((r.status, r.json()["Code"].as_str()), (401, Some("MissingToken")), "{r:?}");
    let r = request(a, "GET", "/secretsmanager/get?secretId=app%2Fdb", &[("X-KMS-Token", "wrong")]);
    assert_eq!((r.status, r.json()["Code"].as_str()), (403, Some("InvalidToken")), "{r:?}");
    for target in ["/ping", "/v1/app/db"] {
        let r = request(a, "GET", target, &[("X-KMS-Token", TOKEN), ("X-Forwarded-For", "203.0.113.9")]);
        assert_eq!((r.status, r.json()["Code"].as_str()), (400, Some("Forwarded")), "{r:?}");
    }
    for method in ["POST", "PUT", "DELETE"] {
        let r = request(a, method, "/v1/app/db", &[("X-KMS-Token", TOKEN)]);
        assert_eq!(r.status, 405, "{method}: {r:?}");
    }
    let r = get(&agent, "/v2/app/db");
    assert_eq!((r.status, r.json()["Code"].as_str()), (404, Some("NotFound")), "{r:?}");

    // An unknown secret: the server's 404 passes through.
    let r = get(&agent, "/v1/no-such-secret");
    assert_eq!(r.status, 404, "{r:?}");
    assert_eq!(r.json()["Code"], "Forbidden.ResourceNotFound");

    sdk.create("app/db", "v1", "pw-1");
    let r = get(&agent, "/secretsmanager/get?secretId=app%2Fdb");
    assert_eq!((r.status, r.cache()), (200, "miss"), "{r:?}");
    let j = r.json();
    assert_eq!(j["SecretName"], "app/db");
    assert_eq!(j["SecretData"], "pw-1");
    assert_eq!(j["VersionId"], "v1");
    assert_eq!(j["SecretDataType"], "text");
    assert_eq!(j["VersionStages"]["VersionStage"], serde_json::json!(["ACSCurrent"]));
    assert!(j.get("RequestId").is_none(), "{j}");
    assert!(j["CreateTime"].is_string(), "{j}");
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.header("x-keyward-stale-seconds").is_none());

    // The path form (the same cache entry) and the other token header.
    for target in ["/v1/app/db", "/v1/app%2Fdb"] {
        let r = request(a, "GET", target, &[("X-Vault-Token", TOKEN)]);
        assert_eq!((r.status, r.cache(), r.json()["SecretData"].as_str()), (200, "hit", Some("pw-1")), "{r:?}");
    }

    // A new value on the server: the cache keeps answering the old one without asking it,
    // until refreshNow.
    sdk.put("app/db", "v2", "pw-2");
    let r = get(&agent, "/secretsmanager/get?secretId=app%2Fdb");
    assert_eq!((r.cache(), r.json()["SecretData"].as_str()), ("hit", Some("pw-1")), "{r:?}");
    let r = get(&agent, "/secretsmanager/get?secretId=app%2Fdb&refreshNow=true");
    assert_eq!((r.cache(), r.json()["SecretData"].as_str()), ("miss", Some("pw-2")), "{r:?}");
    assert_eq!(r.json()["VersionId"], "v2");
    let r = get(&agent, "/v1/app/db");
    assert_eq!((r.cache(), r.json()["SecretData"].as_str()), ("hit", Some("pw-2")), "{r:?}");

    // Versions by stage and by id, in both forms.
    for (target, data, version) in [
        ("/secretsmanager/get?secretId=app%2Fdb&versionStage=ACSPrevious", "pw-1", "v1"),
        ("/v1/app/db?versionStage=ACSCurrent", "pw-2", "v2"),
        ("/v1/app/db?versionId=v1", "pw-1", "v1"),
        ("/secretsmanager/get?secretId=app%2Fdb&versionId=v2", "pw-2", "v2"),
    ] {
        let r = get(&agent, target);
        assert_eq!(r.status, 200, "{target}: {r:?}");
        assert_eq!((r.json()["SecretData"].as_str(), r.json()["VersionId"].as_str()), (Some(data), Some(version)));
        assert_eq!(r.cache(), "miss", "{target}");
        assert_eq!(get(&agent, target).cache(), "hit", "{target}");
    }
    let r = get(&agent, "/v1/app/db?versionId=v9");
    assert!((400..500).contains(&r.status), "{r:?}");
    let r = get(&agent, "/secretsmanager/get?secretId=app%2Fdb&colour=red");
    assert_eq!((r.status, r.json()["Code"].as_str()), (400, Some("InvalidParameter")), "{r:?}");
}

#[test]
fn agent_ttl_expiry_stale_on_error_and_deleted_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start_server(&dir.path().join("data"));
    let sdk = Sdk::new(&server);
    let agent = start_agent(&server, dir.path(), "[Cache]\nTtlSeconds = 1\nMaxStaleSeconds = 3600\n");

    sdk.create("ttl", "v1", "old");
    sdk.create("gone", "v1", "bye");
    assert_eq!(get(&agent, "/v1/ttl").cache(), "miss");
    assert_eq!(get(&agent, "/v1/gone").cache(), "miss");
    assert_eq!(get(&agent, "/v1/ttl").cache(), "hit");
    sdk.put("ttl", "v2", "new");
    std::thread::sleep(Duration::from_millis(1200));
    let r = get(&agent, "/v1/ttl");
    assert_eq!((r.cache(), r.json()["SecretData"].as_str()), ("miss", Some("new")), "{r:?}");

    // A deleted secret is not masked by the cached value once it expires.
    sdk.call("DeleteSecret", &[("SecretName", "gone"), ("ForceDeleteWithoutRecovery", "true")]);
    std::thread::sleep(Duration::from_millis(1200));
    let r = get(&agent, "/v1/gone");
    assert_eq!(r.status, 404, "{r:?}");

    // The server goes away: expired entries are still served, marked stale.
    let _ = server.proc.child.kill();
    let _ = server.proc.child.wait();
    std::thread::sleep(Duration::from_millis(1200));
    let r = get(&agent, "/v1/ttl");
    assert_eq!((r.status, r.cache(), r.json()["SecretData"].as_str()), (200, "stale", Some("new")), "{r:?}");
    let secs: u64 = r.header("x-keyward-stale-seconds").unwrap().parse().unwrap();
    assert!(secs < 60, "{secs}");
    let r = get(&agent, "/v1/ttl?refreshNow=true");
    assert_eq!((r.status, r.cache()), (200, "stale"), "{r:?}");
    // Never cached, or dropped after the 404: nothing to serve.
    for target in ["/v1/never", "/v1/gone"] {
        let r = get(&agent, target);
        assert_eq!((r.status, r.json()["Code"].as_str()), (502, Some("KmsUnreachable")), "{target}: {r:?}");
    }
}

#[test]
fn agent_connection_cap_answers_429() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(&dir.path().join("data"));
    let agent = start_agent(&server, dir.path(), "[Server]\nMaxConn = 2\n");
    let ping = |s: &mut TcpStream| {
        send(s, "GET", "/ping", &[], false);
        read_response(&mut BufReader::new(s.try_clone().unwrap()))
    };
    let mut held: Vec<TcpStream> = (0..2).map(|_| connect(&agent.addr)).collect();
    for s in &mut held {
        assert_eq!(ping(s).status, 200);
    }
    let r = request(&agent.addr, "GET", "/ping", &[]);
    assert_eq!((r.status, r.json()["Code"].as_str()), (429, Some("ConnectionLimitExceeded")), "{r:?}");
    assert_eq!(r.header("connection"), Some("close"));
    // The held connections still work; closing one frees its slot.
    assert_eq!(ping(&mut held[0]).status, 200);
    drop(held.pop());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = request(&agent.addr, "GET", "/ping", &[]);
        if r.status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "the slot was not freed: {r:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn agent_token_sources_and_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(&dir.path().join("data"));
    let sdk = Sdk::new(&server);
    sdk.create("svc", "v1", "s3cr3t-value");
    // Credentials from the environment, the token from a file.
    let token_file = dir.path().join("kmstoken");
    std::fs::write(&token_file, "file-token\n").unwrap();
    let config = format!("[Kms]\nEndpoint = \"{}\"\nCaFile = \"{}\"\n", server.https, server.ca.display());
    let url = format!("file://{}", token_file.display());
    let agent = try_start_agent(
        dir.path(),
        &config,
        &[
            ("KMS_SESSION_TOKEN", url.as_str()),
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", server.ak.as_str()),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", server.sk.as_str()),
        ],
    )
    .unwrap();
    let r = request(&agent.addr, "GET", "/v1/svc", &[("X-KMS-Token", "file-token")]);
    assert_eq!((r.status, r.json()["SecretData"].as_str()), (200, Some("s3cr3t-value")), "{r:?}");
    let r = request(&agent.addr, "GET", "/v1/svc", &[("X-KMS-Token", url.as_str())]);
    assert_eq!(r.status, 403);

    // Wrong credentials: the server's signature error passes through.
    let bad = format!("{config}AccessKeyId = \"{}\"\nAccessKeySecret = \"not-the-secret\"\n", server.ak);
    let agent = try_start_agent(dir.path(), &bad, &[("KMS_TOKEN", TOKEN)]).unwrap();
    let r = get(&agent, "/v1/svc");
    assert_eq!(r.json()["Code"], "SignatureDoesNotMatch", "{r:?}");
    assert!(!r.body.contains("not-the-secret"));

    // Refusals at startup, with clear messages that never echo secrets.
    let good = format!("{config}AccessKeyId = \"{}\"\nAccessKeySecret = \"{}\"\n", server.ak, server.sk);
    let err = try_start_agent(dir.path(), &good, &[]).err().expect("no token must refuse to start");
    assert!(err.contains("no SSRF token") && err.contains("KMS_TOKEN"), "{err}");
    let err =
        try_start_agent(dir.path(), &format!("[Server]\nBindAddress = \"0.0.0.0\"\n{good}"), &[("KMS_TOKEN", TOKEN)])
            .err()
            .expect("a non-loopback bind must be refused");
    assert!(err.contains("loopback"), "{err}");
    let err = try_start_agent(dir.path(), &format!("[Server]\nPort = 1\n{good}"), &[("KMS_TOKEN", TOKEN)])
        .err()
        .expect("unknown keys must be refused");
    assert!(err.contains("Port") && !err.contains(&server.sk), "{err}");
}
