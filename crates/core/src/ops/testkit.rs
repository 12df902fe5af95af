//! Test helpers: a service over the in-memory store and an admin caller.

use std::sync::Arc;

use keyward_crypto::{SecretBytes, random};

use crate::memory::MemoryStore;
use crate::service::{Caller, Kms, KmsConfig};

pub(crate) async fn kms() -> Kms {
    let root = SecretBytes::new(random::bytes(32).unwrap());
    Kms::open(Arc::new(MemoryStore::default()), &root, KmsConfig::default()).await.unwrap()
}

pub(crate) fn admin() -> Caller {
    Caller { principal: "admin".into(), access_key_id: "LTAItest".into() }
}
