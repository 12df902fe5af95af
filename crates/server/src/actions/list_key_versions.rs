//! ListKeyVersions: `KeyVersions.KeyVersion[]` with paging.

use keyward_protocol::time::format as t;
use serde_json::{Value, json};

use super::page;
use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let page = page(ctx.params, 10, 100)?;
    let r = ctx.kms.list_key_versions(ctx.caller, ctx.params.required("KeyId")?, page).await?;
    let list: Vec<Value> = r
        .items
        .iter()
        .map(|v| json!({ "KeyId": v.key_id, "KeyVersionId": v.version_id, "CreationDate": t(v.creation_date) }))
        .collect();
    Ok(json!({
        "KeyVersions": { "KeyVersion": list },
        "TotalCount": r.total,
        "PageNumber": page.number,
        "PageSize": page.size,
    }))
}
