//! Helpers shared by the Huawei handlers: the `key_alias` of a key (its most recent
//! `alias/…` record), key loading, and small wire conversions.

use std::collections::HashMap;

use base64::Engine;
use keyward_core::model::{AliasRecord, KeyRecord};
use keyward_core::ops::Page;

use crate::huawei::Ctx;
use crate::huawei::error::HwError;

const ALL: Page = Page { number: 1, size: u32::MAX };

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
    let aliases = ctx.kms.list_aliases(ctx.caller, Some(key_id), ALL).await?;
    Ok(pick(aliases.items.into_iter()).remove(key_id))
}

/// `key_alias` of every key that has one.
pub async fn all_key_aliases(ctx: &Ctx<'_>) -> Result<HashMap<String, String>, HwError> {
    let aliases = ctx.kms.list_aliases(ctx.caller, None, ALL).await?;
    Ok(pick(aliases.items.into_iter()))
}

/// The key named by the body's `key_id` (checked format; unknown → `KMS.0207`).
pub async fn body_key(ctx: &Ctx<'_>) -> Result<KeyRecord, HwError> {
    let id = ctx.body.key_id()?;
    Ok(ctx.kms.describe_key(ctx.caller, &id).await?)
}

/// Standard base64 decoding of a field (`bad` on failure).
pub fn base64_field(value: &str, bad: HwError) -> Result<Vec<u8>, HwError> {
    base64::engine::general_purpose::STANDARD.decode(value.trim()).map_err(|_| bad)
}

/// Standard base64.
pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
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
