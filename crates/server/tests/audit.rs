//! The audit log through the router (no socket): exactly one event per request for both
//! protocols (successes, errors and authentication failures), no plaintext, secret value or
//! imported material in the files, encryption-context values only as HMACs, rotation that keeps
//! the chain verifiable, recovery from a partial last line, and tamper detection.

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use base64::Engine;
use http_body_util::BodyExt;
use keyward_core::{Kms, KmsConfig};
use keyward_crypto::SecretBytes;
use keyward_crypto::byok::{self, WrappingAlgorithm};
use keyward_crypto::spec::KeySpec;
use keyward_protocol::huawei::signature::{self as hw_sig, format_sdk_date};
use keyward_protocol::signature::{canonical_query, sign_acs3};
use keyward_server::app::{AppState, router};
use keyward_server::audit::{self, Audit, Outcome, Protocol, Record};
use serde_json::{Value, json};
use tower::ServiceExt;

const AK: &str = "LTAIauditadmin";
const SECRET: &str = "audit-secret-0123456789";
const PROJECT: &str = "0123456789abcdef0123456789abcdef";

struct Harness {
    app: Router,
    kms: Arc<Kms>,
    audit: Audit,
    dir: tempfile::TempDir,
}

impl Harness {
    fn audit_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("audit")
    }

    async fn lines(&self) -> Vec<Value> {
        self.audit.flush().await;
        let text = std::fs::read_to_string(self.audit_dir().join(audit::LIVE_FILE)).unwrap();
        text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }
}

async fn harness() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("keyward.db").display());
    let store = keyward_store::open(&url).await.unwrap();
    let root = SecretBytes::new(keyward_crypto::random::bytes(32).unwrap());
    let kms = Arc::new(Kms::open(store, &root, KmsConfig::default()).await.unwrap());
    kms.ensure_bootstrap_access_key(Some((AK.into(), SecretBytes::from_slice(SECRET.as_bytes())))).await.unwrap();
    let audit = Audit::start(&dir.path().join("audit"), audit::DEFAULT_MAX_FILE_BYTES).unwrap();
    let state = AppState::new(kms.clone()).with_huawei_project(Some(PROJECT.into())).with_audit(audit.clone());
    Harness { app: router(Arc::new(state)), kms, audit, dir }
}

fn acs3(action: &str, params: &[(&str, &str)], secret: &str) -> Request<Body> {
    acs3_as(AK, action, params, secret)
}

fn acs3_as(ak: &str, action: &str, params: &[(&str, &str)], secret: &str) -> Request<Body> {
    let query: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let now = keyward_core::clock::system_now_ms() / 1000;
    let headers = vec![
        ("host".to_string(), "127.0.0.1:8080".to_string()),
        ("x-acs-action".to_string(), action.to_string()),
        ("x-acs-version".to_string(), "2016-01-20".to_string()),
        ("x-acs-date".to_string(), keyward_protocol::time::format(now)),
        ("x-acs-signature-nonce".to_string(), keyward_crypto::random::uuid_v4().unwrap()),
    ];
    let signed = sign_acs3("POST", &query, &headers, b"", ak, secret.as_bytes());
    let mut b = Request::builder().method("POST").uri(format!("/?{}", canonical_query(&query)));
    for (k, v) in signed {
        b = b.header(k, v);
    }
    b.header("user-agent", "AlibabaCloud (audit-test)").body(Body::empty()).unwrap()
}

/// Sends one request and checks it added exactly one audit line; returns the answer and the line.
async fn one(h: &Harness, req: Request<Body>) -> (u16, Value, Value) {
    let before = h.lines().await.len();
    let resp = h.app.clone().oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let body: Value = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap() };
    let lines = h.lines().await;
    assert_eq!(lines.len(), before + 1, "exactly one event per request: {body}");
    let line = lines.last().unwrap().clone();
    assert_eq!(line["status"].as_u64(), Some(u64::from(status)), "{line}");
    (status, body, line)
}

async fn ali(h: &Harness, action: &str, params: &[(&str, &str)]) -> (Value, Value) {
    let (status, body, line) = one(h, acs3(action, params, SECRET)).await;
    assert_eq!(status, 200, "{action}: {body}");
    assert_eq!(line["action"], action);
    assert_eq!(line["result"], "OK");
    assert_eq!(line["protocol"], "alibaba");
    assert_eq!(line["principal"], "admin");
    assert_eq!(line["access_key_id"], AK);
    assert_eq!(line["request_id"], body["RequestId"]);
    assert_eq!(line["user_agent"], "AlibabaCloud (audit-test)");
    (body, line)
}

