//! Shared helpers of the secret operations (ALIBABA.md §5.5): `SecretName` resolution (name or
//! secret ARN), secret ARNs, validation of names, version ids, stages and data, the secret cache,
//! sealing and opening version data under the secret's KMS key, stage bookkeeping, the
//! service-managed default key and optimistic-concurrency updates.
//!
//! Version data is a ciphertext blob (DESIGN.md §3) made under the primary version of the
//! secret's encryption key, with an encryption context that binds it to the secret name and
//! version id ([`data_context`]). The context is not JSON, so no EncryptionContext a caller can
//! pass to Decrypt matches it: a secret's ciphertext opens only through the secret operations,
//! and a ciphertext moved to another secret or version does not open at all.
//!
//! A secret whose recovery window has passed is treated as gone ([`Error::SecretNotFound`])
//! from that second on, before the purge job has removed it.

use std::fmt;
use std::sync::Arc;

use base64::Engine;
use keyward_crypto::{SecretBytes, blob};

use crate::cache::{LoadedKey, LoadedSecret, Material};
use crate::error::Error;
use crate::model::{
    DeletionProtection, KeyState, SecretDataType, SecretRecord, SecretType, SecretVersionRecord, UnixTime,
};
use crate::ops::create_key::CreateKeyRequest;
use crate::service::{Caller, Kms};
use crate::store::StoreError;

/// Longest secret name, in characters.
pub const MAX_SECRET_NAME: usize = 192;
/// Longest `SecretData`, in bytes.
pub const MAX_SECRET_DATA: usize = 30_720;
/// Most versions a secret keeps.
pub const MAX_VERSIONS: usize = 10;
/// Longest secret description, in characters.
pub const MAX_SECRET_DESCRIPTION: usize = 1024;
/// Longest secret policy document, in characters.
pub const MAX_POLICY: usize = 32_768;
/// Longest version id and stage name, in characters.
pub const MAX_VERSION_ID: usize = 64;
/// Most stages one PutSecretValue may attach.
pub const MAX_STAGES: usize = 10;
/// The stage of the current version.
pub const ACS_CURRENT: &str = "ACSCurrent";
/// The stage of the version that was current before.
pub const ACS_PREVIOUS: &str = "ACSPrevious";
pub use super::POLICY_NAME;
/// The managed secret types keyward refuses (they need cloud services it does not have).
pub const MANAGED_TYPES: [&str; 5] = ["Rds", "Redis", "RAMCredentials", "ECS", "PolarDB"];
/// Metadata row holding the id of the service-managed default key for secrets.
pub(crate) const DEFAULT_KEY_META: &str = "secrets-default-key";
/// Description of the service-managed default key.
pub const DEFAULT_KEY_DESCRIPTION: &str =
    "keyward service-managed default key: encrypts secrets created without EncryptionKeyId";

/// Whether `c` is allowed in a secret name: `[A-Za-z0-9_/+=.@-]` or a CJK ideograph.
fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, '_' | '/' | '+' | '=' | '.' | '@' | '-')
        || matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Validates a new secret's name: 1–192 characters of `[A-Za-z0-9_/+=.@-]` or CJK, not starting
/// with `acs/` (reserved for managed secrets).
pub fn validate_secret_name(name: &str) -> Result<(), Error> {
    let n = name.chars().count();
    if n == 0 || n > MAX_SECRET_NAME {
        return Err(Error::invalid("SecretName", format!("must have 1-{MAX_SECRET_NAME} characters")));
    }
    if !name.chars().all(name_char) {
        return Err(Error::invalid("SecretName", "allowed characters: letters, digits, _ / + = . @ - and CJK"));
    }
    if name.starts_with("acs/") {
        return Err(Error::invalid("SecretName", "names starting with acs/ are reserved for managed secrets"));
    }
    Ok(())
}

/// Parses `SecretType`: `Generic` only; the managed types are refused with
/// [`Error::UnsupportedOperation`], anything else is [`Error::InvalidParameter`].
pub fn parse_secret_type(s: &str) -> Result<SecretType, Error> {
    if let Some(t) = SecretType::parse(s) {
        return Ok(t);
    }
    if MANAGED_TYPES.contains(&s) {
        return Err(Error::UnsupportedOperation(format!(
            "{s} secrets are managed secrets: they need cloud services (RDS, Redis, RAM, ECS, PolarDB) that keyward \
             does not have; only Generic secrets are supported"
        )));
    }
    Err(Error::invalid("SecretType", "use Generic (the only type keyward supports)"))
}

