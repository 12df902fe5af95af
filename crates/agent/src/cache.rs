//! The in-memory secret cache: serialized response bodies keyed by (secret name, VersionId,
//! VersionStage), each fresh for a TTL and then, for stale-on-error, kept up to `max_stale` longer.
//!
//! The cache stores the exact bytes the agent answers with, so a hit is a hash lookup under a
//! read lock plus a reference-count increment. It holds at most `capacity` entries; inserting into
//! a full cache evicts the least recently used entry (an O(n) scan, n ≤ 1000, only on the miss
//! path, which waits for the network anyway). Time is passed in by the caller, so tests control it.
//!
//! Bodies hold plaintext secrets: they live only here, in memory, and are zeroized when the last
//! reference is dropped (after eviction and after every response using them has been written).
//! `Debug` shows lengths, never content.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use zeroize::Zeroizing;

/// What a cached response answers: a secret, optionally pinned to a version id or a stage.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CacheKey {
    /// SecretName (or ARN) as the application asked for it.
    pub name: String,
    /// `versionId`, if given.
    pub version_id: Option<String>,
    /// `versionStage`, if given.
    pub version_stage: Option<String>,
}

impl CacheKey {
    /// The key of the current version of `name`.
    pub fn current(name: &str) -> Self {
        Self { name: name.to_string(), version_id: None, version_stage: None }
    }
}

/// A cached response body: shared, immutable, zeroized when the last reference goes away.
#[derive(Clone)]
pub struct SecretBody(Arc<Zeroizing<Vec<u8>>>);

impl SecretBody {
    /// Wraps serialized bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Arc::new(Zeroizing::new(bytes)))
    }

    /// The body as `Bytes` for an HTTP response, without copying.
    pub fn to_bytes(&self) -> Bytes {
        Bytes::from_owner(self.clone())
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the body is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl AsRef<[u8]> for SecretBody {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for SecretBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretBody(<{} bytes>)", self.0.len())
    }
}

/// The state of an entry at a given instant.
#[derive(Debug)]
pub enum Lookup {
    /// Within its TTL.
    Fresh {
        /// The cached body.
        body: SecretBody,
        /// When it was fetched from the server.
        fetched_at: Instant,
    },
    /// Past its TTL, but within the stale-on-error window.
    Expired {
        /// The cached body.
        body: SecretBody,
        /// When it was fetched from the server.
        fetched_at: Instant,
        /// How long ago it expired.
        expired_for: Duration,
    },
    /// Not cached (or past the stale window).
    Missing,
}

struct Entry {
    body: SecretBody,
    fetched_at: Instant,
    last_used: AtomicU64,
}

/// The cache. Cheap to share behind an `Arc`; every method takes `&self`.
pub struct SecretCache {
    entries: RwLock<HashMap<CacheKey, Entry>>,
    capacity: NonZeroUsize,
    ttl: Duration,
    max_stale: Duration,
    clock: AtomicU64,
}

impl std::fmt::Debug for SecretCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretCache")
            .field("len", &self.len())
            .field("capacity", &self.capacity)
            .field("ttl", &self.ttl)
            .field("max_stale", &self.max_stale)
            .finish()
    }
}

impl SecretCache {
    /// A cache of at most `capacity` entries, fresh for `ttl`, servable on error for `max_stale`
    /// after expiry (zero disables stale-on-error).
    pub fn new(capacity: NonZeroUsize, ttl: Duration, max_stale: Duration) -> Self {
        Self { entries: RwLock::new(HashMap::new()), capacity, ttl, max_stale, clock: AtomicU64::new(0) }
    }

    /// The TTL.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The stale-on-error window.
    pub fn max_stale(&self) -> Duration {
        self.max_stale
    }

    /// Number of entries (including expired ones not yet purged).
    pub fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Looks `key` up at `now`, marking it recently used.
    pub fn get(&self, key: &CacheKey, now: Instant) -> Lookup {
        let map = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        let Some(entry) = map.get(key) else { return Lookup::Missing };
        entry.last_used.store(self.tick(), Ordering::Relaxed);
        let age = now.saturating_duration_since(entry.fetched_at);
        if age < self.ttl {
            return Lookup::Fresh { body: entry.body.clone(), fetched_at: entry.fetched_at };
        }
        let expired_for = age - self.ttl;
        if !self.max_stale.is_zero() && expired_for <= self.max_stale {
            return Lookup::Expired { body: entry.body.clone(), fetched_at: entry.fetched_at, expired_for };
        }
        Lookup::Missing
    }

    /// Stores `body` for `key`, fetched at `now`; evicts the least recently used entry when full.
    pub fn insert(&self, key: CacheKey, body: SecretBody, now: Instant) {
        let entry = Entry { body, fetched_at: now, last_used: AtomicU64::new(self.tick()) };
        let mut map = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if !map.contains_key(&key) && map.len() >= self.capacity.get() {
            // Prefer dropping entries that can no longer be served at all.
            let dead = self.ttl.saturating_add(self.max_stale);
            let victim = map
                .iter()
                .find(|(_, e)| now.saturating_duration_since(e.fetched_at) > dead)
                .or_else(|| map.iter().min_by_key(|(_, e)| e.last_used.load(Ordering::Relaxed)))
                .map(|(k, _)| k.clone());
            if let Some(victim) = victim {
                map.remove(&victim);
            }
        }
        map.insert(key, entry);
    }

    /// Drops `key`; returns whether it was cached.
    pub fn remove(&self, key: &CacheKey) -> bool {
        self.entries.write().unwrap_or_else(PoisonError::into_inner).remove(key).is_some()
    }

