//! GetSecretValue: one version's data by `VersionId` and/or `VersionStage` (default
//! `ACSCurrent`). `FetchExtendedConfig` is accepted (Generic secrets have no extended config).
//! `DryRun=true` performs every check and answers `DryRunOperationError`.

use serde_json::Value;

use super::secret_params::{flag, secret_value_json};
use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let name = p.required("SecretName")?;
    flag(p, "FetchExtendedConfig")?;
    let v = ctx.kms.get_secret_value(ctx.caller, name, p.opt("VersionId"), p.opt("VersionStage")).await?;
    secret_value_json(&v)
}
