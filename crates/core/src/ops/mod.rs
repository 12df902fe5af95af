//! One file per API operation. Each takes the [`crate::Caller`] and a typed request and returns
//! domain values; protocol layers translate to and from the wire.

pub mod aliases;
pub mod asymmetric;
pub mod cancel_key_deletion;
pub mod create_instance;
pub mod create_key;
pub mod create_secret;
pub mod decrypt;
pub mod delete_key_material;
pub mod delete_secret;
pub mod describe_key;
pub mod describe_regions;
pub mod describe_secret;
pub mod destroy_due_keys;
pub mod disable_key;
pub mod enable_key;
pub mod encrypt;
pub mod export_data_key;
pub mod generate_data_key;
pub mod get_kms_instance;
pub mod get_kms_instance_quota_infos;
pub mod get_parameters_for_import;
pub mod get_random_password;
pub mod get_secret_value;
pub mod import_key_material;
pub mod import_wrapped_private_key;
pub mod key_policy;
pub mod key_versions;
pub mod keyops;
pub mod list_keys;
pub mod list_kms_instances;
pub mod list_secret_version_ids;
pub mod list_secrets;
pub mod mac;
pub mod put_secret_value;
pub mod re_encrypt;
pub mod rotate_secret;
pub mod schedule_key_deletion;
pub mod secret_policy;
pub mod secrets;
pub mod set_deletion_protection;
pub mod sweep_expired_material;
pub mod tags;
pub mod update_key_description;
pub mod update_secret;
pub mod update_secret_version_stage;

/// The only policy name of keys and secrets (`PolicyName`).
pub const POLICY_NAME: &str = "default";

/// Refuses a `PolicyName` other than [`POLICY_NAME`]; `what` is `key` or `secret`.
pub(crate) fn check_policy_name(policy_name: Option<&str>, what: &str) -> Result<(), crate::Error> {
    match policy_name {
        None | Some(POLICY_NAME) => Ok(()),
        Some(_) => Err(crate::Error::invalid("PolicyName", format!("the only {what} policy is {POLICY_NAME}"))),
    }
}

/// A page request: `number` ≥ 1, `size` within the action's limits (checked by the caller).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    /// 1-based page number.
    pub number: u32,
    /// Page size.
    pub size: u32,
}

/// A page of results with the total count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paged<T> {
    /// Items of the requested page.
    pub items: Vec<T>,
    /// Total number of items over all pages.
    pub total: usize,
}

impl<T> Paged<T> {
    /// Cuts `all` into the requested page.
    pub fn cut(all: Vec<T>, page: Page) -> Self {
        let total = all.len();
        let start = (page.number.saturating_sub(1) as usize).saturating_mul(page.size as usize);
        let items = all.into_iter().skip(start).take(page.size as usize).collect();
        Self { items, total }
    }
}

#[cfg(test)]
pub(crate) mod testkit;

#[cfg(test)]
mod secrets_tests;
