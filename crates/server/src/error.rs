//! [`ApiError`] and the one mapping from every failure to an Alibaba error (HTTP status, `Code`,
//! `Message`). Mapping is by type, never by message text. 5xx responses hide details; the log
//! gets them under the same `RequestId`.

use keyward_core::model::KeyState;
use keyward_core::{Error, ImportError};
use keyward_protocol::codes::{self, ErrorCode};
use keyward_protocol::params::ParamError;

/// An error on its way to the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// Status and code.
    pub code: ErrorCode,
    /// Message for the client.
    pub message: String,
    /// Detail for the server log only (5xx).
    pub log_detail: Option<String>,
}

impl ApiError {
    /// An error with the code's documented message.
    pub fn new(code: ErrorCode) -> Self {
        Self { code, message: code.message.to_string(), log_detail: None }
    }

    /// An error with a specific message.
    pub fn with_message(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), log_detail: None }
    }

    /// `InvalidParameter` naming the parameter.
    pub fn invalid(name: &str, detail: impl std::fmt::Display) -> Self {
        Self::with_message(
            codes::INVALID_PARAMETER,
            format!("The specified parameter \"{name}\" is not valid. {detail}"),
        )
    }

    /// `InternalFailure`; `detail` goes to the log only.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self {
            code: codes::INTERNAL_FAILURE,
            message: codes::INTERNAL_FAILURE.message.into(),
            log_detail: Some(detail.into()),
        }
    }
}

impl From<ParamError> for ApiError {
    fn from(e: ParamError) -> Self {
        match e {
            ParamError::Missing(name) => Self::with_message(
                codes::MISSING_PARAMETER,
                format!("The parameter \"{name}\" is needed but not provided."),
            ),
            ParamError::Invalid { name, detail } => Self::invalid(&name, detail),
        }
    }
}

