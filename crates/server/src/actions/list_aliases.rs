//! ListAliases: `Aliases.Alias[]{AliasName,AliasArn,KeyId}` with paging.

use serde_json::{Value, json};

use super::page;
use crate::dispatch::Ctx;
use crate::error::ApiError;

/// Shared with ListAliasesByKeyId.
pub(crate) async fn list(ctx: &Ctx<'_>, by_key: bool) -> Result<Value, ApiError> {
    let page = page(ctx.params, 10, 100)?;
    let key = if by_key { Some(ctx.params.required("KeyId")?) } else { None };
    let r = ctx.kms.list_aliases(ctx.caller, key, page).await?;
    let list: Vec<Value> = r
        .items
        .iter()
        .map(|a| json!({ "AliasName": a.alias_name, "AliasArn": ctx.kms.alias_arn(&a.alias_name), "KeyId": a.key_id }))
        .collect();
    Ok(json!({ "Aliases": { "Alias": list }, "TotalCount": r.total, "PageNumber": page.number, "PageSize": page.size }))
}

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    list(ctx, false).await
}
