//! The symmetric ciphertext blob (DESIGN.md §3, ALIBABA.md §5.3).
//!
//! Raw layout (the wire carries it base64-encoded; encoding is the caller's job):
//!
//! ```text
//! KeyVersionId (36 ASCII bytes, lowercase UUID text) ‖ IV (12 B) ‖ ciphertext ‖ GCM tag (16 B)
//! ```
//!
//! The AAD of the GCM seal is [`aad`]: the 36 version-id bytes ‖ the canonical encryption context
//! ([`crate::context::canonical`]), so editing the header or swapping contexts fails
//! authentication. [`decode`] only splits and validates the header; it never touches key material.

/// Length of a key version id (UUID text).
pub const VERSION_ID_LEN: usize = 36;
/// Length of the GCM IV.
pub const IV_LEN: usize = 12;
/// Length of the GCM tag.
pub const TAG_LEN: usize = 16;
/// Smallest valid blob: header, IV and tag around an empty ciphertext.
pub const MIN_LEN: usize = VERSION_ID_LEN + IV_LEN + TAG_LEN;

/// A decoded blob, borrowing from the input bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Blob<'a> {
    /// The key version id: 36 bytes of lowercase UUID text (`8-4-4-4-12` hex digits).
    pub version_id: &'a str,
    /// The GCM IV.
    pub iv: [u8; IV_LEN],
    /// Ciphertext followed by the 16-byte tag (at least 16 bytes).
    pub ciphertext_and_tag: &'a [u8],
}

/// Why a blob does not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BlobError {
    /// Fewer than [`MIN_LEN`] bytes.
    #[error("ciphertext blob is too short ({len} bytes, at least {MIN_LEN} needed)")]
    TooShort {
        /// Length of the input.
        len: usize,
    },
    /// The first 36 bytes are not a lowercase UUID.
    #[error("ciphertext blob does not start with a key version id")]
    InvalidVersionId,
}

/// Whether `s` is a key version id as the blob carries it: 36 bytes, lowercase hex digits in
/// `8-4-4-4-12` groups separated by `-`.
pub fn is_version_id(s: &str) -> bool {
    is_version_id_bytes(s.as_bytes())
}

fn is_version_id_bytes(b: &[u8]) -> bool {
    b.len() == VERSION_ID_LEN
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(&c),
        })
}

/// Builds a blob. `version_id` must satisfy [`is_version_id`] (otherwise [`decode`] will refuse
/// the result); `ciphertext_and_tag` is the output of [`crate::aead::SymmetricKey::seal`].
pub fn encode(version_id: &str, iv: &[u8; IV_LEN], ciphertext_and_tag: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(version_id.len() + IV_LEN + ciphertext_and_tag.len());
    out.extend_from_slice(version_id.as_bytes());
    out.extend_from_slice(iv);
    out.extend_from_slice(ciphertext_and_tag);
    out
}

/// Splits a blob into its parts, validating the version id. Never panics.
pub fn decode(bytes: &[u8]) -> Result<Blob<'_>, BlobError> {
    if bytes.len() < MIN_LEN {
        return Err(BlobError::TooShort { len: bytes.len() });
    }
    let (id, rest) = bytes.split_at(VERSION_ID_LEN);
    if !is_version_id_bytes(id) {
        return Err(BlobError::InvalidVersionId);
    }
    let version_id = std::str::from_utf8(id).map_err(|_| BlobError::InvalidVersionId)?;
    let (iv, ciphertext_and_tag) = rest.split_at(IV_LEN);
    let iv: [u8; IV_LEN] = iv.try_into().map_err(|_| BlobError::TooShort { len: bytes.len() })?;
    Ok(Blob { version_id, iv, ciphertext_and_tag })
}

