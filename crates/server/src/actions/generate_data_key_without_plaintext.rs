//! GenerateDataKeyWithoutPlaintext: GenerateDataKey without the `Plaintext` field.

use serde_json::Value;

use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    super::generate_data_key::generate(ctx, false).await
}