/// The refusal of managed-secret features (rotation, ExtendedConfig.CustomData) on a Generic
/// secret.
pub(crate) fn managed_only(what: &str) -> Error {
    Error::UnsupportedOperation(format!(
        "{what} applies only to managed secrets (Rds, Redis, RAMCredentials, ECS, PolarDB), which need cloud \
         services keyward does not have; this is a Generic secret"
    ))
}

fn id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '@' | '+' | '=' | ':')
}

/// Validates a version id (`VersionId`, `MoveToVersion`, `RemoveFromVersion`) or a stage name:
/// 1–64 characters of `[A-Za-z0-9_.@+=:-]`.
pub fn validate_version_id(name: &'static str, v: &str) -> Result<(), Error> {
    let n = v.chars().count();
    if n == 0 || n > MAX_VERSION_ID || !v.chars().all(id_char) {
        return Err(Error::invalid(name, "must have 1-64 characters of letters, digits and _ . @ + = : -"));
    }
    Ok(())
}

/// Validates `SecretData` for its type: at most 30720 bytes; `binary` data must be base64.
pub fn validate_data(data: &[u8], data_type: SecretDataType) -> Result<(), Error> {
    if data.is_empty() {
        return Err(Error::invalid("SecretData", "must not be empty"));
    }
    if data.len() > MAX_SECRET_DATA {
        return Err(Error::invalid("SecretData", format!("at most {MAX_SECRET_DATA} bytes")));
    }
    if data_type == SecretDataType::Binary
        && base64::engine::general_purpose::STANDARD.decode(data.trim_ascii()).is_err()
    {
        return Err(Error::invalid("SecretData", "binary data must be base64-encoded"));
    }
    Ok(())
}

/// The encryption context of a secret version's data: binds the ciphertext to the secret name
/// and version id (neither can contain a NUL).
pub(crate) fn data_context(secret_name: &str, version_id: &str) -> Vec<u8> {
    let mut ctx = b"keyward-secret-v1\0".to_vec();
    ctx.extend_from_slice(secret_name.as_bytes());
    ctx.push(0);
    ctx.extend_from_slice(version_id.as_bytes());
    ctx
}

/// The secret's default policy (when none was set): allow everything within the account.
pub(crate) fn default_policy(account_id: &str) -> String {
    format!(
        r#"{{"Version":"1","Statement":[{{"Sid":"kms default secret policy","Effect":"Allow","Principal":{{"RAM":["acs:ram::{account_id}:*"]}},"Action":["kms:*"],"Resource":["*"]}}]}}"#
    )
}

/// One secret version's value, as GetSecretValue returns it. `Debug` never shows the data.
pub struct SecretValue {
    /// The secret.
    pub secret_name: String,
    /// Its type.
    pub secret_type: SecretType,
    /// The version read.
    pub version_id: String,
    /// The data exactly as stored (text, or the base64 text of binary data).
    pub data: SecretBytes,
    /// How the data is typed.
    pub data_type: SecretDataType,
    /// Creation time of the version.
    pub creation_date: UnixTime,
    /// Stages the version holds.
    pub stages: Vec<String>,
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretValue")
            .field("secret_name", &self.secret_name)
            .field("version_id", &self.version_id)
            .field("data", &"<redacted>")
            .field("data_type", &self.data_type)
            .field("stages", &self.stages)
            .finish()
    }
}

/// Puts `stage` on `target` alone (removing it from whichever version held it). Stages stay
/// sorted. Returns the former holder, if another version.
pub(crate) fn assign_stage(versions: &mut [SecretVersionRecord], stage: &str, target: &str) -> Option<String> {
    let mut former = None;
    for v in versions.iter_mut() {
        let has = v.stages.iter().any(|s| s == stage);
        if v.version_id == target {
            if !has {
                v.stages.push(stage.to_string());
                v.stages.sort();
            }
        } else if has {
            v.stages.retain(|s| s != stage);
            former = Some(v.version_id.clone());
        }
    }
    former
}

