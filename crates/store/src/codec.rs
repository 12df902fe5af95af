//! Row decoding and error mapping shared by the SQLite and PostgreSQL backends.
//!
//! Both backends store the same columns (see `migrations/<dialect>/*.sql`); the decoders here
//! are generic over the driver's row type, so a record is decoded the same way everywhere.
//! Enums are stored as their `as_str()` text: text that no longer parses is reported as
//! [`StoreError::Corrupt`], as is a column whose value cannot be decoded to its Rust type.
//! A secret version's stages are stored as a JSON array of strings, in the order given.

use keyward_core::model::{
    AccessKeyRecord, AliasRecord, DeletionProtection, ImportTokenRecord, InstanceKind, InstanceRecord, KeyRecord,
    KeySpec, KeyState, KeyUsage, KeyVersionRecord, Origin, PolicyRecord, PrincipalRecord, ProtectionLevel, Rotation,
    SecretDataType, SecretRecord, SecretType, SecretVersionRecord, Tag,
};
use keyward_core::store::StoreError;
use sqlx::error::ErrorKind;
use sqlx::{ColumnIndex, Decode, Row, Type};

/// Maps a driver error to a [`StoreError`]: unique violations (by kind, never by message) become
/// [`StoreError::AlreadyExists`], undecodable columns [`StoreError::Corrupt`], anything else
/// [`StoreError::Backend`].
pub(crate) fn map_err(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::Database(ref db) if db.kind() == ErrorKind::UniqueViolation => StoreError::AlreadyExists,
        sqlx::Error::ColumnDecode { index, source } => StoreError::Corrupt(format!("column {index}: {source}")),
        other => StoreError::Backend(Box::new(other)),
    }
}

/// Maps the error of an insert into a table whose parent row must exist: a foreign-key
/// violation (by kind, never by message) means the parent is gone, [`StoreError::Conflict`];
/// anything else as [`map_err`].
pub(crate) fn map_child_insert_err(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::Database(ref db) if db.kind() == ErrorKind::ForeignKeyViolation => StoreError::Conflict,
        other => map_err(other),
    }
}

/// Maps a migration failure to [`StoreError::Backend`].
pub(crate) fn map_migrate_err(e: sqlx::migrate::MigrateError) -> StoreError {
    StoreError::Backend(Box::new(e))
}

/// Reads one column.
fn col<'r, R, T>(row: &'r R, name: &'static str) -> Result<T, StoreError>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    T: Decode<'r, R::Database> + Type<R::Database>,
{
    row.try_get(name).map_err(map_err)
}

/// Parses stored enum text with `parse`, or reports the row as corrupt.
fn parse_enum<T>(what: &str, text: &str, parse: impl FnOnce(&str) -> Option<T>) -> Result<T, StoreError> {
    parse(text).ok_or_else(|| StoreError::Corrupt(format!("unknown {what} {text:?}")))
}

/// Decodes a row of `keys`.
pub(crate) fn key_from_row<'r, R>(row: &'r R) -> Result<KeyRecord, StoreError>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    bool: Decode<'r, R::Database> + Type<R::Database>,
{
    let spec: String = col(row, "key_spec")?;
    let usage: String = col(row, "key_usage")?;
    let origin: String = col(row, "origin")?;
    let protection_level: String = col(row, "protection_level")?;
    let state: String = col(row, "state")?;
    Ok(KeyRecord {
        key_id: col(row, "key_id")?,
        description: col(row, "description")?,
        spec: parse_enum("key spec", &spec, KeySpec::from_name)?,
        usage: parse_enum("key usage", &usage, KeyUsage::from_name)?,
        origin: parse_enum("origin", &origin, Origin::parse)?,
        protection_level: parse_enum("protection level", &protection_level, ProtectionLevel::parse)?,
        state: parse_enum("key state", &state, KeyState::parse)?,
        creation_date: col(row, "creation_date")?,
        delete_date: col(row, "delete_date")?,
        material_expire: col(row, "material_expire")?,
        primary_version: col(row, "primary_version")?,
        last_rotation: col(row, "last_rotation")?,
        instance_id: col(row, "instance_id")?,
        rotation: Rotation {
            enabled: col(row, "rotation_enabled")?,
            interval_secs: col(row, "rotation_interval_secs")?,
            next_rotation: col(row, "next_rotation")?,
        },
        deletion_protection: DeletionProtection {
            enabled: col(row, "deletion_protection_enabled")?,
            description: col(row, "deletion_protection_description")?,
        },
        creator: col(row, "creator")?,
        revision: col(row, "revision")?,
    })
}

