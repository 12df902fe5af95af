//! Fetching secrets through the cache: [`SecretAgent`] answers a (name, VersionId, VersionStage)
//! from [`SecretCache`] or from the server's `GetSecretValue` ([`Upstream`], the Rust SDK).
//!
//! * Fresh entries are served without a server call (`hit`); `refresh` bypasses them.
//! * Misses of the same key are single-flight: one request goes to the server, the others wait
//!   for it and are answered from the entry it stored.
//! * Stale-on-error: when the server is unreachable (transport error, 5xx, 429) an entry still
//!   within the stale window is served instead, marked `stale` with how long it has been expired.
//! * Any other API error (4xx: the secret was deleted, access was revoked, …) is returned and
//!   drops the entry, so it is never masked by old data.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use keyward_client::{Client, ClientConfig, ClientError};
use serde_json::Value;

use crate::cache::{CacheKey, Lookup, SecretBody, SecretCache};
use crate::config::KmsSettings;

/// Why a secret could not be fetched. Messages never contain secret values.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The server answered with an API error.
    #[error("{code} (HTTP {status}): {message}")]
    Api {
        /// HTTP status.
        status: u16,
        /// Alibaba error code.
        code: String,
        /// Message.
        message: String,
    },
    /// The server could not be reached (connect, TLS, timeout).
    #[error("the KMS endpoint is unreachable")]
    Unreachable,
    /// The server answered something that is not a GetSecretValue response.
    #[error("the KMS endpoint sent an unexpected response (HTTP {status})")]
    BadResponse {
        /// HTTP status.
        status: u16,
    },
}

impl FetchError {
    /// Whether the failure is the server's unavailability rather than an answer about the secret:
    /// these may be masked by stale data.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Api { status, .. } | Self::BadResponse { status } => *status >= 500 || *status == 429,
            Self::Unreachable => true,
        }
    }
}

/// How a response was produced (the `X-Keyward-Cache` header).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheStatus {
    /// From a fresh cache entry.
    Hit,
    /// From the server.
    Miss,
    /// From an entry served because the server is unavailable.
    Stale {
        /// Whole seconds since the entry expired (0 if it had not).
        seconds: u64,
    },
}

/// A served secret.
#[derive(Debug)]
pub struct Served {
    /// The response body.
    pub body: SecretBody,
    /// Where it came from.
    pub status: CacheStatus,
}

/// The server side: `GetSecretValue` through the Rust SDK.
pub struct Upstream {
    client: Client,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Upstream")
    }
}

impl Upstream {
    /// A client for `kms` (reads the CA file).
    pub fn new(kms: &KmsSettings) -> Result<Self, ClientError> {
        let client = Client::new(ClientConfig {
            endpoint: kms.endpoint.clone(),
            access_key_id: kms.access_key_id.clone(),
            access_key_secret: kms.access_key_secret.expose().to_string(),
            ca_file: kms.ca_file.clone(),
            timeout: kms.timeout,
        })?;
        Ok(Self { client })
    }

    /// Calls `GetSecretValue` for `key` and returns the agent's response body: the
    /// GetSecretValue object without `RequestId`.
    pub async fn fetch(&self, key: &CacheKey) -> Result<SecretBody, FetchError> {
        let mut params = vec![("SecretName", key.name.clone())];
        if let Some(v) = &key.version_id {
            params.push(("VersionId", v.clone()));
        }
        if let Some(s) = &key.version_stage {
            params.push(("VersionStage", s.clone()));
        }
        match self.client.call("GetSecretValue", &params).await {
            Ok(value) => response_body(value),
            Err(ClientError::Api { status, code, message, request_id }) => {
                tracing::debug!(status, %code, %request_id, "GetSecretValue failed");
                Err(FetchError::Api { status, code, message })
            }
            Err(ClientError::Transport(e)) => {
                tracing::warn!(error = %e, "GetSecretValue: the KMS endpoint is unreachable");
                Err(FetchError::Unreachable)
            }
            Err(ClientError::Decode { status, .. }) => {
                // The body is not logged: a 200 body would hold the secret.
                tracing::warn!(status, "GetSecretValue: the response is not JSON");
                Err(FetchError::BadResponse { status })
            }
            Err(ClientError::Config(e)) => {
                tracing::warn!(error = %e, "GetSecretValue: client configuration");
                Err(FetchError::Unreachable)
            }
        }
    }
}