    /// Drops every entry that can no longer be served, even stale; returns how many.
    pub fn purge(&self, now: Instant) -> usize {
        let dead = self.ttl.saturating_add(self.max_stale);
        let mut map = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        let before = map.len();
        map.retain(|_, e| now.saturating_duration_since(e.fetched_at) <= dead);
        before - map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(cap: usize, ttl: u64, stale: u64) -> SecretCache {
        SecretCache::new(NonZeroUsize::new(cap).unwrap(), Duration::from_secs(ttl), Duration::from_secs(stale))
    }

    fn key(name: &str) -> CacheKey {
        CacheKey::current(name)
    }

    fn body(s: &str) -> SecretBody {
        SecretBody::new(s.as_bytes().to_vec())
    }

    fn fresh(l: Lookup) -> Vec<u8> {
        match l {
            Lookup::Fresh { body, .. } => body.as_ref().to_vec(),
            other => panic!("not fresh: {other:?}"),
        }
    }

    #[test]
    fn ttl_then_stale_window_then_gone() {
        let c = cache(10, 300, 60);
        let t0 = Instant::now();
        assert!(matches!(c.get(&key("a"), t0), Lookup::Missing));
        c.insert(key("a"), body("v1"), t0);
        assert_eq!(fresh(c.get(&key("a"), t0)), b"v1");
        assert_eq!(fresh(c.get(&key("a"), t0 + Duration::from_secs(299))), b"v1");
        match c.get(&key("a"), t0 + Duration::from_secs(330)) {
            Lookup::Expired { body, expired_for, fetched_at } => {
                assert_eq!(body.as_ref(), b"v1");
                assert_eq!(expired_for, Duration::from_secs(30));
                assert_eq!(fetched_at, t0);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(c.get(&key("a"), t0 + Duration::from_secs(361)), Lookup::Missing));
        assert_eq!(c.purge(t0 + Duration::from_secs(360)), 0);
        assert_eq!(c.purge(t0 + Duration::from_secs(361)), 1);
        assert!(c.is_empty());
    }

    #[test]
    fn zero_stale_window_disables_stale_and_zero_ttl_is_never_fresh() {
        let c = cache(10, 300, 0);
        let t0 = Instant::now();
        c.insert(key("a"), body("v"), t0);
        assert!(matches!(c.get(&key("a"), t0 + Duration::from_secs(300)), Lookup::Missing));
        let c = cache(10, 0, 60);
        c.insert(key("a"), body("v"), t0);
        assert!(matches!(c.get(&key("a"), t0), Lookup::Expired { .. }));
    }

    #[test]
    fn keys_distinguish_version_id_and_stage() {
        let c = cache(10, 300, 0);
        let t0 = Instant::now();
        let by_id = CacheKey { version_id: Some("v1".into()), ..key("s") };
        let by_stage = CacheKey { version_stage: Some("ACSPrevious".into()), ..key("s") };
        c.insert(key("s"), body("current"), t0);
        c.insert(by_id.clone(), body("id"), t0);
        c.insert(by_stage.clone(), body("stage"), t0);
        assert_eq!(fresh(c.get(&key("s"), t0)), b"current");
        assert_eq!(fresh(c.get(&by_id, t0)), b"id");
        assert_eq!(fresh(c.get(&by_stage, t0)), b"stage");
        assert!(c.remove(&by_id));
        assert!(!c.remove(&by_id));
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn full_cache_evicts_the_least_recently_used() {
        let c = cache(3, 300, 0);
        let t0 = Instant::now();
        for n in ["a", "b", "c"] {
            c.insert(key(n), body(n), t0);
        }
        // Touch a and b: c becomes the least recently used.
        fresh(c.get(&key("a"), t0));
        fresh(c.get(&key("b"), t0));
        c.insert(key("d"), body("d"), t0);
        assert_eq!(c.len(), 3);
        assert!(matches!(c.get(&key("c"), t0), Lookup::Missing));
        // Now a is the oldest use.
        fresh(c.get(&key("b"), t0));
        fresh(c.get(&key("d"), t0));
        c.insert(key("e"), body("e"), t0);
        assert!(matches!(c.get(&key("a"), t0), Lookup::Missing));
        // Replacing an existing key evicts nothing.
        c.insert(key("e"), body("e2"), t0);
        assert_eq!(c.len(), 3);
        assert_eq!(fresh(c.get(&key("e"), t0)), b"e2");
        for n in ["b", "d"] {
            assert_eq!(fresh(c.get(&key(n), t0)), n.as_bytes());
        }
    }

    #[test]
    fn dead_entries_are_evicted_before_live_ones() {
        let c = cache(2, 10, 10);
        let t0 = Instant::now();
        c.insert(key("old"), body("old"), t0);
        let t1 = t0 + Duration::from_secs(100);
        c.insert(key("live"), body("live"), t1);
        fresh(c.get(&key("live"), t1));
        // "old" was used more recently than nothing, but it is past its stale window.
        c.get(&key("old"), t1);
        c.insert(key("new"), body("new"), t1);
        assert_eq!(fresh(c.get(&key("live"), t1)), b"live");
        assert_eq!(fresh(c.get(&key("new"), t1)), b"new");
    }

    #[test]
    fn bodies_are_shared_not_copied_and_debug_hides_content() {
        let b = body("{\"SecretData\":\"pw\"}");
        let bytes = b.to_bytes();
        assert_eq!(bytes.as_ptr(), b.as_ref().as_ptr());
        assert_eq!(format!("{b:?}"), "SecretBody(<19 bytes>)");
        let c = cache(1, 1, 1);
        c.insert(key("x"), b, Instant::now());
        assert!(!format!("{c:?}").contains("pw"));
    }
}