fn huawei_request(op: &str, body: &Value) -> Request<Body> {
    huawei_request_as(AK, SECRET, op, body)
}

fn huawei_request_as(ak: &str, secret: &str, op: &str, body: &Value) -> Request<Body> {
    let body = body.to_string().into_bytes();
    let path = format!("/v1.0/{PROJECT}/kms/{op}");
    let headers = vec![
        ("Content-Type".to_string(), "application/json;charset=utf-8".to_string()),
        ("Host".to_string(), "127.0.0.1:8080".to_string()),
        ("X-Sdk-Date".to_string(), format_sdk_date(keyward_core::clock::system_now_ms() / 1000)),
    ];
    let names = ["content-type", "host", "x-sdk-date"];
    let req = hw_sig::Request { method: "POST", path: &path, query: "", headers: &headers, body: &body };
    let auth = hw_sig::sign(&req, ak, secret.as_bytes(), &names).unwrap();
    let mut b = Request::builder().method("POST").uri(&path);
    for (k, v) in &headers {
        b = b.header(k, v);
    }
    b.header("Authorization", auth).body(Body::from(body)).unwrap()
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn files_contain(dir: &Path, needle: &[u8]) -> bool {
    audit::chain_files(dir)
        .unwrap()
        .iter()
        .any(|f| std::fs::read(f).unwrap().windows(needle.len()).any(|w| w == needle))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_event_per_request_and_nothing_sensitive() {
    let h = harness().await;
    let plaintext = "audit-plaintext-7f3c9b1e";
    let context_value = "tenant-value-55aa01";
    let secret_value = "audit-secret-value-Zq81xY";

    let (k, line) = ali(&h, "CreateKey", &[]).await;
    let key_id = k["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();
    assert!(line["time"].as_str().unwrap().ends_with('Z') && line["time"].as_str().unwrap().len() == 24, "{line}");
    assert_eq!(line["resources"].as_array().unwrap().len(), 1, "the created key: {line}");
    assert!(line["resources"][0].as_str().unwrap().ends_with(&format!(":key/{key_id}")), "{line}");

    let ctx = json!({ "tenant": context_value }).to_string();
    let (enc, line) = ali(
        &h,
        "Encrypt",
        &[("KeyId", &key_id), ("Plaintext", &b64(plaintext.as_bytes())), ("EncryptionContext", &ctx)],
    )
    .await;
    assert!(line["resources"][0].as_str().unwrap().ends_with(&format!(":key/{key_id}")), "{line}");
    let hmac = line["encryption_context"]["EncryptionContext"]["tenant"].as_str().unwrap();
    assert_eq!(hmac.len(), 64, "an HMAC-SHA256 in hex: {line}");
    let blob = enc["CiphertextBlob"].as_str().unwrap().to_string();
    let (_, line) = ali(&h, "Decrypt", &[("CiphertextBlob", &blob), ("EncryptionContext", &ctx)]).await;
    assert_eq!(line["encryption_context"]["EncryptionContext"]["tenant"].as_str(), Some(hmac), "same value, same HMAC");
    let version = enc["KeyVersionId"].as_str().unwrap();
    let resources: Vec<&str> = line["resources"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    assert_eq!(resources.len(), 2, "the key and version a ciphertext resolves to: {line}");
    assert!(resources[0].ends_with(&format!(":key/{key_id}")), "{line}");
    assert!(resources[1].ends_with(&format!(":key/{key_id}/keyversion/{version}")), "{line}");
    ali(&h, "GenerateDataKey", &[("KeyId", &key_id)]).await;
    ali(&h, "CreateAlias", &[("KeyId", &key_id), ("AliasName", "alias/audited")]).await;
    let (_, line) = ali(&h, "DescribeKey", &[("KeyId", "alias/audited")]).await;
    assert!(line["resources"][0].as_str().unwrap().ends_with(":alias/audited"), "{line}");
    assert!(line["resources"][1].as_str().unwrap().ends_with(&format!(":key/{key_id}")), "resolved: {line}");

    // Secrets.
    let (_, line) =
        ali(&h, "CreateSecret", &[("SecretName", "db/audit"), ("SecretData", secret_value), ("VersionId", "v1")]).await;
    assert!(line["resources"][0].as_str().unwrap().ends_with(":secret/db/audit"), "{line}");
    let (v, _) = ali(&h, "GetSecretValue", &[("SecretName", "db/audit")]).await;
    assert_eq!(v["SecretData"], secret_value);

    // BYOK: imported material.
    let (ext, _) = ali(&h, "CreateKey", &[("Origin", "EXTERNAL")]).await;
    let ext_id = ext["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();
    let (p, _) = ali(
        &h,
        "GetParametersForImport",
        &[("KeyId", &ext_id), ("WrappingKeySpec", "RSA_2048"), ("WrappingAlgorithm", "RSAES_OAEP_SHA_256")],
    )
    .await;
    let public = base64::engine::general_purpose::STANDARD.decode(p["PublicKey"].as_str().unwrap()).unwrap();
    let material = keyward_crypto::random::bytes(32).unwrap();
    let wrapped = byok::wrap_material(&public, WrappingAlgorithm::RsaesOaepSha256, &material, KeySpec::Aes256).unwrap();
    let token = p["ImportToken"].as_str().unwrap().to_string();
    ali(
        &h,
        "ImportKeyMaterial",
        &[
            ("KeyId", &ext_id),
            ("EncryptedKeyMaterial", &b64(&wrapped)),
            ("ImportToken", &token),
            ("KeyMaterialExpireUnix", "0"),
        ],
    )
    .await;

    // An error: unknown key.
    let (status, _, line) = one(&h, acs3("DescribeKey", &[("KeyId", "key-doesnotexist0000000")], SECRET)).await;
    assert_eq!((status, line["result"].as_str()), (404, Some("Forbidden.KeyNotFound")), "{line}");
    assert_eq!(line["principal"], "admin");
    // An unknown action.
    let (status, _, line) = one(&h, acs3("NoSuchAction", &[], SECRET)).await;
    assert_eq!(
        (status, line["action"].as_str(), line["result"].as_str()),
        (404, Some("NoSuchAction"), Some("InvalidAction.NotFound"))
    );
    // An authentication failure: no principal.
    let (status, _, line) =
        one(&h, acs3("Encrypt", &[("KeyId", &key_id), ("Plaintext", "aGk=")], "wrong-secret")).await;
    assert_eq!(status, 400, "{line}");
    assert_eq!(line["action"], "Encrypt");
    assert!(line.get("principal").is_none() && line.get("access_key_id").is_none(), "{line}");
    assert!(line["result"].as_str().unwrap().contains("Signature"), "{line}");
    assert_eq!(line["claimed_access_key_id"], AK, "{line}");

    // One Huawei request, and one Huawei error.
    let (status, body, line) = one(&h, huawei_request("describe-key", &json!({ "key_id": key_id }))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((line["protocol"].as_str(), line["result"].as_str()), (Some("huawei"), Some("OK")));
    assert_eq!(line["action"], "POST describe-key");
    assert!(line["resources"][0].as_str().unwrap().ends_with(&format!(":key/{key_id}")), "{line}");
    let (status, _, line) = one(
        &h,
        huawei_request(
            "encrypt-data",
            &json!({ "key_id": key_id, "plain_text": plaintext, "encryption_context": {"tenant": context_value} }),
        ),
    )
    .await;
    assert_eq!((status, line["result"].as_str()), (200, Some("OK")), "{line}");
    assert_eq!(line["encryption_context"]["encryption_context"]["tenant"].as_str().map(str::len), Some(64));

    // Nothing sensitive reached the files; the chain verifies.
    h.audit.flush().await;
    let dir = h.audit_dir();
    for needle in [
        plaintext.as_bytes(),
        b64(plaintext.as_bytes()).as_bytes(),
        context_value.as_bytes(),
        secret_value.as_bytes(),
        SECRET.as_bytes(),
        token.as_bytes(),
        blob.as_bytes(),
    ] {
        assert!(!files_contain(&dir, needle), "{} leaked into the audit log", String::from_utf8_lossy(needle));
    }
    for needle in
        [material.clone(), hex::encode(&material).into_bytes(), b64(&material).into_bytes(), b64(&wrapped).into_bytes()]
    {
        assert!(!files_contain(&dir, &needle), "imported material leaked into the audit log");
    }
    let v = audit::verify_dir(&dir).unwrap();
    assert_eq!(v.lines, h.audit.written());
    assert_eq!(h.audit.lost(), 0);
}

fn record(i: usize) -> Record {
    Record { action: format!("Encrypt{i}"), resources: vec![format!("acs:kms:r:a:key/k{i}")], ..Record::default() }
}

async fn emit(a: &Audit, i: usize) {
    let rid = format!("req-{i}");
    let outcome = Outcome {
        request_id: &rid,
        protocol: Protocol::Alibaba,
        code: "OK",
        status: 200,
        source: None,
        user_agent: None,
    };
    a.emit(&record(i), &outcome).await;
}

#[tokio::test]
async fn rotation_keeps_the_chain_and_tampering_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let adir = dir.path().join("audit");
    let a = Audit::start(&adir, 4096).unwrap();
    for i in 0..200 {
        emit(&a, i).await;
    }
    a.flush().await;
    let files = audit::chain_files(&adir).unwrap();
    assert!(files.len() > 3, "rotated: {files:?}");
    for f in &files {
        assert!(std::fs::metadata(f).unwrap().len() <= 4096, "{f:?}");
    }
    assert_eq!(audit::verify_dir(&adir).unwrap(), audit::Verified { files: files.len(), lines: 200 });
    // The first line of a rotated-to file chains to the previous file's last line.
    let second = std::fs::read_to_string(&files[1]).unwrap();
    let first_text = std::fs::read_to_string(&files[0]).unwrap();
    let last_of_first = first_text.lines().last().unwrap();
    let head: Value = serde_json::from_str(second.lines().next().unwrap()).unwrap();
    assert_eq!(head["prev"].as_str().unwrap(), audit::sha256_hex(last_of_first.as_bytes()));

    // A restarted writer continues the chain, after cutting a partial last line.
    drop(a);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let live = adir.join(audit::LIVE_FILE);
    let mut f = std::fs::OpenOptions::new().append(true).open(&live).unwrap();
    std::io::Write::write_all(&mut f, b"{\"prev\":\"partial").unwrap();
    drop(f);
    assert!(audit::verify_dir(&adir).unwrap_err().reason.contains("incomplete"));
    let a = Audit::start(&adir, 4096).unwrap();
    for i in 200..210 {
        emit(&a, i).await;
    }
    a.flush().await;
    let v = audit::verify_dir(&adir).unwrap();
    assert_eq!(v.lines, 210);

    // One changed byte in the middle of a rotated file: verify names that line.
    let target = &files[1];
    let text = std::fs::read_to_string(target).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mid = lines.len() / 2;
    let changed = lines[mid].replacen("Encrypt", "Encrypu", 1);
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    out[mid] = changed;
    std::fs::write(target, out.join("\n") + "\n").unwrap();
    let broken = audit::verify_dir(&adir).unwrap_err();
    assert_eq!((&broken.file, broken.line), (target, mid as u64 + 1), "{broken}");
}

#[tokio::test]
async fn denied_requests_and_huawei_authentication_failures_are_audited() {
    let h = harness().await;
    let (_, created, _) = one(&h, acs3("CreateKey", &[], SECRET)).await;
    let key_id = created["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();
    h.kms.create_principal("app", "").await.unwrap();
    let (app_ak, app_secret) = h.kms.create_access_key("app", None).await.unwrap();
    let app_secret = String::from_utf8(app_secret.expose().to_vec()).unwrap();

    // A principal without policies: the Alibaba and the Huawei request are both denied and audited.
    let (status, body, line) =
        one(&h, acs3_as(&app_ak, "Encrypt", &[("KeyId", &key_id), ("Plaintext", "aGk=")], &app_secret)).await;
    assert_eq!((status, body["Code"].as_str()), (403, Some("Forbidden.NoPermission")), "{body}");
    assert!(body["Message"].as_str().unwrap().contains("kms:Encrypt"), "{body}");
    assert_eq!((line["result"].as_str(), line["principal"].as_str()), (Some("Forbidden.NoPermission"), Some("app")));
    assert_eq!(line["access_key_id"].as_str(), Some(app_ak.as_str()));
    assert!(line["resources"][0].as_str().unwrap().ends_with(&format!(":key/{key_id}")), "{line}");
    let (status, body, line) = one(
        &h,
        huawei_request_as(&app_ak, &app_secret, "encrypt-data", &json!({ "key_id": key_id, "plain_text": "hi" })),
    )
    .await;
    assert_eq!((status, body["error"]["error_code"].as_str()), (403, Some("KMS.0306")), "{body}");
    assert_eq!((line["result"].as_str(), line["principal"].as_str()), (Some("KMS.0306"), Some("app")), "{line}");

    // A Huawei request with a wrong signature names the AccessKey it claimed, and no principal.
    let (status, _, line) =
        one(&h, huawei_request_as(AK, "wrong-secret", "describe-key", &json!({ "key_id": key_id }))).await;
    assert_eq!(status, 401, "{line}");
    assert!(line.get("principal").is_none(), "{line}");
    assert_eq!(line["claimed_access_key_id"], AK, "{line}");
    assert!(!files_contain(&h.audit_dir(), app_secret.as_bytes()), "AccessKey secrets never reach the log");
    audit::verify_dir(&h.audit_dir()).unwrap();
}
