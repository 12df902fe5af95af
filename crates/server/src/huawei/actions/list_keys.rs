//! list-keys: `limit` (1–2000, default 2000; `KMS.1601`), `marker` (an offset ≥ 0, passed back
//! as `next_marker`; `KMS.1602`), `key_state` (`"1"`–`"5"`), `key_spec` (default `AES_256`,
//! `ALL` for every spec). Keys in creation order; `total` counts every match.

use keyward_core::ops::Page;
use keyward_core::ops::list_keys::KeyFilter;
use keyward_protocol::huawei::codes;
use serde_json::{Value, json};

use crate::huawei::actions::common;
use crate::huawei::error::HwError;
use crate::huawei::{Ctx, Reply, model};

/// Largest and default `limit`.
pub const MAX_LIMIT: i64 = 2000;

/// Handles `POST …/kms/list-keys`.
pub async fn handle(ctx: &Ctx<'_>) -> Result<Reply, HwError> {
    let b = ctx.body;
    let limit = b.opt_int("limit", codes::KMS_1601)?.unwrap_or(MAX_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(HwError::with_message(codes::KMS_1601, "Invalid limit: between 1 and 2000."));
    }
    let marker = b.opt_int("marker", codes::KMS_1602)?.unwrap_or(0);
    if marker < 0 {
        return Err(HwError::new(codes::KMS_1602));
    }
    let mut filters = Vec::new();
    match b.opt_str("key_spec")?.filter(|s| !s.is_empty()).as_deref().unwrap_or("AES_256") {
        "ALL" => {}
        name => {
            let spec = model::spec_from_huawei(name)
                .or_else(|| (name == "AES_128").then_some(keyward_core::model::KeySpec::Aes128))
                .ok_or_else(|| HwError::invalid("key_spec", "a key spec or ALL"))?;
            filters.push(KeyFilter::Spec(vec![spec]));
        }
    }
    if let Some(state) = b.opt_str("key_state")?.filter(|s| !s.is_empty()) {
        let state = model::state_from_code(&state).ok_or_else(|| HwError::invalid("key_state", "\"1\" to \"5\""))?;
        filters.push(KeyFilter::State(state.into_iter().collect()));
    }
    let all = ctx.kms.list_keys(ctx.caller, &filters, Page { number: 1, size: u32::MAX }).await?;
    let total = all.total;
    let start = usize::try_from(marker).unwrap_or(usize::MAX).min(total);
    let end = start.saturating_add(usize::try_from(limit).unwrap_or(0)).min(total);
    let aliases = common::all_key_aliases(ctx).await?;
    let page = all.items.get(start..end).unwrap_or_default();
    let keys: Vec<Value> = page.iter().map(|k| json!(k.key_id)).collect();
    let details: Vec<Value> =
        page.iter().map(|k| model::key_details(ctx.hw, k, aliases.get(&k.key_id).map(String::as_str))).collect();
    let truncated = end < total;
    Ok(Reply::Json(json!({
        "keys": keys,
        "key_details": details,
        "next_marker": if truncated { end.to_string() } else { String::new() },
        "truncated": if truncated { "true" } else { "false" },
        "total": total,
    })))
}
