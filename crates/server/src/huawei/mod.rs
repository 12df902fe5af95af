//! The Huawei Cloud KMS API v1.0 (HUAWEI.md), served on the same listeners as the Alibaba
//! protocol, over the same keys and AccessKeys.
//!
//! A request to `/v1.0/{project_id}/kms/…` is checked in this order: body size (`KMS.0203`),
//! the project segment (the SDK's literal `{project_id}` placeholder or anything but 32 hex →
//! 400 `KMS.0201`), the `SDK-HMAC-SHA256` signature ([`auth`]; 401 `APIGW.0301`), the project
//! (another project id, in the path or in `X-Project-Id` → 403 `KMS.0321`), the JSON body
//! ([`body`]; `KMS.0202`), then the route table ([`route`]) and one handler per operation in
//! [`actions`]. Every answer carries `X-Request-Id`; errors are
//! `{"error":{"error_code","error_msg"}}`, gateway (auth) errors the flat
//! `{"error_code","error_msg","request_id"}`. Core errors are mapped in exactly one place,
//! [`error`]. Version discovery (`GET /v1.0`, and a `GET /` that looks like the Huawei SDK's:
//! see [`is_version_discovery`]) is answered without checking the signature.
//!
//! **Adding an operation:** write `actions/<name>.rs` with
//! `pub async fn handle(ctx: &Ctx<'_>) -> Result<Reply, HwError>`, declare it in
//! `actions/mod.rs`, and add one line to [`post_action`].

pub mod actions;
pub mod auth;
pub mod body;
pub mod error;
pub mod model;
pub mod project;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use keyward_core::{Caller, Kms};
use keyward_protocol::huawei::codes;
use serde_json::{Value, json};

use crate::app::AppState;
use crate::audit::{Outcome, Protocol, Record};
use crate::huawei::body::Body;
use crate::huawei::error::HwError;

/// The Huawei view of this server: project, account (domain) and region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Huawei {
    /// The one project id this server answers for (32 hex).
    pub project_id: String,
    /// `domain_id` of every key.
    pub domain_id: String,
    /// `realm` / `region_id` of every key.
    pub region: String,
}

/// The Huawei settings of the app: the configured project id, or the stored one resolved on
/// first use.
#[derive(Debug, Default)]
pub struct HuaweiState {
    configured: Option<String>,
    resolved: tokio::sync::OnceCell<Huawei>,
}

impl HuaweiState {
    /// With a configured project id (`None`: the one kept in the store).
    pub fn new(configured: Option<String>) -> Self {
        Self { configured, resolved: tokio::sync::OnceCell::new() }
    }

    /// The project, account and region.
    pub async fn get(&self, kms: &Kms) -> Result<&Huawei, HwError> {
        self.resolved
            .get_or_try_init(|| async {
                let project_id = project::resolve_project_id(kms, self.configured.as_deref()).await?;
                Ok::<_, keyward_core::Error>(Huawei {
                    project_id,
                    domain_id: project::domain_id(&kms.config().account_id),
                    region: kms.config().region.clone(),
                })
            })
            .await
            .map_err(HwError::from)
    }
}

/// What a handler gets.
pub struct Ctx<'a> {
    /// The service.
    pub kms: &'a Kms,
    /// The authenticated caller.
    pub caller: &'a Caller,
    /// Project, domain, region.
    pub hw: &'a Huawei,
    /// The JSON body (`{}` for GET and DELETE).
    pub body: &'a Body,
    /// `{key_id}` of `…/kms/{key_id}/tags…` paths.
    pub path_key_id: Option<&'a str>,
    /// The percent-decoded `{key}` of `DELETE …/kms/{key_id}/tags/{key}`.
    pub path_tag_key: Option<&'a str>,
}

/// A successful answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `200` with a JSON body.
    Json(Value),
    /// `204 No Content`.
    NoContent,
}

