//! Tags (HUAWEI.md §1.9), with REST verbs: add one (`POST /{key_id}/tags`), batch add or
//! delete (`POST /{key_id}/tags/action`), delete one (`DELETE /{key_id}/tags/{key}`; deleting
//! a tag the key does not have is not an error), a key's tags (`GET /{key_id}/tags`) and the
//! project's tags (`GET /tags`). Changes answer `204`. At most 20 tags per key (`KMS.0409`);
//! tag keys 1–36 characters, values 0–43, without control characters or `* < > \ =`
//! (`KMS.0401`). The same tags are seen by the Alibaba API. Query by tags
//! (`POST /resource_instances/action`, `filter` or `count`): every tag filter must hold (a key
//! the key has, with one of the values, or any value when none are listed); `matches` on
//! `resource_name` (the `key_alias`) is a substring match; `limit` 1–1000 (default 1000),
//! `offset` ≥ 0.

use std::collections::BTreeMap;

use keyward_core::Error;
use keyward_core::model::Tag;
use keyward_protocol::huawei::codes;
use serde_json::{Value, json};

use crate::huawei::actions::common;
use crate::huawei::error::HwError;
use crate::huawei::{Ctx, Reply, model};

fn bad_char(c: char) -> bool {
    c.is_control() || matches!(c, '*' | '<' | '>' | '\\' | '=')
}

fn tag_error(why: &str) -> HwError {
    HwError::with_message(codes::KMS_0401, format!("Invalid tag: {why}."))
}

fn check_tag(t: &Tag) -> Result<(), HwError> {
    let n = t.key.chars().count();
    if n == 0 || n > 36 || t.key.chars().any(bad_char) {
        return Err(tag_error("a key has 1-36 characters, none of them control characters or * < > \\ ="));
    }
    if t.value.chars().count() > 43 || t.value.chars().any(bad_char) {
        return Err(tag_error("a value has at most 43 characters, none of them control characters or * < > \\ ="));
    }
    Ok(())
}

fn parse_tag(v: &Value) -> Result<Tag, HwError> {
    let field = |name: &str| match v.get(name) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(_) => Err(tag_error("key and value are strings")),
    };
    if !v.is_object() {
        return Err(tag_error("a tag is an object {\"key\",\"value\"}"));
    }
    let t = Tag { key: field("key")?, value: field("value")? };
    check_tag(&t)?;
    Ok(t)
}

fn key_id<'a>(ctx: &'a Ctx<'_>) -> Result<&'a str, HwError> {
    ctx.path_key_id.ok_or_else(|| HwError::new(codes::KMS_0205))
}

fn quota(e: Error) -> HwError {
    match e {
        Error::LimitExceeded(_) => HwError::with_message(codes::KMS_0409, "Too many tags: a key holds at most 20."),
        other => other.into(),
    }
}

/// `POST …/kms/{key_id}/tags` with `{"tag":{"key","value"}}`.
pub async fn create_tag(ctx: &Ctx<'_>) -> Result<Reply, HwError> {
    let tag = parse_tag(ctx.body.raw("tag").ok_or_else(|| HwError::missing("tag"))?)?;
    ctx.kms.tag_key(ctx.caller, "kms:TagResource", key_id(ctx)?, &[tag]).await.map_err(quota)?;
    Ok(Reply::NoContent)
}

/// `POST …/kms/{key_id}/tags/action` with `{"tags":[…],"action":"create"|"delete"}`.
pub async fn batch(ctx: &Ctx<'_>) -> Result<Reply, HwError> {
    let action = ctx.body.req_str("action")?;
    let list = match ctx.body.raw("tags") {
        Some(Value::Array(a)) => a,
        Some(_) => return Err(tag_error("tags is a list")),
        None => return Err(HwError::missing("tags")),
    };
    let id = key_id(ctx)?;
    match action.as_str() {
        "create" => {
            let tags = list.iter().map(parse_tag).collect::<Result<Vec<_>, _>>()?;
            if tags.len() > 20 {
                return Err(HwError::with_message(codes::KMS_0409, "Too many tags: a key holds at most 20."));
            }
            ctx.kms.tag_key(ctx.caller, "kms:TagResources", id, &tags).await.map_err(quota)?;
        }
        "delete" => {
            let keys = list.iter().map(|t| parse_tag(t).map(|t| t.key)).collect::<Result<Vec<_>, _>>()?;
            ctx.kms.untag_key(ctx.caller, "kms:UntagResources", id, Some(&keys)).await?;
        }
        other => {
            let other: String = other.chars().take(32).collect();
            return Err(HwError::invalid("action", format!("{other} is not create or delete")));
        }
    }
    Ok(Reply::NoContent)
}

/// `DELETE …/kms/{key_id}/tags/{key}`.
pub async fn delete_tag(ctx: &Ctx<'_>) -> Result<Reply, HwError> {
    let tag = ctx.path_tag_key.unwrap_or_default().to_string();
    ctx.kms.untag_key(ctx.caller, "kms:UntagResource", key_id(ctx)?, Some(&[tag])).await?;
    Ok(Reply::NoContent)
}

