//! gen-random (`create_random`, HUAWEI.md §1.7): `random_data_length` is a bit count (string or
//! number), a multiple of 8 between 8 and 8192 (else `KMS.1802`; missing `KMS.0204`); the answer
//! is `{"random_data": HEX}`, two upper-case hex digits per byte.

use keyward_protocol::huawei::codes;
use serde_json::json;

use crate::huawei::error::HwError;
use crate::huawei::{Ctx, Reply};

/// Largest `random_data_length`, in bits.
const MAX_BITS: i64 = 8192;

/// Handles `POST …/kms/gen-random`.
pub async fn handle(ctx: &Ctx<'_>) -> Result<Reply, HwError> {
    let bits = ctx
        .body
        .opt_int("random_data_length", codes::KMS_1802)?
        .ok_or_else(|| HwError::missing("random_data_length"))?;
    if !(8..=MAX_BITS).contains(&bits) || bits % 8 != 0 {
        return Err(HwError::with_message(codes::KMS_1802, format!("{} (got {bits})", codes::KMS_1802.message)));
    }
    let bytes = usize::try_from(bits / 8).map_err(|_| HwError::internal("random length out of range"))?;
    let data = ctx.kms.random_bytes(ctx.caller, bytes).await?;
    Ok(Reply::Json(json!({ "random_data": hex::encode_upper(data) })))
}
