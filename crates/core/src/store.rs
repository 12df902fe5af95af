//! The storage contract. Backends live in `keyward-store`; this crate names none of them.
//!
//! The store is untrusted (DESIGN.md §2): it receives only sealed secrets. Every write returns
//! after commit ("acknowledged means durable"). Multi-row changes are atomic.

use async_trait::async_trait;

use crate::model::{
    AccessKeyRecord, AliasRecord, ImportTokenRecord, InstanceRecord, KeyRecord, KeyVersionRecord, PolicyRecord,
    PrincipalRecord, SecretRecord, SecretVersionRecord, Tag, UnixTime,
};

/// Errors a backend reports, by kind (never by driver message).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A row with the same primary key exists.
    #[error("record already exists")]
    AlreadyExists,
    /// The row changed since it was read (optimistic concurrency), or is gone.
    #[error("record was modified concurrently")]
    Conflict,
    /// Creating the key would exceed the instance's key quota.
    #[error("quota exceeded")]
    QuotaExceeded,
    /// A stored row could not be decoded (corrupt or from a newer version).
    #[error("corrupt record: {0}")]
    Corrupt(String),
    /// The backend failed (I/O, connection, driver).
    #[error("storage backend failure")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// A new key with its first version and tags, created atomically.
pub struct NewKey<'a> {
    /// The key.
    pub key: &'a KeyRecord,
    /// Its first version (EXTERNAL keys get one without material).
    pub version: Option<&'a KeyVersionRecord>,
    /// Its tags.
    pub tags: &'a [Tag],
    /// For instance keys: the instance's key quota, checked in the same transaction
    /// (number of key versions in the instance + 1 must not exceed it).
    pub instance_quota: Option<i64>,
    /// Its key policy document (CreateKey `Policy`), stored as by [`Store::put_key_policy`].
    pub policy: Option<&'a str>,
}

/// A new secret with its first version and tags, created atomically.
pub struct NewSecret<'a> {
    /// The secret.
    pub secret: &'a SecretRecord,
    /// Its first version.
    pub version: &'a SecretVersionRecord,
    /// Its tags.
    pub tags: &'a [Tag],
    /// For instance secrets: the instance's secret quota, checked in the same transaction
    /// (number of secrets in the instance + 1 must not exceed it).
    pub instance_quota: Option<i64>,
}

