//! One file per Alibaba action: wire parameters → typed core request → `kms.op(caller, req)`
//! → wire JSON. Shared encoders (KeyMetadata, lists) live here.

use keyward_core::Kms;
use keyward_core::model::{KeyRecord, Origin};
use keyward_core::ops::Page;
use keyward_protocol::params::Params;
use keyward_protocol::time::format as t;
use serde_json::{Map, Value, json};

use crate::error::ApiError;

pub mod asymmetric_decrypt;
pub mod asymmetric_encrypt;
pub mod asymmetric_sign;
pub mod asymmetric_verify;
pub mod batch_get_secret_value;
pub mod cancel_key_deletion;
pub mod create_alias;
pub mod create_key;
pub mod create_key_version;
pub mod create_secret;
pub mod crypto_params;
pub mod decrypt;
pub mod delete_alias;
pub mod delete_key_material;
pub mod delete_secret;
pub mod describe_account_kms_status;
pub mod describe_key;
pub mod describe_key_version;
pub mod describe_regions;
pub mod describe_secret;
pub mod disable_key;
pub mod enable_key;
pub mod encrypt;
pub mod export_data_key;
pub mod generate_and_export_data_key;
pub mod generate_data_key;
pub mod generate_data_key_without_plaintext;
pub mod get_key_policy;
pub mod get_kms_instance;
pub mod get_kms_instance_quota_infos;
pub mod get_parameters_for_import;
pub mod get_public_key;
pub mod get_random_password;
pub mod get_secret_policy;
pub mod get_secret_value;
pub mod import_key_material;
pub mod list_aliases;
pub mod list_aliases_by_key_id;
pub mod list_key_versions;
pub mod list_keys;
pub mod list_kms_instances;
pub mod list_resource_tags;
pub mod list_secret_version_ids;
pub mod list_secrets;
pub mod list_tag_resources;
pub mod put_secret_value;
pub mod re_encrypt;
pub mod restore_secret;
pub mod rotate_secret;
pub mod schedule_key_deletion;
pub mod secret_params;
pub mod set_deletion_protection;
pub mod set_key_policy;
pub mod set_secret_policy;
pub mod tag_params;
pub mod tag_resource;
pub mod tag_resources;
pub mod untag_resource;
pub mod untag_resources;
pub mod update_alias;
pub mod update_key_description;
pub mod update_rotation_policy;
pub mod update_secret;
pub mod update_secret_rotation_policy;
pub mod update_secret_version_stage;

/// `KeyMetadata` as CreateKey and DescribeKey return it (ALIBABA.md §4.2). DescribeKey adds the
/// deletion-protection fields.
pub(crate) fn key_metadata(kms: &Kms, k: &KeyRecord, describe: bool) -> Value {
    let mut m = Map::new();
    let mut put = |name: &str, v: Value| {
        m.insert(name.to_string(), v);
    };
    put("KeyId", json!(k.key_id));
    put("Arn", json!(kms.key_arn(&k.key_id)));
    put("Description", json!(k.description));
    put("KeyState", json!(k.state.as_str()));
    put("KeySpec", json!(k.spec.as_str()));
    put("KeyUsage", json!(k.usage.as_str()));
    put("Origin", json!(k.origin.as_str()));
    put("ProtectionLevel", json!(k.protection_level.as_str()));
    put("CreationDate", json!(t(k.creation_date)));
    put("Creator", json!(k.creator));
    if let Some(v) = &k.primary_version {
        put("PrimaryKeyVersion", json!(v));
    }
    if let Some(last) = k.last_rotation {
        put("LastRotationDate", json!(t(last)));
    }
    if let Some(d) = k.delete_date {
        put("DeleteDate", json!(t(d)));
    }
    if k.origin == Origin::External {
        put("MaterialExpireTime", json!(k.material_expire.map(t).unwrap_or_default()));
    }
    put("AutomaticRotation", json!(if k.rotation.enabled { "Enabled" } else { "Disabled" }));
    if k.rotation.enabled {
        if let Some(secs) = k.rotation.interval_secs {
            put("RotationInterval", json!(format!("{secs}s")));
        }
        if let Some(next) = k.rotation.next_rotation {
            put("NextRotationDate", json!(t(next)));
        }
    }
    if let Some(i) = &k.instance_id {
        put("DKMSInstanceId", json!(i));
    }
    if describe {
        put("DeletionProtection", json!(if k.deletion_protection.enabled { "Enabled" } else { "Disabled" }));
        put("DeletionProtectionDescription", json!(k.deletion_protection.description));
    }
    Value::Object(m)
}

/// Reads `PageNumber`/`PageSize`.
pub(crate) fn page(p: &Params, default: u32, max: u32) -> Result<Page, ApiError> {
    let (number, size) = p.page(default, max)?;
    Ok(Page { number, size })
}

/// Parses a `RotationInterval` like `7d`, `168h`, `604800s` or `604800` into seconds.
pub(crate) fn parse_interval(name: &str, s: &str) -> Result<i64, ApiError> {
    let s = s.trim();
    let (digits, unit) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&s[..i], c.to_ascii_lowercase()),
        _ => (s, 's'),
    };
    let n: i64 =
        digits.parse().map_err(|_| ApiError::invalid(name, "use an integer followed by d, h, m or s, e.g. 365d"))?;
    let mult = match unit {
        'd' => 86_400,
        'h' => 3_600,
        'm' => 60,
        's' => 1,
        _ => return Err(ApiError::invalid(name, "use an integer followed by d, h, m or s, e.g. 365d")),
    };
    n.checked_mul(mult).filter(|v| *v > 0).ok_or_else(|| ApiError::invalid(name, "out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_intervals() {
        assert_eq!(parse_interval("R", "7d").unwrap(), 604_800);
        assert_eq!(parse_interval("R", "168h").unwrap(), 604_800);
        assert_eq!(parse_interval("R", "604800s").unwrap(), 604_800);
        assert_eq!(parse_interval("R", "604800").unwrap(), 604_800);
        for bad in ["", "d", "7x", "-1d", "99999999999999999d", "7 d"] {
            assert!(parse_interval("R", bad).is_err(), "{bad}");
        }
    }
}
