//! keyward-agent: the local secrets agent. Applications in any language read secrets from a
//! loopback HTTP endpoint; the agent fetches them from the keyward server with `GetSecretValue`
//! (the Rust SDK, ACS3-signed, HTTPS) and caches them in memory. It follows the interface of the
//! Alibaba Cloud KMS Agent and the hardening of the AWS Secrets Manager Agent (ALIBABA.md §7).
//!
//! The crate is a cache library ([`cache`], [`fetch`]) and a thin HTTP server ([`server`]);
//! [`config`] and [`token`] load the settings. `keyward agent --config FILE` runs it.
//!
//! # Configuration
//!
//! ```toml
//! [Server]
//! HttpPort = 2025                     # 127.0.0.1:2025; 0 = any free port
//! # BindAddress = "127.0.0.1"         # loopback only (127.0.0.0/8 or ::1); anything else is refused
//! SSRFHeaders = ["X-KMS-Token", "X-Vault-Token"]
//! SSRFEnvVariables = ["KMS_TOKEN", "KMS_SESSION_TOKEN", "KMS_CONTAINER_AUTHORIZATION_TOKEN"]
//! PathPrefix = "/v1/"
//! MaxConn = 800                       # 1..=1000
//!
//! [Cache]
//! Size = 1000                         # 1..=1000 entries, least recently used evicted first
//! TtlSeconds = 300                    # 0..=86400; 0 = always ask the server
//! MaxStaleSeconds = 3600              # stale-on-error window after expiry; 0 = disabled
//!
//! [Kms]
//! Endpoint = "https://127.0.0.1:8443"
//! CaFile = "keyward-data/tls/ca.pem"
//! AccessKeyId = "LTAI..."             # the environment pair wins, see below
//! AccessKeySecret = "..."
//! TimeoutSeconds = 10
//! ```
//!
//! Every key is optional except the endpoint and the credentials; unknown keys are errors.
//! Precedence: defaults < file < environment < flags (`--port`, `--endpoint`, `--ca-file`). The
//! credentials `ALIBABA_CLOUD_ACCESS_KEY_ID` + `ALIBABA_CLOUD_ACCESS_KEY_SECRET` from the
//! environment win over the file's pair. The SSRF token comes from the first set variable of
//! `SSRFEnvVariables`, as the token itself or as `file:///path` (read and trimmed); without a
//! token the agent refuses to start.
//!
//! # Requests
//!
//! * `GET /ping` → 200 `healthy` (no token needed).
//! * `GET /secretsmanager/get?secretId=NAME[&versionId=V|&versionStage=S][&refreshNow=true]`
//! * `GET {PathPrefix}NAME[?versionId=V|versionStage=S][&refreshNow=true]` (NAME percent-decoded,
//!   may contain `/`).
//!
//! Every request but `/ping` carries the token in one of `SSRFHeaders`. A successful answer is
//! 200 with the server's GetSecretValue object minus `RequestId`:
//!
//! ```json
//! {"CreateTime":"2024-05-01T10:00:00Z","SecretData":"…","SecretDataType":"text",
//!  "SecretName":"app/db","SecretType":"Generic","VersionId":"v2",
//!  "VersionStages":{"VersionStage":["ACSCurrent"]}}
//! ```
//!
//! with `X-Keyward-Cache: hit|miss|stale` and, on stale answers, `X-Keyward-Stale-Seconds: N`
//! (whole seconds since the entry expired). `Cache-Control: no-store` is always set.
//!
//! Connections are HTTP/1.1 keep-alive; one that sends no complete request head for 30 s (an idle
//! keep-alive connection included) is closed, freeing its `MaxConn` slot.
//!
//! Errors are `{"Code": "...", "Message": "..."}`:
//!
//! | status | Code | when |
//! |---|---|---|
//! | 400 | `Forwarded` | the request has `X-Forwarded-For` (checked first) |
//! | 400 | `MissingParameter` / `InvalidParameter` | no secret name; unknown, repeated or empty query parameter; `refreshNow` not `true`/`false` |
//! | 401 | `MissingToken` | none of the SSRF headers |
//! | 403 | `InvalidToken` | wrong token (compared in constant time) |
//! | 404 | `NotFound` | unknown path |
//! | 405 | `MethodNotAllowed` | not GET |
//! | 429 | `ConnectionLimitExceeded` | more than `MaxConn` open connections; the connection is closed |
//! | 4xx/5xx | the server's code | an API error from GetSecretValue, passed through (e.g. 404 `Forbidden.ResourceNotFound`) |
//! | 502 | `KmsUnreachable` / `KmsBadResponse` | the server cannot be reached and nothing stale can be served |
//!
//! # Cache
//!
//! Entries are keyed by (name, versionId, versionStage) and hold the serialized response, so a hit
//! costs a hash lookup. Fresh for `TtlSeconds`; `refreshNow=true` bypasses and refreshes the entry.
//! Concurrent misses of one key make one server call. When the server is unreachable (transport
//! error, 5xx, 429) an entry up to `MaxStaleSeconds` past expiry is served as `stale`; 4xx API
//! errors are passed through and drop the entry. Bodies live in memory only, are zeroized when
//! the last reference is dropped, and are never logged.
//!
//! **Architecture Invariant:** depends on `keyward-client` only among the keyward crates (no core,
//! crypto or store).

pub mod cache;
pub mod config;
pub mod fetch;
pub mod server;
pub mod token;

pub use cache::{CacheKey, SecretBody, SecretCache};
pub use config::{Overrides, Settings};
pub use fetch::{CacheStatus, FetchError, SecretAgent, Served, Upstream};
pub use server::{AgentServer, StartError};
