//! ListTagResources: `TagResources.TagResource[]` of keys or secrets (`ResourceType`), 200 rows a
//! page with `NextToken`.

use keyward_core::model::Tag;
use serde_json::{Value, json};

use super::tag_params::{Kind, PAGE, repeat, repeat_tags, resource_type};
use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let kind = resource_type(p)?;
    let ids = repeat(p, "ResourceId");
    let filter = repeat_tags(p);
    let mut ids_resolved = Vec::new();
    for id in &ids {
        ids_resolved.push(match kind {
            Kind::Key => ctx.kms.describe_key(ctx.caller, id).await?.key_id,
            Kind::Secret => ctx.kms.existing_secret_name(ctx.caller, id).await?,
        });
    }
    let all = match kind {
        Kind::Key => ctx.kms.all_key_tags(ctx.caller).await?,
        Kind::Secret => ctx.kms.all_secret_tags(ctx.caller).await?,
    };
    let rows: Vec<(String, Tag)> = all
        .into_iter()
        .filter(|(k, _)| ids_resolved.is_empty() || ids_resolved.contains(k))
        .filter(|(_, t)| {
            filter.is_empty() || filter.iter().any(|f| f.key == t.key && (f.value.is_empty() || f.value == t.value))
        })
        .collect();
    let start: usize = match p.opt("NextToken") {
        None => 0,
        Some(tok) => {
            tok.parse().map_err(|_| ApiError::invalid("NextToken", "use the NextToken of the previous page"))?
        }
    };
    let page: Vec<Value> = rows
        .iter()
        .skip(start)
        .take(PAGE)
        .map(|(k, t)| json!({ "ResourceId": k, "ResourceType": kind.as_str(), "TagKey": t.key, "TagValue": t.value }))
        .collect();
    let next = if start + PAGE < rows.len() { (start + PAGE).to_string() } else { String::new() };
    Ok(json!({ "TagResources": { "TagResource": page }, "NextToken": next }))
}
