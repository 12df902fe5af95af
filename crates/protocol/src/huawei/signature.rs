//! The Huawei `SDK-HMAC-SHA256` request signature (HUAWEI.md §2.2), as `huaweicloudsdkcore`'s
//! `Signer` computes it:
//!
//! ```text
//! CanonicalRequest = METHOD \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n
//!                    SignedHeaders \n HexSHA256(body)
//! StringToSign     = "SDK-HMAC-SHA256" \n X-Sdk-Date \n HexSHA256(CanonicalRequest)
//! Signature        = hex(HMAC-SHA256(SK, StringToSign))
//! ```
//!
//! The URI is fully percent-decoded, split on `/`, each segment re-encoded (RFC 3986
//! unreserved characters kept, upper-case hex) and a `/` appended. The signed header set is
//! whatever the `SignedHeaders=` list says. An `X-Sdk-Content-Sha256` header is accepted only
//! when it equals the body's real hash: `UNSIGNED-PAYLOAD` (which the SDK uses only for
//! non-JSON uploads) would leave the body unauthenticated, so it is refused.
//!
//! **Invariant:** nothing here panics on any input (randomized corruption test below).

use aws_lc_rs::{constant_time, digest, hmac};

/// The only algorithm accepted.
pub const ALGORITHM: &str = "SDK-HMAC-SHA256";
/// The date header.
pub const DATE_HEADER: &str = "x-sdk-date";
/// The optional payload-hash header.
pub const CONTENT_SHA256_HEADER: &str = "x-sdk-content-sha256";

/// The parts of a request the signature covers. `path` is the raw (still percent-encoded)
/// path, `query` the raw query string without `?`.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Raw path.
    pub path: &'a str,
    /// Raw query string.
    pub query: &'a str,
    /// Every header as received (names in any case).
    pub headers: &'a [(String, String)],
    /// Raw body.
    pub body: &'a [u8],
}

/// What the `Authorization` header claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// `Access=`: the AccessKey id.
    pub access_key_id: String,
    /// `SignedHeaders=`, lower-cased, in the given order.
    pub signed_headers: Vec<String>,
    /// `Signature=`, lower-case hex as sent.
    pub signature: String,
    /// The `X-Sdk-Date` header value (`YYYYMMDDTHHMMSSZ`).
    pub date: String,
}

/// Why a request is not correctly signed. Messages never carry secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `Authorization` header.
    #[error("the request is not signed: no Authorization header")]
    Missing,
    /// Another algorithm than `SDK-HMAC-SHA256`.
    #[error("unsupported signing algorithm {0}; use SDK-HMAC-SHA256")]
    UnsupportedAlgorithm(String),
    /// The header or a signed part is malformed or missing.
    #[error("malformed signature: {0}")]
    Malformed(String),
    /// The signature does not match.
    #[error("the signature does not match")]
    Mismatch,
}

fn malformed(what: impl Into<String>) -> SignatureError {
    SignatureError::Malformed(what.into())
}

/// Parses the `Authorization` header tolerantly: the algorithm, then `,`-separated `k=v` parts
/// with any spacing, keys in any case; unknown parts are ignored.
pub fn parse_claim(req: &Request<'_>) -> Result<Claim, SignatureError> {
    let auth = single_header(req.headers, "authorization")?.ok_or(SignatureError::Missing)?;
    let auth = auth.trim();
    let (alg, rest) = match auth.find(|c: char| c.is_ascii_whitespace()) {
        Some(i) => (auth.get(..i).unwrap_or(""), auth.get(i..).unwrap_or("")),
        None => (auth, ""),
    };
    if alg != ALGORITHM {
        return Err(SignatureError::UnsupportedAlgorithm(alg.chars().take(40).collect()));
    }
    let (mut access, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let Some((k, v)) = part.split_once('=') else {
            return Err(malformed("an Authorization part is not key=value"));
        };
        let slot = match k.trim().to_ascii_lowercase().as_str() {
            "access" => &mut access,
            "signedheaders" => &mut signed,
            "signature" => &mut signature,
            _ => continue,
        };
        if slot.replace(v.trim().to_string()).is_some() {
            return Err(malformed(format!("{} appears twice in Authorization", k.trim())));
        }
    }
    let access_key_id = access.filter(|a| !a.is_empty()).ok_or_else(|| malformed("Access= is missing"))?;
    let signed = signed.filter(|s| !s.is_empty()).ok_or_else(|| malformed("SignedHeaders= is missing"))?;
    let signature = signature.filter(|s| !s.is_empty()).ok_or_else(|| malformed("Signature= is missing"))?;
    let mut signed_headers = Vec::new();
    for name in signed.split(';') {
        let name = name.trim().to_ascii_lowercase();
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic() && b != b':') {
            return Err(malformed("SignedHeaders holds an invalid header name"));
        }
        signed_headers.push(name);
    }
    let date = single_header(req.headers, DATE_HEADER)?.ok_or_else(|| malformed("the X-Sdk-Date header is missing"))?;
    Ok(Claim { access_key_id, signed_headers, signature, date: date.trim().to_string() })
}

