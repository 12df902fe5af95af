//! [`Error`]: every way a core operation can fail, as types. Protocol layers map each variant to
//! their wire code in one place (`keyward-server/src/error.rs`), never by message text.

use crate::model::KeyState;
use crate::store::StoreError;

/// Errors of core operations.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A parameter has a bad value; `name` is the wire-neutral parameter name.
    #[error("the specified parameter {name} is not valid: {detail}")]
    InvalidParameter {
        /// Parameter name (e.g. `KeySpec`).
        name: &'static str,
        /// What is wrong, for the message.
        detail: String,
    },
    /// No key with that id or ARN.
    #[error("the specified key is not found")]
    KeyNotFound,
    /// No alias with that name.
    #[error("the specified alias is not found")]
    AliasNotFound,
    /// A ciphertext blob that is malformed, forged, from an unknown key version, or whose
    /// encryption context does not match.
    #[error("the ciphertext is not valid")]
    InvalidCiphertext,
    /// No such version of the key.
    #[error("the specified key version is not found")]
    KeyVersionNotFound,
    /// An alias with that name exists.
    #[error("the alias already exists")]
    AliasAlreadyExists,
    /// No KMS instance with that id.
    #[error("the specified KMS instance is not found")]
    InstanceNotFound,
    /// The key's state forbids the operation (crypto and similar operations).
    #[error("the request was rejected because the key state is {}", .0.as_str())]
    KeyState(KeyState),
    /// An illegal state transition (EnableKey on a PendingDeletion key, ...).
    #[error("key state modification failed: the key is {}", .0.as_str())]
    StateModifiedFailed(KeyState),
    /// The key is protected against deletion.
    #[error("the key has deletion protection enabled; disable it before scheduling deletion")]
    DeletionProtected,
    /// The operation does not apply to this key or configuration.
    #[error("{0}")]
    UnsupportedOperation(String),
    /// The requested protection level is not available.
    #[error("this protection level is not valid for this region")]
    UnsupportedProtectionLevel,
    /// The operation needs an EXTERNAL key.
    #[error("this key origin is not valid for this api")]
    UnsupportedOrigin,
    /// The ImportToken is unknown, forged, belongs to another key, or the material was wrapped
    /// with the public key of another GetParametersForImport call.
    #[error("import token is invalid: {0}")]
    InvalidImportToken(String),
    /// A genuine ImportToken, but issued for another key (Huawei: KMS.2603).
    #[error("import token is invalid: the token was not issued for this key")]
    ImportTokenForAnotherKey,
    /// The ImportToken is older than 24 hours.
    #[error("import token is expired")]
    ExpiredImportToken,
    /// Invalid key material, untyped. The core now reports every import refusal as
    /// [`Error::Import`]; this variant stays for callers that build it themselves.
    #[error("key material is invalid: {0}")]
    InvalidKeyMaterial(String),
    /// Imported material (or its wrapping) was refused; [`ImportError`] says exactly why, so each
    /// protocol can give each case its own code (Huawei: KMS.0311, 2604, 2606, 2608–2610, …).
    #[error("key material is invalid: {0}")]
    Import(ImportError),
    /// The operation does not apply to HMAC keys (encryption, signing, public key, import), or an
    /// HMAC key was asked for something only other keys do. The text names the operation.
    #[error("HMAC keys do not support this operation: {0}")]
    HmacKeyUnsupported(String),
    /// A quota (instance keys, tags) would be exceeded.
    #[error("{0}")]
    LimitExceeded(String),
    /// An AccessKey id that does not exist.
    #[error("the AccessKey ID provided does not exist")]
    AccessKeyNotFound,
    /// A disabled AccessKey.
    #[error("this AccessKey is not enabled")]
    AccessKeyDisabled,
    /// The resource already exists (admin operations).
    #[error("{0} already exists")]
    AlreadyExists(&'static str),
    /// No secret with that name or ARN (also: a secret already purged).
    #[error("the specified secret is not found")]
    SecretNotFound,
    /// The secret exists but has no version with that id or stage; the text says which.
    #[error("the specified secret version is not found: {0}")]
    SecretVersionNotFound(String),
    /// The secret is scheduled for deletion (in its recovery window).
    #[error("the secret is planned to be deleted")]
    SecretInDeleteWindow,
    /// RestoreSecret on a secret that is not scheduled for deletion.
    #[error("the secret is not scheduled for deletion")]
    SecretNotInDeleteWindow,
    /// The encryption key of a secret is not usable, so the secret cannot be read or written.
    #[error("the secret's encryption key {key_id} is {}", .state.as_str())]
    SecretKeyState {
        /// The encryption key.
        key_id: String,
        /// Its (effective) state.
        state: KeyState,
    },
    /// A request whose parameters contradict each other or the resource (`param mismatch`).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// An administered object (principal, policy) that does not exist; the text names it.
    #[error("{0} not found")]
    NotFound(String),
    /// An administered object cannot be deleted while something uses it; the text says what.
    #[error("{0}")]
    InUse(String),
    /// Authorization refused the request: no policy allows `action` on `resource`, or one
    /// denies it explicitly.
    #[error("this operation is forbidden by permission system: {action} on {resource} is not allowed for {principal}")]
    Forbidden {
        /// `kms:<Action>`.
        action: String,
        /// The resource ARN that was checked.
        resource: String,
        /// The caller's principal ARN.
        principal: String,
    },
    /// Our own fault: storage, sealing, key generation. Details are logged, not returned.
    #[error("internal failure: {0}")]
    Internal(String),
}

