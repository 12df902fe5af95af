//! DescribeSecret: metadata (`PlannedDeleteTime` while in the recovery window) and, with
//! `FetchTags=true`, `Tags.Tag[]`.

use keyward_protocol::time::format as t;
use serde_json::{Value, json};

use super::secret_params::{flag, tags_json};
use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let name = p.required("SecretName")?;
    let fetch_tags = flag(p, "FetchTags")?;
    let d = ctx.kms.describe_secret(ctx.caller, name, fetch_tags).await?;
    let s = &d.secret;
    let mut out = json!({
        "Arn": ctx.kms.secret_arn(&s.secret_name),
        "SecretName": s.secret_name,
        "SecretType": s.secret_type.as_str(),
        "Description": s.description,
        "EncryptionKeyId": s.encryption_key_id,
        "CreateTime": t(s.creation_date),
        "UpdateTime": t(s.update_date),
        "AutomaticRotation": "Disabled",
    });
    if let Some(i) = &s.instance_id {
        out["DKMSInstanceId"] = json!(i);
    }
    if let Some(at) = s.planned_delete {
        out["PlannedDeleteTime"] = json!(t(at));
    }
    if fetch_tags {
        out["Tags"] = tags_json(&d.tags);
    }
    Ok(out)
}
