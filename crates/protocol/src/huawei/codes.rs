//! Huawei KMS error codes with their HTTP status and documented message (HUAWEI.md §1.10,
//! from the Open Telekom Cloud error-code table). The server picks one of these for every
//! failure in exactly one place (`server/src/huawei/error.rs`). `APIGW.0301` is the gateway's
//! authentication failure, answered in the flat shape (see [`KmsCode::is_gateway`]).

/// An error code as it goes on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KmsCode {
    /// HTTP status.
    pub status: u16,
    /// `error_code` field.
    pub code: &'static str,
    /// Documented `error_msg` (a more specific one may replace it).
    pub message: &'static str,
}

impl KmsCode {
    /// Gateway errors use the flat body `{"error_code","error_msg","request_id"}`; KMS errors
    /// the nested `{"error":{"error_code","error_msg"}}`.
    pub fn is_gateway(&self) -> bool {
        self.code.starts_with("APIGW.")
    }
}

macro_rules! kms_codes {
    ($($name:ident = $status:literal, $code:literal, $msg:literal;)*) => {
        $(
            #[doc = concat!("`", $code, "` (HTTP ", stringify!($status), "): ", $msg)]
            pub const $name: KmsCode = KmsCode { status: $status, code: $code, message: $msg };
        )*
        /// Every code, for table tests.
        pub const ALL: &[KmsCode] = &[$($name),*];
    };
}

