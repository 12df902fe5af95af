//! HTTP tests through the router (no socket): every lifecycle action, both signature schemes,
//! the error catalogue, and the check that the database never holds plaintext key material.

use std::sync::Arc;

use aws_lc_rs::hmac;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use http_body_util::BodyExt;
use keyward_core::{Kms, KmsConfig};
use keyward_crypto::{RecordKind, SecretBytes};
use keyward_protocol::form::pct;
use keyward_protocol::signature::{canonical_query, sign_acs3};
use keyward_server::app::{AppState, router};
use serde_json::Value;
use tower::ServiceExt;

const AK: &str = "LTAItestadmin";
const SECRET: &str = "test-secret-0123456789";

struct Harness {
    app: Router,
    kms: Arc<Kms>,
    dir: tempfile::TempDir,
}

async fn harness() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("keyward.db").display());
    let store = keyward_store::open(&url).await.unwrap();
    let root = SecretBytes::new(keyward_crypto::random::bytes(32).unwrap());
    let kms = Arc::new(Kms::open(store, &root, KmsConfig::default()).await.unwrap());
    kms.ensure_bootstrap_access_key(Some((AK.into(), SecretBytes::from_slice(SECRET.as_bytes())))).await.unwrap();
    let app = router(Arc::new(AppState::new(kms.clone())));
    Harness { app, kms, dir }
}

fn unix_now() -> i64 {
    keyward_core::clock::system_now_ms() / 1000
}

fn now() -> String {
    keyward_protocol::time::format(unix_now())
}

fn nonce() -> String {
    keyward_crypto::random::uuid_v4().unwrap().replace('-', "")
}

fn owned(params: &[(&str, &str)]) -> Vec<(String, String)> {
    params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// An ACS3-signed POST, as the Tea SDK sends it.
fn acs3_request(action: &str, params: &[(&str, &str)], secret: &str, date: &str, nonce: &str) -> Request<Body> {
    let query = owned(params);
    let headers = vec![
        ("host".to_string(), "127.0.0.1:8080".to_string()),
        ("x-acs-action".to_string(), action.to_string()),
        ("x-acs-version".to_string(), "2016-01-20".to_string()),
        ("x-acs-date".to_string(), date.to_string()),
        ("x-acs-signature-nonce".to_string(), nonce.to_string()),
        ("accept".to_string(), "application/json".to_string()),
    ];
    let signed = sign_acs3("POST", &query, &headers, b"", AK, secret.as_bytes());
    let mut b = Request::builder().method("POST").uri(format!("/?{}", canonical_query(&query)));
    for (k, v) in signed {
        b = b.header(k, v);
    }
    b.body(Body::empty()).unwrap()
}

/// A V1 (HMAC-SHA1) request with every parameter in the query, or the API parameters in a form body.
fn v1_request(method: &str, action: &str, params: &[(&str, &str)], secret: &str, in_body: bool) -> Request<Body> {
    let mut common = owned(&[
        ("Action", action),
        ("Version", "2016-01-20"),
        ("Format", "JSON"),
        ("AccessKeyId", AK),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("SignatureType", ""),
    ]);
    common.push(("Timestamp".into(), now()));
    common.push(("SignatureNonce".into(), nonce()));
    let api = owned(params);
    let mut all: Vec<(String, String)> = common.iter().chain(api.iter()).cloned().collect();
    all.sort();
    let canon: Vec<String> = all.iter().map(|(k, v)| format!("{}={}", pct(k), pct(v))).collect();
    let sts = format!("{method}&%2F&{}", pct(&canon.join("&")));
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, format!("{secret}&").as_bytes());
    let sig = base64::engine::general_purpose::STANDARD.encode(hmac::sign(&key, sts.as_bytes()).as_ref());
    common.push(("Signature".into(), sig));
    let enc =
        |v: &[(String, String)]| v.iter().map(|(k, v)| format!("{}={}", pct(k), pct(v))).collect::<Vec<_>>().join("&");
    if in_body {
        Request::builder()
            .method(method)
            .uri(format!("/?{}", enc(&common)))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(enc(&api)))
            .unwrap()
    } else {
        let q: Vec<(String, String)> = common.into_iter().chain(api).collect();
        Request::builder().method(method).uri(format!("/?{}", enc(&q))).body(Body::empty()).unwrap()
    }
}

async fn send(h: &Harness, req: Request<Body>) -> (StatusCode, Value) {
    let resp = h.app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let ct = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    assert!(ct.starts_with("application/json"), "every answer is JSON, got {ct}");
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    assert!(v["RequestId"].as_str().is_some_and(|s| s.len() == 36), "RequestId always present: {v}");
    (status, v)
}

async fn call(h: &Harness, action: &str, params: &[(&str, &str)]) -> (StatusCode, Value) {
    send(h, acs3_request(action, params, SECRET, &now(), &nonce())).await
}

async fn ok(h: &Harness, action: &str, params: &[(&str, &str)]) -> Value {
    let (s, v) = call(h, action, params).await;
    assert_eq!(s, StatusCode::OK, "{action} {params:?}: {v}");
    v
}

async fn err(h: &Harness, action: &str, params: &[(&str, &str)], status: u16, code: &str) -> Value {
    let (s, v) = call(h, action, params).await;
    assert_eq!((s.as_u16(), v["Code"].as_str().unwrap_or("")), (status, code), "{action} {params:?}: {v}");
    assert_eq!(v["HttpStatus"], status);
    v
}

fn is_wire_time(v: &Value) -> bool {
    v.as_str().is_some_and(|s| keyward_protocol::time::parse(s).is_some())
}

