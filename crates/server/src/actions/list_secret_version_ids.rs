//! ListSecretVersionIds: `VersionIds.VersionId[]` with paging (default 20, at most 100);
//! `IncludeDeprecated=true` adds versions without stages.

use keyward_protocol::time::format as t;
use serde_json::{Value, json};

use super::page;
use super::secret_params::{flag, stages_json};
use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let name = p.required("SecretName")?;
    let include_deprecated = flag(p, "IncludeDeprecated")?;
    let page = page(p, 20, 100)?;
    let (name, result) = ctx.kms.list_secret_version_ids(ctx.caller, name, include_deprecated, page).await?;
    let versions: Vec<Value> = result
        .items
        .iter()
        .map(|v| {
            json!({
                "VersionId": v.version_id,
                "CreateTime": t(v.creation_date),
                "VersionStages": stages_json(&v.stages),
            })
        })
        .collect();
    Ok(json!({
        "SecretName": name,
        "VersionIds": { "VersionId": versions },
        "TotalCount": result.total,
        "PageNumber": page.number,
        "PageSize": page.size,
    }))
}
