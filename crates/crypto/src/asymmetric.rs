//! Asymmetric keys: AsymmetricEncrypt / AsymmetricDecrypt / AsymmetricSign / AsymmetricVerify and
//! GetPublicKey (ALIBABA.md §4.3, §5.4), plus public-key encryption for ExportDataKey (§5.3).
//!
//! An [`AsymmetricKey`] is built once from stored material ([`crate::keygen`] format: PKCS#8 DER
//! for RSA and ECDSA, the 32-byte scalar d for SM2) and cached by the server; every parsed key
//! object lives inside it, so no operation parses key material.
//!
//! | KeySpec | Usage | Algorithms | Implementation |
//! |---|---|---|---|
//! | `RSA_2048/3072/4096` | ENCRYPT/DECRYPT | `RSAES_OAEP_SHA_256`, `RSAES_OAEP_SHA_1` (MGF1 with the same hash, empty label) | aws-lc-rs `OaepPrivateDecryptingKey` |
//! | `RSA_2048/3072/4096` | SIGN/VERIFY | `RSA_PSS_SHA_256` (MGF1-SHA-256, salt 32), `RSA_PKCS1_SHA_256`; `RSA_PSS_SHA_384/512` (salt 48/64), `RSA_PKCS1_SHA_384/512` | aws-lc-rs `RsaKeyPair::sign_digest` |
//! | `EC_P256` | SIGN/VERIFY | `ECDSA_SHA_256`, DER signature | aws-lc-rs `EcdsaKeyPair::sign_digest` |
//! | `EC_P384` | SIGN/VERIFY | `ECDSA_SHA_384`, DER signature | aws-lc-rs `EcdsaKeyPair::sign_digest` |
//! | `EC_P256K` | SIGN/VERIFY | `ECDSA_SHA_256`, DER signature (low-S) | RustCrypto `k256` (about 7× faster than aws-lc-rs's generic secp256k1 code) |
//! | `EC_SM2` | ENCRYPT/DECRYPT | `SM2PKE` (SM3) | RustCrypto `sm2::pke` |
//! | `EC_SM2` | SIGN/VERIFY | `SM2DSA`, DER signature, distinguishing id `1234567812345678` | RustCrypto `sm2::dsa` |
//!
//! Signing takes a digest, as Alibaba's API does: the algorithm's hash (SHA-256, SHA-384 or
//! SHA-512, [`AsymmetricAlgorithm::digest_len`]) of the message for RSA and ECDSA, and
//! `e = SM3(Z_A ‖ M)` for SM2DSA ([`sm2_z_digest`] computes it). Verification never errors: a bad
//! or malformed signature, a digest of the wrong length or an algorithm the key lacks is `false`.
//! The key holds both usages of RSA and SM2 material; the Usage column is the caller's policy,
//! checked with [`AsymmetricAlgorithm::fits`].
//! RSA-PSS uses MGF1 with the signing hash and a salt as long as the hash; verification accepts
//! only that salt length (an aws-lc-rs limit, CRYPTO.md §7 pitfall 2).
//!
//! Names: [`AsymmetricAlgorithm::as_str`] gives Alibaba-style names for every algorithm; the
//! SHA-384/512 ones are not Alibaba algorithms (ALIBABA.md documents only the SHA-256 ones), so
//! [`AsymmetricAlgorithm::parse`] (Alibaba) refuses them and [`AsymmetricAlgorithm::from_name`]
//! accepts every name. The Huawei layer maps its own names (`RSASSA_PSS_SHA_384`, …).
//! secp256k1 verification accepts high-S signatures too (OpenSSL makes them), by normalizing first.
//!
//! SM2PKE ciphertexts: [`AsymmetricKey::encrypt`] and [`encrypt_with_public_key`] produce the
//! GM/T 0009 ASN.1 DER form `SEQUENCE { x INTEGER, y INTEGER, C3 OCTET STRING, C2 OCTET STRING }`,
//! which `openssl pkeyutl -decrypt` (OpenSSL 3.0) reads. [`AsymmetricKey::decrypt`] accepts that
//! form and the raw `C1 ‖ C3 ‖ C2` form (C1 a SEC1 point, uncompressed `04 ‖ x ‖ y` or compressed),
//! which BouncyCastle and Alibaba's samples use; a leading `0x30` byte selects DER. (Alibaba's
//! documented limits, 6047-byte plaintext and ciphertext ≤ 6144 bytes = 97 + 6047, fit the raw form
//! exactly; whether Alibaba itself returns raw or DER is unconfirmed. DER is about 10 to 15 bytes longer.)
//!
//! Plaintext limits (ALIBABA.md §4.3): RSA-OAEP `k − 2·hLen − 2` bytes (190 / 214 for RSA-2048
//! with SHA-256 / SHA-1), SM2PKE 1 to [`SM2PKE_MAX_PLAINTEXT`] bytes.
//!
//! Private keys in memory: aws-lc-rs keys are opaque and freed by aws-lc. The k256 signing key
//! zeroizes its scalar on drop. The sm2 crate's `SigningKey` and `DecryptingKey` do not zeroize
//! their scalar on drop (no support in sm2 0.14); the scalar stays in freed heap memory until reused.

use aws_lc_rs::digest::{Algorithm as DigestAlgorithm, Digest as AwsDigest, SHA256, SHA384, SHA512};
use aws_lc_rs::rsa::{
    OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepAlgorithm, OaepPrivateDecryptingKey, OaepPublicEncryptingKey,
    PrivateDecryptingKey, PublicEncryptingKey,
};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P256K1_SHA256_ASN1, ECDSA_P384_SHA384_ASN1,
    ECDSA_P384_SHA384_ASN1_SIGNING, EcdsaKeyPair, KeyPair, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256,
    RSA_PKCS1_2048_8192_SHA384, RSA_PKCS1_2048_8192_SHA512, RSA_PKCS1_SHA256, RSA_PKCS1_SHA384, RSA_PKCS1_SHA512,
    RSA_PSS_2048_8192_SHA256, RSA_PSS_2048_8192_SHA384, RSA_PSS_2048_8192_SHA512, RSA_PSS_SHA256, RSA_PSS_SHA384,
    RSA_PSS_SHA512, RsaEncoding, RsaKeyPair, VerificationAlgorithm,
};
use k256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier, RandomizedPrehashSigner};
use sm2::elliptic_curve::common::getrandom::SysRng;
use sm2::elliptic_curve::sec1::ToSec1Point;
use sm2::pkcs8::DecodePublicKey;
use sm2::pkcs8::der::Decode;
use sm2::pke::{Cipher, DecryptingKey, EncryptingKey, Mode};
use sm3::{Digest as _, Sm3};
use zeroize::Zeroizing;

use crate::{CryptoError, KeySpec, KeyUsage, SecretBytes, byok};

/// The SM2 distinguishing identifier (GB/T 35276 default), as Alibaba and OpenSSL use it.
pub const SM2_DEFAULT_ID: &str = "1234567812345678";
/// Largest SM2PKE plaintext (ALIBABA.md §4.3).
pub const SM2PKE_MAX_PLAINTEXT: usize = 6047;
/// Length of the SHA-256 and SM3 digests (every Alibaba signing algorithm takes one); the
/// SHA-384/512 algorithms take 48 or 64 bytes ([`AsymmetricAlgorithm::digest_len`]).
pub const DIGEST_LEN: usize = 32;

/// First byte of a DER SEQUENCE: marks the GM/T 0009 form of an SM2 ciphertext.
const DER_SEQUENCE: u8 = 0x30;
/// Attempts at an SM2 signature. Signing is hedged (RFC 6979 nonce plus fresh randomness, against
/// fault attacks); it fails only if the RNG fails or, with negligible probability, when r = 0,
/// r + k = n or s = 0, and the sm2 crate does not retry those itself.
const SM2_SIGN_ATTEMPTS: usize = 8;

/// An asymmetric algorithm (`Algorithm` of the asymmetric APIs, `WrappingAlgorithm` of
/// ExportDataKey).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AsymmetricAlgorithm {
    /// `RSAES_OAEP_SHA_256`: RSA-OAEP with SHA-256 and MGF1-SHA-256.
    RsaesOaepSha256,
    /// `RSAES_OAEP_SHA_1`: RSA-OAEP with SHA-1 and MGF1-SHA-1.
    RsaesOaepSha1,
    /// `SM2PKE`: SM2 public-key encryption (GB/T 32918.4) with SM3.
    Sm2Pke,
    /// `RSA_PSS_SHA_256`: RSASSA-PSS, SHA-256, MGF1-SHA-256, salt length 32.
    RsaPssSha256,
    /// `RSA_PKCS1_SHA_256`: RSASSA-PKCS1-v1_5 with SHA-256.
    RsaPkcs1Sha256,
    /// `ECDSA_SHA_256`: ECDSA over a SHA-256 digest (P-256 or secp256k1).
    EcdsaSha256,
    /// `SM2DSA`: SM2 signatures (GB/T 32918.2) over e = SM3(Z_A ‖ M).
    Sm2Dsa,
    /// `RSA_PSS_SHA_384`: RSASSA-PSS, SHA-384, MGF1-SHA-384, salt length 48 (not Alibaba).
    RsaPssSha384,
    /// `RSA_PSS_SHA_512`: RSASSA-PSS, SHA-512, MGF1-SHA-512, salt length 64 (not Alibaba).
    RsaPssSha512,
    /// `RSA_PKCS1_SHA_384`: RSASSA-PKCS1-v1_5 with SHA-384 (not Alibaba).
    RsaPkcs1Sha384,
    /// `RSA_PKCS1_SHA_512`: RSASSA-PKCS1-v1_5 with SHA-512 (not Alibaba).
    RsaPkcs1Sha512,
    /// `ECDSA_SHA_384`: ECDSA over a SHA-384 digest (P-384; not Alibaba).
    EcdsaSha384,
}

