//! Action name → handler: the single place every authenticated Alibaba request passes through.
//! Authorization is not here but in the core operations (`keyward_core::authz`), so the Huawei
//! API and any other entry point pass the same checks.

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

/// Actions that honour `DryRun=true` (the cryptographic ones, ALIBABA.md §5.3, and
/// GetSecretValue).
const DRY_RUN_ACTIONS: &[&str] = &[
    "Encrypt",
    "Decrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "ExportDataKey",
    "GenerateAndExportDataKey",
    "ReEncrypt",
    "AsymmetricEncrypt",
    "AsymmetricDecrypt",
    "AsymmetricSign",
    "AsymmetricVerify",
    "GetPublicKey",
    "GetSecretValue",
];

/// Runs the named action. Unknown names → 404 `InvalidAction.NotFound`.
pub async fn dispatch(action: &str, ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    if DRY_RUN_ACTIONS.contains(&action) && ctx.params.bool("DryRun")?.unwrap_or(false) {
        // These actions change nothing, so a dry run performs every check of the real call by
        // running it, then discards the result.
        run(action, ctx).await?;
        return Err(ApiError::new(codes::DRY_RUN));
    }
    run(action, ctx).await
}

async fn run(action: &str, ctx: &Ctx<'_>) -> Result<Value, ApiError> {
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
        "Encrypt" => actions::encrypt::handle(ctx).await,
        "Decrypt" => actions::decrypt::handle(ctx).await,
        "GenerateDataKey" => actions::generate_data_key::handle(ctx).await,
        "GenerateDataKeyWithoutPlaintext" => actions::generate_data_key_without_plaintext::handle(ctx).await,
        "ExportDataKey" => actions::export_data_key::handle(ctx).await,
        "GenerateAndExportDataKey" => actions::generate_and_export_data_key::handle(ctx).await,
        "ReEncrypt" => actions::re_encrypt::handle(ctx).await,
        "AsymmetricEncrypt" => actions::asymmetric_encrypt::handle(ctx).await,
        "AsymmetricDecrypt" => actions::asymmetric_decrypt::handle(ctx).await,
        "AsymmetricSign" => actions::asymmetric_sign::handle(ctx).await,
        "AsymmetricVerify" => actions::asymmetric_verify::handle(ctx).await,
        "GetPublicKey" => actions::get_public_key::handle(ctx).await,
        "CreateKeyVersion" => actions::create_key_version::handle(ctx).await,
        "DescribeKeyVersion" => actions::describe_key_version::handle(ctx).await,
        "ListKeyVersions" => actions::list_key_versions::handle(ctx).await,
        "UpdateRotationPolicy" => actions::update_rotation_policy::handle(ctx).await,
        "CreateAlias" => actions::create_alias::handle(ctx).await,
        "UpdateAlias" => actions::update_alias::handle(ctx).await,
        "DeleteAlias" => actions::delete_alias::handle(ctx).await,
        "ListAliases" => actions::list_aliases::handle(ctx).await,
        "ListAliasesByKeyId" => actions::list_aliases_by_key_id::handle(ctx).await,
        "TagResource" => actions::tag_resource::handle(ctx).await,
        "UntagResource" => actions::untag_resource::handle(ctx).await,
        "ListResourceTags" => actions::list_resource_tags::handle(ctx).await,
        "TagResources" => actions::tag_resources::handle(ctx).await,
        "UntagResources" => actions::untag_resources::handle(ctx).await,
        "ListTagResources" => actions::list_tag_resources::handle(ctx).await,
        "CreateSecret" => actions::create_secret::handle(ctx).await,
        "GetSecretValue" => actions::get_secret_value::handle(ctx).await,
        "BatchGetSecretValue" => actions::batch_get_secret_value::handle(ctx).await,
        "PutSecretValue" => actions::put_secret_value::handle(ctx).await,
        "UpdateSecretVersionStage" => actions::update_secret_version_stage::handle(ctx).await,
        "UpdateSecret" => actions::update_secret::handle(ctx).await,
        "DescribeSecret" => actions::describe_secret::handle(ctx).await,
        "ListSecrets" => actions::list_secrets::handle(ctx).await,
        "ListSecretVersionIds" => actions::list_secret_version_ids::handle(ctx).await,
        "DeleteSecret" => actions::delete_secret::handle(ctx).await,
        "RestoreSecret" => actions::restore_secret::handle(ctx).await,
        "GetRandomPassword" => actions::get_random_password::handle(ctx).await,
        "GetSecretPolicy" => actions::get_secret_policy::handle(ctx).await,
        "SetSecretPolicy" => actions::set_secret_policy::handle(ctx).await,
        "GetKeyPolicy" => actions::get_key_policy::handle(ctx).await,
        "SetKeyPolicy" => actions::set_key_policy::handle(ctx).await,
        "RotateSecret" => actions::rotate_secret::handle(ctx).await,
        "UpdateSecretRotationPolicy" => actions::update_secret_rotation_policy::handle(ctx).await,
        other => Err(ApiError::with_message(
            codes::INVALID_ACTION,
            format!(
                "Specified api \"{}\" is not found, please check your url and method.",
                other.chars().take(64).collect::<String>()
            ),
        )),
    }
}
