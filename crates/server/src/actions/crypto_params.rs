//! Wire helpers shared by the cryptographic actions: base64 parameters and algorithm names.

use base64::Engine;
use keyward_crypto::asymmetric::AsymmetricAlgorithm;
use keyward_protocol::params::Params;

use crate::error::ApiError;

/// Standard base64.
pub(crate) const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Largest base64 parameter accepted by crypto actions (a 6 KB plaintext is 8 KB of base64;
/// an SM2 ciphertext of the largest plaintext fits too).
const MAX_B64: usize = 64 * 1024;

/// A required base64 parameter, decoded.
pub(crate) fn b64(p: &Params, name: &str) -> Result<Vec<u8>, ApiError> {
    let v = p.required(name)?;
    if v.len() > MAX_B64 {
        return Err(ApiError::invalid(name, "too long"));
    }
    B64.decode(v.trim()).map_err(|_| ApiError::invalid(name, "must be base64"))
}

/// A required asymmetric algorithm parameter.
pub(crate) fn algorithm(p: &Params, name: &str) -> Result<AsymmetricAlgorithm, ApiError> {
    let v = p.required(name)?;
    AsymmetricAlgorithm::parse(v).ok_or_else(|| {
        ApiError::invalid(
            name,
            "use RSAES_OAEP_SHA_256, RSAES_OAEP_SHA_1, SM2PKE, RSA_PSS_SHA_256, RSA_PKCS1_SHA_256, ECDSA_SHA_256 or SM2DSA",
        )
    })
}
