//! GetParametersForImport: `KeyId`, `ImportToken`, `PublicKey` (base64 DER SPKI),
//! `TokenExpireTime`. `KeyVersionId` (optional) targets a version awaiting material.

use base64::Engine;
use keyward_crypto::byok::{WrappingAlgorithm, WrappingKeySpec};
use keyward_protocol::time::format as t;
use serde_json::{Value, json};

use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let key_id = p.required("KeyId")?;
    let spec_name = p.required("WrappingKeySpec")?;
    let alg_name = p.required("WrappingAlgorithm")?;
    let spec = WrappingKeySpec::parse(spec_name)
        .ok_or_else(|| ApiError::invalid("WrappingKeySpec", "use RSA_2048 or EC_SM2"))?;
    let alg = WrappingAlgorithm::parse(alg_name).ok_or_else(|| {
        ApiError::invalid(
            "WrappingAlgorithm",
            "use RSAES_OAEP_SHA_256, RSAES_OAEP_SHA_1, RSAES_PKCS1_V1_5, SM2PKE, \
             RSAES_OAEP_SHA_256_AES_256_ECB_PKCS7_PAD or SM2PKE_SM4_ECB",
        )
    })?;
    let params = ctx.kms.get_parameters_for_import(ctx.caller, key_id, spec, alg, p.opt("KeyVersionId")).await?;
    Ok(json!({
        "KeyId": params.key_id,
        "ImportToken": params.import_token,
        "PublicKey": base64::engine::general_purpose::STANDARD.encode(&params.public_key_der),
        "TokenExpireTime": t(params.token_expire_time),
    }))
}
