//! The hot-path cache: keys with their versions' material unsealed and parsed into ready crypto
//! objects, alias → key and version → key lookups, and secrets with their versions' ciphertexts
//! (never their plaintext). Encrypt, Decrypt, Sign, GetSecretValue and friends read only from
//! here; the store is asked on a miss or when an entry is older than [`TTL`].
//!
//! Every write made through this node invalidates the key or secret at once; [`TTL`] bounds how
//! long a change made by another node (scale-out over PostgreSQL) takes to be seen. Every map is
//! bounded ([`MAX_KEYS`], [`MAX_SECRETS`], [`MAX_LOOKUPS`]); when full, expired entries go first,
//! then everything.
//!
//! Each map counts its hits and misses (relaxed atomics, for metrics: [`Kms::cache_stats`]).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use keyward_crypto::aead::SymmetricKey;
use keyward_crypto::asymmetric::AsymmetricKey;
use keyward_crypto::mac::MacKey;

use crate::model::{KeyRecord, SecretRecord, SecretVersionRecord, Tag};
use crate::policy::Policy;
use crate::service::Kms;

/// How long a cached key is trusted without asking the store.
pub const TTL: Duration = Duration::from_secs(5);
/// Most keys kept with unsealed material.
pub const MAX_KEYS: usize = 10_000;
/// Most secrets kept (metadata and sealed versions).
pub const MAX_SECRETS: usize = 10_000;
/// Most alias and version lookups kept.
pub const MAX_LOOKUPS: usize = 100_000;

/// Ready-to-use material of one version.
pub enum Material {
    /// AES-GCM / SM4-GCM key.
    Symmetric(SymmetricKey),
    /// RSA, ECDSA or SM2 key pair.
    Asymmetric(AsymmetricKey),
    /// HMAC key (boxed: aws-lc-rs keeps the whole HMAC state inline).
    Mac(Box<MacKey>),
}

/// One version of a cached key.
pub struct LoadedVersion {
    /// Version id.
    pub version_id: String,
    /// Creation time.
    pub creation_date: i64,
    /// Its material, `None` while an EXTERNAL version awaits import.
    pub material: Option<Material>,
}

/// What authorization needs of a key or secret besides its ARN: its own policy, parsed, and its
/// tags (for `kms:tag/<TagKey>` conditions). Cached with it.
#[derive(Debug, Default)]
pub struct ResourceAuth {
    /// The key or secret policy, when one was set.
    pub policy: Option<Arc<Policy>>,
    /// Why the stored policy does not parse, if it does not (then only `admin` passes).
    pub invalid_policy: Option<String>,
    /// Its tags.
    pub tags: Vec<Tag>,
}

/// A key as the hot path sees it.
pub struct LoadedKey {
    /// Metadata at load time.
    pub record: KeyRecord,
    /// Versions, oldest first.
    pub versions: Vec<LoadedVersion>,
    /// Key policy and tags.
    pub auth: ResourceAuth,
}

impl LoadedKey {
    /// A version by id.
    pub fn version(&self, version_id: &str) -> Option<&LoadedVersion> {
        self.versions.iter().find(|v| v.version_id == version_id)
    }

    /// The primary version.
    pub fn primary(&self) -> Option<&LoadedVersion> {
        self.record.primary_version.as_deref().and_then(|p| self.version(p))
    }
}

/// A secret as GetSecretValue sees it: metadata and every version with its ciphertext blob.
/// Nothing here is plaintext; opening a version goes through the key cache.
#[derive(Debug)]
pub struct LoadedSecret {
    /// Metadata at load time.
    pub record: SecretRecord,
    /// Versions, oldest first.
    pub versions: Vec<SecretVersionRecord>,
    /// Secret policy and tags.
    pub auth: ResourceAuth,
}

struct Entry<V> {
    at: Instant,
    value: V,
}

