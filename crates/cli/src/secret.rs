//! `keyward secret …`: generic secrets through the API with the Rust SDK (CreateSecret,
//! GetSecretValue, PutSecretValue, DescribeSecret, ListSecrets, ListSecretVersionIds,
//! DeleteSecret, RestoreSecret, GetRandomPassword). Connection flags as for `keyward key`.
//!
//! Secret data comes from `--data`, `--data-file` or standard input (`--data -`), never from the
//! process arguments when a file or stdin is used, so it stays out of `ps` and shell history.

use std::io::Read;
use std::path::PathBuf;

use clap::Subcommand;
use keyward_client::Client;
use serde_json::Value;

use crate::key::{ConnArgs, connect, simple};
use crate::output::{self, Format};

/// Where a secret value comes from.
#[derive(clap::Args, Debug)]
#[group(required = true, multiple = false)]
pub(crate) struct DataArgs {
    /// The value itself (visible in `ps`; prefer --data-file or `--data -` for real secrets);
    /// `-` reads standard input.
    #[arg(long)]
    data: Option<String>,
    /// Read the value from this file.
    #[arg(long)]
    data_file: Option<PathBuf>,
}

impl DataArgs {
    /// The value as sent: text as is; with `binary`, the bytes base64-encoded.
    fn read(&self, binary: bool) -> anyhow::Result<String> {
        let bytes = match (&self.data, &self.data_file) {
            (Some(d), _) if d == "-" => {
                let mut buf = Vec::new();
                std::io::stdin().read_to_end(&mut buf)?;
                buf
            }
            (Some(d), _) => d.clone().into_bytes(),
            (None, Some(f)) => std::fs::read(f).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", f.display()))?,
            (None, None) => anyhow::bail!("give --data or --data-file"),
        };
        if binary {
            use base64::Engine;
            return Ok(base64::engine::general_purpose::STANDARD.encode(bytes));
        }
        String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("the value is not UTF-8 text; use --binary"))
    }
}

#[derive(Subcommand, Debug)]
pub(crate) enum SecretCommand {
    /// Create a generic secret with its first version (stage ACSCurrent).
    Create {
        /// Secret name.
        name: String,
        #[command(flatten)]
        data: DataArgs,
        /// Id of the first version [default: v1].
        #[arg(long, default_value = "v1")]
        version_id: String,
        /// Symmetric key (id, ARN or alias) that encrypts the secret [default: the
        /// service-managed secrets key].
        #[arg(long)]
        key_id: Option<String>,
        /// Description.
        #[arg(long)]
        description: Option<String>,
        /// Store binary data (sent base64-encoded, SecretDataType=binary).
        #[arg(long)]
        binary: bool,
    },
    /// Print a secret's value (ACSCurrent unless --version-id/--stage).
    Get {
        /// Secret name or ARN.
        name: String,
        #[arg(long)]
        version_id: Option<String>,
        #[arg(long)]
        stage: Option<String>,
    },
    /// Store a new version (it becomes ACSCurrent; the former one ACSPrevious).
    Put {
        /// Secret name or ARN.
        name: String,
        #[command(flatten)]
        data: DataArgs,
        /// Id of the new version.
        #[arg(long)]
        version_id: String,
        /// Store binary data.
        #[arg(long)]
        binary: bool,
    },
    /// Show a secret's metadata.
    Describe { name: String },
    /// List secrets.
    List {
        #[arg(long, default_value_t = 1)]
        page: u32,
        #[arg(long, default_value_t = 100)]
        page_size: u32,
    },
    /// List a secret's versions (with --all, also versions without a stage).
    Versions {
        name: String,
        #[arg(long)]
        all: bool,
    },
    /// Schedule a secret's deletion (or delete it now with --force).
    Delete {
        name: String,
        /// Recovery window, 7-30 days.
        #[arg(long, default_value_t = 30, conflicts_with = "force")]
        days: u32,
        /// Delete at once, without a recovery window.
        #[arg(long)]
        force: bool,
    },
    /// Restore a secret in its recovery window.
    Restore { name: String },
    /// Generate a random password (GetRandomPassword).
    RandomPassword {
        #[arg(long, default_value_t = 32)]
        length: u32,
        /// Characters to leave out.
        #[arg(long)]
        exclude: Option<String>,
    },
}

