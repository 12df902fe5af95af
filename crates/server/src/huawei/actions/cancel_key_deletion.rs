//! cancel-key-deletion: a key that is not pending deletion → `KMS.1501`. The key comes back
//! **disabled** (`"3"`, as Huawei documents; the Alibaba CancelKeyDeletion re-enables), or pending
//! import (`"5"`) when it is an external key without valid material.

use keyward_core::Error;
use keyward_core::model::KeyState;
use keyward_protocol::huawei::codes;
use serde_json::json;

use crate::huawei::actions::common;
use crate::huawei::error::HwError;
use crate::huawei::{Ctx, Reply, model};

/// Handles `POST …/kms/cancel-key-deletion`.
pub async fn handle(ctx: &Ctx<'_>) -> Result<Reply, HwError> {
    let key = common::body_key(ctx, "kms:CancelKeyDeletion").await?;
    if key.state != KeyState::PendingDeletion {
        return Err(HwError::new(codes::KMS_1501));
    }
    let not_pending = |e: Error| match e {
        Error::StateModifiedFailed(_) => HwError::new(codes::KMS_1501),
        other => other.into(),
    };
    let mut key = ctx.kms.cancel_key_deletion(ctx.caller, &key.key_id).await.map_err(not_pending)?;
    if key.state == KeyState::Enabled {
        key = ctx.kms.disable_key(ctx.caller, &key.key_id).await?;
    }
    Ok(Reply::Json(json!({"key_id": key.key_id, "key_state": model::state_code(key.state)})))
}
