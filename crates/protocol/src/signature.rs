//! Alibaba Cloud request signatures: verification on the server, ACS3 signing on the client.
//!
//! Implements the three schemes described in `shared/protocol/SIGNATURES.md` (and ALIBABA.md §2):
//!
//! - **V1** (`SignatureMethod=HMAC-SHA1`, `SignatureVersion=1.0`): every decoded query and form
//!   parameter except `Signature`, sorted and percent-encoded, HMAC-SHA1 with `secret + "&"`,
//!   base64.
//! - **ACS3-HMAC-SHA256**: `Authorization: ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..`
//!   over a canonical request (method, `/`, canonical query, the signed headers, SHA-256 of the
//!   body), HMAC-SHA256 with the secret, hex.
//! - **ACS4-HMAC-SHA256**: the ACS3 canonical request, with a signing key derived from
//!   `"aliyun_v4" + secret` and the credential scope `<yyyymmdd>/<region>/Kms/aliyun_v4_request`.
//!
//! The server calls [`parse_claim`] (which also performs every structural check that does not
//! need the secret), looks the AccessKey up, checks the timestamp and nonce in the claim, then
//! calls [`verify`]. Clock skew and nonce replay are not checked here.
//!
//! Everything here parses attacker-controlled bytes: no function panics on any input.

use aws_lc_rs::{digest, hmac};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use subtle::ConstantTimeEq;

use crate::form::pct;

const ACS3_ALGORITHM: &str = "ACS3-HMAC-SHA256";
const ACS4_ALGORITHM: &str = "ACS4-HMAC-SHA256";
const ACS4_TERMINATOR: &str = "aliyun_v4_request";
const ACS4_SECRET_PREFIX: &[u8] = b"aliyun_v4";
/// The product name in the ACS4 credential scope.
pub const ACS4_PRODUCT: &str = "Kms";

/// Headers an ACS3/ACS4 request must list in `SignedHeaders` (SIGNATURES.md, ACS3 section).
const REQUIRED_SIGNED_HEADERS: [&str; 6] =
    ["host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"];
/// Headers that must be signed whenever the request carries them.
const SIGNED_WHEN_PRESENT: [&str; 2] = ["content-type", "x-acs-security-token"];

/// A received HTTP request, as the server saw it.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// `"GET"` / `"POST"` as sent.
    pub method: &'a str,
    /// Raw query string without `?`, may be `""`.
    pub query: &'a str,
    /// Header names in any case, values as received.
    pub headers: &'a [(String, String)],
    /// Raw body bytes.
    pub body: &'a [u8],
    /// Decoded parameters: query params followed by form-body params (the body ones only
    /// when content-type is application/x-www-form-urlencoded). V1 signs all of them.
    pub params: &'a [(String, String)],
}

/// The signature scheme of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// RPC signature: `SignatureMethod=HMAC-SHA1`, `SignatureVersion=1.0`, `Signature` parameter.
    V1HmacSha1,
    /// `Authorization: ACS3-HMAC-SHA256 ...` (Tea SDK default).
    Acs3HmacSha256,
    /// `Authorization: ACS4-HMAC-SHA256 ...` (Tea SDK with `signature_version='v4'`).
    Acs4HmacSha256,
}

impl Scheme {
    /// The scheme's name as it appears on the wire (`HMAC-SHA1` for V1).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1HmacSha1 => "HMAC-SHA1",
            Self::Acs3HmacSha256 => ACS3_ALGORITHM,
            Self::Acs4HmacSha256 => ACS4_ALGORITHM,
        }
    }
}

/// Who claims to have signed, read from the request before we know the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The signature scheme.
    pub scheme: Scheme,
    /// V1 `AccessKeyId` param, or the AccessKeyId of the `Credential` in the Authorization header.
    pub access_key_id: String,
    /// Raw timestamp: V1 `Timestamp` param, ACS3/ACS4 `x-acs-date` header (`YYYY-MM-DDThh:mm:ssZ`).
    pub timestamp: String,
    /// V1 `SignatureNonce` param or `x-acs-signature-nonce` header.
    pub nonce: String,
    /// `SecurityToken` param / `x-acs-security-token` header if present.
    pub security_token: Option<String>,
    /// The signature bytes (V1: base64-decoded; ACS3/ACS4: hex-decoded).
    signature: Vec<u8>,
    /// ACS3/ACS4: the `SignedHeaders` names, in the order given. Empty for V1.
    signed_headers: Vec<String>,
    /// ACS4: the credential scope.
    scope: Option<Acs4Scope>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Acs4Scope {
    date: String,
    region: String,
    product: String,
}

impl Claim {
    /// ACS3/ACS4: the header names listed in `SignedHeaders` (empty for V1).
    pub fn signed_headers(&self) -> &[String] {
        &self.signed_headers
    }

    /// ACS4: the region of the credential scope (`cn-hangzhou`); `None` for V1/ACS3.
    pub fn scope_region(&self) -> Option<&str> {
        self.scope.as_ref().map(|s| s.region.as_str())
    }

    /// ACS4: the date of the credential scope (`yyyymmdd`); `None` for V1/ACS3.
    pub fn scope_date(&self) -> Option<&str> {
        self.scope.as_ref().map(|s| s.date.as_str())
    }
}

/// Why a request's signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No Authorization header starting with ACS3-/ACS4- and no `Signature` parameter.
    #[error("the request is not signed")]
    Missing,
    /// Malformed Authorization header / missing required signing parameter or header;
    /// the String names what is wrong (for the IncompleteSignature message). Also: unsupported
    /// SignatureMethod/SignatureVersion/algorithm, x-acs-content-sha256 not equal to SHA-256 of
    /// the body, a required header (host, x-acs-action, x-acs-version, x-acs-date,
    /// x-acs-signature-nonce, x-acs-content-sha256, and content-type / x-acs-security-token
    /// when present on the request) missing from SignedHeaders.
    #[error("incomplete signature: {0}")]
    Incomplete(String),
    /// Signature did not match. Carries the server's string-to-sign (V1: the full
    /// `POST&%2F&...` string; ACS3/4: `ACS3-HMAC-SHA256\n<hex>`), which the server puts in the
    /// error message after a colon because aliyunsdkcore compares it.
    #[error("signature does not match")]
    Mismatch {
        /// The string-to-sign the server computed.
        string_to_sign: String,
    },
}

fn incomplete(what: impl Into<String>) -> SignatureError {
    SignatureError::Incomplete(what.into())
}

