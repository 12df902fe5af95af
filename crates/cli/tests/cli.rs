//! Full-process tests: the `keyward` binary as a user runs it — `server --dev` on port 0 in a
//! fresh data dir, then `keyward key …` over HTTP and HTTPS and `keyward admin …` on the data dir.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_keyward");

struct Server {
    child: Child,
    http: String,
    https: String,
    ca: PathBuf,
    stdout: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &Path, envs: &[(&str, &str)]) -> Server {
    let mut cmd = Command::new(BIN);
    cmd.args(["server", "--dev", "--http-addr", "127.0.0.1:0", "--https-addr", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .env_remove("KEYWARD_BOOTSTRAP_ACCESS_KEY_ID")
        .env_remove("KEYWARD_BOOTSTRAP_ACCESS_KEY_SECRET")
        .env_remove("KEYWARD_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let (mut http, mut https, mut ca, mut stdout) = (String::new(), String::new(), PathBuf::new(), Vec::new());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < deadline, "server did not become ready: {stdout:?}");
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            panic!("server exited early: {stdout:?}");
        }
        let line = line.trim_end().to_string();
        if let Some(a) = line.strip_prefix("keyward: listening http ") {
            http = format!("http://{a}");
        } else if let Some(a) = line.strip_prefix("keyward: listening https ") {
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
    Server { child, http, https, ca, stdout }
}

fn credentials(dir: &Path) -> (String, String) {
    let text = std::fs::read_to_string(dir.join("credentials")).unwrap();
    let get = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .map(str::to_string)
            .unwrap_or_else(|| panic!("{k} in {text}"))
    };
    (get("ALIBABA_CLOUD_ACCESS_KEY_ID"), get("ALIBABA_CLOUD_ACCESS_KEY_SECRET"))
}

fn keyward(args: &[&str], envs: &[(&str, &str)]) -> (bool, String, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove("KEYWARD_ENDPOINT")
        .env_remove("ALIBABA_CLOUD_ACCESS_KEY_ID")
        .env_remove("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
        .env_remove("KEYWARD_CA_FILE")
        .env_remove("KEYWARD_DATABASE_URL");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(args: &[&str], envs: &[(&str, &str)]) -> Value {
    let (ok, out, err) = keyward(args, envs);
    assert!(ok, "keyward {args:?} failed: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

#[test]
fn dev_server_key_lifecycle_over_http_and_https() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = start(&data, &[]);
    // The generated admin AccessKey is printed once and written 0600.
    let (ak, sk) = credentials(&data);
    assert!(server.stdout.iter().any(|l| l.contains(&ak)) && server.stdout.iter().any(|l| l.contains(&sk)));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in ["credentials", "root.key"] {
            assert_eq!(std::fs::metadata(data.join(f)).unwrap().permissions().mode() & 0o777, 0o600, "{f}");
        }
    }
    let env = [("ALIBABA_CLOUD_ACCESS_KEY_ID", ak.as_str()), ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", sk.as_str())];
    let http = ["--endpoint", server.http.as_str(), "--output", "json"];

    let created = json(
        &[&["key", "create", "--spec", "EC_P256", "--description", "cli key", "--tag", "env=dev"][..], &http].concat(),
        &env,
    );
    let id = created["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();
    assert_eq!(created["KeyMetadata"]["KeyUsage"], "SIGN/VERIFY");
    let d = json(&[&["key", "describe", &id][..], &http].concat(), &env);
    assert_eq!(d["KeyMetadata"]["Description"], "cli key");

    // Over HTTPS with the generated CA; without it the TLS handshake fails.
    let https = ["--endpoint", server.https.as_str(), "--output", "json"];
    let ca = server.ca.to_str().unwrap();
    let l = json(&[&["key", "list", "--ca-file", ca][..], &https].concat(), &env);
    assert_eq!(l["TotalCount"], 1);
    let (ok, _, err) = keyward(&[&["key", "list"][..], &https].concat(), &env);
    assert!(!ok && err.contains("request failed"), "{err}");

    for (cmd, state) in [("disable", "Disabled"), ("enable", "Enabled")] {
        keyward(&[&["key", cmd, &id][..], &http].concat(), &env);
        assert_eq!(json(&[&["key", "describe", &id][..], &http].concat(), &env)["KeyMetadata"]["KeyState"], state);
    }
    json(&[&["key", "schedule-deletion", &id, "--days", "7"][..], &http].concat(), &env);
    assert_eq!(
        json(&[&["key", "describe", &id][..], &http].concat(), &env)["KeyMetadata"]["KeyState"],
        "PendingDeletion"
    );
    json(&[&["key", "cancel-deletion", &id][..], &http].concat(), &env);
    assert_eq!(json(&[&["key", "describe", &id][..], &http].concat(), &env)["KeyMetadata"]["KeyState"], "Enabled");

    // Table output for people.
    let (ok, table, _) = keyward(&["key", "list", "--endpoint", &server.http], &env);
    assert!(ok && table.starts_with("KeyId") && table.contains(&id) && table.contains("EC_P256"), "{table}");

    // API errors come back with their code.
    let (ok, _, err) = keyward(&["key", "describe", "nope", "--endpoint", &server.http], &env);
    assert!(!ok && err.contains("Forbidden.KeyNotFound"), "{err}");
    let (ok, _, err) = keyward(
        &["key", "describe", &id, "--endpoint", &server.http],
        &[("ALIBABA_CLOUD_ACCESS_KEY_ID", &ak), ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "wrong-secret")],
    );
    assert!(!ok && err.contains("SignatureDoesNotMatch"), "{err}");
    let (ok, _, err) = keyward(&["key", "list", "--endpoint", &server.http], &[]);
    assert!(!ok && err.contains("credentials missing"), "{err}");
}

#[test]
fn admin_commands_and_restart_keep_data() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_s = data.to_str().unwrap();
    let fixed = [
        ("KEYWARD_BOOTSTRAP_ACCESS_KEY_ID", "LTAIfixedadmin"),
        ("KEYWARD_BOOTSTRAP_ACCESS_KEY_SECRET", "fixed-secret-123"),
    ];
    let server = start(&data, &fixed);
    assert!(!data.join("credentials").exists(), "fixed credentials are not written to disk");
    let env =
        [("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIfixedadmin"), ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "fixed-secret-123")];
    let http = ["--endpoint", server.http.as_str(), "--output", "json"];

    let inst = json(
        &[
            "admin",
            "--data-dir",
            data_s,
            "instance",
            "create",
            "--type",
            "software",
            "--spec",
            "2000",
            "--key-quota",
            "5",
            "--output",
            "json",
        ],
        &[],
    );
    let iid = inst["KmsInstanceId"].as_str().unwrap().to_string();
    assert!(iid.starts_with("kst-"));
    let (ok, _, err) = keyward(&["admin", "--data-dir", data_s, "instance", "create", "--type", "hardware"], &[]);
    assert!(!ok && err.contains("hardware"), "{err}");
    let k = json(
        &[&["key", "create", "--instance-id", &iid, "--origin", "EXTERNAL", "--spec", "RSA_2048"][..], &http].concat(),
        &env,
    );
    assert_eq!(k["KeyMetadata"]["KeyState"], "PendingImport");
    assert_eq!(k["KeyMetadata"]["DKMSInstanceId"], iid.as_str());

    // A second AccessKey, of a principal allowed only to list keys, works at once and only for
    // that; once disabled (before first use) a key is refused.
    let (ok, _, err) = keyward(
        &["admin", "--data-dir", data_s, "access-key", "create", "--principal", "app", "--output", "json"],
        &[],
    );
    assert!(!ok && err.contains("principal app not found"), "{err}");
    keyward(&["admin", "--data-dir", data_s, "principal", "create", "app"], &[]);
    let doc = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:ListKeys","Resource":"*"}]}"#;
    keyward(&["admin", "--data-dir", data_s, "policy", "create", "list-keys", "--document", doc], &[]);
    keyward(&["admin", "--data-dir", data_s, "policy", "attach", "list-keys", "--principal", "app"], &[]);
    let ak =
        json(&["admin", "--data-dir", data_s, "access-key", "create", "--principal", "app", "--output", "json"], &[]);
    let (id2, sk2) =
        (ak["AccessKeyId"].as_str().unwrap().to_string(), ak["AccessKeySecret"].as_str().unwrap().to_string());
    let env2 = [("ALIBABA_CLOUD_ACCESS_KEY_ID", id2.as_str()), ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", sk2.as_str())];
    json(&[&["key", "list"][..], &http].concat(), &env2);
    let (ok, _, err) = keyward(&[&["key", "create"][..], &http].concat(), &env2);
    assert!(!ok && err.contains("Forbidden.NoPermission") && err.contains("kms:CreateKey"), "{err}");
    let ak3 = json(&["admin", "--data-dir", data_s, "access-key", "create", "--output", "json"], &[]);
    let id3 = ak3["AccessKeyId"].as_str().unwrap().to_string();
    keyward(&["admin", "--data-dir", data_s, "access-key", "disable", &id3], &[]);
    let env3 = [
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", id3.as_str()),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ak3["AccessKeySecret"].as_str().unwrap()),
    ];
    let (ok, _, err) = keyward(&[&["key", "list"][..], &http].concat(), &env3);
    assert!(!ok && err.contains("Forbidden.AccessKey"), "{err}");
    let list = json(&["admin", "--data-dir", data_s, "access-key", "list", "--output", "json"], &[]);
    let rows = list["AccessKeys"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert!(!list.to_string().contains(&sk2), "listing never shows secrets");
    let (ok, _, _) = keyward(&["admin", "--data-dir", data_s, "access-key", "delete", &id3], &[]);
    assert!(ok);
    let (ok, _, err) = keyward(&["admin", "--data-dir", data_s, "access-key", "delete", &id3], &[]);
    assert!(!ok && err.contains("does not exist"), "{err}");

    // Restart: the same data, the same credentials, the same CA.
    let ca_before = std::fs::read(&server.ca).unwrap();
    drop(server);
    let server = start(&data, &fixed);
    assert_eq!(std::fs::read(&server.ca).unwrap(), ca_before);
    let http = ["--endpoint", server.http.as_str(), "--output", "json"];
    let d = json(&[&["key", "describe", k["KeyMetadata"]["KeyId"].as_str().unwrap()][..], &http].concat(), &env);
    assert_eq!(d["KeyMetadata"]["DKMSInstanceId"], iid.as_str());
}

#[test]
fn production_mode_needs_an_existing_root_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["server", "--http-addr", "127.0.0.1:0", "--https-addr", "off", "--data-dir"])
        .arg(dir.path().join("data"))
        .env_remove("KEYWARD_ROOT_KEY")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no root key"), "{}", String::from_utf8_lossy(&out.stderr));
    // A wrong root key for an existing store is refused at startup.
    let data = dir.path().join("d2");
    drop(start(&data, &[]));
    let out = Command::new(BIN)
        .args(["server", "--http-addr", "127.0.0.1:0", "--https-addr", "off", "--data-dir"])
        .arg(&data)
        .env("KEYWARD_ROOT_KEY", "11".repeat(32))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("root key does not match"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn secret_commands_over_https() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = start(&data, &[]);
    let (ak, sk) = credentials(&data);
    let env = [("ALIBABA_CLOUD_ACCESS_KEY_ID", ak.as_str()), ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", sk.as_str())];
    let ca = server.ca.to_str().unwrap();
    let conn = ["--endpoint", server.https.as_str(), "--ca-file", ca];

    // The value comes from a file, so it never appears in the process arguments.
    let value_file = dir.path().join("value");
    std::fs::write(&value_file, "s3cr3t p@ss\nline 2").unwrap();
    let created = json(
        &[&["secret", "create", "app/db", "--data-file", value_file.to_str().unwrap(), "--output", "json"][..], &conn]
            .concat(),
        &env,
    );
    assert_eq!(created["SecretName"], "app/db");
    assert_eq!(created["VersionId"], "v1");
    // `secret get` prints the bare value for `$(keyward secret get NAME)`.
    let (ok, out, err) = keyward(&[&["secret", "get", "app/db"][..], &conn].concat(), &env);
    assert!(ok, "{err}");
    assert_eq!(out, "s3cr3t p@ss\nline 2\n");

    std::fs::write(&value_file, "rotated").unwrap();
    json(
        &[
            &["secret", "put", "app/db", "--version-id", "v2", "--data-file", value_file.to_str().unwrap()][..],
            &conn,
            &["--output", "json"],
        ]
        .concat(),
        &env,
    );
    let (_, out, _) = keyward(&[&["secret", "get", "app/db"][..], &conn].concat(), &env);
    assert_eq!(out, "rotated\n");
    let (_, out, _) = keyward(&[&["secret", "get", "app/db", "--stage", "ACSPrevious"][..], &conn].concat(), &env);
    assert_eq!(out, "s3cr3t p@ss\nline 2\n");
    let (ok, table, _) = keyward(&[&["secret", "versions", "app/db"][..], &conn].concat(), &env);
    assert!(ok && table.contains("v1") && table.contains("ACSPrevious") && table.contains("ACSCurrent"), "{table}");

    // Binary data round-trips base64-encoded.
    let bin = dir.path().join("bin");
    std::fs::write(&bin, [0u8, 159, 146, 150, 255]).unwrap();
    json(
        &[
            &["secret", "create", "app/bin", "--binary", "--data-file", bin.to_str().unwrap()][..],
            &conn,
            &["--output", "json"],
        ]
        .concat(),
        &env,
    );
    let got = json(&[&["secret", "get", "app/bin", "--output", "json"][..], &conn].concat(), &env);
    assert_eq!(got["SecretDataType"], "binary");
    assert_eq!(got["SecretData"], "AJ+Slv8=");

    let (ok, pw, _) = keyward(&[&["secret", "random-password", "--length", "40"][..], &conn].concat(), &env);
    assert!(ok && pw.trim_end().chars().count() == 40, "{pw}");

    let listed = json(&[&["secret", "list", "--output", "json"][..], &conn].concat(), &env);
    assert_eq!(listed["TotalCount"], 2);
    let deleted = json(&[&["secret", "delete", "app/db", "--days", "7", "--output", "json"][..], &conn].concat(), &env);
    assert!(deleted["PlannedDeleteTime"].as_str().is_some_and(|t| t.ends_with('Z')), "{deleted}");
    let (ok, _, err) = keyward(&[&["secret", "get", "app/db"][..], &conn].concat(), &env);
    assert!(!ok && err.contains("Rejected.ResourceInDeleteWindow"), "{err}");
    keyward(&[&["secret", "restore", "app/db"][..], &conn].concat(), &env);
    let (_, out, _) = keyward(&[&["secret", "get", "app/db"][..], &conn].concat(), &env);
    assert_eq!(out, "rotated\n");
    json(&[&["secret", "delete", "app/db", "--force", "--output", "json"][..], &conn].concat(), &env);
    let (ok, _, err) = keyward(&[&["secret", "get", "app/db"][..], &conn].concat(), &env);
    assert!(!ok && err.contains("Forbidden.ResourceNotFound"), "{err}");
}
