//! ExportDataKey: the data key inside a GenerateDataKey blob, encrypted under a caller's public key.

use base64::Engine;
use keyward_core::ops::export_data_key::ExportTarget;
use keyward_crypto::asymmetric::AsymmetricAlgorithm;
use keyward_crypto::byok::WrappingKeySpec;
use keyward_protocol::params::Params;
use serde_json::{Value, json};

use super::crypto_params::{B64, b64};
use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) fn target(p: &Params) -> Result<(Vec<u8>, WrappingKeySpec, AsymmetricAlgorithm), ApiError> {
    let public = b64(p, "PublicKeyBlob")?;
    let spec = WrappingKeySpec::parse(p.required("WrappingKeySpec")?)
        .ok_or_else(|| ApiError::invalid("WrappingKeySpec", "use RSA_2048 or EC_SM2"))?;
    let alg = match p.required("WrappingAlgorithm")? {
        "RSAES_OAEP_SHA_256" => AsymmetricAlgorithm::RsaesOaepSha256,
        "RSAES_OAEP_SHA_1" => AsymmetricAlgorithm::RsaesOaepSha1,
        "SM2PKE" => AsymmetricAlgorithm::Sm2Pke,
        _ => return Err(ApiError::invalid("WrappingAlgorithm", "use RSAES_OAEP_SHA_256, RSAES_OAEP_SHA_1 or SM2PKE")),
    };
    Ok((public, spec, alg))
}

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    p.required("CiphertextBlob")?;
    let blob = b64(p, "CiphertextBlob").map_err(|_| ApiError::from(keyward_core::Error::InvalidCiphertext))?;
    let (public, spec, algorithm) = target(p)?;
    let t = ExportTarget { public_key_der: &public, spec, algorithm };
    let e = ctx.kms.export_data_key(ctx.caller, &blob, p.opt("EncryptionContext"), t).await?;
    Ok(json!({ "ExportedDataKey": B64.encode(&e.exported), "KeyId": e.key_id, "KeyVersionId": e.version_id }))
}
