//! `keyward admin`: direct administration of a data dir (the same store and root key the server
//! uses): AccessKeys, KMS instances, principals and identity policies. Changes reach a running
//! server within seconds (AccessKey lookups and a principal's attached policies are cached for
//! 5 s).

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use keyward_core::Kms;
use keyward_core::model::InstanceKind;
use keyward_core::ops::create_instance::{DEFAULT_KEY_QUOTA, DEFAULT_SPEC_QPS};
use keyward_server::bootstrap::{self, Mode};
use keyward_server::config::{Overrides, Settings};
use serde_json::{Value, json};

use crate::output::{self, Format};

#[derive(Subcommand)]
pub(crate) enum AdminCommand {
    /// AccessKeys.
    #[command(subcommand, name = "access-key")]
    AccessKey(AccessKeyCommand),
    /// KMS instances (key stores).
    #[command(subcommand)]
    Instance(InstanceCommand),
    /// Principals (RAM-user-like identities that AccessKeys belong to).
    #[command(subcommand)]
    Principal(PrincipalCommand),
    /// Identity policies, attached to principals.
    #[command(subcommand)]
    Policy(PolicyCommand),
}

/// `--output` of the principal and policy commands: `text` (alias `table`) or `json`.
#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum TextOrJson {
    /// Human-readable text.
    #[default]
    #[value(alias = "table")]
    Text,
    /// JSON, one document.
    Json,
}

impl From<TextOrJson> for Format {
    fn from(f: TextOrJson) -> Self {
        match f {
            TextOrJson::Text => Format::Table,
            TextOrJson::Json => Format::Json,
        }
    }
}

#[derive(Subcommand)]
pub(crate) enum PrincipalCommand {
    /// Create a principal.
    Create {
        /// Name: 1-64 characters of A-Z a-z 0-9 . _ @ -
        name: String,
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long, value_enum, default_value_t)]
        output: TextOrJson,
    },
    /// List principals with their attached policies.
    List {
        #[arg(long, value_enum, default_value_t)]
        output: TextOrJson,
    },
    /// Delete a principal (refused while it has AccessKeys); its attachments go with it.
    Delete { name: String },
}

/// A policy document, inline or from a file.
#[derive(Args)]
#[group(required = true, multiple = false)]
pub(crate) struct DocumentArg {
    /// The policy document (JSON).
    #[arg(long)]
    document: Option<String>,
    /// A file holding the policy document.
    #[arg(long)]
    file: Option<PathBuf>,
}

impl DocumentArg {
    fn read(&self) -> anyhow::Result<String> {
        match (&self.document, &self.file) {
            (Some(doc), _) => Ok(doc.clone()),
            (None, Some(path)) => std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("cannot read the policy document {}: {e}", path.display())),
            (None, None) => Err(anyhow::anyhow!("give the policy document with --document or --file")),
        }
    }
}

#[derive(Subcommand)]
pub(crate) enum PolicyCommand {
    /// Create an identity policy (the document is checked before it is stored).
    Create {
        /// Name: 1-128 characters of A-Z a-z 0-9 . _ -
        name: String,
        #[command(flatten)]
        document: DocumentArg,
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long, value_enum, default_value_t)]
        output: TextOrJson,
    },
    /// Replace a policy's document (every principal it is attached to is affected).
    Update {
        name: String,
        #[command(flatten)]
        document: DocumentArg,
    },
    /// Show a policy, its document and the principals it is attached to.
    Get {
        name: String,
        #[arg(long, value_enum, default_value_t)]
        output: TextOrJson,
    },
    /// List policies.
    List {
        #[arg(long, value_enum, default_value_t)]
        output: TextOrJson,
    },
    /// Delete a policy (refused while it is attached).
    Delete { name: String },
    /// Attach a policy to a principal.
    Attach {
        name: String,
        #[arg(long)]
        principal: String,
    },
    /// Detach a policy from a principal.
    Detach {
        name: String,
        #[arg(long)]
        principal: String,
    },
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
        AdminCommand::Principal(command) => principal(&kms, command).await?,
        AdminCommand::Policy(command) => policy(&kms, command).await?,
    }
    Ok(())
}

fn core_err(e: keyward_core::Error) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

fn time(t: i64) -> String {
    keyward_protocol::time::format(t)
}

