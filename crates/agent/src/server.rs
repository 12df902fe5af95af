//! The loopback HTTP server (hyper, HTTP/1.1): connection cap, SSRF defences, routing.
//!
//! Per connection: beyond `MaxConn` open connections the request is answered 429 and the
//! connection closed. Accepted sockets get IP TTL 1 (no network hops) and the listener only binds
//! loopback addresses; a connection without a complete request head for 30 s (idle keep-alive
//! included) is closed. Per request, in order:
//!
//! 1. `X-Forwarded-For` present → 400 `Forwarded` (a proxy in front means a remote caller);
//! 2. `GET /ping` → 200 `healthy` (no token);
//! 3. no SSRF header → 401 `MissingToken`; a header with the wrong token → 403 `InvalidToken`;
//! 4. not `GET` → 405 `MethodNotAllowed`;
//! 5. `/secretsmanager/get?secretId=…` or `{PathPrefix}NAME`, else 404 `NotFound`.
//!
//! Secret requests take `versionId`, `versionStage` and `refreshNow=true|false`; unknown or
//! repeated query parameters are 400 `InvalidParameter`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CACHE_CONTROL, CONNECTION, CONTENT_TYPE, HeaderValue};
use hyper::http::HeaderName;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};

use crate::cache::{CacheKey, SecretCache};
use crate::config::Settings;
use crate::fetch::{CacheStatus, FetchError, SecretAgent, Upstream};
use crate::token::Token;

/// Response header telling how a secret was served: `hit`, `miss` or `stale`.
pub const CACHE_HEADER: &str = "x-keyward-cache";
/// Response header on stale responses: whole seconds since the entry expired.
pub const STALE_SECONDS_HEADER: &str = "x-keyward-stale-seconds";
/// The query form's path.
pub const QUERY_PATH: &str = "/secretsmanager/get";

const MAX_NAME_LEN: usize = 1024;
const MAX_VERSION_LEN: usize = 256;
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
const PURGE_INTERVAL: Duration = Duration::from_secs(60);

type Body = Full<Bytes>;

/// Why the agent could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The SDK client could not be built (CA file).
    #[error("KMS client: {0}")]
    Client(#[from] keyward_client::ClientError),
    /// The listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Not a loopback address.
    #[error("refusing to listen on {0}: the agent only listens on loopback addresses")]
    NotLoopback(SocketAddr),
}

/// Everything a request needs.
#[derive(Debug)]
pub struct State {
    agent: SecretAgent,
    token: Token,
    ssrf_headers: Vec<HeaderName>,
    path_prefix: String,
    max_conn: usize,
    active: AtomicUsize,
}

impl State {
    /// The request state from `settings` and a ready `agent`.
    pub fn new(settings: Settings, agent: SecretAgent) -> Self {
        Self {
            agent,
            token: settings.token,
            ssrf_headers: settings.ssrf_headers,
            path_prefix: settings.path_prefix,
            max_conn: settings.max_conn,
            active: AtomicUsize::new(0),
        }
    }

    /// The secret agent (cache and server).
    pub fn agent(&self) -> &SecretAgent {
        &self.agent
    }
}

/// A bound, not yet serving agent.
#[derive(Debug)]
pub struct AgentServer {
    listener: TcpListener,
    state: Arc<State>,
}

impl AgentServer {
    /// Builds the SDK client and the cache, and binds the loopback listener.
    pub async fn bind(settings: Settings) -> Result<Self, StartError> {
        let addr = settings.listen;
        if !addr.ip().is_loopback() {
            return Err(StartError::NotLoopback(addr));
        }
        let upstream = Upstream::new(&settings.kms)?;
        let cache = SecretCache::new(settings.cache_size, settings.ttl, settings.max_stale);
        let state = Arc::new(State::new(settings, SecretAgent::new(cache, upstream)));
        let listener = TcpListener::bind(addr).await.map_err(|source| StartError::Bind { addr, source })?;
        Ok(Self { listener, state })
    }

