//! Request authentication: which AccessKey signed, is the signature right (V1, ACS3, ACS4 via
//! `keyward_protocol::signature`), is the request fresh (15-minute window) and new (nonce not
//! seen before). Produces the [`Caller`] every core operation takes.

use std::collections::{HashSet, VecDeque};
use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::Mutex;

use keyward_core::{Caller, Kms};
use keyward_protocol::codes;
use keyward_protocol::signature::{self, RequestParts, SignatureError};

use crate::error::ApiError;

/// Allowed clock skew between client and server, seconds.
pub const MAX_SKEW_SECS: i64 = 15 * 60;
/// Most nonces remembered; the oldest are forgotten first when full.
pub const NONCE_CAPACITY: usize = 200_000;

/// Freshness checks; switched off only by tests that replay captured requests.
#[derive(Debug, Clone, Copy)]
pub struct Freshness {
    /// Check the timestamp window.
    pub check_timestamp: bool,
    /// Reject reused nonces.
    pub check_nonce: bool,
}

impl Default for Freshness {
    fn default() -> Self {
        Self { check_timestamp: true, check_nonce: true }
    }
}

/// Remembers `(AccessKeyId, nonce)` pairs for the skew window (twice over), bounded. Pairs are
/// kept as 128-bit keyed hashes (two independent SipHash keys chosen at startup), so an entry
/// costs a few dozen bytes whatever the nonce length, and a caller cannot aim for collisions.
pub struct NonceCache {
    inner: Mutex<NonceInner>,
    hashers: (RandomState, RandomState),
}

struct NonceInner {
    seen: HashSet<u128>,
    order: VecDeque<(i64, u128)>,
}

impl Default for NonceCache {
    fn default() -> Self {
        Self {
            inner: Mutex::new(NonceInner { seen: HashSet::new(), order: VecDeque::new() }),
            hashers: (RandomState::new(), RandomState::new()),
        }
    }
}

impl NonceCache {
    /// Records the nonce; `false` if it was already seen within the window.
    pub fn check_and_insert(&self, access_key_id: &str, nonce: &str, now: i64) -> bool {
        let digest = |b: &RandomState| {
            let mut h = b.build_hasher();
            h.write(access_key_id.as_bytes());
            h.write_u8(0xff);
            h.write(nonce.as_bytes());
            h.finish()
        };
        let key = (u128::from(digest(&self.hashers.0)) << 64) | u128::from(digest(&self.hashers.1));
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let NonceInner { seen, order } = &mut *g;
        while let Some((t, _)) = order.front() {
            if *t + 2 * MAX_SKEW_SECS < now || order.len() >= NONCE_CAPACITY {
                if let Some((_, k)) = order.pop_front() {
                    seen.remove(&k);
                }
            } else {
                break;
            }
        }
        if !seen.insert(key) {
            return false;
        }
        order.push_back((now, key));
        true
    }
}

/// Authenticates a request. Errors carry the documented codes.
pub async fn authenticate(
    kms: &Kms,
    nonces: &NonceCache,
    freshness: Freshness,
    req: &RequestParts<'_>,
) -> Result<Caller, ApiError> {
    let claim = signature::parse_claim(req).map_err(signature_error)?;
    let now = kms.now();
    if freshness.check_timestamp {
        let t = keyward_protocol::time::parse(&claim.timestamp).ok_or_else(|| {
            ApiError::with_message(
                codes::ILLEGAL_TIMESTAMP,
                format!("The Timestamp \"{}\" is not in the format yyyy-MM-ddTHH:mm:ssZ (UTC).", claim.timestamp),
            )
        })?;
        if (t - now).abs() > MAX_SKEW_SECS {
            return Err(ApiError::with_message(
                codes::ILLEGAL_TIMESTAMP,
                format!(
                    "The request time {} is more than 15 minutes away from the server time {}.",
                    claim.timestamp,
                    keyward_protocol::time::format(now)
                ),
            ));
        }
    }
    if claim.nonce.is_empty() {
        return Err(ApiError::with_message(
            codes::MISSING_PARAMETER,
            "The parameter \"SignatureNonce\" is needed but not provided.",
        ));
    }
    let resolved = kms.resolve_access_key(&claim.access_key_id).await.map_err(ApiError::from)?;
    signature::verify(req, &claim, resolved.secret.expose()).map_err(signature_error)?;
    // Only a correctly signed request consumes its nonce, so nobody can burn another's nonces.
    if freshness.check_nonce && !nonces.check_and_insert(&claim.access_key_id, &claim.nonce, now) {
        return Err(ApiError::new(codes::SIGNATURE_NONCE_USED));
    }
    Ok(resolved.caller)
}

fn signature_error(e: SignatureError) -> ApiError {
    match e {
        SignatureError::Missing => ApiError::new(codes::MISSING_SIGNATURE),
        SignatureError::Incomplete(what) => ApiError::with_message(
            codes::INCOMPLETE_SIGNATURE,
            format!("The request signature does not conform to Alibaba Cloud standards: {what}"),
        ),
        SignatureError::Mismatch { string_to_sign } => ApiError::with_message(
            codes::SIGNATURE_DOES_NOT_MATCH,
            format!(
                "Specified signature is not matched with our calculation. server string to sign is:{string_to_sign}"
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_single_use_per_access_key_and_expire() {
        let c = NonceCache::default();
        assert!(c.check_and_insert("a", "n1", 1000));
        assert!(!c.check_and_insert("a", "n1", 1001));
        assert!(c.check_and_insert("b", "n1", 1001));
        assert!(c.check_and_insert("a", "n1", 1000 + 2 * MAX_SKEW_SECS + 1));
    }
}