/// Reads the signer's claim from the request and performs every check that does not need the
/// secret (scheme, required parameters and signed headers, `x-acs-content-sha256`).
///
/// An `Authorization` header starting with `ACS3-` or `ACS4-` selects ACS3/ACS4; otherwise a
/// `Signature` parameter selects V1; otherwise [`SignatureError::Missing`].
pub fn parse_claim(req: &RequestParts<'_>) -> Result<Claim, SignatureError> {
    let mut acs = header_values(req.headers, "authorization")
        .map(str::trim)
        .filter(|v| v.starts_with("ACS3-") || v.starts_with("ACS4-"));
    if let Some(auth) = acs.next() {
        if acs.next().is_some() {
            return Err(incomplete("more than one Authorization header"));
        }
        return parse_acs(req, auth);
    }
    if req.params.iter().any(|(k, _)| k == "Signature") {
        return parse_v1(req);
    }
    Err(SignatureError::Missing)
}

/// Verifies the claim's signature with the AccessKey secret (constant-time comparison).
///
/// `req` must be the request `claim` was parsed from.
pub fn verify(req: &RequestParts<'_>, claim: &Claim, secret: &[u8]) -> Result<(), SignatureError> {
    let string_to_sign = string_to_sign(req, claim)?;
    let expected = match claim.scheme {
        Scheme::V1HmacSha1 => {
            let mut key = Vec::with_capacity(secret.len() + 1);
            key.extend_from_slice(secret);
            key.push(b'&');
            hmac_tag(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &key, string_to_sign.as_bytes())
        }
        Scheme::Acs3HmacSha256 => hmac_tag(hmac::HMAC_SHA256, secret, string_to_sign.as_bytes()),
        Scheme::Acs4HmacSha256 => {
            let scope = claim.scope.as_ref().ok_or_else(|| incomplete("ACS4 credential scope missing"))?;
            let key = acs4_signing_key(secret, scope);
            hmac_tag(hmac::HMAC_SHA256, &key, string_to_sign.as_bytes())
        }
    };
    if bool::from(expected.as_slice().ct_eq(claim.signature.as_slice())) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch { string_to_sign })
    }
}

/// The server's string-to-sign for `req` under `claim`: V1 `METHOD&%2F&<pct(canonical query)>`,
/// ACS3/ACS4 `<algorithm>\n<hex SHA-256 of the canonical request>`.
pub fn string_to_sign(req: &RequestParts<'_>, claim: &Claim) -> Result<String, SignatureError> {
    let canonical = canonical_request(req, claim)?;
    Ok(match claim.scheme {
        Scheme::V1HmacSha1 => format!("{}&{}&{}", req.method, pct("/"), pct(&canonical)),
        Scheme::Acs3HmacSha256 | Scheme::Acs4HmacSha256 => {
            format!("{}\n{}", claim.scheme.as_str(), hex_sha256(canonical.as_bytes()))
        }
    })
}

/// The canonical form that gets hashed/encoded into the string-to-sign: for V1 the
/// canonicalized query string (all parameters but `Signature`), for ACS3/ACS4 the canonical
/// request (`METHOD\n/\nquery\nheaders\n\nsigned-headers\nhashed-payload`).
pub fn canonical_request(req: &RequestParts<'_>, claim: &Claim) -> Result<String, SignatureError> {
    match claim.scheme {
        Scheme::V1HmacSha1 => Ok(canonical_query_of(
            req.params.iter().filter(|(k, _)| k != "Signature").map(|(k, v)| (k.as_str(), v.as_str())),
        )),
        Scheme::Acs3HmacSha256 | Scheme::Acs4HmacSha256 => {
            let payload_hash = hex_sha256(req.body);
            check_content_sha256(req.headers, &payload_hash)?;
            let mut canonical_headers = String::new();
            for name in &claim.signed_headers {
                let value = canonical_header_value(req.headers, name)
                    .ok_or_else(|| incomplete(format!("signed header {name} is missing")))?;
                canonical_headers.push_str(name);
                canonical_headers.push(':');
                canonical_headers.push_str(&value);
                canonical_headers.push('\n');
            }
            let query = form_query(req.query);
            Ok(assemble_canonical_request(
                req.method,
                &canonical_query(&query),
                &canonical_headers,
                &claim.signed_headers.join(";"),
                &payload_hash,
            ))
        }
    }
}