async fn principal(kms: &Kms, command: PrincipalCommand) -> anyhow::Result<()> {
    match command {
        PrincipalCommand::Create { name, description, output } => {
            let p = kms.create_principal(&name, &description).await.map_err(core_err)?;
            let doc = json!({
                "Principal": p.name,
                "Arn": kms.principal_arn(&p.name),
                "Description": p.description,
                "CreateTime": time(p.creation_date),
            });
            output::print_object(output.into(), &doc, &doc);
        }
        PrincipalCommand::List { output } => {
            let mut rows = Vec::new();
            for p in kms.list_principals().await.map_err(core_err)? {
                let attached: Vec<String> =
                    kms.list_attached_policies(&p.name).await.map_err(core_err)?.into_iter().map(|a| a.name).collect();
                rows.push(json!({
                    "Principal": p.name,
                    "Arn": kms.principal_arn(&p.name),
                    "Description": p.description,
                    "CreateTime": time(p.creation_date),
                    "AttachedPolicies": attached,
                }));
            }
            let table_rows: Vec<Value> = rows
                .iter()
                .map(|r| {
                    let mut r = r.clone();
                    let joined = r["AttachedPolicies"]
                        .as_array()
                        .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(","))
                        .unwrap_or_default();
                    r["AttachedPolicies"] = Value::String(joined);
                    r
                })
                .collect();
            output::print(
                output.into(),
                &json!({ "Principals": rows }),
                &["Principal", "CreateTime", "AttachedPolicies", "Description"],
                &table_rows,
            );
        }
        PrincipalCommand::Delete { name } => {
            kms.delete_principal(&name).await.map_err(core_err)?;
            println!("principal {name} deleted");
        }
    }
    Ok(())
}

async fn policy(kms: &Kms, command: PolicyCommand) -> anyhow::Result<()> {
    match command {
        PolicyCommand::Create { name, document, description, output } => {
            let document = document.read()?;
            let p = kms.create_policy(&name, &description, &document).await.map_err(core_err)?;
            let doc = json!({
                "PolicyName": p.name,
                "Description": p.description,
                "CreateTime": time(p.creation_date),
                "UpdateTime": time(p.update_date),
            });
            output::print_object(output.into(), &doc, &doc);
        }
        PolicyCommand::Update { name, document } => {
            let document = document.read()?;
            kms.update_policy(&name, &document).await.map_err(core_err)?;
            println!("policy {name} updated");
        }
        PolicyCommand::Get { name, output } => {
            let p = kms.get_policy(&name).await.map_err(core_err)?;
            let principals = kms.list_policy_principals(&name).await.map_err(core_err)?;
            let doc = json!({
                "PolicyName": p.name,
                "Description": p.description,
                "PolicyDocument": p.document,
                "CreateTime": time(p.creation_date),
                "UpdateTime": time(p.update_date),
                "Principals": principals,
            });
            let text = json!({
                "PolicyName": p.name,
                "Description": p.description,
                "CreateTime": time(p.creation_date),
                "UpdateTime": time(p.update_date),
                "Principals": principals.join(","),
                "PolicyDocument": p.document,
            });
            output::print_object(output.into(), &doc, &text);
        }
        PolicyCommand::List { output } => {
            let rows: Vec<Value> = kms
                .list_policies()
                .await
                .map_err(core_err)?
                .into_iter()
                .map(|p| {
                    json!({
                        "PolicyName": p.name,
                        "Description": p.description,
                        "CreateTime": time(p.creation_date),
                        "UpdateTime": time(p.update_date),
                    })
                })
                .collect();
            output::print(
                output.into(),
                &json!({ "Policies": rows }),
                &["PolicyName", "CreateTime", "UpdateTime", "Description"],
                &rows,
            );
        }
        PolicyCommand::Delete { name } => {
            kms.delete_policy(&name).await.map_err(core_err)?;
            println!("policy {name} deleted");
        }
        PolicyCommand::Attach { name, principal } => {
            if kms.attach_policy(&principal, &name).await.map_err(core_err)? {
                println!("policy {name} attached to principal {principal}");
            } else {
                println!("policy {name} was already attached to principal {principal}");
            }
        }
        PolicyCommand::Detach { name, principal } => {
            if kms.detach_policy(&principal, &name).await.map_err(core_err)? {
                println!("policy {name} detached from principal {principal}");
            } else {
                println!("policy {name} was not attached to principal {principal}");
            }
        }
    }
    Ok(())
}
