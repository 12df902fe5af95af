//! The axum application: one endpoint at `/` for GET and POST (ALIBABA.md §1.1). A request is
//! decoded (query merged with a form body), authenticated, dispatched by action, and answered
//! in JSON with a `RequestId` — errors included, whatever went wrong. `GET /healthz` and
//! `GET /readyz` answer load balancers ([`crate::metrics`]); `/metrics` is never served here.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use keyward_core::Kms;
use keyward_protocol::codes;
use keyward_protocol::params::Params;
use keyward_protocol::signature::RequestParts;
use serde_json::{Value, json};

use crate::audit::{self, Audit, Outcome, Protocol, Record};
use crate::auth::{self, Freshness, NonceCache};
use crate::dispatch;
use crate::error::ApiError;
use crate::metrics::{Action, Metrics};

/// The API version this server speaks.
pub const API_VERSION: &str = "2016-01-20";
/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Shared state of the request handlers.
pub struct AppState {
    /// The service.
    pub kms: Arc<Kms>,
    /// Nonces seen recently.
    pub nonces: NonceCache,
    /// Freshness checks (always on outside tests).
    pub freshness: Freshness,
    /// The Huawei protocol's project (configured, or kept in the store).
    pub huawei: crate::huawei::HuaweiState,
    /// The audit log (`None`: requests are not audited, as in most router tests).
    pub audit: Option<Audit>,
    /// Request, cache and job metrics.
    pub metrics: Arc<Metrics>,
}

impl AppState {
    /// State with every check on.
    pub fn new(kms: Arc<Kms>) -> Self {
        Self {
            kms,
            nonces: NonceCache::default(),
            freshness: Freshness::default(),
            huawei: crate::huawei::HuaweiState::default(),
            audit: None,
            metrics: Arc::new(Metrics::default()),
        }
    }

    /// Audits every request to `audit`.
    pub fn with_audit(mut self, audit: Audit) -> Self {
        self.audit = Some(audit);
        self
    }

    /// Writes the audit event of one request (no-op without an audit log).
    pub async fn audit(&self, record: &Record, outcome: &Outcome<'_>) {
        if let Some(a) = &self.audit {
            a.emit(record, outcome).await;
        }
    }

    /// Serves the Huawei API for this project id (`None`: the one kept in the store).
    pub fn with_huawei_project(mut self, project_id: Option<String>) -> Self {
        self.huawei = crate::huawei::HuaweiState::new(project_id);
        self
    }
}

/// Marks requests that arrived over TLS (a layer on the HTTPS listener's copy of the router), for
/// the `acs:SecureTransport` policy condition.
#[derive(Clone, Copy, Debug)]
pub struct SecureTransport;

/// The router.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", axum::routing::any(handle))
        .route("/v1.0", axum::routing::any(huawei))
        .route("/v1.0/", axum::routing::any(huawei))
        .route("/v1.0/{*rest}", axum::routing::any(huawei))
        .route("/healthz", axum::routing::get(crate::metrics::healthz))
        .route("/readyz", axum::routing::get(crate::metrics::readyz))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

async fn not_found() -> Response {
    let request_id = new_request_id();
    error_response(
        &request_id,
        &ApiError::with_message(
            codes::INVALID_ACTION,
            "Specified api is not found: the Alibaba KMS API is served at path /.",
        ),
    )
}

/// The Huawei API (`/v1.0…`), see [`crate::huawei`].
async fn huawei(
    State(state): State<Arc<AppState>>,
    connect: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    tls: Option<axum::Extension<SecureTransport>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    crate::huawei::handle(&state, connect.map(|c| c.0.0), tls.is_some(), method, uri, headers, body).await
}

/// The `User-Agent` header, if readable.
pub fn user_agent(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok())
}

async fn handle(
    State(state): State<Arc<AppState>>,
    connect: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    tls: Option<axum::Extension<SecureTransport>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let started = Instant::now();
    let source = connect.map(|c| c.0.0);
    if crate::huawei::is_version_discovery(&method, &uri, &headers) {
        // Huawei's `GET /` (version list); Alibaba requests always carry parameters.
        return crate::huawei::handle(&state, source, tls.is_some(), method, uri, headers, body).await;
    }
    let request_id = new_request_id();
    let mut record = Record::default();
    let result = match body {
        Ok(body) => {
            let peer = Peer { source, tls: tls.is_some() };
            process(&state, peer, &method, &uri, &headers, &body, &mut record).await
        }
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Err(ApiError::new(codes::PAYLOAD_TOO_LARGE))
        }
        Err(rejection) => Err(ApiError::with_message(
            codes::INVALID_PARAMETER,
            format!("The request body could not be read: {rejection}"),
        )),
    };
    let (code, status) = match &result {
        Ok(_) => ("OK", 200),
        Err(e) => (e.code.code, e.code.status),
    };
    let outcome = Outcome {
        request_id: &request_id,
        protocol: Protocol::Alibaba,
        code,
        status,
        source,
        user_agent: user_agent(&headers),
    };
    state.audit(&record, &outcome).await;
    state.account(Action::alibaba(&record.action), code, &record, &outcome, started);
    match result {
        Ok(mut body) => {
            if let Value::Object(map) = &mut body {
                map.insert("RequestId".into(), Value::String(request_id.clone()));
            }
            json_response(StatusCode::OK, &request_id, &body)
        }
        Err(e) => error_response(&request_id, &e),
    }
}

