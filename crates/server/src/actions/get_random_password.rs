//! GetRandomPassword: `PasswordLength` 8–128 (default 32), `ExcludeCharacters`,
//! `Exclude{Lowercase,Uppercase,Numbers,Punctuation}`, `RequireEachIncludedType` (default true).

use keyward_core::ops::get_random_password::PasswordRequest;
use serde_json::{Value, json};

use super::secret_params::flag;
use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let req = PasswordRequest {
        length: p.int("PasswordLength")?,
        exclude_characters: p.get("ExcludeCharacters").unwrap_or_default().to_string(),
        exclude_lowercase: flag(p, "ExcludeLowercase")?,
        exclude_uppercase: flag(p, "ExcludeUppercase")?,
        exclude_numbers: flag(p, "ExcludeNumbers")?,
        exclude_punctuation: flag(p, "ExcludePunctuation")?,
        require_each_included_type: p.bool("RequireEachIncludedType")?.unwrap_or(true),
    };
    let password = ctx.kms.get_random_password(ctx.caller, &req).await?;
    let text = std::str::from_utf8(password.expose()).map_err(|_| ApiError::internal("password is not ASCII"))?;
    Ok(json!({ "RandomPassword": text }))
}