/// The storage contract shared by every backend. See the module docs.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Name of the backend, for logs (`sqlite`, `postgres`).
    fn backend_name(&self) -> &'static str;

    // --- metadata ---

    /// Reads a metadata value (e.g. the root-key canary).
    async fn get_meta(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Writes a metadata value only if absent; returns whether it was written.
    async fn put_meta_if_absent(&self, name: &str, value: &[u8]) -> Result<bool, StoreError>;

    // --- keys ---

    /// Creates a key, its first version and tags; `AlreadyExists` or `QuotaExceeded` on failure.
    async fn create_key(&self, new: NewKey<'_>) -> Result<(), StoreError>;
    /// Reads a key.
    async fn get_key(&self, key_id: &str) -> Result<Option<KeyRecord>, StoreError>;
    /// Replaces a key's metadata if its stored revision equals `key.revision`; the stored
    /// revision becomes `key.revision + 1`. `Conflict` otherwise (also when the key is gone).
    async fn update_key(&self, key: &KeyRecord) -> Result<(), StoreError>;
    /// Every key, ordered by creation date then id.
    async fn list_keys(&self) -> Result<Vec<KeyRecord>, StoreError>;
    /// Removes a key with its versions and tags. Returns whether it existed.
    async fn delete_key(&self, key_id: &str) -> Result<bool, StoreError>;
    /// Ids of keys in PendingDeletion whose delete date is at or before `now`.
    async fn keys_due_for_deletion(&self, now: UnixTime) -> Result<Vec<String>, StoreError>;
    /// Number of key versions held by keys of an instance.
    async fn count_instance_key_versions(&self, instance_id: &str) -> Result<i64, StoreError>;

    /// Keys with `material_expire <= now` whose state is not yet `PendingImport` (the expiry
    /// sweeper's work list), ordered by id.
    async fn keys_with_expired_material(&self, now: UnixTime) -> Result<Vec<String>, StoreError>;
    /// Atomically replaces a key's metadata (same revision rule as [`Store::update_key`]) and one
    /// of its versions' material: `sealed_material` `Some` sets it, `None` clears it;
    /// `fingerprint` `Some` sets the version's fingerprint, `None` leaves it unchanged.
    /// `Conflict` if the revision is stale, the key is gone or the version does not exist.
    async fn update_key_material(
        &self,
        key: &KeyRecord,
        version_id: &str,
        sealed_material: Option<&[u8]>,
        fingerprint: Option<&[u8]>,
    ) -> Result<(), StoreError>;

    /// Atomically adds a version to a key and replaces the key's metadata (revision rule of
    /// [`Store::update_key`]; the new primary version, rotation dates, state are in `key`). With
    /// `instance_quota`, fails with `QuotaExceeded` when the instance already holds that many key
    /// versions. `Conflict` on a stale revision or a missing key; `AlreadyExists` on a duplicate
    /// version id.
    async fn add_key_version(
        &self,
        key: &KeyRecord,
        version: &KeyVersionRecord,
        instance_quota: Option<i64>,
    ) -> Result<(), StoreError>;
    /// Keys with automatic rotation enabled whose next rotation is at or before `now`, by id.
    async fn keys_due_for_rotation(&self, now: UnixTime) -> Result<Vec<String>, StoreError>;

    // --- key versions and tags ---

    /// The key a version belongs to (version ids are globally unique and never move).
    async fn key_id_for_version(&self, version_id: &str) -> Result<Option<String>, StoreError>;
    /// The versions of a key, oldest first.
    async fn list_key_versions(&self, key_id: &str) -> Result<Vec<KeyVersionRecord>, StoreError>;
    /// The tags of a key, ordered by tag key.
    async fn list_key_tags(&self, key_id: &str) -> Result<Vec<Tag>, StoreError>;

    /// Adds or overwrites tags of a key (same TagKey = new value). `QuotaExceeded` when the key
    /// would then have more than `max_tags` tags (nothing written); `Conflict` if the key is gone.
    async fn put_key_tags(&self, key_id: &str, tags: &[Tag], max_tags: usize) -> Result<(), StoreError>;
    /// Removes the named tags of a key (absent ones are ignored). Returns how many were removed.
    async fn remove_key_tags(&self, key_id: &str, tag_keys: &[String]) -> Result<u64, StoreError>;
    /// Every tag of every key as `(key_id, tag)`, ordered by key id then tag key.
    async fn list_all_key_tags(&self) -> Result<Vec<(String, Tag)>, StoreError>;

    // --- aliases ---

    /// Creates an alias. `AlreadyExists` if the name is taken; `QuotaExceeded` when `quota`
    /// aliases exist already; `Conflict` if the key is gone. Aliases are deleted with their key.
    async fn create_alias(&self, alias: &AliasRecord, quota: i64) -> Result<(), StoreError>;
    /// Points an existing alias at another key. Returns whether the alias existed; `Conflict`
    /// if the key is gone.
    async fn update_alias(&self, alias_name: &str, key_id: &str) -> Result<bool, StoreError>;
    /// Deletes an alias. Returns whether it existed.
    async fn delete_alias(&self, alias_name: &str) -> Result<bool, StoreError>;
    /// Reads an alias.
    async fn get_alias(&self, alias_name: &str) -> Result<Option<AliasRecord>, StoreError>;
    /// Every alias, ordered by name; only those of `key_id` when given.
    async fn list_aliases(&self, key_id: Option<&str>) -> Result<Vec<AliasRecord>, StoreError>;

    // --- import tokens (GetParametersForImport) ---

    /// Stores a token; `AlreadyExists` if the id is taken. Deleted with its key.
    async fn create_import_token(&self, token: &ImportTokenRecord) -> Result<(), StoreError>;
    /// Reads a token.
    async fn get_import_token(&self, token_id: &str) -> Result<Option<ImportTokenRecord>, StoreError>;
    /// The tokens of a key whose `expires_at` is after `now`, oldest first.
    async fn list_live_import_tokens(&self, key_id: &str, now: UnixTime) -> Result<Vec<ImportTokenRecord>, StoreError>;
    /// Deletes tokens with `expires_at <= now`; returns how many.
    async fn delete_expired_import_tokens(&self, now: UnixTime) -> Result<u64, StoreError>;

    // --- instances ---

    /// Creates an instance; `AlreadyExists` if the id is taken.
    async fn create_instance(&self, instance: &InstanceRecord) -> Result<(), StoreError>;
    /// Reads an instance.
    async fn get_instance(&self, instance_id: &str) -> Result<Option<InstanceRecord>, StoreError>;
    /// Every instance, ordered by creation date then id.
    async fn list_instances(&self) -> Result<Vec<InstanceRecord>, StoreError>;

    // --- access keys ---

    /// Creates an AccessKey; `AlreadyExists` if the id is taken.
    async fn create_access_key(&self, key: &AccessKeyRecord) -> Result<(), StoreError>;
    /// Reads an AccessKey.
    async fn get_access_key(&self, access_key_id: &str) -> Result<Option<AccessKeyRecord>, StoreError>;
    /// Every AccessKey, ordered by creation date then id.
    async fn list_access_keys(&self) -> Result<Vec<AccessKeyRecord>, StoreError>;
    /// Enables or disables an AccessKey. Returns whether it existed.
    async fn set_access_key_enabled(&self, access_key_id: &str, enabled: bool) -> Result<bool, StoreError>;
    /// Deletes an AccessKey. Returns whether it existed.
    async fn delete_access_key(&self, access_key_id: &str) -> Result<bool, StoreError>;

    // --- secrets ---

    /// Creates a secret, its first version and tags; `AlreadyExists` if the name is taken (also
    /// by a secret pending deletion), `QuotaExceeded` when the instance quota is reached.
    async fn create_secret(&self, new: NewSecret<'_>) -> Result<(), StoreError>;
    /// Reads a secret.
    async fn get_secret(&self, secret_name: &str) -> Result<Option<SecretRecord>, StoreError>;
    /// Every secret, ordered by creation date then name.
    async fn list_secrets(&self) -> Result<Vec<SecretRecord>, StoreError>;
    /// Atomically replaces a secret's metadata (same revision rule as [`Store::update_key`]: the
    /// stored revision must equal `secret.revision` and becomes `secret.revision + 1`), inserts or
    /// replaces (by version id) every version in `put`, and deletes the versions named in
    /// `delete`. `Conflict` on a stale revision or a missing secret.
    async fn update_secret(
        &self,
        secret: &SecretRecord,
        put: &[SecretVersionRecord],
        delete: &[String],
    ) -> Result<(), StoreError>;
    /// The versions of a secret, by `seq` (oldest first).
    async fn list_secret_versions(&self, secret_name: &str) -> Result<Vec<SecretVersionRecord>, StoreError>;
    /// Removes a secret with its versions and tags. Returns whether it existed.
    async fn delete_secret(&self, secret_name: &str) -> Result<bool, StoreError>;
    /// Names of secrets whose planned delete time is at or before `now`, by name.
    async fn secrets_due_for_deletion(&self, now: UnixTime) -> Result<Vec<String>, StoreError>;
    /// Number of secrets held by an instance.
    async fn count_instance_secrets(&self, instance_id: &str) -> Result<i64, StoreError>;

    /// The tags of a secret, ordered by tag key.
    async fn list_secret_tags(&self, secret_name: &str) -> Result<Vec<Tag>, StoreError>;
    /// Adds or overwrites tags of a secret (same rules as [`Store::put_key_tags`]).
    async fn put_secret_tags(&self, secret_name: &str, tags: &[Tag], max_tags: usize) -> Result<(), StoreError>;
    /// Removes the named tags of a secret (absent ones are ignored). Returns how many were removed.
    async fn remove_secret_tags(&self, secret_name: &str, tag_keys: &[String]) -> Result<u64, StoreError>;
    /// Every tag of every secret as `(secret_name, tag)`, ordered by secret name then tag key.
    async fn list_all_secret_tags(&self) -> Result<Vec<(String, Tag)>, StoreError>;

    // --- key policies ---

    /// The key's policy document (`PolicyName` `default`), `None` when none was ever set.
    /// Deleted with the key.
    async fn get_key_policy(&self, key_id: &str) -> Result<Option<String>, StoreError>;
    /// Sets (inserts or replaces) the key's policy document; `Conflict` if the key is gone.
    async fn put_key_policy(&self, key_id: &str, document: &str) -> Result<(), StoreError>;

    // --- principals and identity policies ---

    /// Creates a principal; `AlreadyExists` if the name is taken.
    async fn create_principal(&self, principal: &PrincipalRecord) -> Result<(), StoreError>;
    /// Reads a principal.
    async fn get_principal(&self, name: &str) -> Result<Option<PrincipalRecord>, StoreError>;
    /// Every principal, ordered by name.
    async fn list_principals(&self) -> Result<Vec<PrincipalRecord>, StoreError>;
    /// Deletes a principal with its policy attachments. Returns whether it existed;
    /// `Conflict` (and nothing deleted) while AccessKeys of the principal exist.
    async fn delete_principal(&self, name: &str) -> Result<bool, StoreError>;
    /// Creates a policy; `AlreadyExists` if the name is taken.
    async fn create_policy(&self, policy: &PolicyRecord) -> Result<(), StoreError>;
    /// Reads a policy.
    async fn get_policy(&self, name: &str) -> Result<Option<PolicyRecord>, StoreError>;
    /// Every policy, ordered by name.
    async fn list_policies(&self) -> Result<Vec<PolicyRecord>, StoreError>;
    /// Replaces a policy's document and update date. Returns whether it existed.
    async fn update_policy(&self, name: &str, document: &str, update_date: UnixTime) -> Result<bool, StoreError>;
    /// Deletes a policy. Returns whether it existed; `Conflict` (and nothing deleted) while it
    /// is attached to any principal.
    async fn delete_policy(&self, name: &str) -> Result<bool, StoreError>;
    /// Attaches a policy to a principal. Returns `false` if it was attached already;
    /// `Conflict` if the principal or the policy does not exist.
    async fn attach_policy(&self, principal: &str, policy: &str) -> Result<bool, StoreError>;
    /// Detaches a policy from a principal. Returns whether it was attached.
    async fn detach_policy(&self, principal: &str, policy: &str) -> Result<bool, StoreError>;
    /// The policies attached to a principal, ordered by policy name (empty for an unknown
    /// principal).
    async fn list_attached_policies(&self, principal: &str) -> Result<Vec<PolicyRecord>, StoreError>;
    /// The names of the principals a policy is attached to, ordered.
    async fn list_policy_principals(&self, policy: &str) -> Result<Vec<String>, StoreError>;
}