/// Checks the signature with the secret, in constant time.
pub fn verify(req: &Request<'_>, claim: &Claim, secret: &[u8]) -> Result<(), SignatureError> {
    let canonical = canonical_request(req, &claim.signed_headers)?;
    let expected = hex::encode(hmac_sha256(secret, string_to_sign(&claim.date, &canonical).as_bytes()));
    let given = claim.signature.to_ascii_lowercase();
    if constant_time::verify_slices_are_equal(expected.as_bytes(), given.as_bytes()).is_ok() {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// `SDK-HMAC-SHA256 \n date \n HexSHA256(canonical)`.
pub fn string_to_sign(date: &str, canonical_request: &str) -> String {
    format!("{ALGORITHM}\n{date}\n{}", hex_sha256(canonical_request.as_bytes()))
}

/// The canonical request over `signed_headers` (lower-case names). A signed header that the
/// request lacks is an error; so is an `X-Sdk-Content-Sha256` that is not the body's hash.
pub fn canonical_request(req: &Request<'_>, signed_headers: &[String]) -> Result<String, SignatureError> {
    let mut headers = String::new();
    for name in signed_headers {
        let values: Vec<&str> =
            req.headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim()).collect();
        if values.is_empty() {
            return Err(malformed(format!("signed header {name} is missing")));
        }
        headers.push_str(name);
        headers.push(':');
        headers.push_str(&values.join(","));
        headers.push('\n');
    }
    let payload_hash = hex_sha256(req.body);
    if let Some(claimed) = single_header(req.headers, CONTENT_SHA256_HEADER)?
        && !req.body.is_empty()
        && !claimed.trim().eq_ignore_ascii_case(&payload_hash)
    {
        return Err(malformed("X-Sdk-Content-Sha256 must be the SHA-256 of the body (no UNSIGNED-PAYLOAD)"));
    }
    Ok(format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method,
        canonical_uri(req.path),
        canonical_query(req.query),
        headers,
        signed_headers.join(";"),
        payload_hash
    ))
}

/// The canonical URI: decode, split on `/`, encode each segment, ensure a trailing `/`.
pub fn canonical_uri(path: &str) -> String {
    let decoded = String::from_utf8_lossy(&percent_decode(path.as_bytes())).into_owned();
    let mut out = decoded.split('/').map(encode).collect::<Vec<_>>().join("/");
    if !out.ends_with('/') {
        out.push('/');
    }
    out
}

/// The canonical query: decoded pairs sorted by key then value, re-encoded, `k=v` joined by `&`.
pub fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let dec = |s: &str| String::from_utf8_lossy(&percent_decode(s.as_bytes())).into_owned();
            (dec(k), dec(v))
        })
        .collect();
    pairs.sort();
    pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&")
}

/// Signs a request as the SDK does and returns the `Authorization` value. `request.headers`
/// must already hold every header in `signed_headers` (including `X-Sdk-Date`, whose value is
/// used). For clients and tests.
pub fn sign(
    request: &Request<'_>,
    access_key_id: &str,
    secret: &[u8],
    signed_headers: &[&str],
) -> Result<String, SignatureError> {
    let mut names: Vec<String> = signed_headers.iter().map(|h| h.to_ascii_lowercase()).collect();
    names.sort();
    names.dedup();
    let date = single_header(request.headers, DATE_HEADER)?.ok_or_else(|| malformed("X-Sdk-Date is missing"))?;
    let canonical = canonical_request(request, &names)?;
    let signature = hex::encode(hmac_sha256(secret, string_to_sign(date.trim(), &canonical).as_bytes()));
    Ok(format!("{ALGORITHM} Access={access_key_id}, SignedHeaders={}, Signature={signature}", names.join(";")))
}

