//! Shared helpers of the secret operations (ALIBABA.md §5.5): `SecretName` resolution (name or
//! secret ARN), secret ARNs and name validation.

use crate::error::Error;
use crate::service::Kms;

/// Longest secret name, in characters.
pub const MAX_SECRET_NAME: usize = 192;

/// Whether `c` is allowed in a secret name: `[A-Za-z0-9_/+=.@-]` or a CJK ideograph.
fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, '_' | '/' | '+' | '=' | '.' | '@' | '-')
        || matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Validates a new secret's name: 1–192 characters of `[A-Za-z0-9_/+=.@-]` or CJK, not starting
/// with `acs/` (reserved for managed secrets).
pub fn validate_secret_name(name: &str) -> Result<(), Error> {
    let n = name.chars().count();
    if n == 0 || n > MAX_SECRET_NAME {
        return Err(Error::invalid("SecretName", format!("must have 1-{MAX_SECRET_NAME} characters")));
    }
    if !name.chars().all(name_char) {
        return Err(Error::invalid("SecretName", "allowed characters: letters, digits, _ / + = . @ - and CJK"));
    }
    if name.starts_with("acs/") {
        return Err(Error::invalid("SecretName", "names starting with acs/ are reserved for managed secrets"));
    }
    Ok(())
}

impl Kms {
    /// The ARN of a secret: `acs:kms:{region}:{account}:secret/{name}`.
    pub fn secret_arn(&self, secret_name: &str) -> String {
        format!("acs:kms:{}:{}:secret/{}", self.config.region, self.config.account_id, secret_name)
    }

    /// Resolves a `SecretName` parameter (a name or a secret ARN of this region and account) to
    /// the secret name. An ARN of another region, account or resource type names no secret here
    /// ([`Error::SecretNotFound`]); an empty input is [`Error::InvalidParameter`]. Existence is
    /// not checked.
    pub fn resolve_secret_name(&self, input: &str) -> Result<String, Error> {
        if let Some(rest) = input.strip_prefix("acs:kms:") {
            let mut parts = rest.splitn(3, ':');
            let (region, account, resource) = (parts.next(), parts.next(), parts.next());
            return match (region, account, resource.and_then(|r| r.strip_prefix("secret/"))) {
                (Some(r), Some(a), Some(name))
                    if r == self.config.region && a == self.config.account_id && !name.is_empty() =>
                {
                    Ok(name.to_string())
                }
                _ => Err(Error::SecretNotFound),
            };
        }
        if input.is_empty() {
            return Err(Error::invalid("SecretName", "must not be empty"));
        }
        Ok(input.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::testkit::kms;

    #[tokio::test]
    async fn names_and_arns_resolve() {
        let kms = kms().await;
        assert_eq!(kms.resolve_secret_name("db/pass").unwrap(), "db/pass");
        let arn = kms.secret_arn("db/pass");
        assert_eq!(arn, "acs:kms:cn-hangzhou:1000000000000000:secret/db/pass");
        assert_eq!(kms.resolve_secret_name(&arn).unwrap(), "db/pass");
        for foreign in [
            "acs:kms:cn-beijing:1000000000000000:secret/db/pass",
            "acs:kms:cn-hangzhou:2:secret/db/pass",
            "acs:kms:cn-hangzhou:1000000000000000:key/db",
            "acs:kms:cn-hangzhou:1000000000000000:secret/",
        ] {
            assert!(matches!(kms.resolve_secret_name(foreign), Err(Error::SecretNotFound)), "{foreign}");
        }
        assert!(matches!(kms.resolve_secret_name(""), Err(Error::InvalidParameter { name: "SecretName", .. })));
    }

    #[test]
    fn name_rules() {
        for ok in ["a", "db/prod+x=1.y@z-_", "数据库密码", &"n".repeat(192)] {
            validate_secret_name(ok).unwrap();
        }
        for bad in ["", "acs/ecs/x", "a b", "a:b", "é", &"n".repeat(193)] {
            assert!(validate_secret_name(bad).is_err(), "{bad}");
        }
    }
}
