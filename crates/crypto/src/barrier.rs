//! The root-key barrier (DESIGN.md §2): every secret record is sealed before it reaches a store.
//!
//! Sealed format, version 1: `0x01 ‖ nonce (12 B) ‖ AES-256-GCM ciphertext ‖ tag (16 B)`.
//! AAD = `"keyward-seal-v1" ‖ 0x00 ‖ kind ‖ 0x00 ‖ record id`, so a sealed blob cannot be moved
//! to another row or another kind of record without failing authentication.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hmac;

use crate::{CryptoError, SecretBytes, random};

const VERSION: u8 = 1;
const TAG_LEN: usize = 16;

/// The kind of a sealed record; part of the AAD.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordKind {
    /// Material of one key version (AAD id: `key_id/version_id`).
    KeyMaterial,
    /// An AccessKey secret (AAD id: the AccessKey id).
    AccessKeySecret,
    /// The store's canary, used to check the root key at startup.
    Canary,
    /// A private wrapping key of GetParametersForImport.
    WrappingKey,
}

impl RecordKind {
    fn label(self) -> &'static [u8] {
        match self {
            Self::KeyMaterial => b"key-material",
            Self::AccessKeySecret => b"access-key-secret",
            Self::Canary => b"canary",
            Self::WrappingKey => b"wrapping-key",
        }
    }
}

/// Seals and opens records under the 256-bit root key, and computes keyed fingerprints and
/// MACs with a key derived from it.
pub struct Barrier {
    key: LessSafeKey,
    mac_key: hmac::Key,
}

/// What a keyed digest of [`Barrier::mac`] is for; part of the MAC input, so a value computed
/// for one purpose never verifies for another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MacPurpose {
    /// Fingerprint of imported key material (binding rule of ImportKeyMaterial).
    MaterialFingerprint,
    /// Authenticity of an ImportToken.
    ImportToken,
    /// Encryption-context values in the audit log (correlatable, not readable).
    AuditContext,
}

impl MacPurpose {
    fn label(self) -> &'static [u8] {
        match self {
            Self::MaterialFingerprint => b"material-fingerprint",
            Self::ImportToken => b"import-token",
            Self::AuditContext => b"audit-context",
        }
    }
}

impl Barrier {
    /// Builds the barrier from the 32-byte root key.
    pub fn new(root_key: &SecretBytes) -> Result<Self, CryptoError> {
        let unbound = UnboundKey::new(&AES_256_GCM, root_key.expose())
            .map_err(|_| CryptoError::InvalidKey("the root key must be 32 bytes"))?;
        // The MAC key is derived from the root key (HMAC-SHA256 as a PRF with a fixed label), so
        // the sealing key is never used for anything but sealing.
        let prk = hmac::Key::new(hmac::HMAC_SHA256, root_key.expose());
        let derived = hmac::sign(&prk, b"keyward-mac-key-v1");
        let mac_key = hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref());
        Ok(Self { key: LessSafeKey::new(unbound), mac_key })
    }

    /// HMAC-SHA256 over `parts` (each length-prefixed) for `purpose`, under the derived MAC key.
    pub fn mac(&self, purpose: MacPurpose, parts: &[&[u8]]) -> [u8; 32] {
        let mut ctx = hmac::Context::with_key(&self.mac_key);
        ctx.update(purpose.label());
        for p in parts {
            ctx.update(&(p.len() as u64).to_be_bytes());
            ctx.update(p);
        }
        let tag = ctx.sign();
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }

    /// Seals `plaintext` as a record of `kind` with id `id`.
    pub fn seal(&self, kind: RecordKind, id: &str, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        random::fill(&mut nonce)?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + plaintext.len() + TAG_LEN);
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        let mut body = out.split_off(1 + NONCE_LEN);
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad(kind, id)), &mut body)
            .map_err(|_| CryptoError::Library("seal failed"))?;
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Opens a record sealed by [`Barrier::seal`] with the same kind and id.
    pub fn open(&self, kind: RecordKind, id: &str, sealed: &[u8]) -> Result<SecretBytes, CryptoError> {
        if sealed.len() < 1 + NONCE_LEN + TAG_LEN || sealed[0] != VERSION {
            return Err(CryptoError::MalformedSealed);
        }
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&sealed[1..1 + NONCE_LEN]);
        // The buffer holds ciphertext until it opens; from then on it is owned by SecretBytes.
        let mut buf = sealed[1 + NONCE_LEN..].to_vec();
        let len = self
            .key
            .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(aad(kind, id)), &mut buf)
            .map_err(|_| CryptoError::Unseal)?
            .len();
        buf.truncate(len);
        Ok(SecretBytes::new(buf))
    }
}

fn aad(kind: RecordKind, id: &str) -> Vec<u8> {
    let mut a = Vec::with_capacity(32 + id.len());
    a.extend_from_slice(b"keyward-seal-v1\0");
    a.extend_from_slice(kind.label());
    a.push(0);
    a.extend_from_slice(id.as_bytes());
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn barrier() -> Barrier {
        Barrier::new(&SecretBytes::new(random::bytes(32).unwrap())).unwrap()
    }

    #[test]
    fn round_trip() {
        let b = barrier();
        let sealed = b.seal(RecordKind::KeyMaterial, "k/v", b"material").unwrap();
        assert!(!sealed.windows(8).any(|w| w == b"material"));
        assert_eq!(b.open(RecordKind::KeyMaterial, "k/v", &sealed).unwrap().expose(), b"material");
    }

    #[test]
    fn a_sealed_record_cannot_move_to_another_row_or_kind() {
        let b = barrier();
        let sealed = b.seal(RecordKind::KeyMaterial, "k/v", b"material").unwrap();
        assert!(matches!(b.open(RecordKind::KeyMaterial, "k/w", &sealed), Err(CryptoError::Unseal)));
        assert!(matches!(b.open(RecordKind::AccessKeySecret, "k/v", &sealed), Err(CryptoError::Unseal)));
        assert!(matches!(barrier().open(RecordKind::KeyMaterial, "k/v", &sealed), Err(CryptoError::Unseal)));
    }

    #[test]
    fn tampering_and_truncation_are_detected_without_panics() {
        let b = barrier();
        let sealed = b.seal(RecordKind::Canary, "x", b"abc").unwrap();
        for i in 0..sealed.len() {
            let mut t = sealed.clone();
            t[i] ^= 1;
            assert!(b.open(RecordKind::Canary, "x", &t).is_err());
            assert!(b.open(RecordKind::Canary, "x", &sealed[..i]).is_err());
        }
    }

    #[test]
    fn macs_depend_on_root_key_purpose_and_framing() {
        let b = barrier();
        let m = b.mac(MacPurpose::MaterialFingerprint, &[b"ab", b"c"]);
        assert_eq!(m, b.mac(MacPurpose::MaterialFingerprint, &[b"ab", b"c"]));
        assert_ne!(m, b.mac(MacPurpose::MaterialFingerprint, &[b"a", b"bc"]));
        assert_ne!(m, b.mac(MacPurpose::ImportToken, &[b"ab", b"c"]));
        assert_ne!(m, barrier().mac(MacPurpose::MaterialFingerprint, &[b"ab", b"c"]));
    }

    #[test]
    fn root_key_must_be_32_bytes() {
        assert!(Barrier::new(&SecretBytes::from_slice(&[0u8; 16])).is_err());
    }
}
