//! Pure cryptography for keyward: no I/O, no database, no HTTP.
//!
//! - [`spec`]: the key specs and usages of Alibaba Cloud KMS (API 2016-01-20, ALIBABA.md §4.3).
//! - [`keygen`]: generation of key material for every spec.
//! - [`secret`]: [`SecretBytes`], the one type that holds plaintext key material.
//! - [`barrier`]: the root-key barrier that seals every secret record before it reaches a store
//!   (DESIGN.md §2).
//! - [`random`]: system randomness and identifiers derived from it.
//! - [`mac`]: [`mac::MacKey`], HMAC-SHA-256/384/512 for HMAC keys (GenerateMac / VerifyMac).
//! - [`kwp`]: AES key wrap with padding (RFC 5649), the Huawei import flow's private-key wrapping.
//! - [`byok`]: Bring Your Own Key — wrapping key pairs, unwrapping imported material (server)
//!   and wrapping it (client, CLI) for every documented wrapping algorithm.
//! - [`aead`]: [`aead::SymmetricKey`], AES-GCM and SM4-GCM sealing for the symmetric crypto APIs.
//! - [`blob`]: the ciphertext blob (`KeyVersionId ‖ IV ‖ ciphertext ‖ tag`, DESIGN.md §3) and its AAD.
//! - [`context`]: `EncryptionContext` parsing and its canonical (sorted, compact JSON) form.
//! - [`asymmetric`]: [`asymmetric::AsymmetricKey`], AsymmetricEncrypt/Decrypt/Sign/Verify and
//!   GetPublicKey for RSA, ECDSA (P-256, secp256k1) and SM2.

pub mod aead;
pub mod asymmetric;
pub mod barrier;
pub mod blob;
pub mod byok;
pub mod context;
pub mod keygen;
pub mod kwp;
pub mod mac;
pub mod random;
pub mod secret;
pub mod spec;

pub use barrier::{Barrier, MacPurpose, RecordKind};
pub use secret::SecretBytes;
pub use spec::{KeySpec, KeyUsage};

/// Errors of the cryptographic layer. Messages never contain key material.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// A sealed record failed authentication: wrong root key, wrong record, or tampering.
    #[error("sealed record failed authentication")]
    Unseal,
    /// A sealed record is too short or has an unknown format version.
    #[error("sealed record is malformed")]
    MalformedSealed,
    /// A key has the wrong length or encoding.
    #[error("invalid key: {0}")]
    InvalidKey(&'static str),
    /// The underlying library refused an operation (key generation, RNG).
    #[error("cryptographic library failure: {0}")]
    Library(&'static str),
}