/// `GET …/kms/{key_id}/tags`: `{"tags":[{"key","value"}],"existTagsNum":N}`.
pub async fn show_key_tags(ctx: &Ctx<'_>) -> Result<Reply, HwError> {
    let (_, tags) = ctx.kms.list_key_tags(ctx.caller, key_id(ctx)?).await?;
    let list: Vec<Value> = tags.iter().map(|t| json!({"key": t.key, "value": t.value})).collect();
    Ok(Reply::Json(json!({"tags": list, "existTagsNum": tags.len()})))
}

/// `GET …/kms/tags`: every tag key of the project with its values, `{"tags":[{"key","values"}]}`.
pub async fn list_project_tags(ctx: &Ctx<'_>) -> Result<Reply, HwError> {
    let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (_, t) in ctx.kms.all_key_tags(ctx.caller).await? {
        let values = by_key.entry(t.key).or_default();
        if !values.contains(&t.value) {
            values.push(t.value);
        }
    }
    let tags: Vec<Value> = by_key
        .into_iter()
        .map(|(k, mut v)| {
            v.sort();
            json!({"key": k, "values": v})
        })
        .collect();
    Ok(Reply::Json(json!({ "tags": tags })))
}

/// One tag filter of a query: the key, and the values any of which may match (none: any).
struct TagFilter {
    key: String,
    values: Vec<String>,
}

fn parse_filters(v: Option<&Value>) -> Result<Vec<TagFilter>, HwError> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let Value::Array(list) = v else { return Err(tag_error("tags is a list")) };
    list.iter()
        .map(|t| {
            let key = match t.get("key") {
                Some(Value::String(k)) if !k.is_empty() => k.clone(),
                _ => return Err(tag_error("every tag filter has a key")),
            };
            let values = match t.get("values") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(vs)) => vs
                    .iter()
                    .map(|x| x.as_str().map(str::to_string).ok_or_else(|| tag_error("values are strings")))
                    .collect::<Result<_, _>>()?,
                Some(_) => return Err(tag_error("values is a list")),
            };
            Ok(TagFilter { key, values })
        })
        .collect()
}

/// `POST …/kms/resource_instances/action`: keys by tags (`action` `filter` or `count`).
pub async fn query_by_tags(ctx: &Ctx<'_>) -> Result<Reply, HwError> {
    let b = ctx.body;
    let action = b.req_str("action")?;
    if action != "filter" && action != "count" {
        return Err(HwError::invalid("action", "filter or count"));
    }
    let limit = b.opt_int("limit", codes::KMS_1601)?.unwrap_or(1000);
    if !(1..=1000).contains(&limit) {
        return Err(HwError::with_message(codes::KMS_1601, "Invalid limit: between 1 and 1000."));
    }
    let offset = b.opt_int("offset", codes::KMS_1602)?.unwrap_or(0);
    if offset < 0 {
        return Err(HwError::new(codes::KMS_1602));
    }
    let filters = parse_filters(b.raw("tags"))?;
    let mut name_match = None;
    if let Some(Value::Array(matches)) = b.raw("matches") {
        for m in matches {
            match (m.get("key").and_then(Value::as_str), m.get("value").and_then(Value::as_str)) {
                (Some("resource_name"), Some(v)) => name_match = Some(v.to_string()),
                _ => {
                    return Err(HwError::invalid("matches", "only {\"key\":\"resource_name\",\"value\"} is supported"));
                }
            }
        }
    }
    let page = keyward_core::ops::Page { number: 1, size: u32::MAX };
    let keys = ctx.kms.list_keys(ctx.caller, &[], page).await?.items;
    let all_tags = ctx.kms.all_key_tags(ctx.caller).await?;
    let aliases = common::all_key_aliases(ctx).await?;
    let mut found = Vec::new();
    for key in &keys {
        let tags: Vec<&Tag> = all_tags.iter().filter(|(id, _)| *id == key.key_id).map(|(_, t)| t).collect();
        let tags_ok = filters
            .iter()
            .all(|f| tags.iter().any(|t| t.key == f.key && (f.values.is_empty() || f.values.contains(&t.value))));
        let name = aliases.get(&key.key_id).map(String::as_str).unwrap_or("");
        if tags_ok && name_match.as_deref().is_none_or(|m| name.contains(m)) {
            found.push((key, name, tags));
        }
    }
    let total = found.len();
    if action == "count" {
        return Ok(Reply::Json(json!({ "total_count": total })));
    }
    let resources: Vec<Value> = found
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(0))
        .map(|(key, name, tags)| {
            let tags: Vec<Value> = tags.iter().map(|t| json!({"key": t.key, "value": t.value})).collect();
            json!({
                "resource_id": key.key_id,
                "resource_detail": model::key_details(ctx.hw, key, Some(name)),
                "resource_name": name,
                "tags": tags,
            })
        })
        .collect();
    Ok(Reply::Json(json!({ "resources": resources, "total_count": total })))
}