/// Decodes a row of `key_versions`.
pub(crate) fn version_from_row<'r, R>(row: &'r R) -> Result<KeyVersionRecord, StoreError>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    Vec<u8>: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(KeyVersionRecord {
        key_id: col(row, "key_id")?,
        version_id: col(row, "version_id")?,
        creation_date: col(row, "creation_date")?,
        sealed_material: col(row, "sealed_material")?,
        material_fingerprint: col(row, "material_fingerprint")?,
    })
}

/// Decodes a row of `import_tokens`.
pub(crate) fn import_token_from_row<'r, R>(row: &'r R) -> Result<ImportTokenRecord, StoreError>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    Vec<u8>: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(ImportTokenRecord {
        token_id: col(row, "token_id")?,
        key_id: col(row, "key_id")?,
        version_id: col(row, "version_id")?,
        wrapping_spec: col(row, "wrapping_spec")?,
        wrapping_algorithm: col(row, "wrapping_algorithm")?,
        sealed_private_key: col(row, "sealed_private_key")?,
        public_key_der: col(row, "public_key_der")?,
        creation_date: col(row, "creation_date")?,
        expires_at: col(row, "expires_at")?,
    })
}

/// Decodes a row of `key_tags`.
pub(crate) fn tag_from_row<'r, R>(row: &'r R) -> Result<Tag, StoreError>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(Tag { key: col(row, "tag_key")?, value: col(row, "tag_value")? })
}

/// Decodes a row of `key_tags` with its key id.
pub(crate) fn key_tag_from_row<'r, R>(row: &'r R) -> Result<(String, Tag), StoreError>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok((col(row, "key_id")?, tag_from_row(row)?))
}

/// Decodes a row of `aliases`.
pub(crate) fn alias_from_row<'r, R>(row: &'r R) -> Result<AliasRecord, StoreError>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(AliasRecord {
        alias_name: col(row, "alias_name")?,
        key_id: col(row, "key_id")?,
        creation_date: col(row, "creation_date")?,
    })
}

/// Decodes a row of `instances`.
pub(crate) fn instance_from_row<'r, R>(row: &'r R) -> Result<InstanceRecord, StoreError>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
{
    let kind: String = col(row, "kind")?;
    Ok(InstanceRecord {
        instance_id: col(row, "instance_id")?,
        name: col(row, "name")?,
        kind: parse_enum("instance kind", &kind, InstanceKind::parse)?,
        spec_qps: col(row, "spec_qps")?,
        key_quota: col(row, "key_quota")?,
        secret_quota: col(row, "secret_quota")?,
        creation_date: col(row, "creation_date")?,
    })
}

/// Decodes a row of `access_keys`.
pub(crate) fn access_key_from_row<'r, R>(row: &'r R) -> Result<AccessKeyRecord, StoreError>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    bool: Decode<'r, R::Database> + Type<R::Database>,
    Vec<u8>: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(AccessKeyRecord {
        access_key_id: col(row, "access_key_id")?,
        sealed_secret: col(row, "sealed_secret")?,
        principal: col(row, "principal")?,
        enabled: col(row, "enabled")?,
        creation_date: col(row, "creation_date")?,
    })
}

/// Decodes a row of `secrets`.
pub(crate) fn secret_from_row<'r, R>(row: &'r R) -> Result<SecretRecord, StoreError>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
{
    let secret_type: String = col(row, "secret_type")?;
    Ok(SecretRecord {
        secret_name: col(row, "secret_name")?,
        secret_type: parse_enum("secret type", &secret_type, SecretType::parse)?,
        description: col(row, "description")?,
        encryption_key_id: col(row, "encryption_key_id")?,
        instance_id: col(row, "instance_id")?,
        creation_date: col(row, "creation_date")?,
        update_date: col(row, "update_date")?,
        planned_delete: col(row, "planned_delete")?,
        policy: col(row, "policy")?,
        creator: col(row, "creator")?,
        revision: col(row, "revision")?,
    })
}