/// The canonical query string used by every scheme: `pct(name)=pct(value)` sorted by name
/// (byte order of the decoded name; equal names keep their order), joined by `&`. The client
/// uses it to build the URL query too.
pub fn canonical_query(params: &[(String, String)]) -> String {
    canonical_query_of(params.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// Client side: ACS3-HMAC-SHA256 signing as the Tea SDK does it. Given method, decoded query
/// params, the headers you will send (must include host, x-acs-action, x-acs-version,
/// x-acs-date, x-acs-signature-nonce; the function adds x-acs-content-sha256) and the body,
/// returns the complete header list including `authorization` (all given headers signed, names
/// lowercased & sorted). Any `authorization` or `x-acs-content-sha256` among `headers` is
/// replaced. The URL query must be built with [`canonical_query`] (or any encoding that
/// decodes to the same parameters).
pub fn sign_acs3(
    method: &str,
    query: &[(String, String)],
    headers: &[(String, String)],
    body: &[u8],
    access_key_id: &str,
    secret: &[u8],
) -> Vec<(String, String)> {
    sign_acs3_canonical(method, &canonical_query(query), headers, body, access_key_id, secret)
}

/// [`sign_acs3`] with the query already in canonical form ([`canonical_query`]), for clients that
/// send the same parameters many times.
pub fn sign_acs3_canonical(
    method: &str,
    canonical_query: &str,
    headers: &[(String, String)],
    body: &[u8],
    access_key_id: &str,
    secret: &[u8],
) -> Vec<(String, String)> {
    let payload_hash = hex_sha256(body);
    let mut out: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .filter(|(k, _)| k != "authorization" && k != "x-acs-content-sha256")
        .collect();
    out.push(("x-acs-content-sha256".to_owned(), payload_hash.clone()));
    out.sort_by(|a, b| a.0.cmp(&b.0));

    let mut names: Vec<&str> = out.iter().map(|(k, _)| k.as_str()).collect();
    names.dedup();
    let mut canonical_headers = String::new();
    for name in &names {
        let value = canonical_header_value(&out, name).unwrap_or_default();
        canonical_headers.push_str(name);
        canonical_headers.push(':');
        canonical_headers.push_str(&value);
        canonical_headers.push('\n');
    }
    let signed_headers = names.join(";");
    let canonical =
        assemble_canonical_request(method, canonical_query, &canonical_headers, &signed_headers, &payload_hash);
    let string_to_sign = format!("{ACS3_ALGORITHM}\n{}", hex_sha256(canonical.as_bytes()));
    let signature = hex_lower(&hmac_tag(hmac::HMAC_SHA256, secret, string_to_sign.as_bytes()));
    let authorization =
        format!("{ACS3_ALGORITHM} Credential={access_key_id},SignedHeaders={signed_headers},Signature={signature}");
    out.push(("authorization".to_owned(), authorization));
    out
}

// ---------------------------------------------------------------------------------------------
// V1

fn parse_v1(req: &RequestParts<'_>) -> Result<Claim, SignatureError> {
    let params = req.params;
    let signature = required_param(params, "Signature")?;
    let signature = BASE64.decode(signature).map_err(|_| incomplete("the Signature parameter is not valid base64"))?;
    match single_param(params, "SignatureMethod")? {
        Some("HMAC-SHA1") => {}
        Some(_) => {
            return Err(incomplete("unsupported SignatureMethod (expected HMAC-SHA1)"));
        }
        None => return Err(incomplete("missing parameter SignatureMethod")),
    }
    match single_param(params, "SignatureVersion")? {
        Some("1.0") => {}
        Some(_) => return Err(incomplete("unsupported SignatureVersion (expected 1.0)")),
        None => return Err(incomplete("missing parameter SignatureVersion")),
    }
    let access_key_id = required_param(params, "AccessKeyId")?;
    let timestamp = required_param(params, "Timestamp")?;
    let nonce = required_param(params, "SignatureNonce")?;
    let security_token = single_param(params, "SecurityToken")?.map(str::to_owned);
    Ok(Claim {
        scheme: Scheme::V1HmacSha1,
        access_key_id: access_key_id.to_owned(),
        timestamp: timestamp.to_owned(),
        nonce: nonce.to_owned(),
        security_token,
        signature,
        signed_headers: Vec::new(),
        scope: None,
    })
}

/// The value of a parameter that must appear at most once.
fn single_param<'p>(params: &'p [(String, String)], name: &str) -> Result<Option<&'p str>, SignatureError> {
    let mut it = params.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let first = it.next();
    if it.next().is_some() {
        return Err(incomplete(format!("parameter {name} given more than once")));
    }
    Ok(first)
}

/// The value of a parameter that must appear exactly once, with a non-empty value.
fn required_param<'p>(params: &'p [(String, String)], name: &str) -> Result<&'p str, SignatureError> {
    match single_param(params, name)? {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(incomplete(format!("missing parameter {name}"))),
    }
}

// ---------------------------------------------------------------------------------------------
// ACS3 / ACS4

fn parse_acs(req: &RequestParts<'_>, auth: &str) -> Result<Claim, SignatureError> {
    let (algorithm, rest) = auth.split_once(' ').ok_or_else(|| incomplete("malformed Authorization header"))?;
    let scheme = match algorithm {
        ACS3_ALGORITHM => Scheme::Acs3HmacSha256,
        ACS4_ALGORITHM => Scheme::Acs4HmacSha256,
        _ => {
            return Err(incomplete("unsupported signature algorithm (expected ACS3-HMAC-SHA256 or ACS4-HMAC-SHA256)"));
        }
    };

    let mut credential = None;
    let mut signed = None;
    let mut signature = None;
    for part in rest.split(',') {
        let (key, value) = part.trim().split_once('=').ok_or_else(|| incomplete("malformed Authorization header"))?;
        let (label, slot) = match key.trim() {
            "Credential" => ("Credential", &mut credential),
            "SignedHeaders" => ("SignedHeaders", &mut signed),
            "Signature" => ("Signature", &mut signature),
            _ => continue,
        };
        if slot.replace(value.trim()).is_some() {
            return Err(incomplete(format!("{label} given more than once in the Authorization header")));
        }
    }
    let credential = credential
        .filter(|c| !c.is_empty())
        .ok_or_else(|| incomplete("Credential missing from the Authorization header"))?;
    let signed = signed
        .filter(|s| !s.is_empty())
        .ok_or_else(|| incomplete("SignedHeaders missing from the Authorization header"))?;
    let signature = signature
        .filter(|s| !s.is_empty())
        .ok_or_else(|| incomplete("Signature missing from the Authorization header"))?;

    let signature = hex::decode(signature)
        .ok()
        .filter(|s| s.len() == 32)
        .ok_or_else(|| incomplete("the Signature in the Authorization header is not 64 hex digits"))?;

    let (access_key_id, scope) = match scheme {
        Scheme::Acs4HmacSha256 => {
            let (ak, scope) = parse_acs4_credential(credential)?;
            (ak, Some(scope))
        }
        _ => (credential.to_owned(), None),
    };

    let signed_headers = parse_signed_headers(signed)?;
    let is_signed = |name: &str| signed_headers.iter().any(|h| h.eq_ignore_ascii_case(name));
    for name in REQUIRED_SIGNED_HEADERS {
        if !is_signed(name) {
            return Err(incomplete(format!("SignedHeaders must include {name}")));
        }
    }
    for name in SIGNED_WHEN_PRESENT {
        if header_values(req.headers, name).next().is_some() && !is_signed(name) {
            return Err(incomplete(format!("SignedHeaders must include {name}")));
        }
    }
    for name in &signed_headers {
        if header_values(req.headers, name).next().is_none() {
            return Err(incomplete(format!("signed header {name} is missing")));
        }
    }

    let content_sha = required_header(req.headers, "x-acs-content-sha256")?;
    if !content_sha.eq_ignore_ascii_case(&hex_sha256(req.body)) {
        return Err(incomplete("x-acs-content-sha256 does not match the SHA-256 of the body"));
    }
    let timestamp = required_header(req.headers, "x-acs-date")?;
    let nonce = required_header(req.headers, "x-acs-signature-nonce")?;
    let security_token = single_header(req.headers, "x-acs-security-token")?.map(str::to_owned);

    Ok(Claim {
        scheme,
        access_key_id,
        timestamp: timestamp.to_owned(),
        nonce: nonce.to_owned(),
        security_token,
        signature,
        signed_headers,
        scope,
    })
}

