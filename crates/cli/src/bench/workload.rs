//! What `keyward bench` sends: the untimed setup of each action (the keys it needs, a
//! ciphertext to decrypt, imported material to re-import, …) and the one request each worker
//! repeats during the timed phase.

use std::sync::Arc;

use anyhow::Context;
use base64::Engine;
use keyward_client::{Client, ClientError, Prepared};
use keyward_crypto::KeySpec;
use keyward_crypto::byok::{self, WrappingAlgorithm};
use serde_json::Value;

use super::Action;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Request parameters of one signed call.
pub(super) type Params = Vec<(&'static str, String)>;

/// A failed request, counted under `code`.
pub(super) struct Failure {
    pub(super) code: String,
    pub(super) message: String,
}

/// The repeated request.
pub(super) enum Workload {
    /// A signed KMS call; worker `i` sends `calls[i % calls.len()]` (prepared once, signed per send).
    Kms { client: Arc<Client>, calls: Vec<Prepared> },
    /// A plain `POST /encrypt` to the reference server, no signature.
    Reference { http: reqwest::Client, url: String, body: String },
    /// A plain `GET /secretsmanager/get?secretId=…` to a `keyward agent`, with its SSRF token.
    Agent { http: reqwest::Client, url: String, token: String },
}

impl Workload {
    /// Sends worker `worker`'s request once and reads the whole JSON answer.
    pub(super) async fn send(&self, worker: usize) -> Result<(), Failure> {
        match self {
            Self::Kms { client, calls } => client.send(&calls[worker % calls.len()]).await.map(drop).map_err(failure),
            Self::Agent { http, url, token } => {
                let transport = |e: reqwest::Error| Failure { code: "Transport".into(), message: e.to_string() };
                let resp = http.get(url).header("X-KMS-Token", token).send().await.map_err(transport)?;
                let status = resp.status();
                let bytes = resp.bytes().await.map_err(transport)?;
                let json: Value = serde_json::from_slice(&bytes).map_err(|_| Failure {
                    code: "Decode".into(),
                    message: String::from_utf8_lossy(&bytes).chars().take(200).collect(),
                })?;
                if !status.is_success() || json.get("SecretData").is_none() {
                    return Err(Failure { code: format!("HTTP{}", status.as_u16()), message: json.to_string() });
                }
                Ok(())
            }
            Self::Reference { http, url, body } => {
                let transport = |e: reqwest::Error| Failure { code: "Transport".into(), message: e.to_string() };
                let resp = http.post(url).body(body.clone()).send().await.map_err(transport)?;
                let status = resp.status();
                let bytes = resp.bytes().await.map_err(transport)?;
                let json: Value = serde_json::from_slice(&bytes).map_err(|_| Failure {
                    code: "Decode".into(),
                    message: String::from_utf8_lossy(&bytes).chars().take(200).collect(),
                })?;
                if !status.is_success() || json.get("CiphertextBlob").is_none() {
                    return Err(Failure { code: format!("HTTP{}", status.as_u16()), message: json.to_string() });
                }
                Ok(())
            }
        }
    }
}

impl Workload {
    /// The signed-call workload: each worker's request prepared once.
    pub(super) fn kms(client: Arc<Client>, action: &str, params: &[Params]) -> anyhow::Result<Self> {
        let calls = params.iter().map(|p| client.prepare(action, p)).collect::<Result<Vec<_>, _>>()?;
        Ok(Self::Kms { client, calls })
    }

    /// The agent workload reading the secret the GetSecretValue setup created.
    pub(super) fn agent(http: reqwest::Client, base: &str, token: &str, params: &[Params]) -> anyhow::Result<Self> {
        let name = params
            .first()
            .and_then(|p| p.iter().find(|(k, _)| *k == "SecretName"))
            .map(|(_, v)| v.clone())
            .ok_or_else(|| anyhow::anyhow!("the GetSecretValue setup made no secret"))?;
        let url = format!(
            "{}/secretsmanager/get?secretId={}",
            base.trim_end_matches('/'),
            keyward_protocol::form::pct(&name)
        );
        Ok(Self::Agent { http, url, token: token.to_string() })
    }
}

fn failure(e: ClientError) -> Failure {
    let code = match &e {
        ClientError::Api { code, .. } if !code.is_empty() => code.clone(),
        ClientError::Api { status, .. } => format!("HTTP{status}"),
        ClientError::Transport(_) => "Transport".into(),
        ClientError::Decode { .. } => "Decode".into(),
        ClientError::Config(_) => "Config".into(),
    };
    Failure { code, message: e.to_string() }
}

/// Choices that shape the setup.
pub(super) struct Setup<'a> {
    pub(super) action: Action,
    pub(super) spec: &'a str,
    pub(super) usage: Option<&'a str>,
    pub(super) algorithm: Option<&'a str>,
    pub(super) key_id: Option<&'a str>,
    pub(super) payload_bytes: usize,
    pub(super) concurrency: usize,
}

