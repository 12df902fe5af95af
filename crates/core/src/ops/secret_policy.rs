//! GetSecretPolicy and SetSecretPolicy (ALIBABA.md §5.5): the secret's `default` policy document,
//! a resource policy checked with [`crate::policy::Policy::parse`] and evaluated by
//! [`crate::authz`] together with the caller's own policies. A secret without a policy of its
//! own answers Alibaba's default document (its account-wide principal grants the account's
//! users nothing by itself).

use crate::error::Error;
use crate::ops::check_policy_name;
use crate::ops::secrets::{MAX_POLICY, default_policy, ensure_live};
use crate::policy::{Policy, PolicyKind};
use crate::service::{Caller, Kms};

impl Kms {
    /// The secret's policy document.
    pub async fn get_secret_policy(
        &self,
        caller: &Caller,
        secret_ref: &str,
        policy_name: Option<&str>,
    ) -> Result<String, Error> {
        check_policy_name(policy_name, "secret")?;
        let secret = self.authorized_secret(caller, "kms:GetSecretPolicy", secret_ref).await?;
        ensure_live(&secret.record)?;
        let secret = secret.record.clone();
        Ok(if secret.policy.is_empty() { default_policy(&self.config.account_id) } else { secret.policy })
    }

    /// Replaces the secret's policy document.
    pub async fn set_secret_policy(
        &self,
        caller: &Caller,
        secret_ref: &str,
        policy_name: Option<&str>,
        policy: &str,
    ) -> Result<(), Error> {
        check_policy_name(policy_name, "secret")?;
        if policy.is_empty() || policy.chars().count() > MAX_POLICY {
            return Err(Error::invalid("Policy", format!("must have 1-{MAX_POLICY} characters")));
        }
        Policy::parse(policy, PolicyKind::Resource)?;
        self.authorized_secret(caller, "kms:SetSecretPolicy", secret_ref).await?;
        let name = self.resolve_secret_name(secret_ref)?;
        self.update_secret_with(&name, |rec, _| {
            ensure_live(rec)?;
            policy.clone_into(&mut rec.policy);
            Ok(())
        })
        .await?;
        Ok(())
    }
}