/// Decodes a row of `secret_versions`.
pub(crate) fn secret_version_from_row<'r, R>(row: &'r R) -> Result<SecretVersionRecord, StoreError>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    Vec<u8>: Decode<'r, R::Database> + Type<R::Database>,
{
    let data_type: String = col(row, "data_type")?;
    let stages: String = col(row, "stages")?;
    Ok(SecretVersionRecord {
        secret_name: col(row, "secret_name")?,
        version_id: col(row, "version_id")?,
        seq: col(row, "seq")?,
        creation_date: col(row, "creation_date")?,
        data_type: parse_enum("secret data type", &data_type, SecretDataType::parse)?,
        ciphertext: col(row, "ciphertext")?,
        stages: decode_stages(&stages)?,
    })
}

/// Decodes a row of `secret_tags` with its secret name.
pub(crate) fn secret_tag_from_row<'r, R>(row: &'r R) -> Result<(String, Tag), StoreError>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok((col(row, "secret_name")?, tag_from_row(row)?))
}

/// Decodes a row of `principals`.
pub(crate) fn principal_from_row<'r, R>(row: &'r R) -> Result<PrincipalRecord, StoreError>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(PrincipalRecord {
        name: col(row, "name")?,
        description: col(row, "description")?,
        creation_date: col(row, "creation_date")?,
    })
}

/// Decodes a row of `policies`.
pub(crate) fn policy_from_row<'r, R>(row: &'r R) -> Result<PolicyRecord, StoreError>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(PolicyRecord {
        name: col(row, "name")?,
        description: col(row, "description")?,
        document: col(row, "document")?,
        creation_date: col(row, "creation_date")?,
        update_date: col(row, "update_date")?,
    })
}

/// The stored form of a secret version's stages: a JSON array of strings, in the order given.
pub(crate) fn encode_stages(stages: &[String]) -> String {
    // Serializing a slice of strings cannot fail.
    serde_json::to_string(stages).unwrap_or_else(|_| String::from("[]"))
}

/// Parses the stored form of a secret version's stages, or reports the row as corrupt.
fn decode_stages(text: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("secret version stages: {e}")))
}

/// Checks that a new secret's first version belongs to it (as [`check_version_owner`] for keys).
pub(crate) fn check_secret_version_owner(
    secret: &SecretRecord,
    version: &SecretVersionRecord,
) -> Result<(), StoreError> {
    if version.secret_name == secret.secret_name {
        Ok(())
    } else {
        Err(StoreError::Corrupt(format!(
            "version {} names secret {}, not the new secret {}",
            version.version_id, version.secret_name, secret.secret_name
        )))
    }
}

/// Checks that the versions put into an existing secret belong to it: another secret's version
/// is a [`StoreError::Conflict`] (the caller's view of the secret is wrong), as for keys.
pub(crate) fn check_put_versions_owner(secret: &SecretRecord, put: &[SecretVersionRecord]) -> Result<(), StoreError> {
    if put.iter().all(|v| v.secret_name == secret.secret_name) { Ok(()) } else { Err(StoreError::Conflict) }
}

/// Checks that a new key's first version belongs to it.
pub(crate) fn check_version_owner(key: &KeyRecord, version: Option<&KeyVersionRecord>) -> Result<(), StoreError> {
    match version {
        Some(v) if v.key_id != key.key_id => Err(StoreError::Corrupt(format!(
            "version {} names key {}, not the new key {}",
            v.version_id, v.key_id, key.key_id
        ))),
        _ => Ok(()),
    }
}

/// Checks that a version added to an existing key belongs to it: another key's version is a
/// [`StoreError::Conflict`] (the caller's view of the key is wrong), as in the reference store.
pub(crate) fn check_added_version_owner(key: &KeyRecord, version: &KeyVersionRecord) -> Result<(), StoreError> {
    if version.key_id == key.key_id { Ok(()) } else { Err(StoreError::Conflict) }
}

/// Whether a key holding `count` tags stays within `max_tags`.
pub(crate) fn tags_within(count: i64, max_tags: usize) -> bool {
    usize::try_from(count).is_ok_and(|n| n <= max_tags)
}

/// Whether creating one more alias keeps `count` aliases within `quota`.
pub(crate) fn alias_within_quota(count: i64, quota: i64) -> bool {
    count < quota
}

/// Whether creating one more key version (or secret) keeps `count` within `quota`.
pub(crate) fn within_quota(count: i64, quota: i64) -> bool {
    count.saturating_add(1) <= quota
}
