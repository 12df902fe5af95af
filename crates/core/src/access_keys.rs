//! AccessKeys: administration (create, list, disable, delete, bootstrap) and the lookup that
//! request authentication uses.
//!
//! Secrets are sealed under the root key in the store. The lookup is cached in memory for a few
//! seconds so the request path does not touch the database on every call; the cache is bounded,
//! and a disabled or deleted key stops working within [`CACHE_TTL`] on every node.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use keyward_crypto::{RecordKind, SecretBytes, random};

use crate::error::Error;
use crate::model::AccessKeyRecord;
use crate::service::{Caller, Kms};
use crate::store::StoreError;

/// How long a looked-up AccessKey is trusted before the store is asked again.
pub const CACHE_TTL: Duration = Duration::from_secs(5);
/// Most AccessKeys kept in the cache at once.
pub const CACHE_MAX: usize = 10_000;

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// The principal of the bootstrap AccessKey.
pub const ADMIN_PRINCIPAL: &str = "admin";

/// What an AccessKey listing shows (never the secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessKeyInfo {
    /// AccessKey id.
    pub access_key_id: String,
    /// Principal.
    pub principal: String,
    /// Whether it may authenticate.
    pub enabled: bool,
    /// Creation time.
    pub creation_date: i64,
}

/// A resolved AccessKey for authentication.
pub struct ResolvedAccessKey {
    /// Who the key belongs to.
    pub caller: Caller,
    /// The secret, to verify the request signature with.
    pub secret: Arc<SecretBytes>,
}

struct Cached {
    at: Instant,
    /// `None` = the key does not exist (negative entry).
    entry: Option<(Caller, Arc<SecretBytes>, bool)>,
}

/// Bounded, short-lived cache of AccessKey lookups.
pub(crate) struct AccessKeyCache {
    map: Mutex<HashMap<String, Cached>>,
}

impl AccessKeyCache {
    pub(crate) fn new() -> Self {
        Self { map: Mutex::new(HashMap::new()) }
    }

    fn get(&self, id: &str) -> Option<Option<(Caller, Arc<SecretBytes>, bool)>> {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.get(id).filter(|c| c.at.elapsed() < CACHE_TTL).map(|c| c.entry.clone())
    }

    fn put(&self, id: &str, entry: Option<(Caller, Arc<SecretBytes>, bool)>) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= CACHE_MAX {
            map.retain(|_, c| c.at.elapsed() < CACHE_TTL);
            if map.len() >= CACHE_MAX {
                map.clear();
            }
        }
        map.insert(id.to_string(), Cached { at: Instant::now(), entry });
    }

    fn forget(&self, id: &str) {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
    }
}

impl Kms {
    /// Creates an AccessKey for `principal`, which must exist (`NotFound` otherwise; `admin`
    /// always does, its row is made if missing). With `fixed`, uses that id and secret
    /// (bootstrap from the environment); otherwise generates `LTAI…` / 30-character secret.
    pub async fn create_access_key(
        &self,
        principal: &str,
        fixed: Option<(String, SecretBytes)>,
    ) -> Result<(String, SecretBytes), Error> {
        if principal == ADMIN_PRINCIPAL {
            self.ensure_admin_principal().await?;
        } else if self.store.get_principal(principal).await?.is_none() {
            return Err(Error::NotFound(format!("principal {principal}")));
        }
        let (id, secret) = match fixed {
            Some((id, secret)) => {
                validate_fixed(&id, &secret)?;
                (id, secret)
            }
            None => (
                format!("LTAI{}", random::string_from(ALNUM, 20)?),
                SecretBytes::new(random::string_from(ALNUM, 30)?.into_bytes()),
            ),
        };
        let record = AccessKeyRecord {
            sealed_secret: self.barrier.seal(RecordKind::AccessKeySecret, &id, secret.expose())?,
            access_key_id: id.clone(),
            principal: principal.to_string(),
            enabled: true,
            creation_date: self.now(),
        };
        match self.store.create_access_key(&record).await {
            Ok(()) => {}
            Err(StoreError::AlreadyExists) => return Err(Error::AlreadyExists("AccessKey")),
            Err(e) => return Err(e.into()),
        }
        self.access_keys.forget(&id);
        Ok((id, secret))
    }