impl AsymmetricAlgorithm {
    /// Every algorithm: the Alibaba ones, then the SHA-384/512 ones.
    pub const ALL: [AsymmetricAlgorithm; 12] = [
        Self::RsaesOaepSha256,
        Self::RsaesOaepSha1,
        Self::Sm2Pke,
        Self::RsaPssSha256,
        Self::RsaPkcs1Sha256,
        Self::EcdsaSha256,
        Self::Sm2Dsa,
        Self::RsaPssSha384,
        Self::RsaPssSha512,
        Self::RsaPkcs1Sha384,
        Self::RsaPkcs1Sha512,
        Self::EcdsaSha384,
    ];

    /// The algorithms Alibaba documents (what [`parse`](Self::parse) accepts).
    pub const ALIBABA: [AsymmetricAlgorithm; 7] = [
        Self::RsaesOaepSha256,
        Self::RsaesOaepSha1,
        Self::Sm2Pke,
        Self::RsaPssSha256,
        Self::RsaPkcs1Sha256,
        Self::EcdsaSha256,
        Self::Sm2Dsa,
    ];

    /// The Alibaba(-style) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RsaesOaepSha256 => "RSAES_OAEP_SHA_256",
            Self::RsaesOaepSha1 => "RSAES_OAEP_SHA_1",
            Self::Sm2Pke => "SM2PKE",
            Self::RsaPssSha256 => "RSA_PSS_SHA_256",
            Self::RsaPkcs1Sha256 => "RSA_PKCS1_SHA_256",
            Self::EcdsaSha256 => "ECDSA_SHA_256",
            Self::Sm2Dsa => "SM2DSA",
            Self::RsaPssSha384 => "RSA_PSS_SHA_384",
            Self::RsaPssSha512 => "RSA_PSS_SHA_512",
            Self::RsaPkcs1Sha384 => "RSA_PKCS1_SHA_384",
            Self::RsaPkcs1Sha512 => "RSA_PKCS1_SHA_512",
            Self::EcdsaSha384 => "ECDSA_SHA_384",
        }
    }

    /// Parses an Alibaba name (exact, case-sensitive): only [`ALIBABA`](Self::ALIBABA) algorithms.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALIBABA.into_iter().find(|a| a.as_str() == s)
    }

    /// Parses any algorithm's [`as_str`](Self::as_str) name.
    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Length of the digest a signing algorithm takes (32 for SHA-256 and SM3, 48 for SHA-384,
    /// 64 for SHA-512); `None` for encryption algorithms.
    pub fn digest_len(self) -> Option<usize> {
        if self.is_encryption() {
            return None;
        }
        Some(self.hash().map_or(DIGEST_LEN, DigestAlgorithm::output_len))
    }

    /// The SHA-2 hash of an RSA or ECDSA signing algorithm (`None` for SM2DSA and encryption).
    pub fn hash(self) -> Option<&'static DigestAlgorithm> {
        match self {
            Self::RsaPssSha256 | Self::RsaPkcs1Sha256 | Self::EcdsaSha256 => Some(&SHA256),
            Self::RsaPssSha384 | Self::RsaPkcs1Sha384 | Self::EcdsaSha384 => Some(&SHA384),
            Self::RsaPssSha512 | Self::RsaPkcs1Sha512 => Some(&SHA512),
            Self::RsaesOaepSha256 | Self::RsaesOaepSha1 | Self::Sm2Pke | Self::Sm2Dsa => None,
        }
    }

    /// Whether the algorithm encrypts (as opposed to signs).
    pub fn is_encryption(self) -> bool {
        matches!(self, Self::RsaesOaepSha256 | Self::RsaesOaepSha1 | Self::Sm2Pke)
    }

    /// Whether a key of `spec` with `usage` can use this algorithm.
    pub fn fits(self, spec: KeySpec, usage: KeyUsage) -> bool {
        let rsa = matches!(spec, KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096);
        match self {
            Self::RsaesOaepSha256 | Self::RsaesOaepSha1 => rsa && usage == KeyUsage::EncryptDecrypt,
            Self::RsaPssSha256
            | Self::RsaPkcs1Sha256
            | Self::RsaPssSha384
            | Self::RsaPssSha512
            | Self::RsaPkcs1Sha384
            | Self::RsaPkcs1Sha512 => rsa && usage == KeyUsage::SignVerify,
            Self::EcdsaSha256 => matches!(spec, KeySpec::EcP256 | KeySpec::EcP256K) && usage == KeyUsage::SignVerify,
            Self::EcdsaSha384 => spec == KeySpec::EcP384 && usage == KeyUsage::SignVerify,
            Self::Sm2Pke => spec == KeySpec::EcSm2 && usage == KeyUsage::EncryptDecrypt,
            Self::Sm2Dsa => spec == KeySpec::EcSm2 && usage == KeyUsage::SignVerify,
        }
    }

    fn oaep(self) -> Option<&'static OaepAlgorithm> {
        match self {
            Self::RsaesOaepSha256 => Some(&OAEP_SHA256_MGF1SHA256),
            Self::RsaesOaepSha1 => Some(&OAEP_SHA1_MGF1SHA1),
            _ => None,
        }
    }

    /// RSA signature encoding and verification algorithm of an RSA signing algorithm.
    fn rsa(self) -> Option<(&'static dyn RsaEncoding, &'static dyn VerificationAlgorithm)> {
        Some(match self {
            Self::RsaPssSha256 => (&RSA_PSS_SHA256, &RSA_PSS_2048_8192_SHA256),
            Self::RsaPssSha384 => (&RSA_PSS_SHA384, &RSA_PSS_2048_8192_SHA384),
            Self::RsaPssSha512 => (&RSA_PSS_SHA512, &RSA_PSS_2048_8192_SHA512),
            Self::RsaPkcs1Sha256 => (&RSA_PKCS1_SHA256, &RSA_PKCS1_2048_8192_SHA256),
            Self::RsaPkcs1Sha384 => (&RSA_PKCS1_SHA384, &RSA_PKCS1_2048_8192_SHA384),
            Self::RsaPkcs1Sha512 => (&RSA_PKCS1_SHA512, &RSA_PKCS1_2048_8192_SHA512),
            _ => return None,
        })
    }
}

/// The RSA signing algorithms, in the order of `RsaKeys::verifiers`.
const RSA_SIGNING: [AsymmetricAlgorithm; 6] = [
    AsymmetricAlgorithm::RsaPssSha256,
    AsymmetricAlgorithm::RsaPkcs1Sha256,
    AsymmetricAlgorithm::RsaPssSha384,
    AsymmetricAlgorithm::RsaPssSha512,
    AsymmetricAlgorithm::RsaPkcs1Sha384,
    AsymmetricAlgorithm::RsaPkcs1Sha512,
];

/// Errors of asymmetric operations. Messages never contain key material or plaintext.
#[derive(Debug, thiserror::Error)]
pub enum AsymmetricError {
    /// The algorithm does not apply to this key's spec (`Rejected.UnsupportedOperation`), or a
    /// signing algorithm was given to encrypt (and the reverse).
    #[error("the algorithm does not apply to this key")]
    UnsupportedAlgorithm,
    /// The plaintext exceeds what the key and algorithm can encrypt.
    #[error("the plaintext is too long: at most {max} bytes")]
    PlaintextTooLong {
        /// Largest accepted plaintext, in bytes.
        max: usize,
    },
    /// The ciphertext does not decrypt with this key (wrong key, algorithm, corrupt, truncated).
    #[error("the ciphertext does not decrypt with this key")]
    Undecryptable,
    /// The digest to sign is not as long as the algorithm's hash output
    /// ([`AsymmetricAlgorithm::digest_len`]).
    #[error("the digest length does not match the signing algorithm's hash")]
    InvalidDigest,
    /// A key is unusable, or the library failed (also: SM2PKE of an empty plaintext).
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

/// An asymmetric key with its parsed key objects. No `Clone`; its `Debug` shows only the spec.
///
/// It holds the objects for every algorithm of its spec (both usages of RSA and SM2 keys);
/// which usage a key has is the caller's policy, checked with [`AsymmetricAlgorithm::fits`].
pub struct AsymmetricKey {
    spec: KeySpec,
    spki_der: Vec<u8>,
    inner: Inner,
}

enum Inner {
    Rsa(Box<RsaKeys>),
    /// P-256 or P-384.
    Nist {
        pair: EcdsaKeyPair,
        public: ParsedPublicKey,
    },
    Secp256k1(Box<k256::ecdsa::SigningKey>),
    Sm2 {
        pke: Box<DecryptingKey>,
        dsa: Box<sm2::dsa::SigningKey>,
    },
}

struct RsaKeys {
    decrypting: OaepPrivateDecryptingKey,
    encrypting: OaepPublicEncryptingKey,
    pair: RsaKeyPair,
    /// One parsed public key per algorithm of [`RSA_SIGNING`], same order.
    verifiers: Vec<ParsedPublicKey>,
}

impl RsaKeys {
    fn verifier(&self, alg: AsymmetricAlgorithm) -> Option<&ParsedPublicKey> {
        RSA_SIGNING.iter().position(|&a| a == alg).and_then(|i| self.verifiers.get(i))
    }
}

impl std::fmt::Debug for AsymmetricKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsymmetricKey").field("spec", &self.spec).finish_non_exhaustive()
    }
}

