//! DescribeRegions: `Regions.Region[]{RegionId}`.

use serde_json::{Value, json};

use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let regions: Vec<Value> =
        ctx.kms.describe_regions(ctx.caller).await?.into_iter().map(|r| json!({ "RegionId": r })).collect();
    Ok(json!({ "Regions": { "Region": regions } }))
}
