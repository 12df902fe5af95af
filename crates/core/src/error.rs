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
    /// The ImportToken is older than 24 hours.
    #[error("import token is expired")]
    ExpiredImportToken,
    /// The material does not decrypt, does not fit the key spec, or differs from the material
    /// first imported into the key.
    #[error("key material is invalid: {0}")]
    InvalidKeyMaterial(String),
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
    /// Our own fault: storage, sealing, key generation. Details are logged, not returned.
    #[error("internal failure: {0}")]
    Internal(String),
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