/// A caller's digest as an aws-lc-rs digest of the algorithm's hash.
fn sha2_digest(alg: AsymmetricAlgorithm, digest: &[u8]) -> Result<AwsDigest, AsymmetricError> {
    let hash = alg.hash().ok_or(AsymmetricError::UnsupportedAlgorithm)?;
    AwsDigest::import_less_safe(digest, hash).map_err(|_| AsymmetricError::InvalidDigest)
}

impl AsymmetricKey {
    /// Builds the key from stored material (the [`crate::keygen`] format of `spec`), validating it
    /// against the spec (RSA modulus size, curve). Parsing takes up to a fraction of a millisecond
    /// (RSA), so build once and cache.
    pub fn new(spec: KeySpec, material: &SecretBytes) -> Result<Self, CryptoError> {
        if !spec.is_asymmetric() {
            return Err(CryptoError::InvalidKey("a symmetric key spec is not asymmetric"));
        }
        let spki_der = byok::public_key_spki(spec, material)?;
        let m = material.expose();
        let inner = match spec {
            KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => {
                let not_rsa = |_| CryptoError::InvalidKey("RSA material is not a PKCS#8 RSA key");
                let setup = |_| CryptoError::Library("RSA key setup failed");
                let key = PrivateDecryptingKey::from_pkcs8(m).map_err(not_rsa)?;
                let encrypting = OaepPublicEncryptingKey::new(key.public_key()).map_err(setup)?;
                let decrypting = OaepPrivateDecryptingKey::new(key).map_err(setup)?;
                let pair = RsaKeyPair::from_pkcs8(m).map_err(not_rsa)?;
                let public = pair.public_key().as_ref();
                let mut verifiers = Vec::with_capacity(RSA_SIGNING.len());
                for alg in RSA_SIGNING {
                    let (_, verification) = alg.rsa().ok_or(CryptoError::Library("RSA algorithm table"))?;
                    verifiers.push(ParsedPublicKey::new(verification, public).map_err(not_rsa)?);
                }
                Inner::Rsa(Box::new(RsaKeys { decrypting, encrypting, pair, verifiers }))
            }
            KeySpec::EcP256 => {
                let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, m)
                    .map_err(|_| CryptoError::InvalidKey("EC material is not a PKCS#8 P-256 key"))?;
                let public = ParsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, pair.public_key().as_ref())
                    .map_err(|_| CryptoError::Library("EC public key setup failed"))?;
                Inner::Nist { pair, public }
            }
            KeySpec::EcP384 => {
                let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_ASN1_SIGNING, m)
                    .map_err(|_| CryptoError::InvalidKey("EC material is not a PKCS#8 P-384 key"))?;
                let public = ParsedPublicKey::new(&ECDSA_P384_SHA384_ASN1, pair.public_key().as_ref())
                    .map_err(|_| CryptoError::Library("EC public key setup failed"))?;
                Inner::Nist { pair, public }
            }
            KeySpec::EcP256K => {
                use k256::pkcs8::DecodePrivateKey;
                let key = k256::ecdsa::SigningKey::from_pkcs8_der(m)
                    .map_err(|_| CryptoError::InvalidKey("EC material is not a PKCS#8 secp256k1 key"))?;
                Inner::Secp256k1(Box::new(key))
            }
            KeySpec::EcSm2 => {
                fn invalid<E>(_: E) -> CryptoError {
                    CryptoError::InvalidKey("SM2 material is not a valid scalar")
                }
                let pke = DecryptingKey::from_slice(m).map_err(invalid)?;
                let dsa = sm2::dsa::SigningKey::from_slice(SM2_DEFAULT_ID, m).map_err(invalid)?;
                Inner::Sm2 { pke: Box::new(pke), dsa: Box::new(dsa) }
            }
            KeySpec::Aes256
            | KeySpec::Aes128
            | KeySpec::Sm4
            | KeySpec::Hmac256
            | KeySpec::Hmac384
            | KeySpec::Hmac512 => {
                return Err(CryptoError::InvalidKey("a symmetric key spec is not asymmetric"));
            }
        };
        Ok(Self { spec, spki_der, inner })
    }

    /// The key spec.
    pub fn spec(&self) -> KeySpec {
        self.spec
    }

    /// The public key as DER SubjectPublicKeyInfo.
    pub fn public_key_spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// The public key as PEM (GetPublicKey's `PublicKey`).
    pub fn public_key_pem(&self) -> String {
        public_key_pem(&self.spki_der)
    }

    /// Largest plaintext [`encrypt`](Self::encrypt) accepts for `alg`; `None` if `alg` is not an
    /// encryption algorithm of this key.
    pub fn max_plaintext_len(&self, alg: AsymmetricAlgorithm) -> Option<usize> {
        match (&self.inner, alg.oaep()) {
            (Inner::Rsa(rsa), Some(oaep)) => Some(rsa.encrypting.max_plaintext_size(oaep)),
            (Inner::Sm2 { .. }, None) if alg == AsymmetricAlgorithm::Sm2Pke => Some(SM2PKE_MAX_PLAINTEXT),
            _ => None,
        }
    }

    /// Encrypts with the public key (AsymmetricEncrypt). RSA: k bytes; SM2PKE: DER (module docs).
    pub fn encrypt(&self, alg: AsymmetricAlgorithm, plaintext: &[u8]) -> Result<Vec<u8>, AsymmetricError> {
        match (&self.inner, alg) {
            (Inner::Rsa(rsa), AsymmetricAlgorithm::RsaesOaepSha256 | AsymmetricAlgorithm::RsaesOaepSha1) => {
                let oaep = alg.oaep().ok_or(AsymmetricError::UnsupportedAlgorithm)?;
                rsa_oaep_encrypt(&rsa.encrypting, oaep, plaintext)
            }
            (Inner::Sm2 { pke, .. }, AsymmetricAlgorithm::Sm2Pke) => sm2_encrypt_der(pke.encrypting_key(), plaintext),
            _ => Err(AsymmetricError::UnsupportedAlgorithm),
        }
    }

    /// Decrypts with the private key (AsymmetricDecrypt). Every failure is
    /// [`AsymmetricError::Undecryptable`], whatever the cause, so the API is no padding oracle.
    pub fn decrypt(&self, alg: AsymmetricAlgorithm, ciphertext: &[u8]) -> Result<SecretBytes, AsymmetricError> {
        match (&self.inner, alg) {
            (Inner::Rsa(rsa), AsymmetricAlgorithm::RsaesOaepSha256 | AsymmetricAlgorithm::RsaesOaepSha1) => {
                let oaep = alg.oaep().ok_or(AsymmetricError::UnsupportedAlgorithm)?;
                let key = &rsa.decrypting;
                if ciphertext.len() != key.key_size_bytes() {
                    return Err(AsymmetricError::Undecryptable);
                }
                let mut buf = Zeroizing::new(vec![0u8; key.min_output_size()]);
                let pt = key.decrypt(oaep, ciphertext, &mut buf, None).map_err(|_| AsymmetricError::Undecryptable)?;
                Ok(SecretBytes::from_slice(pt))
            }
            (Inner::Sm2 { pke, .. }, AsymmetricAlgorithm::Sm2Pke) => sm2_decrypt(pke, ciphertext),
            _ => Err(AsymmetricError::UnsupportedAlgorithm),
        }
    }

    /// Signs a digest of the algorithm's hash ([`AsymmetricAlgorithm::digest_len`] bytes:
    /// AsymmetricSign). RSA: k bytes; ECDSA and SM2DSA: DER.
    pub fn sign_digest(&self, alg: AsymmetricAlgorithm, digest: &[u8]) -> Result<Vec<u8>, AsymmetricError> {
        fn failed<E>(_: E) -> AsymmetricError {
            AsymmetricError::Crypto(CryptoError::Library("signing failed"))
        }
        if !self.signs_with(alg) {
            return Err(AsymmetricError::UnsupportedAlgorithm);
        }
        if Some(digest.len()) != alg.digest_len() {
            return Err(AsymmetricError::InvalidDigest);
        }
        match &self.inner {
            Inner::Rsa(rsa) => {
                let (padding, _) = alg.rsa().ok_or(AsymmetricError::UnsupportedAlgorithm)?;
                let mut sig = vec![0u8; rsa.pair.public_modulus_len()];
                rsa.pair.sign_digest(padding, &sha2_digest(alg, digest)?, &mut sig).map_err(failed)?;
                Ok(sig)
            }
            Inner::Nist { pair, .. } => {
                Ok(pair.sign_digest(&sha2_digest(alg, digest)?).map_err(failed)?.as_ref().to_vec())
            }
            Inner::Secp256k1(key) => {
                let sig: k256::ecdsa::DerSignature = key.sign_prehash(digest).map_err(failed)?;
                Ok(sig.as_bytes().to_vec())
            }
            Inner::Sm2 { dsa, .. } => {
                for _ in 0..SM2_SIGN_ATTEMPTS {
                    if let Ok(sig) = dsa.sign_prehash_with_rng(&mut SysRng, digest) {
                        return Ok(sig.to_der().as_bytes().to_vec());
                    }
                }
                Err(AsymmetricError::Crypto(CryptoError::Library("SM2 signing failed")))
            }
        }
    }

    /// Verifies a signature over a digest (AsymmetricVerify). Never fails: a bad or malformed
    /// signature, a digest of the wrong length and an algorithm that is not a signing algorithm
    /// of this key all give `false`.
    pub fn verify_digest(&self, alg: AsymmetricAlgorithm, digest: &[u8], signature: &[u8]) -> bool {
        if !self.signs_with(alg) || Some(digest.len()) != alg.digest_len() {
            return false;
        }
        match &self.inner {
            Inner::Rsa(rsa) => rsa.verifier(alg).is_some_and(|public| {
                sha2_digest(alg, digest).is_ok_and(|d| public.verify_digest_sig(&d, signature).is_ok())
            }),
            Inner::Nist { public, .. } => {
                sha2_digest(alg, digest).is_ok_and(|d| public.verify_digest_sig(&d, signature).is_ok())
            }
            Inner::Secp256k1(key) => k256::ecdsa::Signature::from_der(signature)
                .is_ok_and(|sig| key.verifying_key().verify_prehash(digest, &sig.normalize_s()).is_ok()),
            Inner::Sm2 { dsa, .. } => sm2::dsa::Signature::from_der(signature)
                .is_ok_and(|sig| dsa.verifying_key().verify_prehash(digest, &sig).is_ok()),
        }
    }

    /// Whether `alg` is a signing algorithm for this key's spec.
    fn signs_with(&self, alg: AsymmetricAlgorithm) -> bool {
        !alg.is_encryption() && alg.fits(self.spec, KeyUsage::SignVerify)
    }
}

