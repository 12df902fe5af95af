//! The Huawei API v1.0 through the router (no socket), signed with
//! `keyward_protocol::huawei::signature::sign` as the SDK signs: authentication and project
//! checks, every handler's shape and main errors, and keys shared with the Alibaba protocol.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use keyward_core::{Kms, KmsConfig};
use keyward_crypto::SecretBytes;
use keyward_protocol::huawei::signature::{self, format_sdk_date};
use keyward_server::app::{AppState, router};
use serde_json::{Value, json};
use tower::ServiceExt;

const AK: &str = "HWtestadmin";
const SK: &str = "hw-secret-0123456789";
const PROJECT: &str = "0123456789abcdef0123456789abcdef";

struct Harness {
    app: Router,
    kms: Arc<Kms>,
    _dir: tempfile::TempDir,
}

async fn harness() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("keyward.db").display());
    let store = keyward_store::open(&url).await.unwrap();
    let root = SecretBytes::new(keyward_crypto::random::bytes(32).unwrap());
    let kms = Arc::new(Kms::open(store, &root, KmsConfig::default()).await.unwrap());
    kms.ensure_bootstrap_access_key(Some((AK.into(), SecretBytes::from_slice(SK.as_bytes())))).await.unwrap();
    let state = AppState::new(kms.clone()).with_huawei_project(Some(PROJECT.into()));
    Harness { app: router(Arc::new(state)), kms, _dir: dir }
}

fn now() -> i64 {
    keyward_core::clock::system_now_ms() / 1000
}

/// A request signed like the Python SDK: content-type, host, x-project-id, x-sdk-date.
struct Call {
    method: &'static str,
    path: String,
    body: Vec<u8>,
    date: i64,
    secret: String,
    access_key: String,
    project_header: Option<String>,
}

impl Call {
    fn new(method: &'static str, path: &str, body: Option<Value>) -> Self {
        Self {
            method,
            path: path.to_string(),
            body: body.map(|b| b.to_string().into_bytes()).unwrap_or_default(),
            date: now(),
            secret: SK.into(),
            access_key: AK.into(),
            project_header: Some(PROJECT.into()),
        }
    }

    fn post(op: &str, body: Value) -> Self {
        Self::new("POST", &format!("/v1.0/{PROJECT}/kms/{op}"), Some(body))
    }

    fn request(&self) -> Request<Body> {
        let ct = if self.method == "POST" { "application/json;charset=utf-8" } else { "application/json" };
        let mut headers = vec![
            ("Content-Type".to_string(), ct.to_string()),
            ("Host".to_string(), "127.0.0.1:8080".to_string()),
            ("X-Sdk-Date".to_string(), format_sdk_date(self.date)),
        ];
        if let Some(p) = &self.project_header {
            headers.push(("X-Project-Id".to_string(), p.clone()));
        }
        let (path, query) = self.path.split_once('?').unwrap_or((&self.path, ""));
        let names: Vec<String> = headers.iter().map(|(k, _)| k.to_ascii_lowercase()).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let req = signature::Request { method: self.method, path, query, headers: &headers, body: &self.body };
        let auth = signature::sign(&req, &self.access_key, self.secret.as_bytes(), &names).unwrap();
        let mut b = Request::builder().method(self.method).uri(&self.path);
        for (k, v) in &headers {
            b = b.header(k, v);
        }
        b.header("Authorization", auth)
            .header("User-Agent", "huaweicloud-usdk-python/3.0")
            .body(Body::from(self.body.clone()))
            .unwrap()
    }
}

struct Answer {
    status: StatusCode,
    body: Value,
    request_id: Option<String>,
}

async fn send(h: &Harness, req: Request<Body>) -> Answer {
    let resp = h.app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let request_id = resp.headers().get("x-request-id").map(|v| v.to_str().unwrap().to_string());
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap() };
    Answer { status, body, request_id }
}

async fn call(h: &Harness, c: Call) -> Answer {
    let a = send(h, c.request()).await;
    assert!(a.request_id.as_deref().is_some_and(|r| r.len() == 32), "X-Request-Id on every answer");
    a
}

async fn ok(h: &Harness, op: &str, body: Value) -> Value {
    let a = call(h, Call::post(op, body.clone())).await;
    assert_eq!(a.status, StatusCode::OK, "{op} {body}: {}", a.body);
    a.body
}

/// Expects a KMS error and returns its message.
async fn kms_err(h: &Harness, c: Call, status: u16, code: &str) -> String {
    let what = format!("{} {}", c.method, c.path);
    let a = call(h, c).await;
    assert_eq!((a.status.as_u16(), a.body["error"]["error_code"].as_str()), (status, Some(code)), "{what}: {}", a.body);
    a.body["error"]["error_msg"].as_str().unwrap().to_string()
}

