//! The keyward server: configuration, listeners, authentication and the Alibaba KMS protocol
//! endpoint over the core service.
//!
//! **Architecture Invariant:** this crate and `keyward-protocol` are the only ones that know
//! HTTP and wire field names. Backends are named only in [`bootstrap`] (via `keyward_store::open`).
//!
//! - [`config`]: layered settings.
//! - [`bootstrap`]: opening data dir, root key, store, service, bootstrap AccessKey.
//! - [`tls`]: HTTPS certificates (local CA).
//! - [`app`]: the axum router and request pipeline.
//! - [`audit`]: the hash-chained audit log.
//! - [`auth`]: signature, timestamp and nonce checks.
//! - [`dispatch`]: action name → handler; [`actions`]: one file per action.
//! - [`error`]: the one mapping from errors to Alibaba codes.
//! - [`huawei`]: the Huawei Cloud KMS API v1.0 on the same listeners and keys.
//! - [`metrics`]: Prometheus metrics, health endpoints, the admin listener's router.
//! - [`request_id`]: cheap, unique, UUID-shaped request ids.
//! - [`run`]: listeners, background jobs, shutdown.

pub mod actions;
pub mod app;
pub mod audit;
pub mod auth;
pub mod bootstrap;
pub mod config;
pub mod dispatch;
pub mod error;
pub mod huawei;
pub mod metrics;
pub mod request_id;
pub mod run;
pub mod tls;
