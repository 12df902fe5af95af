//! CreateSecret (ALIBABA.md §5.5): a Generic secret with its first version (stage `ACSCurrent`),
//! encrypted under `EncryptionKeyId` or the service-managed default key, optionally in a KMS
//! instance (whose secret quota applies).

use keyward_crypto::SecretBytes;

use crate::error::Error;
use crate::model::{SecretDataType, SecretRecord, SecretType, SecretVersionRecord, Tag};
use crate::ops::create_key::validate_tags;
use crate::ops::secrets::{
    ACS_CURRENT, MAX_POLICY, MAX_SECRET_DESCRIPTION, managed_only, validate_data, validate_secret_name,
    validate_version_id,
};
use crate::service::{Caller, Kms};
use crate::store::{NewSecret, StoreError};

/// A CreateSecret request. Build it with [`CreateSecretRequest::new`] and set the optional
/// fields. It has no `Debug`: it holds the secret data.
pub struct CreateSecretRequest {
    /// `SecretName`.
    pub secret_name: String,
    /// `VersionId` of the first version.
    pub version_id: String,
    /// `SecretData`, exactly as given.
    pub data: SecretBytes,
    /// `SecretDataType` (default `text`).
    pub data_type: SecretDataType,
    /// `SecretType` (default and only: Generic).
    pub secret_type: SecretType,
    /// `Description`, at most 1024 characters.
    pub description: String,
    /// `EncryptionKeyId`: key id, ARN or alias; `None` = the default key for secrets.
    pub encryption_key: Option<String>,
    /// `DKMSInstanceId`: the secret goes into this instance (its key must be in it).
    pub instance_id: Option<String>,
    /// `Tags`.
    pub tags: Vec<Tag>,
    /// `EnableAutomaticRotation` (refused: managed secrets only).
    pub enable_automatic_rotation: bool,
    /// `Policy`: a policy document (its JSON shape is checked by the protocol layer).
    pub policy: Option<String>,
}

impl CreateSecretRequest {
    /// A request with the documented defaults.
    pub fn new(secret_name: impl Into<String>, version_id: impl Into<String>, data: SecretBytes) -> Self {
        Self {
            secret_name: secret_name.into(),
            version_id: version_id.into(),
            data,
            data_type: SecretDataType::Text,
            secret_type: SecretType::Generic,
            description: String::new(),
            encryption_key: None,
            instance_id: None,
            tags: Vec::new(),
            enable_automatic_rotation: false,
            policy: None,
        }
    }
}

/// What CreateSecret returns: the secret and the id of its first version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreatedSecret {
    /// The secret.
    pub secret: SecretRecord,
    /// The first version.
    pub version_id: String,
}

impl Kms {
    /// Creates a secret. A name taken by a live secret is [`Error::AlreadyExists`]; by a secret in
    /// its recovery window, [`Error::SecretInDeleteWindow`].
    pub async fn create_secret(&self, caller: &Caller, req: CreateSecretRequest) -> Result<CreatedSecret, Error> {
        validate_secret_name(&req.secret_name)?;
        validate_version_id("VersionId", &req.version_id)?;
        validate_data(req.data.expose(), req.data_type)?;
        if req.description.chars().count() > MAX_SECRET_DESCRIPTION {
            return Err(Error::invalid("Description", format!("at most {MAX_SECRET_DESCRIPTION} characters")));
        }
        if req.policy.as_ref().is_some_and(|p| p.chars().count() > MAX_POLICY) {
            return Err(Error::invalid("Policy", format!("at most {MAX_POLICY} characters")));
        }
        if let Some(p) = &req.policy {
            crate::policy::Policy::parse(p, crate::policy::PolicyKind::Resource)?;
        }
        self.authorize_arn(caller, "kms:CreateSecret", &self.secret_arn(&req.secret_name)).await?;
        validate_tags(&req.tags)?;
        if req.enable_automatic_rotation {
            return Err(managed_only("Automatic rotation"));
        }
        let name = req.secret_name.as_str();
        self.check_name_free(name).await?;

        let requested_instance = match &req.instance_id {
            Some(id) => Some(self.store.get_instance(id).await?.ok_or(Error::InstanceNotFound)?),
            None => None,
        };
        let key_id = match (&req.encryption_key, &requested_instance) {
            // Sealing the first version under a key of the caller's choice needs kms:Encrypt on it.
            (Some(k), _) => self.authorized_key(caller, "kms:Encrypt", k, None).await?.record.key_id.clone(),
            (None, Some(_)) => {
                return Err(Error::invalid("EncryptionKeyId", "is required with DKMSInstanceId"));
            }
            (None, None) => self.default_secret_key(caller).await?,
        };
        let key = self.loaded_key(&key_id).await?;
        if Self::check_symmetric(&key).is_err() {
            return Err(Error::invalid(
                "EncryptionKeyId",
                format!("{key_id} is not a symmetric ENCRYPT/DECRYPT key; secrets need one"),
            ));
        }
        self.check_usable(&key)?;
        if let Some(inst) = &requested_instance
            && key.record.instance_id.as_deref() != Some(inst.instance_id.as_str())
        {
            return Err(Error::invalid(
                "EncryptionKeyId",
                format!("key {key_id} does not belong to KMS instance {}", inst.instance_id),
            ));
        }
        let instance = match (requested_instance, &key.record.instance_id) {
            (Some(i), _) => Some(i),
            (None, Some(id)) => self.store.get_instance(id).await?,
            (None, None) => None,
        };

        let ciphertext = self.seal_secret_data(&key, name, &req.version_id, req.data.expose())?;
        let now = self.now();
        let secret = SecretRecord {
            secret_name: name.to_string(),
            secret_type: req.secret_type,
            description: req.description,
            encryption_key_id: key_id,
            instance_id: instance.as_ref().map(|i| i.instance_id.clone()),
            creation_date: now,
            update_date: now,
            planned_delete: None,
            policy: req.policy.unwrap_or_default(),
            creator: self.config.account_id.clone(),
            revision: 0,
        };
        let version = SecretVersionRecord {
            secret_name: name.to_string(),
            version_id: req.version_id.clone(),
            seq: 1,
            creation_date: now,
            data_type: req.data_type,
            ciphertext,
            stages: vec![ACS_CURRENT.to_string()],
        };
        for attempt in 0..2 {
            let new = NewSecret {
                secret: &secret,
                version: &version,
                tags: &req.tags,
                instance_quota: instance.as_ref().map(|i| i.secret_quota),
            };
            let result = self.store.create_secret(new).await;
            self.invalidate_secret(name);
            match result {
                Ok(()) => return Ok(CreatedSecret { secret, version_id: req.version_id }),
                Err(StoreError::AlreadyExists) if attempt == 0 => self.check_name_free(name).await?,
                Err(StoreError::AlreadyExists) => return Err(Error::AlreadyExists("secret")),
                Err(StoreError::QuotaExceeded) => {
                    return Err(Error::LimitExceeded("the KMS instance's secret quota is exhausted".into()));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::AlreadyExists("secret"))
    }

    /// Refuses a name held by a live secret or one in its recovery window; removes a secret whose
    /// window has passed but that the purge job has not removed yet.
    async fn check_name_free(&self, name: &str) -> Result<(), Error> {
        match self.store.get_secret(name).await? {
            None => Ok(()),
            Some(s) if self.secret_purged(&s) => {
                self.store.delete_secret(name).await?;
                self.invalidate_secret(name);
                Ok(())
            }
            Some(s) if s.planned_delete.is_some() => Err(Error::SecretInDeleteWindow),
            Some(_) => Err(Error::AlreadyExists("secret")),
        }
    }
}