/// POST `/v1.0/{project_id}/kms/<op>`: the route table. `None` for unknown operations.
pub async fn post_action(op: &str, ctx: &Ctx<'_>) -> Option<Result<Reply, HwError>> {
    Some(match op {
        "create-key" => actions::create_key::handle(ctx).await,
        "describe-key" => actions::describe_key::handle(ctx).await,
        "list-keys" => actions::list_keys::handle(ctx).await,
        "enable-key" => actions::enable_key::handle(ctx).await,
        "disable-key" => actions::disable_key::handle(ctx).await,
        "schedule-key-deletion" => actions::schedule_key_deletion::handle(ctx).await,
        "cancel-key-deletion" => actions::cancel_key_deletion::handle(ctx).await,
        "update-key-alias" => actions::update_key_alias::handle(ctx).await,
        "update-key-description" => actions::update_key_description::handle(ctx).await,
        "encrypt-data" => actions::encrypt_data::handle(ctx).await,
        "decrypt-data" => actions::decrypt_data::handle(ctx).await,
        "create-datakey" => actions::create_datakey::handle(ctx).await,
        "create-datakey-without-plaintext" => actions::create_datakey_without_plaintext::handle(ctx).await,
        "encrypt-datakey" => actions::encrypt_datakey::handle(ctx).await,
        "decrypt-datakey" => actions::decrypt_datakey::handle(ctx).await,
        "sign" => actions::sign::handle(ctx).await,
        "verify" => actions::verify::handle(ctx).await,
        "get-publickey" => actions::get_publickey::handle(ctx).await,
        "get-parameters-for-import" => actions::get_parameters_for_import::handle(ctx).await,
        "import-key-material" => actions::import_key_material::handle(ctx).await,
        "delete-imported-key-material" => actions::delete_imported_key_material::handle(ctx).await,
        "generate-mac" => actions::generate_mac::handle(ctx).await,
        "verify-mac" => actions::verify_mac::handle(ctx).await,
        "gen-random" => actions::gen_random::handle(ctx).await,
        _ => return None,
    })
}

/// Routes an authenticated request by method and the (decoded) path segments after `kms/`.
pub async fn route(method: &Method, rest: &[String], parts: CtxParts<'_>) -> Result<Reply, HwError> {
    let seg: Vec<&str> = rest.iter().map(String::as_str).collect();
    let (path_key_id, path_tag_key) = match seg.as_slice() {
        [k, "tags"] => (Some(*k), None),
        [k, "tags", t] => (Some(*k), Some(*t)),
        _ => (None, None),
    };
    if let Some(k) = path_key_id {
        body::check_key_id(k)?;
    }
    let c = Ctx { kms: parts.kms, caller: parts.caller, hw: parts.hw, body: parts.body, path_key_id, path_tag_key };
    match (seg.as_slice(), method) {
        (["tags"], &Method::GET) => actions::tags::list_project_tags(&c).await,
        (["resource_instances", "action"], &Method::POST) => actions::tags::query_by_tags(&c).await,
        ([_, "tags"], &Method::GET) => actions::tags::show_key_tags(&c).await,
        ([_, "tags"], &Method::POST) => actions::tags::create_tag(&c).await,
        ([_, "tags", "action"], &Method::POST) => actions::tags::batch(&c).await,
        ([_, "tags", _], &Method::DELETE) => actions::tags::delete_tag(&c).await,
        (["tags"] | [_, "tags"] | [_, "tags", _], _) => Err(HwError::new(codes::KMS_0215)),
        ([op], &Method::POST) => post_action(op, &c).await.unwrap_or_else(|| Err(unknown_api())),
        // Every other operation is a POST.
        ([_], _) => Err(HwError::new(codes::KMS_0215)),
        _ => Err(unknown_api()),
    }
}

/// The parts [`route`] builds a [`Ctx`] from.
pub struct CtxParts<'a> {
    /// The service.
    pub kms: &'a Kms,
    /// The caller.
    pub caller: &'a Caller,
    /// Project, domain, region.
    pub hw: &'a Huawei,
    /// The body.
    pub body: &'a Body,
}

fn unknown_api() -> HwError {
    HwError::with_message(codes::KMS_0201, "Invalid request URL: no such API in KMS v1.0.")
}

