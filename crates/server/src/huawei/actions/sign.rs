//! sign: `message` (base64, < 4096 bytes) with `message_type` `DIGEST` (the default: the
//! message is the digest, of the algorithm's length, else `KMS.0329`) or `RAW` (hashed here:
//! SHA-2, or SM3(Z‖M) for SM2DSA). `signing_algorithm`: `RSASSA_PSS_SHA_256/384/512` (salt =
//! hash length), `RSASSA_PKCS1_V1_5_SHA_256/384/512`, `ECDSA_SHA_256/384` (DER signatures),
//! `SM2DSA_SM3`; one the key does not support → `KMS.0332`. The primary version signs.
//! `{"key_id","signature": base64}`.

use aws_lc_rs::digest;
use keyward_core::Error;
use keyward_core::model::KeyRecord;
use keyward_crypto::asymmetric::{self, AsymmetricAlgorithm};
use keyward_protocol::huawei::codes;
use serde_json::json;

use crate::huawei::actions::common;
use crate::huawei::error::HwError;
use crate::huawei::{Ctx, Reply};

/// Longest `message`, bytes.
pub const MAX_MESSAGE: usize = 4095;

/// Huawei signing algorithm names → keyward algorithms.
const ALGORITHMS: &[(&str, AsymmetricAlgorithm)] = &[
    ("RSASSA_PSS_SHA_256", AsymmetricAlgorithm::RsaPssSha256),
    ("RSASSA_PSS_SHA_384", AsymmetricAlgorithm::RsaPssSha384),
    ("RSASSA_PSS_SHA_512", AsymmetricAlgorithm::RsaPssSha512),
    ("RSASSA_PKCS1_V1_5_SHA_256", AsymmetricAlgorithm::RsaPkcs1Sha256),
    ("RSASSA_PKCS1_V1_5_SHA_384", AsymmetricAlgorithm::RsaPkcs1Sha384),
    ("RSASSA_PKCS1_V1_5_SHA_512", AsymmetricAlgorithm::RsaPkcs1Sha512),
    ("ECDSA_SHA_256", AsymmetricAlgorithm::EcdsaSha256),
    ("ECDSA_SHA_384", AsymmetricAlgorithm::EcdsaSha384),
    ("SM2DSA_SM3", AsymmetricAlgorithm::Sm2Dsa),
];

/// Names Huawei documents that keyward has no implementation of (`KMS.0332`).
const UNSUPPORTED: &[&str] = &["ECDSA_SHA_512", "ED25519_SHA_512", "ED25519_PH_SHA_512"];

/// What sign and verify share: the key, the algorithm, the primary version and the digest.
pub struct Prepared {
    /// The key.
    pub key: KeyRecord,
    /// The algorithm.
    pub algorithm: AsymmetricAlgorithm,
    /// The version that signs.
    pub version: String,
    /// The digest to sign or verify.
    pub digest: Vec<u8>,
}

/// Parses and checks the common fields of sign and verify.
pub async fn prepare(ctx: &Ctx<'_>, action: &str) -> Result<Prepared, HwError> {
    let b = ctx.body;
    let bad_message = || HwError::invalid("message", "base64 of fewer than 4096 bytes");
    let message = common::base64_field(&b.req_str("message")?, bad_message())?;
    if message.len() > MAX_MESSAGE {
        return Err(bad_message());
    }
    let name = b.req_str("signing_algorithm")?;
    let algorithm = match ALGORITHMS.iter().find(|(n, _)| *n == name) {
        Some((_, a)) => *a,
        None if UNSUPPORTED.contains(&name.as_str()) => return Err(HwError::new(codes::KMS_0332)),
        None => return Err(HwError::invalid("signing_algorithm", "not a signing algorithm")),
    };
    let raw = match b.opt_str("message_type")?.filter(|t| !t.is_empty()).as_deref() {
        None | Some("DIGEST") => false,
        Some("RAW") => true,
        Some(_) => return Err(HwError::invalid("message_type", "DIGEST or RAW")),
    };
    let key = common::body_key(ctx, action).await?;
    common::check_signing_key(&key)?;
    if !algorithm.fits(key.spec, key.usage) {
        return Err(HwError::new(codes::KMS_0332));
    }
    let version = common::primary_version(&key)?.to_string();
    let digest = if !raw {
        if algorithm.digest_len() != Some(message.len()) {
            return Err(HwError::new(codes::KMS_0329));
        }
        message
    } else if let Some(hash) = algorithm.hash() {
        digest::digest(hash, &message).as_ref().to_vec()
    } else {
        // SM2DSA: e = SM3(Z_A ‖ M) with the key's public key.
        let pem = ctx.kms.get_public_key(ctx.caller, &key.key_id, &version).await?.value;
        let der = pem_to_der(&pem).ok_or_else(|| HwError::internal("public key PEM does not parse"))?;
        asymmetric::sm2_z_digest(&der, &message).map_err(|e| HwError::internal(e.to_string()))?.to_vec()
    };
    Ok(Prepared { key, algorithm, version, digest })
}

/// The DER inside a PEM block.
pub fn pem_to_der(pem: &str) -> Option<Vec<u8>> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).map(str::trim).collect();
    common::base64_field(&body, HwError::new(codes::KMS_0101)).ok()
}

/// Core errors of sign/verify: a digest of the wrong length → `KMS.0329`.
pub fn map_error(e: Error) -> HwError {
    match e {
        Error::InvalidParameter { name: "Digest", .. } => HwError::new(codes::KMS_0329),
        other => other.into(),
    }
}

/// Handles `POST …/kms/sign`.
pub async fn handle(ctx: &Ctx<'_>) -> Result<Reply, HwError> {
    let p = prepare(ctx, "kms:AsymmetricSign").await?;
    let out = ctx
        .kms
        .asymmetric_sign(ctx.caller, &p.key.key_id, &p.version, p.algorithm, &p.digest)
        .await
        .map_err(map_error)?;
    Ok(Reply::Json(json!({"key_id": p.key.key_id, "signature": common::b64(&out.value)})))
}
