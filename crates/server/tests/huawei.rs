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
    // The SDK's show_versions is a signed GET / (the signature is not checked).
    let a = send(&h, Call::new("GET", "/", None).request()).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["versions"][0]["id"], "v1.0");
    assert_eq!(a.body["versions"][0]["status"], "CURRENT");
    for path in ["/v1.0", "/v1.0/"] {
        let a = send(&h, Request::get(path).body(Body::empty()).unwrap()).await;
        assert_eq!((a.status, &a.body["version"]["id"]), (StatusCode::OK, &json!("v1.0")));
    }
    // Alibaba requests at `/`, and an unmarked GET /, are still Alibaba's.
    for uri in ["/?Action=DescribeRegions", "/"] {
        let a = send(&h, Request::get(uri).body(Body::empty()).unwrap()).await;
        assert_eq!(a.body["Code"], "MissingSignature", "{uri}");
    }
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
    // External RSA/EC keys are ordinary (default store) keys here.
    let ext = ok(&h, "create-key", json!({"key_alias": "ext-rsa", "key_spec": "RSA_2048", "origin": "external"})).await;
    let ext = describe(&h, ext["key_info"]["key_id"].as_str().unwrap()).await;
    assert_eq!((ext["key_usage"].as_str(), ext["key_state"].as_str()), (Some("SIGN_VERIFY"), Some("5")));
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
    // Query by tags.
    let query = |body: Value| Call::new("POST", &format!("/v1.0/{PROJECT}/kms/resource_instances/action"), Some(body));
    let a = call(&h, query(json!({"action": "filter", "tags": [{"key": "env", "values": ["prod", "qa"]}]}))).await;
    assert_eq!((a.status, &a.body["total_count"]), (StatusCode::OK, &json!(1)));
    let r = &a.body["resources"][0];
    assert_eq!(
        (&r["resource_id"], &r["resource_name"], &r["resource_detail"]["key_alias"]),
        (&json!(id), &json!("tagged"), &json!("tagged"))
    );
    assert_eq!(r["tags"], json!([{"key": "env", "value": "prod"}]));
    let a = call(&h, query(json!({"action": "count", "tags": [{"key": "env", "values": []}]}))).await;
    assert_eq!(a.body, json!({"total_count": 2}));
    let a =
        call(&h, query(json!({"action": "filter", "matches": [{"key": "resource_name", "value": "tagged2"}]}))).await;
    assert_eq!((&a.body["total_count"], &a.body["resources"][0]["resource_id"]), (&json!(1), &json!(other)));
    let a = call(&h, query(json!({"action": "filter", "limit": "1", "offset": "1", "tags": [{"key": "env"}]}))).await;
    assert_eq!((a.body["total_count"].as_i64(), a.body["resources"].as_array().map(Vec::len)), (Some(2), Some(1)));
    kms_err(&h, query(json!({"action": "sum"})), 400, "KMS.0308").await;
    kms_err(&h, query(json!({"action": "filter", "limit": 0})), 400, "KMS.1601").await;
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
    keyward_core::Caller::new("admin", AK)
}

