//! [`Kms`], the service object every entry point calls, and helpers shared by the operations:
//! key-id resolution (id, ARN, alias), ARNs, optimistic-concurrency updates, the clock.

use std::sync::Arc;

use keyward_crypto::{Barrier, RecordKind, SecretBytes};

use crate::access_keys::AccessKeyCache;
use crate::cache::{Caches, LoadedKey, LoadedVersion, Material};
use crate::clock::{Clock, SystemClock};
use crate::error::Error;
use crate::model::{KeyRecord, KeyState, UnixTime};
use crate::store::{Store, StoreError};
use crate::wrapping_pool::WrappingKeyPool;

/// Settings of the service that are not about storage.
#[derive(Clone, Debug)]
pub struct KmsConfig {
    /// Region id reported in ARNs and DescribeRegions (default `cn-hangzhou`).
    pub region: String,
    /// Account id reported in ARNs and as `Creator`.
    pub account_id: String,
    /// Number of pre-generated RSA-2048 wrapping keys kept ready for GetParametersForImport.
    pub wrapping_pool_size: usize,
    /// Most aliases in the region (ALIBABA.md §6: 300 by default).
    pub alias_quota: i64,
}

impl Default for KmsConfig {
    fn default() -> Self {
        Self {
            region: "cn-hangzhou".into(),
            account_id: "1000000000000000".into(),
            wrapping_pool_size: 8,
            alias_quota: 300,
        }
    }
}

/// The authenticated caller of an operation, with what policy conditions may test about the
/// request (`acs:SourceIp`, `acs:SecureTransport`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// Principal name (the bootstrap principal is `admin`).
    pub principal: String,
    /// The AccessKey that signed the request.
    pub access_key_id: String,
    /// The address the request came from, when known.
    pub source_ip: Option<std::net::IpAddr>,
    /// Whether the request came over TLS.
    pub secure_transport: bool,
}

impl Caller {
    /// A caller with no known source address, not over TLS.
    pub fn new(principal: impl Into<String>, access_key_id: impl Into<String>) -> Self {
        Self {
            principal: principal.into(),
            access_key_id: access_key_id.into(),
            source_ip: None,
            secure_transport: false,
        }
    }

    /// The same caller, seen coming from `ip` (over TLS or not).
    pub fn from_address(mut self, ip: Option<std::net::IpAddr>, secure_transport: bool) -> Self {
        self.source_ip = ip;
        self.secure_transport = secure_transport;
        self
    }
}

/// The KMS service. Cheap to share behind an `Arc`.
pub struct Kms {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) barrier: Barrier,
    pub(crate) config: KmsConfig,
    pub(crate) access_keys: AccessKeyCache,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) wrapping_pool: Arc<WrappingKeyPool>,
    pub(crate) caches: Caches,
    pub(crate) principal_policies: crate::authz::PrincipalPolicyCache,
}

/// Name of the metadata row holding the sealed canary that proves the root key is right.
const CANARY: &str = "root-key-canary";
const CANARY_PLAINTEXT: &[u8] = b"keyward root key canary v1";

impl Kms {
    /// Builds the service over `store`, sealing with `root_key`.
    ///
    /// On a new store it writes a sealed canary; on an existing one it checks that the canary
    /// opens, so a wrong root key is refused at startup instead of failing later.
    pub async fn open(store: Arc<dyn Store>, root_key: &SecretBytes, config: KmsConfig) -> Result<Self, Error> {
        Self::open_with_clock(store, root_key, config, Arc::new(SystemClock)).await
    }