/// Version discovery and the KMS API: the entry point the app routes `/v1.0…` (and a plain
/// `GET /`) to.
pub async fn handle(
    state: &AppState,
    source: Option<std::net::SocketAddr>,
    tls: bool,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let started = std::time::Instant::now();
    let request_id = new_request_id();
    let mut record = Record::default();
    let result = process(state, (source, tls), &method, &uri, &headers, body, &mut record).await;
    let (code, status) = match &result {
        Ok(Reply::Json(_)) => ("OK", 200),
        Ok(Reply::NoContent) => ("OK", 204),
        Err(e) => (e.code.code, e.code.status),
    };
    let outcome = Outcome {
        request_id: &request_id,
        protocol: Protocol::Huawei,
        code,
        status,
        source,
        user_agent: crate::app::user_agent(&headers),
    };
    state.audit(&record, &outcome).await;
    state.account(crate::metrics::Action::huawei(&method, uri.path()), code, &record, &outcome, started);
    match result {
        Ok(Reply::Json(v)) => json_response(StatusCode::OK, &request_id, &v),
        Ok(Reply::NoContent) => {
            let mut resp = StatusCode::NO_CONTENT.into_response();
            set_request_id(resp.headers_mut(), &request_id);
            resp
        }
        Err(e) => error_response(&request_id, &e),
    }
}

async fn process(
    state: &AppState,
    (source, tls): (Option<std::net::SocketAddr>, bool),
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    record: &mut Record,
) -> Result<Reply, HwError> {
    if state.audit.is_some() {
        record.action = format!("{method} {}", crate::audit::clip(uri.path()));
    }
    let raw_segments: Vec<&str> = uri.path().split('/').skip(1).collect();
    match raw_segments.as_slice() {
        [""] => return versions(method, true),
        ["v1.0"] | ["v1.0", ""] => return versions(method, false),
        _ => {}
    }
    let body = match body {
        Ok(b) => b,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Err(HwError::new(codes::KMS_0203));
        }
        Err(rejection) => {
            return Err(HwError::with_message(
                codes::KMS_0214,
                format!("The request body could not be read: {rejection}"),
            ));
        }
    };
    let segments: Vec<String> = raw_segments.iter().map(|s| decode_segment(s)).collect();
    let (project, rest) = match segments.as_slice() {
        [v, project, kms, rest @ ..] if v == "v1.0" && kms == "kms" && !rest.is_empty() => (project, rest),
        _ => return Err(unknown_api()),
    };
    if state.audit.is_some() {
        record.action = crate::audit::clip(&format!("{method} {}", rest.join("/")));
    }
    if !project::is_project_id(project) {
        return Err(HwError::with_message(
            codes::KMS_0201,
            "Invalid request URL: the project id must be 32 hex characters (give the SDK an explicit project_id).",
        ));
    }
    let header_list = auth::header_list(uri, headers);
    let caller = match auth::authenticate(&state.kms, state.freshness, method, uri, &header_list, &body).await {
        Ok(c) => c.from_address(source.map(|s| s.ip()), tls),
        Err(e) => {
            if state.audit.is_some() {
                record.claimed_access_key_id =
                    auth::claimed_access_key(method, uri, &header_list, &body).map(|id| crate::audit::clip(&id));
            }
            return Err(e);
        }
    };
    let hw = state.huawei.get(&state.kms).await?;
    let header_project = headers.get("x-project-id").map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string());
    if *project != hw.project_id || header_project.is_some_and(|p| p != *project) {
        return Err(HwError::with_message(
            codes::KMS_0321,
            "URIs in URL and X-Auth-Token do not match: this server serves one project id (printed at start).",
        ));
    }
    // Unconditionally: the request log line names the principal too.
    record.caller(&caller);
    let parsed = if method == Method::POST { Body::parse(&body)? } else { Body::default() };
    if state.audit.is_some() {
        let (region, account) = (&state.kms.config().region, &state.kms.config().account_id);
        let path_key = match rest {
            [k, t, ..] if t == "tags" => Some(k.as_str()),
            _ => None,
        };
        if let Some(k) = path_key {
            record.resource(region, account, k, false);
        }
        for name in ["key_id", "key_alias"] {
            if let Some(Value::String(v)) = parsed.raw(name) {
                let given = if name == "key_alias" { format!("alias/{v}") } else { v.clone() };
                record.resource(region, account, &given, false);
            }
        }
        for name in ["encryption_context", "additional_authenticated_data"] {
            if let Some(v) = parsed.raw(name) {
                record.context(state.kms.barrier(), name, v);
            }
        }
    }
    route(method, rest, CtxParts { kms: &state.kms, caller: &caller, hw, body: &parsed }).await
}