/// The key spec an action uses when `--key-spec` is not given.
pub(super) fn default_spec(action: Action) -> &'static str {
    match action {
        Action::AsymmetricSign | Action::GetPublicKey => "RSA_2048",
        _ => "Aliyun_AES_256",
    }
}

fn is_asymmetric(spec: &str) -> bool {
    spec.starts_with("RSA_") || spec.starts_with("EC_")
}

/// RSA keys default to ENCRYPT/DECRYPT on the server; EC keys can only sign.
fn default_usage(action: Action, spec: &str) -> Option<&'static str> {
    match action {
        Action::AsymmetricSign | Action::GetPublicKey if is_asymmetric(spec) => Some("SIGN/VERIFY"),
        _ if spec.starts_with("EC_") => Some("SIGN/VERIFY"),
        _ => None,
    }
}

fn sign_algorithm(spec: &str) -> anyhow::Result<&'static str> {
    Ok(match spec {
        s if s.starts_with("RSA_") => "RSA_PSS_SHA_256",
        "EC_SM2" => "SM2DSA",
        s if s.starts_with("EC_") => "ECDSA_SHA_256",
        other => anyhow::bail!("AsymmetricSign needs an RSA or EC key spec, not {other}"),
    })
}

pub(super) fn random(n: usize) -> anyhow::Result<Vec<u8>> {
    let mut buf = vec![0u8; n];
    aws_lc_rs::rand::fill(&mut buf).map_err(|_| anyhow::anyhow!("no randomness"))?;
    Ok(buf)
}

/// `n` printable characters (Encrypt's `Plaintext` is an opaque string).
pub(super) fn text(n: usize) -> anyhow::Result<String> {
    let mut s = B64.encode(random(n)?);
    s.truncate(n);
    Ok(s)
}

fn field(v: &Value, path: &[&str]) -> anyhow::Result<String> {
    let mut cur = v;
    for p in path {
        cur = &cur[*p];
    }
    cur.as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("the server's answer has no {}: {v}", path.join(".")))
}

async fn create_key(client: &Client, spec: &str, usage: Option<&str>, origin: Option<&str>) -> anyhow::Result<String> {
    let mut params: Params = vec![("KeySpec", spec.to_string()), ("Description", "keyward bench".to_string())];
    if let Some(u) = usage {
        params.push(("KeyUsage", u.to_string()));
    }
    if let Some(o) = origin {
        params.push(("Origin", o.to_string()));
    }
    let resp = client.call("CreateKey", &params).await.with_context(|| format!("setup: CreateKey {spec}"))?;
    field(&resp, &["KeyMetadata", "KeyId"])
}

async fn primary_version(client: &Client, key_id: &str) -> anyhow::Result<String> {
    let resp = client.call("DescribeKey", &[("KeyId", key_id.to_string())]).await.context("setup: DescribeKey")?;
    field(&resp, &["KeyMetadata", "PrimaryKeyVersion"])
}

/// An EXTERNAL AES-256 key with `material` imported, plus the (reusable) token and wrapped
/// material that re-import the same material.
async fn imported_key(client: &Client, material: &[u8]) -> anyhow::Result<Params> {
    let key_id = create_key(client, "Aliyun_AES_256", None, Some("EXTERNAL")).await?;
    let resp = client
        .call(
            "GetParametersForImport",
            &[
                ("KeyId", key_id.clone()),
                ("WrappingKeySpec", "RSA_2048".into()),
                ("WrappingAlgorithm", "RSAES_OAEP_SHA_256".into()),
            ],
        )
        .await
        .context("setup: GetParametersForImport")?;
    let public = B64.decode(field(&resp, &["PublicKey"])?).context("setup: PublicKey is not base64")?;
    let token = field(&resp, &["ImportToken"])?;
    let wrapped = byok::wrap_material(&public, WrappingAlgorithm::RsaesOaepSha256, material, KeySpec::Aes256)
        .map_err(|e| anyhow::anyhow!("setup: cannot wrap the material: {e}"))?;
    let params: Params = vec![("KeyId", key_id), ("EncryptedKeyMaterial", B64.encode(wrapped)), ("ImportToken", token)];
    client.call("ImportKeyMaterial", &params).await.context("setup: first ImportKeyMaterial")?;
    Ok(params)
}