/// Where a request came from, for policy conditions.
#[derive(Clone, Copy, Debug)]
struct Peer {
    source: Option<SocketAddr>,
    tls: bool,
}

async fn process(
    state: &AppState,
    peer: Peer,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    record: &mut Record,
) -> Result<Value, ApiError> {
    if method != Method::GET && method != Method::POST {
        return Err(ApiError::new(codes::UNSUPPORTED_HTTP_METHOD));
    }
    let query = uri.query().unwrap_or("");
    let mut pairs = keyward_protocol::form::decode(query.as_bytes());
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.trim().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    if is_form {
        pairs.extend(keyward_protocol::form::decode(body));
    }
    let header_list: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| {
            let value = v.to_str().map_or_else(|_| String::from_utf8_lossy(v.as_bytes()).into_owned(), str::to_string);
            (k.as_str().to_string(), value)
        })
        .collect();
    let params = Params::new(pairs);
    let parts = RequestParts { method: method.as_str(), query, headers: &header_list, body, params: params.pairs() };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    // The claimed action, for the audit log and the metrics label (checked against the known
    // names there); it may be garbage until authenticated.
    if let Some(claimed) = headers.get("x-acs-action").and_then(|v| v.to_str().ok()).or_else(|| params.opt("Action")) {
        record.action = audit::clip(claimed);
    }
    let caller = match auth::authenticate(&state.kms, &state.nonces, state.freshness, &parts).await {
        Ok(c) => c.from_address(peer.source.map(|s| s.ip()), peer.tls),
        Err(e) => {
            if state.audit.is_some()
                && let Ok(claim) = keyward_protocol::signature::parse_claim(&parts)
            {
                record.claimed_access_key_id = Some(audit::clip(&claim.access_key_id));
            }
            return Err(e);
        }
    };
    record.caller(&caller);
    if state.audit.is_some() {
        record.alibaba_params(&state.kms, &params);
    }

    let action = header("x-acs-action").or_else(|| params.opt("Action").map(str::to_string)).ok_or_else(|| {
        ApiError::with_message(codes::MISSING_PARAMETER, "The parameter \"Action\" is needed but not provided.")
    })?;
    let version = header("x-acs-version").or_else(|| params.opt("Version").map(str::to_string)).ok_or_else(|| {
        ApiError::with_message(codes::MISSING_PARAMETER, "The parameter \"Version\" is needed but not provided.")
    })?;
    if version != API_VERSION {
        return Err(ApiError::with_message(
            codes::INVALID_VERSION,
            format!("Specified parameter Version \"{version}\" is not valid: this server speaks {API_VERSION}."),
        ));
    }
    let ctx = dispatch::Ctx { kms: &state.kms, caller: &caller, params: &params };
    let answer = dispatch::dispatch(&action, &ctx).await;
    if state.audit.is_some()
        && let Ok(v) = &answer
    {
        record.alibaba_answer(&state.kms.config().region, &state.kms.config().account_id, v);
    }
    answer
}

fn new_request_id() -> String {
    crate::request_id::alibaba()
}

fn json_response(status: StatusCode, request_id: &str, body: &Value) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json;charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-acs-request-id", v);
    }
    resp
}

/// The Alibaba error body (ALIBABA.md §3.1) with the code's HTTP status.
pub fn error_response(request_id: &str, e: &ApiError) -> Response {
    if let Some(detail) = &e.log_detail {
        tracing::error!(request_id, code = e.code.code, detail = %detail, "request failed with an internal error");
    } else {
        tracing::debug!(request_id, code = e.code.code, message = %e.message, "request rejected");
    }
    let body = json!({
        "RequestId": request_id,
        "HostId": "kms.keyward",
        "Code": e.code.code,
        "Message": e.message,
        "Recommend": format!("https://api.aliyun.com/troubleshoot?q={}", e.code.code),
        "HttpStatus": e.code.status,
    });
    let status = StatusCode::from_u16(e.code.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json_response(status, request_id, &body)
}