/// The agent's body for a GetSecretValue response: the same object minus `RequestId`.
pub fn response_body(mut value: Value) -> Result<SecretBody, FetchError> {
    let Some(obj) = value.as_object_mut() else { return Err(FetchError::BadResponse { status: 200 }) };
    obj.remove("RequestId");
    if !obj.get("SecretName").is_some_and(Value::is_string) || !obj.get("SecretData").is_some_and(Value::is_string) {
        tracing::warn!("GetSecretValue: the response lacks SecretName or SecretData");
        return Err(FetchError::BadResponse { status: 200 });
    }
    let bytes = serde_json::to_vec(&value).map_err(|_| FetchError::BadResponse { status: 200 })?;
    Ok(SecretBody::new(bytes))
}

type Flights = Mutex<HashMap<CacheKey, Arc<tokio::sync::Mutex<()>>>>;

/// Removes the key's flight lock once nobody else holds or waits for it.
struct Flight<'a> {
    flights: &'a Flights,
    key: &'a CacheKey,
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        let mut map = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
        // Clones are only made under this mutex: the map's and ours means nobody else waits.
        if Arc::strong_count(&self.lock) == 2 {
            map.remove(self.key);
        }
    }
}

/// The cache in front of the server.
#[derive(Debug)]
pub struct SecretAgent {
    cache: SecretCache,
    upstream: Option<Upstream>,
    flights: Flights,
}

impl SecretAgent {
    /// An agent over `cache` and `upstream`.
    pub fn new(cache: SecretCache, upstream: Upstream) -> Self {
        Self { cache, upstream: Some(upstream), flights: Mutex::default() }
    }

    /// An agent without a server: only [`SecretAgent::get_with`] can fill it (tests, embedding).
    pub fn detached(cache: SecretCache) -> Self {
        Self { cache, upstream: None, flights: Mutex::default() }
    }

    /// The cache.
    pub fn cache(&self) -> &SecretCache {
        &self.cache
    }

    /// Serves `key`, from the cache when fresh (unless `refresh`), else from the server.
    pub async fn get(&self, key: &CacheKey, refresh: bool) -> Result<Served, FetchError> {
        self.get_with(key, refresh, || async {
            match &self.upstream {
                Some(u) => u.fetch(key).await,
                None => Err(FetchError::Unreachable),
            }
        })
        .await
    }

