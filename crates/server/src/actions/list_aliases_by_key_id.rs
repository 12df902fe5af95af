//! ListAliasesByKeyId: the aliases of one key, paged.

use serde_json::Value;

use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    super::list_aliases::list(ctx, true).await
}