    /// The bound address (the real port when 0 was asked for).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes.
    pub async fn serve(self, shutdown: impl Future<Output = ()>) {
        let Self { listener, state } = self;
        let purge = tokio::spawn({
            let state = state.clone();
            async move {
                let mut tick = tokio::time::interval(PURGE_INTERVAL);
                loop {
                    tick.tick().await;
                    state.agent.cache().purge(Instant::now());
                }
            }
        });
        tokio::pin!(shutdown);
        loop {
            let accepted = tokio::select! {
                a = listener.accept() => a,
                () = &mut shutdown => break,
            };
            let (stream, peer) = match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            if !peer.ip().is_loopback() {
                continue;
            }
            let _ = stream.set_nodelay(true);
            // "Prohibit network hops" (AWS Secrets Manager Agent): replies cannot leave the host.
            let _ = stream.set_ttl(1);
            if state.active.load(Ordering::Acquire) >= state.max_conn {
                tokio::spawn(serve_rejected(stream));
                continue;
            }
            state.active.fetch_add(1, Ordering::AcqRel);
            let slot = Slot(state.clone());
            tokio::spawn(serve_connection(stream, slot));
        }
        purge.abort();
    }
}

/// One counted connection; frees its slot when dropped.
struct Slot(Arc<State>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::AcqRel);
    }
}

