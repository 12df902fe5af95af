//! Metrics and health through the routers (no socket): after signed requests of both protocols
//! `/metrics` (admin router) parses line by line as the Prometheus text format and counts what
//! was sent (successes as `OK`, a bad signature under its code, a garbage action as `other`),
//! histogram buckets are cumulative and `_count` matches the requests; cache, audit and build
//! series are there; `/healthz` and `/readyz` answer on both routers; `/metrics` is 404 on the
//! API router.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use keyward_core::{Kms, KmsConfig};
use keyward_crypto::SecretBytes;
use keyward_protocol::huawei::signature::{self as hw_sig, format_sdk_date};
use keyward_protocol::signature::{canonical_query, sign_acs3};
use keyward_server::app::{AppState, router};
use keyward_server::audit::{self, Audit};
use keyward_server::metrics::admin_router;
use serde_json::{Value, json};
use tower::ServiceExt;

const AK: &str = "LTAImetricsadmin";
const SECRET: &str = "metrics-secret-0123456789";
const PROJECT: &str = "0123456789abcdef0123456789abcdef";

struct Harness {
    api: Router,
    admin: Router,
    audit: Audit,
    _dir: tempfile::TempDir,
}

async fn harness() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("keyward.db").display());
    let store = keyward_store::open(&url).await.unwrap();
    let root = SecretBytes::new(keyward_crypto::random::bytes(32).unwrap());
    let config = KmsConfig { wrapping_pool_size: 0, ..KmsConfig::default() };
    let kms = Arc::new(Kms::open(store, &root, config).await.unwrap());
    kms.ensure_bootstrap_access_key(Some((AK.into(), SecretBytes::from_slice(SECRET.as_bytes())))).await.unwrap();
    let audit = Audit::start(&dir.path().join("audit"), audit::DEFAULT_MAX_FILE_BYTES).unwrap();
    let state = Arc::new(AppState::new(kms).with_huawei_project(Some(PROJECT.into())).with_audit(audit.clone()));
    Harness { api: router(state.clone()), admin: admin_router(state), audit, _dir: dir }
}

fn acs3(action: &str, params: &[(&str, &str)], secret: &str) -> Request<Body> {
    let query: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let now = keyward_core::clock::system_now_ms() / 1000;
    let headers = vec![
        ("host".to_string(), "127.0.0.1:8080".to_string()),
        ("x-acs-action".to_string(), action.to_string()),
        ("x-acs-version".to_string(), "2016-01-20".to_string()),
        ("x-acs-date".to_string(), keyward_protocol::time::format(now)),
        ("x-acs-signature-nonce".to_string(), keyward_crypto::random::uuid_v4().unwrap()),
    ];
    let signed = sign_acs3("POST", &query, &headers, b"", AK, secret.as_bytes());
    let mut b = Request::builder().method("POST").uri(format!("/?{}", canonical_query(&query)));
    for (k, v) in signed {
        b = b.header(k, v);
    }
    b.body(Body::empty()).unwrap()
}

fn huawei_request(op: &str, body: &Value) -> Request<Body> {
    let body = body.to_string().into_bytes();
    let path = format!("/v1.0/{PROJECT}/kms/{op}");
    let headers = vec![
        ("Content-Type".to_string(), "application/json;charset=utf-8".to_string()),
        ("Host".to_string(), "127.0.0.1:8080".to_string()),
        ("X-Sdk-Date".to_string(), format_sdk_date(keyward_core::clock::system_now_ms() / 1000)),
    ];
    let names = ["content-type", "host", "x-sdk-date"];
    let req = hw_sig::Request { method: "POST", path: &path, query: "", headers: &headers, body: &body };
    let auth = hw_sig::sign(&req, AK, SECRET.as_bytes(), &names).unwrap();
    let mut b = Request::builder().method("POST").uri(&path);
    for (k, v) in &headers {
        b = b.header(k, v);
    }
    b.header("Authorization", auth).body(Body::from(body)).unwrap()
}

async fn send(app: &Router, req: Request<Body>) -> (u16, Option<String>, Vec<u8>) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    let ct = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_string());
    (status, ct, resp.into_body().collect().await.unwrap().to_bytes().to_vec())
}

