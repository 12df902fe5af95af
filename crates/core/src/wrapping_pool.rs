//! A bounded pool of pre-generated RSA-2048 wrapping key pairs, so GetParametersForImport
//! answers in milliseconds although RSA key generation takes 70–650 ms (DESIGN.md §4).
//!
//! A background task refills the pool on a blocking thread whenever a key is taken. When the
//! pool is empty (a burst of calls), the caller generates a key itself: the call is slower, never
//! refused. Pooled private keys live only in memory, zeroized on drop.

use std::sync::{Arc, Mutex};

use keyward_crypto::byok::{self, WrappingKeyPair, WrappingKeySpec};
use tokio::sync::Notify;

use crate::error::Error;

/// Pool of RSA-2048 wrapping key pairs.
pub struct WrappingKeyPool {
    capacity: usize,
    keys: Mutex<Vec<WrappingKeyPair>>,
    wake: Notify,
}

impl WrappingKeyPool {
    /// A pool holding up to `capacity` keys; with a capacity of 0 every call generates.
    /// Starts the refill task when called inside a tokio runtime.
    pub fn start(capacity: usize) -> Arc<Self> {
        let pool = Arc::new(Self { capacity, keys: Mutex::new(Vec::with_capacity(capacity)), wake: Notify::new() });
        if capacity > 0 && tokio::runtime::Handle::try_current().is_ok() {
            let weak = Arc::downgrade(&pool);
            tokio::spawn(async move {
                loop {
                    let Some(pool) = weak.upgrade() else { return };
                    if pool.len() >= pool.capacity {
                        // Wait for a take, but wake now and then so the task ends once the
                        // service (and so the pool) is dropped.
                        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), pool.wake.notified()).await;
                        continue;
                    }
                    drop(pool);
                    match tokio::task::spawn_blocking(|| byok::generate_wrapping_key(WrappingKeySpec::Rsa2048)).await {
                        Ok(Ok(pair)) => match weak.upgrade() {
                            Some(pool) => pool.lock().push(pair),
                            None => return,
                        },
                        Ok(Err(e)) => {
                            tracing::error!(error = %e, "wrapping key generation failed; retrying in 1 s");
                            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                        }
                        Err(_) => return,
                    }
                }
            });
        }
        pool
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<WrappingKeyPair>> {
        self.keys.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Number of keys ready.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no key is ready.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes a ready key pair, or generates one on a blocking thread when none is ready.
    pub async fn take(&self) -> Result<WrappingKeyPair, Error> {
        let ready = self.lock().pop();
        self.wake.notify_one();
        match ready {
            Some(pair) => Ok(pair),
            None => tokio::task::spawn_blocking(|| byok::generate_wrapping_key(WrappingKeySpec::Rsa2048))
                .await
                .map_err(|e| Error::Internal(format!("wrapping key generation task failed: {e}")))?
                .map_err(Error::from),
        }
    }
}
