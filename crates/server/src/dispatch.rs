//! Action name → handler. The single place every authenticated request passes through, and so
//! the hook for audit and metrics (later issues).

use keyward_core::{Caller, Kms};
use keyward_protocol::codes;
use keyward_protocol::params::Params;
use serde_json::Value;

use crate::actions;
use crate::error::ApiError;

/// What an action handler gets.
pub struct Ctx<'a> {
    /// The service.
    pub kms: &'a Kms,
    /// The authenticated caller.
    pub caller: &'a Caller,
    /// Request parameters.
    pub params: &'a Params,
}

/// Runs the named action. Unknown names → 404 `InvalidAction.NotFound`.
pub async fn dispatch(action: &str, ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    match action {
        "CreateKey" => actions::create_key::handle(ctx).await,
        "DescribeKey" => actions::describe_key::handle(ctx).await,
        "ListKeys" => actions::list_keys::handle(ctx).await,
        "EnableKey" => actions::enable_key::handle(ctx).await,
        "DisableKey" => actions::disable_key::handle(ctx).await,
        "ScheduleKeyDeletion" => actions::schedule_key_deletion::handle(ctx).await,
        "CancelKeyDeletion" => actions::cancel_key_deletion::handle(ctx).await,
        "UpdateKeyDescription" => actions::update_key_description::handle(ctx).await,
        "SetDeletionProtection" => actions::set_deletion_protection::handle(ctx).await,
        "DescribeRegions" => actions::describe_regions::handle(ctx).await,
        "DescribeAccountKmsStatus" => actions::describe_account_kms_status::handle(ctx).await,
        "ListKmsInstances" => actions::list_kms_instances::handle(ctx).await,
        "GetKmsInstance" => actions::get_kms_instance::handle(ctx).await,
        "GetKmsInstanceQuotaInfos" => actions::get_kms_instance_quota_infos::handle(ctx).await,
        "GetParametersForImport" => actions::get_parameters_for_import::handle(ctx).await,
        "ImportKeyMaterial" => actions::import_key_material::handle(ctx).await,
        "DeleteKeyMaterial" => actions::delete_key_material::handle(ctx).await,
        other => Err(ApiError::with_message(
            codes::INVALID_ACTION,
            format!(
                "Specified api \"{}\" is not found, please check your url and method.",
                other.chars().take(64).collect::<String>()
            ),
        )),
    }
}
