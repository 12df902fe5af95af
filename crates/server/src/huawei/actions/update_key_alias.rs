//! update-key-alias: the key's alias record becomes `alias/<key_alias>` (the new alias is made,
//! then the one the key showed is removed; its other Alibaba aliases stay). Refused for keys
//! pending deletion (`KMS.0210`); an alias in use → `KMS.1104`.
//! `{"key_info":{"key_id","key_alias"}}`.

use keyward_core::model::KeyState;
use keyward_protocol::huawei::codes;
use serde_json::json;

use crate::huawei::actions::common;
use crate::huawei::error::HwError;
use crate::huawei::{Ctx, Reply, model};

/// Handles `POST …/kms/update-key-alias`.
pub async fn handle(ctx: &Ctx<'_>) -> Result<Reply, HwError> {
    let alias = ctx.body.req_str("key_alias")?;
    if !model::valid_alias(&alias) {
        return Err(HwError::new(codes::KMS_1101));
    }
    let key = common::body_key(ctx, "kms:CreateAlias").await?;
    if key.state == KeyState::PendingDeletion {
        return Err(HwError::new(codes::KMS_0210));
    }
    let old = common::key_alias(ctx, &key.key_id).await?;
    if old.as_deref() != Some(alias.as_str()) {
        ctx.kms.create_alias(ctx.caller, &model::alias_record(&alias), &key.key_id).await?;
        if let Some(old) = old {
            ctx.kms.delete_alias(ctx.caller, &model::alias_record(&old)).await?;
        }
    }
    Ok(Reply::Json(json!({"key_info": {"key_id": key.key_id, "key_alias": alias}})))
}
