//! describe-key (`list_key_detail`): `{"key_info": KeyDetails}`.

use serde_json::json;

use crate::huawei::actions::common;
use crate::huawei::error::HwError;
use crate::huawei::{Ctx, Reply, model};

/// Handles `POST …/kms/describe-key`.
pub async fn handle(ctx: &Ctx<'_>) -> Result<Reply, HwError> {
    let key = common::body_key(ctx, "kms:DescribeKey").await?;
    let alias = common::key_alias(ctx, &key.key_id).await?;
    Ok(Reply::Json(json!({ "key_info": model::key_details(ctx.hw, &key, alias.as_deref()) })))
}
