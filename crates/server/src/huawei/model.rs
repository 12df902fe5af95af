//! How Huawei's key model maps onto keyward's (one set of keys for both protocols):
//!
//! - `key_state` `"2"`–`"5"` ↔ Enabled / Disabled / PendingDeletion / PendingImport (`"1"`,
//!   "pending activation", never happens: keys are usable as soon as they are created).
//! - `key_spec`: `AES_256` ↔ `Aliyun_AES_256`, `SM4` ↔ `Aliyun_SM4`, `SECP256K1` ↔ `EC_P256K`,
//!   `SM2` ↔ `EC_SM2`; RSA, EC and HMAC names are shared. Alibaba's `Aliyun_AES_128` shows as
//!   `AES_128` but cannot be created here (not a Huawei CMK spec).
//! - `key_usage`: the Alibaba name with `/` → `_` (`ENCRYPT_DECRYPT`, `SIGN_VERIFY`,
//!   `GENERATE_VERIFY_MAC`).
//! - `origin`: `kms` ↔ `Aliyun_KMS`, `external` ↔ `EXTERNAL`.
//! - `key_alias` ↔ the alias record `alias/<key_alias>`, so Alibaba users see and can use
//!   the alias. A key shows its most recently created alias (a key made through the Alibaba
//!   API may have none: `""`).
//! - Dates are milliseconds as strings; `domain_id` is 32 hex characters derived from the
//!   account id; `realm` is the region.

use keyward_core::model::{KeyRecord, KeySpec, KeyState, KeyUsage, Origin};
use serde_json::{Value, json};

use crate::huawei::Huawei;

/// Huawei spec name → keyward (Alibaba-style) spec name.
const SPECS: &[(&str, &str)] = &[
    ("AES_256", "Aliyun_AES_256"),
    ("SM4", "Aliyun_SM4"),
    ("RSA_2048", "RSA_2048"),
    ("RSA_3072", "RSA_3072"),
    ("RSA_4096", "RSA_4096"),
    ("EC_P256", "EC_P256"),
    ("EC_P384", "EC_P384"),
    ("SECP256K1", "EC_P256K"),
    ("SM2", "EC_SM2"),
    ("HMAC_256", "HMAC_256"),
    ("HMAC_384", "HMAC_384"),
    ("HMAC_512", "HMAC_512"),
];

/// Specs shown but not creatable through the Huawei API.
const DISPLAY_ONLY: &[(&str, &str)] = &[("AES_128", "Aliyun_AES_128")];

/// The key spec of a Huawei name that create-key accepts.
pub fn spec_from_huawei(name: &str) -> Option<KeySpec> {
    SPECS.iter().find(|(h, _)| *h == name).and_then(|(_, n)| KeySpec::from_name(n))
}

/// The Huawei name of a spec.
pub fn spec_to_huawei(spec: KeySpec) -> &'static str {
    let name = spec.as_str();
    SPECS.iter().chain(DISPLAY_ONLY).find(|(_, n)| *n == name).map_or(name, |(h, _)| *h)
}

/// The key usage of a Huawei name.
pub fn usage_from_huawei(name: &str) -> Option<KeyUsage> {
    if name.is_empty() || name.contains('/') {
        return None;
    }
    KeyUsage::from_name(&name.replacen('_', "/", 1))
}

/// The Huawei name of a usage.
pub fn usage_to_huawei(usage: KeyUsage) -> String {
    usage.as_str().replace('/', "_")
}

/// `key_state`.
pub fn state_code(s: KeyState) -> &'static str {
    match s {
        KeyState::Enabled => "2",
        KeyState::Disabled => "3",
        KeyState::PendingDeletion => "4",
        KeyState::PendingImport => "5",
    }
}

/// Parses a `key_state` filter value (`"1"` matches nothing).
pub fn state_from_code(s: &str) -> Option<Option<KeyState>> {
    Some(match s {
        "1" => None,
        "2" => Some(KeyState::Enabled),
        "3" => Some(KeyState::Disabled),
        "4" => Some(KeyState::PendingDeletion),
        "5" => Some(KeyState::PendingImport),
        _ => return None,
    })
}