    /// Makes sure an admin AccessKey exists. With `fixed` (from the environment) that key is
    /// created if missing; if it exists with a different secret that is an error, so a typo is
    /// reported instead of silently accepted. Without `fixed`, an admin key is
    /// generated only when the store has no AccessKey at all. Returns a newly generated key.
    /// The `admin` principal row is made if missing, either way.
    pub async fn ensure_bootstrap_access_key(
        &self,
        fixed: Option<(String, SecretBytes)>,
    ) -> Result<Option<(String, SecretBytes)>, Error> {
        self.ensure_admin_principal().await?;
        match fixed {
            Some((id, secret)) => {
                validate_fixed(&id, &secret)?;
                match self.store.get_access_key(&id).await? {
                    Some(rec) => {
                        let stored = self.barrier.open(RecordKind::AccessKeySecret, &id, &rec.sealed_secret)?;
                        if !stored.ct_eq(secret.expose()) {
                            return Err(Error::Internal(format!(
                                "bootstrap AccessKey {id} exists with a different secret"
                            )));
                        }
                        Ok(None)
                    }
                    None => {
                        self.create_access_key(ADMIN_PRINCIPAL, Some((id, secret))).await?;
                        Ok(None)
                    }
                }
            }
            None => {
                if !self.store.list_access_keys().await?.is_empty() {
                    return Ok(None);
                }
                self.create_access_key(ADMIN_PRINCIPAL, None).await.map(Some)
            }
        }
    }

    /// Every AccessKey (without secrets).
    pub async fn list_access_keys(&self) -> Result<Vec<AccessKeyInfo>, Error> {
        Ok(self
            .store
            .list_access_keys()
            .await?
            .into_iter()
            .map(|r| AccessKeyInfo {
                access_key_id: r.access_key_id,
                principal: r.principal,
                enabled: r.enabled,
                creation_date: r.creation_date,
            })
            .collect())
    }

    /// Enables or disables an AccessKey.
    pub async fn set_access_key_enabled(&self, id: &str, enabled: bool) -> Result<(), Error> {
        if !self.store.set_access_key_enabled(id, enabled).await? {
            return Err(Error::AccessKeyNotFound);
        }
        self.access_keys.forget(id);
        Ok(())
    }

    /// Deletes an AccessKey.
    pub async fn delete_access_key(&self, id: &str) -> Result<(), Error> {
        if !self.store.delete_access_key(id).await? {
            return Err(Error::AccessKeyNotFound);
        }
        self.access_keys.forget(id);
        Ok(())
    }

    /// Looks up an AccessKey for request authentication: `AccessKeyNotFound`,
    /// `AccessKeyDisabled`, or the caller and secret. Cached (see the module docs).
    pub async fn resolve_access_key(&self, id: &str) -> Result<ResolvedAccessKey, Error> {
        let entry = match self.access_keys.get(id) {
            Some(e) => e,
            None => {
                let e = match self.store.get_access_key(id).await? {
                    Some(rec) => {
                        let secret = self.barrier.open(RecordKind::AccessKeySecret, id, &rec.sealed_secret)?;
                        let caller = Caller::new(rec.principal, rec.access_key_id);
                        Some((caller, Arc::new(secret), rec.enabled))
                    }
                    None => None,
                };
                self.access_keys.put(id, e.clone());
                e
            }
        };
        match entry {
            None => Err(Error::AccessKeyNotFound),
            Some((_, _, false)) => Err(Error::AccessKeyDisabled),
            Some((caller, secret, true)) => Ok(ResolvedAccessKey { caller, secret }),
        }
    }
}

fn validate_fixed(id: &str, secret: &SecretBytes) -> Result<(), Error> {
    let ok_id = !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic());
    if !ok_id {
        return Err(Error::invalid("AccessKeyId", "1-128 printable ASCII characters"));
    }
    if secret.len() < 8 || secret.len() > 256 {
        return Err(Error::invalid("AccessKeySecret", "8-256 bytes"));
    }
    Ok(())
}
