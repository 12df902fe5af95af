//! Fuzz target: the EncryptionContext canonicaliser must never panic, and its output must be a
//! fixed point (canonical input canonicalises to itself).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data)
        && let Ok(c) = keyward_crypto::context::canonical(s)
        && !c.is_empty()
    {
        let text = std::str::from_utf8(&c).expect("canonical form is UTF-8");
        assert_eq!(keyward_crypto::context::canonical(text).expect("canonical form parses"), c);
    }
});
