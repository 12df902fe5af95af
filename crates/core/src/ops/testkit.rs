//! Test helpers: a service over the in-memory store and an admin caller.

use std::sync::Arc;

use keyward_crypto::{SecretBytes, random};

use crate::clock::ManualClock;
use crate::memory::MemoryStore;
use crate::service::{Caller, Kms, KmsConfig};

pub(crate) async fn kms() -> Kms {
    kms_with_clock(ManualClock::new()).await
}

pub(crate) async fn kms_with_clock(clock: Arc<ManualClock>) -> Kms {
    let root = SecretBytes::new(random::bytes(32).unwrap());
    let config = KmsConfig { wrapping_pool_size: 1, ..KmsConfig::default() };
    Kms::open_with_clock(Arc::new(MemoryStore::default()), &root, config, clock).await.unwrap()
}

pub(crate) fn admin() -> Caller {
    Caller::new("admin", "LTAItest")
}