/// Makes `target` the `ACSCurrent` version; the former current version (if another) takes
/// `ACSPrevious`, which leaves its former holder.
pub(crate) fn make_current(versions: &mut [SecretVersionRecord], target: &str) {
    if let Some(former) = assign_stage(versions, ACS_CURRENT, target) {
        assign_stage(versions, ACS_PREVIOUS, &former);
    }
}

/// Drops the oldest versions without stages (never `keep`, the version just added) until at
/// most [`MAX_VERSIONS`] remain; [`Error::LimitExceeded`] when that is impossible.
pub(crate) fn roll_versions(versions: &mut Vec<SecretVersionRecord>, keep: &str) -> Result<(), Error> {
    while versions.len() > MAX_VERSIONS {
        let oldest_unstaged = versions
            .iter()
            .enumerate()
            .filter(|(_, v)| v.stages.is_empty() && v.version_id != keep)
            .min_by_key(|(_, v)| v.seq);
        match oldest_unstaged {
            Some((i, _)) => {
                versions.remove(i);
            }
            None => {
                return Err(Error::LimitExceeded(format!(
                    "a secret keeps at most {MAX_VERSIONS} versions and every version holds a stage; remove a \
                     stage with UpdateSecretVersionStage first"
                )));
            }
        }
    }
    Ok(())
}

/// Refuses a secret in its recovery window.
pub(crate) fn ensure_live(secret: &SecretRecord) -> Result<(), Error> {
    match secret.planned_delete {
        Some(_) => Err(Error::SecretInDeleteWindow),
        None => Ok(()),
    }
}

impl Kms {
    /// The ARN of a secret: `acs:kms:{region}:{account}:secret/{name}`.
    pub fn secret_arn(&self, secret_name: &str) -> String {
        format!("acs:kms:{}:{}:secret/{}", self.config.region, self.config.account_id, secret_name)
    }

    /// Resolves a `SecretName` parameter (a name or a secret ARN of this region and account) to
    /// the secret name. An ARN of another region, account or resource type names no secret here
    /// ([`Error::SecretNotFound`]); an empty input is [`Error::InvalidParameter`]. Existence is
    /// not checked.
    pub fn resolve_secret_name(&self, input: &str) -> Result<String, Error> {
        if let Some(rest) = input.strip_prefix("acs:kms:") {
            let mut parts = rest.splitn(3, ':');
            let (region, account, resource) = (parts.next(), parts.next(), parts.next());
            return match (region, account, resource.and_then(|r| r.strip_prefix("secret/"))) {
                (Some(r), Some(a), Some(name))
                    if r == self.config.region && a == self.config.account_id && !name.is_empty() =>
                {
                    Ok(name.to_string())
                }
                _ => Err(Error::SecretNotFound),
            };
        }
        if input.is_empty() {
            return Err(Error::invalid("SecretName", "must not be empty"));
        }
        Ok(input.to_string())
    }

    /// Whether a secret's recovery window is over (it is gone, whatever the purge job did yet).
    pub(crate) fn secret_purged(&self, secret: &SecretRecord) -> bool {
        secret.planned_delete.is_some_and(|t| t <= self.now())
    }

    /// Forgets what this node caches about a secret (after a write through this node).
    pub(crate) fn invalidate_secret(&self, secret_name: &str) {
        self.caches.secrets.remove(&secret_name.to_string());
    }

    /// A secret with its sealed versions, by `SecretName` parameter (name or ARN), from the
    /// cache or the store. Secrets in their recovery window are returned (check
    /// `record.planned_delete`); secrets past it are [`Error::SecretNotFound`].
    pub async fn loaded_secret(&self, input: &str) -> Result<Arc<LoadedSecret>, Error> {
        let name = self.resolve_secret_name(input)?;
        let loaded = match self.caches.secrets.get(&name) {
            Some(hit) => hit,
            None => {
                let record = self.store.get_secret(&name).await?.ok_or(Error::SecretNotFound)?;
                let versions = self.store.list_secret_versions(&name).await?;
                let tags = self.store.list_secret_tags(&name).await?;
                let auth = crate::authz::resource_auth(Some(&record.policy), tags);
                let loaded = Arc::new(LoadedSecret { record, versions, auth });
                self.caches.secrets.put(name, loaded.clone());
                loaded
            }
        };
        if self.secret_purged(&loaded.record) {
            return Err(Error::SecretNotFound);
        }
        Ok(loaded)
    }