/// `AK/yyyymmdd/region/Kms/aliyun_v4_request`.
fn parse_acs4_credential(credential: &str) -> Result<(String, Acs4Scope), SignatureError> {
    let parts: Vec<&str> = credential.split('/').collect();
    let [ak, date, region, product, terminator] = parts.as_slice() else {
        return Err(incomplete("ACS4 Credential must be <AccessKeyId>/<yyyymmdd>/<region>/Kms/aliyun_v4_request"));
    };
    if ak.is_empty() {
        return Err(incomplete("ACS4 Credential has an empty AccessKeyId"));
    }
    if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return Err(incomplete("ACS4 Credential date must be yyyymmdd"));
    }
    if region.is_empty() {
        return Err(incomplete("ACS4 Credential has an empty region"));
    }
    if !product.eq_ignore_ascii_case(ACS4_PRODUCT) {
        return Err(incomplete("ACS4 Credential product must be Kms"));
    }
    if *terminator != ACS4_TERMINATOR {
        return Err(incomplete("ACS4 Credential must end with aliyun_v4_request"));
    }
    Ok((
        (*ak).to_owned(),
        Acs4Scope { date: (*date).to_owned(), region: (*region).to_owned(), product: (*product).to_owned() },
    ))
}

/// `a;b;c`: non-empty header-name tokens, no duplicates (case-insensitive).
fn parse_signed_headers(signed: &str) -> Result<Vec<String>, SignatureError> {
    let mut names: Vec<String> = Vec::new();
    for name in signed.split(';') {
        let valid =
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic() && !matches!(b, b',' | b';' | b'=' | b':'));
        if !valid {
            return Err(incomplete("malformed SignedHeaders in the Authorization header"));
        }
        if names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            return Err(incomplete("duplicate name in SignedHeaders"));
        }
        names.push(name.to_owned());
    }
    Ok(names)
}

fn acs4_signing_key(secret: &[u8], scope: &Acs4Scope) -> Vec<u8> {
    let mut k_secret = Vec::with_capacity(ACS4_SECRET_PREFIX.len() + secret.len());
    k_secret.extend_from_slice(ACS4_SECRET_PREFIX);
    k_secret.extend_from_slice(secret);
    let k_date = hmac_tag(hmac::HMAC_SHA256, &k_secret, scope.date.as_bytes());
    let k_region = hmac_tag(hmac::HMAC_SHA256, &k_date, scope.region.as_bytes());
    let k_product = hmac_tag(hmac::HMAC_SHA256, &k_region, scope.product.as_bytes());
    hmac_tag(hmac::HMAC_SHA256, &k_product, ACS4_TERMINATOR.as_bytes())
}

fn check_content_sha256(headers: &[(String, String)], payload_hash: &str) -> Result<(), SignatureError> {
    let sent = required_header(headers, "x-acs-content-sha256")?;
    if sent.eq_ignore_ascii_case(payload_hash) {
        Ok(())
    } else {
        Err(incomplete("x-acs-content-sha256 does not match the SHA-256 of the body"))
    }
}

fn assemble_canonical_request(
    method: &str,
    canonical_query: &str,
    canonical_headers: &str,
    signed_headers: &str,
    payload_hash: &str,
) -> String {
    format!("{method}\n/\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{payload_hash}")
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

fn canonical_query_of<'p>(params: impl Iterator<Item = (&'p str, &'p str)>) -> String {
    let mut sorted: Vec<(&str, &str)> = params.collect();
    // Stable: equal names keep their order.
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = String::new();
    for (i, (k, v)) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&pct(k));
        out.push('=');
        out.push_str(&pct(v));
    }
    out
}

fn form_query(query: &str) -> Vec<(String, String)> {
    crate::form::decode(query.as_bytes())
}

/// Values of every header called `name` (case-insensitive), in wire order.
fn header_values<'h>(headers: &'h [(String, String)], name: &str) -> impl Iterator<Item = &'h str> {
    headers.iter().filter(move |(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// The trimmed value of a header that must appear at most once.
fn single_header<'h>(headers: &'h [(String, String)], name: &str) -> Result<Option<&'h str>, SignatureError> {
    let mut it = header_values(headers, name);
    let first = it.next();
    if it.next().is_some() {
        return Err(incomplete(format!("header {name} given more than once")));
    }
    Ok(first.map(str::trim))
}

/// The trimmed, non-empty value of a header that must appear exactly once.
fn required_header<'h>(headers: &'h [(String, String)], name: &str) -> Result<&'h str, SignatureError> {
    match single_header(headers, name)? {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(incomplete(format!("missing header {name}"))),
    }
}

/// Canonical value of a header: every value trimmed, sorted, joined by `,`; `None` if absent.
fn canonical_header_value(headers: &[(String, String)], name: &str) -> Option<String> {
    let mut values: Vec<&str> = header_values(headers, name).map(str::trim).collect();
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    Some(values.join(","))
}

fn hmac_tag(algorithm: hmac::Algorithm, key: &[u8], data: &[u8]) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(algorithm, key), data).as_ref().to_vec()
}

/// SHA-256 of the empty string, the payload hash of every bodiless request.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn hex_sha256(data: &[u8]) -> String {
    if data.is_empty() {
        return EMPTY_SHA256.to_owned();
    }
    hex_lower(digest::digest(&digest::SHA256, data).as_ref())
}

