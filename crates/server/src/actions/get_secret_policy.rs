//! GetSecretPolicy: the `default` policy document (the account-wide allow policy when none was
//! set).

use serde_json::{Value, json};

use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let policy = ctx.kms.get_secret_policy(ctx.caller, p.required("SecretName")?, p.opt("PolicyName")).await?;
    Ok(json!({ "Policy": policy }))
}
