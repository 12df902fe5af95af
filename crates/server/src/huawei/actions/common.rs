//! Helpers shared by the Huawei handlers: the `key_alias` of a key (its most recent
//! `alias/…` record), key loading, and small wire conversions.

use std::collections::HashMap;

use base64::Engine;
use keyward_core::model::{AliasRecord, KeyRecord, KeyUsage};
use keyward_protocol::huawei::codes;
use serde_json::Value;

use crate::huawei::Ctx;
use crate::huawei::error::HwError;

/// The alias a key shows as `key_alias`: its most recently created alias, without `alias/`.
fn pick(aliases: impl Iterator<Item = AliasRecord>) -> HashMap<String, String> {
    let mut best: HashMap<String, AliasRecord> = HashMap::new();
    for a in aliases {
        match best.get(&a.key_id) {
            Some(b) if (b.creation_date, &b.alias_name) >= (a.creation_date, &a.alias_name) => {}
            _ => {
                best.insert(a.key_id.clone(), a);
            }
        }
    }
    best.into_iter()
        .map(|(k, a)| (k, a.alias_name.strip_prefix("alias/").unwrap_or(&a.alias_name).to_string()))
        .collect()
}

/// `key_alias` of one key (`None` when it has no alias).
pub async fn key_alias(ctx: &Ctx<'_>, key_id: &str) -> Result<Option<String>, HwError> {
    let aliases = ctx.kms.aliases_unchecked(Some(key_id)).await?;
    Ok(pick(aliases.into_iter()).remove(key_id))
}

/// `key_alias` of every key that has one.
pub async fn all_key_aliases(ctx: &Ctx<'_>) -> Result<HashMap<String, String>, HwError> {
    let aliases = ctx.kms.aliases_unchecked(None).await?;
    Ok(pick(aliases.into_iter()))
}

/// The key named by the body's `key_id` (checked format; unknown → `KMS.0207`), after
/// authorizing `action` (the equivalent Alibaba action, `kms:Encrypt` …) on it.
pub async fn body_key(ctx: &Ctx<'_>, action: &str) -> Result<KeyRecord, HwError> {
    let id = ctx.body.key_id()?;
    Ok(ctx.kms.authorized_record(ctx.caller, action, &id).await?)
}

/// Standard base64 decoding of a field (`bad` on failure).
pub fn base64_field(value: &str, bad: HwError) -> Result<Vec<u8>, HwError> {
    base64::engine::general_purpose::STANDARD.decode(value.trim()).map_err(|_| bad)
}

/// Standard base64.
pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The context pair that carries `additional_authenticated_data`.
pub const AAD_CONTEXT_KEY: &str = "additional_authenticated_data";
/// Longest encryption context, as JSON text.
pub const MAX_CONTEXT: usize = 8192;

/// The associated data of a symmetric operation, as the JSON encryption context the core
/// canonicalises (sorted compact JSON; DESIGN.md §3): the pairs of `encryption_context` (an
/// object of strings, compared as a map) plus, when `additional_authenticated_data` is a
/// non-empty string, the pair `"additional_authenticated_data": <it>`. So a ciphertext made
/// here opens through the Alibaba Decrypt with the same pairs as `EncryptionContext`, and vice
/// versa. Neither given → no context. Bad shapes, a conflicting pair or more than 8192
/// characters → `KMS.0208`.
pub fn context_json(ctx: &Ctx<'_>) -> Result<Option<String>, HwError> {
    let bad =
        |why: &str| HwError::with_message(codes::KMS_0208, format!("Invalid value of encryption_context: {why}."));
    let mut map = serde_json::Map::new();
    match ctx.body.raw("encryption_context") {
        None => {}
        Some(Value::Object(o)) => {
            for (k, v) in o {
                let Value::String(v) = v else { return Err(bad("every value must be a string")) };
                map.insert(k.clone(), Value::String(v.clone()));
            }
        }
        // Some clients send the object as JSON text.
        Some(Value::String(s)) if s.trim().is_empty() => {}
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(o)) if o.values().all(Value::is_string) => map = o,
            _ => return Err(bad("it must be an object of string pairs")),
        },
        Some(_) => return Err(bad("it must be an object of string pairs")),
    }
    if let Some(aad) = ctx.body.opt_str(AAD_CONTEXT_KEY)?.filter(|a| !a.is_empty()) {
        match map.get(AAD_CONTEXT_KEY) {
            Some(Value::String(v)) if *v != aad => {
                return Err(bad("additional_authenticated_data differs from the pair of that name"));
            }
            _ => {
                map.insert(AAD_CONTEXT_KEY.into(), Value::String(aad));
            }
        }
    }
    if map.is_empty() {
        return Ok(None);
    }
    let text = Value::Object(map).to_string();
    if text.chars().count() > MAX_CONTEXT {
        return Err(bad("at most 8192 characters"));
    }
    Ok(Some(text))
}

/// The primary version of an asymmetric key (the one every Huawei operation uses).
pub fn primary_version(key: &KeyRecord) -> Result<&str, HwError> {
    key.primary_version.as_deref().ok_or_else(|| HwError::new(codes::KMS_1301))
}

/// Refuses keys that cannot sign: HMAC `KMS.0341`, symmetric `KMS.1115`, encryption keys
/// `KMS.0334`.
pub fn check_signing_key(key: &KeyRecord) -> Result<(), HwError> {
    if key.spec.is_hmac() {
        return Err(HwError::new(codes::KMS_0341));
    }
    if !key.spec.is_asymmetric() {
        return Err(HwError::new(codes::KMS_1115));
    }
    if key.usage != KeyUsage::SignVerify {
        return Err(HwError::new(codes::KMS_0334));
    }
    Ok(())
}

/// Lower-case hex of a field (`bad` when it is not hex).
pub fn hex_field(value: &str, bad: HwError) -> Result<Vec<u8>, HwError> {
    hex::decode(value.trim()).map_err(|_| bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_recent_alias_wins() {
        let a = |name: &str, key: &str, t: i64| AliasRecord {
            alias_name: name.into(),
            key_id: key.into(),
            creation_date: t,
        };
        let m = pick(
            vec![a("alias/old", "k1", 1), a("alias/new", "k1", 5), a("alias/b", "k2", 3), a("alias/a", "k2", 3)]
                .into_iter(),
        );
        assert_eq!(m.get("k1").map(String::as_str), Some("new"));
        assert_eq!(m.get("k2").map(String::as_str), Some("b"));
        assert_eq!(m.len(), 2);
    }
}
