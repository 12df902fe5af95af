//! SetSecretPolicy: replaces the `default` policy document (a JSON object with `Version` and
//! `Statement`, at most 32768 characters, a valid RAM resource policy), evaluated from the next
//! request on.

use keyward_protocol::params::ParamError;
use serde_json::{Value, json};

use super::secret_params::policy;
use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let name = p.required("SecretName")?;
    let doc = policy(p)?.ok_or_else(|| ParamError::Missing("Policy".into()))?;
    ctx.kms.set_secret_policy(ctx.caller, name, p.opt("PolicyName"), &doc).await?;
    Ok(json!({}))
}