    /// [`Kms::open`] with an explicit clock (tests move time with a `ManualClock`).
    pub async fn open_with_clock(
        store: Arc<dyn Store>,
        root_key: &SecretBytes,
        config: KmsConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, Error> {
        let barrier = Barrier::new(root_key)?;
        let sealed = barrier.seal(RecordKind::Canary, CANARY, CANARY_PLAINTEXT)?;
        store.put_meta_if_absent(CANARY, &sealed).await?;
        let stored = store
            .get_meta(CANARY)
            .await?
            .ok_or_else(|| Error::Internal("root-key canary missing after write".into()))?;
        match barrier.open(RecordKind::Canary, CANARY, &stored) {
            Ok(p) if p.expose() == CANARY_PLAINTEXT => {}
            _ => {
                return Err(Error::Internal(
                    "the root key does not match this data store (canary failed to open)".into(),
                ));
            }
        }
        let wrapping_pool = WrappingKeyPool::start(config.wrapping_pool_size);
        Ok(Self {
            store,
            barrier,
            config,
            access_keys: AccessKeyCache::new(),
            clock,
            wrapping_pool,
            caches: Caches::new(),
            principal_policies: crate::authz::PrincipalPolicyCache::new(),
        })
    }

    /// The service settings.
    pub fn config(&self) -> &KmsConfig {
        &self.config
    }

    /// Number of RSA wrapping keys ready in the pool.
    pub fn wrapping_pool_ready(&self) -> usize {
        self.wrapping_pool.len()
    }

    /// The store (for composition and tests).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The barrier (for tests that check what reaches the store).
    pub fn barrier(&self) -> &Barrier {
        &self.barrier
    }

    /// Current time of the service clock, Unix seconds.
    pub fn now(&self) -> UnixTime {
        self.clock.now_ms().div_euclid(1000)
    }

    /// Current time of the service clock, Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Whether the key's imported material has expired at the service clock's current
    /// millisecond (expired material is never used, whatever the sweeper has done yet).
    pub fn material_expired(&self, key: &KeyRecord) -> bool {
        key.material_expire.is_some_and(|t| self.now_ms() >= t.saturating_mul(1000))
    }

    /// The key as callers see it: an EXTERNAL key whose material has expired is `PendingImport`
    /// (unless `PendingDeletion`) from the moment of expiry, before the sweeper has run.
    pub fn effective(&self, mut key: KeyRecord) -> KeyRecord {
        if self.material_expired(&key) && key.state != KeyState::PendingDeletion {
            key.state = KeyState::PendingImport;
        }
        key
    }

    /// The ARN of a key.
    pub fn key_arn(&self, key_id: &str) -> String {
        format!("acs:kms:{}:{}:key/{}", self.config.region, self.config.account_id, key_id)
    }

    /// The ARN of a KMS instance.
    pub fn instance_arn(&self, instance_id: &str) -> String {
        format!("acs:kms:{}:{}:keystore/{}", self.config.region, self.config.account_id, instance_id)
    }

    /// Resolves a `KeyId` parameter (key id, key ARN or `alias/…`) to a key id.
    pub fn resolve_key_id(&self, input: &str) -> Result<String, Error> {
        if let Some(rest) = input.strip_prefix("acs:kms:") {
            // acs:kms:{region}:{account}:key/{id}
            let mut parts = rest.splitn(3, ':');
            let (region, account, resource) = (parts.next(), parts.next(), parts.next());
            return match (region, account, resource.and_then(|r| r.strip_prefix("key/"))) {
                (Some(r), Some(a), Some(id))
                    if r == self.config.region && a == self.config.account_id && !id.is_empty() =>
                {
                    Ok(id.to_string())
                }
                _ => Err(Error::KeyNotFound),
            };
        }
        if input.starts_with("alias/") {
            // Aliases need a lookup: see `resolve_key`.
            return Err(Error::AliasNotFound);
        }
        if input.is_empty() {
            return Err(Error::invalid("KeyId", "must not be empty"));
        }
        Ok(input.to_string())
    }

    /// Resolves a `KeyId` parameter — key id, key ARN, `alias/…` or alias ARN — to a key id.
    /// Alias lookups are cached briefly (see [`crate::cache`]).
    pub async fn resolve_key(&self, input: &str) -> Result<String, Error> {
        let alias = match input.strip_prefix("acs:kms:") {
            Some(rest) => {
                let mut parts = rest.splitn(3, ':');
                match (parts.next(), parts.next(), parts.next()) {
                    (Some(r), Some(a), Some(res))
                        if res.starts_with("alias/") && r == self.config.region && a == self.config.account_id =>
                    {
                        Some(res)
                    }
                    _ => None,
                }
            }
            None if input.starts_with("alias/") => Some(input),
            None => None,
        };
        let Some(alias) = alias else { return self.resolve_key_id(input) };
        if let Some(hit) = self.caches.aliases.get(&alias.to_string()) {
            return hit.ok_or(Error::AliasNotFound);
        }
        let found = self.store.get_alias(alias).await?.map(|a| a.key_id);
        self.caches.aliases.put(alias.to_string(), found.clone());
        found.ok_or(Error::AliasNotFound)
    }

    /// Forgets everything cached about a key (after a write through this node).
    pub(crate) fn invalidate(&self, key_id: &str) {
        self.caches.keys.remove(&key_id.to_string());
    }

    /// Forgets cached alias lookups (after an alias write).
    pub(crate) fn invalidate_aliases(&self) {
        self.caches.aliases.retain(|_, _| false);
    }

    /// The key with unsealed, parsed material of every version, from the cache or the store.
    pub async fn loaded_key(&self, key_id: &str) -> Result<Arc<LoadedKey>, Error> {
        if let Some(k) = self.caches.keys.get(&key_id.to_string()) {
            return Ok(k);
        }
        let record = self.store.get_key(key_id).await?.ok_or(Error::KeyNotFound)?;
        let mut versions = Vec::new();
        for v in self.store.list_key_versions(key_id).await? {
            let material = match &v.sealed_material {
                None => None,
                Some(sealed) => {
                    let aad = format!("{key_id}/{}", v.version_id);
                    let plain = self.barrier.open(keyward_crypto::RecordKind::KeyMaterial, &aad, sealed)?;
                    Some(if record.spec.is_symmetric() {
                        Material::Symmetric(keyward_crypto::aead::SymmetricKey::new(record.spec, &plain)?)
                    } else if record.spec.is_hmac() {
                        Material::Mac(Box::new(keyward_crypto::mac::MacKey::new(record.spec, &plain)?))
                    } else {
                        Material::Asymmetric(
                            keyward_crypto::asymmetric::AsymmetricKey::new(record.spec, &plain)
                                .map_err(|e| Error::Internal(format!("stored material of {key_id} unusable: {e}")))?,
                        )
                    })
                }
            };
            self.caches.versions.put(v.version_id.clone(), key_id.to_string());
            versions.push(LoadedVersion { version_id: v.version_id, creation_date: v.creation_date, material });
        }
        let policy = self.store.get_key_policy(key_id).await?;
        let tags = self.store.list_key_tags(key_id).await?;
        let auth = crate::authz::resource_auth(policy.as_deref(), tags);
        let loaded = Arc::new(LoadedKey { record, versions, auth });
        self.caches.keys.put(key_id.to_string(), loaded.clone());
        Ok(loaded)
    }

    /// The key a ciphertext's version id belongs to.
    pub async fn key_for_version(&self, version_id: &str) -> Result<String, Error> {
        if let Some(k) = self.caches.versions.get(&version_id.to_string()) {
            return Ok(k);
        }
        let key = self.store.key_id_for_version(version_id).await?.ok_or(Error::KeyNotFound)?;
        self.caches.versions.put(version_id.to_string(), key.clone());
        Ok(key)
    }

    /// Loads a key by `KeyId` parameter (id, ARN or alias).
    /// Reads go through the hot-path cache (fresh within [`crate::cache::TTL`]; writes through
    /// this node invalidate it at once).
    pub async fn load_key(&self, key_ref: &str) -> Result<KeyRecord, Error> {
        let id = self.resolve_key(key_ref).await?;
        Ok(self.effective(self.loaded_key(&id).await?.record.clone()))
    }

    /// Read-modify-write of a key under optimistic concurrency: `change` is applied to the
    /// freshest copy and retried when another writer got there first.
    pub(crate) async fn update_key_with<F>(&self, key_ref: &str, mut change: F) -> Result<KeyRecord, Error>
    where
        F: FnMut(&mut KeyRecord) -> Result<(), Error>,
    {
        let id = self.resolve_key(key_ref).await?;
        for _ in 0..16 {
            let mut key = self.store.get_key(&id).await?.ok_or(Error::KeyNotFound)?;
            change(&mut key)?;
            match self.store.update_key(&key).await {
                Ok(()) => {
                    self.invalidate(&id);
                    key.revision += 1;
                    return Ok(key);
                }
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Internal(format!("too many concurrent updates of key {id}")))
    }
}