/// Does the untimed setup of `s.action` and returns the action name and per-worker parameters.
pub(super) async fn prepare(client: &Arc<Client>, s: &Setup<'_>) -> anyhow::Result<(&'static str, Vec<Params>)> {
    let usage = s.usage.or(default_usage(s.action, s.spec));
    let key = async || -> anyhow::Result<String> {
        match s.key_id {
            Some(k) => Ok(k.to_string()),
            None => create_key(client, s.spec, usage, None).await,
        }
    };
    let one = |p: Params| vec![p];
    Ok(match s.action {
        Action::Encrypt => ("Encrypt", one(vec![("KeyId", key().await?), ("Plaintext", text(s.payload_bytes)?)])),
        Action::Decrypt => {
            let params = [("KeyId", key().await?), ("Plaintext", text(s.payload_bytes)?)];
            let resp = client.call("Encrypt", &params).await.context("setup: Encrypt")?;
            ("Decrypt", one(vec![("CiphertextBlob", field(&resp, &["CiphertextBlob"])?)]))
        }
        Action::GenerateDataKey => {
            if !(1..=1024).contains(&s.payload_bytes) {
                anyhow::bail!("GenerateDataKey: --payload-bytes is NumberOfBytes and must be 1..=1024");
            }
            ("GenerateDataKey", one(vec![("KeyId", key().await?), ("NumberOfBytes", s.payload_bytes.to_string())]))
        }
        Action::AsymmetricSign => {
            let alg = match s.algorithm {
                Some(a) => a.to_string(),
                None => sign_algorithm(s.spec)?.to_string(),
            };
            let key_id = key().await?;
            let version = primary_version(client, &key_id).await?;
            let digest = B64.encode(random(32)?);
            let params = vec![("KeyId", key_id), ("KeyVersionId", version), ("Algorithm", alg), ("Digest", digest)];
            // Fail in the setup, not in every timed request, when the combination is refused.
            client.call("AsymmetricSign", &params).await.context("setup: AsymmetricSign")?;
            ("AsymmetricSign", one(params))
        }
        Action::GetPublicKey => {
            let key_id = key().await?;
            let version = primary_version(client, &key_id).await?;
            ("GetPublicKey", one(vec![("KeyId", key_id), ("KeyVersionId", version)]))
        }
        Action::DescribeKey => ("DescribeKey", one(vec![("KeyId", key().await?)])),
        Action::CreateKey => {
            let mut params: Params =
                vec![("KeySpec", s.spec.to_string()), ("Description", "keyward bench CreateKey".to_string())];
            if let Some(u) = usage {
                params.push(("KeyUsage", u.to_string()));
            }
            ("CreateKey", one(params))
        }
        Action::GetParametersForImport => {
            let key_id = match s.key_id {
                Some(k) => k.to_string(),
                None => create_key(client, "Aliyun_AES_256", None, Some("EXTERNAL")).await?,
            };
            (
                "GetParametersForImport",
                one(vec![
                    ("KeyId", key_id),
                    ("WrappingKeySpec", "RSA_2048".into()),
                    ("WrappingAlgorithm", "RSAES_OAEP_SHA_256".into()),
                ]),
            )
        }
        Action::ImportKeyMaterial => {
            if s.spec != "Aliyun_AES_256" || s.key_id.is_some() {
                anyhow::bail!(
                    "ImportKeyMaterial benches its own EXTERNAL Aliyun_AES_256 keys (no --key-spec/--key-id)"
                );
            }
            // One key per worker, so that concurrent imports do not contend on one key record;
            // each worker re-imports the same material (the binding rule refuses other material).
            let material = Arc::new(random(32)?);
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..s.concurrency {
                let (client, material) = (client.clone(), material.clone());
                tasks.spawn(async move { imported_key(&client, &material).await });
            }
            let mut params = Vec::with_capacity(s.concurrency);
            while let Some(made) = tasks.join_next().await {
                params.push(made.context("setup task")??);
            }
            ("ImportKeyMaterial", params)
        }
        Action::GetSecretValue => {
            if !(1..=30720).contains(&s.payload_bytes) {
                anyhow::bail!("GetSecretValue: --payload-bytes is the secret's size and must be 1..=30720");
            }
            let name = format!("keyward-bench/{}", uuid::Uuid::new_v4().simple());
            let mut create: Params =
                vec![("SecretName", name.clone()), ("VersionId", "v1".into()), ("SecretData", text(s.payload_bytes)?)];
            if let Some(k) = s.key_id {
                create.push(("EncryptionKeyId", k.to_string()));
            }
            client.call("CreateSecret", &create).await.context("setup: CreateSecret")?;
            let params = vec![("SecretName", name)];
            client.call("GetSecretValue", &params).await.context("setup: GetSecretValue")?;
            ("GetSecretValue", one(params))
        }
    })
}
