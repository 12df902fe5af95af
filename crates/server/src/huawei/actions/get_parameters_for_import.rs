//! get-parameters-for-import (`create_parameters_for_import`, HUAWEI.md §1.4, §3.1): a fresh
//! RSA-2048 (or SM2) wrapping key and an import token, valid 24 h, for an EXTERNAL key in state
//! `"5"`.
//!
//! | `wrapping_algorithm` | core wrapping | keys |
//! |---|---|---|
//! | `RSAES_OAEP_SHA_256` | `RSA_2048` / `RSAES_OAEP_SHA_256` | symmetric material, and the temporary AES key of asymmetric imports |
//! | `RSAES_OAEP_SHA_1` | `RSA_2048` / `RSAES_OAEP_SHA_1` | symmetric only |
//! | `RSAES_PKCS1_V1_5` | `RSA_2048` / `RSAES_PKCS1_V1_5` | symmetric only |
//! | `SM2_ENCRYPT` | `EC_SM2` / `SM2PKE` | symmetric only |
//!
//! Refusals: a KMS-origin key `KMS.0309`; a key not pending import `KMS.0310`; an unknown
//! algorithm `KMS.0308`. Answer: `{"key_id", "public_key": base64(DER SPKI), "import_token",
//! "expiration_time": int Unix seconds}`.
//!
//! **The import token.** The core's ImportToken (MAC-protected, bound to the key) is 41 bytes,
//! 56 base64 characters; Huawei's regex for `import_token` is `^[0-9a-zA-Z+/=]{200,6144}$`. The
//! Huawei token is therefore `base64(0x48 ‖ n ‖ core token bytes (n) ‖ zero bytes)`, 150 bytes
//! (200 characters): [`wrap_token`] and [`unwrap_token`]. Anything that is not such a frame (an
//! Alibaba ImportToken, for instance) goes to the core as it is, which verifies it; a frame whose
//! padding is not all zeros is refused as a forged token.

use base64::Engine;
use keyward_core::model::{KeyState, Origin};
use keyward_crypto::byok::{WrappingAlgorithm, WrappingKeySpec};
use keyward_protocol::huawei::codes;
use serde_json::json;

use crate::huawei::actions::common;
use crate::huawei::error::HwError;
use crate::huawei::{Ctx, Reply};

/// First byte of a Huawei token frame.
const FRAME_TAG: u8 = 0x48;
/// Size of a Huawei token frame: 200 base64 characters, the regex minimum.
const FRAME_LEN: usize = 150;

/// Handles `POST …/kms/get-parameters-for-import`.
pub async fn handle(ctx: &Ctx<'_>) -> Result<Reply, HwError> {
    let key = common::body_key(ctx, "kms:GetParametersForImport").await?;
    let name = ctx.body.req_str("wrapping_algorithm")?;
    let (wspec, alg) = wrapping(&name)?;
    if key.origin != Origin::External {
        return Err(HwError::new(codes::KMS_0309));
    }
    if key.state != KeyState::PendingImport {
        return Err(not_pending(key.state));
    }
    let p = ctx.kms.get_parameters_for_import(ctx.caller, &key.key_id, wspec, alg, None).await?;
    Ok(Reply::Json(json!({
        "key_id": p.key_id,
        "public_key": common::b64(&p.public_key_der),
        "import_token": wrap_token(&p.import_token)?,
        "expiration_time": p.token_expire_time,
    })))
}

/// The core wrapping of a Huawei `wrapping_algorithm` (module table).
fn wrapping(name: &str) -> Result<(WrappingKeySpec, WrappingAlgorithm), HwError> {
    Ok(match name {
        "RSAES_OAEP_SHA_256" => (WrappingKeySpec::Rsa2048, WrappingAlgorithm::RsaesOaepSha256),
        "RSAES_OAEP_SHA_1" => (WrappingKeySpec::Rsa2048, WrappingAlgorithm::RsaesOaepSha1),
        "RSAES_PKCS1_V1_5" => (WrappingKeySpec::Rsa2048, WrappingAlgorithm::RsaesPkcs1V15),
        "SM2_ENCRYPT" => (WrappingKeySpec::EcSm2, WrappingAlgorithm::Sm2Pke),
        _ => {
            return Err(HwError::invalid(
                "wrapping_algorithm",
                "use RSAES_OAEP_SHA_256, RSAES_OAEP_SHA_1, RSAES_PKCS1_V1_5 or SM2_ENCRYPT",
            ));
        }
    })
}