/// Parses `X-Sdk-Date` (`YYYYMMDDTHHMMSSZ`, UTC) into Unix seconds.
pub fn parse_sdk_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b.get(8) != Some(&b'T') || b.get(15) != Some(&b'Z') {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        let part = s.get(from..to)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (year, month, day) = (num(0, 4)?, num(4, 6)?, num(6, 8)?);
    let (hour, minute, second) = (num(9, 11)?, num(11, 13)?, num(13, 15)?);
    let month = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date = time::Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()?;
    let t = date
        .with_hms(u8::try_from(hour).ok()?, u8::try_from(minute).ok()?, u8::try_from(second).ok()?)
        .ok()?
        .assume_utc();
    Some(t.unix_timestamp())
}

/// Formats Unix seconds as `X-Sdk-Date`.
pub fn format_sdk_date(unix: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(unix) {
        Ok(t) => format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        Err(_) => "19700101T000000Z".into(),
    }
}

fn single_header<'h>(headers: &'h [(String, String)], name: &str) -> Result<Option<&'h str>, SignatureError> {
    let mut it = headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    let first = it.next();
    if it.next().is_some() {
        return Err(malformed(format!("header {name} appears more than once")));
    }
    Ok(first)
}

/// `%XX` → byte; anything else (including a lone `%` and `+`) stays as it is.
fn percent_decode(input: &[u8]) -> Vec<u8> {
    let hexval = |c: u8| char::from(c).to_digit(16).and_then(|d| u8::try_from(d).ok());
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        if b == b'%'
            && let (Some(h), Some(l)) =
                (input.get(i + 1).copied().and_then(hexval), input.get(i + 2).copied().and_then(hexval))
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(b);
        i += 1;
    }
    out
}

/// Percent-encodes everything but `A-Z a-z 0-9 - . _ ~`, upper-case hex (Python's
/// `quote(s, safe='~')`).
fn encode(s: &str) -> String {
    crate::form::pct(s)
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data).as_ref().to_vec()
}

fn hex_sha256(data: &[u8]) -> String {
    hex::encode(digest::digest(&digest::SHA256, data))
}

#[cfg(test)]
mod tests {
    use super::*;

    const AK: &str = "AKTESTEXAMPLE0000000";
    const SK: &[u8] = b"SKTESTEXAMPLE0000000000000000000000000000";
    const PATH: &str = "/v1.0/0123456789abcdef0123456789abcdef/kms/describe-key";
    const BODY: &[u8] = br#"{"key_id": "0d0466b0-e727-4d9c-b35d-f84bb474a37f"}"#;
    const VECTOR_SIGNATURE: &str = "2c989b5e4ae266ff895f79b672e7441f0949ee35bdd13c465e34a019c71e8ffc";

