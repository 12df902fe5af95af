//! UpdateSecret: the description. `ExtendedConfig.CustomData` — flattened
//! (`ExtendedConfig.CustomData.k=v`) or inside an `ExtendedConfig` JSON object — configures
//! managed secrets and is refused for Generic ones (`Rejected.UnsupportedOperation`).

use serde_json::{Value, json};

use super::secret_params::{MAX_EXTENDED_CONFIG, json_object};
use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let name = p.required("SecretName")?;
    let flattened = p.pairs().iter().any(|(k, _)| k.starts_with("ExtendedConfig.CustomData"));
    let in_json = json_object(p, "ExtendedConfig", MAX_EXTENDED_CONFIG)?.is_some_and(|m| m.contains_key("CustomData"));
    let description = p.get("Description").map(str::to_string);
    let name = ctx.kms.update_secret(ctx.caller, name, description, flattened || in_json).await?;
    Ok(json!({ "SecretName": name }))
}