async fn post_err(h: &Harness, op: &str, body: Value, code: &str) -> String {
    kms_err(h, Call::post(op, body), 400, code).await
}

async fn create(h: &Harness, alias: &str, spec: &str) -> String {
    let b = ok(h, "create-key", json!({"key_alias": alias, "key_spec": spec})).await;
    b["key_info"]["key_id"].as_str().unwrap().to_string()
}

async fn describe(h: &Harness, id: &str) -> Value {
    ok(h, "describe-key", json!({ "key_id": id })).await["key_info"].clone()
}

#[tokio::test]
async fn version_discovery_needs_no_signature_and_does_not_shadow_alibaba() {
    let h = harness().await;
    let a = send(&h, Request::get("/").body(Body::empty()).unwrap()).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["versions"][0]["id"], "v1.0");
    assert_eq!(a.body["versions"][0]["status"], "CURRENT");
    for path in ["/v1.0", "/v1.0/"] {
        let a = send(&h, Request::get(path).body(Body::empty()).unwrap()).await;
        assert_eq!((a.status, &a.body["version"]["id"]), (StatusCode::OK, &json!("v1.0")));
    }
    // An Alibaba request at `/` is still Alibaba's.
    let a = send(&h, Request::get("/?Action=DescribeRegions").body(Body::empty()).unwrap()).await;
    assert_eq!(a.body["Code"], "MissingSignature");
}