/// The GCM AAD of a blob: the version-id bytes ‖ the canonical encryption context (empty when the
/// request has none).
pub fn aad(version_id: &str, canonical_context: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(version_id.len() + canonical_context.len());
    out.extend_from_slice(version_id.as_bytes());
    out.extend_from_slice(canonical_context);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic PRNG (xorshift64*), enough for property-style tests.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn bytes(&mut self, n: usize) -> Vec<u8> {
            (0..n).map(|_| self.next() as u8).collect()
        }
        fn version_id(&mut self) -> String {
            let hex = hex::encode(self.bytes(16));
            format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
        }
    }

    const ID: &str = "86a9efd9-3d16-4894-bd4f-1fc43f3f2abf";

    #[test]
    fn layout_matches_the_design() {
        let iv = [7u8; 12];
        let ct = [1u8, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17];
        let b = encode(ID, &iv, &ct);
        assert_eq!(b.len(), 36 + 12 + 17);
        assert_eq!(&b[..36], ID.as_bytes());
        assert_eq!(&b[36..48], &iv);
        assert_eq!(&b[48..], &ct);
        let d = decode(&b).unwrap();
        assert_eq!(d, Blob { version_id: ID, iv, ciphertext_and_tag: &ct });
        assert_eq!(aad(ID, b"{\"a\":\"1\"}"), [ID.as_bytes(), b"{\"a\":\"1\"}"].concat());
        assert_eq!(aad(ID, &[]), ID.as_bytes());
    }

    #[test]
    fn version_id_shape() {
        assert!(is_version_id(ID));
        assert!(is_version_id("00000000-0000-0000-0000-000000000000"));
        for bad in [
            "86A9EFD9-3D16-4894-BD4F-1FC43F3F2ABF",  // uppercase
            "86a9efd9-3d16-4894-bd4f-1fc43f3f2ab",   // short
            "86a9efd9-3d16-4894-bd4f-1fc43f3f2abff", // long
            "86a9efd93d16-4894-bd4f-1fc43f3f2abf-",  // hyphen misplaced
            "86a9efd9-3d16-4894-bd4f-1fc43f3f2abg",  // not hex
            "86a9efd9 3d16-4894-bd4f-1fc43f3f2abf",
            "------------------------------------",
            "",
        ] {
            assert!(!is_version_id(bad), "{bad}");
        }
    }

    #[test]
    fn short_and_malformed_inputs_are_rejected() {
        let good = encode(ID, &[0; 12], &[0; 16]);
        assert_eq!(good.len(), MIN_LEN);
        assert!(decode(&good).is_ok());
        for len in 0..MIN_LEN {
            assert_eq!(decode(&good[..len]), Err(BlobError::TooShort { len }));
        }
        let mut upper = good.clone();
        upper[0] = b'A';
        assert_eq!(decode(&upper), Err(BlobError::InvalidVersionId));
        // Non-UTF-8 in the header.
        let mut bin = good.clone();
        bin[3] = 0xff;
        assert_eq!(decode(&bin), Err(BlobError::InvalidVersionId));
    }

    #[test]
    fn decode_inverts_encode() {
        let mut rng = Rng(0x0b10_b5ee_d000_0001);
        for _ in 0..2000 {
            let id = rng.version_id();
            let iv: [u8; 12] = rng.bytes(12).try_into().unwrap();
            let len = TAG_LEN + rng.below(300);
            let ct = rng.bytes(len);
            let b = encode(&id, &iv, &ct);
            assert_eq!(b.len(), MIN_LEN + len - TAG_LEN);
            let d = decode(&b).unwrap();
            assert_eq!((d.version_id, d.iv, d.ciphertext_and_tag), (id.as_str(), iv, ct.as_slice()));
            // And encode inverts decode.
            assert_eq!(encode(d.version_id, &d.iv, d.ciphertext_and_tag), b);
        }
    }

    #[test]
    fn truncations_and_mutations_never_panic_and_never_alias() {
        let mut rng = Rng(0x5eed_0fb1_0b00);
        for round in 0..300 {
            let id = rng.version_id();
            let iv: [u8; 12] = rng.bytes(12).try_into().unwrap();
            let n = TAG_LEN + rng.below(64);
            let ct = rng.bytes(n);
            let b = encode(&id, &iv, &ct);
            let original = decode(&b).unwrap();
            for len in 0..b.len() {
                // Truncation from either end: an error, or a different (shorter) blob.
                if let Ok(d) = decode(&b[..len]) {
                    assert_ne!(d, original);
                }
                if let Ok(d) = decode(&b[b.len() - len..]) {
                    assert_ne!(d, original);
                }
            }
            for i in 0..50 {
                let mut m = b.clone();
                let pos = rng.below(m.len());
                match (round + i) % 4 {
                    0 => m[pos] ^= 1 << rng.below(8),
                    1 => m[pos] = m[pos].wrapping_add(1 + rng.below(255) as u8),
                    2 => {
                        m.remove(pos);
                    }
                    _ => m.insert(pos, rng.next() as u8),
                }
                if let Ok(d) = decode(&m) {
                    assert!(is_version_id(d.version_id));
                    assert_ne!(d, original, "mutation {i} at {pos} decoded to the original");
                }
            }
            // Pure garbage.
            let n = rng.below(200);
            let g = rng.bytes(n);
            if let Ok(d) = decode(&g) {
                assert!(is_version_id(d.version_id));
            }
        }
    }
}
