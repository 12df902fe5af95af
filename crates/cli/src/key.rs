//! `keyward key …`: key lifecycle through the API with the Rust SDK. Endpoint and credentials
//! come from flags or `KEYWARD_ENDPOINT`, `ALIBABA_CLOUD_ACCESS_KEY_ID`,
//! `ALIBABA_CLOUD_ACCESS_KEY_SECRET`, `KEYWARD_CA_FILE`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Subcommand;
use keyward_client::{Client, ClientConfig};
use serde_json::{Value, json};

use crate::output::{self, Format};

#[derive(clap::Args, Debug)]
pub(crate) struct ConnArgs {
    /// Server endpoint, e.g. http://127.0.0.1:8080 or https://127.0.0.1:8443.
    #[arg(long, global = true, env = "KEYWARD_ENDPOINT", default_value = "http://127.0.0.1:8080")]
    endpoint: String,
    /// AccessKey id.
    #[arg(long, global = true, env = "ALIBABA_CLOUD_ACCESS_KEY_ID")]
    access_key_id: Option<String>,
    /// AccessKey secret.
    #[arg(long, global = true, env = "ALIBABA_CLOUD_ACCESS_KEY_SECRET", hide_env_values = true)]
    access_key_secret: Option<String>,
    /// CA certificate (PEM) to trust for HTTPS, e.g. keyward-data/tls/ca.pem.
    #[arg(long, global = true, env = "KEYWARD_CA_FILE")]
    ca_file: Option<PathBuf>,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t)]
    output: Format,
}

#[derive(Subcommand, Debug)]
pub(crate) enum KeyCommand {
    /// Create a key.
    Create {
        /// Key spec: Aliyun_AES_256 (default), Aliyun_AES_128, Aliyun_SM4, RSA_2048, RSA_3072,
        /// RSA_4096, EC_P256, EC_P256K, EC_SM2.
        #[arg(long)]
        spec: Option<String>,
        /// ENCRYPT/DECRYPT or SIGN/VERIFY.
        #[arg(long)]
        usage: Option<String>,
        /// Aliyun_KMS (default) or EXTERNAL.
        #[arg(long)]
        origin: Option<String>,
        /// Description.
        #[arg(long)]
        description: Option<String>,
        /// KMS instance (kst-…) to create the key in.
        #[arg(long)]
        instance_id: Option<String>,
        /// Tags as KEY=VALUE, repeatable.
        #[arg(long = "tag")]
        tags: Vec<String>,
    },
    /// Show a key's metadata.
    Describe { key_id: String },
    /// List keys.
    List {
        #[arg(long, default_value_t = 1)]
        page: u32,
        #[arg(long, default_value_t = 100)]
        page_size: u32,
        /// Filter as KEY=V1,V2 (KeyState, KeySpec, KeyUsage, ProtectionLevel, DKMSInstanceId), repeatable.
        #[arg(long = "filter")]
        filters: Vec<String>,
    },
    /// Enable a key.
    Enable { key_id: String },
    /// Disable a key.
    Disable { key_id: String },
    /// Schedule a key's deletion.
    ScheduleDeletion {
        key_id: String,
        /// Waiting period, 7-366 days.
        #[arg(long, default_value_t = 30)]
        days: u32,
    },
    /// Cancel a scheduled deletion.
    CancelDeletion { key_id: String },
    /// Import key material into an EXTERNAL key (GetParametersForImport, local wrapping,
    /// ImportKeyMaterial).
    Import {
        /// The EXTERNAL key.
        #[arg(long)]
        key_id: String,
        /// Material: raw bytes for symmetric keys, a PKCS#8 private key (DER or PEM) otherwise.
        #[arg(long)]
        material: PathBuf,
        /// Wrapping algorithm [default: RSAES_OAEP_SHA_256 for symmetric keys,
        /// RSAES_OAEP_SHA_256_AES_256_ECB_PKCS7_PAD for RSA/EC keys, SM2PKE_SM4_ECB for EC_SM2].
        #[arg(long)]
        wrapping_algorithm: Option<String>,
        /// When the material expires: Unix seconds or yyyy-MM-ddTHH:mm:ssZ [default: never].
        #[arg(long)]
        expire_at: Option<String>,
    },
    /// Delete the imported material of an EXTERNAL key (it becomes PendingImport).
    DeleteMaterial { key_id: String },
}

/// The SDK client and output format the connection flags describe.
pub(crate) fn connect(conn: ConnArgs) -> anyhow::Result<(Client, Format)> {
    let (Some(access_key_id), Some(access_key_secret)) = (conn.access_key_id, conn.access_key_secret) else {
        anyhow::bail!(
            "credentials missing: pass --access-key-id/--access-key-secret or set ALIBABA_CLOUD_ACCESS_KEY_ID and \
             ALIBABA_CLOUD_ACCESS_KEY_SECRET (the server writes them to <data-dir>/credentials)"
        );
    };
    let client = Client::new(ClientConfig {
        endpoint: conn.endpoint,
        access_key_id,
        access_key_secret,
        ca_file: conn.ca_file,
        timeout: Duration::from_secs(30),
    })?;
    Ok((client, conn.output))
}