/// PEM of a DER SubjectPublicKeyInfo: `-----BEGIN PUBLIC KEY-----`, base64 in 64-character lines,
/// `-----END PUBLIC KEY-----`, each line ending in `\n`.
pub fn public_key_pem(spki_der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(spki_der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 60);
    out.push_str("-----BEGIN PUBLIC KEY-----\n");
    let mut rest = b64.as_str();
    while !rest.is_empty() {
        // Base64 is ASCII, so any byte index is a character boundary.
        let (line, tail) = rest.split_at(rest.len().min(64));
        out.push_str(line);
        out.push('\n');
        rest = tail;
    }
    out.push_str("-----END PUBLIC KEY-----\n");
    out
}

/// Encrypts `data` with a public key given as DER SubjectPublicKeyInfo (ExportDataKey,
/// GenerateAndExportDataKey): RSA-OAEP for `RSAES_OAEP_SHA_256` / `RSAES_OAEP_SHA_1`, SM2 (DER
/// form) for `SM2PKE`. The key type must match the algorithm; [`public_key_spec`] tells which spec
/// a key has, for checking `WrappingKeySpec`.
pub fn encrypt_with_public_key(
    spki_der: &[u8],
    alg: AsymmetricAlgorithm,
    data: &[u8],
) -> Result<Vec<u8>, AsymmetricError> {
    match (alg, alg.oaep()) {
        (_, Some(oaep)) => {
            let key = PublicEncryptingKey::from_der(spki_der)
                .map_err(|_| CryptoError::InvalidKey("the public key is not an RSA SubjectPublicKeyInfo"))?;
            let key = OaepPublicEncryptingKey::new(key).map_err(|_| CryptoError::Library("RSA key setup failed"))?;
            rsa_oaep_encrypt(&key, oaep, data)
        }
        (AsymmetricAlgorithm::Sm2Pke, None) => {
            let public = sm2::PublicKey::from_public_key_der(spki_der)
                .map_err(|_| CryptoError::InvalidKey("the public key is not an SM2 SubjectPublicKeyInfo"))?;
            sm2_encrypt_der(&EncryptingKey::new_with_mode(public, Mode::C1C3C2), data)
        }
        _ => Err(AsymmetricError::UnsupportedAlgorithm),
    }
}

/// The key spec of a DER SubjectPublicKeyInfo: `RSA_2048/3072/4096`, `EC_P256`, `EC_P384`,
/// `EC_P256K` or `EC_SM2`; `None` for anything else (other RSA sizes, other curves, garbage).
pub fn public_key_spec(spki_der: &[u8]) -> Option<KeySpec> {
    if let Ok(key) = PublicEncryptingKey::from_der(spki_der) {
        return match key.key_size_bits() {
            2048 => Some(KeySpec::Rsa2048),
            3072 => Some(KeySpec::Rsa3072),
            4096 => Some(KeySpec::Rsa4096),
            _ => None,
        };
    }
    if sm2::PublicKey::from_public_key_der(spki_der).is_ok() {
        return Some(KeySpec::EcSm2);
    }
    if ParsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, spki_der).is_ok() {
        return Some(KeySpec::EcP256);
    }
    if ParsedPublicKey::new(&ECDSA_P256K1_SHA256_ASN1, spki_der).is_ok() {
        return Some(KeySpec::EcP256K);
    }
    if ParsedPublicKey::new(&ECDSA_P384_SHA384_ASN1, spki_der).is_ok() {
        return Some(KeySpec::EcP384);
    }
    None
}

/// `e = SM3(Z_A ‖ M)` for SM2DSA with the default id [`SM2_DEFAULT_ID`] (GB/T 32918.2): the digest a
/// client passes to AsymmetricSign for an SM2 key. `public_key` is a DER SubjectPublicKeyInfo or a
/// SEC1 point (uncompressed or compressed).
pub fn sm2_z_digest(public_key: &[u8], message: &[u8]) -> Result<[u8; 32], CryptoError> {
    const A: &str = "fffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffc";
    const B: &str = "28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93";
    const GX: &str = "32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7";
    const GY: &str = "bc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0";
    let key = if public_key.first() == Some(&DER_SEQUENCE) {
        sm2::PublicKey::from_public_key_der(public_key).ok()
    } else {
        sm2::PublicKey::from_sec1_bytes(public_key).ok()
    }
    .ok_or(CryptoError::InvalidKey("not an SM2 public key"))?;
    let point = key.to_sec1_point(false);
    let mut z = Sm3::new();
    z.update(((SM2_DEFAULT_ID.len() * 8) as u16).to_be_bytes());
    z.update(SM2_DEFAULT_ID.as_bytes());
    for c in [A, B, GX, GY] {
        z.update(hex::decode(c).map_err(|_| CryptoError::Library("SM2 curve constant"))?);
    }
    // Skip the 0x04 tag of the uncompressed point: x ‖ y.
    z.update(point.as_bytes().get(1..).ok_or(CryptoError::InvalidKey("not an SM2 public key"))?);
    let z = z.finalize();
    let mut e = Sm3::new();
    e.update(z);
    e.update(message);
    Ok(e.finalize().into())
}

fn rsa_oaep_encrypt(
    key: &OaepPublicEncryptingKey,
    oaep: &'static OaepAlgorithm,
    plaintext: &[u8],
) -> Result<Vec<u8>, AsymmetricError> {
    let max = key.max_plaintext_size(oaep);
    if plaintext.len() > max {
        return Err(AsymmetricError::PlaintextTooLong { max });
    }
    let mut out = vec![0u8; key.ciphertext_size()];
    let len = key
        .encrypt(oaep, plaintext, &mut out, None)
        .map_err(|_| CryptoError::Library("RSA-OAEP encryption failed"))?
        .len();
    out.truncate(len);
    Ok(out)
}

fn sm2_encrypt_der(key: &EncryptingKey, plaintext: &[u8]) -> Result<Vec<u8>, AsymmetricError> {
    if plaintext.is_empty() {
        return Err(CryptoError::Library("SM2PKE cannot encrypt an empty plaintext").into());
    }
    if plaintext.len() > SM2PKE_MAX_PLAINTEXT {
        return Err(AsymmetricError::PlaintextTooLong { max: SM2PKE_MAX_PLAINTEXT });
    }
    Ok(key.encrypt_der(&mut SysRng, plaintext).map_err(|_| CryptoError::Library("SM2 encryption failed"))?)
}

