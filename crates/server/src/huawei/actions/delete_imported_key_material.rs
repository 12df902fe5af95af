//! delete-imported-key-material (HUAWEI.md §1.4, §3.6): drops the imported material of an
//! EXTERNAL symmetric key in state `"2"` or `"3"`; the key goes to `"5"`, its expiry is cleared,
//! and only the same material can be imported again (`KMS.2606`). Answers `200 {}`.
//!
//! Refusals: a KMS-origin key `KMS.0309`; asymmetric material (it cannot be deleted) `KMS.2702`;
//! a key in another state (pending import, pending deletion) `KMS.2701`.

use keyward_core::model::{KeyState, Origin};
use keyward_protocol::huawei::codes;
use serde_json::json;

use crate::huawei::actions::common;
use crate::huawei::error::HwError;
use crate::huawei::{Ctx, Reply};

/// Handles `POST …/kms/delete-imported-key-material`.
pub async fn handle(ctx: &Ctx<'_>) -> Result<Reply, HwError> {
    let key = common::body_key(ctx, "kms:DeleteKeyMaterial").await?;
    if key.origin != Origin::External {
        return Err(HwError::new(codes::KMS_0309));
    }
    if key.spec.is_asymmetric() {
        return Err(HwError::new(codes::KMS_2702));
    }
    if !matches!(key.state, KeyState::Enabled | KeyState::Disabled) {
        return Err(HwError::with_message(
            codes::KMS_2701,
            format!(
                "Key material is not in Enabled or Disabled state and cannot be deleted (the key is {}).",
                key.state.as_str()
            ),
        ));
    }
    ctx.kms.delete_key_material(ctx.caller, &key.key_id).await?;
    Ok(Reply::Json(json!({})))
}
