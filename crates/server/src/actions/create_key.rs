//! CreateKey.

use keyward_core::model::{KeySpec, KeyUsage, Origin, ProtectionLevel, Tag};
use keyward_core::ops::create_key::CreateKeyRequest;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{key_metadata, parse_interval};
use crate::dispatch::Ctx;
use crate::error::ApiError;

/// One element of the `Tags` JSON parameter.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WireTag {
    #[serde(rename = "TagKey")]
    key: String,
    #[serde(rename = "TagValue", default)]
    value: String,
}

/// Parses the `Tags` JSON parameter (`[{"TagKey":"k","TagValue":"v"}]`).
pub(crate) fn tags(ctx: &Ctx<'_>, name: &str) -> Result<Vec<Tag>, ApiError> {
    Ok(ctx
        .params
        .json::<Vec<WireTag>>(name)?
        .unwrap_or_default()
        .into_iter()
        .map(|t| Tag { key: t.key, value: t.value })
        .collect())
}

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let spec = match p.opt("KeySpec") {
        None => None,
        Some(s) => {
            Some(KeySpec::parse(s).ok_or_else(|| ApiError::invalid("KeySpec", format!("unknown key spec {s:?}")))?)
        }
    };
    let usage = match p.opt("KeyUsage") {
        None => None,
        Some(s) => Some(
            KeyUsage::parse(s).ok_or_else(|| ApiError::invalid("KeyUsage", "use ENCRYPT/DECRYPT or SIGN/VERIFY"))?,
        ),
    };
    let origin = match p.opt("Origin") {
        None => None,
        Some(s) => Some(Origin::parse(s).ok_or_else(|| ApiError::invalid("Origin", "use Aliyun_KMS or EXTERNAL"))?),
    };
    let protection_level = match p.opt("ProtectionLevel") {
        None => None,
        Some(s) => {
            Some(ProtectionLevel::parse(s).ok_or_else(|| ApiError::invalid("ProtectionLevel", "use SOFTWARE or HSM"))?)
        }
    };
    let rotation_interval_secs = match p.opt("RotationInterval") {
        None => None,
        Some(s) => Some(parse_interval("RotationInterval", s)?),
    };
    let req = CreateKeyRequest {
        spec,
        usage,
        origin,
        protection_level,
        description: p.get("Description").unwrap_or_default().to_string(),
        instance_id: p.opt("DKMSInstanceId").map(str::to_string),
        tags: tags(ctx, "Tags")?,
        enable_automatic_rotation: p.bool("EnableAutomaticRotation")?.unwrap_or(false),
        rotation_interval_secs,
        policy: p.opt("Policy").map(str::to_string),
    };
    let key = ctx.kms.create_key(ctx.caller, req).await?;
    Ok(json!({ "KeyMetadata": key_metadata(ctx.kms, &key, false) }))
}
