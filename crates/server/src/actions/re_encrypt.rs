//! ReEncrypt: symmetric source (blob + `SourceEncryptionContext`) or asymmetric source
//! (`SourceKeyId` + `SourceKeyVersionId` + `SourceEncryptionAlgorithm`). Returns the new blob
//! and the **source** `KeyId`/`KeyVersionId` (ALIBABA.md §5.3).

use base64::Engine;
use keyward_core::ops::re_encrypt::ReEncryptSource;
use serde_json::{Value, json};

use super::crypto_params::{B64, algorithm, b64};
use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let blob = b64(p, "CiphertextBlob")?;
    let dest = p.required("DestinationKeyId")?;
    let source = match p.opt("SourceKeyId") {
        Some(key_ref) => ReEncryptSource::Asymmetric {
            key_ref,
            version_id: p.required("SourceKeyVersionId")?,
            algorithm: algorithm(p, "SourceEncryptionAlgorithm")?,
        },
        None => ReEncryptSource::Symmetric { context: p.opt("SourceEncryptionContext") },
    };
    let r = ctx.kms.re_encrypt(ctx.caller, &blob, source, dest, p.opt("DestinationEncryptionContext")).await?;
    Ok(json!({
        "CiphertextBlob": B64.encode(&r.encrypted.blob),
        "KeyId": r.source_key_id,
        "KeyVersionId": r.source_version_id,
    }))
}
