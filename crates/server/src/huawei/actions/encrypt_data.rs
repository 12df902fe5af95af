//! encrypt-data. Symmetric keys (`SYMMETRIC_DEFAULT`): the ciphertext is the same blob the
//! Alibaba Encrypt returns (it names the key version, so decrypt-data needs no key id and
//! ciphertexts cross protocols), with `encryption_context` / `additional_authenticated_data` as
//! its context ([`common::context_json`]). Asymmetric keys (`RSAES_OAEP_SHA_256`, also
//! `RSAES_OAEP_SHA_1`, and `SM2_ENCRYPT`): a raw ciphertext under the primary version, as the
//! Alibaba AsymmetricEncrypt makes it. `plain_text` is 1–4096 bytes of UTF-8.

use keyward_core::Error;
use keyward_core::model::{KeyRecord, KeySpec, KeyUsage};
use keyward_crypto::asymmetric::AsymmetricAlgorithm;
use keyward_protocol::huawei::codes;
use serde_json::json;

use crate::huawei::actions::common;
use crate::huawei::error::HwError;
use crate::huawei::{Ctx, Reply};

/// Longest `plain_text`, bytes.
pub const MAX_PLAIN_TEXT: usize = 4096;
/// The symmetric algorithm name.
pub const SYMMETRIC_DEFAULT: &str = "SYMMETRIC_DEFAULT";

/// The asymmetric algorithm of an `encryption_algorithm` name.
pub fn asymmetric_algorithm(name: &str) -> Option<AsymmetricAlgorithm> {
    match name {
        "RSAES_OAEP_SHA_256" => Some(AsymmetricAlgorithm::RsaesOaepSha256),
        "RSAES_OAEP_SHA_1" => Some(AsymmetricAlgorithm::RsaesOaepSha1),
        "SM2_ENCRYPT" => Some(AsymmetricAlgorithm::Sm2Pke),
        _ => None,
    }
}

/// What an encryption algorithm name asks of a key: `None` = symmetric. Checks the key fits:
/// HMAC `KMS.0341`, symmetric key with an asymmetric algorithm `KMS.2105`, signing key
/// `KMS.0335`, EC key `KMS.1114`, RSA/SM2 key with another algorithm `KMS.2106`.
pub fn check_encryption_key(key: &KeyRecord, algorithm: &str) -> Result<Option<AsymmetricAlgorithm>, HwError> {
    if key.spec.is_hmac() {
        return Err(HwError::new(codes::KMS_0341));
    }
    let asym = match algorithm {
        SYMMETRIC_DEFAULT => None,
        other => Some(asymmetric_algorithm(other).ok_or_else(|| {
            HwError::invalid("encryption_algorithm", "SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_256 or SM2_ENCRYPT")
        })?),
    };
    if key.spec.is_symmetric() {
        return match asym {
            None => Ok(None),
            Some(_) => Err(HwError::new(codes::KMS_2105)),
        };
    }
    if key.usage != KeyUsage::EncryptDecrypt {
        return Err(HwError::new(codes::KMS_0335));
    }
    if !matches!(key.spec, KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 | KeySpec::EcSm2) {
        return Err(HwError::new(codes::KMS_1114));
    }
    match asym {
        Some(a) if a.fits(key.spec, key.usage) => Ok(Some(a)),
        _ => Err(HwError::new(codes::KMS_2106)),
    }
}

/// Handles `POST …/kms/encrypt-data`.
pub async fn handle(ctx: &Ctx<'_>) -> Result<Reply, HwError> {
    let plain = ctx.body.req_str("plain_text")?;
    if plain.len() > MAX_PLAIN_TEXT {
        return Err(HwError::invalid("plain_text", "1 to 4096 bytes"));
    }
    let algorithm = ctx.body.opt_str("encryption_algorithm")?.filter(|a| !a.is_empty());
    let key = common::body_key(ctx, "kms:Encrypt").await?;
    let cipher = match check_encryption_key(&key, algorithm.as_deref().unwrap_or(SYMMETRIC_DEFAULT))? {
        None => {
            let context = common::context_json(ctx)?;
            ctx.kms.encrypt(ctx.caller, &key.key_id, plain.as_bytes(), context.as_deref()).await?.blob
        }
        Some(alg) => {
            let version = common::primary_version(&key)?;
            ctx.kms
                .asymmetric_encrypt(ctx.caller, &key.key_id, version, alg, plain.as_bytes())
                .await
                .map_err(|e| match e {
                    Error::InvalidParameter { name: "Plaintext", .. } => HwError::new(codes::KMS_2108),
                    other => other.into(),
                })?
                .value
        }
    };
    Ok(Reply::Json(json!({"key_id": key.key_id, "cipher_text": common::b64(&cipher)})))
}