#[tokio::test]
async fn create_and_describe_every_spec() {
    let h = harness().await;
    let cases = [
        ("Aliyun_AES_256", "ENCRYPT/DECRYPT"),
        ("Aliyun_AES_128", "ENCRYPT/DECRYPT"),
        ("Aliyun_SM4", "ENCRYPT/DECRYPT"),
        ("RSA_2048", "SIGN/VERIFY"),
        ("RSA_3072", "ENCRYPT/DECRYPT"),
        ("EC_P256", "SIGN/VERIFY"),
        ("EC_P256K", "SIGN/VERIFY"),
        ("EC_SM2", "ENCRYPT/DECRYPT"),
    ];
    for (spec, usage) in cases {
        let v = ok(&h, "CreateKey", &[("KeySpec", spec), ("KeyUsage", usage), ("Description", "a b+c/d é")]).await;
        let m = &v["KeyMetadata"];
        assert_eq!((m["KeySpec"].as_str(), m["KeyUsage"].as_str()), (Some(spec), Some(usage)));
        assert_eq!(m["KeyState"], "Enabled");
        assert_eq!(m["Origin"], "Aliyun_KMS");
        assert_eq!(m["ProtectionLevel"], "SOFTWARE");
        assert_eq!(m["Description"], "a b+c/d é");
        assert!(is_wire_time(&m["CreationDate"]));
        let id = m["KeyId"].as_str().unwrap();
        assert_eq!(m["Arn"], format!("acs:kms:cn-hangzhou:1000000000000000:key/{id}"));
        let d = ok(&h, "DescribeKey", &[("KeyId", m["Arn"].as_str().unwrap())]).await;
        assert_eq!(d["KeyMetadata"]["KeyId"], id);
        assert_eq!(d["KeyMetadata"]["DeletionProtection"], "Disabled");
    }
    // Defaults and the spec/usage rules.
    let v = ok(&h, "CreateKey", &[]).await;
    assert_eq!(v["KeyMetadata"]["KeySpec"], "Aliyun_AES_256");
    let v = ok(&h, "CreateKey", &[("KeySpec", "EC_P256")]).await;
    assert_eq!(v["KeyMetadata"]["KeyUsage"], "SIGN/VERIFY");
    err(&h, "CreateKey", &[("KeySpec", "EC_P256"), ("KeyUsage", "ENCRYPT/DECRYPT")], 400, "InvalidParameter").await;
    err(&h, "CreateKey", &[("KeySpec", "Aliyun_AES_256"), ("KeyUsage", "SIGN/VERIFY")], 400, "InvalidParameter").await;
    err(&h, "CreateKey", &[("KeySpec", "AES_999")], 400, "InvalidParameter").await;
    err(&h, "CreateKey", &[("Origin", "aliyun_kms")], 400, "InvalidParameter").await;
    err(&h, "CreateKey", &[("ProtectionLevel", "HSM")], 400, "Unsupported.ProtectionLevel").await;
    err(&h, "CreateKey", &[("Tags", "not json")], 400, "InvalidParameter").await;
    let tagged = ok(&h, "CreateKey", &[("Tags", r#"[{"TagKey":"env","TagValue":"prod"}]"#)]).await;
    assert_eq!(tagged["KeyMetadata"]["KeyState"], "Enabled");
    let rotating = ok(&h, "CreateKey", &[("EnableAutomaticRotation", "True"), ("RotationInterval", "30d")]).await;
    assert_eq!(rotating["KeyMetadata"]["AutomaticRotation"], "Enabled");
    assert_eq!(rotating["KeyMetadata"]["RotationInterval"], "2592000s");
    assert!(is_wire_time(&rotating["KeyMetadata"]["NextRotationDate"]));
    err(&h, "CreateKey", &[("EnableAutomaticRotation", "true"), ("RotationInterval", "1d")], 400, "InvalidParameter")
        .await;
}

#[tokio::test]
async fn external_keys_and_instances() {
    let h = harness().await;
    let v = ok(&h, "CreateKey", &[("Origin", "EXTERNAL")]).await;
    assert_eq!(v["KeyMetadata"]["KeyState"], "PendingImport");
    assert_eq!(v["KeyMetadata"]["MaterialExpireTime"], "");
    let id = v["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();
    err(&h, "EnableKey", &[("KeyId", &id)], 409, "Rejected.StateModifiedFailed").await;
    err(&h, "CreateKey", &[("Origin", "EXTERNAL"), ("KeySpec", "RSA_2048")], 400, "Rejected.UnsupportedOperation")
        .await;
    err(&h, "CreateKey", &[("DKMSInstanceId", "kst-missing")], 403, "Forbidden.DKMSInstanceNotFound").await;

    let inst = h.kms.create_instance(keyward_core::model::InstanceKind::Software, None, 1000, 2).await.unwrap();
    let iid = inst.instance_id.as_str();
    let v = ok(&h, "CreateKey", &[("Origin", "EXTERNAL"), ("KeySpec", "RSA_2048"), ("DKMSInstanceId", iid)]).await;
    assert!(v["KeyMetadata"]["KeyId"].as_str().unwrap().starts_with("key-"));
    assert_eq!(v["KeyMetadata"]["DKMSInstanceId"], iid);
    ok(&h, "CreateKey", &[("KeySpec", "EC_P256"), ("DKMSInstanceId", iid)]).await;
    err(&h, "CreateKey", &[("DKMSInstanceId", iid)], 400, "Rejected.LimitExceeded").await;

    let l = ok(&h, "ListKmsInstances", &[]).await;
    assert_eq!(l["TotalCount"], 1);
    assert_eq!(l["KmsInstances"]["KmsInstance"][0]["KmsInstanceId"], iid);
    assert_eq!(
        l["KmsInstances"]["KmsInstance"][0]["KmsInstanceArn"],
        format!("acs:kms:cn-hangzhou:1000000000000000:keystore/{iid}")
    );
    let g = ok(&h, "GetKmsInstance", &[("KmsInstanceId", iid)]).await;
    assert_eq!(g["KmsInstance"]["InstanceId"], iid);
    assert_eq!(g["KmsInstance"]["Spec"], 1000);
    let q = ok(&h, "GetKmsInstanceQuotaInfos", &[("KmsInstanceId", iid), ("ResourceType", "key")]).await;
    assert_eq!(q["KmsInstanceQuotaInfos"][0]["ResourceQuota"], 2);
    assert_eq!(q["KmsInstanceQuotaInfos"][0]["UsedQuantity"], 2);
    err(&h, "GetKmsInstance", &[("KmsInstanceId", "kst-nope")], 403, "Forbidden.DKMSInstanceNotFound").await;
    let f = format!(r#"[{{"Key":"DKMSInstanceId","Values":["{iid}"]}}]"#);
    assert_eq!(ok(&h, "ListKeys", &[("Filters", &f)]).await["TotalCount"], 2);
}

#[tokio::test]
async fn state_machine_and_deletion() {
    let h = harness().await;
    let v = ok(&h, "CreateKey", &[]).await;
    let id = v["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();
    let key = [("KeyId", id.as_str())];
    ok(&h, "DisableKey", &key).await;
    assert_eq!(ok(&h, "DescribeKey", &key).await["KeyMetadata"]["KeyState"], "Disabled");
    ok(&h, "EnableKey", &key).await;
    err(&h, "CancelKeyDeletion", &key, 409, "Rejected.StateModifiedFailed").await;
    err(&h, "ScheduleKeyDeletion", &key, 400, "MissingParameter").await;
    err(&h, "ScheduleKeyDeletion", &[("KeyId", &id), ("PendingWindowInDays", "6")], 400, "InvalidParameter").await;
    err(&h, "ScheduleKeyDeletion", &[("KeyId", &id), ("PendingWindowInDays", "seven")], 400, "InvalidParameter").await;

    ok(
        &h,
        "SetDeletionProtection",
        &[
            ("ProtectedResourceArn", &h.kms.key_arn(&id)),
            ("EnableDeletionProtection", "true"),
            ("DeletionProtectionDescription", "prod"),
        ],
    )
    .await;
    let d = ok(&h, "DescribeKey", &key).await;
    assert_eq!(
        (d["KeyMetadata"]["DeletionProtection"].as_str(), d["KeyMetadata"]["DeletionProtectionDescription"].as_str()),
        (Some("Enabled"), Some("prod"))
    );
    err(
        &h,
        "ScheduleKeyDeletion",
        &[("KeyId", &id), ("PendingWindowInDays", "7")],
        400,
        "Rejected.UnsupportedOperation",
    )
    .await;
    ok(&h, "SetDeletionProtection", &[("KeyId", &id), ("EnableDeletionProtection", "False")]).await;

    ok(&h, "ScheduleKeyDeletion", &[("KeyId", &id), ("PendingWindowInDays", "7")]).await;
    let d = ok(&h, "DescribeKey", &key).await;
    assert_eq!(d["KeyMetadata"]["KeyState"], "PendingDeletion");
    let delete_at = keyward_protocol::time::parse(d["KeyMetadata"]["DeleteDate"].as_str().unwrap()).unwrap();
    assert!((delete_at - unix_now() - 7 * 86_400).abs() < 120);
    err(&h, "EnableKey", &key, 409, "Rejected.StateModifiedFailed").await;
    err(&h, "DisableKey", &key, 409, "Rejected.StateModifiedFailed").await;
    err(
        &h,
        "ScheduleKeyDeletion",
        &[("KeyId", &id), ("PendingWindowInDays", "7")],
        409,
        "Rejected.StateModifiedFailed",
    )
    .await;
    ok(&h, "CancelKeyDeletion", &key).await;
    let d = ok(&h, "DescribeKey", &key).await;
    assert_eq!(d["KeyMetadata"]["KeyState"], "Enabled");
    assert!(d["KeyMetadata"].get("DeleteDate").is_none());

    ok(&h, "UpdateKeyDescription", &[("KeyId", &id), ("Description", "new text")]).await;
    assert_eq!(ok(&h, "DescribeKey", &key).await["KeyMetadata"]["Description"], "new text");
    err(&h, "UpdateKeyDescription", &key, 400, "MissingParameter").await;

    // The background job destroys the key at its DeleteDate.
    ok(&h, "ScheduleKeyDeletion", &[("KeyId", &id), ("PendingWindowInDays", "7")]).await;
    assert!(h.kms.destroy_due_keys(unix_now()).await.unwrap().is_empty());
    assert_eq!(h.kms.destroy_due_keys(unix_now() + 7 * 86_400 + 60).await.unwrap(), vec![id.clone()]);
    err(&h, "DescribeKey", &key, 404, "Forbidden.KeyNotFound").await;
}

#[tokio::test]
async fn list_keys_paging_and_filters() {
    let h = harness().await;
    for _ in 0..3 {
        ok(&h, "CreateKey", &[]).await;
    }
    let ec = ok(&h, "CreateKey", &[("KeySpec", "EC_P256")]).await;
    let l = ok(&h, "ListKeys", &[("PageSize", "3")]).await;
    assert_eq!(
        (l["TotalCount"].as_u64(), l["PageSize"].as_u64(), l["PageNumber"].as_u64()),
        (Some(4), Some(3), Some(1))
    );
    assert_eq!(l["Keys"]["Key"].as_array().unwrap().len(), 3);
    let l2 = ok(&h, "ListKeys", &[("PageSize", "3"), ("PageNumber", "2")]).await;
    assert_eq!(l2["Keys"]["Key"].as_array().unwrap().len(), 1);
    let f = ok(&h, "ListKeys", &[("Filters", r#"[{"Key":"KeyUsage","Values":["SIGN/VERIFY"]}]"#)]).await;
    assert_eq!(f["Keys"]["Key"][0]["KeyId"], ec["KeyMetadata"]["KeyId"]);
    assert_eq!(f["TotalCount"], 1);
    let f = ok(&h, "ListKeys", &[("Filters", r#"[{"Key":"KeyState","Values":["Disabled","PendingDeletion"]}]"#)]).await;
    assert_eq!(f["TotalCount"], 0);
    err(&h, "ListKeys", &[("Filters", r#"[{"Key":"Colour","Values":["red"]}]"#)], 400, "InvalidParameter").await;
    err(&h, "ListKeys", &[("Filters", r#"[{"Key":"KeyState","Values":["Sleeping"]}]"#)], 400, "InvalidParameter").await;
    err(&h, "ListKeys", &[("PageSize", "101")], 400, "InvalidParameter").await;
    err(&h, "ListKeys", &[("PageNumber", "0")], 400, "InvalidParameter").await;
}

#[tokio::test]
async fn service_actions() {
    let h = harness().await;
    let r = ok(&h, "DescribeRegions", &[]).await;
    assert_eq!(r["Regions"]["Region"][0]["RegionId"], "cn-hangzhou");
    assert_eq!(ok(&h, "DescribeAccountKmsStatus", &[]).await["AccountStatus"], "Enabled");
}

#[tokio::test]
async fn v1_signatures_get_post_and_form_body() {
    let h = harness().await;
    for (method, in_body) in [("GET", false), ("POST", false), ("POST", true)] {
        let (s, v) =
            send(&h, v1_request(method, "CreateKey", &[("Description", "v1 key: a+b c/d*e~")], SECRET, in_body)).await;
        assert_eq!(s, StatusCode::OK, "{method} body={in_body}: {v}");
        assert_eq!(v["KeyMetadata"]["Description"], "v1 key: a+b c/d*e~");
    }
    let (s, v) = send(&h, v1_request("GET", "DescribeRegions", &[], "wrong-secret", false)).await;
    assert_eq!((s.as_u16(), v["Code"].as_str()), (400, Some("SignatureDoesNotMatch")));
    let msg = v["Message"].as_str().unwrap();
    let sts = msg.split_once(':').unwrap().1;
    assert!(sts.starts_with("GET&%2F&AccessKeyId%3D"), "aliyunsdkcore compares this: {msg}");
}

#[tokio::test]
async fn authentication_failures() {
    let h = harness().await;
    // Wrong secret: the message carries the server's string-to-sign after a colon.
    let (s, v) = send(&h, acs3_request("DescribeRegions", &[], "wrong", &now(), &nonce())).await;
    assert_eq!((s.as_u16(), v["Code"].as_str()), (400, Some("SignatureDoesNotMatch")));
    assert!(v["Message"].as_str().unwrap().contains(":ACS3-HMAC-SHA256\n"));
    // Replay: the same signed request twice.
    let (d, n) = (now(), nonce());
    assert_eq!(send(&h, acs3_request("DescribeRegions", &[], SECRET, &d, &n)).await.0, StatusCode::OK);
    let (s, v) = send(&h, acs3_request("DescribeRegions", &[], SECRET, &d, &n)).await;
    assert_eq!((s.as_u16(), v["Code"].as_str()), (400, Some("SignatureNonceUsed")));
    // Stale and future timestamps.
    for t in [unix_now() - 16 * 60, unix_now() + 16 * 60] {
        let (s, v) =
            send(&h, acs3_request("DescribeRegions", &[], SECRET, &keyward_protocol::time::format(t), &nonce())).await;
        assert_eq!((s.as_u16(), v["Code"].as_str()), (400, Some("IllegalTimestamp")));
    }
    // Unknown and disabled AccessKeys.
    h.kms.create_principal("app", "").await.unwrap();
    let (id, secret) = h.kms.create_access_key("app", None).await.unwrap();
    h.kms.set_access_key_enabled(&id, false).await.unwrap();
    let mut req = acs3_request("DescribeRegions", &[], SECRET, &now(), &nonce());
    let auth = req.headers()["authorization"].to_str().unwrap().replace(AK, &id);
    req.headers_mut().insert("authorization", auth.parse().unwrap());
    let (s, v) = send(&h, req).await;
    assert_eq!((s.as_u16(), v["Code"].as_str()), (403, Some("Forbidden.AccessKey")), "{v}");
    drop(secret);
    let mut req = acs3_request("DescribeRegions", &[], SECRET, &now(), &nonce());
    let auth = req.headers()["authorization"].to_str().unwrap().replace(AK, "LTAInobody");
    req.headers_mut().insert("authorization", auth.parse().unwrap());
    let (s, v) = send(&h, req).await;
    assert_eq!((s.as_u16(), v["Code"].as_str()), (404, Some("InvalidAccessKeyId.NotFound")));
    // Unsigned, tampered, malformed.
    let (s, v) =
        send(&h, Request::builder().uri("/?Action=DescribeRegions&Version=2016-01-20").body(Body::empty()).unwrap())
            .await;
    assert_eq!(s.as_u16(), 400, "{v}");
    let mut req = acs3_request("DescribeRegions", &[], SECRET, &now(), &nonce());
    req.headers_mut().insert("x-acs-action", "CreateKey".parse().unwrap());
    assert_eq!(send(&h, req).await.1["Code"], "SignatureDoesNotMatch");
    let mut req = acs3_request("DescribeRegions", &[], SECRET, &now(), &nonce());
    req.headers_mut().insert("authorization", "ACS3-HMAC-SHA256 garbage".parse().unwrap());
    assert_eq!(send(&h, req).await.1["Code"], "IncompleteSignature");
}

#[tokio::test]
async fn protocol_errors_are_json_and_never_5xx() {
    let h = harness().await;
    err(&h, "NoSuchAction", &[], 404, "InvalidAction.NotFound").await;
    err(&h, "DescribeKey", &[], 400, "MissingParameter").await;
    err(&h, "DescribeKey", &[("KeyId", "")], 400, "MissingParameter").await;
    err(&h, "DescribeKey", &[("KeyId", "no-such-key")], 404, "Forbidden.KeyNotFound").await;
    err(&h, "DescribeKey", &[("KeyId", "alias/nothing")], 404, "Forbidden.AliasNotFound").await;
    err(&h, "DescribeKey", &[("KeyId", "acs:kms:cn-beijing:1:key/x")], 404, "Forbidden.KeyNotFound").await;
    let (s, v) = send(&h, Request::builder().method("PUT").uri("/").body(Body::empty()).unwrap()).await;
    assert_eq!((s.as_u16(), v["Code"].as_str()), (403, Some("UnsupportedHTTPMethod")));
    let (s, v) = send(&h, Request::builder().uri("/elsewhere").body(Body::empty()).unwrap()).await;
    assert_eq!((s.as_u16(), v["Code"].as_str()), (404, Some("InvalidAction.NotFound")));
    let big = "A=".to_string() + &"x".repeat(300 * 1024);
    let req = Request::builder()
        .method("POST")
        .uri("/")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(big))
        .unwrap();
    assert_eq!(send(&h, req).await.0.as_u16(), 413);
    // Garbage never produces a 5xx or a panic.
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    for _ in 0..300 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let len = (seed % 64) as usize;
        let junk: String = (0..len).map(|i| char::from(b"%=&+aZ09:/,"[((seed >> (i % 50)) % 11) as usize])).collect();
        let req = Request::builder()
            .method(if seed.is_multiple_of(2) { "GET" } else { "POST" })
            .uri(format!("/?{junk}"))
            .header("authorization", format!("ACS3-HMAC-SHA256 {junk}"))
            .body(Body::from(junk.clone()))
            .unwrap();
        let (s, _) = send(&h, req).await;
        assert!(s.is_client_error(), "{junk:?} → {s}");
    }
}

#[tokio::test]
async fn wrong_version_is_refused() {
    let h = harness().await;
    let query = owned(&[]);
    let headers = vec![
        ("host".to_string(), "h".to_string()),
        ("x-acs-action".to_string(), "DescribeRegions".to_string()),
        ("x-acs-version".to_string(), "2014-01-01".to_string()),
        ("x-acs-date".to_string(), now()),
        ("x-acs-signature-nonce".to_string(), nonce()),
    ];
    let mut b = Request::builder().method("POST").uri("/");
    for (k, v) in sign_acs3("POST", &query, &headers, b"", AK, SECRET.as_bytes()) {
        b = b.header(k, v);
    }
    let (s, v) = send(&h, b.body(Body::empty()).unwrap()).await;
    assert_eq!((s.as_u16(), v["Code"].as_str()), (400, Some("InvalidVersion")));
}

/// DESIGN.md §2: the store never sees plaintext key material or AccessKey secrets.
#[tokio::test]
async fn database_files_hold_no_plaintext_key_material() {
    let h = harness().await;
    let mut secrets: Vec<Vec<u8>> = vec![SECRET.as_bytes().to_vec()];
    for spec in ["Aliyun_AES_256", "Aliyun_SM4", "RSA_2048", "EC_P256", "EC_SM2"] {
        let v = ok(&h, "CreateKey", &[("KeySpec", spec)]).await;
        let id = v["KeyMetadata"]["KeyId"].as_str().unwrap();
        for ver in h.kms.store().list_key_versions(id).await.unwrap() {
            let aad = format!("{id}/{}", ver.version_id);
            let plain =
                h.kms.barrier().open(RecordKind::KeyMaterial, &aad, ver.sealed_material.as_ref().unwrap()).unwrap();
            // For PKCS#8 material, search for the 32-byte window in the middle: any leak of the
            // private key would contain it.
            let m = plain.expose();
            let window = if m.len() > 64 { &m[m.len() / 2..m.len() / 2 + 32] } else { m };
            secrets.push(window.to_vec());
        }
    }
    h.kms.create_principal("app", "").await.unwrap();
    let (_id, ak_secret) = h.kms.create_access_key("app", None).await.unwrap();
    secrets.push(ak_secret.expose().to_vec());
    // Secret values (Secrets Manager): text, a later version, binary; each must be readable and
    // must not appear in the files.
    let value = || format!("secret-value-{}", hex::encode(keyward_crypto::random::bytes(16).unwrap()));
    let (text, next) = (value(), value());
    let binary = base64::engine::general_purpose::STANDARD.encode(keyward_crypto::random::bytes(48).unwrap());
    ok(&h, "CreateSecret", &[("SecretName", "db/pass"), ("VersionId", "v1"), ("SecretData", &text)]).await;
    ok(&h, "PutSecretValue", &[("SecretName", "db/pass"), ("VersionId", "v2"), ("SecretData", &next)]).await;
    let bin =
        [("SecretName", "bin"), ("VersionId", "v1"), ("SecretData", binary.as_str()), ("SecretDataType", "binary")];
    ok(&h, "CreateSecret", &bin).await;
    let prev = ok(&h, "GetSecretValue", &[("SecretName", "db/pass"), ("VersionStage", "ACSPrevious")]).await;
    assert_eq!(prev["SecretData"], text.as_str());
    assert_eq!(ok(&h, "GetSecretValue", &[("SecretName", "bin")]).await["SecretData"], binary.as_str());
    secrets.extend([text.into_bytes(), next.into_bytes(), binary.into_bytes()]);
    let mut scanned = 0;
    for entry in std::fs::read_dir(h.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        scanned += bytes.len();
        for s in &secrets {
            assert!(
                !bytes.windows(s.len()).any(|w| w == s.as_slice()),
                "{} contains plaintext secret material",
                path.display()
            );
        }
    }
    assert!(scanned > 0, "the database files were scanned");
}

/// BYOK through the router: import, then the store holds no trace of the imported material or
/// of the wrapping private key.
#[tokio::test]
async fn imported_material_never_reaches_the_database_in_plaintext() {
    use keyward_crypto::KeySpec;
    use keyward_crypto::byok::{self, WrappingAlgorithm};
    let h = harness().await;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut secrets = Vec::new();
    for (spec, alg, spki_check) in [
        ("Aliyun_AES_256", "RSAES_OAEP_SHA_256", false),
        ("Aliyun_SM4", "SM2PKE", false),
        ("Aliyun_AES_128", "RSAES_PKCS1_V1_5", false),
    ] {
        let _ = spki_check;
        let v = ok(&h, "CreateKey", &[("KeySpec", spec), ("Origin", "EXTERNAL")]).await;
        let id = v["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();
        let wspec = if alg == "SM2PKE" { "EC_SM2" } else { "RSA_2048" };
        let p =
            ok(&h, "GetParametersForImport", &[("KeyId", &id), ("WrappingKeySpec", wspec), ("WrappingAlgorithm", alg)])
                .await;
        let public = b64.decode(p["PublicKey"].as_str().unwrap()).unwrap();
        assert!(is_wire_time(&p["TokenExpireTime"]));
        let target = KeySpec::parse(spec).unwrap();
        let material = keyward_crypto::random::bytes(target.symmetric_len().unwrap()).unwrap();
        let wrapped = byok::wrap_material(&public, WrappingAlgorithm::parse(alg).unwrap(), &material, target).unwrap();
        let enc = b64.encode(&wrapped);
        let token = p["ImportToken"].as_str().unwrap();
        ok(
            &h,
            "ImportKeyMaterial",
            &[("KeyId", &id), ("EncryptedKeyMaterial", &enc), ("ImportToken", token), ("KeyMaterialExpireUnix", "0")],
        )
        .await;
        let d = ok(&h, "DescribeKey", &[("KeyId", &id)]).await;
        assert_eq!(
            (d["KeyMetadata"]["KeyState"].as_str(), d["KeyMetadata"]["Origin"].as_str()),
            (Some("Enabled"), Some("EXTERNAL"))
        );
        err(
            &h,
            "ImportKeyMaterial",
            &[("KeyId", &id), ("EncryptedKeyMaterial", "%%%"), ("ImportToken", token)],
            400,
            "InvalidParameter",
        )
        .await;
        err(
            &h,
            "ImportKeyMaterial",
            &[("KeyId", &id), ("EncryptedKeyMaterial", &enc), ("ImportToken", "bm9wZQ==")],
            400,
            "InvalidImportToken",
        )
        .await;
        ok(&h, "DeleteKeyMaterial", &[("KeyId", &id)]).await;
        assert_eq!(ok(&h, "DescribeKey", &[("KeyId", &id)]).await["KeyMetadata"]["KeyState"], "PendingImport");
        ok(&h, "ImportKeyMaterial", &[("KeyId", &id), ("EncryptedKeyMaterial", &enc), ("ImportToken", token)]).await;
        secrets.push(material);
    }
    let own = ok(&h, "CreateKey", &[]).await;
    let own_id = own["KeyMetadata"]["KeyId"].as_str().unwrap();
    let e = err(
        &h,
        "GetParametersForImport",
        &[("KeyId", own_id), ("WrappingKeySpec", "RSA_2048"), ("WrappingAlgorithm", "RSAES_OAEP_SHA_256")],
        400,
        "Unsupported.Origin",
    )
    .await;
    assert!(e["Message"].as_str().is_some());
    let ext = ok(&h, "CreateKey", &[("Origin", "EXTERNAL")]).await;
    let ext_id = ext["KeyMetadata"]["KeyId"].as_str().unwrap();
    let e = err(
        &h,
        "GetParametersForImport",
        &[("KeyId", ext_id), ("WrappingKeySpec", "EC_SM2"), ("WrappingAlgorithm", "RSAES_OAEP_SHA_256")],
        400,
        "InvalidParameter",
    )
    .await;
    assert!(e["Message"].as_str().unwrap().contains("WrappingAlgorithm"), "{e}");
    let e = err(
        &h,
        "GetParametersForImport",
        &[("KeyId", ext_id), ("WrappingKeySpec", "RSA_1024"), ("WrappingAlgorithm", "RSAES_OAEP_SHA_256")],
        400,
        "InvalidParameter",
    )
    .await;
    assert!(e["Message"].as_str().unwrap().contains("WrappingKeySpec"), "{e}");
    err(&h, "GetParametersForImport", &[("KeyId", ext_id), ("WrappingKeySpec", "RSA_2048")], 400, "MissingParameter")
        .await;

    // The wrapping private keys are sealed too: none of the stored tokens' plaintext appears.
    for t in h.kms.store().list_live_import_tokens(ext_id, 0).await.unwrap() {
        let private = h.kms.barrier().open(RecordKind::WrappingKey, &t.token_id, &t.sealed_private_key).unwrap();
        let m = private.expose();
        secrets.push(m[m.len() / 2..m.len() / 2 + 32].to_vec());
    }
    for entry in std::fs::read_dir(h.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        for s in &secrets {
            assert!(
                !bytes.windows(s.len()).any(|w| w == s.as_slice()),
                "{} contains imported material",
                path.display()
            );
        }
    }
}

#[tokio::test]
async fn symmetric_operations_through_the_router() {
    let h = harness().await;
    let b64 = base64::engine::general_purpose::STANDARD;
    let k = ok(&h, "CreateKey", &[]).await;
    let id = k["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();
    let ctx = r#"{"b":"2","a":"1"}"#;
    let e =
        ok(&h, "Encrypt", &[("KeyId", &id), ("Plaintext", "not base64 at all ✓"), ("EncryptionContext", ctx)]).await;
    assert_eq!(e["KeyVersionId"], k["KeyMetadata"]["PrimaryKeyVersion"]);
    let blob = e["CiphertextBlob"].as_str().unwrap();
    let raw = b64.decode(blob).unwrap();
    assert_eq!(&raw[..36], e["KeyVersionId"].as_str().unwrap().as_bytes(), "blob = KeyVersionId ‖ IV ‖ ct ‖ tag");
    let d = ok(&h, "Decrypt", &[("CiphertextBlob", blob), ("EncryptionContext", r#"{"a":"1","b":"2"}"#)]).await;
    assert_eq!((d["Plaintext"].as_str(), d["KeyId"].as_str()), (Some("not base64 at all ✓"), Some(id.as_str())));
    let e2 = err(&h, "Decrypt", &[("CiphertextBlob", blob)], 400, "InvalidParameter").await;
    assert!(e2["Message"].as_str().unwrap().contains("CiphertextBlob"));
    err(&h, "Decrypt", &[("CiphertextBlob", "AAAA")], 400, "InvalidParameter").await;
    err(&h, "Decrypt", &[("CiphertextBlob", "%%%")], 400, "InvalidParameter").await;
    err(
        &h,
        "Encrypt",
        &[("KeyId", &id), ("Plaintext", "x"), ("EncryptionContext", r#"{"n":1}"#)],
        400,
        "InvalidParameter",
    )
    .await;
    err(&h, "Encrypt", &[("KeyId", &id), ("Plaintext", &"x".repeat(6145))], 400, "InvalidParameter").await;
    err(&h, "Encrypt", &[("KeyId", &id), ("Plaintext", "x"), ("DryRun", "true")], 400, "DryRunOperationError").await;

    let g = ok(&h, "GenerateDataKey", &[("KeyId", &id), ("NumberOfBytes", "24")]).await;
    let dk = g["Plaintext"].as_str().unwrap();
    assert_eq!(b64.decode(dk).unwrap().len(), 24);
    let d = ok(&h, "Decrypt", &[("CiphertextBlob", g["CiphertextBlob"].as_str().unwrap())]).await;
    assert_eq!(d["Plaintext"].as_str(), Some(dk), "the data-key blob decrypts to the base64 text of the data key");
    let w = ok(&h, "GenerateDataKeyWithoutPlaintext", &[("KeyId", &id), ("KeySpec", "AES_128")]).await;
    assert!(w.get("Plaintext").is_none());
    err(&h, "GenerateDataKey", &[("KeyId", &id), ("KeySpec", "AES_512")], 400, "InvalidParameter").await;
    err(&h, "GenerateDataKey", &[("KeyId", &id), ("NumberOfBytes", "1025")], 400, "InvalidParameter").await;

    // Rotation: new primary, old ciphertexts still open; ReEncrypt moves them to another key.
    let v = ok(&h, "CreateKeyVersion", &[("KeyId", &id)]).await;
    let e3 = ok(&h, "Encrypt", &[("KeyId", &id), ("Plaintext", "new")]).await;
    assert_eq!(e3["KeyVersionId"], v["KeyVersion"]["KeyVersionId"]);
    ok(&h, "Decrypt", &[("CiphertextBlob", blob), ("EncryptionContext", ctx)]).await;
    let l = ok(&h, "ListKeyVersions", &[("KeyId", &id)]).await;
    assert_eq!(l["TotalCount"], 2);
    let other = ok(&h, "CreateKey", &[("KeySpec", "Aliyun_SM4")]).await;
    let other_id = other["KeyMetadata"]["KeyId"].as_str().unwrap();
    let r = ok(
        &h,
        "ReEncrypt",
        &[("CiphertextBlob", blob), ("SourceEncryptionContext", ctx), ("DestinationKeyId", other_id)],
    )
    .await;
    assert_eq!(r["KeyId"], id.as_str(), "ReEncrypt reports the source key");
    let d = ok(&h, "Decrypt", &[("CiphertextBlob", r["CiphertextBlob"].as_str().unwrap())]).await;
    assert_eq!((d["Plaintext"].as_str(), d["KeyId"].as_str()), (Some("not base64 at all ✓"), Some(other_id)));

    // Aliases and tags.
    ok(&h, "CreateAlias", &[("AliasName", "alias/router-test"), ("KeyId", &id)]).await;
    err(&h, "CreateAlias", &[("AliasName", "alias/router-test"), ("KeyId", &id)], 400, "AliasAlreadyExists").await;
    err(&h, "CreateAlias", &[("AliasName", "no-prefix"), ("KeyId", &id)], 400, "InvalidParameter").await;
    let e4 = ok(&h, "Encrypt", &[("KeyId", "alias/router-test"), ("Plaintext", "via alias")]).await;
    assert_eq!(e4["KeyId"], id.as_str());
    let la = ok(&h, "ListAliasesByKeyId", &[("KeyId", &id)]).await;
    assert_eq!(la["Aliases"]["Alias"][0]["AliasArn"], "acs:kms:cn-hangzhou:1000000000000000:alias/router-test");
    ok(&h, "DeleteAlias", &[("AliasName", "alias/router-test")]).await;
    err(&h, "DeleteAlias", &[("AliasName", "alias/router-test")], 404, "Forbidden.AliasNotFound").await;
    ok(&h, "TagResource", &[("KeyId", &id), ("Tags", r#"[{"TagKey":"env","TagValue":"prod"}]"#)]).await;
    ok(
        &h,
        "TagResources",
        &[
            ("RegionId", "cn-hangzhou"),
            ("ResourceType", "key"),
            ("ResourceId.1", other_id),
            ("Tag.1.Key", "env"),
            ("Tag.1.Value", "dev"),
        ],
    )
    .await;
    let t = ok(&h, "ListResourceTags", &[("KeyId", &id)]).await;
    assert_eq!(t["Tags"]["Tag"][0]["TagValue"], "prod");
    let f = ok(&h, "ListKeys", &[("Filters", r#"[{"Key":"TagKey","Values":["env"]}]"#)]).await;
    assert_eq!(f["TotalCount"], 2);
    let lt = ok(
        &h,
        "ListTagResources",
        &[("RegionId", "cn-hangzhou"), ("ResourceType", "key"), ("Tag.1.Key", "env"), ("Tag.1.Value", "dev")],
    )
    .await;
    assert_eq!(lt["TagResources"]["TagResource"][0]["ResourceId"], other_id);
    ok(&h, "UntagResource", &[("KeyId", &id), ("TagKeys", r#"["env"]"#)]).await;
    assert_eq!(ok(&h, "ListResourceTags", &[("KeyId", &id)]).await["Tags"]["Tag"].as_array().unwrap().len(), 0);

    // State gates.
    ok(&h, "DisableKey", &[("KeyId", &id)]).await;
    err(&h, "Encrypt", &[("KeyId", &id), ("Plaintext", "x")], 409, "Rejected.Disabled").await;
    err(&h, "Decrypt", &[("CiphertextBlob", blob), ("EncryptionContext", ctx)], 409, "Rejected.Disabled").await;
    let ext = ok(&h, "CreateKey", &[("Origin", "EXTERNAL")]).await;
    err(
        &h,
        "Encrypt",
        &[("KeyId", ext["KeyMetadata"]["KeyId"].as_str().unwrap()), ("Plaintext", "x")],
        409,
        "Rejected.PendingImport",
    )
    .await;
}

#[tokio::test]
async fn asymmetric_operations_through_the_router() {
    let h = harness().await;
    let b64 = base64::engine::general_purpose::STANDARD;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, b"message");
    let dg = b64.encode(digest.as_ref());
    for (spec, usage, alg) in [
        ("EC_P256", "SIGN/VERIFY", "ECDSA_SHA_256"),
        ("RSA_2048", "SIGN/VERIFY", "RSA_PSS_SHA_256"),
        ("EC_P256K", "SIGN/VERIFY", "ECDSA_SHA_256"),
    ] {
        let k = ok(&h, "CreateKey", &[("KeySpec", spec), ("KeyUsage", usage)]).await;
        let id = k["KeyMetadata"]["KeyId"].as_str().unwrap();
        let ver = k["KeyMetadata"]["PrimaryKeyVersion"].as_str().unwrap();
        let s = ok(&h, "AsymmetricSign", &[("KeyId", id), ("KeyVersionId", ver), ("Algorithm", alg), ("Digest", &dg)])
            .await;
        let sig = s["Value"].as_str().unwrap();
        let v = ok(
            &h,
            "AsymmetricVerify",
            &[("KeyId", id), ("KeyVersionId", ver), ("Algorithm", alg), ("Digest", &dg), ("Value", sig)],
        )
        .await;
        assert_eq!(v["Value"], true);
        let other = b64.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, b"other").as_ref());
        let v = ok(
            &h,
            "AsymmetricVerify",
            &[("KeyId", id), ("KeyVersionId", ver), ("Algorithm", alg), ("Digest", &other), ("Value", sig)],
        )
        .await;
        assert_eq!(v["Value"], false);
        let p = ok(&h, "GetPublicKey", &[("KeyId", id), ("KeyVersionId", ver)]).await;
        assert!(p["PublicKey"].as_str().unwrap().starts_with("-----BEGIN PUBLIC KEY-----\n"));
        err(
            &h,
            "AsymmetricSign",
            &[("KeyId", id), ("KeyVersionId", ver), ("Algorithm", "SM2DSA"), ("Digest", &dg)],
            400,
            "Rejected.UnsupportedOperation",
        )
        .await;
        err(
            &h,
            "AsymmetricSign",
            &[
                ("KeyId", id),
                ("KeyVersionId", "00000000-0000-4000-8000-000000000000"),
                ("Algorithm", alg),
                ("Digest", &dg),
            ],
            404,
            "Forbidden.KeyVersionNotFound",
        )
        .await;
        err(&h, "AsymmetricSign", &[("KeyId", id), ("Algorithm", alg), ("Digest", &dg)], 400, "MissingParameter").await;
        err(&h, "Encrypt", &[("KeyId", id), ("Plaintext", "x")], 400, "Rejected.UnsupportedOperation").await;
    }
    let k = ok(&h, "CreateKey", &[("KeySpec", "RSA_2048"), ("KeyUsage", "ENCRYPT/DECRYPT")]).await;
    let id = k["KeyMetadata"]["KeyId"].as_str().unwrap();
    let ver = k["KeyMetadata"]["PrimaryKeyVersion"].as_str().unwrap();
    let pt = b64.encode(b"secret bytes");
    let c = ok(
        &h,
        "AsymmetricEncrypt",
        &[("KeyId", id), ("KeyVersionId", ver), ("Algorithm", "RSAES_OAEP_SHA_256"), ("Plaintext", &pt)],
    )
    .await;
    assert_eq!(b64.decode(c["CiphertextBlob"].as_str().unwrap()).unwrap().len(), 256, "raw RSA-2048 ciphertext");
    let d = ok(
        &h,
        "AsymmetricDecrypt",
        &[
            ("KeyId", id),
            ("KeyVersionId", ver),
            ("Algorithm", "RSAES_OAEP_SHA_256"),
            ("CiphertextBlob", c["CiphertextBlob"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(d["Plaintext"].as_str(), Some(pt.as_str()));
    err(
        &h,
        "AsymmetricEncrypt",
        &[
            ("KeyId", id),
            ("KeyVersionId", ver),
            ("Algorithm", "RSAES_OAEP_SHA_256"),
            ("Plaintext", &b64.encode([0u8; 191])),
        ],
        400,
        "InvalidParameter",
    )
    .await;
}
