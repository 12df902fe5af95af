//! Request ids: one per request, UUID-v4-shaped (`8-4-4-4-12` hex), unique in practice, and
//! cheap. They are identifiers, not secrets: a random 64-bit prefix drawn once per process from
//! the system CSPRNG, and a per-process counter scrambled by a bijective 64-bit mixer (so
//! consecutive ids do not look consecutive). Drawing 16 fresh CSPRNG bytes per request cost about
//! a microsecond, more than a tenth of the server's own work on an Encrypt.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

struct Source {
    prefix: u64,
    key: u64,
    counter: AtomicU64,
}

fn source() -> &'static Source {
    static SOURCE: OnceLock<Source> = OnceLock::new();
    SOURCE.get_or_init(|| {
        let seed = keyward_crypto::random::bytes(24).unwrap_or_else(|_| {
            // No CSPRNG: fall back to the clock; ids stay unique within this process.
            let t = u128::try_from(keyward_core::clock::system_now_ms()).unwrap_or_default();
            t.to_le_bytes().iter().chain(&[0u8; 8]).copied().collect()
        });
        let word = |i: usize| u64::from_le_bytes(seed[i * 8..i * 8 + 8].try_into().unwrap_or_default());
        Source { prefix: word(0), key: word(1), counter: AtomicU64::new(word(2)) }
    })
}

/// SplitMix64's finaliser: a bijection on 64-bit values.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The next id's 16 bytes, with the UUID version (4) and variant (10) bits set.
fn next_bytes() -> [u8; 16] {
    let s = source();
    let n = s.counter.fetch_add(1, Ordering::Relaxed);
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&s.prefix.to_be_bytes());
    b[8..].copy_from_slice(&mix(n ^ s.key).to_be_bytes());
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    b
}

fn hex_into(out: &mut String, bytes: &[u8], upper: bool) {
    let digits: &[u8; 16] = if upper { b"0123456789ABCDEF" } else { b"0123456789abcdef" };
    for &byte in bytes {
        out.push(char::from(digits[usize::from(byte >> 4)]));
        out.push(char::from(digits[usize::from(byte & 0x0f)]));
    }
}

/// An Alibaba request id: upper-case UUID with dashes (`3C0A…-…`).
pub fn alibaba() -> String {
    let b = next_bytes();
    let mut out = String::with_capacity(36);
    for (i, range) in [0..4, 4..6, 6..8, 8..10, 10..16].into_iter().enumerate() {
        if i > 0 {
            out.push('-');
        }
        hex_into(&mut out, &b[range], true);
    }
    out
}

/// A Huawei request id: 32 lower-case hex digits.
pub fn huawei() -> String {
    let mut out = String::with_capacity(32);
    hex_into(&mut out, &next_bytes(), false);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_uuid_shaped_and_distinct() {
        let mut seen = HashSet::new();
        for _ in 0..100_000 {
            let id = alibaba();
            assert_eq!(id.len(), 36);
            let parts: Vec<&str> = id.split('-').collect();
            assert_eq!(parts.iter().map(|p| p.len()).collect::<Vec<_>>(), [8, 4, 4, 4, 12], "{id}");
            assert!(id.chars().all(|c| c == '-' || c.is_ascii_digit() || c.is_ascii_uppercase()), "{id}");
            assert!(parts[2].starts_with('4') && matches!(&parts[3][..1], "8" | "9" | "A" | "B"), "{id}");
            assert!(seen.insert(id));
        }
        let h = huawei();
        assert!(h.len() == 32 && h.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "{h}");
        assert!(seen.insert(h.to_ascii_uppercase()));
    }

    #[test]
    fn the_mixer_is_a_bijection_on_a_sample() {
        let outputs: HashSet<u64> = (0..200_000u64).map(mix).collect();
        assert_eq!(outputs.len(), 200_000);
    }
}
