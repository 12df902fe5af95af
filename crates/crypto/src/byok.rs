//! Bring Your Own Key (BYOK): wrapping of imported key material, both sides (ALIBABA.md §5.2,
//! GetParametersForImport / ImportKeyMaterial).
//!
//! The server keeps a wrapping key pair per import token ([`generate_wrapping_key`]) and unwraps
//! `EncryptedKeyMaterial` with [`unwrap_material`]. The client side ([`wrap_material`]) serves the
//! `keyward byok wrap` command and the tests.
//!
//! Layouts of `EncryptedKeyMaterial` (`‖` is concatenation; k = RSA modulus size, 256 B for RSA_2048):
//!
//! | WrappingKeySpec | WrappingAlgorithm | Target specs | EncryptedKeyMaterial |
//! |---|---|---|---|
//! | `RSA_2048` | `RSAES_OAEP_SHA_256`, `RSAES_OAEP_SHA_1` | AES, SM4 | RSA-OAEP(H, MGF1-H, empty label)(raw key), k B |
//! | `RSA_2048` | `RSAES_PKCS1_V1_5` | AES, SM4 | RSAES-PKCS1-v1_5(raw key), k B |
//! | `EC_SM2` | `SM2PKE` | AES, SM4 | SM2 ciphertext (GB/T 32918.4) of the raw key |
//! | `RSA_2048` | `RSAES_OAEP_SHA_256_AES_256_ECB_PKCS7_PAD` | RSA, EC_P256, EC_P256K | RSA-OAEP(SHA-256, MGF1-SHA-256, empty label)(32-byte AES key), k B ‖ AES-256-ECB-PKCS7(PKCS#8 DER private key) |
//! | `EC_SM2` | `SM2PKE_SM4_ECB` | EC_SM2 | SM2 ciphertext of a 16-byte SM4 key (raw C1C3C2: 113 B) ‖ SM4-ECB-NoPadding(32-byte scalar d), 145 B |
//!
//! SM2 ciphertexts: [`unwrap_material`] accepts both the raw `C1 ‖ C3 ‖ C2` form (C1 a SEC1 point,
//! `0x04 ‖ x ‖ y`; what Alibaba's samples produce with BouncyCastle `SM2Engine.Mode.C1C3C2`) and the
//! GM/T 0009 ASN.1 DER form (what `openssl pkeyutl -encrypt` produces); a leading `0x30` byte
//! selects DER (a SEC1 point never starts with it). For `SM2PKE_SM4_ECB` the last 32 bytes are the
//! SM4-ECB part and everything before them is the SM2 ciphertext, so the DER form works there too.
//! [`wrap_material`] always produces raw C1C3C2 (145 bytes for `SM2PKE_SM4_ECB`).
//!
//! Unwrapped material comes back in the storage format of [`crate::keygen`]: raw bytes for
//! symmetric specs, PKCS#8 DER re-encoded by aws-lc-rs for RSA and ECDSA, the 32-byte big-endian
//! scalar d for SM2. Only PKCS#8 is accepted for RSA and ECDSA (not PKCS#1 `RSAPrivateKey` nor SEC1
//! `ECPrivateKey`, which `openssl genpkey -outform DER` writes: CRYPTO.md §7 pitfall 1).
//!
//! No layout authenticates the material with a MAC. OAEP and SM2 (its C3 hash) reject tampering
//! with the wrapped part, and a corrupted ECB part almost never yields a PKCS#8 key that passes
//! aws-lc-rs's consistency checks; but PKCS#1 v1.5 is only a padding check, and the SM4-ECB part of
//! `SM2PKE_SM4_ECB` has no check at all: a corrupted one unwraps to another valid scalar. Callers
//! should map [`ByokError::Undecryptable`] and [`ByokError::InvalidMaterial`] to the same wire error
//! so that the import cannot serve as a padding oracle.

use aws_lc_rs::cipher::{
    AES_256, DecryptionContext, PaddedBlockDecryptingKey, PaddedBlockEncryptingKey, UnboundCipherKey,
};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{
    OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepAlgorithm, OaepPrivateDecryptingKey, OaepPublicEncryptingKey,
    Pkcs1PrivateDecryptingKey, Pkcs1PublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey,
};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P256K1_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING, EcdsaKeyPair,
    EcdsaSigningAlgorithm, KeyPair, RsaKeyPair,
};
use sm2::elliptic_curve::common::getrandom::SysRng;
use sm2::pkcs8::der::Decode;
use sm2::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePublicKey};
use sm2::pke::{Cipher, DecryptingKey, EncryptingKey, Mode};
use sm4::Sm4;
use sm4::cipher::{Block, BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use zeroize::{Zeroize, Zeroizing};

use crate::{CryptoError, KeySpec, SecretBytes, keygen, random};

/// Length of the ephemeral AES-256 key of `RSAES_OAEP_SHA_256_AES_256_ECB_PKCS7_PAD`.
const AES_KEY_LEN: usize = 32;
/// Length of the ephemeral SM4 key of `SM2PKE_SM4_ECB`.
const SM4_KEY_LEN: usize = 16;
/// Length of an SM2 private scalar, and of the SM4-ECB part of `SM2PKE_SM4_ECB`.
const SM2_SCALAR_LEN: usize = 32;
/// Block size of AES and SM4.
const BLOCK_LEN: usize = 16;
/// First byte of a DER SEQUENCE: marks the GM/T 0009 form of an SM2 ciphertext.
const DER_SEQUENCE: u8 = 0x30;
/// How to fix a key that is not PKCS#8.
const PKCS8_HINT: &str = "convert it with `openssl pkcs8 -topk8 -nocrypt -outform DER`";

/// The spec of a wrapping key pair (`WrappingKeySpec`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WrappingKeySpec {
    /// `RSA_2048`.
    Rsa2048,
    /// `EC_SM2`.
    EcSm2,
}

impl WrappingKeySpec {
    /// Every wrapping key spec.
    pub const ALL: [WrappingKeySpec; 2] = [Self::Rsa2048, Self::EcSm2];

    /// The Alibaba name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rsa2048 => "RSA_2048",
            Self::EcSm2 => "EC_SM2",
        }
    }

    /// Parses an Alibaba name (exact, case-sensitive).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|w| w.as_str() == s)
    }
}

/// A wrapping algorithm (`WrappingAlgorithm`); the layouts are in the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WrappingAlgorithm {
    /// `RSAES_OAEP_SHA_256`: RSA-OAEP with SHA-256 and MGF1-SHA-256.
    RsaesOaepSha256,
    /// `RSAES_OAEP_SHA_1`: RSA-OAEP with SHA-1 and MGF1-SHA-1.
    RsaesOaepSha1,
    /// `RSAES_PKCS1_V1_5`.
    RsaesPkcs1V15,
    /// `SM2PKE`.
    Sm2Pke,
    /// `RSAES_OAEP_SHA_256_AES_256_ECB_PKCS7_PAD`: for asymmetric RSA and ECDSA material.
    RsaesOaepSha256Aes256EcbPkcs7Pad,
    /// `SM2PKE_SM4_ECB`: for SM2 material.
    Sm2PkeSm4Ecb,
}

impl WrappingAlgorithm {
    /// Every wrapping algorithm.
    pub const ALL: [WrappingAlgorithm; 6] = [
        Self::RsaesOaepSha256,
        Self::RsaesOaepSha1,
        Self::RsaesPkcs1V15,
        Self::Sm2Pke,
        Self::RsaesOaepSha256Aes256EcbPkcs7Pad,
        Self::Sm2PkeSm4Ecb,
    ];

    /// The Alibaba name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RsaesOaepSha256 => "RSAES_OAEP_SHA_256",
            Self::RsaesOaepSha1 => "RSAES_OAEP_SHA_1",
            Self::RsaesPkcs1V15 => "RSAES_PKCS1_V1_5",
            Self::Sm2Pke => "SM2PKE",
            Self::RsaesOaepSha256Aes256EcbPkcs7Pad => "RSAES_OAEP_SHA_256_AES_256_ECB_PKCS7_PAD",
            Self::Sm2PkeSm4Ecb => "SM2PKE_SM4_ECB",
        }
    }

    /// Parses an Alibaba name (exact, case-sensitive).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The wrapping key spec the algorithm works with.
    pub fn wrapping_key_spec(self) -> WrappingKeySpec {
        match self {
            Self::RsaesOaepSha256
            | Self::RsaesOaepSha1
            | Self::RsaesPkcs1V15
            | Self::RsaesOaepSha256Aes256EcbPkcs7Pad => WrappingKeySpec::Rsa2048,
            Self::Sm2Pke | Self::Sm2PkeSm4Ecb => WrappingKeySpec::EcSm2,
        }
    }
}

