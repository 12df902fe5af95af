//! GetSecretPolicy and SetSecretPolicy (ALIBABA.md §5.5): the secret's `default` policy document,
//! stored and returned (evaluating policies is a later issue). A secret without a policy of its
//! own has the default one: allow everything within the account. The document's JSON shape is
//! checked by the protocol layer.

use crate::error::Error;
use crate::ops::secrets::{MAX_POLICY, POLICY_NAME, default_policy, ensure_live};
use crate::service::{Caller, Kms};

fn check_policy_name(policy_name: Option<&str>) -> Result<(), Error> {
    match policy_name {
        None | Some(POLICY_NAME) => Ok(()),
        Some(_) => Err(Error::invalid("PolicyName", "the only secret policy is default")),
    }
}

impl Kms {
    /// The secret's policy document.
    pub async fn get_secret_policy(
        &self,
        caller: &Caller,
        secret_ref: &str,
        policy_name: Option<&str>,
    ) -> Result<String, Error> {
        let _ = caller;
        check_policy_name(policy_name)?;
        let secret = self.live_secret(secret_ref).await?;
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
        let _ = caller;
        check_policy_name(policy_name)?;
        if policy.is_empty() || policy.chars().count() > MAX_POLICY {
            return Err(Error::invalid("Policy", format!("must have 1-{MAX_POLICY} characters")));
        }
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
