//! BatchGetSecretValue: up to 20 GetSecretValue calls in one request. `SecretsList` is a JSON
//! array of `{SecretName, VersionId?, VersionStage?, FetchExtendedConfig?}`; the flattened form
//! `SecretsList.N.SecretName` (…`.VersionId`, …`.VersionStage`) is accepted too. Each item
//! succeeds into `SecretValues[]` (with its own `RequestId`) or fails into
//! `Errors[]{SecretName, Code, HttpStatus, Message}` with the same mapping as a single call.

use keyward_protocol::params::{ParamError, Params};
use serde::Deserialize;
use serde_json::{Value, json};

use super::secret_params::secret_value_json;
use crate::dispatch::Ctx;
use crate::error::ApiError;

/// Most items per request.
const MAX_ITEMS: usize = 20;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Item {
    #[serde(rename = "SecretName")]
    secret_name: String,
    #[serde(rename = "VersionId", default)]
    version_id: Option<String>,
    #[serde(rename = "VersionStage", default)]
    version_stage: Option<String>,
    #[serde(rename = "FetchExtendedConfig", default)]
    fetch_extended_config: Option<Value>,
}

fn flattened(p: &Params) -> Vec<Item> {
    let mut idx: Vec<u32> = p
        .pairs()
        .iter()
        .filter_map(|(k, _)| k.strip_prefix("SecretsList.")?.split('.').next()?.parse::<u32>().ok())
        .collect();
    idx.sort_unstable();
    idx.dedup();
    idx.into_iter()
        .map(|i| {
            let get = |f: &str| p.opt(&format!("SecretsList.{i}.{f}")).map(str::to_string);
            Item {
                secret_name: get("SecretName").unwrap_or_default(),
                version_id: get("VersionId"),
                version_stage: get("VersionStage"),
                fetch_extended_config: get("FetchExtendedConfig").map(Value::String),
            }
        })
        .collect()
}

fn items(p: &Params) -> Result<Vec<Item>, ApiError> {
    let items = match p.json::<Vec<Item>>("SecretsList")? {
        Some(v) => v,
        None => flattened(p),
    };
    if items.is_empty() {
        return Err(ParamError::Missing("SecretsList".into()).into());
    }
    if items.len() > MAX_ITEMS {
        return Err(ApiError::invalid("SecretsList", format!("at most {MAX_ITEMS} secrets")));
    }
    for it in &items {
        if it.secret_name.is_empty() {
            return Err(ApiError::invalid("SecretsList", "every item needs a SecretName"));
        }
        match &it.fetch_extended_config {
            None | Some(Value::Bool(_)) => {}
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") => {}
            Some(_) => return Err(ApiError::invalid("SecretsList", "FetchExtendedConfig must be true or false")),
        }
    }
    Ok(items)
}

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let mut values = Vec::new();
    let mut errors = Vec::new();
    for it in items(ctx.params)? {
        let opt = |s: &Option<String>| s.as_deref().filter(|v| !v.is_empty()).map(str::to_string);
        let (version_id, stage) = (opt(&it.version_id), opt(&it.version_stage));
        let got = ctx.kms.get_secret_value(ctx.caller, &it.secret_name, version_id.as_deref(), stage.as_deref()).await;
        let item = got.map_err(ApiError::from).and_then(|v| secret_value_json(&v));
        match item {
            Ok(mut v) => {
                v["RequestId"] =
                    json!(keyward_crypto::random::uuid_v4().map_err(|e| ApiError::internal(e.to_string()))?);
                values.push(v);
            }
            Err(e) => {
                if let Some(detail) = &e.log_detail {
                    tracing::error!(secret_name = %it.secret_name, detail = %detail, "batch item failed with an internal error");
                }
                errors.push(json!({
                    "SecretName": it.secret_name,
                    "Code": e.code.code,
                    "HttpStatus": e.code.status,
                    "Message": e.message,
                }));
            }
        }
    }
    Ok(json!({ "SecretValues": values, "Errors": errors }))
}
