//! EnableKey (ALIBABA.md §5.6): Disabled → Enabled; Enabled stays; other states refused.

use crate::error::Error;
use crate::model::{KeyRecord, KeyState};
use crate::service::{Caller, Kms};

impl Kms {
    /// Enables a key.
    pub async fn enable_key(&self, caller: &Caller, key_ref: &str) -> Result<KeyRecord, Error> {
        self.authorized_key(caller, "kms:EnableKey", key_ref, None).await?;
        self.update_key_with(key_ref, |k| match self.effective(k.clone()).state {
            KeyState::Enabled | KeyState::Disabled => {
                k.state = KeyState::Enabled;
                Ok(())
            }
            s => Err(Error::StateModifiedFailed(s)),
        })
        .await
    }
}
