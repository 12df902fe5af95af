//! The SQLite backend: the embedded default.
//!
//! Every connection runs in WAL journal mode with `synchronous=FULL` (a commit is on disk
//! before it is acknowledged), foreign keys on and a 5 s busy timeout. Multi-statement writers
//! (key and secret creation and key version additions with their quota checks, material
//! updates, secret updates, tag upserts with their limit, alias creation with its quota, alias
//! updates, principal and policy deletions with their in-use checks) open their transaction with
//! `BEGIN IMMEDIATE`, so they hold SQLite's single write lock from their first statement and
//! cannot interleave with another writer: what they read cannot go stale before they commit. The schema is embedded in the binary and migrated on open.

use std::borrow::Cow;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use keyward_core::model::{
    AccessKeyRecord, AliasRecord, ImportTokenRecord, InstanceRecord, KeyRecord, KeyState, KeyVersionRecord, Origin,
    PolicyRecord, PrincipalRecord, SecretRecord, SecretVersionRecord, Tag, UnixTime,
};
use keyward_core::store::{NewKey, NewSecret, Store, StoreError};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::query::Query;
use sqlx::sqlite::{
    Sqlite, SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Executor, QueryBuilder, SqlSafeStr};

use crate::codec::{
    access_key_from_row, alias_from_row, alias_within_quota, check_added_version_owner, check_put_versions_owner,
    check_secret_version_owner, check_version_owner, encode_stages, import_token_from_row, instance_from_row,
    key_from_row, key_tag_from_row, map_child_insert_err, map_err, map_migrate_err, policy_from_row,
    principal_from_row, secret_from_row, secret_tag_from_row, secret_version_from_row, tag_from_row, tags_within,
    version_from_row, within_quota,
};

/// Maximum number of pooled connections.
const MAX_CONNECTIONS: u32 = 8;
/// How long a statement waits for a lock held by another connection.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The embedded migrations, oldest first.
fn migrator() -> Migrator {
    Migrator::with_migrations(vec![
        Migration::new(
            1,
            Cow::Borrowed("init"),
            MigrationType::Simple,
            include_str!("../migrations/sqlite/0001_init.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            2,
            Cow::Borrowed("byok"),
            MigrationType::Simple,
            include_str!("../migrations/sqlite/0002_byok.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            3,
            Cow::Borrowed("aliases"),
            MigrationType::Simple,
            include_str!("../migrations/sqlite/0003_aliases.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            4,
            Cow::Borrowed("secrets"),
            MigrationType::Simple,
            include_str!("../migrations/sqlite/0004_secrets.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            5,
            Cow::Borrowed("principals"),
            MigrationType::Simple,
            include_str!("../migrations/sqlite/0005_principals.sql").into_sql_str(),
            false,
        ),
    ])
}

/// A [`Store`] over one SQLite database file.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating it if missing) the database file at `path` and migrates it.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_with(SqliteConnectOptions::new().filename(path)).await
    }

    /// Opens the database named by a `sqlite:` URL (`sqlite://path`, `sqlite:path`,
    /// `sqlite::memory:`), creating it if missing, and migrates it.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url).map_err(map_err)?;
        Self::open_with(options).await
    }

    /// Applies keyward's connection settings to `options`, opens the pool and migrates.
    async fn open_with(options: SqliteConnectOptions) -> Result<Self, StoreError> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool =
            SqlitePoolOptions::new().max_connections(MAX_CONNECTIONS).connect_with(options).await.map_err(map_err)?;
        migrator().run(&pool).await.map_err(map_migrate_err)?;
        tracing::debug!("sqlite store opened and migrated");
        Ok(Self { pool })
    }

    /// The connection pool (for diagnostics and tests).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Closes every pooled connection, waiting for those in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The statement that replaces a key's metadata if its stored revision is `key.revision`,
/// bumping the revision (shared by `update_key` and `update_key_material`).
fn key_update(key: &KeyRecord) -> Query<'_, Sqlite, SqliteArguments> {
    sqlx::query(
        "UPDATE keys SET description = ?, key_spec = ?, key_usage = ?, origin = ?, \
         protection_level = ?, state = ?, creation_date = ?, delete_date = ?, \
         material_expire = ?, primary_version = ?, last_rotation = ?, instance_id = ?, \
         rotation_enabled = ?, rotation_interval_secs = ?, next_rotation = ?, \
         deletion_protection_enabled = ?, deletion_protection_description = ?, \
         creator = ?, revision = revision + 1 \
         WHERE key_id = ? AND revision = ?",
    )
    .bind(&key.description)
    .bind(key.spec.as_str())
    .bind(key.usage.as_str())
    .bind(key.origin.as_str())
    .bind(key.protection_level.as_str())
    .bind(key.state.as_str())
    .bind(key.creation_date)
    .bind(key.delete_date)
    .bind(key.material_expire)
    .bind(&key.primary_version)
    .bind(key.last_rotation)
    .bind(&key.instance_id)
    .bind(key.rotation.enabled)
    .bind(key.rotation.interval_secs)
    .bind(key.rotation.next_rotation)
    .bind(key.deletion_protection.enabled)
    .bind(&key.deletion_protection.description)
    .bind(&key.creator)
    .bind(&key.key_id)
    .bind(key.revision)
}