fn state_code(s: KeyState) -> ErrorCode {
    match s {
        KeyState::Enabled => codes::REJECTED_ENABLED,
        KeyState::Disabled => codes::REJECTED_DISABLED,
        KeyState::PendingDeletion => codes::REJECTED_PENDING_DELETION,
        KeyState::PendingImport => codes::REJECTED_PENDING_IMPORT,
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        match e {
            Error::InvalidParameter { name, detail } => Self::invalid(name, detail),
            Error::KeyNotFound => Self::new(codes::KEY_NOT_FOUND),
            Error::AliasNotFound => Self::new(codes::ALIAS_NOT_FOUND),
            Error::KeyVersionNotFound => Self::new(codes::KEY_VERSION_NOT_FOUND),
            Error::InvalidCiphertext => Self::with_message(
                codes::INVALID_PARAMETER,
                "The specified parameter \"CiphertextBlob\" is not valid: it is malformed, was not made by this \
                 KMS, or the EncryptionContext does not match.",
            ),
            Error::AliasAlreadyExists => Self::new(codes::ALIAS_ALREADY_EXISTS),
            Error::InvalidImportToken(why) => {
                Self::with_message(codes::INVALID_IMPORT_TOKEN, format!("The import token is invalid: {why}."))
            }
            Error::ImportTokenForAnotherKey => Self::with_message(
                codes::INVALID_IMPORT_TOKEN,
                "The import token is invalid: the token was not issued for this key.",
            ),
            Error::Import(e) => match e {
                ImportError::ExpiryNotInFuture | ImportError::ExpiryTooLate => {
                    Self::invalid("KeyMaterialExpireUnix", e)
                }
                ImportError::ExpiryNotSupported => Self::with_message(codes::UNSUPPORTED_OPERATION, e.to_string()),
                ImportError::NotPendingImport(s) => Self::with_message(
                    codes::STATE_MODIFIED_FAILED,
                    format!("Keystate modified failed: the key is in state {}.", s.as_str()),
                ),
                _ => Self::with_message(codes::INVALID_KEY_MATERIAL, format!("The key material is invalid: {e}.")),
            },
            Error::HmacKeyUnsupported(m) => Self::with_message(
                codes::UNSUPPORTED_OPERATION,
                format!("HMAC keys do not support this operation: {m}."),
            ),
            Error::ExpiredImportToken => Self::with_message(
                codes::EXPIRED_IMPORT_TOKEN,
                "The import token is expired (tokens are valid for 24 hours); call GetParametersForImport again.",
            ),
            Error::InvalidKeyMaterial(why) => {
                Self::with_message(codes::INVALID_KEY_MATERIAL, format!("The key material is invalid: {why}."))
            }
            Error::InstanceNotFound => Self::new(codes::DKMS_INSTANCE_NOT_FOUND),
            Error::KeyState(s) => Self::new(state_code(s)),
            Error::StateModifiedFailed(s) => Self::with_message(
                codes::STATE_MODIFIED_FAILED,
                format!("Keystate modified failed: the key is in state {}.", s.as_str()),
            ),
            Error::DeletionProtected => Self::with_message(
                codes::UNSUPPORTED_OPERATION,
                "The key has deletion protection enabled; call SetDeletionProtection with EnableDeletionProtection=false first.",
            ),
            Error::UnsupportedOperation(m) => Self::with_message(codes::UNSUPPORTED_OPERATION, m),
            Error::UnsupportedProtectionLevel => Self::new(codes::UNSUPPORTED_PROTECTION_LEVEL),
            Error::UnsupportedOrigin => Self::new(codes::UNSUPPORTED_ORIGIN),
            Error::LimitExceeded(m) => Self::with_message(codes::LIMIT_EXCEEDED, m),
            Error::AccessKeyNotFound => Self::new(codes::INVALID_ACCESS_KEY_ID),
            Error::AccessKeyDisabled => Self::new(codes::FORBIDDEN_ACCESS_KEY),
            Error::AlreadyExists(what) => {
                Self::with_message(codes::RESOURCE_EXIST, format!("The {what} already exists."))
            }
            Error::SecretNotFound => Self::new(codes::RESOURCE_NOT_FOUND),
            Error::SecretVersionNotFound(what) => Self::with_message(
                codes::RESOURCE_NOT_FOUND,
                format!("The resource is not found: the secret has no {what}."),
            ),
            Error::SecretInDeleteWindow => Self::with_message(
                codes::RESOURCE_IN_DELETE_WINDOW,
                "The secret is planned to be deleted; call RestoreSecret to use it again.",
            ),
            Error::SecretNotInDeleteWindow => Self::with_message(
                codes::RESOURCE_IN_USE,
                "restore normal secret: the secret is not scheduled for deletion.",
            ),
            Error::SecretKeyState { key_id, state } => Self::with_message(
                state_code(state),
                format!(
                    "The request was rejected because the secret's encryption key {key_id} is in state {}.",
                    state.as_str()
                ),
            ),
            Error::InvalidRequest(why) => Self::with_message(codes::INVALID_REQUEST, format!("param mismatch: {why}")),
            Error::NotFound(what) => Self::with_message(codes::RESOURCE_NOT_FOUND, format!("The {what} is not found.")),
            Error::InUse(why) => Self::with_message(codes::RESOURCE_IN_USE, why),
            Error::Forbidden { action, resource, principal } => Self::with_message(
                codes::NO_PERMISSION,
                format!(
                    "This operation is forbidden by permission system: {principal} is not allowed to perform \
                     {action} on {resource}."
                ),
            ),
            Error::Internal(detail) => Self::internal(detail),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_error_has_its_documented_code() {
        let table: Vec<(Error, u16, &str)> = vec![
            (Error::invalid("KeySpec", "x"), 400, "InvalidParameter"),
            (Error::KeyNotFound, 404, "Forbidden.KeyNotFound"),
            (Error::AliasNotFound, 404, "Forbidden.AliasNotFound"),
            (Error::KeyVersionNotFound, 404, "Forbidden.KeyVersionNotFound"),
            (Error::InvalidCiphertext, 400, "InvalidParameter"),
            (Error::AliasAlreadyExists, 400, "AliasAlreadyExists"),
            (Error::InvalidImportToken("x".into()), 400, "InvalidImportToken"),
            (Error::ExpiredImportToken, 400, "ExpiredImportToken"),
            (Error::InvalidKeyMaterial("x".into()), 400, "InvalidKeyMaterial"),
            (Error::ImportTokenForAnotherKey, 400, "InvalidImportToken"),
            (Error::Import(ImportError::Undecryptable("x".into())), 400, "InvalidKeyMaterial"),
            (Error::Import(ImportError::MaterialLength("x".into())), 400, "InvalidKeyMaterial"),
            (Error::Import(ImportError::MaterialMismatch), 400, "InvalidKeyMaterial"),
            (Error::Import(ImportError::PrivateKeyMissing), 400, "InvalidKeyMaterial"),
            (Error::Import(ImportError::InvalidPrivateKey("x".into())), 400, "InvalidKeyMaterial"),
            (Error::Import(ImportError::TemporaryKeyLength(24)), 400, "InvalidKeyMaterial"),
            (Error::Import(ImportError::Invalid("x".into())), 400, "InvalidKeyMaterial"),
            (Error::Import(ImportError::ExpiryNotInFuture), 400, "InvalidParameter"),
            (Error::Import(ImportError::ExpiryTooLate), 400, "InvalidParameter"),
            (Error::Import(ImportError::ExpiryNotSupported), 400, "Rejected.UnsupportedOperation"),
            (Error::Import(ImportError::NotPendingImport(KeyState::Enabled)), 409, "Rejected.StateModifiedFailed"),
            (Error::HmacKeyUnsupported("x".into()), 400, "Rejected.UnsupportedOperation"),
            (Error::InstanceNotFound, 403, "Forbidden.DKMSInstanceNotFound"),
            (Error::KeyState(KeyState::Disabled), 409, "Rejected.Disabled"),
            (Error::KeyState(KeyState::PendingDeletion), 409, "Rejected.PendingDeletion"),
            (Error::KeyState(KeyState::PendingImport), 409, "Rejected.PendingImport"),
            (Error::KeyState(KeyState::Enabled), 409, "Rejected.Enabled"),
            (Error::StateModifiedFailed(KeyState::Enabled), 409, "Rejected.StateModifiedFailed"),
            (Error::DeletionProtected, 400, "Rejected.UnsupportedOperation"),
            (Error::UnsupportedOperation("x".into()), 400, "Rejected.UnsupportedOperation"),
            (Error::UnsupportedProtectionLevel, 400, "Unsupported.ProtectionLevel"),
            (Error::UnsupportedOrigin, 400, "Unsupported.Origin"),
            (Error::LimitExceeded("x".into()), 400, "Rejected.LimitExceeded"),
            (Error::AccessKeyNotFound, 404, "InvalidAccessKeyId.NotFound"),
            (Error::AccessKeyDisabled, 403, "Forbidden.AccessKey"),
            (Error::AlreadyExists("x"), 409, "Rejected.ResourceExist"),
            (Error::SecretNotFound, 404, "Forbidden.ResourceNotFound"),
            (Error::SecretVersionNotFound("stage X".into()), 404, "Forbidden.ResourceNotFound"),
            (Error::SecretInDeleteWindow, 409, "Rejected.ResourceInDeleteWindow"),
            (Error::SecretNotInDeleteWindow, 409, "Rejected.ResourceInUse"),
            (Error::SecretKeyState { key_id: "k".into(), state: KeyState::Disabled }, 409, "Rejected.Disabled"),
            (
                Error::SecretKeyState { key_id: "k".into(), state: KeyState::PendingDeletion },
                409,
                "Rejected.PendingDeletion",
            ),
            (
                Error::SecretKeyState { key_id: "k".into(), state: KeyState::PendingImport },
                409,
                "Rejected.PendingImport",
            ),
            (Error::InvalidRequest("x".into()), 400, "Rejected.InvalidRequest"),
            (
                Error::Forbidden {
                    action: "kms:Encrypt".into(),
                    resource: "acs:kms:r:1:key/k".into(),
                    principal: "p".into(),
                },
                403,
                "Forbidden.NoPermission",
            ),
            (Error::Internal("disk on fire".into()), 500, "InternalFailure"),
        ];
        for (e, status, code) in table {
            let a = ApiError::from(e);
            assert_eq!((a.code.status, a.code.code), (status, code));
            assert!(!a.message.contains("disk on fire"), "5xx details must not reach the client");
        }
        assert_eq!(ApiError::from(ParamError::Missing("KeyId".into())).code.code, "MissingParameter");
    }
}