/// `origin`.
pub fn origin_name(o: Origin) -> &'static str {
    match o {
        Origin::Kms => "kms",
        Origin::External => "external",
    }
}

/// Unix seconds → the wire's millisecond string.
pub fn ms(t: i64) -> String {
    t.saturating_mul(1000).to_string()
}

/// Validates a Huawei `key_alias`: `^[a-zA-Z0-9:/_-]{1,255}$`, not ending in `/default`, and
/// short enough that `alias/<key_alias>` fits Alibaba's 255 characters.
pub fn valid_alias(a: &str) -> bool {
    !a.is_empty()
        && a.len() <= 249
        && a.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'/' | b'_' | b'-'))
        && !a.ends_with("/default")
        && !a.starts_with("acs")
}

/// The alias record name of a `key_alias`.
pub fn alias_record(key_alias: &str) -> String {
    format!("alias/{key_alias}")
}

/// `KeyDetails` (HUAWEI.md §1.2): every field a string.
pub fn key_details(hw: &Huawei, key: &KeyRecord, alias: Option<&str>) -> Value {
    json!({
        "key_id": key.key_id,
        "domain_id": hw.domain_id,
        "key_alias": alias.unwrap_or(""),
        "realm": hw.region,
        "key_spec": spec_to_huawei(key.spec),
        "key_usage": usage_to_huawei(key.usage),
        "key_description": key.description,
        "creation_date": ms(key.creation_date),
        "scheduled_deletion_date": key.delete_date.map(ms).unwrap_or_default(),
        "key_state": state_code(key.state),
        "default_key_flag": "0",
        "key_type": "1",
        "expiration_time": key.material_expire.map(ms).unwrap_or_default(),
        "origin": origin_name(key.origin),
        "key_rotation_enabled": if key.rotation.enabled { "true" } else { "false" },
        "sys_enterprise_project_id": "0",
        "keystore_id": "0",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (h, _) in SPECS {
            if let Some(spec) = spec_from_huawei(h) {
                assert_eq!(spec_to_huawei(spec), *h);
            }
        }
        for (h, _) in SPECS {
            assert!(spec_from_huawei(h).is_some(), "{h}");
        }
        assert_eq!(spec_from_huawei("HMAC_384"), Some(KeySpec::Hmac384));
        assert_eq!(spec_from_huawei("EC_P384"), Some(KeySpec::EcP384));
        assert_eq!(spec_from_huawei("Aliyun_AES_256"), None);
        assert_eq!(spec_from_huawei("AES_128"), None);
        assert_eq!(spec_to_huawei(KeySpec::Aes128), "AES_128");
        assert_eq!(spec_to_huawei(KeySpec::EcP256K), "SECP256K1");
        for u in KeyUsage::ALL {
            assert_eq!(usage_from_huawei(&usage_to_huawei(u)), Some(u));
        }
        assert_eq!(usage_to_huawei(KeyUsage::EncryptDecrypt), "ENCRYPT_DECRYPT");
        assert_eq!(usage_to_huawei(KeyUsage::GenerateVerifyMac), "GENERATE_VERIFY_MAC");
        assert_eq!(usage_from_huawei("ENCRYPT/DECRYPT"), None);
        assert_eq!(state_from_code("4"), Some(Some(KeyState::PendingDeletion)));
        assert_eq!(state_from_code("6"), None);
        for s in KeyState::ALL {
            assert_eq!(state_from_code(state_code(s)), Some(Some(s)));
        }
    }

    #[test]
    fn aliases() {
        for ok in ["a", "my-key_1", "team/app:prod", &"x".repeat(249)] {
            assert!(valid_alias(ok), "{ok}");
        }
        for bad in ["", "a b", "é", "x/default", "acs-x", &"x".repeat(250)] {
            assert!(!valid_alias(bad), "{bad}");
        }
    }
}
