//! The conformance suite against `keyward-core`'s in-memory reference store, so that the suite
//! and the reference agree on the contract.

use keyward_core::memory::MemoryStore;

#[tokio::test]
async fn conformance() {
    let store = MemoryStore::default();
    keyward_store::conformance::run_all(&store).await;
    keyward_store::conformance::run_all(&store).await;
}
