//! Parameter and response helpers shared by the secret actions (ALIBABA.md §5.5, Appendix A):
//! `SecretData`/`SecretDataType`, JSON document checks (`Policy`, `ExtendedConfig`), the
//! `VersionStages` parameter and the GetSecretValue answer.
//!
//! Version ids and stage names are 1–64 characters of `[A-Za-z0-9_.@+=:-]`.

use keyward_core::model::{SecretDataType, Tag};
use keyward_core::ops::secrets::{MAX_POLICY, SecretValue};
use keyward_crypto::SecretBytes;
use keyward_protocol::params::{ParamError, Params};
use keyward_protocol::time::format as t;
use serde_json::{Map, Value, json};

use crate::error::ApiError;

/// Longest `ExtendedConfig`, in characters.
pub(crate) const MAX_EXTENDED_CONFIG: usize = 1024;

/// `SecretData` (required, kept exactly as sent: form body or query).
pub(crate) fn secret_data(p: &Params) -> Result<SecretBytes, ApiError> {
    Ok(SecretBytes::from_slice(p.required("SecretData")?.as_bytes()))
}

/// `SecretDataType`: `text` (default) or `binary`.
pub(crate) fn data_type(p: &Params) -> Result<SecretDataType, ApiError> {
    match p.opt("SecretDataType") {
        None => Ok(SecretDataType::Text),
        Some(s) => SecretDataType::parse(s).ok_or_else(|| ApiError::invalid("SecretDataType", "use text or binary")),
    }
}

/// A JSON object parameter of at most `max` characters, parsed.
pub(crate) fn json_object(p: &Params, name: &str, max: usize) -> Result<Option<Map<String, Value>>, ApiError> {
    let Some(raw) = p.opt(name) else { return Ok(None) };
    if raw.chars().count() > max {
        return Err(ApiError::invalid(name, format!("at most {max} characters")));
    }
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Object(m)) => Ok(Some(m)),
        _ => Err(ApiError::invalid(name, "must be a JSON object")),
    }
}

/// `Policy`: a JSON object with a string `Version` and a `Statement` array, ≤ 32768 characters.
pub(crate) fn policy(p: &Params) -> Result<Option<String>, ApiError> {
    let Some(doc) = json_object(p, "Policy", MAX_POLICY)? else { return Ok(None) };
    if !doc.get("Version").is_some_and(Value::is_string) || !doc.get("Statement").is_some_and(Value::is_array) {
        return Err(ApiError::invalid("Policy", "a policy document needs a Version string and a Statement array"));
    }
    Ok(p.opt("Policy").map(str::to_string))
}

/// `VersionStages`: a JSON array of strings (or the repeat list `VersionStages.N`).
pub(crate) fn version_stages(p: &Params) -> Result<Option<Vec<String>>, ApiError> {
    if let Some(v) = p.json::<Vec<String>>("VersionStages")? {
        return Ok(Some(v));
    }
    let listed = super::tag_params::repeat(p, "VersionStages");
    Ok(if listed.is_empty() { None } else { Some(listed) })
}

/// `{"VersionStage": [...]}`.
pub(crate) fn stages_json(stages: &[String]) -> Value {
    json!({ "VersionStage": stages })
}

/// `{"Tag": [{"TagKey","TagValue"}]}`.
pub(crate) fn tags_json(tags: &[Tag]) -> Value {
    let list: Vec<Value> = tags.iter().map(|t| json!({ "TagKey": t.key, "TagValue": t.value })).collect();
    json!({ "Tag": list })
}

/// The GetSecretValue answer for one version (also one `SecretValues[]` item of
/// BatchGetSecretValue).
pub(crate) fn secret_value_json(v: &SecretValue) -> Result<Value, ApiError> {
    // Stored from a request string, so always UTF-8; a failure means a corrupt record.
    let data = std::str::from_utf8(v.data.expose())
        .map_err(|_| ApiError::internal(format!("secret {} version {} is not UTF-8", v.secret_name, v.version_id)))?;
    Ok(json!({
        "SecretName": v.secret_name,
        "SecretType": v.secret_type.as_str(),
        "VersionId": v.version_id,
        "SecretData": data,
        "SecretDataType": v.data_type.as_str(),
        "CreateTime": t(v.creation_date),
        "VersionStages": stages_json(&v.stages),
    }))
}

/// A boolean parameter that defaults to `false`.
pub(crate) fn flag(p: &Params, name: &str) -> Result<bool, ParamError> {
    Ok(p.bool(name)?.unwrap_or(false))
}
