//! Fuzz target: the ciphertext-blob decoder (DESIGN.md §3) must never panic, and whatever it
//! accepts must re-encode to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(b) = keyward_crypto::blob::decode(data) {
        let again = keyward_crypto::blob::encode(b.version_id, &b.iv, b.ciphertext_and_tag);
        assert_eq!(again, data);
    }
});