    /// [`SecretAgent::get`] with an explicit fetch function (called at most once).
    pub async fn get_with<F, Fut>(&self, key: &CacheKey, refresh: bool, fetch: F) -> Result<Served, FetchError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<SecretBody, FetchError>>,
    {
        let asked = Instant::now();
        if !refresh && let Lookup::Fresh { body, .. } = self.cache.get(key, asked) {
            return Ok(Served { body, status: CacheStatus::Hit });
        }
        let flight = {
            let mut map = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
            let lock = map.entry(key.clone()).or_default().clone();
            Flight { flights: &self.flights, key, lock }
        };
        let _turn = flight.lock.lock().await;
        // Someone else may have fetched while we waited; for a refresh, only a fetch that started
        // after we were asked counts.
        if let Lookup::Fresh { body, fetched_at } = self.cache.get(key, Instant::now())
            && (!refresh || fetched_at >= asked)
        {
            return Ok(Served { body, status: CacheStatus::Hit });
        }
        let started = Instant::now();
        match fetch().await {
            Ok(body) => {
                self.cache.insert(key.clone(), body.clone(), started);
                Ok(Served { body, status: CacheStatus::Miss })
            }
            Err(e) if e.is_transient() && !self.cache.max_stale().is_zero() => {
                match self.cache.get(key, Instant::now()) {
                    Lookup::Fresh { body, .. } => Ok(Served { body, status: CacheStatus::Stale { seconds: 0 } }),
                    Lookup::Expired { body, expired_for, .. } => {
                        Ok(Served { body, status: CacheStatus::Stale { seconds: expired_for.as_secs() } })
                    }
                    Lookup::Missing => Err(e),
                }
            }
            Err(e) => {
                if !e.is_transient() {
                    self.cache.remove(key);
                }
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroUsize;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    fn agent(ttl: Duration, stale: Duration) -> Arc<SecretAgent> {
        Arc::new(SecretAgent::detached(SecretCache::new(NonZeroUsize::new(10).unwrap(), ttl, stale)))
    }

    fn body(s: &str) -> SecretBody {
        SecretBody::new(s.as_bytes().to_vec())
    }

    fn api(status: u16, code: &str) -> FetchError {
        FetchError::Api { status, code: code.into(), message: "m".into() }
    }

    const LONG: Duration = Duration::from_secs(300);

    #[tokio::test]
    async fn miss_then_hit_then_refresh() {
        let a = agent(LONG, LONG);
        let k = CacheKey::current("s");
        let calls = AtomicUsize::new(0);
        let fetch = |v: &'static str| {
            let calls = &calls;
            move || async move {
                calls.fetch_add(1, Ordering::SeqCst);
                Ok(body(v))
            }
        };
        let r = a.get_with(&k, false, fetch("v1")).await.unwrap();
        assert_eq!((r.body.as_ref(), r.status), (&b"v1"[..], CacheStatus::Miss));
        let r = a.get_with(&k, false, fetch("v2")).await.unwrap();
        assert_eq!((r.body.as_ref(), r.status), (&b"v1"[..], CacheStatus::Hit));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let r = a.get_with(&k, true, fetch("v2")).await.unwrap();
        assert_eq!((r.body.as_ref(), r.status), (&b"v2"[..], CacheStatus::Miss));
        let r = a.get_with(&k, false, fetch("v3")).await.unwrap();
        assert_eq!((r.body.as_ref(), r.status), (&b"v2"[..], CacheStatus::Hit));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn transient_errors_serve_stale_data_and_4xx_drops_it() {
        let a = agent(Duration::ZERO, LONG);
        let k = CacheKey::current("s");
        // Nothing cached: the error comes through.
        let e = a.get_with(&k, false, || async { Err(FetchError::Unreachable) }).await.unwrap_err();
        assert!(matches!(e, FetchError::Unreachable));
        a.get_with(&k, false, || async { Ok(body("v1")) }).await.unwrap();
        for err in [FetchError::Unreachable, api(503, "ServiceUnavailable"), api(429, "Throttling")] {
            let r = a.get_with(&k, false, || async { Err(err) }).await.unwrap();
            assert_eq!(r.body.as_ref(), b"v1");
            assert!(matches!(r.status, CacheStatus::Stale { .. }), "{:?}", r.status);
        }
        // A 404 is not masked and forgets the value.
        let e = a.get_with(&k, false, || async { Err(api(404, "Forbidden.ResourceNotFound")) }).await.unwrap_err();
        assert!(matches!(e, FetchError::Api { status: 404, .. }));
        let e = a.get_with(&k, false, || async { Err(FetchError::Unreachable) }).await.unwrap_err();
        assert!(matches!(e, FetchError::Unreachable));
    }

    #[tokio::test]
    async fn refresh_failure_on_a_fresh_entry_is_stale_zero_and_disabled_window_serves_nothing() {
        let a = agent(LONG, LONG);
        let k = CacheKey::current("s");
        a.get_with(&k, false, || async { Ok(body("v1")) }).await.unwrap();
        let r = a.get_with(&k, true, || async { Err(FetchError::Unreachable) }).await.unwrap();
        assert_eq!(r.status, CacheStatus::Stale { seconds: 0 });

        let a = agent(Duration::ZERO, Duration::ZERO);
        a.get_with(&k, false, || async { Ok(body("v1")) }).await.unwrap();
        assert!(a.get_with(&k, false, || async { Err(FetchError::Unreachable) }).await.is_err());
    }

    #[tokio::test]
    async fn concurrent_misses_make_one_call() {
        let a = agent(LONG, LONG);
        let calls = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let (a, calls) = (a.clone(), calls.clone());
            tasks.push(tokio::spawn(async move {
                let k = CacheKey::current("s");
                a.get_with(&k, false, || async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Ok(body("v"))
                })
                .await
                .unwrap()
                .status
            }));
        }
        let mut statuses = Vec::new();
        for t in tasks {
            statuses.push(t.await.unwrap());
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(statuses.iter().filter(|s| **s == CacheStatus::Miss).count(), 1);
        assert!(a.flights.lock().unwrap().is_empty(), "flight locks are cleaned up");
    }

    #[test]
    fn response_body_drops_request_id_and_requires_the_secret() {
        let v = serde_json::json!({"RequestId": "r", "SecretName": "s", "SecretData": "pw", "VersionId": "v1"});
        let b = response_body(v).unwrap();
        let back: Value = serde_json::from_slice(b.as_ref()).unwrap();
        assert_eq!(back, serde_json::json!({"SecretName": "s", "SecretData": "pw", "VersionId": "v1"}));
        assert!(response_body(serde_json::json!({"SecretName": "s"})).is_err());
        assert!(response_body(serde_json::json!([1])).is_err());
    }

    #[test]
    fn transient_classification() {
        assert!(FetchError::Unreachable.is_transient());
        assert!(api(500, "InternalFailure").is_transient());
        assert!(api(429, "Throttling").is_transient());
        assert!(FetchError::BadResponse { status: 502 }.is_transient());
        for s in [400, 403, 404, 409] {
            assert!(!api(s, "x").is_transient(), "{s}");
        }
        assert!(!FetchError::BadResponse { status: 200 }.is_transient());
    }
}
