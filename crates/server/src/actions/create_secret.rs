//! CreateSecret: a Generic secret with its first version. `SecretType` other than Generic is
//! refused (managed types → `Rejected.UnsupportedOperation`, unknown → `InvalidParameter`);
//! `ExtendedConfig` must be a JSON object of at most 1024 characters and is otherwise ignored
//! (it configures managed secrets only); `Policy` must be a policy document (JSON object with
//! `Version` and `Statement`). `DKMSInstanceId` requires `EncryptionKeyId`. Version ids are 1–64
//! characters of `[A-Za-z0-9_.@+=:-]`.

use keyward_core::model::SecretType;
use keyward_core::ops::create_secret::CreateSecretRequest;
use keyward_core::ops::secrets::parse_secret_type;
use keyward_protocol::params::ParamError;
use serde_json::{Value, json};

use super::create_key::tags;
use super::parse_interval;
use super::secret_params::{MAX_EXTENDED_CONFIG, data_type, flag, json_object, policy, secret_data};
use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let name = p.required("SecretName")?;
    let version_id = p.required("VersionId")?;
    let data = secret_data(p)?;
    let secret_type = match p.opt("SecretType") {
        None => SecretType::Generic,
        Some(s) => parse_secret_type(s)?,
    };
    json_object(p, "ExtendedConfig", MAX_EXTENDED_CONFIG)?;
    if let Some(s) = p.opt("RotationInterval") {
        parse_interval("RotationInterval", s)?;
    }
    let instance_id = p.opt("DKMSInstanceId").map(str::to_string);
    if instance_id.is_some() && p.opt("EncryptionKeyId").is_none() {
        return Err(ParamError::Missing("EncryptionKeyId".into()).into());
    }
    let mut req = CreateSecretRequest::new(name, version_id, data);
    req.data_type = data_type(p)?;
    req.secret_type = secret_type;
    req.description = p.get("Description").unwrap_or_default().to_string();
    req.encryption_key = p.opt("EncryptionKeyId").map(str::to_string);
    req.instance_id = instance_id;
    req.tags = tags(ctx, "Tags")?;
    req.enable_automatic_rotation = flag(p, "EnableAutomaticRotation")?;
    req.policy = policy(p)?;
    let created = ctx.kms.create_secret(ctx.caller, req).await?;
    let s = &created.secret;
    let mut out = json!({
        "Arn": ctx.kms.secret_arn(&s.secret_name),
        "SecretName": s.secret_name,
        "SecretType": s.secret_type.as_str(),
        "VersionId": created.version_id,
        "AutomaticRotation": "Disabled",
    });
    if let Some(i) = &s.instance_id {
        out["DKMSInstanceId"] = json!(i);
    }
    Ok(out)
}