/// Errors of BYOK wrapping and unwrapping. Messages never contain key material.
#[derive(Debug, thiserror::Error)]
pub enum ByokError {
    /// The encrypted material does not decrypt with the wrapping key (wrong key, corrupt, truncated).
    #[error("the encrypted key material does not decrypt with the wrapping key")]
    Undecryptable,
    /// It decrypts, but the material does not fit the target key spec (wrong length, PKCS#8 that does
    /// not parse, wrong RSA modulus size, wrong curve, invalid SM2 scalar). The string says what.
    #[error("invalid key material: {0}")]
    InvalidMaterial(String),
    /// The algorithm does not apply to this wrapping spec / target spec combination.
    #[error("unsupported wrapping: {0}")]
    Unsupported(String),
    /// A key of our own (the wrapping key) is unusable, or the library failed.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

/// A wrapping key pair. No `Debug`: it holds the private key.
pub struct WrappingKeyPair {
    /// RSA: PKCS#8 DER; SM2: the 32-byte scalar d.
    pub private: SecretBytes,
    /// DER SubjectPublicKeyInfo (GetParametersForImport returns it base64-encoded).
    pub public_spki_der: Vec<u8>,
}

/// Generates a wrapping key pair. RSA-2048 generation is slow (about 75 ms); async callers should
/// run it on a blocking thread.
pub fn generate_wrapping_key(spec: WrappingKeySpec) -> Result<WrappingKeyPair, CryptoError> {
    let private = match spec {
        WrappingKeySpec::Rsa2048 => keygen::generate(KeySpec::Rsa2048)?,
        WrappingKeySpec::EcSm2 => keygen::generate(KeySpec::EcSm2)?,
    };
    let public_spki_der = wrapping_public_key(spec, &private)?;
    Ok(WrappingKeyPair { private, public_spki_der })
}

/// Public key (DER SubjectPublicKeyInfo) of a wrapping private key, to rebuild it from the stored
/// private key.
pub fn wrapping_public_key(spec: WrappingKeySpec, private: &SecretBytes) -> Result<Vec<u8>, CryptoError> {
    match spec {
        WrappingKeySpec::Rsa2048 => {
            let key = rsa_wrapping_key(private)?;
            rsa_public_spki(&key.public_key())
        }
        WrappingKeySpec::EcSm2 => sm2_public_spki(private.expose()),
    }
}

/// DER SubjectPublicKeyInfo of the public key that belongs to stored asymmetric material (RSA,
/// P-256, P-384, secp256k1, SM2), in the storage format of [`crate::keygen`]. Used as the binding
/// fingerprint of asymmetric imports and by GetPublicKey.
pub fn public_key_spki(target: KeySpec, material: &SecretBytes) -> Result<Vec<u8>, CryptoError> {
    match target {
        KeySpec::Aes256 | KeySpec::Aes128 | KeySpec::Sm4 | KeySpec::Hmac256 | KeySpec::Hmac384 | KeySpec::Hmac512 => {
            Err(CryptoError::InvalidKey("a symmetric key has no public key"))
        }
        KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => {
            let key = RsaKeyPair::from_pkcs8(material.expose())
                .map_err(|_| CryptoError::InvalidKey("RSA material is not a PKCS#8 RSA key"))?;
            if Some(key.public_modulus_len() * 8) != rsa_bits(target) {
                return Err(CryptoError::InvalidKey("RSA modulus size does not match the key spec"));
            }
            let der = key.public_key().as_der().map_err(|_| CryptoError::Library("RSA public key encoding failed"))?;
            Ok(der.as_ref().to_vec())
        }
        KeySpec::EcP256 | KeySpec::EcP256K | KeySpec::EcP384 => {
            let alg = ecdsa_alg(target).ok_or(CryptoError::InvalidKey("not an ECDSA key spec"))?;
            let key = EcdsaKeyPair::from_pkcs8(alg, material.expose())
                .map_err(|_| CryptoError::InvalidKey("EC material is not a PKCS#8 key on the spec's curve"))?;
            let der = key.public_key().as_der().map_err(|_| CryptoError::Library("EC public key encoding failed"))?;
            Ok(der.as_ref().to_vec())
        }
        KeySpec::EcSm2 => sm2_public_spki(material.expose()),
    }
}

/// Whether `alg` with a wrapping key of `spec` can carry material for `target` (see the module
/// docs). Which combinations a key store allows is policy of the core, not decided here.
/// (`EC_P384` is not an Alibaba spec, so no Alibaba layout carries it; its material arrives
/// through the Huawei flow: [`crate::kwp`] and [`private_key_from_pkcs8`].)
pub fn algorithm_fits(spec: WrappingKeySpec, alg: WrappingAlgorithm, target: KeySpec) -> bool {
    use WrappingAlgorithm as A;
    if alg.wrapping_key_spec() != spec {
        return false;
    }
    match alg {
        A::RsaesOaepSha256 | A::RsaesOaepSha1 | A::RsaesPkcs1V15 | A::Sm2Pke => target.is_symmetric(),
        A::RsaesOaepSha256Aes256EcbPkcs7Pad => matches!(
            target,
            KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 | KeySpec::EcP256 | KeySpec::EcP256K
        ),
        A::Sm2PkeSm4Ecb => target == KeySpec::EcSm2,
    }
}

/// Server side: decrypts `encrypted` with the wrapping private key and validates it against
/// `target`. Returns the material in the storage format of [`crate::keygen`] (raw symmetric bytes;
/// PKCS#8 DER for RSA and ECDSA, re-encoded; the 32-byte scalar d for SM2).
pub fn unwrap_material(
    spec: WrappingKeySpec,
    alg: WrappingAlgorithm,
    wrapping_private: &SecretBytes,
    encrypted: &[u8],
    target: KeySpec,
) -> Result<SecretBytes, ByokError> {
    check_fits(spec, alg, target)?;
    match alg {
        WrappingAlgorithm::RsaesOaepSha256 => {
            symmetric(target, rsa_oaep_decrypt(wrapping_private, &OAEP_SHA256_MGF1SHA256, encrypted)?)
        }
        WrappingAlgorithm::RsaesOaepSha1 => {
            symmetric(target, rsa_oaep_decrypt(wrapping_private, &OAEP_SHA1_MGF1SHA1, encrypted)?)
        }
        WrappingAlgorithm::RsaesPkcs1V15 => symmetric(target, rsa_pkcs1_decrypt(wrapping_private, encrypted)?),
        WrappingAlgorithm::Sm2Pke => symmetric(target, sm2_decrypt(&sm2_decrypting_key(wrapping_private)?, encrypted)?),
        WrappingAlgorithm::RsaesOaepSha256Aes256EcbPkcs7Pad => {
            let key = rsa_wrapping_key(wrapping_private)?;
            let k = key.key_size_bytes();
            // At least one AES block after the RSA part, in whole blocks.
            if encrypted.len() < k + BLOCK_LEN || !(encrypted.len() - k).is_multiple_of(BLOCK_LEN) {
                return Err(ByokError::Undecryptable);
            }
            let (wrapped_key, body) = encrypted.split_at(k);
            let aes_key = rsa_oaep_decrypt_with(key, &OAEP_SHA256_MGF1SHA256, wrapped_key)?;
            if aes_key.len() != AES_KEY_LEN {
                return Err(ByokError::Undecryptable);
            }
            let pkcs8 = aes_ecb_pkcs7_decrypt(aes_key.expose(), body)?;
            canonical_pkcs8(target, pkcs8.expose())
        }
        WrappingAlgorithm::Sm2PkeSm4Ecb => {
            let key = sm2_decrypting_key(wrapping_private)?;
            let Some(split) = encrypted.len().checked_sub(SM2_SCALAR_LEN).filter(|&s| s > 0) else {
                return Err(ByokError::Undecryptable);
            };
            let (wrapped_key, body) = encrypted.split_at(split);
            let sm4_key = sm2_decrypt(&key, wrapped_key)?;
            if sm4_key.len() != SM4_KEY_LEN {
                return Err(ByokError::Undecryptable);
            }
            let mut d = Zeroizing::new(body.to_vec());
            sm4_ecb(sm4_key.expose(), &mut d, false)?;
            sm2_scalar(&d)
        }
    }
}

/// Server side of the Huawei private-key import (HUAWEI.md §3.4): decrypts the temporary AES key
/// (`encrypted_key_material`) with the RSA wrapping private key. Only `RSAES_OAEP_SHA_256`
/// (SHA-256, MGF1-SHA-256, empty label) carries a temporary key; any other algorithm is
/// [`ByokError::Unsupported`]. The length is not checked here (16 or 32 bytes is the caller's
/// rule); every decryption failure is [`ByokError::Undecryptable`].
pub fn decrypt_temporary_key(
    alg: WrappingAlgorithm,
    wrapping_private: &SecretBytes,
    encrypted: &[u8],
) -> Result<SecretBytes, ByokError> {
    if alg != WrappingAlgorithm::RsaesOaepSha256 {
        return Err(ByokError::Unsupported(format!(
            "a temporary key is wrapped with RSAES_OAEP_SHA_256, not {}",
            alg.as_str()
        )));
    }
    rsa_oaep_decrypt(wrapping_private, &OAEP_SHA256_MGF1SHA256, encrypted)
}

/// Client side of [`decrypt_temporary_key`]: RSA-OAEP-SHA-256 of a temporary key under the
/// wrapping public key (DER SPKI). For tests and tooling.
pub fn encrypt_temporary_key(public_spki_der: &[u8], temporary_key: &[u8]) -> Result<Vec<u8>, ByokError> {
    rsa_oaep_encrypt(public_spki_der, &OAEP_SHA256_MGF1SHA256, temporary_key)
}

/// Client side: wraps `material` for `target` with the wrapping public key (DER SPKI; RSA for the
/// RSA algorithms, SM2 for the SM2 ones).
///
/// `material` is the raw key for symmetric targets and the private key as PKCS#8 DER for asymmetric
/// ones; it is validated against `target` first. For `EC_SM2` the PKCS#8 (as written by
/// `openssl genpkey -algorithm SM2 | openssl pkcs8 -topk8 -nocrypt -outform DER`) is reduced to
/// its scalar d; a bare 32-byte d is accepted too. SM2 ciphertexts are raw C1C3C2.
pub fn wrap_material(
    public_spki_der: &[u8],
    alg: WrappingAlgorithm,
    material: &[u8],
    target: KeySpec,
) -> Result<Vec<u8>, ByokError> {
    check_fits(alg.wrapping_key_spec(), alg, target)?;
    match alg {
        WrappingAlgorithm::RsaesOaepSha256 => {
            rsa_oaep_encrypt(public_spki_der, &OAEP_SHA256_MGF1SHA256, check_symmetric(target, material)?)
        }
        WrappingAlgorithm::RsaesOaepSha1 => {
            rsa_oaep_encrypt(public_spki_der, &OAEP_SHA1_MGF1SHA1, check_symmetric(target, material)?)
        }
        WrappingAlgorithm::RsaesPkcs1V15 => {
            let key = Pkcs1PublicEncryptingKey::new(rsa_public_key(public_spki_der)?)
                .map_err(|_| CryptoError::Library("RSA key setup failed"))?;
            let plaintext = check_symmetric(target, material)?;
            let mut out = vec![0u8; key.ciphertext_size()];
            let len = key
                .encrypt(plaintext, &mut out)
                .map_err(|_| CryptoError::Library("RSA PKCS#1 v1.5 encryption failed"))?
                .len();
            out.truncate(len);
            Ok(out)
        }
        WrappingAlgorithm::Sm2Pke => sm2_encrypt(public_spki_der, check_symmetric(target, material)?),
        WrappingAlgorithm::RsaesOaepSha256Aes256EcbPkcs7Pad => {
            // Validates only; the caller's own encoding is what gets wrapped.
            canonical_pkcs8(target, material)?;
            let aes_key = Zeroizing::new(random::bytes(AES_KEY_LEN)?);
            let mut out = rsa_oaep_encrypt(public_spki_der, &OAEP_SHA256_MGF1SHA256, &aes_key)?;
            out.extend_from_slice(&aes_ecb_pkcs7_encrypt(&aes_key, material)?);
            Ok(out)
        }
        WrappingAlgorithm::Sm2PkeSm4Ecb => {
            let d = sm2_scalar_from_client(material)?;
            seal_sm2_sm4_ecb(public_spki_der, &d)
        }
    }
}

fn check_fits(spec: WrappingKeySpec, alg: WrappingAlgorithm, target: KeySpec) -> Result<(), ByokError> {
    if algorithm_fits(spec, alg, target) {
        Ok(())
    } else {
        Err(ByokError::Unsupported(format!(
            "{} with an {} wrapping key cannot carry {} material",
            alg.as_str(),
            spec.as_str(),
            target.as_str()
        )))
    }
}

fn rsa_bits(target: KeySpec) -> Option<usize> {
    match target {
        KeySpec::Rsa2048 => Some(2048),
        KeySpec::Rsa3072 => Some(3072),
        KeySpec::Rsa4096 => Some(4096),
        _ => None,
    }
}

fn ecdsa_alg(target: KeySpec) -> Option<&'static EcdsaSigningAlgorithm> {
    match target {
        KeySpec::EcP256 => Some(&ECDSA_P256_SHA256_ASN1_SIGNING),
        KeySpec::EcP256K => Some(&ECDSA_P256K1_SHA256_ASN1_SIGNING),
        KeySpec::EcP384 => Some(&ECDSA_P384_SHA384_ASN1_SIGNING),
        _ => None,
    }
}

