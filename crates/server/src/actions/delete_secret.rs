//! DeleteSecret: a 7–30 day recovery window (`RecoveryWindowInDays`, default 30), or removal now
//! with `ForceDeleteWithoutRecovery=true` (not combinable with a window; `PlannedDeleteTime` is
//! then the current time).

use keyward_protocol::time::format as t;
use serde_json::{Value, json};

use super::secret_params::flag;
use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let name = p.required("SecretName")?;
    let force = flag(p, "ForceDeleteWithoutRecovery")?;
    let window = p.int("RecoveryWindowInDays")?;
    let (name, planned) = ctx.kms.delete_secret(ctx.caller, name, force, window).await?;
    Ok(json!({ "SecretName": name, "PlannedDeleteTime": t(planned) }))
}
