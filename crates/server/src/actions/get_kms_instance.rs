//! GetKmsInstance: the instance as the cloud describes it; network fields are empty on a
//! self-hosted server.

use keyward_protocol::time::format as t;
use serde_json::{Value, json};

use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let d = ctx.kms.get_kms_instance(ctx.caller, ctx.params.required("KmsInstanceId")?).await?;
    let i = &d.instance;
    Ok(json!({
        "KmsInstance": {
            "InstanceId": i.instance_id,
            "InstanceName": i.name,
            "Status": "Connected",
            "Spec": i.spec_qps,
            "KeyNum": i.key_quota,
            "SecretNum": i.secret_quota.to_string(),
            "VpcNum": 0,
            "VpcId": "",
            "ZoneIds": [],
            "VswitchIds": [],
            "BindVpcs": { "BindVpc": [] },
            "CreateTime": t(i.creation_date),
            "StartDate": t(i.creation_date),
            "CaCertificateChainPem": "",
            "ChargeType": "PrePaid",
            "ProductType": format!("kms_ddi_{}", i.kind.as_str()),
            "ProductVersion": "3",
            "SaleStatus": "NORMAL",
            "Log": 0,
            "LogStorage": 0,
            "DeletionProtection": false,
            "DeletionProtectionDescription": "",
        }
    }))
}