async fn serve_connection(stream: TcpStream, slot: Slot) {
    let state = slot.0.clone();
    let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
        let state = state.clone();
        async move { Ok::<_, Infallible>(handle(&state, &req).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .serve_connection(TokioIo::new(stream), service);
    if let Err(e) = conn.await {
        tracing::debug!(error = %e, "connection ended with an error");
    }
    drop(slot);
}

async fn serve_rejected(stream: TcpStream) {
    let service = hyper::service::service_fn(|_req: Request<hyper::body::Incoming>| async {
        let mut resp = error(StatusCode::TOO_MANY_REQUESTS, "ConnectionLimitExceeded", "Connection limit exceeded");
        resp.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
        Ok::<_, Infallible>(resp)
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(5))
        .keep_alive(false)
        .serve_connection(TokioIo::new(stream), service);
    let _ = conn.await;
}

fn error(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    let body = serde_json::to_vec(&serde_json::json!({ "Code": code, "Message": message })).unwrap_or_default();
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

/// Answers one request (no socket needed: the router tests call this directly).
pub async fn handle<B>(state: &State, req: &Request<B>) -> Response<Body> {
    if req.headers().contains_key("x-forwarded-for") {
        return error(
            StatusCode::BAD_REQUEST,
            "Forwarded",
            "X-Forwarded-For is not accepted: the agent serves local callers only",
        );
    }
    let path = req.uri().path();
    if path == "/ping" && req.method() == Method::GET {
        let mut resp = Response::new(Full::new(Bytes::from_static(b"healthy")));
        resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        return resp;
    }
    let mut presented = false;
    let mut valid = false;
    for name in &state.ssrf_headers {
        for value in req.headers().get_all(name) {
            presented = true;
            valid |= state.token.verify(value.as_bytes());
        }
    }
    if !presented {
        let names: Vec<&str> = state.ssrf_headers.iter().map(HeaderName::as_str).collect();
        return error(
            StatusCode::UNAUTHORIZED,
            "MissingToken",
            &format!("send the token in one of: {}", names.join(", ")),
        );
    }
    if !valid {
        return error(StatusCode::FORBIDDEN, "InvalidToken", "the token is not valid");
    }
    if req.method() != Method::GET {
        let mut resp = error(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", "only GET is supported");
        resp.headers_mut().insert(hyper::header::ALLOW, HeaderValue::from_static("GET"));
        return resp;
    }
    let query = req.uri().query();
    let parsed = if path == QUERY_PATH {
        parse_query(query, None)
    } else if let Some(rest) = path.strip_prefix(state.path_prefix.as_str()) {
        match percent_encoding::percent_decode_str(rest).decode_utf8() {
            Ok(name) => parse_query(query, Some(name.into_owned())),
            Err(_) => Err(bad("InvalidParameter", "the secret name is not valid UTF-8".into())),
        }
    } else {
        return error(StatusCode::NOT_FOUND, "NotFound", "unknown path");
    };
    let (key, refresh) = match parsed {
        Ok(p) => p,
        Err((code, message)) => return error(StatusCode::BAD_REQUEST, code, &message),
    };
    match state.agent.get(&key, refresh).await {
        Ok(served) => {
            let mut resp = Response::new(Full::new(served.body.to_bytes()));
            let h = resp.headers_mut();
            h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            let status = match served.status {
                CacheStatus::Hit => "hit",
                CacheStatus::Miss => "miss",
                CacheStatus::Stale { seconds } => {
                    h.insert(STALE_SECONDS_HEADER, HeaderValue::from(seconds));
                    "stale"
                }
            };
            h.insert(CACHE_HEADER, HeaderValue::from_static(status));
            resp
        }
        Err(FetchError::Api { status, code, message }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
            error(status, &code, &message)
        }
        Err(e @ FetchError::Unreachable) => error(StatusCode::BAD_GATEWAY, "KmsUnreachable", &e.to_string()),
        Err(e @ FetchError::BadResponse { .. }) => error(StatusCode::BAD_GATEWAY, "KmsBadResponse", &e.to_string()),
    }
}

/// A 400 answer: (code, message).
type BadRequest = (&'static str, String);

fn bad(code: &'static str, message: String) -> BadRequest {
    (code, message)
}

/// Parses the query of a secret request; `name` is the path form's secret name.
fn parse_query(query: Option<&str>, name: Option<String>) -> Result<(CacheKey, bool), BadRequest> {
    let from_path = name.is_some();
    let (mut secret_id, mut version_id, mut version_stage, mut refresh) = (name, None, None, None);
    for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        let (slot, max) = match k.as_ref() {
            "secretId" if !from_path => (&mut secret_id, MAX_NAME_LEN),
            "versionId" => (&mut version_id, MAX_VERSION_LEN),
            "versionStage" => (&mut version_stage, MAX_VERSION_LEN),
            "refreshNow" => (&mut refresh, 5),
            other => {
                let other: String = other.chars().take(64).collect();
                return Err(bad("InvalidParameter", format!("unknown query parameter {other:?}")));
            }
        };
        if slot.is_some() {
            return Err(bad("InvalidParameter", format!("{k} is given more than once")));
        }
        if v.is_empty() || v.len() > max {
            return Err(bad("InvalidParameter", format!("{k} must be 1 to {max} bytes")));
        }
        *slot = Some(v.into_owned());
    }
    let Some(name) = secret_id else {
        return Err(bad("MissingParameter", "secretId is required".into()));
    };
    if name.is_empty() {
        return Err(bad("MissingParameter", "the secret name is missing".into()));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(bad("InvalidParameter", format!("the secret name must be at most {MAX_NAME_LEN} bytes")));
    }
    let refresh = match refresh.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(bad("InvalidParameter", "refreshNow must be true or false".into())),
    };
    Ok((CacheKey { name, version_id, version_stage }, refresh))
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroUsize;

    use http_body_util::BodyExt;

    use super::*;
    use crate::cache::SecretBody;

    fn state() -> State {
        let cache = SecretCache::new(NonZeroUsize::new(10).unwrap(), Duration::from_secs(300), Duration::ZERO);
        State {
            agent: SecretAgent::detached(cache),
            token: Token::new("tok", "test").unwrap(),
            ssrf_headers: vec![HeaderName::from_static("x-kms-token"), HeaderName::from_static("x-vault-token")],
            path_prefix: "/v1/".into(),
            max_conn: 10,
            active: AtomicUsize::new(0),
        }
    }

    async fn call(state: &State, method: &str, uri: &str, headers: &[(&str, &str)]) -> (u16, String, Response<Body>) {
        let mut b = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let resp = handle(state, &b.body(()).unwrap()).await;
        let status = resp.status().as_u16();
        let (parts, body) = resp.into_parts();
        let body = String::from_utf8(body.collect().await.unwrap().to_bytes().to_vec()).unwrap();
        (status, body, Response::from_parts(parts, Full::default()))
    }

    fn code(body: &str) -> String {
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        v["Code"].as_str().unwrap().to_string()
    }

    const TOK: (&str, &str) = ("X-KMS-Token", "tok");

    #[tokio::test]
    async fn defences_in_order() {
        let s = state();
        // X-Forwarded-For beats everything, even /ping and a good token.
        let (st, body, _) = call(&s, "GET", "/ping", &[("X-Forwarded-For", "10.0.0.1")]).await;
        assert_eq!((st, code(&body).as_str()), (400, "Forwarded"));
        let (st, body, _) = call(&s, "GET", "/ping", &[]).await;
        assert_eq!((st, body.as_str()), (200, "healthy"));
        let (st, body, _) = call(&s, "GET", "/v1/x", &[]).await;
        assert_eq!((st, code(&body).as_str()), (401, "MissingToken"));
        assert!(body.contains("x-kms-token"), "{body}");
        let (st, body, _) = call(&s, "GET", "/v1/x", &[("X-KMS-Token", "wrong")]).await;
        assert_eq!((st, code(&body).as_str()), (403, "InvalidToken"));
        assert!(!body.contains("tok\""), "{body}");
        let (st, body, _) = call(&s, "GET", "/v1/x", &[("X-Vault-Token", "tokx")]).await;
        assert_eq!((st, code(&body).as_str()), (403, "InvalidToken"));
        // Unconfigured header names do not count.
        let (st, _, _) = call(&s, "GET", "/v1/x", &[("X-Other-Token", "tok")]).await;
        assert_eq!(st, 401);
        for m in ["POST", "PUT", "DELETE", "HEAD"] {
            let (st, _, r) = call(&s, m, "/v1/x", &[TOK]).await;
            assert_eq!(st, 405, "{m}");
            assert_eq!(r.headers()["allow"], "GET");
        }
        let (st, _, _) = call(&s, "POST", "/ping", &[]).await;
        assert_eq!(st, 401);
        for p in ["/", "/v2/x", "/secretsmanager/gets", "/pingx"] {
            let (st, body, _) = call(&s, "GET", p, &[TOK]).await;
            assert_eq!((st, code(&body).as_str()), (404, "NotFound"), "{p}");
        }
    }

    #[tokio::test]
    async fn query_validation() {
        let s = state();
        for (uri, want) in [
            ("/secretsmanager/get", "MissingParameter"),
            ("/secretsmanager/get?secretId=", "InvalidParameter"),
            ("/secretsmanager/get?secretId=a&secretId=b", "InvalidParameter"),
            ("/secretsmanager/get?secretId=a&colour=red", "InvalidParameter"),
            ("/secretsmanager/get?secretId=a&refreshNow=yes", "InvalidParameter"),
            ("/v1/a?secretId=b", "InvalidParameter"),
            ("/v1/", "MissingParameter"),
            ("/v1/%FF", "InvalidParameter"),
        ] {
            let (st, body, _) = call(&s, "GET", uri, &[TOK]).await;
            assert_eq!((st, code(&body).as_str()), (400, want), "{uri}");
        }
        let (key, refresh) =
            parse_query(Some("secretId=a%2Fb%2Bc&versionStage=ACSPrevious&refreshNow=TRUE"), None).unwrap();
        assert_eq!(key, CacheKey { name: "a/b+c".into(), version_id: None, version_stage: Some("ACSPrevious".into()) });
        assert!(refresh);
        let (key, refresh) = parse_query(Some("versionId=v%201"), Some("n".into())).unwrap();
        assert_eq!((key.version_id.as_deref(), refresh), (Some("v 1"), false));
    }

    #[tokio::test]
    async fn both_url_forms_serve_the_same_entry_with_cache_headers() {
        let s = state();
        let body = r#"{"SecretData":"pw","SecretName":"app/db"}"#;
        s.agent
            .get_with(&CacheKey::current("app/db"), false, || async { Ok(SecretBody::new(body.into())) })
            .await
            .unwrap();
        for uri in ["/secretsmanager/get?secretId=app%2Fdb", "/v1/app/db", "/v1/app%2Fdb"] {
            let (st, got, r) = call(&s, "GET", uri, &[("X-Vault-Token", "tok")]).await;
            assert_eq!((st, got.as_str()), (200, body), "{uri}");
            assert_eq!(r.headers()[CACHE_HEADER], "hit");
            assert_eq!(r.headers()["content-type"], "application/json");
            assert_eq!(r.headers()["cache-control"], "no-store");
            assert!(r.headers().get(STALE_SECONDS_HEADER).is_none());
        }
        // A miss on a detached agent: the server is unreachable, nothing stale to serve.
        let (st, body, _) = call(&s, "GET", "/v1/other", &[TOK]).await;
        assert_eq!((st, code(&body).as_str()), (502, "KmsUnreachable"));
    }
}
