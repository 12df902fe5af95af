//! Authentication of Huawei requests: `SDK-HMAC-SHA256` with the same AccessKeys as the
//! Alibaba protocol (the cached lookup of `keyward_core::access_keys`), `X-Sdk-Date` within
//! 15 minutes of the server clock. Every failure is the gateway's 401 `APIGW.0301` (flat body).
//!
//! The protocol has no nonce, so a captured request can be replayed within the 15-minute
//! window, as against Huawei's own gateway; use HTTPS.

use axum::http::{HeaderMap, Method, Uri};
use keyward_core::{Caller, Error, Kms};
use keyward_protocol::huawei::signature::{self, Request, SignatureError};

use crate::auth::{Freshness, MAX_SKEW_SECS};
use crate::huawei::error::HwError;

/// The headers as `(name, value)` pairs, with `host` taken from the URI authority when the
/// request has no `Host` header (HTTP/2).
pub fn header_list(uri: &Uri, headers: &HeaderMap) -> Vec<(String, String)> {
    let mut list: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| {
            let value = v.to_str().map_or_else(|_| String::from_utf8_lossy(v.as_bytes()).into_owned(), str::to_string);
            (k.as_str().to_string(), value)
        })
        .collect();
    if !headers.contains_key(axum::http::header::HOST)
        && let Some(a) = uri.authority()
    {
        list.push(("host".into(), a.as_str().to_string()));
    }
    list
}

/// The AccessKey id a request claims to be signed with, if its `Authorization` header parses
/// (for the audit event of a request that fails authentication).
pub fn claimed_access_key(method: &Method, uri: &Uri, headers: &[(String, String)], body: &[u8]) -> Option<String> {
    let req = Request { method: method.as_str(), path: uri.path(), query: uri.query().unwrap_or(""), headers, body };
    signature::parse_claim(&req).ok().map(|c| c.access_key_id.to_string())
}

/// Authenticates a request.
pub async fn authenticate(
    kms: &Kms,
    freshness: Freshness,
    method: &Method,
    uri: &Uri,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Caller, HwError> {
    let req = Request { method: method.as_str(), path: uri.path(), query: uri.query().unwrap_or(""), headers, body };
    let claim = signature::parse_claim(&req).map_err(signature_error)?;
    if freshness.check_timestamp {
        let t = signature::parse_sdk_date(&claim.date)
            .ok_or_else(|| HwError::unauthorized("X-Sdk-Date must be YYYYMMDDTHHMMSSZ (UTC)"))?;
        if (t - kms.now()).abs() > MAX_SKEW_SECS {
            return Err(HwError::unauthorized(format!(
                "X-Sdk-Date {} is more than 15 minutes away from the server time {}",
                claim.date,
                signature::format_sdk_date(kms.now())
            )));
        }
    }
    let resolved = match kms.resolve_access_key(&claim.access_key_id).await {
        Ok(r) => r,
        Err(Error::AccessKeyNotFound) => return Err(HwError::unauthorized("the AccessKey does not exist")),
        Err(Error::AccessKeyDisabled) => return Err(HwError::unauthorized("the AccessKey is disabled")),
        Err(e) => return Err(HwError::from(e)),
    };
    signature::verify(&req, &claim, resolved.secret.expose()).map_err(signature_error)?;
    Ok(resolved.caller)
}

fn signature_error(e: SignatureError) -> HwError {
    match e {
        SignatureError::Mismatch => HwError::unauthorized("verify aksk signature fail"),
        other => HwError::unauthorized(other),
    }
}