/// The statement that inserts a key version.
fn version_insert(v: &KeyVersionRecord) -> Query<'_, Sqlite, SqliteArguments> {
    sqlx::query(
        "INSERT INTO key_versions (key_id, version_id, creation_date, sealed_material, \
         material_fingerprint) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(&v.key_id)
    .bind(&v.version_id)
    .bind(v.creation_date)
    .bind(v.sealed_material.as_deref())
    .bind(v.material_fingerprint.as_deref())
}

/// The statement that adds a tag to a key or overwrites its value.
fn tag_upsert<'a>(key_id: &'a str, tag: &'a Tag) -> Query<'a, Sqlite, SqliteArguments> {
    sqlx::query(concat!(
        "INSERT INTO key_tags (key_id, tag_key, tag_value) VALUES (?, ?, ?) ",
        // A tag key holds one value: a repeated key keeps the last value given.
        "ON CONFLICT (key_id, tag_key) DO UPDATE SET tag_value = excluded.tag_value"
    ))
    .bind(key_id)
    .bind(&tag.key)
    .bind(&tag.value)
}

/// The statement that sets a key's policy document (inserted or replaced).
fn key_policy_upsert<'a>(key_id: &'a str, document: &'a str) -> Query<'a, Sqlite, SqliteArguments> {
    sqlx::query(
        "INSERT INTO key_policies (key_id, document) VALUES (?, ?) \
         ON CONFLICT (key_id) DO UPDATE SET document = excluded.document",
    )
    .bind(key_id)
    .bind(document)
}

/// Number of key versions held by keys of `instance_id`.
async fn count_versions<'e>(
    executor: impl Executor<'e, Database = Sqlite>,
    instance_id: &str,
) -> Result<i64, StoreError> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM key_versions v JOIN keys k ON k.key_id = v.key_id \
         WHERE k.instance_id = ?",
    )
    .bind(instance_id)
    .fetch_one(executor)
    .await
    .map_err(map_err)
}

/// Whether the key exists.
async fn key_exists<'e>(executor: impl Executor<'e, Database = Sqlite>, key_id: &str) -> Result<bool, StoreError> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM keys WHERE key_id = ?)")
        .bind(key_id)
        .fetch_one(executor)
        .await
        .map_err(map_err)
}

/// The statement that replaces a secret's metadata if its stored revision is `secret.revision`,
/// bumping the revision.
fn secret_update(secret: &SecretRecord) -> Query<'_, Sqlite, SqliteArguments> {
    sqlx::query(
        "UPDATE secrets SET secret_type = ?, description = ?, encryption_key_id = ?, instance_id = ?, \
         creation_date = ?, update_date = ?, planned_delete = ?, policy = ?, creator = ?, \
         revision = revision + 1 \
         WHERE secret_name = ? AND revision = ?",
    )
    .bind(secret.secret_type.as_str())
    .bind(&secret.description)
    .bind(&secret.encryption_key_id)
    .bind(&secret.instance_id)
    .bind(secret.creation_date)
    .bind(secret.update_date)
    .bind(secret.planned_delete)
    .bind(&secret.policy)
    .bind(&secret.creator)
    .bind(&secret.secret_name)
    .bind(secret.revision)
}

/// The statement that inserts a secret version, or replaces the one with the same version id.
fn secret_version_upsert(v: &SecretVersionRecord) -> Query<'_, Sqlite, SqliteArguments> {
    sqlx::query(concat!(
        "INSERT INTO secret_versions (",
        secret_version_columns!(),
        ") VALUES (?, ?, ?, ?, ?, ?, ?) ",
        "ON CONFLICT (secret_name, version_id) DO UPDATE SET seq = excluded.seq, ",
        "creation_date = excluded.creation_date, data_type = excluded.data_type, ",
        "ciphertext = excluded.ciphertext, stages = excluded.stages"
    ))
    .bind(&v.secret_name)
    .bind(&v.version_id)
    .bind(v.seq)
    .bind(v.creation_date)
    .bind(v.data_type.as_str())
    .bind(v.ciphertext.as_slice())
    .bind(encode_stages(&v.stages))
}