pub(crate) async fn run(conn: ConnArgs, command: KeyCommand) -> anyhow::Result<()> {
    let (client, out) = connect(conn)?;
    match command {
        KeyCommand::Create { spec, usage, origin, description, instance_id, tags } => {
            let mut params = Vec::new();
            let mut opt = |k: &'static str, v: Option<String>| {
                if let Some(v) = v {
                    params.push((k, v));
                }
            };
            opt("KeySpec", spec);
            opt("KeyUsage", usage);
            opt("Origin", origin);
            opt("Description", description);
            opt("DKMSInstanceId", instance_id);
            if !tags.is_empty() {
                let list: Result<Vec<Value>, _> = tags
                    .iter()
                    .map(|t| t.split_once('=').map(|(k, v)| json!({"TagKey": k, "TagValue": v})).ok_or(t))
                    .collect();
                let list = list.map_err(|t| anyhow::anyhow!("--tag {t:?} must be KEY=VALUE"))?;
                params.push(("Tags", Value::Array(list).to_string()));
            }
            let resp = client.call("CreateKey", &params).await?;
            output::print_object(out, &resp, &resp["KeyMetadata"]);
        }
        KeyCommand::Describe { key_id } => {
            let resp = client.call("DescribeKey", &[("KeyId", key_id)]).await?;
            output::print_object(out, &resp, &resp["KeyMetadata"]);
        }
        KeyCommand::List { page, page_size, filters } => {
            let mut params = vec![("PageNumber", page.to_string()), ("PageSize", page_size.to_string())];
            if !filters.is_empty() {
                let list: Result<Vec<Value>, _> = filters
                    .iter()
                    .map(|f| {
                        f.split_once('=')
                            .map(|(k, v)| json!({"Key": k, "Values": v.split(',').collect::<Vec<_>>()}))
                            .ok_or(f)
                    })
                    .collect();
                let list = list.map_err(|f| anyhow::anyhow!("--filter {f:?} must be KEY=V1,V2"))?;
                params.push(("Filters", Value::Array(list).to_string()));
            }
            let resp = client.call("ListKeys", &params).await?;
            let ids: Vec<String> = resp["Keys"]["Key"]
                .as_array()
                .map(|a| a.iter().filter_map(|k| k["KeyId"].as_str().map(str::to_string)).collect())
                .unwrap_or_default();
            if out == Format::Json {
                output::print(out, &resp, &[], &[]);
            } else {
                // A table needs the state and spec of each key: describe them.
                let mut rows = Vec::new();
                for id in ids {
                    let d = client.call("DescribeKey", &[("KeyId", id)]).await?;
                    rows.push(d["KeyMetadata"].clone());
                }
                output::print(
                    out,
                    &resp,
                    &["KeyId", "KeyState", "KeySpec", "KeyUsage", "Origin", "CreationDate"],
                    &rows,
                );
                println!("{} of {} keys", rows.len(), resp["TotalCount"]);
            }
        }
        KeyCommand::Enable { key_id } => simple(&client, out, "EnableKey", vec![("KeyId", key_id)]).await?,
        KeyCommand::Disable { key_id } => simple(&client, out, "DisableKey", vec![("KeyId", key_id)]).await?,
        KeyCommand::ScheduleDeletion { key_id, days } => {
            simple(
                &client,
                out,
                "ScheduleKeyDeletion",
                vec![("KeyId", key_id), ("PendingWindowInDays", days.to_string())],
            )
            .await?
        }
        KeyCommand::CancelDeletion { key_id } => {
            simple(&client, out, "CancelKeyDeletion", vec![("KeyId", key_id)]).await?
        }
        KeyCommand::Import { key_id, material, wrapping_algorithm, expire_at } => {
            crate::byok::import(&client, out, &key_id, &material, wrapping_algorithm.as_deref(), expire_at.as_deref())
                .await?
        }
        KeyCommand::DeleteMaterial { key_id } => {
            simple(&client, out, "DeleteKeyMaterial", vec![("KeyId", key_id)]).await?
        }
    }
    Ok(())
}

/// Actions without a response body: print the RequestId (table) or the JSON.
pub(crate) async fn simple(
    client: &Client,
    out: Format,
    action: &str,
    params: Vec<(&str, String)>,
) -> anyhow::Result<()> {
    let key_id = params.first().map(|(_, v)| v.clone()).unwrap_or_default();
    let resp = client.call(action, &params).await?;
    match out {
        Format::Json => println!("{}", serde_json::to_string_pretty(&resp)?),
        Format::Table => println!("{action} {key_id}: ok (RequestId {})", resp["RequestId"].as_str().unwrap_or("")),
    }
    Ok(())
}