    /// The secret's metadata by `SecretName` parameter, refusing secrets in their recovery
    /// window ([`Error::SecretInDeleteWindow`]). For operations on secrets outside this module
    /// (tags).
    pub async fn live_secret(&self, input: &str) -> Result<SecretRecord, Error> {
        let s = self.loaded_secret(input).await?;
        ensure_live(&s.record)?;
        Ok(s.record.clone())
    }

    /// The secret's encryption key, checked usable: a key that is not Enabled makes the secret
    /// unusable ([`Error::SecretKeyState`] names the key and its state).
    ///
    /// A secret under a key the caller chose (`EncryptionKeyId`) also needs `action`
    /// (`kms:Decrypt` to read, `kms:Encrypt` to write) on that key; the service-managed default
    /// key needs nothing more than the secret's own permission.
    pub(crate) async fn secret_key(
        &self,
        caller: &Caller,
        action: &str,
        key_id: &str,
    ) -> Result<Arc<LoadedKey>, Error> {
        let key = if caller.is_root() || self.is_default_secret_key(key_id).await? {
            self.loaded_key(key_id).await?
        } else {
            self.authorize_key_id(caller, action, key_id, None).await?
        };
        self.check_usable(&key).map_err(|e| match e {
            Error::KeyState(state) => Error::SecretKeyState { key_id: key_id.to_string(), state },
            other => other,
        })?;
        Ok(key)
    }

    /// Seals version data under the key's primary version, bound to the secret and version.
    pub(crate) fn seal_secret_data(
        &self,
        key: &LoadedKey,
        secret_name: &str,
        version_id: &str,
        data: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let ctx = data_context(secret_name, version_id);
        self.seal_primary(key, data, &ctx).map(|e| e.blob).map_err(|e| match e {
            Error::KeyState(state) => Error::SecretKeyState { key_id: key.record.key_id.clone(), state },
            other => other,
        })
    }

    /// Opens a version's data with the secret's (usable) key. The blob must come from a version
    /// of that key and carry this secret's name and this version's id in its context; anything
    /// else is a corrupt record.
    pub(crate) fn open_secret_data(
        &self,
        key: &LoadedKey,
        version: &SecretVersionRecord,
    ) -> Result<SecretBytes, Error> {
        let corrupt = || {
            Error::Internal(format!(
                "the stored data of secret {} version {} does not open under key {}",
                version.secret_name, version.version_id, key.record.key_id
            ))
        };
        let parsed = blob::decode(&version.ciphertext).map_err(|_| corrupt())?;
        let kv = key.version(parsed.version_id).ok_or_else(corrupt)?;
        let Some(Material::Symmetric(sk)) = &kv.material else {
            return Err(Error::SecretKeyState { key_id: key.record.key_id.clone(), state: KeyState::PendingImport });
        };
        let aad = blob::aad(parsed.version_id, &data_context(&version.secret_name, &version.version_id));
        sk.open(&parsed.iv, &aad, parsed.ciphertext_and_tag).map_err(|_| corrupt())
    }

