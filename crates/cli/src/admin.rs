//! `keyward admin`: direct administration of a data dir (the same store and root key the server
//! uses): AccessKeys and KMS instances. Changes reach a running server within seconds
//! (AccessKey lookups are cached for 5 s).

use clap::Subcommand;
use keyward_core::model::InstanceKind;
use keyward_core::ops::create_instance::{DEFAULT_KEY_QUOTA, DEFAULT_SPEC_QPS};
use keyward_server::bootstrap::{self, Mode};
use keyward_server::config::{Overrides, Settings};
use serde_json::json;

use crate::output::{self, Format};

#[derive(Subcommand)]
pub(crate) enum AdminCommand {
    /// AccessKeys.
    #[command(subcommand, name = "access-key")]
    AccessKey(AccessKeyCommand),
    /// KMS instances (key stores).
    #[command(subcommand)]
    Instance(InstanceCommand),
}

#[derive(Subcommand)]
pub(crate) enum AccessKeyCommand {
    /// Create an AccessKey; the secret is printed once.
    Create {
        /// Principal the key belongs to.
        #[arg(long, default_value = "admin")]
        principal: String,
        #[arg(long, value_enum, default_value_t)]
        output: Format,
    },
    /// List AccessKeys (never their secrets).
    List {
        #[arg(long, value_enum, default_value_t)]
        output: Format,
    },
    /// Disable an AccessKey.
    Disable { id: String },
    /// Enable a disabled AccessKey.
    Enable { id: String },
    /// Delete an AccessKey.
    Delete { id: String },
}

#[derive(Subcommand)]
pub(crate) enum InstanceCommand {
    /// Create a KMS instance.
    Create {
        /// Instance type (hardware instances are not available yet).
        #[arg(long = "type", default_value = "software")]
        kind: String,
        /// Computing performance in QPS.
        #[arg(long, default_value_t = DEFAULT_SPEC_QPS)]
        spec: i64,
        /// Maximum number of key versions.
        #[arg(long, default_value_t = DEFAULT_KEY_QUOTA)]
        key_quota: i64,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        output: Format,
    },
    /// List KMS instances.
    List {
        #[arg(long, value_enum, default_value_t)]
        output: Format,
    },
}

pub(crate) async fn run(overrides: &Overrides, command: AdminCommand) -> anyhow::Result<()> {
    let settings = Settings::load(overrides)?;
    let kms = bootstrap::open(&settings, Mode::Admin).await?.kms;
    let e = |e: keyward_core::Error| anyhow::anyhow!("{e}");
    match command {
        AdminCommand::AccessKey(AccessKeyCommand::Create { principal, output }) => {
            let (id, secret) = kms.create_access_key(&principal, None).await.map_err(e)?;
            let secret = String::from_utf8_lossy(secret.expose()).into_owned();
            let doc = json!({ "AccessKeyId": id, "AccessKeySecret": secret, "Principal": principal });
            output::print_object(output, &doc, &doc);
        }
        AdminCommand::AccessKey(AccessKeyCommand::List { output }) => {
            let rows: Vec<_> = kms
                .list_access_keys()
                .await
                .map_err(e)?
                .into_iter()
                .map(|k| {
                    json!({
                        "AccessKeyId": k.access_key_id,
                        "Principal": k.principal,
                        "Status": if k.enabled { "Enabled" } else { "Disabled" },
                        "CreateTime": keyward_protocol::time::format(k.creation_date),
                    })
                })
                .collect();
            output::print(
                output,
                &json!({ "AccessKeys": rows }),
                &["AccessKeyId", "Principal", "Status", "CreateTime"],
                &rows,
            );
        }
        AdminCommand::AccessKey(AccessKeyCommand::Disable { id }) => {
            kms.set_access_key_enabled(&id, false).await.map_err(e)?;
            println!("AccessKey {id} disabled");
        }
        AdminCommand::AccessKey(AccessKeyCommand::Enable { id }) => {
            kms.set_access_key_enabled(&id, true).await.map_err(e)?;
            println!("AccessKey {id} enabled");
        }
        AdminCommand::AccessKey(AccessKeyCommand::Delete { id }) => {
            kms.delete_access_key(&id).await.map_err(e)?;
            println!("AccessKey {id} deleted");
        }
        AdminCommand::Instance(InstanceCommand::Create { kind, spec, key_quota, name, output }) => {
            let kind =
                InstanceKind::parse(&kind).ok_or_else(|| anyhow::anyhow!("--type must be software or hardware"))?;
            let i = kms.create_instance(kind, name, spec, key_quota).await.map_err(e)?;
            let doc = json!({
                "KmsInstanceId": i.instance_id,
                "KmsInstanceArn": kms.instance_arn(&i.instance_id),
                "InstanceName": i.name,
                "Type": i.kind.as_str(),
                "Spec": i.spec_qps,
                "KeyQuota": i.key_quota,
            });
            output::print_object(output, &doc, &doc);
        }
        AdminCommand::Instance(InstanceCommand::List { output }) => {
            let page = keyward_core::ops::Page { number: 1, size: u32::MAX };
            let caller = keyward_core::Caller::new("admin", "local");
            let rows: Vec<_> = kms
                .list_kms_instances(&caller, page)
                .await
                .map_err(e)?
                .items
                .into_iter()
                .map(|i| json!({ "KmsInstanceId": i.instance_id, "Type": i.kind.as_str(), "Spec": i.spec_qps, "KeyQuota": i.key_quota, "InstanceName": i.name }))
                .collect();
            output::print(
                output,
                &json!({ "KmsInstances": rows }),
                &["KmsInstanceId", "Type", "Spec", "KeyQuota", "InstanceName"],
                &rows,
            );
        }
    }
    Ok(())
}
