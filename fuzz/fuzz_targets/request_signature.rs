//! Fuzz target: request decoding and signature parsing/verification on attacker bytes must never
//! panic. The input is split into query, Authorization header and body.
#![no_main]

use keyward_protocol::signature::{RequestParts, parse_claim, verify};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |b| *b == b'\n');
    let query = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let auth = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let body = parts.next().unwrap_or_default();
    let mut params = keyward_protocol::form::decode(query.as_bytes());
    params.extend(keyward_protocol::form::decode(body));
    let headers = vec![
        ("authorization".to_string(), auth),
        ("host".to_string(), "127.0.0.1:8080".to_string()),
        ("x-acs-content-sha256".to_string(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".to_string()),
    ];
    let req = RequestParts { method: "POST", query: &query, headers: &headers, body, params: &params };
    if let Ok(claim) = parse_claim(&req) {
        let _ = verify(&req, &claim, b"secret");
    }
});
