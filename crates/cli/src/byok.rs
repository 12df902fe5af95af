//! Bring Your Own Key from the command line:
//! - `keyward key import`: the whole flow in one command — GetParametersForImport, wrap the
//!   material locally with the returned public key, ImportKeyMaterial;
//! - `keyward byok wrap`: offline wrapping with a public key saved from GetParametersForImport,
//!   for material that sits on an air-gapped machine; prints the base64 EncryptedKeyMaterial.
//!
//! Material files: raw bytes for symmetric keys (e.g. `openssl rand -out KeyMaterial.bin 32`);
//! for asymmetric keys a PKCS#8 private key, DER or PEM (`openssl genpkey … | openssl pkcs8
//! -topk8 -nocrypt -outform DER`).

use std::path::{Path, PathBuf};

use base64::Engine;
use keyward_client::Client;
use keyward_crypto::KeySpec;
use keyward_crypto::byok::{self, WrappingAlgorithm, WrappingKeySpec};
use serde_json::json;

use crate::output::{self, Format};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// `keyward byok …`.
#[derive(clap::Subcommand, Debug)]
pub(crate) enum ByokCommand {
    /// Wrap key material offline with a wrapping public key; prints base64 EncryptedKeyMaterial.
    Wrap {
        /// Wrapping public key from GetParametersForImport: DER, PEM or the base64 text.
        #[arg(long)]
        public_key: PathBuf,
        /// Wrapping algorithm (RSAES_OAEP_SHA_256, RSAES_OAEP_SHA_1, RSAES_PKCS1_V1_5, SM2PKE,
        /// RSAES_OAEP_SHA_256_AES_256_ECB_PKCS7_PAD, SM2PKE_SM4_ECB).
        #[arg(long)]
        algorithm: String,
        /// Symmetric key material (raw bytes).
        #[arg(long, conflicts_with = "private_key_pkcs8", required_unless_present = "private_key_pkcs8")]
        material: Option<PathBuf>,
        /// Asymmetric key material: the private key as PKCS#8 (DER or PEM).
        #[arg(long)]
        private_key_pkcs8: Option<PathBuf>,
        /// Key spec of the target key (inferred when omitted).
        #[arg(long)]
        key_spec: Option<String>,
    },
}

/// Runs `keyward byok wrap`.
pub(crate) fn run(command: ByokCommand) -> anyhow::Result<()> {
    match command {
        ByokCommand::Wrap { public_key, algorithm, material, private_key_pkcs8, key_spec } => {
            let public = read_public_key(&public_key)?;
            let alg = parse_algorithm(&algorithm)?;
            let (bytes, asymmetric) = match (material, private_key_pkcs8) {
                (Some(m), _) => (read(&m)?, false),
                (None, Some(k)) => (read_pkcs8(&k)?, true),
                (None, None) => anyhow::bail!("give --material or --private-key-pkcs8"),
            };
            let spec = match key_spec {
                Some(s) => KeySpec::parse(&s).ok_or_else(|| anyhow::anyhow!("unknown key spec {s:?}"))?,
                None => infer_spec(&public, alg, &bytes, asymmetric)?,
            };
            let wrapped = byok::wrap_material(&public, alg, &bytes, spec)
                .map_err(|e| anyhow::anyhow!("cannot wrap the material for a {} key: {e}", spec.as_str()))?;
            println!("{}", B64.encode(wrapped));
            Ok(())
        }
    }
}