kms_codes! {
    APIGW_0301 = 401, "APIGW.0301", "Incorrect IAM authentication information: verify aksk signature fail";
    KMS_0101 = 500, "KMS.0101", "KMS error.";
    KMS_0103 = 500, "KMS.0103", "A system exception occurred. Contact technical support.";
    KMS_0104 = 503, "KMS.0104", "A system exception occurred. Contact technical support.";
    KMS_0201 = 400, "KMS.0201", "Invalid request URL.";
    KMS_0202 = 400, "KMS.0202", "Invalid JSON format of the request message.";
    KMS_0203 = 400, "KMS.0203", "Request message too long.";
    KMS_0204 = 400, "KMS.0204", "Parameters missing in the request message.";
    KMS_0205 = 400, "KMS.0205", "Invalid key ID.";
    KMS_0206 = 400, "KMS.0206", "Invalid sequence number.";
    KMS_0207 = 404, "KMS.0207", "The key does not exist.";
    KMS_0208 = 400, "KMS.0208", "Invalid value of value encryption_context.";
    KMS_0209 = 400, "KMS.0209", "The key has been disabled.";
    KMS_0210 = 400, "KMS.0210", "The key is in Scheduled deletion state and cannot be used.";
    KMS_0211 = 400, "KMS.0211", "Cannot perform this operation on Default Master Keys.";
    KMS_0214 = 400, "KMS.0214", "The request format is invalid.";
    KMS_0215 = 405, "KMS.0215", "Request method not supported.";
    KMS_0306 = 403, "KMS.0306", "No access permissions.";
    KMS_0308 = 400, "KMS.0308", "Invalid parameter.";
    KMS_0309 = 400, "KMS.0309", "External keys required.";
    KMS_0310 = 400, "KMS.0310", "The key is not in Pending import state.";
    KMS_0311 = 400, "KMS.0311", "Failed to decrypt data using the RSA private key.";
    KMS_0312 = 400, "KMS.0312", "External keys cannot be rotated.";
    KMS_0321 = 403, "KMS.0321", "URIs in URL and X-Auth-Token do not match.";
    KMS_0325 = 400, "KMS.0325", "The asymmetric key is not support this operation.";
    KMS_0329 = 400, "KMS.0329", "Hash algorithm does not match the digest length.";
    KMS_0331 = 400, "KMS.0331", "The symmetric key is not support this operation.";
    KMS_0332 = 400, "KMS.0332", "This key is not support the signing algorithm.";
    KMS_0334 = 400, "KMS.0334", "The cmk is used to encrypt and decrypt.";
    KMS_0335 = 400, "KMS.0335", "The cmk is used to sign and verify.";
    KMS_0341 = 400, "KMS.0341", "The hmac key do not support this operation.";
    KMS_0401 = 400, "KMS.0401", "Invalid tag key or value.";
    KMS_0409 = 400, "KMS.0409", "Too many tags.";
    KMS_0416 = 404, "KMS.0416", "Invalid tag ID.";
    KMS_1101 = 400, "KMS.1101", "Invalid key_alias.";
    KMS_1103 = 400, "KMS.1103", "Invalid key_description.";
    KMS_1104 = 400, "KMS.1104", "Duplicate key aliases.";
    KMS_1105 = 400, "KMS.1105", "Too many keys.";
    KMS_1110 = 400, "KMS.1110", "Invalid alg_type.";
    KMS_1114 = 400, "KMS.1114", "EC keys do not support to encrypt/decrypt.";
    KMS_1115 = 400, "KMS.1115", "Symmetric keys do not support to sign/verify.";
    KMS_1201 = 400, "KMS.1201", "The key is not disabled.";
    KMS_1301 = 400, "KMS.1301", "The key is not enabled.";
    KMS_1401 = 400, "KMS.1401", "Set the pending deletion period between 7 to 1096 days.";
    KMS_1402 = 400, "KMS.1402", "The key is already in Pending deletion state.";
    KMS_1501 = 400, "KMS.1501", "The key is not in Pending deletion state.";
    KMS_1601 = 400, "KMS.1601", "Invalid limit.";
    KMS_1602 = 400, "KMS.1602", "marker must be greater than or equals 0.";
    KMS_1801 = 400, "KMS.1801", "random_data_length must be 512 bits.";
    KMS_1802 = 400, "KMS.1802", "random_data_length must be a multiple of 8, between 8 and 8192.";
    KMS_1901 = 400, "KMS.1901", "datakey_length must be between 8 and 8192 bits.";
    KMS_1902 = 400, "KMS.1902", "key_spec must be AES_128 or AES_256.";
    KMS_1903 = 400, "KMS.1903", "datakey_length must be a multiple of 8.";
    KMS_2101 = 400, "KMS.2101", "Invalid plain_text of the data key.";
    KMS_2102 = 400, "KMS.2102", "Invalid datakey_plain_length.";
    KMS_2103 = 400, "KMS.2103", "The SHA-256 digest of the data key does not match.";
    KMS_2104 = 400, "KMS.2104", "The data key length does not match datakey_plain_length.";
    KMS_2105 = 400, "KMS.2105", "Symmetric keys do not support this encryption algorithm.";
    KMS_2106 = 400, "KMS.2106", "RSA keys do not support this encryption algorithm.";
    KMS_2108 = 400, "KMS.2108", "The RSA plain_text is too long.";
    KMS_2201 = 400, "KMS.2201", "Invalid cipher_text.";
    KMS_2202 = 400, "KMS.2202", "Invalid datakey_cipher_length.";
    KMS_2203 = 400, "KMS.2203", "The data key cannot be decrypted.";
    KMS_2204 = 400, "KMS.2204", "The data key length does not match datakey_cipher_length.";
    KMS_2601 = 400, "KMS.2601", "Token expired.";
    KMS_2602 = 400, "KMS.2602", "Key expiration time must be later than the current time.";
    KMS_2603 = 400, "KMS.2603", "Key IDs in the imported key and token do not match.";
    KMS_2604 = 400, "KMS.2604", "The external key plaintext length must be 32 bits.";
    KMS_2605 = 400, "KMS.2605", "Token verification failed.";
    KMS_2606 = 400, "KMS.2606", "You are importing a deleted key again. The imported plaintext must be the same as the deleted key plaintext.";
    KMS_2608 = 400, "KMS.2608", "The imported asymmetric private key can not be null.";
    KMS_2609 = 400, "KMS.2609", "The imported asymmetric private is invalid.";
    KMS_2610 = 400, "KMS.2610", "The temporary key length must be 16 or 32.";
    KMS_2701 = 400, "KMS.2701", "Key material is not in Enabled or Disabled state and cannot be deleted.";
    KMS_2702 = 400, "KMS.2702", "The imported private key material can not be deleted.";
}

/// Looks a code up by its `error_code` string.
pub fn by_code(code: &str) -> Option<KmsCode> {
    ALL.iter().copied().find(|c| c.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_well_formed_and_have_documented_statuses() {
        for (i, c) in ALL.iter().enumerate() {
            assert!(ALL[..i].iter().all(|o| o.code != c.code), "duplicate {}", c.code);
            assert!(c.code.starts_with("KMS.") || c.is_gateway(), "{}", c.code);
            assert!([400, 401, 403, 404, 405, 500, 503].contains(&c.status), "{}", c.code);
            assert!(!c.message.is_empty());
            assert_eq!(by_code(c.code), Some(*c));
        }
        assert_eq!((KMS_0207.status, KMS_0207.code), (404, "KMS.0207"));
        assert_eq!((APIGW_0301.status, APIGW_0301.is_gateway()), (401, true));
        assert!(!KMS_0201.is_gateway());
        assert_eq!(by_code("KMS.9999"), None);
    }
}