/// `KMS.0310` naming the key's state.
pub(crate) fn not_pending(state: KeyState) -> HwError {
    HwError::with_message(
        codes::KMS_0310,
        format!("The key is not in Pending import state (it is {}).", state.as_str()),
    )
}

/// Frames a core ImportToken as a Huawei `import_token` (module docs).
pub(crate) fn wrap_token(core: &str) -> Result<String, HwError> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(core)
        .map_err(|_| HwError::internal("the core ImportToken is not base64"))?;
    let n = u8::try_from(raw.len())
        .ok()
        .filter(|n| usize::from(*n) + 2 <= FRAME_LEN)
        .ok_or_else(|| HwError::internal("the core ImportToken does not fit a Huawei token frame"))?;
    let mut frame = Vec::with_capacity(FRAME_LEN);
    frame.push(FRAME_TAG);
    frame.push(n);
    frame.extend_from_slice(&raw);
    frame.resize(FRAME_LEN, 0);
    Ok(common::b64(&frame))
}

/// The core ImportToken inside a Huawei `import_token`. Text that is not a frame is returned as it
/// is (the core verifies it); a frame with non-zero padding → `KMS.2605`.
pub(crate) fn unwrap_token(token: &str) -> Result<String, HwError> {
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(token.trim()) else {
        return Ok(token.to_string());
    };
    let framed = match raw.as_slice() {
        [FRAME_TAG, n, rest @ ..] if raw.len() == FRAME_LEN && usize::from(*n) <= rest.len() => {
            rest.split_at(usize::from(*n))
        }
        _ => return Ok(token.to_string()),
    };
    let (core, padding) = framed;
    if padding.iter().any(|b| *b != 0) {
        return Err(HwError::with_message(codes::KMS_2605, "Token verification failed: the token was altered."));
    }
    Ok(common::b64(core))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_frames_round_trip_and_meet_the_huawei_regex() {
        let core = common::b64(&[1u8; 41]);
        let framed = wrap_token(&core).unwrap();
        assert_eq!(framed.len(), 200);
        assert!(framed.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')));
        assert_eq!(unwrap_token(&framed).unwrap(), core);
        assert_eq!(unwrap_token(&format!(" {framed}\n")).unwrap(), core);
        // Not a frame: passed through for the core to judge.
        for other in [core.as_str(), "", "!!!", "AAAA"] {
            assert_eq!(unwrap_token(other).unwrap(), other);
        }
        // Altered padding is a forged token.
        let mut raw = base64::engine::general_purpose::STANDARD.decode(&framed).unwrap();
        raw[FRAME_LEN - 1] = 1;
        assert_eq!(unwrap_token(&common::b64(&raw)).unwrap_err().code.code, "KMS.2605");
        // A length byte past the end is not a frame.
        raw[FRAME_LEN - 1] = 0;
        raw[1] = 200;
        let odd = common::b64(&raw);
        assert_eq!(unwrap_token(&odd).unwrap(), odd);
    }

    #[test]
    fn algorithms() {
        assert_eq!(
            wrapping("RSAES_OAEP_SHA_256").unwrap(),
            (WrappingKeySpec::Rsa2048, WrappingAlgorithm::RsaesOaepSha256)
        );
        assert_eq!(wrapping("SM2_ENCRYPT").unwrap(), (WrappingKeySpec::EcSm2, WrappingAlgorithm::Sm2Pke));
        for bad in ["", "rsaes_oaep_sha_256", "RSAES_OAEP_SHA_256_AES_256_ECB_PKCS7_PAD", "SM2PKE"] {
            assert_eq!(wrapping(bad).unwrap_err().code.code, "KMS.0308", "{bad}");
        }
    }
}