fn curve_name(target: KeySpec) -> &'static str {
    match target {
        KeySpec::EcP256 => "EC_P256 (P-256, secp256r1)",
        KeySpec::EcP384 => "EC_P384 (P-384, secp384r1)",
        _ => "EC_P256K (secp256k1)",
    }
}

/// Symmetric material: checks the length.
fn symmetric(target: KeySpec, material: SecretBytes) -> Result<SecretBytes, ByokError> {
    check_symmetric(target, material.expose())?;
    Ok(material)
}

fn check_symmetric(target: KeySpec, material: &[u8]) -> Result<&[u8], ByokError> {
    let want = target
        .symmetric_len()
        .ok_or_else(|| ByokError::Unsupported(format!("{} is not a symmetric cipher key spec", target.as_str())))?;
    if material.len() != want {
        return Err(ByokError::InvalidMaterial(format!(
            "{} key material must be {want} bytes, got {}",
            target.as_str(),
            material.len()
        )));
    }
    Ok(material)
}

/// Validates an unencrypted PKCS#8 DER private key (`PrivateKeyInfo`) for an RSA or ECDSA target
/// (RSA modulus size, curve, consistency) and returns it re-encoded by aws-lc-rs: the storage
/// format of [`crate::keygen`]. The Huawei import flow calls it on the KWP-unwrapped key; every
/// failure is [`ByokError::InvalidMaterial`] (the text says what), or [`ByokError::Unsupported`]
/// for a target that is not RSA or ECDSA.
pub fn private_key_from_pkcs8(target: KeySpec, pkcs8: &[u8]) -> Result<SecretBytes, ByokError> {
    canonical_pkcs8(target, pkcs8)
}

fn canonical_pkcs8(target: KeySpec, pkcs8: &[u8]) -> Result<SecretBytes, ByokError> {
    if let Some(bits) = rsa_bits(target) {
        let key = PrivateDecryptingKey::from_pkcs8(pkcs8).map_err(|e| {
            if RsaKeyPair::from_der(pkcs8).is_ok() {
                ByokError::InvalidMaterial(format!(
                    "the private key is a PKCS#1 RSAPrivateKey, not PKCS#8; {PKCS8_HINT}"
                ))
            } else {
                ByokError::InvalidMaterial(format!(
                    "the private key is not a PKCS#8 DER RSA key ({}); {PKCS8_HINT}",
                    e.description_()
                ))
            }
        })?;
        if key.key_size_bits() != bits {
            return Err(ByokError::InvalidMaterial(format!(
                "the RSA key has a {}-bit modulus, {} needs {bits} bits",
                key.key_size_bits(),
                target.as_str()
            )));
        }
        // The same key must also load for signing.
        RsaKeyPair::from_pkcs8(pkcs8)
            .map_err(|e| ByokError::InvalidMaterial(format!("the RSA key is not usable ({})", e.description_())))?;
        let der = key.as_der().map_err(|_| CryptoError::Library("RSA key encoding failed"))?;
        return Ok(SecretBytes::from_slice(der.as_ref()));
    }
    let alg = ecdsa_alg(target).ok_or_else(|| {
        ByokError::Unsupported(format!("{} material is not a PKCS#8 RSA or ECDSA key", target.as_str()))
    })?;
    let key = EcdsaKeyPair::from_pkcs8(alg, pkcs8).map_err(|e| {
        ByokError::InvalidMaterial(format!(
            "the private key is not a PKCS#8 DER key on {} ({}); {PKCS8_HINT}",
            curve_name(target),
            e.description_()
        ))
    })?;
    let doc = key.to_pkcs8v1().map_err(|_| CryptoError::Library("EC key encoding failed"))?;
    Ok(SecretBytes::from_slice(doc.as_ref()))
}

/// A stored SM2 scalar: checks 1 <= d < n.
fn sm2_scalar(d: &[u8]) -> Result<SecretBytes, ByokError> {
    if d.len() != SM2_SCALAR_LEN || sm2::SecretKey::from_slice(d).is_err() {
        return Err(ByokError::InvalidMaterial("not a valid SM2 private scalar (1 <= d < n)".into()));
    }
    Ok(SecretBytes::from_slice(d))
}

/// Client-side SM2 material: PKCS#8 DER, or a bare 32-byte scalar.
fn sm2_scalar_from_client(material: &[u8]) -> Result<SecretBytes, ByokError> {
    if material.len() == SM2_SCALAR_LEN {
        return sm2_scalar(material);
    }
    let key = sm2::SecretKey::from_pkcs8_der(material).map_err(|_| {
        ByokError::InvalidMaterial(format!("the private key is not a PKCS#8 DER SM2 key; {PKCS8_HINT}"))
    })?;
    let mut bytes = key.to_bytes();
    let d = SecretBytes::from_slice(&bytes);
    bytes.zeroize();
    Ok(d)
}

// ---- RSA ----

fn rsa_wrapping_key(private: &SecretBytes) -> Result<PrivateDecryptingKey, CryptoError> {
    PrivateDecryptingKey::from_pkcs8(private.expose())
        .map_err(|_| CryptoError::InvalidKey("the RSA wrapping key is not a PKCS#8 RSA key"))
}

fn rsa_public_key(spki: &[u8]) -> Result<PublicEncryptingKey, CryptoError> {
    PublicEncryptingKey::from_der(spki)
        .map_err(|_| CryptoError::InvalidKey("the wrapping public key is not an RSA SubjectPublicKeyInfo"))
}

fn rsa_public_spki(key: &PublicEncryptingKey) -> Result<Vec<u8>, CryptoError> {
    let der = key.as_der().map_err(|_| CryptoError::Library("RSA public key encoding failed"))?;
    Ok(der.as_ref().to_vec())
}

fn rsa_oaep_decrypt(
    private: &SecretBytes,
    alg: &'static OaepAlgorithm,
    ciphertext: &[u8],
) -> Result<SecretBytes, ByokError> {
    rsa_oaep_decrypt_with(rsa_wrapping_key(private)?, alg, ciphertext)
}

fn rsa_oaep_decrypt_with(
    key: PrivateDecryptingKey,
    alg: &'static OaepAlgorithm,
    ciphertext: &[u8],
) -> Result<SecretBytes, ByokError> {
    let key = OaepPrivateDecryptingKey::new(key).map_err(|_| CryptoError::Library("RSA key setup failed"))?;
    if ciphertext.len() != key.key_size_bytes() {
        return Err(ByokError::Undecryptable);
    }
    let mut buf = Zeroizing::new(vec![0u8; key.min_output_size()]);
    let plaintext = key.decrypt(alg, ciphertext, &mut buf, None).map_err(|_| ByokError::Undecryptable)?;
    Ok(SecretBytes::from_slice(plaintext))
}

fn rsa_pkcs1_decrypt(private: &SecretBytes, ciphertext: &[u8]) -> Result<SecretBytes, ByokError> {
    let key = Pkcs1PrivateDecryptingKey::new(rsa_wrapping_key(private)?)
        .map_err(|_| CryptoError::Library("RSA key setup failed"))?;
    if ciphertext.len() != key.key_size_bytes() {
        return Err(ByokError::Undecryptable);
    }
    let mut buf = Zeroizing::new(vec![0u8; key.min_output_size()]);
    let plaintext = key.decrypt(ciphertext, &mut buf).map_err(|_| ByokError::Undecryptable)?;
    Ok(SecretBytes::from_slice(plaintext))
}

fn rsa_oaep_encrypt(spki: &[u8], alg: &'static OaepAlgorithm, plaintext: &[u8]) -> Result<Vec<u8>, ByokError> {
    let key = OaepPublicEncryptingKey::new(rsa_public_key(spki)?)
        .map_err(|_| CryptoError::Library("RSA key setup failed"))?;
    let mut out = vec![0u8; key.ciphertext_size()];
    let len = key
        .encrypt(alg, plaintext, &mut out, None)
        .map_err(|_| CryptoError::Library("RSA-OAEP encryption failed"))?
        .len();
    out.truncate(len);
    Ok(out)
}

// ---- AES-256-ECB-PKCS7 ----

fn aes_ecb_pkcs7_decrypt(key: &[u8], ciphertext: &[u8]) -> Result<SecretBytes, ByokError> {
    let unbound =
        UnboundCipherKey::new(&AES_256, key).map_err(|_| CryptoError::InvalidKey("the AES key must be 32 bytes"))?;
    let key = PaddedBlockDecryptingKey::ecb_pkcs7(unbound).map_err(|_| CryptoError::Library("AES-ECB setup failed"))?;
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    let plaintext = key.decrypt(&mut buf, DecryptionContext::None).map_err(|_| ByokError::Undecryptable)?;
    Ok(SecretBytes::from_slice(plaintext))
}

fn aes_ecb_pkcs7_encrypt(key: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, ByokError> {
    let unbound =
        UnboundCipherKey::new(&AES_256, key).map_err(|_| CryptoError::InvalidKey("the AES key must be 32 bytes"))?;
    let key = PaddedBlockEncryptingKey::ecb_pkcs7(unbound).map_err(|_| CryptoError::Library("AES-ECB setup failed"))?;
    // Room for the padding up front: a reallocation would leave a plaintext copy behind.
    let mut buf = Vec::with_capacity(plaintext.len() + BLOCK_LEN);
    buf.extend_from_slice(plaintext);
    key.encrypt(&mut buf).map_err(|_| CryptoError::Library("AES-ECB encryption failed"))?;
    Ok(buf)
}

// ---- SM2 and SM4 ----

fn sm2_decrypting_key(private: &SecretBytes) -> Result<DecryptingKey, CryptoError> {
    DecryptingKey::from_slice(private.expose())
        .map_err(|_| CryptoError::InvalidKey("the SM2 wrapping key is not a valid 32-byte scalar"))
}

fn sm2_public_spki(d: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let key =
        sm2::SecretKey::from_slice(d).map_err(|_| CryptoError::InvalidKey("SM2 material is not a valid scalar"))?;
    let doc =
        key.public_key().to_public_key_der().map_err(|_| CryptoError::Library("SM2 public key encoding failed"))?;
    Ok(doc.as_bytes().to_vec())
}

/// SM2 decryption of a raw C1C3C2 or GM/T 0009 DER ciphertext into a buffer we zeroize.
fn sm2_decrypt(key: &DecryptingKey, ciphertext: &[u8]) -> Result<SecretBytes, ByokError> {
    let cipher: Cipher<'_> = if ciphertext.first() == Some(&DER_SEQUENCE) {
        Cipher::from_der(ciphertext).map_err(|_| ByokError::Undecryptable)?
    } else {
        Cipher::from_slice(ciphertext, Mode::C1C3C2).map_err(|_| ByokError::Undecryptable)?
    };
    let mut buf = Zeroizing::new(vec![0u8; cipher.c2().len()]);
    let len = key.decrypt_cipher_with_buf(&cipher, &mut buf).map_err(|_| ByokError::Undecryptable)?;
    Ok(SecretBytes::from_slice(buf.get(..len).ok_or(ByokError::Undecryptable)?))
}

