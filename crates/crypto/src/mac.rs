//! HMAC keys (`HMAC_256/384/512`, usage `GENERATE/VERIFY_MAC`): GenerateMac / VerifyMac of the
//! Huawei API (HUAWEI.md §1.7), with aws-lc-rs HMAC.
//!
//! | KeySpec | key length | MacAlgorithm |
//! |---|---|---|
//! | `HMAC_256` | 32 B | `HMAC_SHA_256` |
//! | `HMAC_384` | 48 B | `HMAC_SHA_384` |
//! | `HMAC_512` | 64 B | `HMAC_SHA_512` |
//!
//! One algorithm per spec (the hash matches the key length, as in AWS KMS and Huawei's console).
//! Verification recomputes the tag and compares it in constant time; a tag of the wrong length is
//! simply `false`.

use aws_lc_rs::hmac;

use crate::{CryptoError, KeySpec, SecretBytes};

/// A MAC algorithm (`mac_algorithm`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MacAlgorithm {
    /// `HMAC_SHA_256`.
    HmacSha256,
    /// `HMAC_SHA_384`.
    HmacSha384,
    /// `HMAC_SHA_512`.
    HmacSha512,
}

impl MacAlgorithm {
    /// Every algorithm.
    pub const ALL: [MacAlgorithm; 3] = [Self::HmacSha256, Self::HmacSha384, Self::HmacSha512];

    /// The name (Huawei's and AWS's spelling).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HmacSha256 => "HMAC_SHA_256",
            Self::HmacSha384 => "HMAC_SHA_384",
            Self::HmacSha512 => "HMAC_SHA_512",
        }
    }

    /// Parses a name (exact, case-sensitive).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The algorithm of an HMAC spec; `None` for other specs.
    pub fn for_spec(spec: KeySpec) -> Option<Self> {
        match spec {
            KeySpec::Hmac256 => Some(Self::HmacSha256),
            KeySpec::Hmac384 => Some(Self::HmacSha384),
            KeySpec::Hmac512 => Some(Self::HmacSha512),
            _ => None,
        }
    }

    /// Whether a key of `spec` computes this algorithm.
    pub fn fits(self, spec: KeySpec) -> bool {
        Self::for_spec(spec) == Some(self)
    }

    /// Length of the tag in bytes (32, 48, 64).
    pub fn mac_len(self) -> usize {
        self.hmac().digest_algorithm().output_len()
    }

    fn hmac(self) -> hmac::Algorithm {
        match self {
            Self::HmacSha256 => hmac::HMAC_SHA256,
            Self::HmacSha384 => hmac::HMAC_SHA384,
            Self::HmacSha512 => hmac::HMAC_SHA512,
        }
    }
}

/// Errors of MAC operations.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MacError {
    /// The algorithm is not the one of this key's spec.
    #[error("the MAC algorithm does not apply to this key")]
    UnsupportedAlgorithm,
}

/// An HMAC key, parsed once and cached. No `Clone`; its `Debug` shows only the spec.
pub struct MacKey {
    spec: KeySpec,
    algorithm: MacAlgorithm,
    key: hmac::Key,
}

impl std::fmt::Debug for MacKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MacKey").field("spec", &self.spec).finish_non_exhaustive()
    }
}

impl MacKey {
    /// Builds the key from stored material (the raw key bytes, [`KeySpec::hmac_len`] long).
    pub fn new(spec: KeySpec, material: &SecretBytes) -> Result<Self, CryptoError> {
        let algorithm = MacAlgorithm::for_spec(spec).ok_or(CryptoError::InvalidKey("not an HMAC key spec"))?;
        if Some(material.len()) != spec.hmac_len() {
            return Err(CryptoError::InvalidKey("HMAC key material has the wrong length for its spec"));
        }
        Ok(Self { spec, algorithm, key: hmac::Key::new(algorithm.hmac(), material.expose()) })
    }

