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
    // Named resources are authorized one by one; a listing of every resource, on the collection.
    let all = if ids.is_empty() {
        match kind {
            Kind::Key => ctx.kms.all_key_tags(ctx.caller).await?,
            Kind::Secret => ctx.kms.all_secret_tags(ctx.caller).await?,
        }
    } else {
        let mut named: Vec<(String, Vec<Tag>)> = Vec::new();
        for id in &ids {
            let (name, tags) = match kind {
                Kind::Key => ctx.kms.key_tags_as(ctx.caller, "kms:ListTagResources", id).await?,
                Kind::Secret => ctx.kms.secret_tags(ctx.caller, id).await?,
            };
            if !named.iter().any(|(n, _)| *n == name) {
                named.push((name, tags));
            }
        }
        named.sort_by(|a, b| a.0.cmp(&b.0));
        named.into_iter().flat_map(|(n, tags)| tags.into_iter().map(move |t| (n.clone(), t))).collect()
    };
    let rows: Vec<(String, Tag)> = all
        .into_iter()
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
