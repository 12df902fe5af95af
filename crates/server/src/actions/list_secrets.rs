//! ListSecrets: `SecretList.Secret[]` with paging (default 10, at most 100), `FetchTags` and
//! `Filters` (JSON `[{"Key","Values"}]`, at most 10; keys SecretName and Description match
//! substrings, TagKey, TagValue, DKMSInstanceId, SecretType and Creator exact values).

use keyward_core::model::SecretType;
use keyward_core::ops::list_secrets::SecretFilter;
use keyward_protocol::time::format as t;
use serde::Deserialize;
use serde_json::{Value, json};

use super::page;
use super::secret_params::{flag, tags_json};
use crate::dispatch::Ctx;
use crate::error::ApiError;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireFilter {
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "Values")]
    values: Vec<String>,
}

fn filters(ctx: &Ctx<'_>) -> Result<Vec<SecretFilter>, ApiError> {
    let wire = ctx.params.json::<Vec<WireFilter>>("Filters")?.unwrap_or_default();
    if wire.len() > 10 {
        return Err(ApiError::invalid("Filters", "at most 10 filters"));
    }
    wire.into_iter()
        .map(|f| {
            if f.values.is_empty() || f.values.len() > 10 {
                return Err(ApiError::invalid("Filters", "each filter needs 1-10 Values"));
            }
            Ok(match f.key.as_str() {
                "SecretName" => SecretFilter::Name(f.values),
                "Description" => SecretFilter::Description(f.values),
                "TagKey" => SecretFilter::TagKey(f.values),
                "TagValue" => SecretFilter::TagValue(f.values),
                "DKMSInstanceId" => SecretFilter::Instance(f.values),
                // Managed types are valid names that no keyward secret has.
                "SecretType" => SecretFilter::Type(f.values.iter().filter_map(|v| SecretType::parse(v)).collect()),
                "Creator" => SecretFilter::Creator(f.values),
                other => {
                    return Err(ApiError::invalid(
                        "Filters",
                        format!(
                            "unknown filter key {other:?}; use SecretName, Description, TagKey, TagValue, \
                             DKMSInstanceId, SecretType or Creator"
                        ),
                    ));
                }
            })
        })
        .collect()
}

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let page = page(ctx.params, 10, 100)?;
    let fetch_tags = flag(ctx.params, "FetchTags")?;
    let filters = filters(ctx)?;
    let result = ctx.kms.list_secrets(ctx.caller, &filters, page).await?;
    let secrets: Vec<Value> = result
        .items
        .iter()
        .map(|l| {
            let s = &l.secret;
            let mut v = json!({
                "SecretName": s.secret_name,
                "SecretType": s.secret_type.as_str(),
                "CreateTime": t(s.creation_date),
                "UpdateTime": t(s.update_date),
            });
            if let Some(at) = s.planned_delete {
                v["PlannedDeleteTime"] = json!(t(at));
            }
            if fetch_tags {
                v["Tags"] = tags_json(&l.tags);
            }
            v
        })
        .collect();
    Ok(json!({
        "SecretList": { "Secret": secrets },
        "TotalCount": result.total,
        "PageNumber": page.number,
        "PageSize": page.size,
    }))
}
