//! ListKmsInstances: `KmsInstances.KmsInstance[]{KmsInstanceId,KmsInstanceArn}` with paging.

use serde_json::{Value, json};

use super::page;
use crate::dispatch::Ctx;
use crate::error::ApiError;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct WireFilter {
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "Values")]
    values: Vec<String>,
}

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let page = page(ctx.params, 20, 100)?;
    // Filters: `[{"Key":"KmsInstanceId","Values":["kst-…"]}]`; values ORed, keys ANDed.
    let filters = ctx.params.json::<Vec<WireFilter>>("Filters")?.unwrap_or_default();
    if let Some(f) = filters.iter().find(|f| f.key != "KmsInstanceId") {
        return Err(ApiError::invalid("Filters", format!("unknown filter key {:?}; use KmsInstanceId", f.key)));
    }
    let mut result =
        ctx.kms.list_kms_instances(ctx.caller, keyward_core::ops::Page { number: 1, size: u32::MAX }).await?;
    if !filters.is_empty() {
        result.items.retain(|i| filters.iter().all(|f| f.values.contains(&i.instance_id)));
    }
    let result = keyward_core::ops::Paged::cut(result.items, page);
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
