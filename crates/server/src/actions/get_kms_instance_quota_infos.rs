//! GetKmsInstanceQuotaInfos: flat `KmsInstanceQuotaInfos[]`.

use keyward_core::ops::get_kms_instance_quota_infos::QuotaResource;
use serde_json::{Value, json};

use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let id = ctx.params.required("KmsInstanceId")?;
    let resource = match ctx.params.opt("ResourceType") {
        None => None,
        Some(r) => Some(
            QuotaResource::parse(r).ok_or_else(|| ApiError::invalid("ResourceType", "use key, secret, qps or vpc"))?,
        ),
    };
    let infos = ctx.kms.get_kms_instance_quota_infos(ctx.caller, id, resource).await?;
    let list: Vec<Value> = infos
        .iter()
        .map(|q| json!({ "ResourceType": q.resource.as_str(), "ResourceQuota": q.quota, "UsedQuantity": q.used }))
        .collect();
    Ok(json!({ "KmsInstanceId": id, "KmsInstanceQuotaInfos": list }))
}