    /// Read-modify-write of a secret and its versions under optimistic concurrency. `change`
    /// gets the freshest record and versions (oldest first) and edits them; what changed is
    /// written atomically (versions added, replaced, removed), with `update_date` = now. Nothing
    /// is written when nothing changed. Retried when another writer got there first. A secret
    /// past its recovery window is [`Error::SecretNotFound`].
    pub(crate) async fn update_secret_with<T, F>(
        &self,
        secret_name: &str,
        mut change: F,
    ) -> Result<(SecretRecord, T), Error>
    where
        F: FnMut(&mut SecretRecord, &mut Vec<SecretVersionRecord>) -> Result<T, Error>,
    {
        for _ in 0..16 {
            let before = self.store.get_secret(secret_name).await?.ok_or(Error::SecretNotFound)?;
            if self.secret_purged(&before) {
                return Err(Error::SecretNotFound);
            }
            let old_versions = self.store.list_secret_versions(secret_name).await?;
            let mut record = before.clone();
            let mut versions = old_versions.clone();
            let out = change(&mut record, &mut versions)?;
            let put: Vec<SecretVersionRecord> =
                versions.iter().filter(|v| !old_versions.contains(v)).cloned().collect();
            let delete: Vec<String> = old_versions
                .iter()
                .filter(|o| !versions.iter().any(|v| v.version_id == o.version_id))
                .map(|o| o.version_id.clone())
                .collect();
            if record == before && put.is_empty() && delete.is_empty() {
                return Ok((record, out));
            }
            record.update_date = self.now();
            match self.store.update_secret(&record, &put, &delete).await {
                Ok(()) => {
                    self.invalidate_secret(secret_name);
                    record.revision += 1;
                    return Ok((record, out));
                }
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Internal(format!("too many concurrent updates of secret {secret_name}")))
    }

    /// Whether `key_id` is the service-managed default key for secrets (without creating it).
    async fn is_default_secret_key(&self, key_id: &str) -> Result<bool, Error> {
        if let Some(id) = self.caches.default_secret_key.get() {
            return Ok(id == key_id);
        }
        match self.store.get_meta(DEFAULT_KEY_META).await? {
            Some(stored) => {
                let id = String::from_utf8(stored)
                    .map_err(|_| Error::Internal("default secret key id is not UTF-8".into()))?;
                Ok(self.caches.default_secret_key.get_or_init(|| id).as_str() == key_id)
            }
            None => Ok(false),
        }
    }

    /// The id of the service-managed default key for secrets, created on first use. The id is
    /// kept in a metadata row written only if absent, so concurrent nodes agree on one key; a
    /// node that loses the race deletes the key it made.
    pub(crate) async fn default_secret_key(&self, caller: &Caller) -> Result<String, Error> {
        if let Some(id) = self.caches.default_secret_key.get() {
            return Ok(id.clone());
        }
        let stored = match self.store.get_meta(DEFAULT_KEY_META).await? {
            Some(v) => v,
            None => {
                let req = CreateKeyRequest { description: DEFAULT_KEY_DESCRIPTION.into(), ..Default::default() };
                // The service creates it, whoever asked for the secret.
                let service = Caller::new(crate::access_keys::ADMIN_PRINCIPAL, caller.access_key_id.clone());
                let key = self.create_key(&service, req).await?;
                // Protected, so that deleting it by mistake cannot strand every default secret.
                self.update_key_with(&key.key_id, |k| {
                    k.deletion_protection =
                        DeletionProtection { enabled: true, description: DEFAULT_KEY_DESCRIPTION.into() };
                    Ok(())
                })
                .await?;
                if self.store.put_meta_if_absent(DEFAULT_KEY_META, key.key_id.as_bytes()).await? {
                    tracing::info!(key_id = %key.key_id, "created the default key for secrets");
                } else {
                    self.store.delete_key(&key.key_id).await?;
                    self.invalidate(&key.key_id);
                }
                self.store
                    .get_meta(DEFAULT_KEY_META)
                    .await?
                    .ok_or_else(|| Error::Internal("default secret key id missing after write".into()))?
            }
        };
        let id = String::from_utf8(stored).map_err(|_| Error::Internal("default secret key id is not UTF-8".into()))?;
        Ok(self.caches.default_secret_key.get_or_init(|| id).clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::testkit::kms;

    #[tokio::test]
    async fn names_and_arns_resolve() {
        let kms = kms().await;
        assert_eq!(kms.resolve_secret_name("db/pass").unwrap(), "db/pass");
        let arn = kms.secret_arn("db/pass");
        assert_eq!(arn, "acs:kms:cn-hangzhou:1000000000000000:secret/db/pass");
        assert_eq!(kms.resolve_secret_name(&arn).unwrap(), "db/pass");
        for foreign in [
            "acs:kms:cn-beijing:1000000000000000:secret/db/pass",
            "acs:kms:cn-hangzhou:2:secret/db/pass",
            "acs:kms:cn-hangzhou:1000000000000000:key/db",
            "acs:kms:cn-hangzhou:1000000000000000:secret/",
        ] {
            assert!(matches!(kms.resolve_secret_name(foreign), Err(Error::SecretNotFound)), "{foreign}");
        }
        assert!(matches!(kms.resolve_secret_name(""), Err(Error::InvalidParameter { name: "SecretName", .. })));
    }

    #[test]
    fn name_rules() {
        for ok in ["a", "db/prod+x=1.y@z-_", "数据库密码", &"n".repeat(192)] {
            validate_secret_name(ok).unwrap();
        }
        for bad in ["", "acs/ecs/x", "a b", "a:b", "é", &"n".repeat(193)] {
            assert!(validate_secret_name(bad).is_err(), "{bad}");
        }
    }
}