pub(crate) async fn run(conn: ConnArgs, command: SecretCommand) -> anyhow::Result<()> {
    let (client, out) = connect(conn)?;
    match command {
        SecretCommand::Create { name, data, version_id, key_id, description, binary } => {
            let mut params = vec![
                ("SecretName", name),
                ("VersionId", version_id),
                ("SecretData", data.read(binary)?),
                ("SecretDataType", if binary { "binary" } else { "text" }.to_string()),
            ];
            params.extend(key_id.map(|k| ("EncryptionKeyId", k)));
            params.extend(description.map(|d| ("Description", d)));
            let resp = client.call("CreateSecret", &params).await?;
            output::print_object(out, &resp, &resp);
        }
        SecretCommand::Get { name, version_id, stage } => {
            let mut params = vec![("SecretName", name)];
            params.extend(version_id.map(|v| ("VersionId", v)));
            params.extend(stage.map(|s| ("VersionStage", s)));
            let resp = client.call("GetSecretValue", &params).await?;
            match out {
                Format::Json => println!("{}", serde_json::to_string_pretty(&resp)?),
                // The value alone, so that `$(keyward secret get NAME)` is the secret.
                Format::Table => println!("{}", resp["SecretData"].as_str().unwrap_or("")),
            }
        }
        SecretCommand::Put { name, data, version_id, binary } => {
            let params = vec![
                ("SecretName", name),
                ("VersionId", version_id),
                ("SecretData", data.read(binary)?),
                ("SecretDataType", if binary { "binary" } else { "text" }.to_string()),
            ];
            let resp = client.call("PutSecretValue", &params).await?;
            output::print_object(out, &resp, &resp);
        }
        SecretCommand::Describe { name } => {
            let resp = client.call("DescribeSecret", &[("SecretName", name), ("FetchTags", "true".into())]).await?;
            output::print_object(out, &resp, &resp);
        }
        SecretCommand::List { page, page_size } => {
            let params = [("PageNumber", page.to_string()), ("PageSize", page_size.to_string())];
            let resp = client.call("ListSecrets", &params).await?;
            let rows = list(&resp["SecretList"]["Secret"]);
            output::print(out, &resp, &["SecretName", "SecretType", "CreateTime", "PlannedDeleteTime"], &rows);
            if out == Format::Table {
                println!("{} of {} secrets", rows.len(), resp["TotalCount"]);
            }
        }
        SecretCommand::Versions { name, all } => versions(&client, out, name, all).await?,
        SecretCommand::Delete { name, days, force } => {
            let mut params = vec![("SecretName", name)];
            if force {
                params.push(("ForceDeleteWithoutRecovery", "true".into()));
            } else {
                params.push(("RecoveryWindowInDays", days.to_string()));
            }
            let resp = client.call("DeleteSecret", &params).await?;
            output::print_object(out, &resp, &resp);
        }
        SecretCommand::Restore { name } => simple(&client, out, "RestoreSecret", vec![("SecretName", name)]).await?,
        SecretCommand::RandomPassword { length, exclude } => {
            let mut params = vec![("PasswordLength", length.to_string())];
            params.extend(exclude.map(|e| ("ExcludeCharacters", e)));
            let resp = client.call("GetRandomPassword", &params).await?;
            match out {
                Format::Json => println!("{}", serde_json::to_string_pretty(&resp)?),
                Format::Table => println!("{}", resp["RandomPassword"].as_str().unwrap_or("")),
            }
        }
    }
    Ok(())
}

async fn versions(client: &Client, out: Format, name: String, all: bool) -> anyhow::Result<()> {
    let params = [("SecretName", name), ("IncludeDeprecated", all.to_string()), ("PageSize", "100".into())];
    let resp = client.call("ListSecretVersionIds", &params).await?;
    let rows: Vec<Value> = list(&resp["VersionIds"]["VersionId"])
        .into_iter()
        .map(|mut v| {
            let stages: Vec<&str> = v["VersionStages"]["VersionStage"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            v["VersionStages"] = Value::String(stages.join(","));
            v
        })
        .collect();
    output::print(out, &resp, &["VersionId", "VersionStages", "CreateTime"], &rows);
    Ok(())
}

fn list(v: &Value) -> Vec<Value> {
    v.as_array().cloned().unwrap_or_default()
}
