//! ListKmsInstances: `KmsInstances.KmsInstance[]{KmsInstanceId,KmsInstanceArn}` with paging.

use serde_json::{Value, json};

use super::page;
use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let page = page(ctx.params, 20, 100)?;
    let result = ctx.kms.list_kms_instances(ctx.caller, page).await?;
    let list: Vec<Value> = result
        .items
        .iter()
        .map(|i| json!({ "KmsInstanceId": i.instance_id, "KmsInstanceArn": ctx.kms.instance_arn(&i.instance_id) }))
        .collect();
    Ok(json!({
        "KmsInstances": { "KmsInstance": list },
        "TotalCount": result.total,
        "PageNumber": page.number,
        "PageSize": page.size,
    }))
}
