//! The keyward core: domain model, key lifecycle operations and the storage contract.
//!
//! **Architecture Invariant:** this crate knows no HTTP, no JSON wire field names and no SQL.
//! Entry points (the Alibaba protocol today, Huawei and a console later) translate their requests
//! into the typed requests of [`ops`] and call [`Kms`]. The store only ever sees sealed secrets.
//!
//! - [`model`]: keys, versions, instances, AccessKeys, secrets.
//! - [`store`]: the [`store::Store`] trait backends implement.
//! - [`error`]: [`Error`], the one error type every operation returns.
//! - [`service`]: [`Kms`], the service object, and shared helpers (key resolution, ARNs).
//! - [`cache`]: the hot-path cache of keys with unsealed material and of secrets (sealed).
//! - [`clock`]: the injectable clock.
//! - [`memory`]: an in-memory store for unit tests.
//! - [`access_keys`]: AccessKey administration and the authentication lookup (cached).
//! - [`principals`]: principals and identity policies (administration).
//! - [`authz`]: authorization of every operation (principal, key and secret policies).
//! - [`ops`]: one file per API operation (secrets: `ops/secrets.rs` and the `*secret*` files).
//! - [`policy`]: RAM-style policy documents, parsed strictly and evaluated (Allow / Deny).
//! - [`wrapping_pool`]: pre-generated RSA wrapping keys for GetParametersForImport.

pub mod access_keys;
pub mod authz;
#[cfg(test)]
mod authz_tests;
pub mod cache;
pub mod clock;
pub mod error;
pub mod memory;
pub mod model;
pub mod ops;
pub mod policy;
pub mod principals;
pub mod service;
pub mod store;
pub mod wrapping_pool;

pub use error::{Error, ImportError};
pub use service::{Caller, Kms, KmsConfig};
