//! The Huawei project id this server answers for, and the account's `domain_id`.
//!
//! The project id is `huawei.project_id` / `KEYWARD_HUAWEI_PROJECT_ID` when configured;
//! otherwise a random 32-hex id generated once and kept in the store's `meta` row
//! `huawei-project-id`, so it survives restarts and is shared by every node of the store.

use aws_lc_rs::digest;
use keyward_core::{Error, Kms};
use keyward_crypto::random;

/// The `meta` row holding the generated project id.
pub const META_ROW: &str = "huawei-project-id";

/// Whether `s` is a project id: 32 lower-case hex characters.
pub fn is_project_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The configured project id, or the one kept in the store (generated on first use).
pub async fn resolve_project_id(kms: &Kms, configured: Option<&str>) -> Result<String, Error> {
    if let Some(id) = configured {
        return Ok(id.to_string());
    }
    if let Some(id) = stored(kms).await? {
        return Ok(id);
    }
    let fresh = hex::encode(random::bytes(16)?);
    kms.store().put_meta_if_absent(META_ROW, fresh.as_bytes()).await?;
    stored(kms).await?.ok_or_else(|| Error::Internal("huawei project id missing after write".into()))
}

async fn stored(kms: &Kms) -> Result<Option<String>, Error> {
    match kms.store().get_meta(META_ROW).await? {
        None => Ok(None),
        Some(raw) => match String::from_utf8(raw) {
            Ok(id) if is_project_id(&id) => Ok(Some(id)),
            _ => Err(Error::Internal(format!("the meta row {META_ROW} does not hold a project id"))),
        },
    }
}

/// `domain_id`: 32 hex characters derived from the account id (stable, not secret).
pub fn domain_id(account_id: &str) -> String {
    let d = digest::digest(&digest::SHA256, format!("keyward-huawei-domain\0{account_id}").as_bytes());
    hex::encode(d.as_ref().get(..16).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(is_project_id("0123456789abcdef0123456789abcdef"));
        assert!(!is_project_id("0123456789ABCDEF0123456789abcdef"));
        assert!(!is_project_id("{project_id}"));
        let d = domain_id("1000000000000000");
        assert!(is_project_id(&d));
        assert_eq!(d, domain_id("1000000000000000"));
        assert_ne!(d, domain_id("1000000000000001"));
    }
}