async fn call(h: &Harness, req: Request<Body>) -> (u16, Value) {
    let (status, _, body) = send(&h.api, req).await;
    (status, if body.is_empty() { Value::Null } else { serde_json::from_slice(&body).unwrap() })
}

fn get(path: &str) -> Request<Body> {
    Request::builder().uri(path).body(Body::empty()).unwrap()
}

type Labels = Vec<(String, String)>;

/// One exposition, parsed strictly: every sample's family has a `# HELP` and a `# TYPE` before
/// it, counters end in `_total`, histogram samples are `_bucket` (with `le`), `_sum`, `_count`.
struct Exposition {
    kinds: HashMap<String, String>,
    samples: Vec<(String, Labels, f64)>,
}

fn parse_labels(s: &str) -> Labels {
    // Label values here never hold `,` or `"`; escaping is unit-tested in the module.
    let inner = s.strip_prefix('{').and_then(|s| s.strip_suffix('}')).expect("braced labels");
    inner
        .split(',')
        .map(|kv| {
            let (k, v) = kv.split_once('=').expect("k=v");
            assert!(k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "label name {k}");
            let v = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).expect("quoted value");
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn parse(text: &str) -> Exposition {
    let mut kinds = HashMap::new();
    let mut helped = std::collections::HashSet::new();
    let mut samples = Vec::new();
    for line in text.lines() {
        assert!(!line.is_empty(), "no blank lines");
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap();
            assert!(!help.is_empty());
            helped.insert(name.to_string());
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
            assert!(kinds.insert(name.to_string(), kind.to_string()).is_none(), "duplicate TYPE: {line}");
            continue;
        }
        assert!(!line.starts_with('#'), "{line}");
        let (series, value) = line.rsplit_once(' ').unwrap();
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("bad value: {line}"));
        let (name, labels) = match series.find('{') {
            Some(i) => (&series[..i], parse_labels(&series[i..])),
            None => (series, Vec::new()),
        };
        assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'), "{line}");
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| {
                name.strip_suffix(suffix).filter(|f| kinds.get(*f).is_some_and(|k: &String| k == "histogram"))
            })
            .unwrap_or(name);
        let kind = kinds.get(family).unwrap_or_else(|| panic!("sample before its TYPE: {line}"));
        assert!(helped.contains(family), "sample without HELP: {line}");
        match kind.as_str() {
            "counter" => assert!(name.ends_with("_total"), "{line}"),
            "histogram" => {
                assert_ne!(name, family, "{line}");
                assert_eq!(name.ends_with("_bucket"), labels.iter().any(|(k, _)| k == "le"), "{line}");
            }
            _ => {}
        }
        samples.push((name.to_string(), labels, value));
    }
    Exposition { kinds, samples }
}

impl Exposition {
    fn get(&self, name: &str, want: &[(&str, &str)]) -> Option<f64> {
        self.samples
            .iter()
            .find(|(n, l, _)| {
                n == name && l.len() == want.len() && want.iter().all(|(k, v)| l.iter().any(|(a, b)| a == k && b == v))
            })
            .map(|s| s.2)
    }

    fn requests(&self, protocol: &str, action: &str, code: &str) -> f64 {
        self.get("keyward_requests_total", &[("protocol", protocol), ("action", action), ("code", code)]).unwrap_or(0.0)
    }