    fn vector_headers(with_auth: bool) -> Vec<(String, String)> {
        let mut h: Vec<(String, String)> = [
            ("Content-Type", "application/json;charset=utf-8"),
            ("X-Project-Id", "0123456789abcdef0123456789abcdef"),
            ("X-Sdk-Date", "20240101T000000Z"),
            ("Host", "127.0.0.1:8080"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        if with_auth {
            h.push((
                "Authorization".into(),
                format!(
                    "SDK-HMAC-SHA256 Access={AK}, SignedHeaders=content-type;host;x-project-id;x-sdk-date, \
                     Signature={VECTOR_SIGNATURE}"
                ),
            ));
        }
        h
    }

    fn req<'a>(method: &'a str, path: &'a str, headers: &'a [(String, String)], body: &'a [u8]) -> Request<'a> {
        Request { method, path, query: "", headers, body }
    }

    #[test]
    fn huawei_md_vector_verifies_and_reproduces_every_intermediate() {
        let headers = vector_headers(true);
        let r = req("POST", PATH, &headers, BODY);
        let claim = parse_claim(&r).unwrap();
        assert_eq!(claim.access_key_id, AK);
        assert_eq!(claim.date, "20240101T000000Z");
        let canonical = canonical_request(&r, &claim.signed_headers).unwrap();
        assert_eq!(
            canonical,
            "POST\n/v1.0/0123456789abcdef0123456789abcdef/kms/describe-key/\n\n\
             content-type:application/json;charset=utf-8\nhost:127.0.0.1:8080\n\
             x-project-id:0123456789abcdef0123456789abcdef\nx-sdk-date:20240101T000000Z\n\n\
             content-type;host;x-project-id;x-sdk-date\n\
             a53cf1735740c07f57f84ca42c122ec503677b4ddde8d1726011b2edb25af8a1"
        );
        assert_eq!(
            string_to_sign(&claim.date, &canonical),
            "SDK-HMAC-SHA256\n20240101T000000Z\na3d37ae3515a3ec70be32e3f09049c8e4cdb1320d32dab589d65eb41fe7604ab"
        );
        verify(&r, &claim, SK).unwrap();
        assert_eq!(verify(&r, &claim, b"wrong"), Err(SignatureError::Mismatch));
        // `sign` reproduces the header exactly.
        let unsigned = vector_headers(false);
        let auth =
            sign(&req("POST", PATH, &unsigned, BODY), AK, SK, &["x-sdk-date", "host", "content-type", "X-Project-Id"])
                .unwrap();
        assert_eq!(Some(auth.as_str()), headers.last().map(|(_, v)| v.as_str()));
    }

    #[test]
    fn tampering_fails_and_unsigned_headers_do_not_matter() {
        let headers = vector_headers(true);
        let claim = parse_claim(&req("POST", PATH, &headers, BODY)).unwrap();
        let mismatch = |r: Request<'_>| verify(&r, &claim, SK);
        assert!(mismatch(req("PUT", PATH, &headers, BODY)).is_err());
        assert!(
            mismatch(req("POST", "/v1.0/0123456789abcdef0123456789abcdef/kms/create-key", &headers, BODY)).is_err()
        );
        assert!(mismatch(req("POST", PATH, &headers, b"{}")).is_err());
        assert!(mismatch(Request { query: "a=b", ..req("POST", PATH, &headers, BODY) }).is_err());
        for i in 0..4 {
            let mut h = headers.clone();
            if let Some((_, v)) = h.get_mut(i) {
                v.push('x');
            }
            assert!(mismatch(req("POST", PATH, &h, BODY)).is_err(), "header {i}");
        }
        let mut h = headers.clone();
        h.push(("User-Agent".into(), "anything".into()));
        mismatch(req("POST", PATH, &h, BODY)).unwrap();
        // A trailing slash in the path is the same canonical URI.
        mismatch(req("POST", &format!("{PATH}/"), &headers, BODY)).unwrap();
        // The payload hash header must be the real one.
        let mut h = headers.clone();
        h.push(("X-Sdk-Content-Sha256".into(), "UNSIGNED-PAYLOAD".into()));
        assert!(matches!(mismatch(req("POST", PATH, &h, BODY)), Err(SignatureError::Malformed(_))));
        let mut h = headers.clone();
        h.push(("X-Sdk-Content-Sha256".into(), hex_sha256(BODY)));
        mismatch(req("POST", PATH, &h, BODY)).unwrap();
    }

    #[test]
    fn canonical_uri_and_query_follow_the_sdk() {
        assert_eq!(canonical_uri("/v1.0/p/kms/k/tags/a%20b%2Fc"), "/v1.0/p/kms/k/tags/a%20b/c/");
        assert_eq!(canonical_uri("/"), "/");
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("/a/%7Bproject_id%7D/x*"), "/a/%7Bproject_id%7D/x%2A/");
        assert_eq!(canonical_uri("/%zz%4"), "/%25zz%254/");
        assert_eq!(canonical_query(""), "");
        assert_eq!(
            canonical_query("marker=2&limit=10&key_id=a%20b&a=2&a=1&flag"),
            "a=1&a=2&flag=&key_id=a%20b&limit=10&marker=2"
        );
    }

    #[test]
    fn authorization_is_parsed_tolerantly_and_strictly_enough() {
        let base = vector_headers(false);
        let with = |auth: &str| {
            let mut h = base.clone();
            h.push(("authorization".into(), auth.into()));
            h
        };
        let ok = with(&format!(
            "SDK-HMAC-SHA256   access={AK},SignedHeaders= Content-Type;HOST;x-project-id;x-sdk-date ,signature={}",
            VECTOR_SIGNATURE.to_ascii_uppercase()
        ));
        let r = req("POST", PATH, &ok, BODY);
        let claim = parse_claim(&r).unwrap();
        verify(&r, &claim, SK).unwrap();
        type Check = fn(&SignatureError) -> bool;
        let cases: &[(&str, Check)] = &[
            ("SDK-HMAC-SM3 Access=a, SignedHeaders=host, Signature=00", |e| {
                matches!(e, SignatureError::UnsupportedAlgorithm(_))
            }),
            ("SDK-HMAC-SHA256", |e| matches!(e, SignatureError::Malformed(_))),
            ("SDK-HMAC-SHA256 Access=a, Signature=00", |e| matches!(e, SignatureError::Malformed(_))),
            ("SDK-HMAC-SHA256 Access=a, SignedHeaders=host;, Signature=00", |e| {
                matches!(e, SignatureError::Malformed(_))
            }),
            ("SDK-HMAC-SHA256 Access=a, Access=b, SignedHeaders=host, Signature=00", |e| {
                matches!(e, SignatureError::Malformed(_))
            }),
            ("SDK-HMAC-SHA256 Access, SignedHeaders=host, Signature=00", |e| matches!(e, SignatureError::Malformed(_))),
        ];
        for (auth, check) in cases {
            let h = with(auth);
            let e = parse_claim(&req("POST", PATH, &h, BODY)).unwrap_err();
            assert!(check(&e), "{auth}: {e:?}");
        }
        assert_eq!(parse_claim(&req("POST", PATH, &base, BODY)), Err(SignatureError::Missing));
        // A signed header the request lacks.
        let h = with("SDK-HMAC-SHA256 Access=a, SignedHeaders=host;x-missing, Signature=00");
        let r = req("POST", PATH, &h, BODY);
        let claim = parse_claim(&r).unwrap();
        assert!(matches!(verify(&r, &claim, SK), Err(SignatureError::Malformed(_))));
    }

    #[test]
    fn sdk_dates() {
        assert_eq!(parse_sdk_date("20240101T000000Z"), Some(1_704_067_200));
        assert_eq!(format_sdk_date(1_704_067_200), "20240101T000000Z");
        for bad in [
            "",
            "20240101T000000",
            "2024-01-01T00:00:00Z",
            "20241301T000000Z",
            "20240101T250000Z",
            "2024010aT000000Z",
            "+0240101T000000Z",
        ] {
            assert_eq!(parse_sdk_date(bad), None, "{bad}");
        }
    }

    /// xorshift64*: deterministic pseudo-random numbers.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: usize) -> usize {
            usize::try_from(self.next() % u64::try_from(n.max(1)).unwrap_or(1)).unwrap_or(0)
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
        let interesting = b"SDK-HMAC-SHA256 Access=SignedHeaders;Signature,/=0123456789abcdef%host\tx-sdk-date&+T Z";
        for round in 0..4000 {
            let alphabet: &[u8] = if round % 2 == 0 { &all } else { interesting };
            let mut headers = vector_headers(true);
            let mut path = PATH.to_string();
            let mut query = String::new();
            let mut body = BODY.to_vec();
            match rng.below(5) {
                0 => {
                    let junk = rng.string(alphabet, 200);
                    let prefix = ["SDK-HMAC-SHA256 ", "SDK-HMAC-SHA256", "SDK-", ""][rng.below(4)];
                    headers.retain(|(k, _)| !k.eq_ignore_ascii_case("authorization"));
                    headers.push(("Authorization".into(), format!("{prefix}{junk}")));
                }
                1 => {
                    for (_, val) in &mut headers {
                        if rng.below(3) == 0 {
                            let mut b = val.clone().into_bytes();
                            let at = rng.below(b.len());
                            if let Some(byte) = b.get_mut(at) {
                                *byte = alphabet.get(rng.below(alphabet.len())).copied().unwrap_or(0);
                            }
                            *val = String::from_utf8_lossy(&b).into_owned();
                        }
                    }
                }
                2 => {
                    path = rng.string(alphabet, 120);
                    query = rng.string(alphabet, 120);
                }
                3 => {
                    body = rng.string(alphabet, 100).into_bytes();
                    headers.push(("X-Sdk-Content-Sha256".into(), rng.string(alphabet, 70)));
                }
                _ => {
                    headers.push((rng.string(alphabet, 12), rng.string(alphabet, 20)));
                    headers.push(("X-Sdk-Date".into(), rng.string(alphabet, 16)));
                }
            }
            let r = Request { method: "POST", path: &path, query: &query, headers: &headers, body: &body };
            if let Ok(claim) = parse_claim(&r) {
                let _ = verify(&r, &claim, SK);
                let _ = parse_sdk_date(&claim.date);
            }
            let _ = canonical_uri(&path);
            let _ = canonical_query(&query);
            let _ = sign(&r, AK, SK, &["host", "x-sdk-date"]);
        }
    }
}