/// Runs `keyward key import`.
pub(crate) async fn import(
    client: &Client,
    out: Format,
    key_id: &str,
    material_file: &Path,
    algorithm: Option<&str>,
    expire_at: Option<&str>,
) -> anyhow::Result<()> {
    let described = client.call("DescribeKey", &[("KeyId", key_id.to_string())]).await?;
    let meta = &described["KeyMetadata"];
    let spec_name = meta["KeySpec"].as_str().unwrap_or_default();
    let spec =
        KeySpec::parse(spec_name).ok_or_else(|| anyhow::anyhow!("the server reported key spec {spec_name:?}"))?;
    let alg = match algorithm {
        Some(a) => parse_algorithm(a)?,
        None if spec == KeySpec::EcSm2 => WrappingAlgorithm::Sm2PkeSm4Ecb,
        None if spec.is_symmetric() => WrappingAlgorithm::RsaesOaepSha256,
        None => WrappingAlgorithm::RsaesOaepSha256Aes256EcbPkcs7Pad,
    };
    let wspec = match alg {
        WrappingAlgorithm::Sm2Pke | WrappingAlgorithm::Sm2PkeSm4Ecb => WrappingKeySpec::EcSm2,
        _ => WrappingKeySpec::Rsa2048,
    };
    let material = if spec.is_symmetric() { read(material_file)? } else { read_pkcs8(material_file)? };
    let expire = match expire_at {
        None => 0,
        Some(s) => parse_time(s)?,
    };
    let real_id = meta["KeyId"].as_str().unwrap_or(key_id).to_string();
    let params = client
        .call(
            "GetParametersForImport",
            &[
                ("KeyId", real_id.clone()),
                ("WrappingKeySpec", wspec.as_str().to_string()),
                ("WrappingAlgorithm", alg.as_str().to_string()),
            ],
        )
        .await?;
    let public = B64
        .decode(params["PublicKey"].as_str().unwrap_or_default())
        .map_err(|_| anyhow::anyhow!("the server returned a PublicKey that is not base64"))?;
    let token = params["ImportToken"].as_str().unwrap_or_default().to_string();
    let wrapped = byok::wrap_material(&public, alg, &material, spec)
        .map_err(|e| anyhow::anyhow!("cannot wrap the material for a {spec_name} key: {e}"))?;
    let resp = client
        .call(
            "ImportKeyMaterial",
            &[
                ("KeyId", real_id.clone()),
                ("EncryptedKeyMaterial", B64.encode(wrapped)),
                ("ImportToken", token),
                ("KeyMaterialExpireUnix", expire.to_string()),
            ],
        )
        .await?;
    let after = client.call("DescribeKey", &[("KeyId", real_id.clone())]).await?;
    let summary = json!({
        "KeyId": real_id,
        "KeyState": after["KeyMetadata"]["KeyState"],
        "MaterialExpireTime": after["KeyMetadata"]["MaterialExpireTime"],
        "WrappingAlgorithm": alg.as_str(),
        "RequestId": resp["RequestId"],
    });
    output::print_object(out, &summary, &summary);
    Ok(())
}

fn parse_algorithm(s: &str) -> anyhow::Result<WrappingAlgorithm> {
    WrappingAlgorithm::parse(s).ok_or_else(|| anyhow::anyhow!("unknown wrapping algorithm {s:?}"))
}

/// Unix seconds from `1700000000` or `2026-12-31T00:00:00Z`.
fn parse_time(s: &str) -> anyhow::Result<i64> {
    if let Ok(n) = s.parse::<i64>() {
        return Ok(n);
    }
    keyward_protocol::time::parse(s)
        .ok_or_else(|| anyhow::anyhow!("--expire-at {s:?}: use Unix seconds or yyyy-MM-ddTHH:mm:ssZ"))
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))
}

/// PEM (`-----BEGIN …-----`) or base64 text → DER; anything else is taken as DER.
fn der_or_pem(bytes: Vec<u8>) -> Vec<u8> {
    let Ok(text) = std::str::from_utf8(&bytes) else { return bytes };
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect::<Vec<_>>().concat();
    match B64.decode(body.trim()) {
        Ok(der) if !der.is_empty() => der,
        _ => bytes,
    }
}

fn read_pkcs8(path: &Path) -> anyhow::Result<Vec<u8>> {
    let bytes = read(path)?;
    if bytes.starts_with(b"-----BEGIN RSA PRIVATE KEY") || bytes.starts_with(b"-----BEGIN EC PRIVATE KEY") {
        anyhow::bail!(
            "{} is a traditional private key; convert it: openssl pkcs8 -topk8 -nocrypt -in KEY -outform DER -out KEY.p8",
            path.display()
        );
    }
    Ok(der_or_pem(bytes))
}

fn read_public_key(path: &Path) -> anyhow::Result<Vec<u8>> {
    Ok(der_or_pem(read(path)?))
}

fn infer_spec(public: &[u8], alg: WrappingAlgorithm, bytes: &[u8], asymmetric: bool) -> anyhow::Result<KeySpec> {
    if !asymmetric {
        return match bytes.len() {
            32 => Ok(KeySpec::Aes256),
            16 => Ok(KeySpec::Aes128),
            n => anyhow::bail!("symmetric material must be 16 or 32 bytes, not {n}"),
        };
    }
    let candidates =
        [KeySpec::Rsa2048, KeySpec::Rsa3072, KeySpec::Rsa4096, KeySpec::EcP256, KeySpec::EcP256K, KeySpec::EcSm2];
    candidates
        .into_iter()
        .find(|s| byok::wrap_material(public, alg, bytes, *s).is_ok())
        .ok_or_else(|| anyhow::anyhow!("the private key fits no key spec with {}; pass --key-spec", alg.as_str()))
}
