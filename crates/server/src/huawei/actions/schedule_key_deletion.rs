//! schedule-key-deletion (`delete_key`): `pending_days` 7–1096 (`KMS.1401`; the Alibaba API
//! keeps its 7–366), a key already pending deletion → `KMS.1402`. `{"key_id","key_state":"4"}`.

use keyward_core::Error;
use keyward_core::model::KeyState;
use keyward_core::ops::schedule_key_deletion::HUAWEI_PENDING_DAYS;
use keyward_protocol::huawei::codes;
use serde_json::json;

use crate::huawei::actions::common;
use crate::huawei::error::HwError;
use crate::huawei::{Ctx, Reply, model};

/// Handles `POST …/kms/schedule-key-deletion`.
pub async fn handle(ctx: &Ctx<'_>) -> Result<Reply, HwError> {
    let days = ctx.body.opt_int("pending_days", codes::KMS_1401)?.ok_or_else(|| HwError::missing("pending_days"))?;
    if !HUAWEI_PENDING_DAYS.contains(&days) {
        return Err(HwError::new(codes::KMS_1401));
    }
    let key = common::body_key(ctx, "kms:ScheduleKeyDeletion").await?;
    if key.state == KeyState::PendingDeletion {
        return Err(HwError::new(codes::KMS_1402));
    }
    let key = ctx.kms.schedule_key_deletion_within(ctx.caller, &key.key_id, days, HUAWEI_PENDING_DAYS).await.map_err(
        |e| match e {
            Error::StateModifiedFailed(KeyState::PendingDeletion) => HwError::new(codes::KMS_1402),
            other => other.into(),
        },
    )?;
    Ok(Reply::Json(json!({"key_id": key.key_id, "key_state": model::state_code(key.state)})))
}
