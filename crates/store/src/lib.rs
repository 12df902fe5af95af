//! keyward storage backends: SQLite (the embedded default) and PostgreSQL (scale-out), both
//! implementing the [`Store`] contract of `keyward-core` (DESIGN.md §5).
//!
//! - [`sqlite::SqliteStore`]: one file, WAL journal, `synchronous=FULL`, foreign keys on.
//! - [`postgres::PostgresStore`]: a connection pool over one PostgreSQL database; key creation
//!   and version additions serialize per instance, alias creation globally, with
//!   transaction-scoped advisory locks so quotas hold under concurrency across nodes; secret
//!   creation serializes per instance the same way, for the instance's secret quota.
//!
//! Both embed their schema migrations (`migrations/<dialect>/*.sql`) and apply them when
//! opened. Records are stored column by column: enums as their `as_str()` text, times as
//! Unix seconds, optional fields as NULL, a secret version's stages as a JSON array of strings.
//! With the `conformance` feature, [`conformance`] provides the test suite every backend must
//! pass.
//!
//! Use [`open`] to pick a backend from a URL.

use std::sync::Arc;

use keyward_core::store::{Store, StoreError};

/// The columns of `keys`, in the order the backends select and insert them.
macro_rules! key_columns {
    () => {
        "key_id, description, key_spec, key_usage, origin, protection_level, state, \
         creation_date, delete_date, material_expire, primary_version, last_rotation, \
         instance_id, rotation_enabled, rotation_interval_secs, next_rotation, \
         deletion_protection_enabled, deletion_protection_description, creator, revision"
    };
}

/// The columns of `key_versions`, in the order the backends select them.
macro_rules! version_columns {
    () => {
        "key_id, version_id, creation_date, sealed_material, material_fingerprint"
    };
}

/// The columns of `import_tokens`, in the order the backends select and insert them.
macro_rules! import_token_columns {
    () => {
        "token_id, key_id, version_id, wrapping_spec, wrapping_algorithm, sealed_private_key, \
         public_key_der, creation_date, expires_at"
    };
}

/// The columns of `aliases`, in the order the backends select and insert them.
macro_rules! alias_columns {
    () => {
        "alias_name, key_id, creation_date"
    };
}

/// The columns of `secrets`, in the order the backends select and insert them.
macro_rules! secret_columns {
    () => {
        "secret_name, secret_type, description, encryption_key_id, instance_id, creation_date, \
         update_date, planned_delete, policy, creator, revision"
    };
}

/// The columns of `secret_versions`, in the order the backends select and insert them.
macro_rules! secret_version_columns {
    () => {
        "secret_name, version_id, seq, creation_date, data_type, ciphertext, stages"
    };
}

mod codec;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod postgres;
pub mod sqlite;

/// Opens the store named by `url`, choosing the backend by scheme: `sqlite:` (e.g.
/// `sqlite:///var/lib/keyward/keyward.db`, `sqlite:keyward.db`), `postgres:` or `postgresql:`.
/// The database is created (SQLite) and migrated as needed.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    let scheme = url.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
    match scheme.as_deref() {
        Some("sqlite") => Ok(Arc::new(sqlite::SqliteStore::connect(url).await?)),
        Some("postgres" | "postgresql") => Ok(Arc::new(postgres::PostgresStore::connect(url).await?)),
        // The URL itself is not echoed: it may hold a password.
        Some(other) => Err(StoreError::Backend(
            format!("unsupported store URL scheme {other:?} (expected sqlite: or postgres:)").into(),
        )),
        None => Err(StoreError::Backend("store URL has no scheme (expected sqlite: or postgres:)".into())),
    }
}
