//! Symmetric authenticated encryption for Encrypt / Decrypt / GenerateDataKey (ALIBABA.md §5.3).
//!
//! A [`SymmetricKey`] is built once from stored material ([`crate::keygen`] format: raw bytes) and
//! cached by the server, so key setup (AES key schedule, GHASH key) is off the hot path:
//!
//! | KeySpec | Cipher | Implementation |
//! |---|---|---|
//! | `Aliyun_AES_256` | AES-256-GCM | aws-lc-rs `LessSafeKey` |
//! | `Aliyun_AES_128` | AES-128-GCM | aws-lc-rs `LessSafeKey` |
//! | `Aliyun_SM4` | SM4-GCM (RFC 8998) | aes-gcm `AesGcm<Sm4, U12>` |
//!
//! All use a 12-byte IV and a 16-byte tag appended to the ciphertext (the blob layout of
//! [`crate::blob`]). The caller chooses the IV (random, [`crate::random`]) and the AAD
//! ([`crate::blob::aad`]).
//!
//! Key material in memory: aws-lc-rs keeps the AES key in an opaque context that it cleanses on
//! drop. The SM4 round keys are zeroized on drop (sm4's `zeroize` feature) and so is the GHASH key
//! (aes-gcm's `zeroize` feature). The SM4 implementation uses a table S-box, so it is not
//! constant-time against cache-timing attackers sharing the CPU (CRYPTO.md §2).

use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::{AeadInOut, AesGcm, KeyInit, Nonce, Tag};
use aws_lc_rs::aead::{AES_128_GCM, AES_256_GCM, Aad, LessSafeKey, Nonce as AwsNonce, UnboundKey};
use sm4::Sm4;
use sm4::cipher::consts::U12;
use zeroize::Zeroizing;

use crate::{CryptoError, KeySpec, SecretBytes};

/// Length of the IV (GCM nonce).
pub const IV_LEN: usize = 12;
/// Length of the authentication tag.
pub const TAG_LEN: usize = 16;

type Sm4Gcm = AesGcm<Sm4, U12>;

/// A symmetric key ready for GCM sealing and opening. No `Clone`; its `Debug` shows only the spec.
pub struct SymmetricKey {
    spec: KeySpec,
    inner: Inner,
}

enum Inner {
    Aws(LessSafeKey),
    Sm4(Box<Sm4Gcm>),
}

/// Opening failed: wrong key, IV, AAD (encryption context, version id) or a corrupt or truncated
/// ciphertext. Deliberately carries no detail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AeadError {
    /// The tag does not verify (or the input is shorter than a tag).
    #[error("ciphertext failed authentication")]
    Authentication,
}

impl std::fmt::Debug for SymmetricKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SymmetricKey").field("spec", &self.spec).finish_non_exhaustive()
    }
}

impl SymmetricKey {
    /// Builds the key for `spec` from raw material (32 bytes for `Aliyun_AES_256`, 16 for
    /// `Aliyun_AES_128` and `Aliyun_SM4`).
    pub fn new(spec: KeySpec, material: &SecretBytes) -> Result<Self, CryptoError> {
        let want = spec.symmetric_len().ok_or(CryptoError::InvalidKey("not a symmetric key spec"))?;
        if material.len() != want {
            return Err(CryptoError::InvalidKey("symmetric key material has the wrong length"));
        }
        let inner = match spec {
            KeySpec::Aes256 | KeySpec::Aes128 => {
                let alg = if spec == KeySpec::Aes256 { &AES_256_GCM } else { &AES_128_GCM };
                let key = UnboundKey::new(alg, material.expose())
                    .map_err(|_| CryptoError::InvalidKey("AES key setup failed"))?;
                Inner::Aws(LessSafeKey::new(key))
            }
            KeySpec::Sm4 => Inner::Sm4(Box::new(
                Sm4Gcm::new_from_slice(material.expose())
                    .map_err(|_| CryptoError::InvalidKey("SM4 key setup failed"))?,
            )),
            _ => return Err(CryptoError::InvalidKey("not a symmetric key spec")),
        };
        Ok(Self { spec, inner })
    }

    /// The key spec.
    pub fn spec(&self) -> KeySpec {
        self.spec
    }

    /// Encrypts `plaintext`; returns ciphertext ‖ tag (16 bytes longer than the plaintext).
    /// The IV must never repeat under one key: use a fresh random one per call.
    pub fn seal(&self, iv: &[u8; IV_LEN], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut buf = Vec::with_capacity(plaintext.len() + TAG_LEN);
        buf.extend_from_slice(plaintext);
        match &self.inner {
            Inner::Aws(key) => key
                .seal_in_place_append_tag(AwsNonce::assume_unique_for_key(*iv), Aad::from(aad), &mut buf)
                .map_err(|_| CryptoError::Library("AES-GCM encryption failed"))?,
            Inner::Sm4(cipher) => {
                let tag = cipher
                    .encrypt_inout_detached(&Nonce::<U12>::from(*iv), aad, InOutBuf::from(buf.as_mut_slice()))
                    .map_err(|_| CryptoError::Library("SM4-GCM encryption failed"))?;
                buf.extend_from_slice(&tag);
            }
        }
        Ok(buf)
    }