/// Lower-case hex, by table: the `hex` crate's iterator showed up in request profiles.
pub fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_helpers_agree_with_the_hex_crate() {
        assert_eq!(hex_sha256(b""), hex::encode(digest::digest(&digest::SHA256, b"")));
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(hex_lower(&all), hex::encode(&all));
        assert_eq!(hex_sha256(b"abc"), hex::encode(digest::digest(&digest::SHA256, b"abc")));
    }

    use super::*;
    use crate::form::decode;

    const VECTORS: &str = include_str!("../testdata/signature-vectors.json");
    const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[derive(serde::Deserialize)]
    struct File {
        vectors: Vec<Vector>,
    }

    #[derive(serde::Deserialize)]
    struct Vector {
        name: String,
        scheme: String,
        access_key_id: String,
        access_key_secret: String,
        request: WireRequest,
        expected_signature: String,
        string_to_sign: String,
        canonical_request: Option<String>,
        canonicalized_query: Option<String>,
    }

    #[derive(serde::Deserialize, Clone)]
    struct WireRequest {
        method: String,
        target: String,
        headers: Vec<(String, String)>,
        body: String,
    }

    fn vectors() -> Vec<Vector> {
        serde_json::from_str::<File>(VECTORS).expect("vectors parse").vectors
    }

    /// An owned request, from which [`RequestParts`] borrow.
    #[derive(Clone)]
    struct Owned {
        method: String,
        query: String,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        params: Vec<(String, String)>,
    }

    impl Owned {
        fn new(method: &str, query: &str, headers: Vec<(String, String)>, body: Vec<u8>) -> Self {
            let mut o = Self { method: method.to_owned(), query: query.to_owned(), headers, body, params: Vec::new() };
            o.refresh_params();
            o
        }

        fn from_wire(w: &WireRequest) -> Self {
            let query = w.target.split_once('?').map(|(_, q)| q).unwrap_or("");
            Self::new(&w.method, query, w.headers.clone(), w.body.as_bytes().to_vec())
        }

        /// Recomputes `params` as the server would: query params, then form-body params.
        fn refresh_params(&mut self) {
            let mut params = decode(self.query.as_bytes());
            let form = self.headers.iter().any(|(k, v)| {
                k.eq_ignore_ascii_case("content-type")
                    && v.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded")
            });
            if form {
                params.extend(decode(&self.body));
            }
            self.params = params;
        }

        fn parts(&self) -> RequestParts<'_> {
            RequestParts {
                method: &self.method,
                query: &self.query,
                headers: &self.headers,
                body: &self.body,
                params: &self.params,
            }
        }

        fn check(&self, secret: &[u8]) -> Result<Claim, SignatureError> {
            let claim = parse_claim(&self.parts())?;
            verify(&self.parts(), &claim, secret)?;
            Ok(claim)
        }
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn every_vector_verifies_and_reproduces_its_string_to_sign() {
        let vectors = vectors();
        assert_eq!(vectors.len(), 21);
        let (mut v1, mut acs3, mut acs4) = (0, 0, 0);
        for v in &vectors {
            let req = Owned::from_wire(&v.request);
            let claim = parse_claim(&req.parts()).unwrap_or_else(|e| panic!("{}: {e}", v.name));
            let scheme = match v.scheme.as_str() {
                "V1-HMAC-SHA1" => {
                    v1 += 1;
                    Scheme::V1HmacSha1
                }
                "ACS3-HMAC-SHA256" => {
                    acs3 += 1;
                    Scheme::Acs3HmacSha256
                }
                "ACS4-HMAC-SHA256" => {
                    acs4 += 1;
                    Scheme::Acs4HmacSha256
                }
                other => panic!("{}: unknown scheme {other}", v.name),
            };
            assert_eq!(claim.scheme, scheme, "{}", v.name);
            assert_eq!(claim.access_key_id, v.access_key_id, "{}", v.name);
            assert!(!claim.timestamp.is_empty() && !claim.nonce.is_empty(), "{}", v.name);
            assert_eq!(claim.security_token, None, "{}", v.name);

            let canonical = canonical_request(&req.parts(), &claim).expect("canonical");
            let expected_canonical =
                v.canonical_request.as_ref().or(v.canonicalized_query.as_ref()).expect("vector has a canonical form");
            assert_eq!(&canonical, expected_canonical, "{}", v.name);
            assert_eq!(string_to_sign(&req.parts(), &claim).expect("sts"), v.string_to_sign, "{}", v.name);
            verify(&req.parts(), &claim, v.access_key_secret.as_bytes())
                .unwrap_or_else(|e| panic!("{}: {e:?}", v.name));

            // The signature in the claim is the vector's expected signature.
            let expected_bytes = if scheme == Scheme::V1HmacSha1 {
                BASE64.decode(&v.expected_signature).expect("b64")
            } else {
                hex::decode(&v.expected_signature).expect("hex")
            };
            assert_eq!(claim.signature, expected_bytes, "{}", v.name);
        }
        assert_eq!((v1, acs3, acs4), (11, 9, 1));
    }

    #[test]
    fn acs4_vector_scope() {
        let v = vectors().into_iter().find(|v| v.scheme == "ACS4-HMAC-SHA256").expect("one ACS4 vector");
        let req = Owned::from_wire(&v.request);
        let claim = parse_claim(&req.parts()).expect("claim");
        assert_eq!(claim.scope_date(), Some("20261122"));
        assert_eq!(claim.scope_region(), Some("cn-hangzhou"));
    }

    fn is_mismatch(r: &Result<Claim, SignatureError>) -> bool {
        matches!(r, Err(SignatureError::Mismatch { .. }))
    }

    #[test]
    fn wrong_secret_is_a_mismatch_carrying_the_string_to_sign() {
        for v in vectors() {
            let req = Owned::from_wire(&v.request);
            match req.check(b"testAccessKeySecreT") {
                Err(SignatureError::Mismatch { string_to_sign }) => {
                    assert_eq!(string_to_sign, v.string_to_sign, "{}", v.name);
                }
                other => panic!("{}: {other:?}", v.name),
            }
            assert!(is_mismatch(&req.check(b"")), "{}", v.name);
        }
    }

    #[test]
    fn tampering_with_any_signed_parameter_fails() {
        for v in vectors() {
            let secret = v.access_key_secret.as_bytes();
            let orig = Owned::from_wire(&v.request);
            let query = decode(orig.query.as_bytes());
            for i in 0..query.len() {
                let mut q = query.clone();
                let Some((name, value)) = q.get_mut(i) else {
                    continue;
                };
                if name == "Signature" {
                    continue;
                }
                let name = name.clone();
                value.push('x');
                let mut req = orig.clone();
                req.query = canonical_query(&q);
                req.refresh_params();
                let r = req.check(secret);
                if matches!(name.as_str(), "SignatureMethod" | "SignatureVersion") {
                    assert!(matches!(r, Err(SignatureError::Incomplete(_))), "{} {name}", v.name);
                } else {
                    assert!(is_mismatch(&r), "{} {name}: {r:?}", v.name);
                }
            }
            // Re-encoding the query alone (different wire form, same parameters) still verifies.
            let mut req = orig.clone();
            req.query = canonical_query(&query);
            req.refresh_params();
            req.check(secret).unwrap_or_else(|e| panic!("{}: {e:?}", v.name));

            // A parameter added to the query is signed too.
            let mut req = orig.clone();
            req.query = if req.query.is_empty() { "Extra=1".into() } else { format!("{}&Extra=1", req.query) };
            req.refresh_params();
            assert!(is_mismatch(&req.check(secret)), "{}", v.name);

            // The method is signed.
            let mut req = orig.clone();
            req.method = if req.method == "GET" { "POST".into() } else { "GET".into() };
            assert!(is_mismatch(&req.check(secret)), "{}", v.name);
        }
    }

    #[test]
    fn tampering_with_any_signed_header_fails_and_unsigned_headers_do_not_matter() {
        for v in vectors() {
            let secret = v.access_key_secret.as_bytes();
            let orig = Owned::from_wire(&v.request);
            let claim = parse_claim(&orig.parts()).expect("claim");
            for (i, (name, _)) in orig.headers.iter().enumerate() {
                let mut req = orig.clone();
                if let Some((_, value)) = req.headers.get_mut(i) {
                    value.push('x');
                }
                let lname = name.to_ascii_lowercase();
                let r = req.check(secret);
                let signed = claim.signed_headers().iter().any(|h| h.eq_ignore_ascii_case(name));
                if lname == "authorization" || lname == "x-acs-content-sha256" {
                    assert!(r.is_err(), "{} {name}", v.name);
                } else if signed {
                    assert!(is_mismatch(&r), "{} {name}: {r:?}", v.name);
                } else if lname == "content-type" {
                    // V1 does not sign headers; a form content-type only decides whether the
                    // body's parameters count (and they still do after appending "x").
                } else {
                    r.unwrap_or_else(|e| panic!("{} unsigned {name}: {e:?}", v.name));
                }
            }
            // Header names are matched case-insensitively.
            let mut req = orig.clone();
            for (k, _) in &mut req.headers {
                *k = k.to_ascii_uppercase();
            }
            req.refresh_params();
            req.check(secret).unwrap_or_else(|e| panic!("{}: {e:?}", v.name));
        }
    }

    #[test]
    fn tampering_with_the_body_fails() {
        for v in vectors().into_iter().filter(|v| !v.request.body.is_empty()) {
            let secret = v.access_key_secret.as_bytes();
            let orig = Owned::from_wire(&v.request);
            let mut req = orig.clone();
            req.body.extend_from_slice(b"x");
            req.refresh_params();
            let r = req.check(secret);
            if v.scheme == "V1-HMAC-SHA1" {
                assert!(is_mismatch(&r), "{}: {r:?}", v.name);
            } else {
                assert!(matches!(r, Err(SignatureError::Incomplete(_))), "{}: {r:?}", v.name);
                // Even with a matching x-acs-content-sha256 the signature fails.
                let hash = hex_sha256(&req.body);
                for (k, val) in &mut req.headers {
                    if k.eq_ignore_ascii_case("x-acs-content-sha256") {
                        *val = hash.clone();
                    }
                }
                assert!(is_mismatch(&req.check(secret)), "{}", v.name);
            }
        }
        // ACS vectors with an empty body: adding one is caught by the content hash.
        for v in vectors().into_iter().filter(|v| v.request.body.is_empty() && v.scheme != "V1-HMAC-SHA1") {
            let mut req = Owned::from_wire(&v.request);
            req.body = b"a=b".to_vec();
            assert!(matches!(req.check(b"x"), Err(SignatureError::Incomplete(_))), "{}", v.name);
        }
    }

    #[test]
    fn v1_docs_vector() {
        // ALIBABA.md §2.1.
        let sts = "GET&%2F&AccessKeyId%3Dtestid&Action%3DCreateKey&Format%3Djson&SignatureMethod%3DHMAC-SHA1&SignatureVersion%3D1.0&Timestamp%3D2016-03-28T03%253A13%253A08Z&Version%3D2016-01-20";
        let tag = hmac_tag(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, b"testsecret&", sts.as_bytes());
        assert_eq!(BASE64.encode(tag), "s/OdVWMTmNGagvWlljdAJ7Itsew=");
    }

    #[test]
    fn v1_request_signed_like_the_sdk_verifies() {
        let mut params = pairs(&[
            ("Action", "CreateKey"),
            ("Format", "json"),
            ("Version", "2016-01-20"),
            ("AccessKeyId", "testid"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("SignatureNonce", "n1"),
            ("Timestamp", "2016-03-28T03:13:08Z"),
            ("SecurityToken", "tok en"),
        ]);
        let sts = format!("GET&%2F&{}", pct(&canonical_query(&params)));
        let sig = BASE64.encode(hmac_tag(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, b"testsecret&", sts.as_bytes()));
        params.push(("Signature".into(), sig));
        let req = Owned::new("GET", &canonical_query(&params), Vec::new(), Vec::new());
        let claim = req.check(b"testsecret").expect("verifies");
        assert_eq!(claim.security_token.as_deref(), Some("tok en"));
        assert_eq!(claim.nonce, "n1");
        assert_eq!(claim.timestamp, "2016-03-28T03:13:08Z");
        assert_eq!(string_to_sign(&req.parts(), &claim).expect("sts"), sts);
    }

    fn worked_example_headers() -> Vec<(String, String)> {
        pairs(&[
            ("host", "127.0.0.1:18088"),
            ("x-acs-version", "2016-01-20"),
            ("x-acs-action", "GetSecretValue"),
            ("user-agent", "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2"),
            ("x-acs-date", "2026-11-22T07:49:25Z"),
            ("x-acs-signature-nonce", "4937a0444d831ab576446ac3f5080baa"),
            ("accept", "application/json"),
            ("x-acs-credentials-provider", "static_ak"),
        ])
    }

    fn authorization(headers: &[(String, String)]) -> &str {
        headers.iter().find(|(k, _)| k == "authorization").map(|(_, v)| v.as_str()).expect("authorization header")
    }

    #[test]
    fn sign_acs3_reproduces_the_worked_example() {
        let query = pairs(&[("SecretName", "db-pass"), ("VersionStage", "ACSCurrent")]);
        let signed =
            sign_acs3("POST", &query, &worked_example_headers(), b"", "testAccessKeyId", b"testAccessKeySecret");
        assert_eq!(
            authorization(&signed),
            "ACS3-HMAC-SHA256 Credential=testAccessKeyId,SignedHeaders=accept;host;user-agent;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=d44ede358e50d8500dbbc3dac3a293442c52bbbab2ad0315887bd3189f813b42"
        );
        assert!(signed.contains(&("x-acs-content-sha256".to_owned(), EMPTY_SHA256.to_owned())));
        // Names lowercased and sorted, authorization last.
        let names: Vec<&str> = signed.iter().map(|(k, _)| k.as_str()).collect();
        let mut sorted = names.clone();
        sorted.pop();
        sorted.sort_unstable();
        sorted.push("authorization");
        assert_eq!(names, sorted);
    }

    #[test]
    fn sign_acs3_reproduces_the_alibaba_md_example_with_a_body() {
        // ALIBABA.md §2.2 worked example (secret `testsecret`).
        let query = pairs(&[("SecretName", "s1"), ("VersionId", "v1")]);
        let headers = pairs(&[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Host", "kms.cn-hangzhou.aliyuncs.com"),
            ("x-acs-action", "CreateSecret"),
            ("x-acs-date", "2024-01-01T00:00:00Z"),
            ("x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d"),
            ("x-acs-version", "2016-01-20"),
        ]);
        let body = b"SecretData=p%40ss+w%2Brd";
        let signed = sign_acs3("POST", &query, &headers, body, "ak", b"testsecret");
        assert!(
            authorization(&signed)
                .ends_with(",Signature=b9d9403b5f6e7ae9335bbb4b8a46da1b00bab56171b9b47743b97bed76a63689")
        );
        let req = Owned::new("POST", &canonical_query(&query), signed, body.to_vec());
        let claim = req.check(b"testsecret").expect("verifies");
        assert_eq!(
            string_to_sign(&req.parts(), &claim).expect("sts"),
            "ACS3-HMAC-SHA256\n77911dc8224c949aa862e64df7e8e07211a32b8e270f82c7ca6d78ebded986b7"
        );
    }

    #[test]
    fn sign_acs3_round_trip() {
        let query = pairs(&[("Plaintext", "a b+c/~*é"), ("KeyId", "k"), ("EncryptionContext", "{\"x\":\"y z\"}")]);
        let mut headers = worked_example_headers();
        headers.push(("x-acs-security-token".into(), "sts-token".into()));
        headers.push(("X-Acs-Content-Sha256".into(), "stale".into()));
        headers.push(("Authorization".into(), "stale".into()));
        let signed = sign_acs3("POST", &query, &headers, b"", "AK1", b"s3cret");
        assert_eq!(signed.iter().filter(|(k, _)| k == "authorization").count(), 1);
        assert_eq!(signed.iter().filter(|(k, _)| k == "x-acs-content-sha256").count(), 1);

        // The client may encode the query in any way that decodes to the same parameters.
        let wire_query: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(query.iter()).finish();
        for q in [canonical_query(&query), wire_query] {
            let req = Owned::new("POST", &q, signed.clone(), Vec::new());
            let claim = req.check(b"s3cret").expect("round trip verifies");
            assert_eq!(claim.scheme, Scheme::Acs3HmacSha256);
            assert_eq!(claim.access_key_id, "AK1");
            assert_eq!(claim.security_token.as_deref(), Some("sts-token"));
            assert_eq!(claim.nonce, "4937a0444d831ab576446ac3f5080baa");
            assert_eq!(claim.timestamp, "2026-11-22T07:49:25Z");
            assert!(is_mismatch(&req.check(b"s3creT")));
        }

        // With a body and a form content-type.
        let body = b"SecretData=hello+world";
        let mut headers = worked_example_headers();
        headers.push(("content-type".into(), "application/x-www-form-urlencoded".into()));
        let signed = sign_acs3("POST", &[], &headers, body, "AK1", b"s3cret");
        let req = Owned::new("POST", "", signed, body.to_vec());
        req.check(b"s3cret").expect("body round trip verifies");
    }

    #[test]
    fn repeated_headers_are_joined_sorted() {
        let mut headers = worked_example_headers();
        headers.push(("x-custom".into(), " b ".into()));
        headers.push(("X-Custom".into(), "a".into()));
        let signed = sign_acs3("GET", &[], &headers, b"", "AK", b"k");
        let req = Owned::new("GET", "", signed, Vec::new());
        let claim = req.check(b"k").expect("verifies");
        let canonical = canonical_request(&req.parts(), &claim).expect("canonical");
        assert!(canonical.contains("\nx-custom:a,b\n"), "{canonical}");
    }

    #[test]
    fn missing_and_incomplete_requests() {
        let empty = Owned::new("", "", Vec::new(), Vec::new());
        assert_eq!(parse_claim(&empty.parts()), Err(SignatureError::Missing));

        // A non-ACS Authorization header and no Signature param: Missing.
        let bearer = Owned::new("GET", "a=b", pairs(&[("Authorization", "Bearer x")]), Vec::new());
        assert_eq!(parse_claim(&bearer.parts()), Err(SignatureError::Missing));

        let signed = sign_acs3("POST", &[], &worked_example_headers(), b"", "AK", b"k");
        let auth = authorization(&signed).to_owned();
        let with_auth = |value: &str| {
            let mut h: Vec<(String, String)> = signed.iter().filter(|(k, _)| k != "authorization").cloned().collect();
            h.push(("Authorization".into(), value.to_owned()));
            Owned::new("POST", "", h, Vec::new())
        };
        let sig = auth.rsplit_once("Signature=").map(|(_, s)| s.to_owned()).expect("sig");
        let sh = "accept;host;user-agent;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version";
        let incomplete_cases = [
            "ACS3-".to_owned(),
            "ACS3-HMAC-SHA256".to_owned(),
            "ACS3-HMAC-SHA256 ".to_owned(),
            "ACS3-HMAC-SM3 Credential=AK,SignedHeaders=host,Signature=00".to_owned(),
            "ACS4-HMAC-SHA256 garbage".to_owned(),
            format!("ACS3-HMAC-SHA256 SignedHeaders={sh},Signature={sig}"),
            format!("ACS3-HMAC-SHA256 Credential=,SignedHeaders={sh},Signature={sig}"),
            format!("ACS3-HMAC-SHA256 Credential=AK,Signature={sig}"),
            format!("ACS3-HMAC-SHA256 Credential=AK,SignedHeaders={sh}"),
            format!("ACS3-HMAC-SHA256 Credential=AK,SignedHeaders={sh},Signature=zz{}", &sig[2..]),
            format!("ACS3-HMAC-SHA256 Credential=AK,SignedHeaders={sh},Signature={}", &sig[2..]),
            format!("ACS3-HMAC-SHA256 Credential=AK,Credential=AK,SignedHeaders={sh},Signature={sig}"),
            format!("ACS3-HMAC-SHA256 Credential=AK,SignedHeaders={sh};;,Signature={sig}"),
            format!("ACS3-HMAC-SHA256 Credential=AK,SignedHeaders={sh};host,Signature={sig}"),
            format!("ACS3-HMAC-SHA256 Credential=AK,SignedHeaders={sh};x-missing,Signature={sig}"),
            format!("ACS3-HMAC-SHA256 Credential=AK,SignedHeaders={},Signature={sig}", sh.replace("x-acs-date;", "")),
            format!("ACS4-HMAC-SHA256 Credential=AK,SignedHeaders={sh},Signature={sig}"),
            format!(
                "ACS4-HMAC-SHA256 Credential=AK/2026112/r/Kms/aliyun_v4_request,SignedHeaders={sh},Signature={sig}"
            ),
            format!(
                "ACS4-HMAC-SHA256 Credential=AK/20261122//Kms/aliyun_v4_request,SignedHeaders={sh},Signature={sig}"
            ),
            format!(
                "ACS4-HMAC-SHA256 Credential=AK/20261122/r/Ecs/aliyun_v4_request,SignedHeaders={sh},Signature={sig}"
            ),
            format!("ACS4-HMAC-SHA256 Credential=AK/20261122/r/Kms/aliyun_v4,SignedHeaders={sh},Signature={sig}"),
            format!("ACS4-HMAC-SHA256 Credential=/20261122/r/Kms/aliyun_v4_request,SignedHeaders={sh},Signature={sig}"),
        ];
        for case in &incomplete_cases {
            let r = parse_claim(&with_auth(case).parts());
            assert!(matches!(r, Err(SignatureError::Incomplete(_))), "{case}: {r:?}");
        }
        // Spaces after the commas are tolerated.
        let spaced = auth.replace(',', ", ");
        with_auth(&spaced).check(b"k").expect("spaces after commas");
        // Unknown Authorization components are ignored.
        with_auth(&format!("{auth},Extra=1")).check(b"k").expect("extra component");

        // content-type present but not signed.
        let mut req = with_auth(&auth);
        req.headers.push(("Content-Type".into(), "application/json".into()));
        assert!(matches!(parse_claim(&req.parts()), Err(SignatureError::Incomplete(_))));
        // Duplicate x-acs-date.
        let mut req = with_auth(&auth);
        req.headers.push(("X-Acs-Date".into(), "2026-11-22T07:49:26Z".into()));
        assert!(matches!(parse_claim(&req.parts()), Err(SignatureError::Incomplete(_))));
        // Two ACS Authorization headers.
        let mut req = with_auth(&auth);
        req.headers.push(("authorization".into(), auth.clone()));
        assert!(matches!(parse_claim(&req.parts()), Err(SignatureError::Incomplete(_))));

        // V1 structural errors.
        let v1 = |q: &str| parse_claim(&Owned::new("GET", q, Vec::new(), Vec::new()).parts());
        let base = "AccessKeyId=a&Timestamp=t&SignatureNonce=n&SignatureVersion=1.0";
        for q in [
            format!("{base}&SignatureMethod=HMAC-SHA1&Signature=%%%"),
            format!("{base}&SignatureMethod=HMAC-SHA256&Signature=AAAA"),
            format!("{base}&Signature=AAAA"),
            format!("{base}&SignatureMethod=HMAC-SHA1&Signature=AAAA&Signature=AAAA"),
            format!("{base}&SignatureMethod=HMAC-SHA1&Signature=AAAA&AccessKeyId=b"),
            "SignatureMethod=HMAC-SHA1&SignatureVersion=1.0&Signature=AAAA".to_owned(),
            "AccessKeyId=a&SignatureMethod=HMAC-SHA1&SignatureVersion=2.0&Timestamp=t&SignatureNonce=n&Signature=AAAA"
                .to_owned(),
            "Signature=".to_owned(),
        ] {
            assert!(matches!(v1(&q), Err(SignatureError::Incomplete(_))), "{q}");
        }
        let ok = v1(&format!("{base}&SignatureMethod=HMAC-SHA1&Signature=AAAA")).expect("claim");
        assert_eq!(ok.scheme, Scheme::V1HmacSha1);
        assert!(is_mismatch(
            &Owned::new("GET", &format!("{base}&SignatureMethod=HMAC-SHA1&Signature=AAAA"), Vec::new(), Vec::new())
                .check(b"k")
        ));
    }

    /// xorshift64*: deterministic pseudo-random bytes.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: usize) -> usize {
            usize::try_from(self.next() % u64::try_from(n).unwrap_or(1)).unwrap_or(0)
        }

        fn string(&mut self, alphabet: &[u8], max_len: usize) -> String {
            let len = self.below(max_len + 1);
            let bytes: Vec<u8> =
                (0..len).map(|_| alphabet.get(self.below(alphabet.len())).copied().unwrap_or(b'a')).collect();
            String::from_utf8_lossy(&bytes).into_owned()
        }
    }

    #[test]
    fn arbitrary_input_never_panics() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let all: Vec<u8> = (0..=255).collect();
        let interesting = b"ACS34-HMACSH256 Credential=SignedHeaders;Signature,/=0123456789abcdefhostx-acs-date\t%&+";
        let vectors = vectors();
        for round in 0..4000 {
            let alphabet: &[u8] = if round % 2 == 0 { &all } else { interesting };
            // Start from a real vector and corrupt parts of it.
            let Some(v) = vectors.get(rng.below(vectors.len())) else {
                continue;
            };
            let mut req = Owned::from_wire(&v.request);
            match rng.below(5) {
                0 => {
                    let junk = rng.string(alphabet, 200);
                    let prefix = ["ACS3-HMAC-SHA256 ", "ACS4-HMAC-SHA256 ", "ACS3-", ""][rng.below(4)];
                    req.headers.push(("Authorization".into(), format!("{prefix}{junk}")));
                    req.headers.retain(|(k, v)| !k.eq_ignore_ascii_case("authorization") || v.starts_with(prefix));
                }
                1 => {
                    for (_, val) in &mut req.headers {
                        if rng.below(3) == 0 {
                            let mut b = val.clone().into_bytes();
                            let at = rng.below(b.len().max(1));
                            if let Some(byte) = b.get_mut(at) {
                                *byte = alphabet.get(rng.below(alphabet.len())).copied().unwrap_or(0);
                            }
                            *val = String::from_utf8_lossy(&b).into_owned();
                        }
                    }
                }
                2 => {
                    req.query = rng.string(alphabet, 300);
                    req.refresh_params();
                }
                3 => {
                    req.body = rng.string(alphabet, 100).into_bytes();
                    req.method = rng.string(alphabet, 5);
                    req.refresh_params();
                }
                _ => {
                    req.params.push((rng.string(alphabet, 20), rng.string(alphabet, 20)));
                    req.params.push(("Signature".into(), rng.string(alphabet, 40)));
                    req.headers = Vec::new();
                }
            }
            if let Ok(claim) = parse_claim(&req.parts()) {
                let _ = verify(&req.parts(), &claim, b"testAccessKeySecret");
                let _ = string_to_sign(&req.parts(), &claim);
            }
        }
    }
}