/// SM2 decryption of a GM/T 0009 DER or raw C1C3C2 ciphertext into a buffer we zeroize.
fn sm2_decrypt(key: &DecryptingKey, ciphertext: &[u8]) -> Result<SecretBytes, AsymmetricError> {
    let cipher: Cipher<'_> = if ciphertext.first() == Some(&DER_SEQUENCE) {
        Cipher::from_der(ciphertext).map_err(|_| AsymmetricError::Undecryptable)?
    } else {
        Cipher::from_slice(ciphertext, Mode::C1C3C2).map_err(|_| AsymmetricError::Undecryptable)?
    };
    let mut buf = Zeroizing::new(vec![0u8; cipher.c2().len()]);
    let len = key.decrypt_cipher_with_buf(&cipher, &mut buf).map_err(|_| AsymmetricError::Undecryptable)?;
    Ok(SecretBytes::from_slice(buf.get(..len).ok_or(AsymmetricError::Undecryptable)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::process::{Command, Output};
    use std::sync::OnceLock;

    use aws_lc_rs::digest::digest;
    use sm2::pkcs8::EncodePrivateKey;

    use AsymmetricAlgorithm as A;

    const ASYMMETRIC: [KeySpec; 7] = [
        KeySpec::Rsa2048,
        KeySpec::Rsa3072,
        KeySpec::Rsa4096,
        KeySpec::EcP256,
        KeySpec::EcP256K,
        KeySpec::EcSm2,
        KeySpec::EcP384,
    ];

    // ---- helpers ----

    fn run(args: &[&str]) -> Output {
        Command::new("openssl").args(args).output().expect("openssl must be on PATH")
    }

    /// Runs the openssl CLI; panics with its stderr on failure.
    fn openssl(args: &[&str]) -> Vec<u8> {
        let out = run(args);
        assert!(out.status.success(), "openssl {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p.to_str().unwrap().to_string()
    }

    fn tmp() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    /// Material of every asymmetric spec, generated once (RSA-4096 takes about 0.6 s).
    fn material(spec: KeySpec) -> &'static SecretBytes {
        static M: OnceLock<Vec<(KeySpec, SecretBytes)>> = OnceLock::new();
        let all = M.get_or_init(|| ASYMMETRIC.iter().map(|&s| (s, crate::keygen::generate(s).unwrap())).collect());
        &all.iter().find(|(s, _)| *s == spec).unwrap().1
    }

    fn key(spec: KeySpec) -> AsymmetricKey {
        AsymmetricKey::new(spec, material(spec)).unwrap()
    }

    /// The private key as PKCS#8 DER, which openssl reads with `-keyform DER`.
    fn private_pkcs8(spec: KeySpec) -> Vec<u8> {
        match spec {
            KeySpec::EcSm2 => {
                sm2::SecretKey::from_slice(material(spec).expose()).unwrap().to_pkcs8_der().unwrap().as_bytes().to_vec()
            }
            _ => material(spec).expose().to_vec(),
        }
    }

    fn sha256(m: &[u8]) -> Vec<u8> {
        digest(&aws_lc_rs::digest::SHA256, m).as_ref().to_vec()
    }

    /// A small deterministic PRNG (xorshift64*).
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
        fn mutate(&mut self, v: &[u8], i: usize) -> Vec<u8> {
            let mut m = v.to_vec();
            let pos = self.below(m.len());
            match i % 5 {
                0 => m[pos] ^= 1 << self.below(8),
                1 => m[pos] = m[pos].wrapping_add(1 + self.below(255) as u8),
                2 => {
                    m.remove(pos);
                }
                3 => m.insert(pos, self.next() as u8),
                _ => m.truncate(pos),
            }
            m
        }
    }

    /// GM/T 0009 DER SM2 ciphertext -> raw C1C3C2 (hand-written, independent of the sm2 crate).
    fn der_to_raw(der: &[u8]) -> Vec<u8> {
        fn tlv(b: &[u8]) -> (u8, &[u8], &[u8]) {
            let (len, hdr) = match b[1] {
                n if n < 0x80 => (n as usize, 2),
                0x81 => (b[2] as usize, 3),
                0x82 => ((b[2] as usize) << 8 | b[3] as usize, 4),
                _ => panic!("long DER length"),
            };
            (b[0], &b[hdr..hdr + len], &b[hdr + len..])
        }
        fn coord(v: &[u8]) -> Vec<u8> {
            let v: Vec<u8> = v.iter().copied().skip_while(|&b| b == 0).collect();
            [vec![0u8; 32 - v.len()], v].concat()
        }
        let (tag, body, rest) = tlv(der);
        assert_eq!((tag, rest.len()), (0x30, 0));
        let (t1, x, body) = tlv(body);
        let (t2, y, body) = tlv(body);
        let (t3, c3, body) = tlv(body);
        let (t4, c2, body) = tlv(body);
        assert_eq!((t1, t2, t3, t4, body.len()), (2, 2, 4, 4, 0));
        [vec![0x04], coord(x), coord(y), c3.to_vec(), c2.to_vec()].concat()
    }

    // ---- names, fitting, construction ----

    /// A digest of the right length for `alg` (32 bytes for encryption algorithms).
    fn digest_for(alg: A, byte: u8) -> Vec<u8> {
        vec![byte; alg.digest_len().unwrap_or(32)]
    }

    #[test]
    fn names_round_trip() {
        for a in A::ALL {
            assert_eq!(A::from_name(a.as_str()), Some(a));
            assert_eq!(A::parse(a.as_str()).is_some(), A::ALIBABA.contains(&a), "{a:?}");
        }
        for name in ["RSA_PSS_SHA_384", "RSA_PSS_SHA_512", "RSA_PKCS1_SHA_384", "RSA_PKCS1_SHA_512", "ECDSA_SHA_384"] {
            assert_eq!(A::parse(name), None, "Alibaba keeps its documented names only");
        }
        let lens: Vec<Option<usize>> = A::ALL.into_iter().map(A::digest_len).collect();
        assert_eq!(
            lens,
            [
                None,
                None,
                None,
                Some(32),
                Some(32),
                Some(32),
                Some(32),
                Some(48),
                Some(64),
                Some(48),
                Some(64),
                Some(48)
            ]
        );
        assert_eq!(A::parse("RSAES_OAEP_SHA_256"), Some(A::RsaesOaepSha256));
        assert_eq!(A::parse("SM2DSA"), Some(A::Sm2Dsa));
        assert_eq!(A::parse("sm2dsa"), None);
        assert_eq!(A::parse("RSAES_PKCS1_V1_5"), None);
        assert!(A::Sm2Pke.is_encryption() && !A::Sm2Dsa.is_encryption());
    }

    #[test]
    fn algorithms_fit_specs_and_usages() {
        use KeySpec as S;
        use KeyUsage::{EncryptDecrypt as E, SignVerify as V};
        let fitting = |spec, usage| -> Vec<A> { A::ALL.into_iter().filter(|a| a.fits(spec, usage)).collect() };
        for rsa in [S::Rsa2048, S::Rsa3072, S::Rsa4096] {
            assert_eq!(fitting(rsa, E), [A::RsaesOaepSha256, A::RsaesOaepSha1]);
            assert_eq!(
                fitting(rsa, V),
                [
                    A::RsaPssSha256,
                    A::RsaPkcs1Sha256,
                    A::RsaPssSha384,
                    A::RsaPssSha512,
                    A::RsaPkcs1Sha384,
                    A::RsaPkcs1Sha512
                ]
            );
        }
        for ec in [S::EcP256, S::EcP256K] {
            assert_eq!(fitting(ec, V), [A::EcdsaSha256]);
            assert!(fitting(ec, E).is_empty());
        }
        assert_eq!(fitting(S::EcP384, V), [A::EcdsaSha384]);
        assert!(fitting(S::EcP384, E).is_empty());
        for mac in [S::Hmac256, S::Hmac384, S::Hmac512] {
            assert!(fitting(mac, E).is_empty() && fitting(mac, V).is_empty());
            assert!(fitting(mac, KeyUsage::GenerateVerifyMac).is_empty());
        }
        assert_eq!(fitting(S::EcSm2, E), [A::Sm2Pke]);
        assert_eq!(fitting(S::EcSm2, V), [A::Sm2Dsa]);
        for sym in [S::Aes256, S::Aes128, S::Sm4] {
            assert!(fitting(sym, E).is_empty() && fitting(sym, V).is_empty());
        }
    }

    #[test]
    fn operations_refuse_algorithms_that_do_not_fit() {
        let unsupported = |r: Result<(), AsymmetricError>| matches!(r, Err(AsymmetricError::UnsupportedAlgorithm));
        for spec in ASYMMETRIC {
            let k = key(spec);
            for alg in A::ALL {
                let d = digest_for(alg, 1);
                let enc = alg.is_encryption() && alg.fits(spec, KeyUsage::EncryptDecrypt);
                let sign = !alg.is_encryption() && alg.fits(spec, KeyUsage::SignVerify);
                assert_eq!(unsupported(k.encrypt(alg, b"x").map(drop)), !enc, "{spec:?} {alg:?}");
                assert_eq!(unsupported(k.decrypt(alg, &[0; 256]).map(drop)), !enc, "{spec:?} {alg:?}");
                assert_eq!(k.max_plaintext_len(alg).is_some(), enc, "{spec:?} {alg:?}");
                let sig = k.sign_digest(alg, &d);
                assert_eq!(
                    unsupported(sig.as_ref().map(drop).map_err(|_| AsymmetricError::UnsupportedAlgorithm)),
                    !sign
                );
                if let Ok(sig) = sig {
                    assert!(k.verify_digest(alg, &d, &sig), "{spec:?} {alg:?}");
                    // The same signature under every other algorithm of the key: false, not an error.
                    for other in A::ALL.into_iter().filter(|&o| o != alg) {
                        assert!(!k.verify_digest(other, &d, &sig), "{spec:?} {alg:?} as {other:?}");
                    }
                }
            }
        }
        assert_eq!(AsymmetricError::UnsupportedAlgorithm.to_string(), "the algorithm does not apply to this key");
    }

    #[test]
    fn construction_validates_the_material() {
        let bad = |spec, m: &SecretBytes| AsymmetricKey::new(spec, m).is_err();
        assert!(bad(KeySpec::Aes256, &SecretBytes::new(vec![0; 32])));
        assert!(bad(KeySpec::Rsa3072, material(KeySpec::Rsa2048)), "wrong modulus size");
        assert!(bad(KeySpec::Rsa2048, material(KeySpec::Rsa4096)), "wrong modulus size");
        assert!(bad(KeySpec::EcP256K, material(KeySpec::EcP256)), "wrong curve");
        assert!(bad(KeySpec::EcP256, material(KeySpec::EcP256K)), "wrong curve");
        assert!(bad(KeySpec::EcSm2, &SecretBytes::new(vec![0; 32])), "zero scalar");
        assert!(bad(KeySpec::EcSm2, &SecretBytes::new(vec![0xff; 32])), "scalar >= n");
        assert!(bad(KeySpec::EcSm2, material(KeySpec::EcP256)), "PKCS#8 is not a scalar");
        assert!(bad(KeySpec::Rsa2048, &SecretBytes::new(b"garbage".to_vec())));
        assert!(bad(KeySpec::EcP256, material(KeySpec::EcSm2)));
        assert!(bad(KeySpec::EcP384, material(KeySpec::EcP256)), "wrong curve");
        assert!(bad(KeySpec::EcP256, material(KeySpec::EcP384)), "wrong curve");
        assert!(bad(KeySpec::Hmac256, &SecretBytes::new(vec![0; 32])), "HMAC is not asymmetric");
        for spec in ASYMMETRIC {
            assert_eq!(key(spec).spec(), spec);
        }
    }

    #[test]
    fn debug_hides_the_key_and_keys_are_shareable() {
        fn check<T: Send + Sync>() {}
        check::<AsymmetricKey>();
        let k = key(KeySpec::EcSm2);
        assert_eq!(format!("{k:?}"), "AsymmetricKey { spec: EcSm2, .. }");
    }

    // ---- public keys ----

    #[test]
    fn spki_and_pem_match_openssl() {
        let t = tmp();
        for spec in ASYMMETRIC {
            let privf = write(t.path(), "priv.p8.der", &private_pkcs8(spec));
            let want_der = openssl(&["pkey", "-inform", "DER", "-in", &privf, "-pubout", "-outform", "DER"]);
            let want_pem = openssl(&["pkey", "-inform", "DER", "-in", &privf, "-pubout"]);
            let k = key(spec);
            assert_eq!(k.public_key_spki_der(), want_der.as_slice(), "{spec:?}");
            assert_eq!(k.public_key_pem(), String::from_utf8(want_pem).unwrap(), "{spec:?}");
            assert_eq!(public_key_spec(&want_der), Some(spec));
            // openssl reads our PEM back to the same key.
            let pemf = write(t.path(), "pub.pem", key(spec).public_key_pem().as_bytes());
            assert_eq!(openssl(&["pkey", "-pubin", "-in", &pemf, "-outform", "DER"]), want_der, "{spec:?}");
        }
    }

    #[test]
    fn pem_layout() {
        assert_eq!(public_key_pem(&[]), "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n");
        let pem = public_key_pem(&[0xab; 48]);
        let lines: Vec<&str> = pem.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[1].len(), 64);
        let pem = public_key_pem(&[0xab; 49]);
        assert_eq!(pem.lines().map(str::len).collect::<Vec<_>>(), [26, 64, 4, 24]);
        assert!(pem.ends_with("=\n-----END PUBLIC KEY-----\n"));
    }

    #[test]
    fn public_key_spec_of_other_keys_is_none() {
        let t = tmp();
        let pem = t.path().join("p521.pem");
        let pem = pem.to_str().unwrap();
        openssl(&["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521", "-out", pem]);
        let p521 = openssl(&["pkey", "-in", pem, "-pubout", "-outform", "DER"]);
        assert_eq!(public_key_spec(&p521), None);
        openssl(&["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", pem]);
        let rsa1024 = openssl(&["pkey", "-in", pem, "-pubout", "-outform", "DER"]);
        assert_eq!(public_key_spec(&rsa1024), None);
        assert_eq!(public_key_spec(b""), None);
        assert_eq!(public_key_spec(&[0x30, 0x03, 0x02, 0x01, 0x00]), None);
    }

    // ---- signatures ----

    fn sign_opts(alg: A) -> Vec<&'static str> {
        let pss = |md, salt| vec![md, "-sigopt", "rsa_padding_mode:pss", "-sigopt", salt];
        match alg {
            A::RsaPssSha256 => pss("-sha256", "rsa_pss_saltlen:32"),
            A::RsaPssSha384 => pss("-sha384", "rsa_pss_saltlen:48"),
            A::RsaPssSha512 => pss("-sha512", "rsa_pss_saltlen:64"),
            A::Sm2Dsa => vec!["-sm3", "-sigopt", "distid:1234567812345678"],
            A::RsaPkcs1Sha384 | A::EcdsaSha384 => vec!["-sha384"],
            A::RsaPkcs1Sha512 => vec!["-sha512"],
            _ => vec!["-sha256"],
        }
    }

    fn signing_cases() -> Vec<(KeySpec, A)> {
        let mut v = Vec::new();
        for spec in [KeySpec::Rsa2048, KeySpec::Rsa3072, KeySpec::Rsa4096] {
            v.push((spec, A::RsaPssSha256));
            v.push((spec, A::RsaPkcs1Sha256));
        }
        for alg in [A::RsaPssSha384, A::RsaPssSha512, A::RsaPkcs1Sha384, A::RsaPkcs1Sha512] {
            v.push((KeySpec::Rsa2048, alg));
        }
        v.push((KeySpec::Rsa3072, A::RsaPssSha512));
        v.extend([
            (KeySpec::EcP256, A::EcdsaSha256),
            (KeySpec::EcP256K, A::EcdsaSha256),
            (KeySpec::EcSm2, A::Sm2Dsa),
            (KeySpec::EcP384, A::EcdsaSha384),
        ]);
        v
    }

    /// The digest AsymmetricSign receives for `msg`.
    fn digest_of(k: &AsymmetricKey, alg: A, msg: &[u8]) -> Vec<u8> {
        match alg.hash() {
            None => sm2_z_digest(k.public_key_spki_der(), msg).unwrap().to_vec(),
            Some(h) => digest(h, msg).as_ref().to_vec(),
        }
    }

    #[test]
    fn our_signatures_verify_with_openssl() {
        let t = tmp();
        for (spec, alg) in signing_cases() {
            let k = key(spec);
            let pubf = write(t.path(), "pub.pem", k.public_key_pem().as_bytes());
            for (i, msg) in [b"hello world".as_slice(), b"", &[0x5a; 1000]].into_iter().enumerate() {
                let msgf = write(t.path(), "msg.bin", msg);
                let sig = k.sign_digest(alg, &digest_of(&k, alg, msg)).unwrap();
                match alg.rsa() {
                    Some(_) => assert_eq!(sig.len() * 8, k.public_key_spki_der().len() / 128 * 1024),
                    None => assert_eq!(sig[0], 0x30, "DER"),
                }
                let sigf = write(t.path(), "sig.bin", &sig);
                let mut args = vec!["dgst"];
                args.extend(sign_opts(alg));
                args.extend(["-verify", &pubf, "-signature", &sigf, &msgf]);
                let out = openssl(&args);
                assert_eq!(out, b"Verified OK\n", "{spec:?} {alg:?} message {i}");
                assert!(k.verify_digest(alg, &digest_of(&k, alg, msg), &sig));
                // And openssl rejects it for another message.
                let otherf = write(t.path(), "other.bin", b"another message");
                args.pop();
                args.push(&otherf);
                assert!(!run(&args).status.success(), "{spec:?} {alg:?}");
            }
        }
    }

    #[test]
    fn openssl_signatures_verify_with_us() {
        let t = tmp();
        for (spec, alg) in signing_cases() {
            let k = key(spec);
            let privf = write(t.path(), "priv.p8.der", &private_pkcs8(spec));
            // Several messages, so that secp256k1 sees high-S signatures from openssl too.
            for i in 0..6u8 {
                let msg = [b"message number ".as_slice(), &[b'0' + i]].concat();
                let msgf = write(t.path(), "msg.bin", &msg);
                let mut args = vec!["dgst"];
                args.extend(sign_opts(alg));
                args.extend(["-keyform", "DER", "-sign", &privf, &msgf]);
                let sig = openssl(&args);
                let d = digest_of(&k, alg, &msg);
                assert!(k.verify_digest(alg, &d, &sig), "{spec:?} {alg:?} {i}");
                let mut other = d.clone();
                other[0] ^= 1;
                assert!(!k.verify_digest(alg, &other, &sig), "{spec:?} {alg:?} {i}");
                let mut bad = sig.clone();
                let last = bad.len() - 1;
                bad[last] ^= 1;
                assert!(!k.verify_digest(alg, &d, &bad), "{spec:?} {alg:?} {i}");
            }
        }
    }

    #[test]
    fn rsa_signature_padding_is_the_one_asked_for() {
        let k = key(KeySpec::Rsa2048);
        let d = sha256(b"m");
        let pss = k.sign_digest(A::RsaPssSha256, &d).unwrap();
        let pkcs1 = k.sign_digest(A::RsaPkcs1Sha256, &d).unwrap();
        assert!(k.verify_digest(A::RsaPssSha256, &d, &pss));
        assert!(k.verify_digest(A::RsaPkcs1Sha256, &d, &pkcs1));
        assert!(!k.verify_digest(A::RsaPssSha256, &d, &pkcs1));
        assert!(!k.verify_digest(A::RsaPkcs1Sha256, &d, &pss));
        // PKCS#1 v1.5 is deterministic, PSS is salted.
        assert_eq!(pkcs1, k.sign_digest(A::RsaPkcs1Sha256, &d).unwrap());
        assert_ne!(pss, k.sign_digest(A::RsaPssSha256, &d).unwrap());
    }

    #[test]
    fn secp256k1_signatures_are_low_s_and_high_s_verifies() {
        use k256::elliptic_curve::ops::Neg;
        let k = key(KeySpec::EcP256K);
        for i in 0..20u8 {
            let d = sha256(&[i]);
            let der = k.sign_digest(A::EcdsaSha256, &d).unwrap();
            let sig = k256::ecdsa::Signature::from_der(&der).unwrap();
            assert!(sig.normalize_s() == sig, "low-S");
            let (r, s) = sig.split_scalars();
            let high = k256::ecdsa::Signature::from_scalars(r, s.as_ref().neg()).unwrap();
            assert!(high != sig);
            assert!(k.verify_digest(A::EcdsaSha256, &d, high.to_der().as_bytes()));
        }
    }

    #[test]
    fn sm2_z_digest_matches_the_sm2_crate_and_accepts_points() {
        use sm2::dsa::signature::Verifier;
        let k = key(KeySpec::EcSm2);
        let public = sm2::PublicKey::from_public_key_der(k.public_key_spki_der()).unwrap();
        let vk = sm2::dsa::VerifyingKey::new(SM2_DEFAULT_ID, public).unwrap();
        for msg in [b"".as_slice(), b"abc", &[7; 300]] {
            let e = sm2_z_digest(k.public_key_spki_der(), msg).unwrap();
            assert_eq!(sm2_z_digest(&public.to_sec1_bytes(), msg).unwrap(), e);
            let compressed = public.to_sec1_point(true);
            assert_eq!(sm2_z_digest(compressed.as_bytes(), msg).unwrap(), e);
            // The sm2 crate hashes Z_A ‖ M itself in `verify`; a prehash signature over e must pass.
            let sig = k.sign_digest(A::Sm2Dsa, &e).unwrap();
            vk.verify(msg, &sm2::dsa::Signature::from_der(&sig).unwrap()).unwrap();
        }
        assert!(sm2_z_digest(b"", b"m").is_err());
        assert!(sm2_z_digest(&[4; 65], b"m").is_err());
        assert!(sm2_z_digest(key(KeySpec::EcP256).public_key_spki_der(), b"m").is_err());
    }

    #[test]
    fn digests_must_have_the_hash_length() {
        for (spec, alg) in signing_cases() {
            let k = key(spec);
            let want = alg.digest_len().unwrap();
            let sig = k.sign_digest(alg, &vec![1; want]).unwrap();
            for len in [0usize, 1, 20, 31, 32, 33, 47, 48, 49, 63, 64, 65].into_iter().filter(|&l| l != want) {
                let d = vec![1u8; len];
                assert!(matches!(k.sign_digest(alg, &d), Err(AsymmetricError::InvalidDigest)), "{spec:?} {len}");
                assert!(!k.verify_digest(alg, &d, &sig), "{spec:?} {len}");
            }
        }
    }

    #[test]
    fn signature_and_digest_mutations_never_panic() {
        let mut rng = Rng(0x5167_0000_0001);
        for (spec, alg) in signing_cases() {
            let k = key(spec);
            let want = alg.digest_len().unwrap();
            let d = rng.bytes(want);
            let sig = k.sign_digest(alg, &d).unwrap();
            for i in 0..400 {
                let m = rng.mutate(&sig, i);
                assert!(!k.verify_digest(alg, &d, &m), "{spec:?} {alg:?} mutation {i}");
                let other = rng.mutate(&d, i);
                assert!(!k.verify_digest(alg, &other, &sig), "{spec:?} {alg:?} digest {i}");
            }
            for len in [0, 1, 2, 8, 70, 72, 256, 512, 600] {
                for first in [None, Some(0x30)] {
                    let mut g = rng.bytes(len);
                    if let (Some(f), Some(b)) = (first, g.first_mut()) {
                        *b = f;
                    }
                    assert!(!k.verify_digest(alg, &d, &g), "{spec:?} garbage {len}");
                    assert!(k.sign_digest(alg, &g).is_ok() == (len == want));
                }
            }
        }
    }

    // ---- encryption ----

    fn oaep_opts(alg: A) -> [&'static str; 6] {
        let md = if alg == A::RsaesOaepSha256 { "sha256" } else { "sha1" };
        let (oaep_md, mgf1_md) = if md == "sha256" {
            ("rsa_oaep_md:sha256", "rsa_mgf1_md:sha256")
        } else {
            ("rsa_oaep_md:sha1", "rsa_mgf1_md:sha1")
        };
        ["-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", oaep_md, "-pkeyopt", mgf1_md]
    }

    #[test]
    fn rsa_oaep_interoperates_with_openssl() {
        let t = tmp();
        for spec in [KeySpec::Rsa2048, KeySpec::Rsa3072, KeySpec::Rsa4096] {
            let k = key(spec);
            let pubf = write(t.path(), "pub.pem", k.public_key_pem().as_bytes());
            let privf = write(t.path(), "priv.p8.der", &private_pkcs8(spec));
            for alg in [A::RsaesOaepSha256, A::RsaesOaepSha1] {
                let max = k.max_plaintext_len(alg).unwrap();
                for pt in [b"Hello world".to_vec(), vec![0xc3; max]] {
                    let ptf = write(t.path(), "pt.bin", &pt);
                    // openssl -> us
                    let mut args = vec!["pkeyutl", "-encrypt", "-pubin", "-inkey", &pubf, "-in", &ptf];
                    args.extend(oaep_opts(alg));
                    let ct = openssl(&args);
                    assert!(k.decrypt(alg, &ct).unwrap().ct_eq(&pt), "{spec:?} {alg:?}");
                    // The other OAEP hash does not decrypt it.
                    let other = if alg == A::RsaesOaepSha256 { A::RsaesOaepSha1 } else { A::RsaesOaepSha256 };
                    assert!(matches!(k.decrypt(other, &ct), Err(AsymmetricError::Undecryptable)));
                    // us -> openssl
                    let ours = k.encrypt(alg, &pt).unwrap();
                    assert_eq!(ours.len(), k.public_key_spki_der().len() / 128 * 128, "k bytes");
                    let ctf = write(t.path(), "ct.bin", &ours);
                    let mut args = vec!["pkeyutl", "-decrypt", "-keyform", "DER", "-inkey", &privf, "-in", &ctf];
                    args.extend(oaep_opts(alg));
                    assert_eq!(openssl(&args), pt, "{spec:?} {alg:?}");
                }
            }
        }
    }

    #[test]
    fn rsa_plaintext_limits_match_alibaba() {
        for (spec, alg, max) in [
            (KeySpec::Rsa2048, A::RsaesOaepSha256, 190),
            (KeySpec::Rsa2048, A::RsaesOaepSha1, 214),
            (KeySpec::Rsa3072, A::RsaesOaepSha256, 318),
            (KeySpec::Rsa3072, A::RsaesOaepSha1, 342),
            (KeySpec::Rsa4096, A::RsaesOaepSha256, 446),
            (KeySpec::Rsa4096, A::RsaesOaepSha1, 470),
        ] {
            let k = key(spec);
            assert_eq!(k.max_plaintext_len(alg), Some(max));
            let ct = k.encrypt(alg, &vec![1; max]).unwrap();
            assert_eq!(k.decrypt(alg, &ct).unwrap().len(), max);
            assert!(
                matches!(k.encrypt(alg, &vec![1; max + 1]), Err(AsymmetricError::PlaintextTooLong { max: m }) if m == max)
            );
            // Empty plaintext is fine.
            let ct = k.encrypt(alg, b"").unwrap();
            assert!(k.decrypt(alg, &ct).unwrap().is_empty());
        }
    }

    #[test]
    fn sm2pke_interoperates_with_openssl_in_both_forms() {
        let t = tmp();
        let k = key(KeySpec::EcSm2);
        let pubf = write(t.path(), "pub.pem", k.public_key_pem().as_bytes());
        let privf = write(t.path(), "priv.p8.der", &private_pkcs8(KeySpec::EcSm2));
        for pt in [b"Hello world".to_vec(), vec![0x42; 32], vec![0x17; SM2PKE_MAX_PLAINTEXT]] {
            let ptf = write(t.path(), "pt.bin", &pt);
            // openssl -> us (DER), and the same ciphertext converted to raw C1C3C2.
            let ct = openssl(&["pkeyutl", "-encrypt", "-pubin", "-inkey", &pubf, "-in", &ptf]);
            assert_eq!(ct[0], 0x30);
            assert!(k.decrypt(A::Sm2Pke, &ct).unwrap().ct_eq(&pt));
            let raw = der_to_raw(&ct);
            assert_eq!(raw.len(), 97 + pt.len());
            assert!(k.decrypt(A::Sm2Pke, &raw).unwrap().ct_eq(&pt));
            // Compressed C1.
            let compressed = [&[0x02 | (raw[64] & 1)], &raw[1..33], &raw[65..]].concat();
            assert!(k.decrypt(A::Sm2Pke, &compressed).unwrap().ct_eq(&pt));
            // us (DER) -> openssl
            let ours = k.encrypt(A::Sm2Pke, &pt).unwrap();
            assert_eq!(ours[0], 0x30, "DER form");
            assert_eq!(der_to_raw(&ours).len(), 97 + pt.len());
            let ctf = write(t.path(), "ct.der", &ours);
            assert_eq!(openssl(&["pkeyutl", "-decrypt", "-keyform", "DER", "-inkey", &privf, "-in", &ctf]), pt);
        }
        assert!(matches!(
            k.encrypt(A::Sm2Pke, &vec![0; SM2PKE_MAX_PLAINTEXT + 1]),
            Err(AsymmetricError::PlaintextTooLong { max: SM2PKE_MAX_PLAINTEXT })
        ));
        assert_eq!(k.max_plaintext_len(A::Sm2Pke), Some(SM2PKE_MAX_PLAINTEXT));
        // A one-byte plaintext round-trips; an empty one is refused (RSA-OAEP takes it).
        let ct = k.encrypt(A::Sm2Pke, b"x").unwrap();
        assert_eq!(k.decrypt(A::Sm2Pke, &ct).unwrap().expose(), b"x");
        assert!(matches!(k.encrypt(A::Sm2Pke, b""), Err(AsymmetricError::Crypto(CryptoError::Library(_)))));
        assert!(matches!(
            encrypt_with_public_key(k.public_key_spki_der(), A::Sm2Pke, b""),
            Err(AsymmetricError::Crypto(CryptoError::Library(_)))
        ));
    }

    #[test]
    fn ciphertexts_of_another_key_do_not_decrypt() {
        let other_rsa =
            AsymmetricKey::new(KeySpec::Rsa2048, &crate::keygen::generate(KeySpec::Rsa2048).unwrap()).unwrap();
        let other_sm2 = AsymmetricKey::new(KeySpec::EcSm2, &crate::keygen::generate(KeySpec::EcSm2).unwrap()).unwrap();
        let ct = other_rsa.encrypt(A::RsaesOaepSha256, b"secret").unwrap();
        let k = key(KeySpec::Rsa2048);
        assert!(matches!(k.decrypt(A::RsaesOaepSha256, &ct), Err(AsymmetricError::Undecryptable)));
        let ct = other_sm2.encrypt(A::Sm2Pke, b"secret").unwrap();
        let k = key(KeySpec::EcSm2);
        assert!(matches!(k.decrypt(A::Sm2Pke, &ct), Err(AsymmetricError::Undecryptable)));
        assert!(matches!(k.decrypt(A::Sm2Pke, &der_to_raw(&ct)), Err(AsymmetricError::Undecryptable)));
    }

    #[test]
    fn ciphertext_mutations_never_panic() {
        let mut rng = Rng(0xc19e_4700_0002);
        let cases = [
            (KeySpec::Rsa2048, A::RsaesOaepSha256),
            (KeySpec::Rsa2048, A::RsaesOaepSha1),
            (KeySpec::Rsa3072, A::RsaesOaepSha256),
            (KeySpec::EcSm2, A::Sm2Pke),
        ];
        for (spec, alg) in cases {
            let k = key(spec);
            let pt = b"thirty-two bytes of data key....";
            let der = k.encrypt(alg, pt).unwrap();
            let mut forms = vec![der.clone()];
            if alg == A::Sm2Pke {
                forms.push(der_to_raw(&der));
            }
            for ct in forms {
                for i in 0..500 {
                    let m = rng.mutate(&ct, i);
                    match k.decrypt(alg, &m) {
                        Err(AsymmetricError::Undecryptable) => {}
                        // Another encoding of the same point (e.g. a SEC1 hybrid tag) is harmless.
                        Ok(p) if alg == A::Sm2Pke && p.expose() == pt => {}
                        Ok(_) => panic!("{spec:?} {alg:?} mutation {i} decrypted to something else"),
                        Err(e) => panic!("{spec:?} {alg:?} mutation {i}: {e}"),
                    }
                }
                for len in (0..ct.len()).step_by(7) {
                    assert!(matches!(k.decrypt(alg, &ct[..len]), Err(AsymmetricError::Undecryptable)));
                }
            }
            for len in [0, 1, 2, 16, 33, 65, 97, 98, 129, 255, 256, 257, 384, 1000] {
                for first in [None, Some(0x30), Some(0x04), Some(0x02)] {
                    let mut g = rng.bytes(len);
                    if let (Some(f), Some(b)) = (first, g.first_mut()) {
                        *b = f;
                    }
                    assert!(matches!(k.decrypt(alg, &g), Err(AsymmetricError::Undecryptable)), "{alg:?} {len}");
                }
            }
        }
    }

    #[test]
    fn encrypt_with_public_key_for_export() {
        let rsa = key(KeySpec::Rsa2048);
        let sm2 = key(KeySpec::EcSm2);
        let dk = [9u8; 32];
        for alg in [A::RsaesOaepSha256, A::RsaesOaepSha1] {
            let ct = encrypt_with_public_key(rsa.public_key_spki_der(), alg, &dk).unwrap();
            assert!(rsa.decrypt(alg, &ct).unwrap().ct_eq(&dk));
        }
        let ct = encrypt_with_public_key(sm2.public_key_spki_der(), A::Sm2Pke, &dk).unwrap();
        assert_eq!(ct[0], 0x30);
        assert!(sm2.decrypt(A::Sm2Pke, &ct).unwrap().ct_eq(&dk));
        // A 1024-byte data key does not fit RSA-2048.
        assert!(matches!(
            encrypt_with_public_key(rsa.public_key_spki_der(), A::RsaesOaepSha256, &[0; 1024]),
            Err(AsymmetricError::PlaintextTooLong { max: 190 })
        ));
        // Key type and algorithm must match.
        let invalid =
            |r: Result<Vec<u8>, AsymmetricError>| matches!(r, Err(AsymmetricError::Crypto(CryptoError::InvalidKey(_))));
        assert!(invalid(encrypt_with_public_key(sm2.public_key_spki_der(), A::RsaesOaepSha256, &dk)));
        assert!(invalid(encrypt_with_public_key(rsa.public_key_spki_der(), A::Sm2Pke, &dk)));
        let p256 = key(KeySpec::EcP256);
        assert!(invalid(encrypt_with_public_key(p256.public_key_spki_der(), A::Sm2Pke, &dk)));
        assert!(matches!(
            encrypt_with_public_key(rsa.public_key_spki_der(), A::RsaPssSha256, &dk),
            Err(AsymmetricError::UnsupportedAlgorithm)
        ));
        // Garbage keys never panic.
        let mut rng = Rng(0xe490_4700);
        for i in 0..300 {
            for spki in [rsa.public_key_spki_der(), sm2.public_key_spki_der()] {
                let m = rng.mutate(spki, i);
                for alg in [A::RsaesOaepSha256, A::Sm2Pke] {
                    let _ = encrypt_with_public_key(&m, alg, &dk);
                }
                let _ = public_key_spec(&m);
                let _ = sm2_z_digest(&m, b"m");
            }
        }
    }
}