#[tokio::test]
async fn authentication_failures_are_flat_401s() {
    let h = harness().await;
    let body = json!({"key_alias": "a"});
    let flat = |a: &Answer| {
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{}", a.body);
        assert_eq!(a.body["error_code"], "APIGW.0301");
        assert_eq!(a.body["request_id"].as_str(), a.request_id.as_deref());
        assert!(a.body.get("error").is_none());
    };
    let mut wrong_sk = Call::post("create-key", body.clone());
    wrong_sk.secret = "nope".into();
    flat(&call(&h, wrong_sk).await);
    let mut unknown_ak = Call::post("create-key", body.clone());
    unknown_ak.access_key = "HWnobody".into();
    flat(&call(&h, unknown_ak).await);
    let mut stale = Call::post("create-key", body.clone());
    stale.date = now() - 16 * 60;
    flat(&call(&h, stale).await);
    let mut future = Call::post("create-key", body.clone());
    future.date = now() + 16 * 60;
    flat(&call(&h, future).await);
    // Unsigned, another algorithm, a tampered body.
    let unsigned = Request::post(format!("/v1.0/{PROJECT}/kms/create-key")).body(Body::from(body.to_string())).unwrap();
    flat(&send(&h, unsigned).await);
    let mut req = Call::post("create-key", body.clone()).request();
    req.headers_mut()
        .insert("authorization", "SDK-HMAC-SM3 Access=x, SignedHeaders=host, Signature=00".parse().unwrap());
    flat(&send(&h, req).await);
    let (parts, _) = Call::post("create-key", body.clone()).request().into_parts();
    flat(&send(&h, Request::from_parts(parts, Body::from(r#"{"key_alias":"b"}"#))).await);
    // A disabled AccessKey.
    h.kms.set_access_key_enabled(AK, false).await.unwrap();
    flat(&call(&h, Call::post("create-key", body)).await);
}

#[tokio::test]
async fn project_checks() {
    let h = harness().await;
    let literal = Call::new("POST", "/v1.0/%7Bproject_id%7D/kms/describe-key", Some(json!({})));
    let msg = kms_err(&h, literal, 400, "KMS.0201").await;
    assert!(msg.contains("project"), "{msg}");
    let other = "fedcba9876543210fedcba9876543210";
    let mut c = Call::new("POST", &format!("/v1.0/{other}/kms/list-keys"), Some(json!({})));
    c.project_header = Some(other.into());
    kms_err(&h, c, 403, "KMS.0321").await;
    let mut c = Call::post("list-keys", json!({}));
    c.project_header = Some(other.into());
    kms_err(&h, c, 403, "KMS.0321").await;
    // Unknown operations and wrong methods.
    post_err(&h, "no-such-op", json!({}), "KMS.0201").await;
    kms_err(&h, Call::new("GET", &format!("/v1.0/{PROJECT}/kms/create-key"), None), 405, "KMS.0215").await;
    kms_err(&h, Call::new("PUT", &format!("/v1.0/{PROJECT}/kms/tags"), None), 405, "KMS.0215").await;
}

#[tokio::test]
async fn the_stored_project_id_is_generated_once() {
    let h = harness().await;
    let a = keyward_server::huawei::project::resolve_project_id(&h.kms, None).await.unwrap();
    assert!(keyward_server::huawei::project::is_project_id(&a));
    assert_eq!(keyward_server::huawei::project::resolve_project_id(&h.kms, None).await.unwrap(), a);
    assert_eq!(keyward_server::huawei::project::resolve_project_id(&h.kms, Some(PROJECT)).await.unwrap(), PROJECT);
}

#[tokio::test]
async fn bodies_are_checked() {
    let h = harness().await;
    let mut bad_json = Call::post("describe-key", json!({}));
    bad_json.body = b"{not json".to_vec();
    kms_err(&h, bad_json, 400, "KMS.0202").await;
    let mut too_long = Call::post("describe-key", json!({}));
    too_long.body = vec![b' '; 300 * 1024];
    kms_err(&h, too_long, 400, "KMS.0203").await;
    post_err(&h, "describe-key", json!({}), "KMS.0204").await;
    post_err(&h, "describe-key", json!({"key_id": "not-a-key"}), "KMS.0205").await;
    post_err(
        &h,
        "describe-key",
        json!({"key_id": "0d0466b0-e727-4d9c-b35d-f84bb474a37f", "sequence": "x"}),
        "KMS.0206",
    )
    .await;
    kms_err(&h, Call::post("describe-key", json!({"key_id": "0d0466b0-e727-4d9c-b35d-f84bb474a37f"})), 404, "KMS.0207")
        .await;
}

#[tokio::test]
async fn create_and_describe() {
    let h = harness().await;
    let b = ok(&h, "create-key", json!({"key_alias": "app/main", "key_description": "d"})).await;
    let info = &b["key_info"];
    let id = info["key_id"].as_str().unwrap();
    assert_eq!(info["region_id"], "cn-hangzhou");
    let d = describe(&h, id).await;
    assert_eq!(d["domain_id"], info["domain_id"]);
    assert_eq!(d["domain_id"].as_str().unwrap().len(), 32);
    for (field, want) in [
        ("key_alias", "app/main"),
        ("key_spec", "AES_256"),
        ("key_usage", "ENCRYPT_DECRYPT"),
        ("key_state", "2"),
        ("origin", "kms"),
        ("key_description", "d"),
        ("realm", "cn-hangzhou"),
        ("scheduled_deletion_date", ""),
        ("expiration_time", ""),
        ("default_key_flag", "0"),
        ("key_rotation_enabled", "false"),
    ] {
        assert_eq!(d[field], want, "{field}");
    }
    let created: i64 = d["creation_date"].as_str().unwrap().parse().unwrap();
    assert!((created - now() * 1000).abs() < 60_000, "creation_date is in ms");
    // Every field is a string.
    assert!(d.as_object().unwrap().values().all(Value::is_string), "{d}");
    // The alias is a key reference for both protocols.
    assert_eq!(describe(&h, "alias/app/main").await["key_id"], id);
    assert_eq!(h.kms.resolve_key("alias/app/main").await.unwrap(), id);

    post_err(&h, "create-key", json!({"key_alias": "app/main"}), "KMS.1104").await;
    post_err(&h, "create-key", json!({}), "KMS.0204").await;
    for bad in ["a b", "x/default", "é"] {
        post_err(&h, "create-key", json!({"key_alias": bad}), "KMS.1101").await;
    }
    post_err(&h, "create-key", json!({"key_alias": "s", "key_spec": "AES_512"}), "KMS.0308").await;
    post_err(
        &h,
        "create-key",
        json!({"key_alias": "s", "key_spec": "EC_P256", "key_usage": "ENCRYPT_DECRYPT"}),
        "KMS.0308",
    )
    .await;
    post_err(&h, "create-key", json!({"key_alias": "s", "key_description": "x".repeat(256)}), "KMS.1103").await;
    post_err(&h, "create-key", json!({"key_alias": "s", "origin": "cloud"}), "KMS.0308").await;

    let ext = ok(&h, "create-key", json!({"key_alias": "ext", "origin": "external"})).await;
    let ext = describe(&h, ext["key_info"]["key_id"].as_str().unwrap()).await;
    assert_eq!((ext["origin"].as_str(), ext["key_state"].as_str()), (Some("external"), Some("5")));
    for (spec, usage) in
        [("RSA_2048", "SIGN_VERIFY"), ("SM2", "SIGN_VERIFY"), ("SECP256K1", "SIGN_VERIFY"), ("SM4", "ENCRYPT_DECRYPT")]
    {
        let id = create(&h, &format!("k-{spec}"), spec).await;
        let d = describe(&h, &id).await;
        assert_eq!((d["key_spec"].as_str(), d["key_usage"].as_str()), (Some(spec), Some(usage)));
    }
    let rsa =
        ok(&h, "create-key", json!({"key_alias": "rsa-enc", "key_spec": "RSA_3072", "key_usage": "ENCRYPT_DECRYPT"}))
            .await;
    let rsa = describe(&h, rsa["key_info"]["key_id"].as_str().unwrap()).await;
    assert_eq!(rsa["key_usage"], "ENCRYPT_DECRYPT");
}

#[tokio::test]
async fn tags() {
    let h = harness().await;
    let id = create(&h, "tagged", "AES_256").await;
    let tags_path = format!("/v1.0/{PROJECT}/kms/{id}/tags");
    let a = call(&h, Call::new("POST", &tags_path, Some(json!({"tag": {"key": "env", "value": "prod"}})))).await;
    assert_eq!((a.status, &a.body), (StatusCode::NO_CONTENT, &Value::Null));
    let batch = json!({"action": "create", "tags": [{"key": "a b/c", "value": "1"}, {"key": "team", "value": "x"}]});
    let a = call(&h, Call::new("POST", &format!("{tags_path}/action"), Some(batch))).await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    let a = call(&h, Call::new("GET", &tags_path, None)).await;
    assert_eq!(a.body["existTagsNum"], 3);
    assert_eq!(a.body["tags"].as_array().unwrap().len(), 3);
    // The tag key is percent-encoded in the path, `/` included.
    let a = call(&h, Call::new("DELETE", &format!("{tags_path}/a%20b%2Fc"), None)).await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    let other = create(&h, "tagged2", "AES_256").await;
    let a = call(
        &h,
        Call::new(
            "POST",
            &format!("/v1.0/{PROJECT}/kms/{other}/tags"),
            Some(json!({"tag": {"key": "env", "value": "dev"}})),
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    let a = call(&h, Call::new("GET", &format!("/v1.0/{PROJECT}/kms/tags"), None)).await;
    assert_eq!(a.body["tags"], json!([{"key": "env", "values": ["dev", "prod"]}, {"key": "team", "values": ["x"]}]));
    let del = json!({"action": "delete", "tags": [{"key": "team", "value": ""}]});
    assert_eq!(
        call(&h, Call::new("POST", &format!("{tags_path}/action"), Some(del))).await.status,
        StatusCode::NO_CONTENT
    );
    let a = call(&h, Call::new("GET", &tags_path, None)).await;
    assert_eq!(a.body, json!({"tags": [{"key": "env", "value": "prod"}], "existTagsNum": 1}));
    // The Alibaba API sees the same tags.
    let (_, alibaba) = h.kms.list_key_tags(&admin(), &id).await.unwrap();
    assert_eq!(alibaba.len(), 1);
    // Limits and errors.
    let many: Vec<Value> = (0..21).map(|i| json!({"key": format!("k{i}"), "value": "v"})).collect();
    let c = Call::new("POST", &format!("{tags_path}/action"), Some(json!({"action": "create", "tags": many})));
    kms_err(&h, c, 400, "KMS.0409").await;
    let almost: Vec<Value> = (0..19).map(|i| json!({"key": format!("k{i}"), "value": "v"})).collect();
    let c = Call::new("POST", &format!("{tags_path}/action"), Some(json!({"action": "create", "tags": almost})));
    assert_eq!(call(&h, c).await.status, StatusCode::NO_CONTENT);
    let c = Call::new("POST", &tags_path, Some(json!({"tag": {"key": "one-more", "value": "v"}})));
    kms_err(&h, c, 400, "KMS.0409").await;
    for bad in [
        json!({"key": "", "value": "v"}),
        json!({"key": "a=b", "value": "v"}),
        json!({"key": "k".repeat(37), "value": ""}),
    ] {
        kms_err(&h, Call::new("POST", &tags_path, Some(json!({ "tag": bad }))), 400, "KMS.0401").await;
    }
    let c = Call::new("POST", &format!("{tags_path}/action"), Some(json!({"action": "merge", "tags": []})));
    kms_err(&h, c, 400, "KMS.0308").await;
    let c = Call::new("GET", &format!("/v1.0/{PROJECT}/kms/0d0466b0-e727-4d9c-b35d-f84bb474a37f/tags"), None);
    kms_err(&h, c, 404, "KMS.0207").await;
    kms_err(&h, Call::new("GET", &format!("/v1.0/{PROJECT}/kms/bad-id/tags"), None), 400, "KMS.0205").await;
}

fn admin() -> keyward_core::Caller {
    keyward_core::Caller { principal: "admin".into(), access_key_id: AK.into() }
}