fn versions(method: &Method, list: bool) -> Result<Reply, HwError> {
    if method != Method::GET {
        return Err(HwError::new(codes::KMS_0215));
    }
    let v = json!({
        "id": "v1.0",
        "links": [{"href": "/v1.0/", "rel": "self"}],
        "version": "",
        "status": "CURRENT",
        "updated": "2018-09-05T08:18:05Z",
        "min_version": "",
    });
    Ok(Reply::Json(if list { json!({ "versions": [v] }) } else { json!({ "version": v }) }))
}

/// Percent-decodes one path segment (invalid UTF-8 is replaced).
fn decode_segment(s: &str) -> String {
    let bytes: Vec<u8> = form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned().into_bytes())
        .unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn new_request_id() -> String {
    crate::request_id::huawei()
}

fn set_request_id(h: &mut HeaderMap, request_id: &str) {
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-request-id", v);
    }
}

fn json_response(status: StatusCode, request_id: &str, body: &Value) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json;charset=utf-8"));
    set_request_id(h, request_id);
    resp
}

/// The error body: nested `{"error":{…}}` for KMS codes, flat for gateway codes.
pub fn error_response(request_id: &str, e: &HwError) -> Response {
    if let Some(detail) = &e.log_detail {
        tracing::error!(request_id, code = e.code.code, detail = %detail, "huawei request failed with an internal error");
    } else {
        tracing::debug!(request_id, code = e.code.code, message = %e.message, "huawei request rejected");
    }
    let body = if e.code.is_gateway() {
        json!({"error_code": e.code.code, "error_msg": e.message, "request_id": request_id})
    } else {
        json!({"error": {"error_code": e.code.code, "error_msg": e.message}})
    };
    let status = StatusCode::from_u16(e.code.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json_response(status, request_id, &body)
}

/// Whether a request to `/` is Huawei version discovery (`show_versions`) rather than an
/// Alibaba call: a GET with no query and no `x-acs-*` header that carries a Huawei mark, an
/// `SDK-…` `Authorization` or an `X-Sdk-Date` header (the SDK signs every request). An unmarked
/// `GET /` stays the Alibaba endpoint's (`MissingSignature`).
pub fn is_version_discovery(method: &Method, uri: &Uri, headers: &HeaderMap) -> bool {
    let huawei_auth = headers
        .get(header::AUTHORIZATION)
        .is_some_and(|v| v.as_bytes().get(..4).is_some_and(|p| p.eq_ignore_ascii_case(b"SDK-")));
    method == Method::GET
        && uri.query().is_none_or(str::is_empty)
        && (huawei_auth || headers.contains_key("x-sdk-date"))
        && !headers.keys().any(|k| k.as_str().starts_with("x-acs-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_decode_and_discovery_is_recognised() {
        assert_eq!(decode_segment("a%20b%2Fc+d"), "a b/c+d");
        assert_eq!(decode_segment("%7Bproject_id%7D"), "{project_id}");
        let plain = HeaderMap::new();
        assert!(!is_version_discovery(&Method::GET, &"/".parse().unwrap(), &plain));
        let mut h = HeaderMap::new();
        h.insert("x-sdk-date", HeaderValue::from_static("20240101T000000Z"));
        assert!(is_version_discovery(&Method::GET, &"/".parse().unwrap(), &h));
        assert!(!is_version_discovery(&Method::GET, &"/?Action=DescribeRegions".parse().unwrap(), &h));
        assert!(!is_version_discovery(&Method::POST, &"/".parse().unwrap(), &h));
        let mut signed = HeaderMap::new();
        signed.insert("authorization", HeaderValue::from_static("SDK-HMAC-SHA256 Access=a"));
        assert!(is_version_discovery(&Method::GET, &"/".parse().unwrap(), &signed));
        signed.insert("x-acs-action", HeaderValue::from_static("ListKeys"));
        assert!(!is_version_discovery(&Method::GET, &"/".parse().unwrap(), &signed));
        let mut acs = HeaderMap::new();
        acs.insert("authorization", HeaderValue::from_static("ACS3-HMAC-SHA256 x"));
        assert!(!is_version_discovery(&Method::GET, &"/?".parse().unwrap(), &acs));
    }
}