/// The statement that adds a tag to a secret or overwrites its value.
fn secret_tag_upsert<'a>(secret_name: &'a str, tag: &'a Tag) -> Query<'a, Sqlite, SqliteArguments> {
    sqlx::query(concat!(
        "INSERT INTO secret_tags (secret_name, tag_key, tag_value) VALUES (?, ?, ?) ",
        // A tag key holds one value: a repeated key keeps the last value given.
        "ON CONFLICT (secret_name, tag_key) DO UPDATE SET tag_value = excluded.tag_value"
    ))
    .bind(secret_name)
    .bind(&tag.key)
    .bind(&tag.value)
}

/// Whether the secret exists.
async fn secret_exists<'e>(
    executor: impl Executor<'e, Database = Sqlite>,
    secret_name: &str,
) -> Result<bool, StoreError> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM secrets WHERE secret_name = ?)")
        .bind(secret_name)
        .fetch_one(executor)
        .await
        .map_err(map_err)
}

/// Number of secrets held by `instance_id`, not counting `except` (the one being created).
async fn count_secrets<'e>(
    executor: impl Executor<'e, Database = Sqlite>,
    instance_id: &str,
    except: &str,
) -> Result<i64, StoreError> {
    sqlx::query_scalar("SELECT COUNT(*) FROM secrets WHERE instance_id = ? AND secret_name <> ?")
        .bind(instance_id)
        .bind(except)
        .fetch_one(executor)
        .await
        .map_err(map_err)
}

