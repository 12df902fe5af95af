//! HTTP tests of the secret actions through the router (no socket): wire shapes and error codes
//! of every action, `SecretData` in the form body and in the query (ACS3 and V1), DryRun,
//! BatchGetSecretValue items and errors, the recovery window and the purge job.

use std::sync::Arc;

use aws_lc_rs::hmac;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use http_body_util::BodyExt;
use keyward_core::clock::{Clock, ManualClock, SystemClock};
use keyward_core::{Kms, KmsConfig};
use keyward_crypto::SecretBytes;
use keyward_protocol::form::pct;
use keyward_protocol::signature::{canonical_query, sign_acs3};
use keyward_server::app::{AppState, router};
use serde_json::{Value, json};
use tower::ServiceExt;

const AK: &str = "LTAItestadmin";
const SECRET: &str = "test-secret-0123456789";

struct Harness {
    app: Router,
    kms: Arc<Kms>,
    _dir: tempfile::TempDir,
}

async fn harness_with_clock(clock: Arc<dyn Clock>) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("keyward.db").display());
    let store = keyward_store::open(&url).await.unwrap();
    let root = SecretBytes::new(keyward_crypto::random::bytes(32).unwrap());
    let kms = Arc::new(Kms::open_with_clock(store, &root, KmsConfig::default(), clock).await.unwrap());
    kms.ensure_bootstrap_access_key(Some((AK.into(), SecretBytes::from_slice(SECRET.as_bytes())))).await.unwrap();
    let app = router(Arc::new(AppState::new(kms.clone())));
    Harness { app, kms, _dir: dir }
}

async fn harness() -> Harness {
    harness_with_clock(Arc::new(SystemClock)).await
}

/// The signing time: the service clock (tests may move it).
fn now(h: &Harness) -> String {
    keyward_protocol::time::format(h.kms.now())
}

fn nonce() -> String {
    keyward_crypto::random::uuid_v4().unwrap().replace('-', "")
}

fn owned(params: &[(&str, &str)]) -> Vec<(String, String)> {
    params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn form(v: &[(String, String)]) -> String {
    v.iter().map(|(k, v)| format!("{}={}", pct(k), pct(v))).collect::<Vec<_>>().join("&")
}

/// An ACS3-signed POST as the Tea SDK sends it: `query` in the URL, `body` as a form body.
fn acs3_request(h: &Harness, action: &str, query: &[(&str, &str)], body: &[(&str, &str)]) -> Request<Body> {
    let query = owned(query);
    let body = form(&owned(body));
    let mut headers = vec![
        ("host".to_string(), "127.0.0.1:8080".to_string()),
        ("x-acs-action".to_string(), action.to_string()),
        ("x-acs-version".to_string(), "2016-01-20".to_string()),
        ("x-acs-date".to_string(), now(h)),
        ("x-acs-signature-nonce".to_string(), nonce()),
        ("accept".to_string(), "application/json".to_string()),
    ];
    if !body.is_empty() {
        headers.push(("content-type".to_string(), "application/x-www-form-urlencoded".to_string()));
    }
    let signed = sign_acs3("POST", &query, &headers, body.as_bytes(), AK, SECRET.as_bytes());
    let mut b = Request::builder().method("POST").uri(format!("/?{}", canonical_query(&query)));
    for (k, v) in signed {
        b = b.header(k, v);
    }
    b.body(Body::from(body)).unwrap()
}

/// A V1 (HMAC-SHA1) request with the API parameters in the query or in a form body.
fn v1_request(h: &Harness, action: &str, params: &[(&str, &str)], in_body: bool) -> Request<Body> {
    let mut common = owned(&[
        ("Action", action),
        ("Version", "2016-01-20"),
        ("Format", "JSON"),
        ("AccessKeyId", AK),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
    ]);
    common.push(("Timestamp".into(), now(h)));
    common.push(("SignatureNonce".into(), nonce()));
    let api = owned(params);
    let mut all: Vec<(String, String)> = common.iter().chain(api.iter()).cloned().collect();
    all.sort();
    let sts = format!("POST&%2F&{}", pct(&form(&all)));
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, format!("{SECRET}&").as_bytes());
    let sig = base64::engine::general_purpose::STANDARD.encode(hmac::sign(&key, sts.as_bytes()).as_ref());
    common.push(("Signature".into(), sig));
    if in_body {
        Request::builder()
            .method("POST")
            .uri(format!("/?{}", form(&common)))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(form(&api)))
            .unwrap()
    } else {
        let q: Vec<(String, String)> = common.into_iter().chain(api).collect();
        Request::builder().method("POST").uri(format!("/?{}", form(&q))).body(Body::empty()).unwrap()
    }
}

async fn send(h: &Harness, req: Request<Body>) -> (StatusCode, Value) {
    let resp = h.app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    assert!(v["RequestId"].as_str().is_some_and(|s| s.len() == 36), "RequestId always present: {v}");
    (status, v)
}

