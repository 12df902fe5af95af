//! ListKeys: `Keys.Key[]{KeyId,KeyArn}` with paging and `Filters`.

use keyward_core::model::{KeySpec, KeyState, KeyUsage, ProtectionLevel};
use keyward_core::ops::list_keys::KeyFilter;
use serde::Deserialize;
use serde_json::{Value, json};

use super::page;
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

fn each<T>(values: &[String], parse: impl Fn(&str) -> Option<T>, what: &str) -> Result<Vec<T>, ApiError> {
    values
        .iter()
        .map(|v| parse(v).ok_or_else(|| ApiError::invalid("Filters", format!("{v:?} is not a valid {what}"))))
        .collect()
}

fn filters(ctx: &Ctx<'_>) -> Result<Vec<KeyFilter>, ApiError> {
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
                "KeyState" => KeyFilter::State(each(&f.values, KeyState::parse, "KeyState")?),
                "KeySpec" => KeyFilter::Spec(each(&f.values, KeySpec::parse, "KeySpec")?),
                "KeyUsage" => KeyFilter::Usage(each(&f.values, KeyUsage::parse, "KeyUsage")?),
                "ProtectionLevel" => KeyFilter::ProtectionLevel(each(&f.values, ProtectionLevel::parse, "ProtectionLevel")?),
                "CreatorType" => KeyFilter::CreatorIsService(each(
                    &f.values,
                    |v| match v {
                        "User" => Some(false),
                        "Service" => Some(true),
                        _ => None,
                    },
                    "CreatorType",
                )?),
                "DKMSInstanceId" => KeyFilter::Instance(f.values),
                "TagKey" => KeyFilter::TagKey(f.values),
                "TagValue" => KeyFilter::TagValue(f.values),
                other => {
                    return Err(ApiError::invalid(
                        "Filters",
                        format!("unknown filter key {other:?}; use KeyState, KeySpec, KeyUsage, ProtectionLevel, CreatorType, DKMSInstanceId, TagKey or TagValue"),
                    ));
                }
            })
        })
        .collect()
}

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let page = page(ctx.params, 10, 100)?;
    let filters = filters(ctx)?;
    let result = ctx.kms.list_keys(ctx.caller, &filters, page).await?;
    let keys: Vec<Value> =
        result.items.iter().map(|k| json!({ "KeyId": k.key_id, "KeyArn": ctx.kms.key_arn(&k.key_id) })).collect();
    Ok(json!({
        "Keys": { "Key": keys },
        "TotalCount": result.total,
        "PageNumber": page.number,
        "PageSize": page.size,
    }))
}