    fn label_values(&self, name: &str, label: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .samples
            .iter()
            .filter(|(n, _, _)| n == name)
            .filter_map(|(_, l, _)| l.iter().find(|(k, _)| k == label).map(|(_, v)| v.clone()))
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

async fn scrape(h: &Harness) -> Exposition {
    let (status, ct, body) = send(&h.admin, get("/metrics")).await;
    assert_eq!(status, 200);
    assert_eq!(ct.as_deref(), Some("text/plain; version=0.0.4; charset=utf-8"));
    let text = String::from_utf8(body).unwrap();
    assert!(text.ends_with('\n'));
    parse(&text)
}

/// Every histogram series: cumulative buckets ending in `+Inf`, `_count` = `+Inf` = the
/// requests counted for that protocol and action.
fn check_histograms(e: &Exposition) {
    assert_eq!(e.kinds.get("keyward_request_duration_seconds").map(String::as_str), Some("histogram"));
    let mut series: HashMap<(String, String), Vec<(String, f64)>> = HashMap::new();
    for (name, labels, value) in &e.samples {
        if name != "keyward_request_duration_seconds_bucket" {
            continue;
        }
        let l = |k: &str| labels.iter().find(|(a, _)| a == k).unwrap().1.clone();
        series.entry((l("protocol"), l("action"))).or_default().push((l("le"), *value));
    }
    assert!(!series.is_empty());
    for ((protocol, action), buckets) in &series {
        let les: Vec<f64> =
            buckets.iter().map(|(le, _)| if le == "+Inf" { f64::INFINITY } else { le.parse().unwrap() }).collect();
        assert!(les.windows(2).all(|w| w[0] < w[1]), "increasing le: {les:?}");
        assert_eq!(les.first().copied(), Some(0.00005));
        assert_eq!(les[les.len() - 2], 5.0);
        assert!(les.last().unwrap().is_infinite());
        assert!(buckets.windows(2).all(|w| w[0].1 <= w[1].1), "cumulative: {buckets:?}");
        let labels = [("protocol", protocol.as_str()), ("action", action.as_str())];
        let count = e.get("keyward_request_duration_seconds_count", &labels).unwrap();
        assert_eq!(count, buckets.last().unwrap().1, "{protocol} {action}");
        let sum = e.get("keyward_request_duration_seconds_sum", &labels).unwrap();
        assert!(sum >= 0.0);
        let requests: f64 = e
            .samples
            .iter()
            .filter(|(n, l, _)| {
                n == "keyward_requests_total"
                    && l.iter().any(|(k, v)| k == "protocol" && v == protocol)
                    && l.iter().any(|(k, v)| k == "action" && v == action)
            })
            .map(|s| s.2)
            .sum();
        assert_eq!(count, requests, "{protocol} {action}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_by_protocol_action_and_code() {
    let h = harness().await;
    let before = scrape(&h).await;
    assert_eq!(before.requests("alibaba", "Encrypt", "OK"), 0.0);
    assert_eq!(before.get("keyward_build_info", &[("version", env!("CARGO_PKG_VERSION"))]), Some(1.0));
    assert!(before.get("process_resident_memory_bytes", &[]).unwrap() > 1e6);
    assert!(before.get("keyward_uptime_seconds", &[]).is_some());
    assert_eq!(before.get("keyward_wrapping_pool_ready", &[]), Some(0.0));
    assert_eq!(before.get("keyward_audit_enabled", &[]), Some(1.0));
    assert_eq!(before.get("keyward_audit_healthy", &[]), Some(1.0));
    assert_eq!(before.get("keyward_job_runs_total", &[("job", "destroy_keys")]), Some(0.0));
    assert_eq!(
        before.label_values("keyward_cache_hits_total", "cache"),
        ["aliases", "keys", "secrets", "versions"].map(String::from)
    );

    let (status, created) = call(&h, acs3("CreateKey", &[], SECRET)).await;
    assert_eq!(status, 200, "{created}");
    let key_id = created["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();
    for _ in 0..3 {
        let (status, body) = call(&h, acs3("Encrypt", &[("KeyId", &key_id), ("Plaintext", "aGVsbG8=")], SECRET)).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = call(&h, acs3("Encrypt", &[("KeyId", &key_id), ("Plaintext", "aGVsbG8=")], "wrong")).await;
    assert_eq!(status, 400, "{body}");
    let bad_signature_code = body["Code"].as_str().unwrap().to_string();
    assert_eq!(bad_signature_code, "SignatureDoesNotMatch");
    let (status, body) = call(&h, acs3("FrobnicateTheKeys", &[], SECRET)).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = call(&h, acs3("Encrypt", &[("KeyId", "no-such-key"), ("Plaintext", "aGk=")], SECRET)).await;
    assert_eq!(status, 404, "{body}");
    let not_found_code = body["Code"].as_str().unwrap().to_string();
    let (status, body) =
        call(&h, huawei_request("encrypt-data", &json!({"key_id": key_id, "plain_text": "hello"}))).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(&h, huawei_request("no-such-operation", &json!({}))).await;
    assert_eq!(status, 400, "{body}");
    let hw_unknown_code = body["error"]["error_code"].as_str().unwrap().to_string();

    let e = scrape(&h).await;
    assert_eq!(e.requests("alibaba", "CreateKey", "OK"), 1.0);
    assert_eq!(e.requests("alibaba", "Encrypt", "OK"), 3.0);
    assert_eq!(e.requests("alibaba", "Encrypt", &bad_signature_code), 1.0);
    assert_eq!(e.requests("alibaba", "Encrypt", &not_found_code), 1.0);
    assert_eq!(e.requests("alibaba", "other", "InvalidAction.NotFound"), 1.0);
    assert_eq!(e.requests("huawei", "encrypt-data", "OK"), 1.0);
    assert_eq!(e.requests("huawei", "other", &hw_unknown_code), 1.0);
    // A garbage action is not a label value.
    let actions = e.label_values("keyward_requests_total", "action");
    assert!(!actions.iter().any(|a| a.contains("Frobnicate") || a.contains("no-such")), "{actions:?}");
    assert_eq!(e.label_values("keyward_requests_total", "protocol"), ["alibaba", "huawei"].map(String::from));
    check_histograms(&e);
    // The Encrypts after the first found the key in the cache.
    assert!(e.get("keyward_cache_hits_total", &[("cache", "keys")]).unwrap() >= 2.0);

    // Audit: every request above was written, and the writer is healthy.
    h.audit.flush().await;
    let e = scrape(&h).await;
    assert_eq!(e.get("keyward_audit_events_written_total", &[]), Some(9.0));
    assert_eq!(e.get("keyward_audit_events_lost_total", &[]), Some(0.0));
    assert_eq!(e.get("keyward_audit_healthy", &[]), Some(1.0));

    // Another garbage action adds to `other`, not a new series.
    let series_before = e.samples.len();
    let (status, _) = call(&h, acs3("Yet-Another\"Garbage", &[], SECRET)).await;
    assert_eq!(status, 404);
    let e = scrape(&h).await;
    assert_eq!(e.requests("alibaba", "other", "InvalidAction.NotFound"), 2.0);
    assert_eq!(e.samples.len(), series_before);
    check_histograms(&e);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_on_both_routers_and_metrics_only_on_admin() {
    let h = harness().await;
    for app in [&h.api, &h.admin] {
        let (status, ct, body) = send(app, get("/healthz")).await;
        assert_eq!((status, body.as_slice()), (200, b"ok\n".as_slice()));
        assert!(ct.unwrap().starts_with("text/plain"));
        let (status, _, body) = send(app, get("/readyz")).await;
        assert_eq!((status, body.as_slice()), (200, b"ready\n".as_slice()));
    }
    // Not on the API router: the Alibaba "no such API" answer, counted nowhere.
    let (status, _, body) = send(&h.api, get("/metrics")).await;
    assert_eq!(status, 404);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["Code"], "InvalidAction.NotFound");
    let (status, _, _) = send(&h.admin, get("/")).await;
    assert_eq!(status, 404, "the admin listener serves no API");
    let (status, _, _) = send(&h.admin, get("/v1.0")).await;
    assert_eq!(status, 404);
    // The health routes do not change `/` and `/v1.0`.
    let (status, body) = call(&h, get("/")).await;
    assert_eq!((status, body["Code"].as_str()), (400, Some("MissingSignature")));
    let (status, body) = call(&h, get("/v1.0")).await;
    assert_eq!((status, body["version"]["id"].as_str()), (200, Some("v1.0")));
    let e = scrape(&h).await;
    assert_eq!(e.requests("alibaba", "other", "MissingSignature"), 1.0);
    assert_eq!(e.requests("huawei", "versions", "OK"), 1.0);
    assert_eq!(e.label_values("keyward_requests_total", "action"), ["other", "versions"].map(String::from));
}