fn sm2_encrypt(spki: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, ByokError> {
    let public = sm2::PublicKey::from_public_key_der(spki)
        .map_err(|_| CryptoError::InvalidKey("the wrapping public key is not an SM2 SubjectPublicKeyInfo"))?;
    let key = EncryptingKey::new_with_mode(public, Mode::C1C3C2);
    Ok(key.encrypt(&mut SysRng, plaintext).map_err(|_| CryptoError::Library("SM2 encryption failed"))?)
}

/// `SM2PKE_SM4_ECB` blob of a validated scalar d: raw C1C3C2(SM4 key) ‖ SM4-ECB(d).
fn seal_sm2_sm4_ecb(spki: &[u8], d: &SecretBytes) -> Result<Vec<u8>, ByokError> {
    let sm4_key = Zeroizing::new(random::bytes(SM4_KEY_LEN)?);
    let mut out = sm2_encrypt(spki, &sm4_key)?;
    let mut body = Zeroizing::new(d.expose().to_vec());
    sm4_ecb(&sm4_key, &mut body, true)?;
    out.extend_from_slice(&body);
    Ok(out)
}

/// SM4-ECB without padding, in place; `data` must be whole blocks.
fn sm4_ecb(key: &[u8], data: &mut [u8], encrypt: bool) -> Result<(), ByokError> {
    let cipher = Sm4::new_from_slice(key).map_err(|_| CryptoError::InvalidKey("the SM4 key must be 16 bytes"))?;
    let (blocks, rest) = Block::<Sm4>::slice_as_chunks_mut(data);
    if !rest.is_empty() {
        return Err(ByokError::Undecryptable);
    }
    if encrypt {
        cipher.encrypt_blocks(blocks);
    } else {
        cipher.decrypt_blocks(blocks);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};
    use std::process::Command;
    use std::sync::OnceLock;

    use sm2::pkcs8::EncodePrivateKey;

    const TARGETS_SYMMETRIC: [KeySpec; 3] = [KeySpec::Aes256, KeySpec::Aes128, KeySpec::Sm4];

    // ---- helpers ----

    /// Runs the openssl CLI; panics with its stderr on failure.
    fn openssl(args: &[&str]) -> Vec<u8> {
        let out = Command::new("openssl").args(args).output().expect("openssl must be on PATH");
        assert!(out.status.success(), "openssl {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p.to_str().unwrap().to_string()
    }

    fn read(path: &str) -> Vec<u8> {
        std::fs::read(path).unwrap()
    }

    /// A PKCS#8 DER private key from `openssl genpkey <args>`.
    fn openssl_genpkey(dir: &Path, name: &str, args: &[&str]) -> Vec<u8> {
        let pem = dir.join(format!("{name}.pem"));
        let pem = pem.to_str().unwrap();
        let der = dir.join(format!("{name}.p8.der"));
        let der = der.to_str().unwrap();
        let mut all = vec!["genpkey"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["-out", pem]);
        openssl(&all);
        openssl(&["pkcs8", "-topk8", "-nocrypt", "-outform", "DER", "-in", pem, "-out", der]);
        read(der)
    }

    /// `openssl pkey -pubout -outform DER` of a PKCS#8 DER private key.
    fn openssl_spki(dir: &Path, pkcs8: &[u8]) -> Vec<u8> {
        let p = write(dir, "spki-input.p8.der", pkcs8);
        openssl(&["pkey", "-inform", "DER", "-in", &p, "-pubout", "-outform", "DER"])
    }

    fn tmp() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    fn rsa_wrapping() -> &'static WrappingKeyPair {
        static K: OnceLock<WrappingKeyPair> = OnceLock::new();
        K.get_or_init(|| generate_wrapping_key(WrappingKeySpec::Rsa2048).unwrap())
    }

    fn sm2_wrapping() -> &'static WrappingKeyPair {
        static K: OnceLock<WrappingKeyPair> = OnceLock::new();
        K.get_or_init(|| generate_wrapping_key(WrappingKeySpec::EcSm2).unwrap())
    }

    fn wrapping(spec: WrappingKeySpec) -> &'static WrappingKeyPair {
        match spec {
            WrappingKeySpec::Rsa2048 => rsa_wrapping(),
            WrappingKeySpec::EcSm2 => sm2_wrapping(),
        }
    }

    /// Material of every spec in storage format, generated once (RSA-4096 takes about 0.6 s).
    fn material(target: KeySpec) -> &'static SecretBytes {
        static M: OnceLock<Vec<(KeySpec, SecretBytes)>> = OnceLock::new();
        let all = M.get_or_init(|| KeySpec::ALL.iter().map(|&s| (s, keygen::generate(s).unwrap())).collect());
        &all.iter().find(|(s, _)| *s == target).unwrap().1
    }

    /// PKCS#8 DER of an SM2 scalar (what a client would hold).
    fn sm2_pkcs8(d: &SecretBytes) -> Vec<u8> {
        sm2::SecretKey::from_slice(d.expose()).unwrap().to_pkcs8_der().unwrap().as_bytes().to_vec()
    }

    /// The wrap input for a target: raw symmetric key or PKCS#8 (SM2 too).
    fn client_material(target: KeySpec) -> Vec<u8> {
        match target {
            KeySpec::EcSm2 => sm2_pkcs8(material(target)),
            _ => material(target).expose().to_vec(),
        }
    }

    /// Checks that unwrapped material is the same key as the original.
    fn assert_same_key(target: KeySpec, got: &SecretBytes, want: &SecretBytes) {
        if target.is_symmetric() || target == KeySpec::EcSm2 {
            assert!(got.ct_eq(want.expose()), "{target:?}: material differs");
        } else {
            assert_eq!(public_key_spki(target, got).unwrap(), public_key_spki(target, want).unwrap(), "{target:?}");
        }
    }

    fn allowed() -> Vec<(WrappingKeySpec, WrappingAlgorithm, KeySpec)> {
        let mut v = Vec::new();
        for spec in WrappingKeySpec::ALL {
            for alg in WrappingAlgorithm::ALL {
                for target in KeySpec::ALL {
                    if algorithm_fits(spec, alg, target) {
                        v.push((spec, alg, target));
                    }
                }
            }
        }
        v
    }

    fn is_rejection(r: &Result<SecretBytes, ByokError>) -> bool {
        matches!(r, Err(ByokError::Undecryptable | ByokError::InvalidMaterial(_)))
    }

    /// GM/T 0009 DER SM2 ciphertext -> raw C1C3C2 (hand-written, independent of the sm2 crate).
    fn der_to_raw(der: &[u8]) -> Vec<u8> {
        fn tlv(b: &[u8]) -> (u8, &[u8], &[u8]) {
            let (len, hdr) = match b[1] {
                n if n < 0x80 => (n as usize, 2),
                0x81 => (b[2] as usize, 3),
                _ => panic!("long DER length"),
            };
            (b[0], &b[hdr..hdr + len], &b[hdr + len..])
        }
        fn coord(v: &[u8]) -> Vec<u8> {
            let v: Vec<u8> = v.iter().copied().skip_while(|&b| b == 0).collect();
            let mut out = vec![0u8; 32 - v.len()];
            out.extend_from_slice(&v);
            out
        }
        let (tag, body, rest) = tlv(der);
        assert_eq!((tag, rest.len()), (0x30, 0));
        let (t1, x, body) = tlv(body);
        let (t2, y, body) = tlv(body);
        let (t3, c3, body) = tlv(body);
        let (t4, c2, body) = tlv(body);
        assert_eq!((t1, t2, t3, t4, body.len()), (2, 2, 4, 4, 0));
        let mut raw = vec![0x04];
        raw.extend(coord(x));
        raw.extend(coord(y));
        raw.extend_from_slice(c3);
        raw.extend_from_slice(c2);
        raw
    }

    /// Raw C1C3C2 (uncompressed C1) -> GM/T 0009 DER (hand-written).
    fn raw_to_der(raw: &[u8]) -> Vec<u8> {
        fn tlv(tag: u8, v: &[u8]) -> Vec<u8> {
            let mut out = vec![tag];
            if v.len() < 0x80 {
                out.push(v.len() as u8);
            } else {
                out.extend_from_slice(&[0x81, u8::try_from(v.len()).unwrap()]);
            }
            out.extend_from_slice(v);
            out
        }
        fn int(v: &[u8]) -> Vec<u8> {
            let mut v: Vec<u8> = v.iter().copied().skip_while(|&b| b == 0).collect();
            if v.first().is_none_or(|&b| b & 0x80 != 0) {
                v.insert(0, 0);
            }
            tlv(2, &v)
        }
        assert_eq!(raw[0], 0x04);
        let mut body = int(&raw[1..33]);
        body.extend(int(&raw[33..65]));
        body.extend(tlv(4, &raw[65..97]));
        body.extend(tlv(4, &raw[97..]));
        tlv(0x30, &body)
    }

    /// xorshift64*: deterministic test randomness.
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
    }

    fn testdata(name: &str) -> Vec<u8> {
        let p: PathBuf = [env!("CARGO_MANIFEST_DIR"), "testdata", "byok", name].iter().collect();
        std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    fn sm2_d_of_pkcs8(pkcs8: &[u8]) -> SecretBytes {
        SecretBytes::from_slice(&sm2::SecretKey::from_pkcs8_der(pkcs8).unwrap().to_bytes())
    }

    // ---- names and the table ----

    #[test]
    fn names_round_trip() {
        for s in WrappingKeySpec::ALL {
            assert_eq!(WrappingKeySpec::parse(s.as_str()), Some(s));
        }
        for a in WrappingAlgorithm::ALL {
            assert_eq!(WrappingAlgorithm::parse(a.as_str()), Some(a));
        }
        assert_eq!(
            WrappingAlgorithm::parse("RSAES_OAEP_SHA_256_AES_256_ECB_PKCS7_PAD"),
            Some(WrappingAlgorithm::RsaesOaepSha256Aes256EcbPkcs7Pad)
        );
        assert_eq!(WrappingAlgorithm::parse("SM2PKE_SM4_ECB"), Some(WrappingAlgorithm::Sm2PkeSm4Ecb));
        assert_eq!(WrappingAlgorithm::parse("rsaes_oaep_sha_256"), None);
        assert_eq!(WrappingKeySpec::parse("RSA_3072"), None);
    }

    #[test]
    fn fits_table() {
        use WrappingAlgorithm as A;
        use WrappingKeySpec as W;
        let all = allowed();
        // 3 RSA algorithms x 3 symmetric specs, SM2PKE x 3, the RSA composite x 5, SM2PKE_SM4_ECB x 1.
        assert_eq!(all.len(), 9 + 3 + 5 + 1);
        assert!(algorithm_fits(W::Rsa2048, A::RsaesPkcs1V15, KeySpec::Sm4));
        assert!(algorithm_fits(W::EcSm2, A::Sm2Pke, KeySpec::Aes128));
        assert!(algorithm_fits(W::Rsa2048, A::RsaesOaepSha256Aes256EcbPkcs7Pad, KeySpec::EcP256K));
        assert!(algorithm_fits(W::EcSm2, A::Sm2PkeSm4Ecb, KeySpec::EcSm2));
        assert!(!algorithm_fits(W::EcSm2, A::RsaesOaepSha256, KeySpec::Aes256));
        assert!(!algorithm_fits(W::Rsa2048, A::Sm2Pke, KeySpec::Aes256));
        assert!(!algorithm_fits(W::Rsa2048, A::RsaesOaepSha1, KeySpec::Rsa2048));
        assert!(!algorithm_fits(W::Rsa2048, A::RsaesOaepSha256Aes256EcbPkcs7Pad, KeySpec::EcSm2));
        assert!(!algorithm_fits(W::Rsa2048, A::RsaesOaepSha256Aes256EcbPkcs7Pad, KeySpec::Aes256));
        assert!(!algorithm_fits(W::EcSm2, A::Sm2PkeSm4Ecb, KeySpec::Aes256));
        assert!(!algorithm_fits(W::EcSm2, A::Sm2Pke, KeySpec::EcSm2));
    }

    // ---- round trips ----

    #[test]
    fn round_trip_every_allowed_combination() {
        for (spec, alg, target) in allowed() {
            let w = wrapping(spec);
            let blob = wrap_material(&w.public_spki_der, alg, &client_material(target), target).unwrap();
            let expected_len = match alg {
                WrappingAlgorithm::Sm2Pke => 1 + 64 + 32 + target.symmetric_len().unwrap(),
                WrappingAlgorithm::Sm2PkeSm4Ecb => 145,
                WrappingAlgorithm::RsaesOaepSha256Aes256EcbPkcs7Pad => 256 + (material(target).len() / 16 + 1) * 16,
                _ => 256,
            };
            assert_eq!(blob.len(), expected_len, "{alg:?} {target:?}");
            let got = unwrap_material(spec, alg, &w.private, &blob, target).unwrap();
            assert_same_key(target, &got, material(target));
        }
    }

    #[test]
    fn sm2_material_may_be_a_bare_scalar() {
        let w = sm2_wrapping();
        let d = material(KeySpec::EcSm2);
        let blob =
            wrap_material(&w.public_spki_der, WrappingAlgorithm::Sm2PkeSm4Ecb, d.expose(), KeySpec::EcSm2).unwrap();
        let got =
            unwrap_material(WrappingKeySpec::EcSm2, WrappingAlgorithm::Sm2PkeSm4Ecb, &w.private, &blob, KeySpec::EcSm2)
                .unwrap();
        assert!(got.ct_eq(d.expose()));
    }

    #[test]
    fn unwrapped_asymmetric_material_is_in_storage_format() {
        let w = rsa_wrapping();
        let alg = WrappingAlgorithm::RsaesOaepSha256Aes256EcbPkcs7Pad;
        for target in [KeySpec::Rsa2048, KeySpec::EcP256, KeySpec::EcP256K] {
            let blob = wrap_material(&w.public_spki_der, alg, material(target).expose(), target).unwrap();
            let got = unwrap_material(WrappingKeySpec::Rsa2048, alg, &w.private, &blob, target).unwrap();
            // aws-lc-rs re-encodes to the same PKCS#8 v1 bytes keygen produced.
            assert!(got.ct_eq(material(target).expose()), "{target:?}");
        }
    }

    #[test]
    fn wrapping_public_key_rebuilds_the_spki() {
        for spec in WrappingKeySpec::ALL {
            let w = wrapping(spec);
            assert_eq!(wrapping_public_key(spec, &w.private).unwrap(), w.public_spki_der);
        }
        // Alibaba's documented RSA_2048 SPKI prefix (ALIBABA.md §5.2).
        assert!(
            aws_lc_rs_b64(&rsa_wrapping().public_spki_der).starts_with("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA")
        );
    }

    fn aws_lc_rs_b64(bytes: &[u8]) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut s = String::new();
        for c in bytes.chunks(3) {
            let n = (u32::from(c[0]) << 16)
                | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
                | u32::from(*c.get(2).unwrap_or(&0));
            for i in 0..=c.len() {
                s.push(char::from(A[(n >> (18 - 6 * i)) as usize & 63]));
            }
        }
        s
    }

    // ---- known-answer vectors made by openssl (testdata/byok/make.sh) ----

    #[test]
    fn known_answer_vectors() {
        let rsa = SecretBytes::new(testdata("rsa_wrapping_key.p8.der"));
        let sm2 = sm2_d_of_pkcs8(&testdata("sm2_wrapping_key.p8.der"));
        let aes = testdata("aes256.key");
        let t = tmp();

        let got = unwrap_material(
            WrappingKeySpec::Rsa2048,
            WrappingAlgorithm::RsaesOaepSha1,
            &rsa,
            &testdata("rsaes_oaep_sha_1_aes256.bin"),
            KeySpec::Aes256,
        )
        .unwrap();
        assert!(got.ct_eq(&aes));

        let got = unwrap_material(
            WrappingKeySpec::EcSm2,
            WrappingAlgorithm::Sm2Pke,
            &sm2,
            &testdata("sm2pke_der_aes256.bin"),
            KeySpec::Aes256,
        )
        .unwrap();
        assert!(got.ct_eq(&aes));

        let p256 = testdata("p256_target.p8.der");
        let got = unwrap_material(
            WrappingKeySpec::Rsa2048,
            WrappingAlgorithm::RsaesOaepSha256Aes256EcbPkcs7Pad,
            &rsa,
            &testdata("rsaes_oaep_sha_256_aes_256_ecb_pkcs7_pad_p256.bin"),
            KeySpec::EcP256,
        )
        .unwrap();
        assert_eq!(public_key_spki(KeySpec::EcP256, &got).unwrap(), openssl_spki(t.path(), &p256));

        let blob = testdata("sm2pke_sm4_ecb_sm2.bin");
        assert_eq!(blob.len(), 145);
        let got = unwrap_material(WrappingKeySpec::EcSm2, WrappingAlgorithm::Sm2PkeSm4Ecb, &sm2, &blob, KeySpec::EcSm2)
            .unwrap();
        let d_hex = String::from_utf8(testdata("sm2_target.d.hex")).unwrap();
        assert_eq!(hex::encode(got.expose()), d_hex.trim());
        assert_eq!(
            public_key_spki(KeySpec::EcSm2, &got).unwrap(),
            openssl_spki(t.path(), &testdata("sm2_target.p8.der"))
        );
    }

    // ---- interop with the openssl CLI ----

    #[test]
    fn openssl_rsa_symmetric_ciphertexts_unwrap() {
        let t = tmp();
        let w = rsa_wrapping();
        let pubf = write(t.path(), "pub.der", &w.public_spki_der);
        let cases: [(WrappingAlgorithm, &[&str]); 5] = [
            (
                WrappingAlgorithm::RsaesOaepSha256,
                &[
                    "pkeyutl",
                    "-pkeyopt",
                    "rsa_padding_mode:oaep",
                    "-pkeyopt",
                    "rsa_oaep_md:sha256",
                    "-pkeyopt",
                    "rsa_mgf1_md:sha256",
                ],
            ),
            (
                WrappingAlgorithm::RsaesOaepSha1,
                &["pkeyutl", "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha1"],
            ),
            (WrappingAlgorithm::RsaesOaepSha1, &["rsautl", "-oaep"]),
            (WrappingAlgorithm::RsaesPkcs1V15, &["pkeyutl", "-pkeyopt", "rsa_padding_mode:pkcs1"]),
            (WrappingAlgorithm::RsaesPkcs1V15, &["rsautl", "-pkcs"]),
        ];
        for (alg, tool) in cases {
            for target in TARGETS_SYMMETRIC {
                let key = material(target);
                let inf = write(t.path(), "key.bin", key.expose());
                let outf = t.path().join("ct.bin").to_str().unwrap().to_string();
                let mut args = tool.to_vec();
                args.extend_from_slice(&[
                    "-encrypt", "-pubin", "-keyform", "DER", "-inkey", &pubf, "-in", &inf, "-out", &outf,
                ]);
                openssl(&args);
                let got = unwrap_material(WrappingKeySpec::Rsa2048, alg, &w.private, &read(&outf), target)
                    .unwrap_or_else(|e| panic!("{tool:?} {target:?}: {e}"));
                assert!(got.ct_eq(key.expose()), "{tool:?} {target:?}");
            }
        }
    }

    #[test]
    fn our_rsa_symmetric_wraps_decrypt_with_openssl() {
        let t = tmp();
        let w = rsa_wrapping();
        let privf = write(t.path(), "priv.p8.der", w.private.expose());
        let cases: [(WrappingAlgorithm, &[&str]); 3] = [
            (
                WrappingAlgorithm::RsaesOaepSha256,
                &[
                    "-pkeyopt",
                    "rsa_padding_mode:oaep",
                    "-pkeyopt",
                    "rsa_oaep_md:sha256",
                    "-pkeyopt",
                    "rsa_mgf1_md:sha256",
                ],
            ),
            (WrappingAlgorithm::RsaesOaepSha1, &["-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha1"]),
            (WrappingAlgorithm::RsaesPkcs1V15, &["-pkeyopt", "rsa_padding_mode:pkcs1"]),
        ];
        for (alg, opts) in cases {
            let key = material(KeySpec::Aes256);
            let blob = wrap_material(&w.public_spki_der, alg, key.expose(), KeySpec::Aes256).unwrap();
            let inf = write(t.path(), "ct.bin", &blob);
            let mut args = vec!["pkeyutl", "-decrypt", "-keyform", "DER", "-inkey", &privf, "-in", &inf];
            args.extend_from_slice(opts);
            assert!(key.ct_eq(&openssl(&args)), "{alg:?}");
        }
    }

    #[test]
    fn openssl_sm2pke_unwraps_in_both_forms() {
        let t = tmp();
        let w = sm2_wrapping();
        let pubf = write(t.path(), "pub.der", &w.public_spki_der);
        for target in TARGETS_SYMMETRIC {
            let key = material(target);
            let inf = write(t.path(), "key.bin", key.expose());
            let der = openssl(&["pkeyutl", "-encrypt", "-pubin", "-keyform", "DER", "-inkey", &pubf, "-in", &inf]);
            assert_eq!(der[0], 0x30, "openssl speaks GM/T 0009 ASN.1");
            let raw = der_to_raw(&der);
            assert_eq!(raw.len(), 97 + key.len());
            for blob in [der, raw] {
                let got = unwrap_material(WrappingKeySpec::EcSm2, WrappingAlgorithm::Sm2Pke, &w.private, &blob, target)
                    .unwrap();
                assert!(got.ct_eq(key.expose()), "{target:?}");
            }
        }
    }

    #[test]
    fn our_sm2pke_wrap_decrypts_with_openssl() {
        // We produce raw C1C3C2; openssl reads only the ASN.1 form, so the test converts (by hand).
        let t = tmp();
        let w = sm2_wrapping();
        let privf = write(t.path(), "priv.p8.der", &sm2_pkcs8(&w.private));
        let key = material(KeySpec::Sm4);
        let raw = wrap_material(&w.public_spki_der, WrappingAlgorithm::Sm2Pke, key.expose(), KeySpec::Sm4).unwrap();
        assert_eq!(raw[0], 0x04);
        let inf = write(t.path(), "ct.der", &raw_to_der(&raw));
        let plain = openssl(&["pkeyutl", "-decrypt", "-keyform", "DER", "-inkey", &privf, "-in", &inf]);
        assert!(key.ct_eq(&plain));
    }

    #[test]
    fn openssl_rsa_composite_unwraps() {
        let t = tmp();
        let w = rsa_wrapping();
        let pubf = write(t.path(), "pub.der", &w.public_spki_der);
        let alg = WrappingAlgorithm::RsaesOaepSha256Aes256EcbPkcs7Pad;
        let keys: [(KeySpec, &[&str]); 4] = [
            (KeySpec::Rsa2048, &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]),
            (KeySpec::Rsa3072, &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"]),
            (KeySpec::EcP256, &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]),
            (KeySpec::EcP256K, &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:secp256k1"]),
        ];
        for (target, genargs) in keys {
            let pkcs8 = openssl_genpkey(t.path(), "target", genargs);
            let p8f = write(t.path(), "target.p8.der", &pkcs8);
            let aes = random::bytes(32).unwrap();
            let aesf = write(t.path(), "aes.key", &aes);
            let mut blob = openssl(&[
                "pkeyutl",
                "-encrypt",
                "-pubin",
                "-keyform",
                "DER",
                "-inkey",
                &pubf,
                "-in",
                &aesf,
                "-pkeyopt",
                "rsa_padding_mode:oaep",
                "-pkeyopt",
                "rsa_oaep_md:sha256",
                "-pkeyopt",
                "rsa_mgf1_md:sha256",
            ]);
            assert_eq!(blob.len(), 256);
            blob.extend(openssl(&["enc", "-aes-256-ecb", "-K", &hex::encode(&aes), "-in", &p8f]));
            let got = unwrap_material(WrappingKeySpec::Rsa2048, alg, &w.private, &blob, target)
                .unwrap_or_else(|e| panic!("{target:?}: {e}"));
            assert_eq!(public_key_spki(target, &got).unwrap(), openssl_spki(t.path(), &pkcs8), "{target:?}");
        }
    }

    #[test]
    fn our_rsa_composite_decrypts_with_openssl() {
        let t = tmp();
        let w = rsa_wrapping();
        let privf = write(t.path(), "priv.p8.der", w.private.expose());
        for target in [KeySpec::EcP256, KeySpec::Rsa2048] {
            let pkcs8 = material(target);
            let blob = wrap_material(
                &w.public_spki_der,
                WrappingAlgorithm::RsaesOaepSha256Aes256EcbPkcs7Pad,
                pkcs8.expose(),
                target,
            )
            .unwrap();
            let head = write(t.path(), "head.bin", &blob[..256]);
            let aes = openssl(&[
                "pkeyutl",
                "-decrypt",
                "-keyform",
                "DER",
                "-inkey",
                &privf,
                "-in",
                &head,
                "-pkeyopt",
                "rsa_padding_mode:oaep",
                "-pkeyopt",
                "rsa_oaep_md:sha256",
                "-pkeyopt",
                "rsa_mgf1_md:sha256",
            ]);
            assert_eq!(aes.len(), 32);
            let body = write(t.path(), "body.bin", &blob[256..]);
            let plain = openssl(&["enc", "-d", "-aes-256-ecb", "-K", &hex::encode(&aes), "-in", &body]);
            assert!(pkcs8.ct_eq(&plain), "{target:?}");
        }
    }

    #[test]
    fn openssl_sm2pke_sm4_ecb_unwraps() {
        let t = tmp();
        let w = sm2_wrapping();
        let pubf = write(t.path(), "pub.der", &w.public_spki_der);
        let pkcs8 = openssl_genpkey(t.path(), "sm2", &["-algorithm", "SM2"]);
        let d = sm2_d_of_pkcs8(&pkcs8);
        let sm4 = random::bytes(16).unwrap();
        let sm4f = write(t.path(), "sm4.key", &sm4);
        let df = write(t.path(), "d.bin", d.expose());
        let der = openssl(&["pkeyutl", "-encrypt", "-pubin", "-keyform", "DER", "-inkey", &pubf, "-in", &sm4f]);
        let ecb = openssl(&["enc", "-sm4-ecb", "-nopad", "-K", &hex::encode(&sm4), "-in", &df]);
        assert_eq!(ecb.len(), 32);
        let raw_blob = [der_to_raw(&der), ecb.clone()].concat();
        assert_eq!(raw_blob.len(), 145, "the documented layout");
        let der_blob = [der, ecb].concat();
        for blob in [raw_blob, der_blob] {
            let got = unwrap_material(
                WrappingKeySpec::EcSm2,
                WrappingAlgorithm::Sm2PkeSm4Ecb,
                &w.private,
                &blob,
                KeySpec::EcSm2,
            )
            .unwrap();
            assert!(got.ct_eq(d.expose()));
            assert_eq!(public_key_spki(KeySpec::EcSm2, &got).unwrap(), openssl_spki(t.path(), &pkcs8));
        }
    }

    #[test]
    fn our_sm2pke_sm4_ecb_decrypts_with_openssl() {
        let t = tmp();
        let w = sm2_wrapping();
        let privf = write(t.path(), "priv.p8.der", &sm2_pkcs8(&w.private));
        // Client input as openssl writes it.
        let pkcs8 = openssl_genpkey(t.path(), "sm2", &["-algorithm", "SM2"]);
        let blob = wrap_material(&w.public_spki_der, WrappingAlgorithm::Sm2PkeSm4Ecb, &pkcs8, KeySpec::EcSm2).unwrap();
        assert_eq!(blob.len(), 145);
        let head = write(t.path(), "head.der", &raw_to_der(&blob[..113]));
        let sm4 = openssl(&["pkeyutl", "-decrypt", "-keyform", "DER", "-inkey", &privf, "-in", &head]);
        assert_eq!(sm4.len(), 16);
        let body = write(t.path(), "body.bin", &blob[113..]);
        let d = openssl(&["enc", "-d", "-sm4-ecb", "-nopad", "-K", &hex::encode(&sm4), "-in", &body]);
        assert!(sm2_d_of_pkcs8(&pkcs8).ct_eq(&d));
    }

    #[test]
    fn public_key_spki_matches_openssl() {
        let t = tmp();
        for target in [KeySpec::Rsa2048, KeySpec::Rsa3072, KeySpec::Rsa4096, KeySpec::EcP256, KeySpec::EcP256K] {
            let m = material(target);
            assert_eq!(public_key_spki(target, m).unwrap(), openssl_spki(t.path(), m.expose()), "{target:?}");
        }
        // SM2: our scalar exported as PKCS#8, and a key openssl generated.
        let d = material(KeySpec::EcSm2);
        assert_eq!(public_key_spki(KeySpec::EcSm2, d).unwrap(), openssl_spki(t.path(), &sm2_pkcs8(d)));
        let pkcs8 = openssl_genpkey(t.path(), "sm2", &["-algorithm", "SM2"]);
        assert_eq!(public_key_spki(KeySpec::EcSm2, &sm2_d_of_pkcs8(&pkcs8)).unwrap(), openssl_spki(t.path(), &pkcs8));
        // Wrapping keys too.
        assert_eq!(rsa_wrapping().public_spki_der, openssl_spki(t.path(), rsa_wrapping().private.expose()));
        assert_eq!(sm2_wrapping().public_spki_der, openssl_spki(t.path(), &sm2_pkcs8(&sm2_wrapping().private)));
    }

    #[test]
    fn public_key_spki_refuses_mismatched_material() {
        assert!(public_key_spki(KeySpec::Aes256, material(KeySpec::Aes256)).is_err());
        assert!(public_key_spki(KeySpec::Rsa2048, material(KeySpec::Rsa3072)).is_err());
        assert!(public_key_spki(KeySpec::EcP256K, material(KeySpec::EcP256)).is_err());
        assert!(public_key_spki(KeySpec::EcSm2, &SecretBytes::new(vec![0; 32])).is_err());
    }

    // ---- negative cases ----

    #[test]
    fn wrong_wrapping_key_is_undecryptable() {
        let other_rsa = generate_wrapping_key(WrappingKeySpec::Rsa2048).unwrap();
        let other_sm2 = generate_wrapping_key(WrappingKeySpec::EcSm2).unwrap();
        for (spec, alg, target) in allowed() {
            let blob = wrap_material(&wrapping(spec).public_spki_der, alg, &client_material(target), target).unwrap();
            let other = match spec {
                WrappingKeySpec::Rsa2048 => &other_rsa,
                WrappingKeySpec::EcSm2 => &other_sm2,
            };
            let r = unwrap_material(spec, alg, &other.private, &blob, target);
            assert!(matches!(r, Err(ByokError::Undecryptable)), "{alg:?} {target:?}");
        }
    }

    /// A well-formed blob and the key that unwraps it, for the corruption tests.
    struct Case {
        spec: WrappingKeySpec,
        alg: WrappingAlgorithm,
        target: KeySpec,
        /// Label for assertion messages (the SM2 forms).
        form: &'static str,
        key: SecretBytes,
        blob: Vec<u8>,
    }

    impl Case {
        fn unwrap(&self, blob: &[u8]) -> Result<SecretBytes, ByokError> {
            unwrap_material(self.spec, self.alg, &self.key, blob, self.target)
        }
    }

    /// One blob per algorithm as we wrap it, plus the GM/T 0009 DER forms of both SM2 algorithms.
    fn corpus() -> Vec<Case> {
        let mut cases: Vec<Case> = WrappingAlgorithm::ALL
            .into_iter()
            .map(|alg| {
                let target = match alg {
                    WrappingAlgorithm::RsaesOaepSha256Aes256EcbPkcs7Pad => KeySpec::EcP256,
                    WrappingAlgorithm::Sm2PkeSm4Ecb => KeySpec::EcSm2,
                    _ => KeySpec::Aes256,
                };
                let spec = alg.wrapping_key_spec();
                let w = wrapping(spec);
                let blob = wrap_material(&w.public_spki_der, alg, &client_material(target), target).unwrap();
                Case { spec, alg, target, form: "raw", key: w.private.duplicate(), blob }
            })
            .collect();
        let sm2 = sm2_wrapping();
        let raw = wrap_material(
            &sm2.public_spki_der,
            WrappingAlgorithm::Sm2Pke,
            material(KeySpec::Aes256).expose(),
            KeySpec::Aes256,
        )
        .unwrap();
        cases.push(Case {
            spec: WrappingKeySpec::EcSm2,
            alg: WrappingAlgorithm::Sm2Pke,
            target: KeySpec::Aes256,
            form: "der",
            key: sm2.private.duplicate(),
            blob: raw_to_der(&raw),
        });
        let raw = wrap_material(
            &sm2.public_spki_der,
            WrappingAlgorithm::Sm2PkeSm4Ecb,
            &client_material(KeySpec::EcSm2),
            KeySpec::EcSm2,
        )
        .unwrap();
        cases.push(Case {
            spec: WrappingKeySpec::EcSm2,
            alg: WrappingAlgorithm::Sm2PkeSm4Ecb,
            target: KeySpec::EcSm2,
            form: "der",
            key: sm2.private.duplicate(),
            blob: [raw_to_der(&raw[..113]), raw[113..].to_vec()].concat(),
        });
        cases
    }

    #[test]
    fn truncated_and_extended_ciphertexts_are_rejected() {
        for c in corpus() {
            let (alg, form, blob) = (c.alg, c.form, &c.blob);
            assert!(c.unwrap(blob).is_ok(), "{alg:?} {form}");
            for len in 0..blob.len() {
                assert!(is_rejection(&c.unwrap(&blob[..len])), "{alg:?} {form} truncated to {len}");
                assert!(is_rejection(&c.unwrap(&blob[blob.len() - len..])), "{alg:?} {form} front-truncated to {len}");
            }
            for extra in 1..=40 {
                let mut longer = blob.clone();
                longer.extend(std::iter::repeat_n(0xa5, extra));
                assert!(is_rejection(&c.unwrap(&longer)), "{alg:?} {form} +{extra}");
                let mut longer = vec![0x04; extra];
                longer.extend_from_slice(blob);
                assert!(is_rejection(&c.unwrap(&longer)), "{alg:?} {form} {extra}+");
            }
        }
    }

    #[test]
    fn every_leading_byte_is_handled() {
        // The first bytes select the SM2 form (SEC1 tag or DER header) and carry DER lengths.
        for c in corpus() {
            for pos in 0..3 {
                for b in 0..=255u8 {
                    let mut m = c.blob.clone();
                    if m[pos] == b {
                        continue;
                    }
                    m[pos] = b;
                    assert!(is_rejection(&c.unwrap(&m)), "{:?} {} byte {pos} = {b:#04x}", c.alg, c.form);
                }
            }
        }
    }

    #[test]
    fn random_mutations_never_panic() {
        let mut rng = Rng(0x6b65_7977_6172_6421);
        for c in corpus() {
            let (alg, form, blob) = (c.alg, c.form, &c.blob);
            let original = c.unwrap(blob).unwrap();
            for i in 0..500 {
                let mut m = blob.clone();
                let pos = rng.below(m.len());
                match i % 5 {
                    0 => m[pos] ^= 1 << rng.below(8),
                    1 => m[pos] = m[pos].wrapping_add(1 + rng.below(255) as u8),
                    2 => {
                        m.remove(pos);
                    }
                    3 => m.insert(pos, rng.next() as u8),
                    _ => {
                        let end = (pos + 1 + rng.below(16)).min(m.len());
                        m[pos..end].iter_mut().for_each(|b| *b = !*b);
                    }
                }
                match c.unwrap(&m) {
                    // SM4-ECB of d carries no integrity: a changed ECB part gives another scalar.
                    Ok(got) if alg == WrappingAlgorithm::Sm2PkeSm4Ecb => {
                        assert!(pos >= blob.len() - 32 && !got.ct_eq(original.expose()), "{alg:?} {form} mutation {i}");
                    }
                    r => assert!(is_rejection(&r), "{alg:?} {form} mutation {i} at {pos}"),
                }
            }
            // Garbage of plausible lengths, with and without a plausible first byte.
            for len in [0, 1, 2, 16, 97, 113, 122, 145, 255, 256, 257, 400] {
                for first in [None, Some(0x04), Some(0x30)] {
                    let mut g: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
                    if let (Some(f), Some(b)) = (first, g.first_mut()) {
                        *b = f;
                    }
                    assert!(is_rejection(&c.unwrap(&g)), "{alg:?} {form} garbage {len} {first:?}");
                }
            }
        }
    }

    #[test]
    fn sm2_ciphertexts_with_a_compressed_c1_are_accepted() {
        // SEC1 allows a compressed C1 (0x02/0x03 || x); the sm2 crate decodes it.
        let w = sm2_wrapping();
        let key = material(KeySpec::Aes128);
        let raw = wrap_material(&w.public_spki_der, WrappingAlgorithm::Sm2Pke, key.expose(), KeySpec::Aes128).unwrap();
        let compressed = [&[0x02 | (raw[64] & 1)], &raw[1..33], &raw[65..]].concat();
        let got = unwrap_material(
            WrappingKeySpec::EcSm2,
            WrappingAlgorithm::Sm2Pke,
            &w.private,
            &compressed,
            KeySpec::Aes128,
        )
        .unwrap();
        assert!(got.ct_eq(key.expose()));
    }

    #[test]
    fn wrong_symmetric_lengths_are_invalid_material() {
        let rsa = rsa_wrapping();
        let sm2 = sm2_wrapping();
        // Client side.
        let r = wrap_material(&rsa.public_spki_der, WrappingAlgorithm::RsaesOaepSha256, &[7; 31], KeySpec::Aes256);
        assert!(matches!(r, Err(ByokError::InvalidMaterial(_))));
        let r = wrap_material(&sm2.public_spki_der, WrappingAlgorithm::Sm2Pke, &[7; 32], KeySpec::Sm4);
        assert!(matches!(r, Err(ByokError::InvalidMaterial(_))));
        // Server side: ciphertexts of the wrong length made with the raw primitives.
        for (alg, blob) in [
            (
                WrappingAlgorithm::RsaesOaepSha256,
                rsa_oaep_encrypt(&rsa.public_spki_der, &OAEP_SHA256_MGF1SHA256, &[7; 31]).unwrap(),
            ),
            (
                WrappingAlgorithm::RsaesOaepSha1,
                rsa_oaep_encrypt(&rsa.public_spki_der, &OAEP_SHA1_MGF1SHA1, &[7; 16]).unwrap(),
            ),
        ] {
            let r = unwrap_material(WrappingKeySpec::Rsa2048, alg, &rsa.private, &blob, KeySpec::Aes256);
            assert!(matches!(&r, Err(ByokError::InvalidMaterial(m)) if m.contains("32 bytes")), "{alg:?}");
        }
        let blob = sm2_encrypt(&sm2.public_spki_der, &[7; 32]).unwrap();
        let r = unwrap_material(WrappingKeySpec::EcSm2, WrappingAlgorithm::Sm2Pke, &sm2.private, &blob, KeySpec::Sm4);
        assert!(matches!(r, Err(ByokError::InvalidMaterial(_))));
    }

    /// A composite blob around arbitrary bytes, bypassing the client-side validation.
    fn composite_of(pkcs8: &[u8]) -> Vec<u8> {
        let aes = random::bytes(32).unwrap();
        let mut blob = rsa_oaep_encrypt(&rsa_wrapping().public_spki_der, &OAEP_SHA256_MGF1SHA256, &aes).unwrap();
        blob.extend(aes_ecb_pkcs7_encrypt(&aes, pkcs8).unwrap());
        blob
    }

    fn unwrap_composite(blob: &[u8], target: KeySpec) -> Result<SecretBytes, ByokError> {
        unwrap_material(
            WrappingKeySpec::Rsa2048,
            WrappingAlgorithm::RsaesOaepSha256Aes256EcbPkcs7Pad,
            &rsa_wrapping().private,
            blob,
            target,
        )
    }

    fn assert_invalid(r: Result<SecretBytes, ByokError>, needle: &str) {
        match r {
            Err(ByokError::InvalidMaterial(m)) => assert!(m.contains(needle), "message {m:?} lacks {needle:?}"),
            Err(e) => panic!("expected InvalidMaterial, got {e}"),
            Ok(_) => panic!("expected InvalidMaterial, got material"),
        }
    }

    #[test]
    fn asymmetric_material_must_fit_the_target() {
        let alg = WrappingAlgorithm::RsaesOaepSha256Aes256EcbPkcs7Pad;
        let spki = &rsa_wrapping().public_spki_der;
        let cases = [
            (KeySpec::Rsa3072, KeySpec::Rsa2048, "3072-bit"),
            (KeySpec::Rsa2048, KeySpec::Rsa4096, "2048-bit"),
            (KeySpec::EcP256, KeySpec::EcP256K, "secp256k1"),
            (KeySpec::EcP256K, KeySpec::EcP256, "P-256"),
            (KeySpec::EcP256, KeySpec::Rsa2048, "PKCS#8"),
            (KeySpec::Rsa2048, KeySpec::EcP256, "P-256"),
        ];
        for (have, target, needle) in cases {
            let m = material(have).expose();
            assert_invalid(unwrap_composite(&composite_of(m), target), needle);
            assert!(matches!(wrap_material(spki, alg, m, target), Err(ByokError::InvalidMaterial(_))));
        }
        assert_invalid(unwrap_composite(&composite_of(b"not a key"), KeySpec::EcP256), "PKCS#8");
        // An SM2 PKCS#8 is not an EC_P256 key.
        assert_invalid(unwrap_composite(&composite_of(&sm2_pkcs8(material(KeySpec::EcSm2))), KeySpec::EcP256), "P-256");
    }

    #[test]
    fn traditional_encodings_are_refused_with_a_hint() {
        let t = tmp();
        let rsa = material(KeySpec::Rsa2048);
        let p8f = write(t.path(), "rsa.p8.der", rsa.expose());
        let trad = openssl(&["pkey", "-inform", "DER", "-in", &p8f, "-outform", "DER", "-traditional"]);
        assert_eq!(&trad[4..7], &[2, 1, 0], "PKCS#1 RSAPrivateKey starts with version 0 then the modulus");
        assert_invalid(unwrap_composite(&composite_of(&trad), KeySpec::Rsa2048), "PKCS#1");
        assert_invalid(
            unwrap_composite(&composite_of(&trad), KeySpec::Rsa2048),
            "openssl pkcs8 -topk8 -nocrypt -outform DER",
        );

        // OpenSSL 3.0 `genpkey -outform DER` writes SEC1 ECPrivateKey for EC (CRYPTO.md pitfall 1).
        let pem = t.path().join("ec.pem");
        let pem = pem.to_str().unwrap();
        openssl(&["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", pem]);
        let sec1 = openssl(&["pkey", "-in", pem, "-outform", "DER", "-traditional"]);
        assert_invalid(unwrap_composite(&composite_of(&sec1), KeySpec::EcP256), "openssl pkcs8 -topk8");
        let r = wrap_material(
            &rsa_wrapping().public_spki_der,
            WrappingAlgorithm::RsaesOaepSha256Aes256EcbPkcs7Pad,
            &sec1,
            KeySpec::EcP256,
        );
        assert!(matches!(r, Err(ByokError::InvalidMaterial(_))));
    }

    #[test]
    fn invalid_sm2_scalars_are_invalid_material() {
        let w = sm2_wrapping();
        let n = hex::decode("fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123").unwrap();
        let mut n_plus_1 = n.clone();
        n_plus_1[31] += 1;
        for d in [vec![0u8; 32], n, n_plus_1, vec![0xff; 32]] {
            let blob = seal_sm2_sm4_ecb(&w.public_spki_der, &SecretBytes::new(d)).unwrap();
            assert_eq!(blob.len(), 145);
            let r = unwrap_material(
                WrappingKeySpec::EcSm2,
                WrappingAlgorithm::Sm2PkeSm4Ecb,
                &w.private,
                &blob,
                KeySpec::EcSm2,
            );
            assert_invalid(r, "SM2 private scalar");
        }
        let r = wrap_material(&w.public_spki_der, WrappingAlgorithm::Sm2PkeSm4Ecb, &[0; 32], KeySpec::EcSm2);
        assert!(matches!(r, Err(ByokError::InvalidMaterial(_))));
        let r = wrap_material(
            &w.public_spki_der,
            WrappingAlgorithm::Sm2PkeSm4Ecb,
            material(KeySpec::EcP256).expose(),
            KeySpec::EcSm2,
        );
        assert!(matches!(r, Err(ByokError::InvalidMaterial(_))));
    }

    #[test]
    fn ephemeral_keys_of_the_wrong_size_are_undecryptable() {
        // A 16-byte AES key under OAEP, followed by a well-formed AES-128 ECB body.
        let rsa = rsa_wrapping();
        let mut blob = rsa_oaep_encrypt(&rsa.public_spki_der, &OAEP_SHA256_MGF1SHA256, &[1; 16]).unwrap();
        blob.extend_from_slice(&[0; 32]);
        assert!(matches!(unwrap_composite(&blob, KeySpec::EcP256), Err(ByokError::Undecryptable)));
        // A 32-byte "SM4" key (as one published sample generates) in SM2PKE_SM4_ECB.
        let sm2 = sm2_wrapping();
        let mut blob = sm2_encrypt(&sm2.public_spki_der, &[1; 32]).unwrap();
        blob.extend_from_slice(&[0; 32]);
        let r = unwrap_material(
            WrappingKeySpec::EcSm2,
            WrappingAlgorithm::Sm2PkeSm4Ecb,
            &sm2.private,
            &blob,
            KeySpec::EcSm2,
        );
        assert!(matches!(r, Err(ByokError::Undecryptable)));
    }

    #[test]
    fn unsupported_combinations() {
        use WrappingAlgorithm as A;
        use WrappingKeySpec as W;
        let rsa = rsa_wrapping();
        let sm2 = sm2_wrapping();
        let cases = [
            (W::EcSm2, A::Sm2PkeSm4Ecb, KeySpec::Aes256),
            (W::Rsa2048, A::RsaesOaepSha1, KeySpec::Rsa2048),
            (W::Rsa2048, A::RsaesPkcs1V15, KeySpec::EcP256),
            (W::Rsa2048, A::RsaesOaepSha256Aes256EcbPkcs7Pad, KeySpec::Aes256),
            (W::Rsa2048, A::RsaesOaepSha256Aes256EcbPkcs7Pad, KeySpec::EcSm2),
            (W::EcSm2, A::Sm2Pke, KeySpec::EcSm2),
            (W::Rsa2048, A::Sm2Pke, KeySpec::Aes256),
            (W::EcSm2, A::RsaesOaepSha256, KeySpec::Aes256),
        ];
        for (spec, alg, target) in cases {
            let key = if spec == W::Rsa2048 { &rsa.private } else { &sm2.private };
            let r = unwrap_material(spec, alg, key, &[0; 256], target);
            assert!(matches!(r, Err(ByokError::Unsupported(_))), "{spec:?} {alg:?} {target:?}");
            if alg.wrapping_key_spec() == spec {
                let pk = if spec == W::Rsa2048 { &rsa.public_spki_der } else { &sm2.public_spki_der };
                let r = wrap_material(pk, alg, &client_material(target), target);
                assert!(matches!(r, Err(ByokError::Unsupported(_))), "wrap {alg:?} {target:?}");
            }
        }
    }

    #[test]
    fn unusable_wrapping_keys_are_crypto_errors() {
        let rsa = rsa_wrapping();
        let sm2 = sm2_wrapping();
        // The SM2 public key where an RSA one is needed, and the reverse.
        let r = wrap_material(&sm2.public_spki_der, WrappingAlgorithm::RsaesOaepSha256, &[1; 32], KeySpec::Aes256);
        assert!(matches!(r, Err(ByokError::Crypto(CryptoError::InvalidKey(_)))));
        let r = wrap_material(&rsa.public_spki_der, WrappingAlgorithm::Sm2Pke, &[1; 32], KeySpec::Aes256);
        assert!(matches!(r, Err(ByokError::Crypto(CryptoError::InvalidKey(_)))));
        let r = unwrap_material(
            WrappingKeySpec::Rsa2048,
            WrappingAlgorithm::RsaesOaepSha256,
            &sm2.private,
            &[0; 256],
            KeySpec::Aes256,
        );
        assert!(matches!(r, Err(ByokError::Crypto(CryptoError::InvalidKey(_)))));
        let r = unwrap_material(
            WrappingKeySpec::EcSm2,
            WrappingAlgorithm::Sm2Pke,
            &SecretBytes::new(vec![0; 32]),
            &[4; 113],
            KeySpec::Sm4,
        );
        assert!(matches!(r, Err(ByokError::Crypto(CryptoError::InvalidKey(_)))));
        assert!(wrapping_public_key(WrappingKeySpec::EcSm2, &rsa.private).is_err());
        assert!(wrapping_public_key(WrappingKeySpec::Rsa2048, &sm2.private).is_err());
    }

    /// The Huawei documentation's recipe, literally (HUAWEI.md §3.5): openssl OAEP-encrypts a
    /// temporary AES key and KWP-wraps the PKCS#8 DER private key under it; we decrypt, unwrap and
    /// parse, and get the same public key as openssl.
    #[test]
    fn huawei_private_key_recipe_with_openssl() {
        let t = tmp();
        let d = t.path();
        let pubf = write(d, "PublicKey.bin", &rsa_wrapping().public_spki_der);
        let cases: [(&str, KeySpec, &[&str], usize); 5] = [
            ("rsa2048", KeySpec::Rsa2048, &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"], 32),
            ("rsa3072", KeySpec::Rsa3072, &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"], 16),
            ("p256", KeySpec::EcP256, &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], 32),
            ("p384", KeySpec::EcP384, &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"], 32),
            ("k256", KeySpec::EcP256K, &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:secp256k1"], 16),
        ];
        for (name, spec, args, temp_len) in cases {
            let pkcs8 = openssl_genpkey(d, name, args);
            let derf = write(d, "rsa_private_key.der", &pkcs8);
            let temp = openssl(&["rand", &temp_len.to_string()]);
            let tempf = write(d, "PlaintextKeyMaterial.bin", &temp);
            let enc_temp = openssl(&[
                "pkeyutl",
                "-encrypt",
                "-pubin",
                "-keyform",
                "der",
                "-inkey",
                &pubf,
                "-pkeyopt",
                "rsa_padding_mode:oaep",
                "-pkeyopt",
                "rsa_oaep_md:sha256",
                "-in",
                &tempf,
            ]);
            assert_eq!(enc_temp.len(), 256);
            let outf = d.join("out_rsa_private_key.der");
            let outf = outf.to_str().unwrap();
            let cipher = format!("-id-aes{}-wrap-pad", temp_len * 8);
            let khex = hex::encode(&temp);
            openssl(&["enc", &cipher, "-K", &khex, "-iv", "A65959A6", "-in", &derf, "-out", outf]);
            let wrapped = read(outf);

            let got =
                decrypt_temporary_key(WrappingAlgorithm::RsaesOaepSha256, &rsa_wrapping().private, &enc_temp).unwrap();
            assert!(got.ct_eq(&temp), "{name}");
            let der = crate::kwp::kwp_unwrap(got.expose(), &wrapped).unwrap();
            assert!(der.ct_eq(&pkcs8), "{name}");
            let stored = private_key_from_pkcs8(spec, der.expose()).unwrap();
            assert_eq!(public_key_spki(spec, &stored).unwrap(), openssl_spki(d, &pkcs8), "{name}");
            // The wrong spec is refused (size or curve), and so are our own client-side helpers'
            // outputs under the wrong algorithm.
            let wrong = if spec == KeySpec::EcP384 { KeySpec::EcP256 } else { KeySpec::EcP384 };
            assert!(matches!(private_key_from_pkcs8(wrong, der.expose()), Err(ByokError::InvalidMaterial(_))));
        }
        // Client side helper and failure modes.
        let enc = encrypt_temporary_key(&rsa_wrapping().public_spki_der, &[9; 32]).unwrap();
        let k = decrypt_temporary_key(WrappingAlgorithm::RsaesOaepSha256, &rsa_wrapping().private, &enc).unwrap();
        assert_eq!(k.expose(), &[9; 32]);
        for alg in [WrappingAlgorithm::RsaesOaepSha1, WrappingAlgorithm::RsaesPkcs1V15, WrappingAlgorithm::Sm2Pke] {
            assert!(matches!(
                decrypt_temporary_key(alg, &rsa_wrapping().private, &enc),
                Err(ByokError::Unsupported(_))
            ));
        }
        let mut bad = enc.clone();
        bad[10] ^= 1;
        for c in [&bad[..], &enc[..255], b""] {
            assert!(matches!(
                decrypt_temporary_key(WrappingAlgorithm::RsaesOaepSha256, &rsa_wrapping().private, c),
                Err(ByokError::Undecryptable)
            ));
        }
        // A PKCS#1 RSAPrivateKey and garbage are not PKCS#8.
        assert!(matches!(private_key_from_pkcs8(KeySpec::Rsa2048, b"garbage"), Err(ByokError::InvalidMaterial(_))));
        assert!(matches!(private_key_from_pkcs8(KeySpec::Hmac256, &[0; 32]), Err(ByokError::Unsupported(_))));
    }

    #[test]
    fn errors_never_echo_material() {
        let m = material(KeySpec::Aes256);
        let r = wrap_material(
            &rsa_wrapping().public_spki_der,
            WrappingAlgorithm::RsaesOaepSha256,
            &m.expose()[..31],
            KeySpec::Aes256,
        );
        let text = r.err().unwrap().to_string();
        assert!(!text.contains(&hex::encode(&m.expose()[..4])));
        assert!(!text.contains(&format!("{:?}", &m.expose()[..4])));
    }
}