/// Why an import was refused (inside [`Error::Import`]). Messages never contain key material.
///
/// | variant | Huawei code (HUAWEI.md §1.10) | Alibaba code |
/// |---|---|---|
/// | `Undecryptable` | KMS.0311 | InvalidKeyMaterial |
/// | `MaterialLength` | KMS.2604 | InvalidKeyMaterial |
/// | `MaterialMismatch` | KMS.2606 | InvalidKeyMaterial |
/// | `PrivateKeyMissing` | KMS.2608 | InvalidKeyMaterial |
/// | `InvalidPrivateKey` | KMS.2609 | InvalidKeyMaterial |
/// | `TemporaryKeyLength` | KMS.2610 | InvalidKeyMaterial |
/// | `ExpiryNotInFuture`, `ExpiryTooLate` | KMS.2602 | InvalidParameter (`KeyMaterialExpireUnix`) |
/// | `ExpiryNotSupported` | KMS.0325 | Rejected.UnsupportedOperation |
/// | `NotPendingImport` | KMS.0310 | Rejected.StateModifiedFailed |
/// | `Invalid` | KMS.0308 | InvalidKeyMaterial |
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// The encrypted material (or the encrypted temporary key) does not decrypt with the token's
    /// wrapping key and algorithm (also: every failure with `RSAES_PKCS1_V1_5`, which must not
    /// tell a bad padding from a bad length). The text says which.
    #[error("{0}")]
    Undecryptable(String),
    /// Symmetric material of the wrong length for the key spec; the text gives both lengths.
    #[error("{0}")]
    MaterialLength(String),
    /// The material differs from the material first imported into the key (binding rule).
    #[error("the material differs from the material first imported into this key")]
    MaterialMismatch,
    /// An asymmetric key needs the wrapped private key and none was given.
    #[error("an asymmetric key needs the wrapped private key (PKCS#8 under the temporary key)")]
    PrivateKeyMissing,
    /// The private key does not unwrap under the temporary key (RFC 5649), is not an unencrypted
    /// PKCS#8 DER key, or does not match the key spec (type, RSA size, curve). The text says what.
    #[error("{0}")]
    InvalidPrivateKey(String),
    /// The decrypted temporary key is neither 16 nor 32 bytes (its length).
    #[error("the temporary key must be 16 or 32 bytes, not {0}")]
    TemporaryKeyLength(usize),
    /// The expiry time is not in the future.
    #[error("must be 0 (never) or a time in the future")]
    ExpiryNotInFuture,
    /// The expiry time is after 9999-12-31T23:59:59Z (usually milliseconds given as seconds).
    #[error("must be Unix seconds no later than 9999-12-31T23:59:59Z (not milliseconds)")]
    ExpiryTooLate,
    /// An expiry time was given for asymmetric material, which never expires.
    #[error("imported asymmetric key material never expires; do not set an expiration time")]
    ExpiryNotSupported,
    /// The operation needs a key in `PendingImport` state; the key is in this (effective) state.
    #[error("the key is {}, not PendingImport", .0.as_str())]
    NotPendingImport(KeyState),
    /// Any other refusal (a wrapping that cannot carry this key spec, …).
    #[error("{0}")]
    Invalid(String),
}

impl From<ImportError> for Error {
    fn from(e: ImportError) -> Self {
        Self::Import(e)
    }
}

impl Error {
    /// Shorthand for [`Error::InvalidParameter`].
    pub fn invalid(name: &'static str, detail: impl Into<String>) -> Self {
        Self::InvalidParameter { name, detail: detail.into() }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::QuotaExceeded => Self::LimitExceeded("the KMS instance's key quota is exhausted".into()),
            other => Self::Internal(error_chain(&other)),
        }
    }
}

impl From<keyward_crypto::CryptoError> for Error {
    fn from(e: keyward_crypto::CryptoError) -> Self {
        Self::Internal(error_chain(&e))
    }
}

/// Formats an error with its `source()` chain, for logs.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}
