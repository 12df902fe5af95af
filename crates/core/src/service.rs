//! [`Kms`], the service object every entry point calls, and helpers shared by the operations:
//! key-id resolution (id, ARN, alias), ARNs, optimistic-concurrency updates, the clock.

use std::sync::Arc;

use keyward_crypto::{Barrier, RecordKind, SecretBytes};

use crate::access_keys::AccessKeyCache;
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
}

impl Default for KmsConfig {
    fn default() -> Self {
        Self { region: "cn-hangzhou".into(), account_id: "1000000000000000".into(), wrapping_pool_size: 8 }
    }
}

/// The authenticated caller of an operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// Principal name (the bootstrap principal is `admin`).
    pub principal: String,
    /// The AccessKey that signed the request.
    pub access_key_id: String,
}

/// The KMS service. Cheap to share behind an `Arc`.
pub struct Kms {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) barrier: Barrier,
    pub(crate) config: KmsConfig,
    pub(crate) access_keys: AccessKeyCache,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) wrapping_pool: Arc<WrappingKeyPool>,
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
        Ok(Self { store, barrier, config, access_keys: AccessKeyCache::new(), clock, wrapping_pool })
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
            // Aliases arrive with the alias actions; until then no alias exists.
            return Err(Error::AliasNotFound);
        }
        if input.is_empty() {
            return Err(Error::invalid("KeyId", "must not be empty"));
        }
        Ok(input.to_string())
    }

    /// Loads a key by `KeyId` parameter (id, ARN or alias).
    pub async fn load_key(&self, key_ref: &str) -> Result<KeyRecord, Error> {
        let id = self.resolve_key_id(key_ref)?;
        self.store.get_key(&id).await?.map(|k| self.effective(k)).ok_or(Error::KeyNotFound)
    }

    /// Read-modify-write of a key under optimistic concurrency: `change` is applied to the
    /// freshest copy and retried when another writer got there first.
    pub(crate) async fn update_key_with<F>(&self, key_ref: &str, mut change: F) -> Result<KeyRecord, Error>
    where
        F: FnMut(&mut KeyRecord) -> Result<(), Error>,
    {
        let id = self.resolve_key_id(key_ref)?;
        for _ in 0..16 {
            let mut key = self.store.get_key(&id).await?.ok_or(Error::KeyNotFound)?;
            change(&mut key)?;
            match self.store.update_key(&key).await {
                Ok(()) => {
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