    /// The key spec.
    pub fn spec(&self) -> KeySpec {
        self.spec
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> MacAlgorithm {
        self.algorithm
    }

    /// HMAC of `message` (GenerateMac).
    pub fn generate(&self, alg: MacAlgorithm, message: &[u8]) -> Result<Vec<u8>, MacError> {
        if alg != self.algorithm {
            return Err(MacError::UnsupportedAlgorithm);
        }
        Ok(hmac::sign(&self.key, message).as_ref().to_vec())
    }

    /// Whether `mac` is the HMAC of `message` (VerifyMac), compared in constant time.
    pub fn verify(&self, alg: MacAlgorithm, message: &[u8], mac: &[u8]) -> Result<bool, MacError> {
        if alg != self.algorithm {
            return Err(MacError::UnsupportedAlgorithm);
        }
        Ok(hmac::verify(&self.key, message, mac).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    const SPECS: [KeySpec; 3] = [KeySpec::Hmac256, KeySpec::Hmac384, KeySpec::Hmac512];

    /// `openssl dgst -<md> -mac HMAC -macopt hexkey:<key>`: an independent HMAC.
    fn openssl_hmac(alg: MacAlgorithm, key: &[u8], message: &[u8]) -> Vec<u8> {
        let md = match alg {
            MacAlgorithm::HmacSha256 => "-sha256",
            MacAlgorithm::HmacSha384 => "-sha384",
            MacAlgorithm::HmacSha512 => "-sha512",
        };
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("m.bin");
        std::fs::write(&f, message).unwrap();
        let hexkey = format!("hexkey:{}", hex::encode(key));
        let out = Command::new("openssl")
            .args(["dgst", md, "-mac", "HMAC", "-macopt", &hexkey, "-binary", f.to_str().unwrap()])
            .output()
            .expect("openssl must be on PATH");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    }

    #[test]
    fn names_and_table() {
        for a in MacAlgorithm::ALL {
            assert_eq!(MacAlgorithm::parse(a.as_str()), Some(a));
        }
        assert_eq!(MacAlgorithm::parse("hmac_sha_256"), None);
        for spec in KeySpec::ALL {
            let fitting: Vec<MacAlgorithm> = MacAlgorithm::ALL.into_iter().filter(|a| a.fits(spec)).collect();
            assert_eq!(fitting.len(), usize::from(spec.is_hmac()), "{spec:?}");
            if let Some(a) = MacAlgorithm::for_spec(spec) {
                assert_eq!(Some(a.mac_len()), spec.hmac_len());
            }
        }
    }

    #[test]
    fn rfc_4231_test_case_2() {
        // RFC 4231 §4.3: key "Jefe", data "what do ya want for nothing?" (short key; our keys are
        // full length, so this checks the algorithm wiring through aws-lc-rs directly).
        let key = hmac::Key::new(MacAlgorithm::HmacSha256.hmac(), b"Jefe");
        let tag = hmac::sign(&key, b"what do ya want for nothing?");
        assert_eq!(hex::encode(tag.as_ref()), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn macs_match_openssl_and_verify_in_constant_time() {
        for spec in SPECS {
            let material = crate::keygen::generate(spec).unwrap();
            let k = MacKey::new(spec, &material).unwrap();
            let alg = k.algorithm();
            assert_eq!(k.spec(), spec);
            for msg in [b"".as_slice(), b"hello world", &[0xa5; 4096]] {
                let tag = k.generate(alg, msg).unwrap();
                assert_eq!(tag.len(), alg.mac_len());
                assert_eq!(tag, openssl_hmac(alg, material.expose(), msg), "{spec:?}");
                assert_eq!(k.verify(alg, msg, &tag), Ok(true));
                let mut bad = tag.clone();
                bad[0] ^= 1;
                assert_eq!(k.verify(alg, msg, &bad), Ok(false));
                assert_eq!(k.verify(alg, msg, &tag[..tag.len() - 1]), Ok(false));
                assert_eq!(k.verify(alg, msg, &[]), Ok(false));
                assert_eq!(k.verify(alg, b"other message", &tag), Ok(false));
            }
            for other in MacAlgorithm::ALL.into_iter().filter(|&a| a != alg) {
                assert_eq!(k.generate(other, b"m"), Err(MacError::UnsupportedAlgorithm));
                assert_eq!(k.verify(other, b"m", &[0; 32]), Err(MacError::UnsupportedAlgorithm));
            }
        }
    }

    #[test]
    fn construction_checks_spec_and_length() {
        assert!(MacKey::new(KeySpec::Hmac256, &SecretBytes::new(vec![1; 31])).is_err());
        assert!(MacKey::new(KeySpec::Hmac384, &SecretBytes::new(vec![1; 32])).is_err());
        assert!(MacKey::new(KeySpec::Aes256, &SecretBytes::new(vec![1; 32])).is_err());
        let k = MacKey::new(KeySpec::Hmac512, &SecretBytes::new(vec![1; 64])).unwrap();
        assert_eq!(format!("{k:?}"), "MacKey { spec: Hmac512, .. }");
        fn shareable<T: Send + Sync>() {}
        shareable::<MacKey>();
    }
}