#[tokio::test]
async fn list_keys_pages_and_filters() {
    let h = harness().await;
    let mut aes = Vec::new();
    for i in 0..5 {
        aes.push(create(&h, &format!("l{i}"), "AES_256").await);
    }
    let ec = create(&h, "l-ec", "EC_P256").await;
    let b = ok(&h, "list-keys", json!({})).await;
    assert_eq!(
        (b["total"].as_i64(), b["truncated"].as_str(), b["next_marker"].as_str()),
        (Some(5), Some("false"), Some(""))
    );
    // Creation order (keys made in the same second by id): the pages follow the full list.
    let order: Vec<String> = b["keys"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    let mut sorted = order.clone();
    sorted.sort();
    let mut want = aes.clone();
    want.sort();
    assert_eq!(sorted, want);
    let first = &b["key_details"][0];
    assert_eq!((&first["key_id"], first["key_alias"].as_str().unwrap().starts_with('l')), (&json!(order[0]), true));
    let aes = order;
    let p1 = ok(&h, "list-keys", json!({"limit": "2"})).await;
    assert_eq!(
        (&p1["keys"], p1["truncated"].as_str(), p1["next_marker"].as_str()),
        (&json!(aes[..2]), Some("true"), Some("2"))
    );
    let p3 = ok(&h, "list-keys", json!({"limit": 2, "marker": "4"})).await;
    assert_eq!(
        (&p3["keys"], p3["truncated"].as_str(), p3["total"].as_i64()),
        (&json!(aes[4..]), Some("false"), Some(5))
    );
    let all = ok(&h, "list-keys", json!({"key_spec": "ALL"})).await;
    assert_eq!(all["total"], 6);
    let only_ec = ok(&h, "list-keys", json!({"key_spec": "EC_P256"})).await;
    assert_eq!(only_ec["keys"], json!([ec]));
    ok(&h, "disable-key", json!({"key_id": aes[1]})).await;
    let disabled = ok(&h, "list-keys", json!({"key_spec": "ALL", "key_state": "3"})).await;
    assert_eq!(disabled["keys"], json!([aes[1]]));
    assert_eq!(ok(&h, "list-keys", json!({"key_state": "1"})).await["total"], 0);
    post_err(&h, "list-keys", json!({"limit": "0"}), "KMS.1601").await;
    post_err(&h, "list-keys", json!({"limit": "2001"}), "KMS.1601").await;
    post_err(&h, "list-keys", json!({"limit": "ten"}), "KMS.1601").await;
    post_err(&h, "list-keys", json!({"marker": "-1"}), "KMS.1602").await;
    post_err(&h, "list-keys", json!({"key_state": "9"}), "KMS.0308").await;
}

#[tokio::test]
async fn lifecycle() {
    let h = harness().await;
    let id = create(&h, "life", "AES_256").await;
    post_err(&h, "enable-key", json!({"key_id": id}), "KMS.1201").await;
    let b = ok(&h, "disable-key", json!({"key_id": id})).await;
    assert_eq!(b, json!({"key_info": {"key_id": id, "key_state": "3"}}));
    post_err(&h, "disable-key", json!({"key_id": id}), "KMS.1301").await;
    let b = ok(&h, "enable-key", json!({"key_id": id})).await;
    assert_eq!(b, json!({"key_info": {"key_id": id, "key_state": "2"}}));

    for bad in [json!("6"), json!(1097), json!("x")] {
        post_err(&h, "schedule-key-deletion", json!({"key_id": id, "pending_days": bad}), "KMS.1401").await;
    }
    post_err(&h, "cancel-key-deletion", json!({"key_id": id}), "KMS.1501").await;
    // 1096 days: beyond the Alibaba window, allowed here.
    let b = ok(&h, "schedule-key-deletion", json!({"key_id": id, "pending_days": "1096"})).await;
    assert_eq!(b, json!({"key_id": id, "key_state": "4"}));
    let d = describe(&h, &id).await;
    let due: i64 = d["scheduled_deletion_date"].as_str().unwrap().parse().unwrap();
    assert!((due - (now() + 1096 * 86_400) * 1000).abs() < 60_000);
    post_err(&h, "schedule-key-deletion", json!({"key_id": id, "pending_days": 7}), "KMS.1402").await;
    post_err(&h, "enable-key", json!({"key_id": id}), "KMS.0210").await;
    post_err(&h, "update-key-description", json!({"key_id": id, "key_description": "x"}), "KMS.0210").await;
    post_err(&h, "update-key-alias", json!({"key_id": id, "key_alias": "x"}), "KMS.0210").await;
    post_err(&h, "encrypt-data", json!({"key_id": id, "plain_text": "x"}), "KMS.0210").await;
    let b = ok(&h, "cancel-key-deletion", json!({"key_id": id})).await;
    assert_eq!(b, json!({"key_id": id, "key_state": "3"}));
    assert_eq!(describe(&h, &id).await["scheduled_deletion_date"], "");
    // The Alibaba window is unchanged.
    let e = h.kms.schedule_key_deletion(&admin(), &id, 400).await.unwrap_err();
    assert!(matches!(e, keyward_core::Error::InvalidParameter { name: "PendingWindowInDays", .. }));

    let b = ok(&h, "update-key-description", json!({"key_id": id, "key_description": "new"})).await;
    assert_eq!(b, json!({"key_info": {"key_id": id, "key_description": "new"}}));
    post_err(&h, "update-key-description", json!({"key_id": id, "key_description": "x".repeat(256)}), "KMS.1103").await;
    post_err(&h, "update-key-description", json!({"key_id": id}), "KMS.0204").await;

    let b = ok(&h, "update-key-alias", json!({"key_id": id, "key_alias": "renamed"})).await;
    assert_eq!(b, json!({"key_info": {"key_id": id, "key_alias": "renamed"}}));
    assert_eq!(describe(&h, &id).await["key_alias"], "renamed");
    assert!(h.kms.resolve_key("alias/life").await.is_err(), "the old alias is gone");
    ok(&h, "update-key-alias", json!({"key_id": id, "key_alias": "renamed"})).await;
    create(&h, "taken", "AES_256").await;
    post_err(&h, "update-key-alias", json!({"key_id": id, "key_alias": "taken"}), "KMS.1104").await;
    post_err(&h, "update-key-alias", json!({"key_id": id, "key_alias": "bad alias"}), "KMS.1101").await;
    // A key made through the Alibaba API has no alias until given one.
    let bare = h.kms.create_key(&admin(), Default::default()).await.unwrap();
    assert_eq!(describe(&h, &bare.key_id).await["key_alias"], "");
    ok(&h, "update-key-alias", json!({"key_id": bare.key_id, "key_alias": "named-now"})).await;
    assert_eq!(describe(&h, &bare.key_id).await["key_alias"], "named-now");
}

fn b64(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn unb64(s: &Value) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s.as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn symmetric_data_and_contexts() {
    let h = harness().await;
    let id = create(&h, "data", "AES_256").await;
    let e = ok(&h, "encrypt-data", json!({"key_id": id, "plain_text": "hello wörld"})).await;
    assert_eq!(e["key_id"], id);
    let d = ok(&h, "decrypt-data", json!({"cipher_text": e["cipher_text"]})).await;
    assert_eq!((d["key_id"].as_str(), d["plain_text"].as_str()), (Some(id.as_str()), Some("hello wörld")));
    assert_eq!(unb64(&d["plain_text_base64"]), "hello wörld".as_bytes());
    ok(&h, "decrypt-data", json!({"cipher_text": e["cipher_text"], "key_id": id})).await;
    let other = create(&h, "data2", "SM4").await;
    post_err(&h, "decrypt-data", json!({"cipher_text": e["cipher_text"], "key_id": other}), "KMS.2201").await;

    // encryption_context (compared as a map) and additional_authenticated_data.
    let ctx = json!({"tenant": "a", "purpose": "x"});
    let e = ok(
        &h,
        "encrypt-data",
        json!({"key_id": id, "plain_text": "p", "encryption_context": ctx, "additional_authenticated_data": "aad1"}),
    )
    .await;
    let same = json!({"purpose": "x", "tenant": "a"});
    let d = ok(
        &h,
        "decrypt-data",
        json!({"cipher_text": e["cipher_text"], "encryption_context": same, "additional_authenticated_data": "aad1"}),
    )
    .await;
    assert_eq!(d["plain_text"], "p");
    for wrong in [
        json!({"cipher_text": e["cipher_text"]}),
        json!({"cipher_text": e["cipher_text"], "encryption_context": same}),
        json!({"cipher_text": e["cipher_text"], "encryption_context": {"tenant": "b", "purpose": "x"}, "additional_authenticated_data": "aad1"}),
        json!({"cipher_text": e["cipher_text"], "encryption_context": same, "additional_authenticated_data": "aad2"}),
    ] {
        post_err(&h, "decrypt-data", wrong, "KMS.2201").await;
    }
    // The AAD is the context pair of that name, so the Alibaba Decrypt opens it with it.
    let e = ok(&h, "encrypt-data", json!({"key_id": id, "plain_text": "q", "additional_authenticated_data": "bound"}))
        .await;
    let d = h
        .kms
        .decrypt(&admin(), &unb64(&e["cipher_text"]), Some(r#"{"additional_authenticated_data":"bound"}"#))
        .await
        .unwrap();
    assert_eq!(d.plaintext.expose(), b"q");
    post_err(&h, "encrypt-data", json!({"key_id": id, "plain_text": "p", "encryption_context": {"a": 1}}), "KMS.0208")
        .await;
    post_err(&h, "encrypt-data", json!({"key_id": id, "plain_text": "p", "encryption_context": "[1]"}), "KMS.0208")
        .await;
    post_err(&h, "encrypt-data", json!({"key_id": id, "plain_text": "p", "encryption_context": {"additional_authenticated_data": "x"}, "additional_authenticated_data": "y"}), "KMS.0208").await;
    post_err(&h, "encrypt-data", json!({"key_id": id, "plain_text": "x".repeat(4097)}), "KMS.0308").await;
    post_err(&h, "encrypt-data", json!({"key_id": id}), "KMS.0204").await;
    post_err(
        &h,
        "encrypt-data",
        json!({"key_id": id, "plain_text": "p", "encryption_algorithm": "RSAES_OAEP_SHA_256"}),
        "KMS.2105",
    )
    .await;
    post_err(&h, "decrypt-data", json!({"cipher_text": "!!"}), "KMS.2201").await;
    post_err(&h, "decrypt-data", json!({"cipher_text": b64(b"garbage that is not a blob")}), "KMS.2201").await;
    ok(&h, "disable-key", json!({"key_id": id})).await;
    post_err(&h, "encrypt-data", json!({"key_id": id, "plain_text": "p"}), "KMS.0209").await;
    let ext = ok(&h, "create-key", json!({"key_alias": "pending", "origin": "external"})).await;
    post_err(&h, "encrypt-data", json!({"key_id": ext["key_info"]["key_id"], "plain_text": "p"}), "KMS.1301").await;
}

#[tokio::test]
async fn ciphertexts_cross_protocols() {
    let h = harness().await;
    // A key made through the Huawei API, used through the Alibaba API over HTTP…
    let id = create(&h, "shared", "AES_256").await;
    let e = h.kms.encrypt(&admin(), "alias/shared", b"from alibaba", Some(r#"{"k":"v"}"#)).await.unwrap();
    let d = ok(&h, "decrypt-data", json!({"cipher_text": b64(&e.blob), "encryption_context": {"k": "v"}})).await;
    assert_eq!((d["plain_text"].as_str(), d["key_id"].as_str()), (Some("from alibaba"), Some(id.as_str())));
    let hw = ok(&h, "encrypt-data", json!({"key_id": id, "plain_text": "from huawei"})).await;
    let d = h.kms.decrypt(&admin(), &unb64(&hw["cipher_text"]), None).await.unwrap();
    assert_eq!(d.plaintext.expose(), b"from huawei");
    // …and a key made through the Alibaba API used here.
    let k = h.kms.create_key(&admin(), Default::default()).await.unwrap();
    let e = ok(&h, "encrypt-data", json!({"key_id": k.key_id, "plain_text": "x"})).await;
    assert_eq!(ok(&h, "decrypt-data", json!({"cipher_text": e["cipher_text"]})).await["plain_text"], "x");
}

#[tokio::test]
async fn data_keys() {
    use aws_lc_rs::digest;
    let h = harness().await;
    let id = create(&h, "dek", "AES_256").await;
    let b = ok(&h, "create-datakey", json!({"key_id": id})).await;
    let plain = hex::decode(b["plain_text"].as_str().unwrap()).unwrap();
    assert_eq!(plain.len(), 32);
    let d = ok(
        &h,
        "decrypt-datakey",
        json!({"key_id": id, "cipher_text": b["cipher_text"], "datakey_cipher_length": "32"}),
    )
    .await;
    assert_eq!(hex::decode(d["data_key"].as_str().unwrap()).unwrap(), plain);
    assert_eq!(d["datakey_length"], "32");
    assert_eq!(
        hex::decode(d["datakey_dgst"].as_str().unwrap()).unwrap(),
        digest::digest(&digest::SHA256, &plain).as_ref()
    );
    post_err(
        &h,
        "decrypt-datakey",
        json!({"key_id": id, "cipher_text": b["cipher_text"], "datakey_cipher_length": "16"}),
        "KMS.2204",
    )
    .await;
    let other = create(&h, "dek2", "AES_256").await;
    post_err(&h, "decrypt-datakey", json!({"key_id": other, "cipher_text": b["cipher_text"]}), "KMS.2201").await;
    post_err(&h, "decrypt-datakey", json!({"key_id": id, "cipher_text": "zz"}), "KMS.2201").await;

    for (body, len) in [
        (json!({"key_id": id, "key_spec": "AES_128"}), 16),
        (json!({"key_id": id, "datakey_length": "512"}), 64),
        (json!({"key_id": id, "key_spec": "AES_128", "datakey_length": 8}), 1),
        (json!({"key_id": id, "datakey_length": "8192"}), 1024),
    ] {
        let b = ok(&h, "create-datakey", body).await;
        assert_eq!(b["plain_text"].as_str().unwrap().len(), len * 2);
    }
    post_err(&h, "create-datakey", json!({"key_id": id, "datakey_length": "8200"}), "KMS.1901").await;
    post_err(&h, "create-datakey", json!({"key_id": id, "datakey_length": "0"}), "KMS.1901").await;
    post_err(&h, "create-datakey", json!({"key_id": id, "datakey_length": "12"}), "KMS.1903").await;
    post_err(&h, "create-datakey", json!({"key_id": id, "key_spec": "AES_512"}), "KMS.1902").await;

    // Without plaintext, with AAD.
    let b =
        ok(&h, "create-datakey-without-plaintext", json!({"key_id": id, "additional_authenticated_data": "ctx"})).await;
    assert!(b.get("plain_text").is_none());
    post_err(&h, "decrypt-datakey", json!({"key_id": id, "cipher_text": b["cipher_text"]}), "KMS.2201").await;
    let d = ok(
        &h,
        "decrypt-datakey",
        json!({"key_id": id, "cipher_text": b["cipher_text"], "additional_authenticated_data": "ctx"}),
    )
    .await;
    assert_eq!(d["datakey_length"], "32");

    // encrypt-datakey: HEX(DEK || SHA-256(DEK)).
    let dek = [7u8; 64];
    let mut text = dek.to_vec();
    text.extend_from_slice(digest::digest(&digest::SHA256, &dek).as_ref());
    let b = ok(
        &h,
        "encrypt-datakey",
        json!({"key_id": id, "plain_text": hex::encode(&text), "datakey_plain_length": "64"}),
    )
    .await;
    assert_eq!(b["datakey_length"], "64");
    let d = ok(
        &h,
        "decrypt-datakey",
        json!({"key_id": id, "cipher_text": b["cipher_text"], "datakey_cipher_length": "64"}),
    )
    .await;
    assert_eq!(hex::decode(d["data_key"].as_str().unwrap()).unwrap(), dek);
    let mut wrong = text.clone();
    wrong[70] ^= 1;
    post_err(
        &h,
        "encrypt-datakey",
        json!({"key_id": id, "plain_text": hex::encode(&wrong), "datakey_plain_length": "64"}),
        "KMS.2103",
    )
    .await;
    post_err(
        &h,
        "encrypt-datakey",
        json!({"key_id": id, "plain_text": hex::encode(&text), "datakey_plain_length": "32"}),
        "KMS.2104",
    )
    .await;
    post_err(
        &h,
        "encrypt-datakey",
        json!({"key_id": id, "plain_text": "xyz", "datakey_plain_length": "64"}),
        "KMS.2101",
    )
    .await;
    post_err(&h, "encrypt-datakey", json!({"key_id": id, "plain_text": hex::encode([1u8; 20])}), "KMS.2101").await;
    let rsa = create(&h, "dek-rsa", "RSA_2048").await;
    post_err(&h, "create-datakey", json!({"key_id": rsa}), "KMS.0325").await;
}

fn public_key_der(pem: &str) -> Vec<u8> {
    use base64::Engine;
    assert!(
        pem.starts_with("-----BEGIN PUBLIC KEY-----\r\n") && pem.ends_with("-----END PUBLIC KEY-----\r\n"),
        "{pem:?}"
    );
    assert!(!pem.replace("\r\n", "").contains('\n'), "CRLF line ends only");
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).map(str::trim).collect();
    base64::engine::general_purpose::STANDARD.decode(body).unwrap()
}

/// Verifies a signature with the `openssl` CLI (an implementation independent of the server's).
fn openssl_verify(spki_der: &[u8], digest_name: &str, message: &[u8], signature: &[u8], pss: bool) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let (k, m, s) = (dir.path().join("k.der"), dir.path().join("m"), dir.path().join("s"));
    std::fs::write(&k, spki_der).unwrap();
    std::fs::write(&m, message).unwrap();
    std::fs::write(&s, signature).unwrap();
    let mut cmd = std::process::Command::new("openssl");
    cmd.args(["dgst", &format!("-{digest_name}"), "-keyform", "DER", "-verify"]).arg(&k).arg("-signature").arg(&s);
    if pss {
        cmd.args(["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest"]);
    }
    cmd.arg(&m).output().unwrap().status.success()
}

#[tokio::test]
async fn sign_verify_and_public_keys() {
    use aws_lc_rs::digest;
    let h = harness().await;
    let message = b"message to sign";
    let cases: &[(&str, &str, &str, &digest::Algorithm, bool)] = &[
        ("RSA_2048", "RSASSA_PSS_SHA_256", "sha256", &digest::SHA256, true),
        ("RSA_3072", "RSASSA_PKCS1_V1_5_SHA_384", "sha384", &digest::SHA384, false),
        ("RSA_2048", "RSASSA_PSS_SHA_512", "sha512", &digest::SHA512, true),
        ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256", "sha256", &digest::SHA256, false),
        ("EC_P256", "ECDSA_SHA_256", "sha256", &digest::SHA256, false),
        ("EC_P384", "ECDSA_SHA_384", "sha384", &digest::SHA384, false),
        ("SECP256K1", "ECDSA_SHA_256", "sha256", &digest::SHA256, false),
    ];
    for (i, (spec, alg, dname, dalg, pss)) in cases.iter().enumerate() {
        let id = create(&h, &format!("sig{i}"), spec).await;
        let pem = ok(&h, "get-publickey", json!({"key_id": id})).await["public_key"].as_str().unwrap().to_string();
        let der = public_key_der(&pem);
        let dgst = digest::digest(dalg, message);
        let by_digest =
            ok(&h, "sign", json!({"key_id": id, "message": b64(dgst.as_ref()), "signing_algorithm": alg})).await;
        let raw = ok(
            &h,
            "sign",
            json!({"key_id": id, "message": b64(message), "signing_algorithm": alg, "message_type": "RAW"}),
        )
        .await;
        for sig in [&by_digest["signature"], &raw["signature"]] {
            assert!(openssl_verify(&der, dname, message, &unb64(sig), *pss), "{spec} {alg}");
            let v = ok(
                &h,
                "verify",
                json!({"key_id": id, "message": b64(dgst.as_ref()), "signing_algorithm": alg, "signature": sig}),
            )
            .await;
            assert_eq!(v, json!({"key_id": id, "signature_valid": "true"}));
        }
        let v = ok(&h, "verify", json!({"key_id": id, "message": b64(message), "message_type": "RAW", "signing_algorithm": alg, "signature": raw["signature"]})).await;
        assert_eq!(v["signature_valid"], "true");
        let v = ok(&h, "verify", json!({"key_id": id, "message": b64(b"other"), "message_type": "RAW", "signing_algorithm": alg, "signature": raw["signature"]})).await;
        assert_eq!(v["signature_valid"], "false");
        // The digest length must match the algorithm.
        post_err(&h, "sign", json!({"key_id": id, "message": b64(&[0u8; 20]), "signing_algorithm": alg}), "KMS.0329")
            .await;
    }
    // SM2: RAW is SM3(Z || M); verified by the server (no independent SM2 CLI here) and the
    // signature differs from one over another message.
    let sm2 = create(&h, "sig-sm2", "SM2").await;
    let s = ok(
        &h,
        "sign",
        json!({"key_id": sm2, "message": b64(message), "signing_algorithm": "SM2DSA_SM3", "message_type": "RAW"}),
    )
    .await;
    let v = ok(&h, "verify", json!({"key_id": sm2, "message": b64(message), "signing_algorithm": "SM2DSA_SM3", "message_type": "RAW", "signature": s["signature"]})).await;
    assert_eq!(v["signature_valid"], "true");
    public_key_der(ok(&h, "get-publickey", json!({"key_id": sm2})).await["public_key"].as_str().unwrap());

    let rsa = create(&h, "sig-rsa", "RSA_2048").await;
    let d32 = b64(&[1u8; 32]);
    post_err(&h, "sign", json!({"key_id": rsa, "message": d32, "signing_algorithm": "ECDSA_SHA_256"}), "KMS.0332")
        .await;
    post_err(&h, "sign", json!({"key_id": rsa, "message": d32, "signing_algorithm": "ED25519_SHA_512"}), "KMS.0332")
        .await;
    post_err(&h, "sign", json!({"key_id": rsa, "message": d32, "signing_algorithm": "MD5"}), "KMS.0308").await;
    post_err(&h, "sign", json!({"key_id": rsa, "message": d32}), "KMS.0204").await;
    post_err(
        &h,
        "sign",
        json!({"key_id": rsa, "message": "%%", "signing_algorithm": "RSASSA_PSS_SHA_256"}),
        "KMS.0308",
    )
    .await;
    let aes = create(&h, "sig-aes", "AES_256").await;
    post_err(&h, "sign", json!({"key_id": aes, "message": d32, "signing_algorithm": "RSASSA_PSS_SHA_256"}), "KMS.1115")
        .await;
    post_err(&h, "get-publickey", json!({"key_id": aes}), "KMS.0331").await;
    let enc =
        ok(&h, "create-key", json!({"key_alias": "sig-enc", "key_spec": "RSA_2048", "key_usage": "ENCRYPT_DECRYPT"}))
            .await;
    let enc = enc["key_info"]["key_id"].as_str().unwrap().to_string();
    post_err(&h, "sign", json!({"key_id": enc, "message": d32, "signing_algorithm": "RSASSA_PSS_SHA_256"}), "KMS.0334")
        .await;
    let hmac = create(&h, "sig-hmac", "HMAC_256").await;
    post_err(
        &h,
        "sign",
        json!({"key_id": hmac, "message": d32, "signing_algorithm": "RSASSA_PSS_SHA_256"}),
        "KMS.0341",
    )
    .await;
    post_err(&h, "get-publickey", json!({"key_id": hmac}), "KMS.0341").await;
    post_err(&h, "encrypt-data", json!({"key_id": hmac, "plain_text": "p"}), "KMS.0341").await;
    post_err(
        &h,
        "create-key",
        json!({"key_alias": "hmac-ext", "key_spec": "HMAC_256", "origin": "external"}),
        "KMS.0341",
    )
    .await;
    assert_eq!(describe(&h, &hmac).await["key_usage"], "GENERATE_VERIFY_MAC");
    ok(&h, "disable-key", json!({"key_id": rsa})).await;
    post_err(&h, "sign", json!({"key_id": rsa, "message": d32, "signing_algorithm": "RSASSA_PSS_SHA_256"}), "KMS.0209")
        .await;
}

#[tokio::test]
async fn asymmetric_encryption() {
    let h = harness().await;
    for (spec, alg) in [("RSA_2048", "RSAES_OAEP_SHA_256"), ("SM2", "SM2_ENCRYPT")] {
        let b = ok(
            &h,
            "create-key",
            json!({"key_alias": format!("enc-{spec}"), "key_spec": spec, "key_usage": "ENCRYPT_DECRYPT"}),
        )
        .await;
        let id = b["key_info"]["key_id"].as_str().unwrap().to_string();
        let e =
            ok(&h, "encrypt-data", json!({"key_id": id, "plain_text": "secret", "encryption_algorithm": alg})).await;
        let d =
            ok(&h, "decrypt-data", json!({"key_id": id, "cipher_text": e["cipher_text"], "encryption_algorithm": alg}))
                .await;
        assert_eq!(d["plain_text"], "secret");
        post_err(&h, "decrypt-data", json!({"cipher_text": e["cipher_text"], "encryption_algorithm": alg}), "KMS.0204")
            .await;
        post_err(&h, "encrypt-data", json!({"key_id": id, "plain_text": "p"}), "KMS.2106").await;
    }
    // RSA-OAEP ciphertexts are standard: the server decrypts one made with openssl.
    let b =
        ok(&h, "create-key", json!({"key_alias": "enc-ossl", "key_spec": "RSA_2048", "key_usage": "ENCRYPT_DECRYPT"}))
            .await;
    let id = b["key_info"]["key_id"].as_str().unwrap().to_string();
    let der = public_key_der(ok(&h, "get-publickey", json!({"key_id": id})).await["public_key"].as_str().unwrap());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("k.der"), &der).unwrap();
    std::fs::write(dir.path().join("m"), b"from openssl").unwrap();
    let out = std::process::Command::new("openssl")
        .args(["pkeyutl", "-encrypt", "-pubin", "-keyform", "DER", "-inkey"])
        .arg(dir.path().join("k.der"))
        .args(["-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-in"])
        .arg(dir.path().join("m"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let d = ok(
        &h,
        "decrypt-data",
        json!({"key_id": id, "cipher_text": b64(&out.stdout), "encryption_algorithm": "RSAES_OAEP_SHA_256"}),
    )
    .await;
    assert_eq!(d["plain_text"], "from openssl");
    post_err(
        &h,
        "encrypt-data",
        json!({"key_id": id, "plain_text": "x".repeat(300), "encryption_algorithm": "RSAES_OAEP_SHA_256"}),
        "KMS.2108",
    )
    .await;
    post_err(
        &h,
        "decrypt-data",
        json!({"key_id": id, "cipher_text": b64(&[1u8; 256]), "encryption_algorithm": "RSAES_OAEP_SHA_256"}),
        "KMS.2201",
    )
    .await;
    let ec = create(&h, "enc-ec", "EC_P256").await;
    post_err(
        &h,
        "encrypt-data",
        json!({"key_id": ec, "plain_text": "p", "encryption_algorithm": "RSAES_OAEP_SHA_256"}),
        "KMS.0335",
    )
    .await;
    let signer = create(&h, "enc-signer", "RSA_2048").await;
    post_err(
        &h,
        "encrypt-data",
        json!({"key_id": signer, "plain_text": "p", "encryption_algorithm": "RSAES_OAEP_SHA_256"}),
        "KMS.0335",
    )
    .await;
}

#[tokio::test]
async fn garbage_never_gets_a_5xx() {
    let h = harness().await;
    let id = create(&h, "junk-target", "AES_256").await;
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let alphabet = b"%7B{}/-_.aZ09:=&+ \"[]";
    for i in 0..300 {
        let r = next();
        let len = usize::try_from(r % 40).unwrap();
        let junk: String =
            (0..len).map(|j| char::from(alphabet[usize::try_from((r >> (j % 50)) % 21).unwrap()])).collect();
        let ops = ["create-key", "describe-key", "encrypt-data", "sign", "list-keys", "create-datakey", "verify"];
        let op = ops[i % ops.len()];
        // Signed requests with junk bodies…
        let mut c = Call::post(op, json!({}));
        c.body = match i % 3 {
            0 => junk.clone().into_bytes(),
            1 => json!({"key_id": id, "plain_text": junk, "message": junk, "limit": junk, "signing_algorithm": junk})
                .to_string()
                .into_bytes(),
            _ => json!({"key_id": junk, "key_alias": junk, "encryption_context": junk}).to_string().into_bytes(),
        };
        let a = send(&h, c.request()).await;
        assert!(a.status.is_client_error() || a.status.is_success(), "{op} {junk:?} → {}: {}", a.status, a.body);
        // …and junk paths, signed or not.
        let path =
            format!("/v1.0/{}", junk.replace(' ', "%20").replace('"', "%22").replace('[', "%5B").replace(']', "%5D"));
        let Ok(uri) = path.parse::<axum::http::Uri>() else { continue };
        let a = send(&h, Request::post(uri.clone()).body(Body::from(junk.clone())).unwrap()).await;
        assert!(a.status.is_client_error() || a.status.is_success(), "{path} → {}", a.status);
        let a = send(&h, Call::new("DELETE", &uri.to_string(), None).request()).await;
        assert!(a.status.is_client_error() || a.status.is_success(), "{path} → {}", a.status);
    }
}
