//! RotateSecret and UpdateSecretRotationPolicy (ALIBABA.md §5.5): rotation belongs to managed
//! secrets (Rds, Redis, RAMCredentials, ECS, PolarDB), which keyward does not have. For an
//! existing Generic secret both are refused with [`Error::UnsupportedOperation`]; an unknown
//! secret is [`Error::SecretNotFound`], one in its recovery window
//! [`Error::SecretInDeleteWindow`]. Rotate a Generic secret with PutSecretValue.

use crate::error::Error;
use crate::model::SecretType;
use crate::ops::secrets::{managed_only, validate_version_id};
use crate::service::{Caller, Kms};

impl Kms {
    /// RotateSecret: refused for Generic secrets.
    pub async fn rotate_secret(&self, caller: &Caller, secret_ref: &str, version_id: &str) -> Result<(), Error> {
        validate_version_id("VersionId", version_id)?;
        let secret = self.authorized_secret(caller, "kms:RotateSecret", secret_ref).await?;
        match self.live_secret(&secret.record.secret_name).await?.secret_type {
            SecretType::Generic => Err(managed_only("RotateSecret")),
        }
    }

    /// UpdateSecretRotationPolicy: refused for Generic secrets.
    pub async fn update_secret_rotation_policy(&self, caller: &Caller, secret_ref: &str) -> Result<(), Error> {
        let secret = self.authorized_secret(caller, "kms:UpdateSecretRotationPolicy", secret_ref).await?;
        match self.live_secret(&secret.record.secret_name).await?.secret_type {
            SecretType::Generic => Err(managed_only("Automatic rotation")),
        }
    }
}