async fn call(h: &Harness, action: &str, params: &[(&str, &str)]) -> (StatusCode, Value) {
    send(h, acs3_request(h, action, params, &[])).await
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

async fn create(h: &Harness, name: &str, data: &str) -> Value {
    ok(h, "CreateSecret", &[("SecretName", name), ("VersionId", "v1"), ("SecretData", data)]).await
}

async fn get(h: &Harness, params: &[(&str, &str)]) -> Value {
    ok(h, "GetSecretValue", params).await
}

#[tokio::test]
async fn create_get_put_describe_list_shapes() {
    let h = harness().await;
    let tags = r#"[{"TagKey":"env","TagValue":"prod"}]"#;
    let v = ok(
        &h,
        "CreateSecret",
        &[
            ("SecretName", "db/prod"),
            ("VersionId", "v1"),
            ("SecretData", "p@ss w0rd"),
            ("Description", "the prod db"),
            ("Tags", tags),
            ("ExtendedConfig", r#"{"ignored":"for Generic"}"#),
        ],
    )
    .await;
    assert_eq!(v["Arn"], h.kms.secret_arn("db/prod"));
    assert_eq!(
        (&v["SecretName"], &v["SecretType"], &v["VersionId"]),
        (&json!("db/prod"), &json!("Generic"), &json!("v1"))
    );
    assert!(v.get("DKMSInstanceId").is_none());

    let g = get(&h, &[("SecretName", "db/prod")]).await;
    assert_eq!(g["SecretData"], "p@ss w0rd");
    assert_eq!(
        (&g["SecretDataType"], &g["VersionId"], &g["SecretType"]),
        (&json!("text"), &json!("v1"), &json!("Generic"))
    );
    assert_eq!(g["VersionStages"], json!({ "VersionStage": ["ACSCurrent"] }));
    assert!(is_wire_time(&g["CreateTime"]));
    // By ARN, with FetchExtendedConfig.
    let arn = h.kms.secret_arn("db/prod");
    assert_eq!(get(&h, &[("SecretName", &arn), ("FetchExtendedConfig", "true")]).await["SecretData"], "p@ss w0rd");

    let p = ok(&h, "PutSecretValue", &[("SecretName", "db/prod"), ("VersionId", "v2"), ("SecretData", "two")]).await;
    assert_eq!(
        p,
        json!({ "SecretName": "db/prod", "VersionId": "v2", "VersionStages": { "VersionStage": ["ACSCurrent"] }, "RequestId": p["RequestId"] })
    );
    let p = ok(
        &h,
        "PutSecretValue",
        &[("SecretName", "db/prod"), ("VersionId", "v3"), ("SecretData", "three"), ("VersionStages", r#"["Blue"]"#)],
    )
    .await;
    assert_eq!(p["VersionStages"]["VersionStage"], json!(["Blue"]));
    assert_eq!(get(&h, &[("SecretName", "db/prod"), ("VersionStage", "ACSPrevious")]).await["SecretData"], "p@ss w0rd");
    assert_eq!(get(&h, &[("SecretName", "db/prod"), ("VersionId", "v3")]).await["SecretData"], "three");

    let l = ok(&h, "ListSecretVersionIds", &[("SecretName", "db/prod")]).await;
    assert_eq!(
        (&l["SecretName"], &l["TotalCount"], &l["PageNumber"], &l["PageSize"]),
        (&json!("db/prod"), &json!(3), &json!(1), &json!(20))
    );
    let versions = l["VersionIds"]["VersionId"].as_array().unwrap();
    assert_eq!(versions[0]["VersionId"], "v1");
    assert_eq!(versions[0]["VersionStages"]["VersionStage"], json!(["ACSPrevious"]));
    assert!(is_wire_time(&versions[0]["CreateTime"]));

    ok(
        &h,
        "UpdateSecretVersionStage",
        &[("SecretName", "db/prod"), ("VersionStage", "Blue"), ("RemoveFromVersion", "v3")],
    )
    .await;
    let l = ok(&h, "ListSecretVersionIds", &[("SecretName", "db/prod")]).await;
    assert_eq!(l["TotalCount"], 2, "v3 has no stage left: deprecated");
    let l = ok(&h, "ListSecretVersionIds", &[("SecretName", "db/prod"), ("IncludeDeprecated", "true")]).await;
    assert_eq!(l["TotalCount"], 3);
    let u = ok(
        &h,
        "UpdateSecretVersionStage",
        &[
            ("SecretName", "db/prod"),
            ("VersionStage", "ACSCurrent"),
            ("RemoveFromVersion", "v2"),
            ("MoveToVersion", "v1"),
        ],
    )
    .await;
    assert_eq!(u["SecretName"], "db/prod");
    assert_eq!(get(&h, &[("SecretName", "db/prod")]).await["SecretData"], "p@ss w0rd");

    assert_eq!(
        ok(&h, "UpdateSecret", &[("SecretName", "db/prod"), ("Description", "new")]).await["SecretName"],
        "db/prod"
    );
    let d = ok(&h, "DescribeSecret", &[("SecretName", "db/prod"), ("FetchTags", "true")]).await;
    assert_eq!(
        (&d["Arn"], &d["SecretName"], &d["SecretType"], &d["Description"]),
        (&json!(arn), &json!("db/prod"), &json!("Generic"), &json!("new"))
    );
    assert!(d["EncryptionKeyId"].as_str().is_some_and(|k| k.len() == 36));
    assert!(is_wire_time(&d["CreateTime"]) && is_wire_time(&d["UpdateTime"]));
    assert!(d.get("PlannedDeleteTime").is_none());
    assert_eq!(d["Tags"], json!({ "Tag": [{ "TagKey": "env", "TagValue": "prod" }] }));
    assert!(ok(&h, "DescribeSecret", &[("SecretName", "db/prod")]).await.get("Tags").is_none());

    create(&h, "api/token", "t").await;
    let l = ok(&h, "ListSecrets", &[("FetchTags", "true")]).await;
    assert_eq!((&l["TotalCount"], &l["PageNumber"], &l["PageSize"]), (&json!(2), &json!(1), &json!(10)));
    // Ordered by creation second, then name: find the entry by name.
    let first = l["SecretList"]["Secret"].as_array().unwrap().iter().find(|s| s["SecretName"] == "db/prod").unwrap();
    assert_eq!((&first["SecretName"], &first["SecretType"]), (&json!("db/prod"), &json!("Generic")));
    assert!(is_wire_time(&first["CreateTime"]) && is_wire_time(&first["UpdateTime"]));
    assert_eq!(first["Tags"]["Tag"][0]["TagKey"], "env");
    let filtered = ok(&h, "ListSecrets", &[("Filters", r#"[{"Key":"SecretName","Values":["api"]}]"#)]).await;
    assert_eq!(
        filtered["SecretList"]["Secret"],
        json!([{ "SecretName": "api/token", "SecretType": "Generic", "CreateTime": filtered["SecretList"]["Secret"][0]["CreateTime"], "UpdateTime": filtered["SecretList"]["Secret"][0]["UpdateTime"] }])
    );
    let tagged = ok(
        &h,
        "ListSecrets",
        &[("Filters", r#"[{"Key":"TagKey","Values":["env"]},{"Key":"SecretType","Values":["Generic"]}]"#)],
    )
    .await;
    assert_eq!(tagged["TotalCount"], 1);
    let paged = ok(&h, "ListSecrets", &[("PageNumber", "2"), ("PageSize", "1")]).await;
    assert_eq!((&paged["TotalCount"], paged["SecretList"]["Secret"].as_array().unwrap().len()), (&json!(2), 1));
    err(&h, "ListSecrets", &[("Filters", r#"[{"Key":"Color","Values":["x"]}]"#)], 400, "InvalidParameter").await;
    err(&h, "ListSecrets", &[("PageSize", "101")], 400, "InvalidParameter").await;
}

#[tokio::test]
async fn secret_data_in_the_form_body_and_in_the_query() {
    let h = harness().await;
    let tricky = "line1\nline2 & a=b+c %20 ü 密码 \"quoted\"";
    // Tea SDK: SecretData in the body, the rest in the query.
    let (s, v) = send(
        &h,
        acs3_request(&h, "CreateSecret", &[("SecretName", "tea"), ("VersionId", "v1")], &[("SecretData", tricky)]),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(get(&h, &[("SecretName", "tea")]).await["SecretData"], tricky);
    // V1 SDK: everything in the query; and V1 with a form body.
    for (name, in_body) in [("v1-query", false), ("v1-body", true)] {
        let req = v1_request(
            &h,
            "CreateSecret",
            &[("SecretName", name), ("VersionId", "v1"), ("SecretData", tricky)],
            in_body,
        );
        let (s, v) = send(&h, req).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let req = v1_request(
            &h,
            "PutSecretValue",
            &[("SecretName", name), ("VersionId", "v2"), ("SecretData", "second")],
            in_body,
        );
        assert_eq!(send(&h, req).await.0, StatusCode::OK);
        let req = v1_request(&h, "GetSecretValue", &[("SecretName", name), ("VersionId", "v1")], in_body);
        assert_eq!(send(&h, req).await.1["SecretData"], tricky);
    }
    // Binary data: base64 text, returned as given.
    let b64 = base64::engine::general_purpose::STANDARD.encode([0u8, 1, 2, 255, 254]);
    ok(
        &h,
        "CreateSecret",
        &[("SecretName", "bin"), ("VersionId", "v1"), ("SecretData", &b64), ("SecretDataType", "binary")],
    )
    .await;
    let g = get(&h, &[("SecretName", "bin")]).await;
    assert_eq!((&g["SecretData"], &g["SecretDataType"]), (&json!(b64), &json!("binary")));
}

#[tokio::test]
async fn error_codes_of_every_action() {
    let h = harness().await;
    create(&h, "app", "hunter2-value").await;
    let n = ("SecretName", "nope");

    // CreateSecret.
    err(&h, "CreateSecret", &[("VersionId", "v1"), ("SecretData", "x")], 400, "MissingParameter").await;
    err(&h, "CreateSecret", &[("SecretName", "a"), ("VersionId", "v1")], 400, "MissingParameter").await;
    err(
        &h,
        "CreateSecret",
        &[("SecretName", "app"), ("VersionId", "v1"), ("SecretData", "x")],
        409,
        "Rejected.ResourceExist",
    )
    .await;
    let base = [("SecretName", "new"), ("VersionId", "v1"), ("SecretData", "x")];
    let with = |extra: (&'static str, &'static str)| {
        let mut v = base.to_vec();
        v.push(extra);
        v
    };
    for managed in ["Rds", "Redis", "RAMCredentials", "ECS", "PolarDB"] {
        let mut p = base.to_vec();
        p.push(("SecretType", managed));
        let e = err(&h, "CreateSecret", &p, 400, "Rejected.UnsupportedOperation").await;
        assert!(e["Message"].as_str().unwrap().contains("Generic"), "{e}");
    }
    err(&h, "CreateSecret", &with(("SecretType", "Other")), 400, "InvalidParameter").await;
    err(&h, "CreateSecret", &with(("EnableAutomaticRotation", "true")), 400, "Rejected.UnsupportedOperation").await;
    err(&h, "CreateSecret", &with(("SecretDataType", "blob")), 400, "InvalidParameter").await;
    err(&h, "CreateSecret", &with(("ExtendedConfig", "[1]")), 400, "InvalidParameter").await;
    err(&h, "CreateSecret", &with(("Policy", r#"{"Statement":[]}"#)), 400, "InvalidParameter").await;
    err(&h, "CreateSecret", &with(("Tags", "not json")), 400, "InvalidParameter").await;
    err(&h, "CreateSecret", &with(("DKMSInstanceId", "kst-nope")), 400, "MissingParameter").await;
    err(&h, "CreateSecret", &with(("EncryptionKeyId", "alias/nope")), 404, "Forbidden.AliasNotFound").await;
    let mut p = with(("DKMSInstanceId", "kst-nope"));
    p.push(("EncryptionKeyId", "alias/x"));
    err(&h, "CreateSecret", &p, 403, "Forbidden.DKMSInstanceNotFound").await;
    let mut p =
        vec![("SecretName", "bin"), ("VersionId", "v1"), ("SecretData", "not base64!"), ("SecretDataType", "binary")];
    err(&h, "CreateSecret", &p, 400, "InvalidParameter").await;
    p[0] = ("SecretName", "acs/reserved");
    err(&h, "CreateSecret", &p, 400, "InvalidParameter").await;

    // GetSecretValue.
    err(&h, "GetSecretValue", &[n], 404, "Forbidden.ResourceNotFound").await;
    err(&h, "GetSecretValue", &[("SecretName", "acs:kms:cn-beijing:1:secret/app")], 404, "Forbidden.ResourceNotFound")
        .await;
    err(&h, "GetSecretValue", &[("SecretName", "app"), ("VersionId", "v9")], 404, "Forbidden.ResourceNotFound").await;
    err(&h, "GetSecretValue", &[("SecretName", "app"), ("VersionStage", "Blue")], 404, "Forbidden.ResourceNotFound")
        .await;
    ok(&h, "PutSecretValue", &[("SecretName", "app"), ("VersionId", "v2"), ("SecretData", "second-value")]).await;
    err(
        &h,
        "GetSecretValue",
        &[("SecretName", "app"), ("VersionId", "v1"), ("VersionStage", "ACSCurrent")],
        400,
        "Rejected.InvalidRequest",
    )
    .await;
    err(&h, "GetSecretValue", &[("SecretName", "app"), ("FetchExtendedConfig", "maybe")], 400, "InvalidParameter")
        .await;

    // PutSecretValue: idempotent, then a conflict that does not echo the data.
    ok(&h, "PutSecretValue", &[("SecretName", "app"), ("VersionId", "v2"), ("SecretData", "second-value")]).await;
    let e = err(
        &h,
        "PutSecretValue",
        &[("SecretName", "app"), ("VersionId", "v2"), ("SecretData", "other-value")],
        409,
        "Rejected.ResourceExist",
    )
    .await;
    assert!(!e.to_string().contains("other-value") && !e.to_string().contains("second-value"));
    err(&h, "PutSecretValue", &[n, ("VersionId", "v2"), ("SecretData", "x")], 404, "Forbidden.ResourceNotFound").await;
    err(
        &h,
        "PutSecretValue",
        &[("SecretName", "app"), ("VersionId", "v3"), ("SecretData", "x"), ("VersionStages", "ACSCurrent")],
        400,
        "InvalidParameter",
    )
    .await;
    err(
        &h,
        "PutSecretValue",
        &[("SecretName", "app"), ("VersionId", "v 3"), ("SecretData", "x")],
        400,
        "InvalidParameter",
    )
    .await;

    // UpdateSecretVersionStage.
    err(&h, "UpdateSecretVersionStage", &[("SecretName", "app"), ("VersionStage", "X")], 400, "MissingParameter").await;
    err(&h, "UpdateSecretVersionStage", &[("SecretName", "app"), ("MoveToVersion", "v1")], 400, "MissingParameter")
        .await;
    let e = err(
        &h,
        "UpdateSecretVersionStage",
        &[("SecretName", "app"), ("VersionStage", "ACSCurrent"), ("RemoveFromVersion", "v1"), ("MoveToVersion", "v2")],
        400,
        "Rejected.InvalidRequest",
    )
    .await;
    assert!(e["Message"].as_str().unwrap().starts_with("param mismatch"));
    err(
        &h,
        "UpdateSecretVersionStage",
        &[("SecretName", "app"), ("VersionStage", "ACSCurrent"), ("RemoveFromVersion", "v2")],
        400,
        "InvalidParameter",
    )
    .await;
    err(
        &h,
        "UpdateSecretVersionStage",
        &[("SecretName", "app"), ("VersionStage", "X"), ("MoveToVersion", "v9")],
        404,
        "Forbidden.ResourceNotFound",
    )
    .await;
    err(
        &h,
        "UpdateSecretVersionStage",
        &[n, ("VersionStage", "X"), ("MoveToVersion", "v1")],
        404,
        "Forbidden.ResourceNotFound",
    )
    .await;

    // UpdateSecret: CustomData in both forms is for managed secrets.
    err(
        &h,
        "UpdateSecret",
        &[("SecretName", "app"), ("ExtendedConfig.CustomData.port", "5432")],
        400,
        "Rejected.UnsupportedOperation",
    )
    .await;
    err(
        &h,
        "UpdateSecret",
        &[("SecretName", "app"), ("ExtendedConfig", r#"{"CustomData":{"port":"5432"}}"#)],
        400,
        "Rejected.UnsupportedOperation",
    )
    .await;
    err(&h, "UpdateSecret", &[n, ("Description", "d")], 404, "Forbidden.ResourceNotFound").await;
    err(&h, "UpdateSecret", &[("SecretName", "app"), ("Description", &"d".repeat(1025))], 400, "InvalidParameter")
        .await;

    // Describe / list versions of an unknown secret.
    err(&h, "DescribeSecret", &[n], 404, "Forbidden.ResourceNotFound").await;
    err(&h, "DescribeSecret", &[], 400, "MissingParameter").await;
    err(&h, "ListSecretVersionIds", &[n], 404, "Forbidden.ResourceNotFound").await;

    // Rotation: managed secrets only.
    let e =
        err(&h, "RotateSecret", &[("SecretName", "app"), ("VersionId", "r1")], 400, "Rejected.UnsupportedOperation")
            .await;
    assert!(e["Message"].as_str().unwrap().contains("Generic"));
    err(&h, "RotateSecret", &[n, ("VersionId", "r1")], 404, "Forbidden.ResourceNotFound").await;
    err(&h, "RotateSecret", &[("SecretName", "app")], 400, "MissingParameter").await;
    err(
        &h,
        "UpdateSecretRotationPolicy",
        &[("SecretName", "app"), ("EnableAutomaticRotation", "true"), ("RotationInterval", "7d")],
        400,
        "Rejected.UnsupportedOperation",
    )
    .await;
    err(
        &h,
        "UpdateSecretRotationPolicy",
        &[n, ("EnableAutomaticRotation", "false")],
        404,
        "Forbidden.ResourceNotFound",
    )
    .await;
    err(&h, "UpdateSecretRotationPolicy", &[("SecretName", "app")], 400, "MissingParameter").await;

    // Policies.
    let pol = ok(&h, "GetSecretPolicy", &[("SecretName", "app")]).await;
    let doc: Value = serde_json::from_str(pol["Policy"].as_str().unwrap()).unwrap();
    assert_eq!(doc["Statement"][0]["Principal"]["RAM"][0], "acs:ram::1000000000000000:*");
    let mine = r#"{"Version":"1","Statement":[{"Effect":"Allow","Principal":{"RAM":["acs:ram::1000000000000000:user/app"]},"Action":["kms:GetSecretValue"],"Resource":["*"]}]}"#;
    let set = ok(&h, "SetSecretPolicy", &[("SecretName", "app"), ("Policy", mine), ("PolicyName", "default")]).await;
    assert_eq!(set.as_object().unwrap().len(), 1, "only RequestId: {set}");
    assert_eq!(ok(&h, "GetSecretPolicy", &[("SecretName", "app"), ("PolicyName", "default")]).await["Policy"], mine);
    err(&h, "GetSecretPolicy", &[("SecretName", "app"), ("PolicyName", "custom")], 400, "InvalidParameter").await;
    err(&h, "SetSecretPolicy", &[("SecretName", "app"), ("Policy", "[]")], 400, "InvalidParameter").await;
    err(&h, "SetSecretPolicy", &[("SecretName", "app")], 400, "MissingParameter").await;
    err(&h, "SetSecretPolicy", &[n, ("Policy", mine)], 404, "Forbidden.ResourceNotFound").await;

    // GetRandomPassword.
    let pw = ok(&h, "GetRandomPassword", &[]).await["RandomPassword"].as_str().unwrap().to_string();
    assert_eq!(pw.len(), 32);
    let pw = ok(
        &h,
        "GetRandomPassword",
        &[("PasswordLength", "12"), ("ExcludePunctuation", "true"), ("ExcludeCharacters", "0Oo1lI")],
    )
    .await;
    let pw = pw["RandomPassword"].as_str().unwrap();
    assert!(pw.len() == 12 && pw.chars().all(|c| c.is_ascii_alphanumeric() && !"0Oo1lI".contains(c)), "{pw}");
    err(&h, "GetRandomPassword", &[("PasswordLength", "7")], 400, "InvalidParameter").await;
    err(&h, "GetRandomPassword", &[("PasswordLength", "129")], 400, "InvalidParameter").await;
    let all = [
        ("ExcludeLowercase", "true"),
        ("ExcludeUppercase", "true"),
        ("ExcludeNumbers", "true"),
        ("ExcludePunctuation", "true"),
    ];
    err(&h, "GetRandomPassword", &all, 400, "InvalidParameter").await;

    // DeleteSecret parameters.
    err(
        &h,
        "DeleteSecret",
        &[("SecretName", "app"), ("ForceDeleteWithoutRecovery", "true"), ("RecoveryWindowInDays", "7")],
        400,
        "InvalidParameter",
    )
    .await;
    err(&h, "DeleteSecret", &[("SecretName", "app"), ("RecoveryWindowInDays", "6")], 400, "InvalidParameter").await;
    err(&h, "DeleteSecret", &[n], 404, "Forbidden.ResourceNotFound").await;
    err(&h, "RestoreSecret", &[("SecretName", "app")], 409, "Rejected.ResourceInUse").await;
    err(&h, "RestoreSecret", &[n], 404, "Forbidden.ResourceNotFound").await;
}

#[tokio::test]
async fn the_encryption_key_state_gates_reads() {
    let h = harness().await;
    let key = ok(&h, "CreateKey", &[]).await["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();
    ok(
        &h,
        "CreateSecret",
        &[("SecretName", "app"), ("VersionId", "v1"), ("SecretData", "x"), ("EncryptionKeyId", &key)],
    )
    .await;
    assert_eq!(ok(&h, "DescribeSecret", &[("SecretName", "app")]).await["EncryptionKeyId"], key);
    ok(&h, "DisableKey", &[("KeyId", &key)]).await;
    let e = err(&h, "GetSecretValue", &[("SecretName", "app")], 409, "Rejected.Disabled").await;
    let msg = e["Message"].as_str().unwrap();
    assert!(msg.contains(&key) && msg.contains("Disabled"), "{msg}");
    err(
        &h,
        "PutSecretValue",
        &[("SecretName", "app"), ("VersionId", "v2"), ("SecretData", "y")],
        409,
        "Rejected.Disabled",
    )
    .await;
    err(
        &h,
        "CreateSecret",
        &[("SecretName", "b"), ("VersionId", "v1"), ("SecretData", "x"), ("EncryptionKeyId", &key)],
        409,
        "Rejected.Disabled",
    )
    .await;
    ok(&h, "EnableKey", &[("KeyId", &key)]).await;
    assert_eq!(get(&h, &[("SecretName", "app")]).await["SecretData"], "x");
    let ec = ok(&h, "CreateKey", &[("KeySpec", "EC_P256"), ("KeyUsage", "SIGN/VERIFY")]).await["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    err(
        &h,
        "CreateSecret",
        &[("SecretName", "c"), ("VersionId", "v1"), ("SecretData", "x"), ("EncryptionKeyId", &ec)],
        400,
        "InvalidParameter",
    )
    .await;
}

#[tokio::test]
async fn dry_run_checks_without_returning_the_value() {
    let h = harness().await;
    create(&h, "app", "dry").await;
    let e = err(&h, "GetSecretValue", &[("SecretName", "app"), ("DryRun", "true")], 400, "DryRunOperationError").await;
    assert!(!e.to_string().contains("dry\""));
    err(&h, "GetSecretValue", &[("SecretName", "nope"), ("DryRun", "true")], 404, "Forbidden.ResourceNotFound").await;
    assert_eq!(get(&h, &[("SecretName", "app"), ("DryRun", "false")]).await["SecretData"], "dry");
}

#[tokio::test]
async fn batch_get_values_and_errors() {
    let h = harness().await;
    create(&h, "a", "value-a").await;
    create(&h, "b", "value-b").await;
    ok(&h, "PutSecretValue", &[("SecretName", "b"), ("VersionId", "v2"), ("SecretData", "value-b2")]).await;
    create(&h, "gone", "value-gone").await;
    ok(&h, "DeleteSecret", &[("SecretName", "gone")]).await;
    let list = r#"[{"SecretName":"a"},{"SecretName":"b","VersionStage":"ACSPrevious","FetchExtendedConfig":true},{"SecretName":"nope"},{"SecretName":"gone"},{"SecretName":"b","VersionId":"v1","VersionStage":"ACSCurrent"}]"#;
    let v = ok(&h, "BatchGetSecretValue", &[("SecretsList", list)]).await;
    let values = v["SecretValues"].as_array().unwrap();
    assert_eq!(values.len(), 2);
    assert_eq!((&values[0]["SecretName"], &values[0]["SecretData"]), (&json!("a"), &json!("value-a")));
    assert_eq!((&values[1]["SecretData"], &values[1]["VersionId"]), (&json!("value-b"), &json!("v1")));
    assert_eq!(values[1]["VersionStages"]["VersionStage"], json!(["ACSPrevious"]));
    assert!(
        values.iter().all(|x| x["RequestId"].as_str().is_some_and(|r| r.len() == 36) && is_wire_time(&x["CreateTime"]))
    );
    let errors = v["Errors"].as_array().unwrap();
    let codes: Vec<(&str, &str, u64)> = errors
        .iter()
        .map(|e| (e["SecretName"].as_str().unwrap(), e["Code"].as_str().unwrap(), e["HttpStatus"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        codes,
        [
            ("nope", "Forbidden.ResourceNotFound", 404),
            ("gone", "Rejected.ResourceInDeleteWindow", 409),
            ("b", "Rejected.InvalidRequest", 400)
        ]
    );
    assert!(errors.iter().all(|e| e["Message"].as_str().is_some_and(|m| !m.is_empty())));

    // The flattened form.
    let v = ok(
        &h,
        "BatchGetSecretValue",
        &[("SecretsList.1.SecretName", "a"), ("SecretsList.2.SecretName", "b"), ("SecretsList.2.VersionId", "v2")],
    )
    .await;
    let data: Vec<&str> =
        v["SecretValues"].as_array().unwrap().iter().map(|x| x["SecretData"].as_str().unwrap()).collect();
    assert_eq!(data, ["value-a", "value-b2"]);
    assert_eq!(v["Errors"], json!([]));

    err(&h, "BatchGetSecretValue", &[], 400, "MissingParameter").await;
    let many = format!("[{}]", vec![r#"{"SecretName":"a"}"#; 21].join(","));
    err(&h, "BatchGetSecretValue", &[("SecretsList", &many)], 400, "InvalidParameter").await;
    err(&h, "BatchGetSecretValue", &[("SecretsList", r#"[{"VersionId":"v1"}]"#)], 400, "InvalidParameter").await;
}

#[tokio::test]
async fn recovery_window_restore_force_and_purge() {
    let clock = ManualClock::new();
    let h = harness_with_clock(clock.clone()).await;
    create(&h, "app", "x").await;
    let d = ok(&h, "DeleteSecret", &[("SecretName", "app"), ("RecoveryWindowInDays", "7")]).await;
    assert_eq!(d["SecretName"], "app");
    let planned = keyward_protocol::time::parse(d["PlannedDeleteTime"].as_str().unwrap()).unwrap();
    assert_eq!(planned, h.kms.now() + 7 * 86_400);

    for (action, params) in [
        ("GetSecretValue", vec![("SecretName", "app")]),
        ("PutSecretValue", vec![("SecretName", "app"), ("VersionId", "v2"), ("SecretData", "y")]),
        ("UpdateSecret", vec![("SecretName", "app"), ("Description", "d")]),
        ("UpdateSecretVersionStage", vec![("SecretName", "app"), ("VersionStage", "X"), ("MoveToVersion", "v1")]),
        ("GetSecretPolicy", vec![("SecretName", "app")]),
        ("RotateSecret", vec![("SecretName", "app"), ("VersionId", "r")]),
        ("DeleteSecret", vec![("SecretName", "app")]),
        ("CreateSecret", vec![("SecretName", "app"), ("VersionId", "v1"), ("SecretData", "x")]),
    ] {
        err(&h, action, &params, 409, "Rejected.ResourceInDeleteWindow").await;
    }
    let desc = ok(&h, "DescribeSecret", &[("SecretName", "app")]).await;
    assert_eq!(desc["PlannedDeleteTime"], d["PlannedDeleteTime"]);
    let listed = ok(&h, "ListSecrets", &[]).await;
    assert_eq!(listed["SecretList"]["Secret"][0]["PlannedDeleteTime"], d["PlannedDeleteTime"]);
    ok(&h, "ListSecretVersionIds", &[("SecretName", "app")]).await;

    assert_eq!(ok(&h, "RestoreSecret", &[("SecretName", "app")]).await["SecretName"], "app");
    assert_eq!(get(&h, &[("SecretName", "app")]).await["SecretData"], "x");
    assert!(ok(&h, "DescribeSecret", &[("SecretName", "app")]).await.get("PlannedDeleteTime").is_none());

    // Default window 30 days; purged by the job once it has passed.
    let d = ok(&h, "DeleteSecret", &[("SecretName", "app")]).await;
    let planned = keyward_protocol::time::parse(d["PlannedDeleteTime"].as_str().unwrap()).unwrap();
    assert_eq!(planned, h.kms.now() + 30 * 86_400);
    assert!(h.kms.purge_due_secrets(h.kms.now()).await.unwrap().is_empty());
    clock.advance_ms(30 * 86_400 * 1000);
    assert_eq!(h.kms.purge_due_secrets(h.kms.now()).await.unwrap(), ["app"]);
    err(&h, "DescribeSecret", &[("SecretName", "app")], 404, "Forbidden.ResourceNotFound").await;
    create(&h, "app", "again").await;

    // Forced: gone at once, PlannedDeleteTime = now; also from inside a window.
    ok(&h, "DeleteSecret", &[("SecretName", "app"), ("RecoveryWindowInDays", "7")]).await;
    let f = ok(&h, "DeleteSecret", &[("SecretName", "app"), ("ForceDeleteWithoutRecovery", "true")]).await;
    assert_eq!(keyward_protocol::time::parse(f["PlannedDeleteTime"].as_str().unwrap()).unwrap(), h.kms.now());
    err(&h, "GetSecretValue", &[("SecretName", "app")], 404, "Forbidden.ResourceNotFound").await;
    assert_eq!(ok(&h, "ListSecrets", &[]).await["TotalCount"], 0);
}

#[tokio::test]
async fn instance_secrets_and_quota() {
    let h = harness().await;
    let inst = h.kms.create_instance(keyward_core::model::InstanceKind::Software, None, 1000, 10).await.unwrap();
    let id = inst.instance_id.as_str();
    let key =
        ok(&h, "CreateKey", &[("DKMSInstanceId", id)]).await["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();
    let other = ok(&h, "CreateKey", &[]).await["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();
    let v = ok(
        &h,
        "CreateSecret",
        &[
            ("SecretName", "i"),
            ("VersionId", "v1"),
            ("SecretData", "x"),
            ("DKMSInstanceId", id),
            ("EncryptionKeyId", &key),
        ],
    )
    .await;
    assert_eq!(v["DKMSInstanceId"], id);
    assert_eq!(ok(&h, "DescribeSecret", &[("SecretName", "i")]).await["DKMSInstanceId"], id);
    err(
        &h,
        "CreateSecret",
        &[
            ("SecretName", "j"),
            ("VersionId", "v1"),
            ("SecretData", "x"),
            ("DKMSInstanceId", id),
            ("EncryptionKeyId", &other),
        ],
        400,
        "InvalidParameter",
    )
    .await;
    let filtered =
        ok(&h, "ListSecrets", &[("Filters", &format!(r#"[{{"Key":"DKMSInstanceId","Values":["{id}"]}}]"#))]).await;
    assert_eq!(filtered["TotalCount"], 1);
}

#[tokio::test]
async fn tags_on_secrets() {
    let h = harness().await;
    create(&h, "tagged", "v").await;
    create(&h, "other", "v").await;
    let arn = h.kms.secret_arn("tagged");
    ok(&h, "TagResource", &[("SecretName", &arn), ("Tags", r#"[{"TagKey":"env","TagValue":"prod"}]"#)]).await;
    ok(
        &h,
        "TagResources",
        &[
            ("ResourceType", "secret"),
            ("ResourceId.1", "tagged"),
            ("ResourceId.2", "other"),
            ("Tag.1.Key", "team"),
            ("Tag.1.Value", "pay"),
        ],
    )
    .await;
    let d = ok(&h, "DescribeSecret", &[("SecretName", "tagged"), ("FetchTags", "true")]).await;
    assert_eq!(d["Tags"]["Tag"], json!([{"TagKey": "env", "TagValue": "prod"}, {"TagKey": "team", "TagValue": "pay"}]));
    let l = ok(&h, "ListTagResources", &[("ResourceType", "secret"), ("ResourceId.1", "tagged")]).await;
    assert_eq!(
        l["TagResources"]["TagResource"],
        json!([
            {"ResourceId": "tagged", "ResourceType": "secret", "TagKey": "env", "TagValue": "prod"},
            {"ResourceId": "tagged", "ResourceType": "secret", "TagKey": "team", "TagValue": "pay"},
        ])
    );
    // Secret tags and key tags are separate listings.
    let keys = ok(&h, "ListTagResources", &[("ResourceType", "key")]).await;
    assert_eq!(keys["TagResources"]["TagResource"], json!([]));
    let f = ok(&h, "ListSecrets", &[("Filters", r#"[{"Key":"TagKey","Values":["team"]}]"#)]).await;
    assert_eq!(f["TotalCount"], 2);

    ok(&h, "UntagResource", &[("SecretName", "tagged"), ("TagKeys", r#"["env"]"#)]).await;
    ok(&h, "UntagResources", &[("ResourceType", "secret"), ("ResourceId.1", "other"), ("All", "true")]).await;
    let l = ok(&h, "ListTagResources", &[("ResourceType", "secret")]).await;
    assert_eq!(
        l["TagResources"]["TagResource"],
        json!([{"ResourceId": "tagged", "ResourceType": "secret", "TagKey": "team", "TagValue": "pay"}])
    );

    err(
        &h,
        "TagResource",
        &[("SecretName", "missing"), ("Tags", r#"[{"TagKey":"a","TagValue":"b"}]"#)],
        404,
        "Forbidden.ResourceNotFound",
    )
    .await;
    err(
        &h,
        "TagResource",
        &[("KeyId", "k"), ("SecretName", "tagged"), ("Tags", r#"[{"TagKey":"a","TagValue":"b"}]"#)],
        400,
        "InvalidParameter",
    )
    .await;
    err(
        &h,
        "TagResource",
        &[("CertificateId", "c"), ("Tags", r#"[{"TagKey":"a","TagValue":"b"}]"#)],
        400,
        "Rejected.UnsupportedOperation",
    )
    .await;
    // At most 20 tags per secret.
    let many: Vec<Value> = (0..20).map(|i| json!({"TagKey": format!("k{i}"), "TagValue": "v"})).collect();
    ok(&h, "TagResource", &[("SecretName", "other"), ("Tags", &Value::Array(many).to_string())]).await;
    let one_more = r#"[{"TagKey":"k20","TagValue":"v"}]"#;
    err(&h, "TagResource", &[("SecretName", "other"), ("Tags", one_more)], 400, "Rejected.LimitExceeded").await;
    // A secret in its recovery window refuses tag changes but is still listed.
    ok(&h, "DeleteSecret", &[("SecretName", "tagged"), ("RecoveryWindowInDays", "7")]).await;
    err(
        &h,
        "TagResource",
        &[("SecretName", "tagged"), ("Tags", r#"[{"TagKey":"a","TagValue":"b"}]"#)],
        409,
        "Rejected.ResourceInDeleteWindow",
    )
    .await;
    let l = ok(&h, "ListTagResources", &[("ResourceType", "secret"), ("ResourceId.1", "tagged")]).await;
    assert_eq!(l["TagResources"]["TagResource"].as_array().unwrap().len(), 1);
}