    /// Decrypts and authenticates ciphertext ‖ tag. Any failure, including input shorter than the
    /// tag, is [`AeadError::Authentication`]. Never panics.
    pub fn open(&self, iv: &[u8; IV_LEN], aad: &[u8], ciphertext_and_tag: &[u8]) -> Result<SecretBytes, AeadError> {
        let Some(ct_len) = ciphertext_and_tag.len().checked_sub(TAG_LEN) else {
            return Err(AeadError::Authentication);
        };
        // The buffer holds plaintext after a successful open and is wiped if opening fails.
        let mut buf = Zeroizing::new(ciphertext_and_tag.to_vec());
        match &self.inner {
            Inner::Aws(key) => {
                let pt_len = key
                    .open_in_place(AwsNonce::assume_unique_for_key(*iv), Aad::from(aad), &mut buf)
                    .map_err(|_| AeadError::Authentication)?
                    .len();
                buf.truncate(pt_len);
            }
            Inner::Sm4(cipher) => {
                let (ct, tag) = buf.split_at_mut(ct_len);
                let tag = Tag::<aes_gcm::aead::consts::U16>::try_from(&*tag).map_err(|_| AeadError::Authentication)?;
                cipher
                    .decrypt_inout_detached(&Nonce::<U12>::from(*iv), aad, InOutBuf::from(ct), &tag)
                    .map_err(|_| AeadError::Authentication)?;
                buf.truncate(ct_len);
            }
        }
        Ok(SecretBytes::new(std::mem::take(&mut *buf)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(spec: KeySpec, hex_key: &str) -> SymmetricKey {
        SymmetricKey::new(spec, &SecretBytes::new(hex::decode(hex_key).unwrap())).unwrap()
    }

    fn iv(hex_iv: &str) -> [u8; 12] {
        hex::decode(hex_iv).unwrap().try_into().unwrap()
    }

    struct Vector {
        spec: KeySpec,
        key: &'static str,
        iv: &'static str,
        aad: &'static str,
        pt: &'static str,
        ct: &'static str,
        tag: &'static str,
    }

    const GCM_SPEC_P: &str = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";

    const VECTORS: [Vector; 4] = [
        // McGrew & Viega, "The Galois/Counter Mode of Operation", test case 16 (AES-256, AAD, 60 B).
        Vector {
            spec: KeySpec::Aes256,
            key: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
            iv: "cafebabefacedbaddecaf888",
            aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
            pt: GCM_SPEC_P,
            ct: "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
            tag: "76fc6ece0f4e1768cddf8853bb2d551b",
        },
        // Same document, test case 13 (AES-256, everything empty).
        Vector {
            spec: KeySpec::Aes256,
            key: "0000000000000000000000000000000000000000000000000000000000000000",
            iv: "000000000000000000000000",
            aad: "",
            pt: "",
            ct: "",
            tag: "530f8afbc74536b9a963b4f1c4cb738b",
        },
        // Test case 4 (AES-128, AAD, 60 B).
        Vector {
            spec: KeySpec::Aes128,
            key: "feffe9928665731c6d6a8f9467308308",
            iv: "cafebabefacedbaddecaf888",
            aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
            pt: GCM_SPEC_P,
            ct: "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
            tag: "5bc94fbc3221a5db94fae95ae7121a47",
        },
        // RFC 8998 appendix A.1, SM4-GCM.
        Vector {
            spec: KeySpec::Sm4,
            key: "0123456789abcdeffedcba9876543210",
            iv: "00001234567800000000abcd",
            aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
            pt: "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccddddddddddddddddeeeeeeeeeeeeeeeeffffffffffffffffeeeeeeeeeeeeeeeeaaaaaaaaaaaaaaaa",
            ct: "17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d",
            tag: "83de3541e4c2b58177e065a9bf7b62ec",
        },
    ];

    #[test]
    fn known_answer_vectors() {
        for v in VECTORS {
            let k = key(v.spec, v.key);
            let (iv, aad, pt) = (iv(v.iv), hex::decode(v.aad).unwrap(), hex::decode(v.pt).unwrap());
            let sealed = k.seal(&iv, &aad, &pt).unwrap();
            assert_eq!(hex::encode(&sealed), format!("{}{}", v.ct, v.tag), "{:?}", v.spec);
            assert!(k.open(&iv, &aad, &sealed).unwrap().ct_eq(&pt), "{:?}", v.spec);
        }
    }

    fn all_keys() -> Vec<SymmetricKey> {
        [KeySpec::Aes256, KeySpec::Aes128, KeySpec::Sm4]
            .into_iter()
            .map(|s| SymmetricKey::new(s, &crate::keygen::generate(s).unwrap()).unwrap())
            .collect()
    }

    #[test]
    fn round_trips_and_authentication_failures() {
        for k in all_keys() {
            for len in [0usize, 1, 15, 16, 17, 31, 32, 33, 100, 4096, 6144] {
                let pt: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
                let iv = [len as u8; 12];
                let aad = b"86a9efd9-3d16-4894-bd4f-1fc43f3f2abf{\"a\":\"1\"}";
                let sealed = k.seal(&iv, aad, &pt).unwrap();
                assert_eq!(sealed.len(), len + TAG_LEN);
                assert!(k.open(&iv, aad, &sealed).unwrap().ct_eq(&pt));
                // Wrong AAD, IV, tag, ciphertext, length.
                assert_eq!(k.open(&iv, &aad[..aad.len() - 1], &sealed).err(), Some(AeadError::Authentication));
                assert_eq!(k.open(&iv, b"", &sealed).err(), Some(AeadError::Authentication));
                let mut other_iv = iv;
                other_iv[11] ^= 1;
                assert_eq!(k.open(&other_iv, aad, &sealed).err(), Some(AeadError::Authentication));
                let mut bad_tag = sealed.clone();
                *bad_tag.last_mut().unwrap() ^= 0x80;
                assert_eq!(k.open(&iv, aad, &bad_tag).err(), Some(AeadError::Authentication));
                if len > 0 {
                    let mut bad_ct = sealed.clone();
                    bad_ct[0] ^= 1;
                    assert_eq!(k.open(&iv, aad, &bad_ct).err(), Some(AeadError::Authentication));
                }
                assert_eq!(k.open(&iv, aad, &sealed[..sealed.len() - 1]).err(), Some(AeadError::Authentication));
                assert_eq!(k.open(&iv, aad, &sealed[1..]).err(), Some(AeadError::Authentication));
            }
        }
    }

    #[test]
    fn a_different_key_of_the_same_spec_fails() {
        let a = all_keys();
        let b = all_keys();
        for (a, b) in a.iter().zip(&b) {
            let sealed = a.seal(&[0; 12], b"", b"hello").unwrap();
            assert_eq!(b.open(&[0; 12], b"", &sealed).err(), Some(AeadError::Authentication));
        }
    }

    #[test]
    fn short_inputs_and_mutations_never_panic() {
        let mut state = 0xaead_0001_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for k in all_keys() {
            // Shorter than a tag, exactly a (wrong) tag, and a little more.
            for len in 0..=TAG_LEN + 3 {
                let junk = vec![0xa5u8; len];
                assert_eq!(k.open(&[0; 12], b"", &junk).err(), Some(AeadError::Authentication), "{len}");
            }
            let sealed = k.seal(&[3; 12], b"aad", b"some plaintext of a few blocks, not aligned").unwrap();
            for i in 0..2000 {
                let mut m = sealed.clone();
                let r = next() as usize;
                let pos = r % m.len();
                match i % 3 {
                    0 => m[pos] ^= 1 << ((r >> 16) % 8),
                    1 => {
                        m.remove(pos);
                    }
                    _ => m.insert(pos, (r >> 24) as u8),
                }
                assert_eq!(k.open(&[3; 12], b"aad", &m).err(), Some(AeadError::Authentication), "mutation {i}");
            }
        }
    }

    #[test]
    fn wrong_material_is_refused() {
        for (spec, len) in [(KeySpec::Aes256, 16), (KeySpec::Aes256, 31), (KeySpec::Aes128, 32), (KeySpec::Sm4, 32)] {
            assert!(matches!(
                SymmetricKey::new(spec, &SecretBytes::new(vec![1; len])),
                Err(CryptoError::InvalidKey(_))
            ));
        }
        for spec in [KeySpec::Rsa2048, KeySpec::EcP256, KeySpec::EcSm2] {
            assert!(SymmetricKey::new(spec, &SecretBytes::new(vec![1; 32])).is_err());
        }
    }

    #[test]
    fn debug_hides_the_key() {
        let k = key(KeySpec::Aes256, &"ab".repeat(32));
        let s = format!("{k:?}");
        assert!(s.contains("Aes256") && !s.contains("abab") && !s.contains("171"), "{s}");
        let k = key(KeySpec::Sm4, &"ab".repeat(16));
        assert!(!format!("{k:?}").contains("abab"));
    }

    #[test]
    fn keys_are_shareable_across_threads() {
        fn check<T: Send + Sync>() {}
        check::<SymmetricKey>();
    }
}
