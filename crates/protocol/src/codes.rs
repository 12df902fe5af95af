//! Alibaba KMS error codes with their HTTP status and documented message (ALIBABA.md §3.2).
//! The server picks one of these for every failure in exactly one place (`server/src/error.rs`).

/// An error code as it goes on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode {
    /// HTTP status.
    pub status: u16,
    /// `Code` field.
    pub code: &'static str,
    /// Documented message (a more specific one may replace it).
    pub message: &'static str,
}

macro_rules! codes {
    ($($name:ident = $status:literal, $code:literal, $msg:literal;)*) => {
        $(
            #[doc = concat!("`", $code, "` (HTTP ", stringify!($status), ").")]
            pub const $name: ErrorCode = ErrorCode { status: $status, code: $code, message: $msg };
        )*
        /// Every code, for table tests.
        pub const ALL: &[ErrorCode] = &[$($name),*];
    };
}

codes! {
    MISSING_PARAMETER = 400, "MissingParameter", "The parameter is needed but not provided.";
    INVALID_PARAMETER = 400, "InvalidParameter", "The specified parameter is not valid.";
    INCOMPLETE_SIGNATURE = 400, "IncompleteSignature", "The request signature does not conform to Alibaba Cloud standards.";
    ILLEGAL_TIMESTAMP = 400, "IllegalTimestamp", "The input parameter \"Timestamp\" that is mandatory for processing this request is not supplied.";
    SIGNATURE_DOES_NOT_MATCH = 400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.";
    SIGNATURE_NONCE_USED = 400, "SignatureNonceUsed", "Specified signature nonce was used already.";
    MISSING_SIGNATURE = 400, "MissingSignature", "The request must be signed: no Authorization header and no Signature parameter.";
    INVALID_ACCESS_KEY_ID = 404, "InvalidAccessKeyId.NotFound", "The Access Key ID provided does not exist in our records.";
    FORBIDDEN_ACCESS_KEY = 403, "Forbidden.AccessKey", "This AccessKey is not enabled.";
    NO_PERMISSION = 403, "Forbidden.NoPermission", "This operation is forbidden by permission system.";
    UNSUPPORTED_HTTP_METHOD = 403, "UnsupportedHTTPMethod", "This http method is not supported.";
    INVALID_ACTION = 404, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.";
    INVALID_VERSION = 400, "InvalidVersion", "Specified parameter Version is not valid.";
    DKMS_INSTANCE_NOT_FOUND = 403, "Forbidden.DKMSInstanceNotFound", "The specified DKMS Instance is not found.";
    KEY_NOT_FOUND = 404, "Forbidden.KeyNotFound", "The specified Key is not found.";
    KEY_VERSION_NOT_FOUND = 404, "Forbidden.KeyVersionNotFound", "The specified Key version is not found.";
    INVALID_KEY_MATERIAL = 400, "InvalidKeyMaterial", "key material is invalid";
    INVALID_IMPORT_TOKEN = 400, "InvalidImportToken", "import token is invalid";
    EXPIRED_IMPORT_TOKEN = 400, "ExpiredImportToken", "import token is expired";
    ALIAS_ALREADY_EXISTS = 400, "AliasAlreadyExists", "AliasName Already Exists.";
    ALIAS_NOT_FOUND = 404, "Forbidden.AliasNotFound", "The specified Alias is not found.";
    LIMIT_EXCEEDED = 400, "Rejected.LimitExceeded", "The request was rejected because user create resource limit was exceeded.";
    UNSUPPORTED_ORIGIN = 400, "Unsupported.Origin", "This key origin is not valid for this api.";
    UNSUPPORTED_PROTECTION_LEVEL = 400, "Unsupported.ProtectionLevel", "This protection level is not valid for this region.";
    UNSUPPORTED_OPERATION = 400, "Rejected.UnsupportedOperation", "Unsupported operation.";
    REJECTED_DISABLED = 409, "Rejected.Disabled", "The request was rejected because the key state is Disabled.";
    REJECTED_PENDING_DELETION = 409, "Rejected.PendingDeletion", "The request was rejected because the key state is PendingDeletion.";
    REJECTED_PENDING_IMPORT = 409, "Rejected.PendingImport", "The request was rejected because the key state is PendingImport.";
    REJECTED_ENABLED = 409, "Rejected.Enabled", "The request was rejected because the key state is Enabled.";
    STATE_MODIFIED_FAILED = 409, "Rejected.StateModifiedFailed", "Keystate modified failed.";
    RESOURCE_NOT_FOUND = 404, "Forbidden.ResourceNotFound", "The resource is not found.";
    RESOURCE_IN_DELETE_WINDOW = 409, "Rejected.ResourceInDeleteWindow", "The secret is planned to be deleted.";
    RESOURCE_IN_USE = 409, "Rejected.ResourceInUse", "restore normal secret";
    INVALID_REQUEST = 400, "Rejected.InvalidRequest", "param mismatch";
    RESOURCE_EXIST = 409, "Rejected.ResourceExist", "The resource already exists.";
    DRY_RUN = 400, "DryRunOperationError", "Request validation has been passed with DryRun flag set.";
    PAYLOAD_TOO_LARGE = 413, "RequestEntityTooLarge", "The request body is too large.";
    INTERNAL_FAILURE = 500, "InternalFailure", "Internal Failure.";
    SERVICE_UNAVAILABLE = 503, "ServiceUnavailableTemporary", "Service Unavailable Temporary.";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_only_internal_faults_are_5xx() {
        for (i, a) in ALL.iter().enumerate() {
            assert!(ALL[i + 1..].iter().all(|b| b.code != a.code), "{}", a.code);
            let ours = matches!(a.code, "InternalFailure" | "ServiceUnavailableTemporary");
            assert_eq!(a.status >= 500, ours, "{}", a.code);
        }
    }
}
