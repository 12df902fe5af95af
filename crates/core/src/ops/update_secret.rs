//! UpdateSecret (ALIBABA.md §5.5): a secret's description. `ExtendedConfig.CustomData` belongs
//! to managed secrets and is refused for Generic ones.

use crate::error::Error;
use crate::ops::secrets::{MAX_SECRET_DESCRIPTION, ensure_live, managed_only};
use crate::service::{Caller, Kms};

impl Kms {
    /// Sets the description (when `Some`); `custom_data` says whether the request carried
    /// `ExtendedConfig.CustomData`, which Generic secrets refuse. Returns the secret name.
    pub async fn update_secret(
        &self,
        caller: &Caller,
        secret_ref: &str,
        description: Option<String>,
        custom_data: bool,
    ) -> Result<String, Error> {
        self.authorized_secret(caller, "kms:UpdateSecret", secret_ref).await?;
        if description.as_ref().is_some_and(|d| d.chars().count() > MAX_SECRET_DESCRIPTION) {
            return Err(Error::invalid("Description", format!("at most {MAX_SECRET_DESCRIPTION} characters")));
        }
        let name = self.resolve_secret_name(secret_ref)?;
        self.update_secret_with(&name, |rec, _| {
            ensure_live(rec)?;
            if custom_data {
                return Err(managed_only("ExtendedConfig.CustomData"));
            }
            if let Some(d) = &description {
                rec.description.clone_from(d);
            }
            Ok(())
        })
        .await?;
        Ok(name)
    }
}
