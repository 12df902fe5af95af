//! The keyward Rust SDK: a client for the Alibaba Cloud KMS API 2016-01-20 (keyward or any
//! compatible endpoint). Requests are POSTs to `/` with the parameters in the query string,
//! signed with ACS3-HMAC-SHA256 exactly as the official Tea SDK signs them.
//!
//! **Architecture Invariant:** depends only on `keyward-protocol`, never on the server's core,
//! crypto or store crates.

use std::time::Duration;

use keyward_protocol::signature::{canonical_query, sign_acs3_canonical};
use serde_json::Value;

/// Where and as whom to connect.
#[derive(Clone)]
pub struct ClientConfig {
    /// `http://host:port` or `https://host:port` (a bare `host:port` means https).
    pub endpoint: String,
    /// AccessKey id.
    pub access_key_id: String,
    /// AccessKey secret.
    pub access_key_secret: String,
    /// PEM file of a CA to trust in addition to the system roots (the server's local CA).
    pub ca_file: Option<std::path::PathBuf>,
    /// Request timeout.
    pub timeout: Duration,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("endpoint", &self.endpoint)
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"<redacted>")
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

/// Client errors.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Bad configuration (endpoint, CA file).
    #[error("client configuration: {0}")]
    Config(String),
    /// Transport failure (connect, TLS, timeout).
    #[error("request failed: {0}")]
    Transport(#[from] reqwest::Error),
    /// The server answered with an error body.
    #[error("{code} (HTTP {status}): {message} [RequestId {request_id}]")]
    Api {
        /// HTTP status.
        status: u16,
        /// Alibaba error code.
        code: String,
        /// Message.
        message: String,
        /// Request id.
        request_id: String,
    },
    /// The response was not the JSON expected.
    #[error("unexpected response (HTTP {status}): {body}")]
    Decode {
        /// HTTP status.
        status: u16,
        /// Body, truncated.
        body: String,
    },
}

/// A call prepared by [`Client::prepare`].
#[derive(Clone, Debug)]
pub struct Prepared {
    action: String,
    canonical_query: String,
    url: reqwest::Url,
}

/// A KMS client.
pub struct Client {
    http: reqwest::Client,
    base: String,
    host: String,
    access_key_id: String,
    secret: Vec<u8>,
    /// Nonces are this random prefix and a counter: unique without a system call per request.
    nonce_prefix: u64,
    nonce_counter: std::sync::atomic::AtomicU64,
}

impl Client {
    /// Builds a client.
    pub fn new(config: ClientConfig) -> Result<Self, ClientError> {
        let endpoint = config.endpoint.trim_end_matches('/');
        let (scheme, rest) = match endpoint.split_once("://") {
            Some((s, r)) => (s.to_ascii_lowercase(), r),
            None => ("https".to_string(), endpoint),
        };
        if scheme != "http" && scheme != "https" {
            return Err(ClientError::Config(format!("unsupported scheme {scheme:?}")));
        }
        if rest.is_empty() || rest.contains('/') {
            return Err(ClientError::Config(format!("endpoint {endpoint:?} must be scheme://host[:port]")));
        }
        let mut builder = reqwest::Client::builder()
            .timeout(config.timeout)
            .user_agent(concat!("keyward-client/", env!("CARGO_PKG_VERSION")));
        if let Some(ca) = &config.ca_file {
            let pem = std::fs::read(ca)
                .map_err(|e| ClientError::Config(format!("cannot read CA file {}: {e}", ca.display())))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| ClientError::Config(format!("invalid CA file {}: {e}", ca.display())))?;
            for c in certs {
                builder = builder.add_root_certificate(c);
            }
        }
        let http = builder.build()?;
        Ok(Self {
            http,
            base: format!("{scheme}://{rest}"),
            host: rest.to_string(),
            access_key_id: config.access_key_id,
            secret: config.access_key_secret.into_bytes(),
            nonce_prefix: uuid::Uuid::new_v4().as_u64_pair().0,
            nonce_counter: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// Calls `action` with `params`; returns the JSON body of a success.
    pub async fn call(&self, action: &str, params: &[(&str, String)]) -> Result<Value, ClientError> {
        self.send(&self.prepare(action, params)?).await
    }

    /// Does the per-call work that does not depend on time (canonical query, URL) once, for a
    /// request sent many times with [`Client::send`]. Each send is still signed afresh (new
    /// nonce and date).
    pub fn prepare(&self, action: &str, params: &[(&str, String)]) -> Result<Prepared, ClientError> {
        let query: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        let canonical_query = canonical_query(&query);
        let url = if canonical_query.is_empty() {
            format!("{}/", self.base)
        } else {
            format!("{}/?{canonical_query}", self.base)
        };
        let url = reqwest::Url::parse(&url).map_err(|e| ClientError::Config(format!("bad request URL: {e}")))?;
        Ok(Prepared { action: action.to_string(), canonical_query, url })
    }

    /// Signs and sends a prepared call; returns the JSON body of a success.
    pub async fn send(&self, prepared: &Prepared) -> Result<Value, ClientError> {
        let n = self.nonce_counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nonce = format!("{:016x}{n:016x}", self.nonce_prefix);
        let date = keyward_protocol::time::format(time::OffsetDateTime::now_utc().unix_timestamp());
        let headers = vec![
            ("host".to_string(), self.host.clone()),
            ("x-acs-action".to_string(), prepared.action.clone()),
            ("x-acs-version".to_string(), "2016-01-20".to_string()),
            ("x-acs-date".to_string(), date),
            ("x-acs-signature-nonce".to_string(), nonce),
            ("accept".to_string(), "application/json".to_string()),
        ];
        let signed =
            sign_acs3_canonical("POST", &prepared.canonical_query, &headers, b"", &self.access_key_id, &self.secret);
        let mut req = self.http.post(prepared.url.clone());
        for (k, v) in &signed {
            req = req.header(k.as_str(), v.as_str());
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let text = resp.text().await?;
        let body: Value = serde_json::from_str(&text)
            .map_err(|_| ClientError::Decode { status, body: text.chars().take(512).collect() })?;
        if (200..300).contains(&status) {
            return Ok(body);
        }
        let field = |n: &str| body.get(n).and_then(Value::as_str).unwrap_or_default().to_string();
        Err(ClientError::Api { status, code: field("Code"), message: field("Message"), request_id: field("RequestId") })
    }
}
