//! create-key: a key (spec default `AES_256`) with its `key_alias` as the alias record
//! `alias/<key_alias>`. The alias is checked before the key is made; should another request
//! take it in between, the new key is scheduled for deletion (7 days) and `KMS.1104` returned.
//! HMAC keys cannot be imported: an HMAC spec with `origin: external` → `KMS.0341`. External
//! RSA/EC keys live in the default key store (their private keys are imported with the
//! temporary-key flow); external SM2 keys are refused by the core (no default-store layout).

use keyward_core::Error;
use keyward_core::model::{KeyUsage, Origin};
use keyward_core::ops::create_key::{CreateKeyOptions, CreateKeyRequest};
use keyward_protocol::huawei::codes;
use serde_json::json;

use crate::huawei::error::HwError;
use crate::huawei::{Ctx, Reply, model};

/// Longest `key_description`.
pub const MAX_DESCRIPTION: usize = 255;

/// Handles `POST …/kms/create-key`.
pub async fn handle(ctx: &Ctx<'_>) -> Result<Reply, HwError> {
    let b = ctx.body;
    let alias = b.req_str("key_alias")?;
    if !model::valid_alias(&alias) {
        return Err(HwError::with_message(
            codes::KMS_1101,
            "Invalid key_alias: 1-249 characters of a-z A-Z 0-9 : / _ -, not ending in /default, not starting with acs.",
        ));
    }
    let spec_name = b.opt_str("key_spec")?.unwrap_or_else(|| "AES_256".into());
    let spec = model::spec_from_huawei(&spec_name)
        .ok_or_else(|| HwError::invalid("key_spec", format!("{} is not a supported key spec", short(&spec_name))))?;
    let usage = match b.opt_str("key_usage")?.filter(|u| !u.is_empty()) {
        None => None,
        Some(u) => Some(
            model::usage_from_huawei(&u)
                .ok_or_else(|| HwError::invalid("key_usage", format!("{} is not a key usage", short(&u))))?,
        ),
    };
    let description = b.opt_str("key_description")?.unwrap_or_default();
    if description.chars().count() > MAX_DESCRIPTION {
        return Err(HwError::with_message(codes::KMS_1103, "Invalid key_description: at most 255 characters."));
    }
    let origin = match b.opt_str("origin")?.as_deref() {
        None | Some("" | "kms") => Origin::Kms,
        Some("external") => Origin::External,
        Some(o) => return Err(HwError::invalid("origin", format!("{} is not kms or external", short(o)))),
    };
    if origin == Origin::External && spec.is_hmac() {
        return Err(HwError::with_message(
            codes::KMS_0341,
            "The hmac key do not support this operation: HMAC keys cannot be imported.",
        ));
    }
    match b.opt_str("keystore_id")?.as_deref() {
        None | Some("" | "0") => {}
        Some(_) => return Err(HwError::invalid("keystore_id", "only the default key store \"0\" is available")),
    }
    let alias_name = model::alias_record(&alias);
    if ctx.kms.resolve_key(&alias_name).await.is_ok() {
        return Err(HwError::new(codes::KMS_1104));
    }
    // Huawei's default usage: SIGN_VERIFY for every asymmetric spec (Alibaba's is ENCRYPT/DECRYPT
    // for RSA and SM2); the spec's own default otherwise.
    let usage = usage.or_else(|| {
        (spec.is_asymmetric() && spec.allowed_usages().contains(&KeyUsage::SignVerify)).then_some(KeyUsage::SignVerify)
    });
    let req = CreateKeyRequest { spec: Some(spec), usage, origin: Some(origin), description, ..Default::default() };
    // Huawei imports RSA/EC private keys into ordinary keys (temporary AES key + RFC 5649).
    let options = CreateKeyOptions { default_store_asymmetric_import: true };
    let key = ctx.kms.create_key_with(ctx.caller, req, options).await?;
    if let Err(e) = ctx.kms.create_alias(ctx.caller, &alias_name, &key.key_id).await {
        // Lost a race for the alias (or hit the alias quota): do not leave an unnamed key.
        let _ = ctx.kms.schedule_key_deletion(ctx.caller, &key.key_id, 7).await;
        return Err(match e {
            Error::AliasAlreadyExists => HwError::new(codes::KMS_1104),
            other => other.into(),
        });
    }
    Ok(Reply::Json(json!({
        "key_info": {"key_id": key.key_id, "domain_id": ctx.hw.domain_id, "region_id": ctx.hw.region}
    })))
}

/// At most 64 characters of user input for messages.
pub fn short(s: &str) -> String {
    s.chars().take(64).collect()
}