/// A bounded map whose entries expire after `ttl`, counting hits and misses of [`TtlMap::get`].
pub(crate) struct TtlMap<K, V> {
    map: Mutex<HashMap<K, Entry<V>>>,
    ttl: Option<Duration>,
    max: usize,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlMap<K, V> {
    pub(crate) fn new(ttl: Option<Duration>, max: usize) -> Self {
        Self { map: Mutex::new(HashMap::new()), ttl, max, hits: AtomicU64::new(0), misses: AtomicU64::new(0) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Entry<V>>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn get(&self, k: &K) -> Option<V> {
        let found = {
            let map = self.lock();
            map.get(k).filter(|e| self.ttl.is_none_or(|t| e.at.elapsed() < t)).map(|e| e.value.clone())
        };
        let counter = if found.is_some() { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Hits and misses of [`TtlMap::get`] so far (an expired entry is a miss).
    pub(crate) fn stats(&self) -> (u64, u64) {
        (self.hits.load(Ordering::Relaxed), self.misses.load(Ordering::Relaxed))
    }

    pub(crate) fn put(&self, k: K, v: V) {
        let mut map = self.lock();
        if map.len() >= self.max && !map.contains_key(&k) {
            if let Some(ttl) = self.ttl {
                map.retain(|_, e| e.at.elapsed() < ttl);
            }
            if map.len() >= self.max {
                map.clear();
            }
        }
        map.insert(k, Entry { at: Instant::now(), value: v });
    }

    pub(crate) fn remove(&self, k: &K) {
        self.lock().remove(k);
    }

    pub(crate) fn retain(&self, f: impl Fn(&K, &V) -> bool) {
        self.lock().retain(|k, e| f(k, &e.value));
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }
}

/// The caches of one service instance.
pub(crate) struct Caches {
    pub(crate) keys: TtlMap<String, Arc<LoadedKey>>,
    pub(crate) aliases: TtlMap<String, Option<String>>,
    /// Version id → key id never changes, so it needs no TTL.
    pub(crate) versions: TtlMap<String, String>,
    /// Secret name → metadata and sealed versions.
    pub(crate) secrets: TtlMap<String, Arc<LoadedSecret>>,
    /// The id of the service-managed default key for secrets, once known (it never changes).
    pub(crate) default_secret_key: std::sync::OnceLock<String>,
}

impl Caches {
    pub(crate) fn new() -> Self {
        Self {
            keys: TtlMap::new(Some(TTL), MAX_KEYS),
            aliases: TtlMap::new(Some(TTL), MAX_LOOKUPS),
            versions: TtlMap::new(None, MAX_LOOKUPS),
            secrets: TtlMap::new(Some(TTL), MAX_SECRETS),
            default_secret_key: std::sync::OnceLock::new(),
        }
    }
}

impl Kms {
    /// Hits and misses of each hot-path cache since start, as `(cache, hits, misses)` with the
    /// caches named `keys`, `aliases`, `versions` and `secrets` (for metrics).
    pub fn cache_stats(&self) -> Vec<(&'static str, u64, u64)> {
        let c = &self.caches;
        [
            ("keys", c.keys.stats()),
            ("aliases", c.aliases.stats()),
            ("versions", c.versions.stats()),
            ("secrets", c.secrets.stats()),
        ]
        .into_iter()
        .map(|(name, (hits, misses))| (name, hits, misses))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_and_expiring() {
        let m: TtlMap<u32, u32> = TtlMap::new(Some(Duration::from_millis(30)), 3);
        for i in 0..3 {
            m.put(i, i);
        }
        assert_eq!(m.get(&1), Some(1));
        m.put(9, 9);
        assert!(m.len() <= 3);
        assert_eq!(m.get(&9), Some(9));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(m.get(&9), None);
        // Two hits (1 and 9 while fresh), one miss (9 expired).
        assert_eq!(m.stats(), (2, 1));
        assert_eq!(m.get(&42), None);
        assert_eq!(m.stats(), (2, 2));
    }
}