#[async_trait]
impl Store for SqliteStore {
    fn backend_name(&self) -> &'static str {
        "sqlite"
    }

    async fn get_meta(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        sqlx::query_scalar("SELECT value FROM meta WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)
    }

    async fn put_meta_if_absent(&self, name: &str, value: &[u8]) -> Result<bool, StoreError> {
        let done = sqlx::query("INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(value)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn create_key(&self, new: NewKey<'_>) -> Result<(), StoreError> {
        let key = new.key;
        check_version_owner(key, new.version)?;
        // The quota applies to instance keys only: a default key is never counted or refused.
        let quota_check = new.instance_quota.zip(key.instance_id.as_deref());
        // IMMEDIATE: take the write lock now, so the quota count below cannot go stale.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(map_err)?;
        sqlx::query(
            "INSERT INTO keys (key_id, description, key_spec, key_usage, origin, \
             protection_level, state, creation_date, delete_date, material_expire, \
             primary_version, last_rotation, instance_id, rotation_enabled, \
             rotation_interval_secs, next_rotation, deletion_protection_enabled, \
             deletion_protection_description, creator, revision) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&key.key_id)
        .bind(&key.description)
        .bind(key.spec.as_str())
        .bind(key.usage.as_str())
        .bind(key.origin.as_str())
        .bind(key.protection_level.as_str())
        .bind(key.state.as_str())
        .bind(key.creation_date)
        .bind(key.delete_date)
        .bind(key.material_expire)
        .bind(&key.primary_version)
        .bind(key.last_rotation)
        .bind(&key.instance_id)
        .bind(key.rotation.enabled)
        .bind(key.rotation.interval_secs)
        .bind(key.rotation.next_rotation)
        .bind(key.deletion_protection.enabled)
        .bind(&key.deletion_protection.description)
        .bind(&key.creator)
        .bind(key.revision)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;

        if let Some((quota, instance_id)) = quota_check
            && !within_quota(count_versions(&mut *tx, instance_id).await?, quota)
        {
            // Dropping `tx` rolls the key row back.
            return Err(StoreError::QuotaExceeded);
        }
        if let Some(v) = new.version {
            version_insert(v).execute(&mut *tx).await.map_err(map_err)?;
        }
        for tag in new.tags {
            tag_upsert(&key.key_id, tag).execute(&mut *tx).await.map_err(map_err)?;
        }
        if let Some(document) = new.policy {
            key_policy_upsert(&key.key_id, document).execute(&mut *tx).await.map_err(map_err)?;
        }
        tx.commit().await.map_err(map_err)
    }

    async fn get_key(&self, key_id: &str) -> Result<Option<KeyRecord>, StoreError> {
        let row = sqlx::query(concat!("SELECT ", key_columns!(), " FROM keys WHERE key_id = ?"))
            .bind(key_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.as_ref().map(key_from_row).transpose()
    }

    async fn update_key(&self, key: &KeyRecord) -> Result<(), StoreError> {
        let done = key_update(key).execute(&self.pool).await.map_err(map_err)?;
        if done.rows_affected() == 1 { Ok(()) } else { Err(StoreError::Conflict) }
    }

    async fn list_keys(&self) -> Result<Vec<KeyRecord>, StoreError> {
        let rows = sqlx::query(concat!("SELECT ", key_columns!(), " FROM keys ORDER BY creation_date, key_id"))
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(key_from_row).collect()
    }

    async fn delete_key(&self, key_id: &str) -> Result<bool, StoreError> {
        // Versions, tags, import tokens and aliases go with the key (ON DELETE CASCADE).
        let done =
            sqlx::query("DELETE FROM keys WHERE key_id = ?").bind(key_id).execute(&self.pool).await.map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn keys_due_for_deletion(&self, now: UnixTime) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar(
            "SELECT key_id FROM keys WHERE state = ? AND delete_date <= ? \
             ORDER BY delete_date, key_id",
        )
        .bind(KeyState::PendingDeletion.as_str())
        .bind(now)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)
    }

    async fn keys_with_expired_material(&self, now: UnixTime) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar(
            "SELECT key_id FROM keys WHERE origin = ? AND material_expire <= ? AND state <> ? \
             ORDER BY key_id",
        )
        .bind(Origin::External.as_str())
        .bind(now)
        .bind(KeyState::PendingImport.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)
    }

    async fn update_key_material(
        &self,
        key: &KeyRecord,
        version_id: &str,
        sealed_material: Option<&[u8]>,
        fingerprint: Option<&[u8]>,
    ) -> Result<(), StoreError> {
        // IMMEDIATE: hold the write lock from the first statement (see the module docs).
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(map_err)?;
        let done = key_update(key).execute(&mut *tx).await.map_err(map_err)?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict);
        }
        // A `None` fingerprint keeps the stored one.
        let done = sqlx::query(
            "UPDATE key_versions SET sealed_material = ?, \
             material_fingerprint = COALESCE(?, material_fingerprint) \
             WHERE key_id = ? AND version_id = ?",
        )
        .bind(sealed_material)
        .bind(fingerprint)
        .bind(&key.key_id)
        .bind(version_id)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() != 1 {
            // Dropping `tx` rolls the key update back.
            return Err(StoreError::Conflict);
        }
        tx.commit().await.map_err(map_err)
    }

    async fn count_instance_key_versions(&self, instance_id: &str) -> Result<i64, StoreError> {
        count_versions(&self.pool, instance_id).await
    }

    async fn add_key_version(
        &self,
        key: &KeyRecord,
        version: &KeyVersionRecord,
        instance_quota: Option<i64>,
    ) -> Result<(), StoreError> {
        check_added_version_owner(key, version)?;
        // The quota applies to instance keys only, as in `create_key`.
        let quota_check = instance_quota.zip(key.instance_id.as_deref());
        // IMMEDIATE: hold the write lock from the first statement, so the count cannot go stale.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(map_err)?;
        // Counted before the key row changes; a stale revision is reported before the quota.
        let count = match quota_check {
            Some((_, instance_id)) => Some(count_versions(&mut *tx, instance_id).await?),
            None => None,
        };
        let done = key_update(key).execute(&mut *tx).await.map_err(map_err)?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict);
        }
        if let (Some((quota, _)), Some(count)) = (quota_check, count)
            && !within_quota(count, quota)
        {
            // Dropping `tx` rolls the key update back.
            return Err(StoreError::QuotaExceeded);
        }
        // A duplicate version id is a unique violation: `AlreadyExists`, the key update rolled back.
        version_insert(version).execute(&mut *tx).await.map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn keys_due_for_rotation(&self, now: UnixTime) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar(
            "SELECT key_id FROM keys WHERE rotation_enabled = ? AND next_rotation <= ? \
             ORDER BY key_id",
        )
        .bind(true)
        .bind(now)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)
    }

    async fn key_id_for_version(&self, version_id: &str) -> Result<Option<String>, StoreError> {
        // Version ids are unique by contract; should one repeat, the lowest key id wins, as in
        // the reference store.
        sqlx::query_scalar("SELECT key_id FROM key_versions WHERE version_id = ? ORDER BY key_id LIMIT 1")
            .bind(version_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)
    }

    async fn list_key_versions(&self, key_id: &str) -> Result<Vec<KeyVersionRecord>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            version_columns!(),
            " FROM key_versions WHERE key_id = ? ORDER BY creation_date, version_id"
        ))
        .bind(key_id)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter().map(version_from_row).collect()
    }

    async fn list_key_tags(&self, key_id: &str) -> Result<Vec<Tag>, StoreError> {
        let rows = sqlx::query("SELECT tag_key, tag_value FROM key_tags WHERE key_id = ? ORDER BY tag_key")
            .bind(key_id)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(tag_from_row).collect()
    }

    async fn put_key_tags(&self, key_id: &str, tags: &[Tag], max_tags: usize) -> Result<(), StoreError> {
        // IMMEDIATE: no other writer can add tags between the upserts and the count below.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(map_err)?;
        if !key_exists(&mut *tx, key_id).await? {
            return Err(StoreError::Conflict);
        }
        for tag in tags {
            tag_upsert(key_id, tag).execute(&mut *tx).await.map_err(map_child_insert_err)?;
        }
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM key_tags WHERE key_id = ?")
            .bind(key_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(map_err)?;
        if !tags_within(count, max_tags) {
            // Dropping `tx` rolls every upsert back.
            return Err(StoreError::QuotaExceeded);
        }
        tx.commit().await.map_err(map_err)
    }

    async fn remove_key_tags(&self, key_id: &str, tag_keys: &[String]) -> Result<u64, StoreError> {
        if tag_keys.is_empty() {
            return Ok(0);
        }
        let mut query = QueryBuilder::<Sqlite>::new("DELETE FROM key_tags WHERE key_id = ");
        query.push_bind(key_id).push(" AND tag_key IN (");
        let mut names = query.separated(", ");
        for tag_key in tag_keys {
            names.push_bind(tag_key.as_str());
        }
        query.push(")");
        let done = query.build().execute(&self.pool).await.map_err(map_err)?;
        Ok(done.rows_affected())
    }

    async fn list_all_key_tags(&self) -> Result<Vec<(String, Tag)>, StoreError> {
        let rows = sqlx::query("SELECT key_id, tag_key, tag_value FROM key_tags ORDER BY key_id, tag_key")
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(key_tag_from_row).collect()
    }

    async fn create_alias(&self, alias: &AliasRecord, quota: i64) -> Result<(), StoreError> {
        // IMMEDIATE: the name check and the count cannot go stale before the insert.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(map_err)?;
        let taken: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM aliases WHERE alias_name = ?)")
            .bind(&alias.alias_name)
            .fetch_one(&mut *tx)
            .await
            .map_err(map_err)?;
        if taken {
            return Err(StoreError::AlreadyExists);
        }
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM aliases").fetch_one(&mut *tx).await.map_err(map_err)?;
        if !alias_within_quota(count, quota) {
            return Err(StoreError::QuotaExceeded);
        }
        // The alias's key must exist: a foreign-key violation means it is gone (`Conflict`).
        sqlx::query(concat!("INSERT INTO aliases (", alias_columns!(), ") VALUES (?, ?, ?)"))
            .bind(&alias.alias_name)
            .bind(&alias.key_id)
            .bind(alias.creation_date)
            .execute(&mut *tx)
            .await
            .map_err(map_child_insert_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn update_alias(&self, alias_name: &str, key_id: &str) -> Result<bool, StoreError> {
        // The key is checked even when the alias does not exist, as in the reference store.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(map_err)?;
        if !key_exists(&mut *tx, key_id).await? {
            return Err(StoreError::Conflict);
        }
        let done = sqlx::query("UPDATE aliases SET key_id = ? WHERE alias_name = ?")
            .bind(key_id)
            .bind(alias_name)
            .execute(&mut *tx)
            .await
            .map_err(map_child_insert_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_alias(&self, alias_name: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM aliases WHERE alias_name = ?")
            .bind(alias_name)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn get_alias(&self, alias_name: &str) -> Result<Option<AliasRecord>, StoreError> {
        let row = sqlx::query(concat!("SELECT ", alias_columns!(), " FROM aliases WHERE alias_name = ?"))
            .bind(alias_name)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.as_ref().map(alias_from_row).transpose()
    }

    async fn list_aliases(&self, key_id: Option<&str>) -> Result<Vec<AliasRecord>, StoreError> {
        let query = match key_id {
            Some(key_id) => {
                sqlx::query(concat!("SELECT ", alias_columns!(), " FROM aliases WHERE key_id = ? ORDER BY alias_name"))
                    .bind(key_id)
            }
            None => sqlx::query(concat!("SELECT ", alias_columns!(), " FROM aliases ORDER BY alias_name")),
        };
        let rows = query.fetch_all(&self.pool).await.map_err(map_err)?;
        rows.iter().map(alias_from_row).collect()
    }

    async fn create_import_token(&self, token: &ImportTokenRecord) -> Result<(), StoreError> {
        // The token's key must exist: a foreign-key violation means it is gone (`Conflict`).
        sqlx::query(concat!(
            "INSERT INTO import_tokens (",
            import_token_columns!(),
            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(&token.token_id)
        .bind(&token.key_id)
        .bind(&token.version_id)
        .bind(&token.wrapping_spec)
        .bind(&token.wrapping_algorithm)
        .bind(token.sealed_private_key.as_slice())
        .bind(token.public_key_der.as_slice())
        .bind(token.creation_date)
        .bind(token.expires_at)
        .execute(&self.pool)
        .await
        .map_err(map_child_insert_err)?;
        Ok(())
    }

    async fn get_import_token(&self, token_id: &str) -> Result<Option<ImportTokenRecord>, StoreError> {
        let row = sqlx::query(concat!("SELECT ", import_token_columns!(), " FROM import_tokens WHERE token_id = ?"))
            .bind(token_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.as_ref().map(import_token_from_row).transpose()
    }

    async fn list_live_import_tokens(&self, key_id: &str, now: UnixTime) -> Result<Vec<ImportTokenRecord>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            import_token_columns!(),
            " FROM import_tokens WHERE key_id = ? AND expires_at > ? ORDER BY creation_date, token_id"
        ))
        .bind(key_id)
        .bind(now)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter().map(import_token_from_row).collect()
    }

    async fn delete_expired_import_tokens(&self, now: UnixTime) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM import_tokens WHERE expires_at <= ?")
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected())
    }

    async fn create_instance(&self, instance: &InstanceRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO instances (instance_id, name, kind, spec_qps, key_quota, \
             secret_quota, creation_date) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&instance.instance_id)
        .bind(&instance.name)
        .bind(instance.kind.as_str())
        .bind(instance.spec_qps)
        .bind(instance.key_quota)
        .bind(instance.secret_quota)
        .bind(instance.creation_date)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn get_instance(&self, instance_id: &str) -> Result<Option<InstanceRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT instance_id, name, kind, spec_qps, key_quota, secret_quota, creation_date \
             FROM instances WHERE instance_id = ?",
        )
        .bind(instance_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        row.as_ref().map(instance_from_row).transpose()
    }

    async fn list_instances(&self) -> Result<Vec<InstanceRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT instance_id, name, kind, spec_qps, key_quota, secret_quota, creation_date \
             FROM instances ORDER BY creation_date, instance_id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter().map(instance_from_row).collect()
    }

    async fn create_access_key(&self, key: &AccessKeyRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO access_keys (access_key_id, sealed_secret, principal, enabled, \
             creation_date) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&key.access_key_id)
        .bind(key.sealed_secret.as_slice())
        .bind(&key.principal)
        .bind(key.enabled)
        .bind(key.creation_date)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn get_access_key(&self, access_key_id: &str) -> Result<Option<AccessKeyRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT access_key_id, sealed_secret, principal, enabled, creation_date \
             FROM access_keys WHERE access_key_id = ?",
        )
        .bind(access_key_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        row.as_ref().map(access_key_from_row).transpose()
    }

    async fn list_access_keys(&self) -> Result<Vec<AccessKeyRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT access_key_id, sealed_secret, principal, enabled, creation_date \
             FROM access_keys ORDER BY creation_date, access_key_id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter().map(access_key_from_row).collect()
    }

    async fn set_access_key_enabled(&self, access_key_id: &str, enabled: bool) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE access_keys SET enabled = ? WHERE access_key_id = ?")
            .bind(enabled)
            .bind(access_key_id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_access_key(&self, access_key_id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM access_keys WHERE access_key_id = ?")
            .bind(access_key_id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn create_secret(&self, new: NewSecret<'_>) -> Result<(), StoreError> {
        let secret = new.secret;
        check_secret_version_owner(secret, new.version)?;
        // The quota applies to instance secrets only: a default secret is never counted or refused.
        let quota_check = new.instance_quota.zip(secret.instance_id.as_deref());
        // IMMEDIATE: take the write lock now, so the quota count below cannot go stale.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(map_err)?;
        // A taken name (also by a secret pending deletion) is a unique violation: `AlreadyExists`,
        // reported before the quota.
        sqlx::query(concat!("INSERT INTO secrets (", secret_columns!(), ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"))
            .bind(&secret.secret_name)
            .bind(secret.secret_type.as_str())
            .bind(&secret.description)
            .bind(&secret.encryption_key_id)
            .bind(&secret.instance_id)
            .bind(secret.creation_date)
            .bind(secret.update_date)
            .bind(secret.planned_delete)
            .bind(&secret.policy)
            .bind(&secret.creator)
            .bind(secret.revision)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        if let Some((quota, instance_id)) = quota_check
            && !within_quota(count_secrets(&mut *tx, instance_id, &secret.secret_name).await?, quota)
        {
            // Dropping `tx` rolls the secret row back.
            return Err(StoreError::QuotaExceeded);
        }
        secret_version_upsert(new.version).execute(&mut *tx).await.map_err(map_err)?;
        for tag in new.tags {
            secret_tag_upsert(&secret.secret_name, tag).execute(&mut *tx).await.map_err(map_err)?;
        }
        tx.commit().await.map_err(map_err)
    }

    async fn get_secret(&self, secret_name: &str) -> Result<Option<SecretRecord>, StoreError> {
        let row = sqlx::query(concat!("SELECT ", secret_columns!(), " FROM secrets WHERE secret_name = ?"))
            .bind(secret_name)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.as_ref().map(secret_from_row).transpose()
    }

    async fn list_secrets(&self) -> Result<Vec<SecretRecord>, StoreError> {
        let rows =
            sqlx::query(concat!("SELECT ", secret_columns!(), " FROM secrets ORDER BY creation_date, secret_name"))
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
        rows.iter().map(secret_from_row).collect()
    }

    async fn update_secret(
        &self,
        secret: &SecretRecord,
        put: &[SecretVersionRecord],
        delete: &[String],
    ) -> Result<(), StoreError> {
        check_put_versions_owner(secret, put)?;
        // IMMEDIATE: hold the write lock from the first statement (see the module docs).
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(map_err)?;
        let done = secret_update(secret).execute(&mut *tx).await.map_err(map_err)?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict);
        }
        // Deletions first: a version both deleted and put ends up as put.
        if !delete.is_empty() {
            let mut query = QueryBuilder::<Sqlite>::new("DELETE FROM secret_versions WHERE secret_name = ");
            query.push_bind(&secret.secret_name).push(" AND version_id IN (");
            let mut names = query.separated(", ");
            for version_id in delete {
                names.push_bind(version_id.as_str());
            }
            query.push(")");
            query.build().execute(&mut *tx).await.map_err(map_err)?;
        }
        for v in put {
            secret_version_upsert(v).execute(&mut *tx).await.map_err(map_err)?;
        }
        tx.commit().await.map_err(map_err)
    }

    async fn list_secret_versions(&self, secret_name: &str) -> Result<Vec<SecretVersionRecord>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            secret_version_columns!(),
            " FROM secret_versions WHERE secret_name = ? ORDER BY seq, version_id"
        ))
        .bind(secret_name)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter().map(secret_version_from_row).collect()
    }

    async fn delete_secret(&self, secret_name: &str) -> Result<bool, StoreError> {
        // Versions and tags go with the secret (ON DELETE CASCADE).
        let done = sqlx::query("DELETE FROM secrets WHERE secret_name = ?")
            .bind(secret_name)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn secrets_due_for_deletion(&self, now: UnixTime) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar("SELECT secret_name FROM secrets WHERE planned_delete <= ? ORDER BY secret_name")
            .bind(now)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)
    }

    async fn count_instance_secrets(&self, instance_id: &str) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT COUNT(*) FROM secrets WHERE instance_id = ?")
            .bind(instance_id)
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)
    }

    async fn list_secret_tags(&self, secret_name: &str) -> Result<Vec<Tag>, StoreError> {
        let rows = sqlx::query("SELECT tag_key, tag_value FROM secret_tags WHERE secret_name = ? ORDER BY tag_key")
            .bind(secret_name)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(tag_from_row).collect()
    }

    async fn put_secret_tags(&self, secret_name: &str, tags: &[Tag], max_tags: usize) -> Result<(), StoreError> {
        // IMMEDIATE: no other writer can add tags between the upserts and the count below.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(map_err)?;
        if !secret_exists(&mut *tx, secret_name).await? {
            return Err(StoreError::Conflict);
        }
        for tag in tags {
            secret_tag_upsert(secret_name, tag).execute(&mut *tx).await.map_err(map_child_insert_err)?;
        }
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM secret_tags WHERE secret_name = ?")
            .bind(secret_name)
            .fetch_one(&mut *tx)
            .await
            .map_err(map_err)?;
        if !tags_within(count, max_tags) {
            // Dropping `tx` rolls every upsert back.
            return Err(StoreError::QuotaExceeded);
        }
        tx.commit().await.map_err(map_err)
    }

    async fn remove_secret_tags(&self, secret_name: &str, tag_keys: &[String]) -> Result<u64, StoreError> {
        if tag_keys.is_empty() {
            return Ok(0);
        }
        let mut query = QueryBuilder::<Sqlite>::new("DELETE FROM secret_tags WHERE secret_name = ");
        query.push_bind(secret_name).push(" AND tag_key IN (");
        let mut names = query.separated(", ");
        for tag_key in tag_keys {
            names.push_bind(tag_key.as_str());
        }
        query.push(")");
        let done = query.build().execute(&self.pool).await.map_err(map_err)?;
        Ok(done.rows_affected())
    }

    async fn list_all_secret_tags(&self) -> Result<Vec<(String, Tag)>, StoreError> {
        let rows = sqlx::query("SELECT secret_name, tag_key, tag_value FROM secret_tags ORDER BY secret_name, tag_key")
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(secret_tag_from_row).collect()
    }

    async fn get_key_policy(&self, key_id: &str) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT document FROM key_policies WHERE key_id = ?")
            .bind(key_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)
    }

    async fn put_key_policy(&self, key_id: &str, document: &str) -> Result<(), StoreError> {
        // A foreign-key violation means the key is gone (`Conflict`).
        key_policy_upsert(key_id, document).execute(&self.pool).await.map_err(map_child_insert_err)?;
        Ok(())
    }

    async fn create_principal(&self, principal: &PrincipalRecord) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO principals (name, description, creation_date) VALUES (?, ?, ?)")
            .bind(&principal.name)
            .bind(&principal.description)
            .bind(principal.creation_date)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn get_principal(&self, name: &str) -> Result<Option<PrincipalRecord>, StoreError> {
        let row = sqlx::query("SELECT name, description, creation_date FROM principals WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.as_ref().map(principal_from_row).transpose()
    }

    async fn list_principals(&self) -> Result<Vec<PrincipalRecord>, StoreError> {
        let rows = sqlx::query("SELECT name, description, creation_date FROM principals ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(principal_from_row).collect()
    }

    async fn delete_principal(&self, name: &str) -> Result<bool, StoreError> {
        // IMMEDIATE: no AccessKey can be added between the check and the delete.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(map_err)?;
        let has_keys: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM access_keys WHERE principal = ?)")
            .bind(name)
            .fetch_one(&mut *tx)
            .await
            .map_err(map_err)?;
        if has_keys {
            return Err(StoreError::Conflict);
        }
        // Attachments go with the principal (ON DELETE CASCADE).
        let done =
            sqlx::query("DELETE FROM principals WHERE name = ?").bind(name).execute(&mut *tx).await.map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn create_policy(&self, policy: &PolicyRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO policies (name, description, document, creation_date, update_date) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&policy.name)
        .bind(&policy.description)
        .bind(&policy.document)
        .bind(policy.creation_date)
        .bind(policy.update_date)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn get_policy(&self, name: &str) -> Result<Option<PolicyRecord>, StoreError> {
        let row =
            sqlx::query("SELECT name, description, document, creation_date, update_date FROM policies WHERE name = ?")
                .bind(name)
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
        row.as_ref().map(policy_from_row).transpose()
    }

    async fn list_policies(&self) -> Result<Vec<PolicyRecord>, StoreError> {
        let rows =
            sqlx::query("SELECT name, description, document, creation_date, update_date FROM policies ORDER BY name")
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
        rows.iter().map(policy_from_row).collect()
    }

    async fn update_policy(&self, name: &str, document: &str, update_date: UnixTime) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE policies SET document = ?, update_date = ? WHERE name = ?")
            .bind(document)
            .bind(update_date)
            .bind(name)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_policy(&self, name: &str) -> Result<bool, StoreError> {
        // IMMEDIATE: no attachment can be added between the check and the delete.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(map_err)?;
        let attached: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM principal_policies WHERE policy = ?)")
            .bind(name)
            .fetch_one(&mut *tx)
            .await
            .map_err(map_err)?;
        if attached {
            return Err(StoreError::Conflict);
        }
        let done =
            sqlx::query("DELETE FROM policies WHERE name = ?").bind(name).execute(&mut *tx).await.map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn attach_policy(&self, principal: &str, policy: &str) -> Result<bool, StoreError> {
        // A foreign-key violation means the principal or the policy does not exist (`Conflict`).
        let done = sqlx::query(
            "INSERT INTO principal_policies (principal, policy) VALUES (?, ?) \
             ON CONFLICT (principal, policy) DO NOTHING",
        )
        .bind(principal)
        .bind(policy)
        .execute(&self.pool)
        .await
        .map_err(map_child_insert_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn detach_policy(&self, principal: &str, policy: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM principal_policies WHERE principal = ? AND policy = ?")
            .bind(principal)
            .bind(policy)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn list_attached_policies(&self, principal: &str) -> Result<Vec<PolicyRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.name, p.description, p.document, p.creation_date, p.update_date \
             FROM principal_policies a JOIN policies p ON p.name = a.policy \
             WHERE a.principal = ? ORDER BY p.name",
        )
        .bind(principal)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter().map(policy_from_row).collect()
    }

    async fn list_policy_principals(&self, policy: &str) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar("SELECT principal FROM principal_policies WHERE policy = ? ORDER BY principal")
            .bind(policy)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)
    }
}
