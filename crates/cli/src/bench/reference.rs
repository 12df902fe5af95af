//! The reference server of `keyward bench`: the least an HTTP service can do for an Encrypt —
//! axum, `POST /encrypt` with the base64 plaintext as the body, base64-decode, AES-256-GCM seal
//! (aws-lc-rs, random 96-bit nonce), base64, a UUID request id, a JSON answer — with no request
//! signature, no key lookup, no storage and no logging. KMS throughput is reported as a ratio to
//! it, measured in the same run on the same machine (CRYPTO.md §6 measured this shape at about
//! 53 k req/s with wrk).

use std::sync::Arc;

use anyhow::Context;
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use serde_json::json;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const KEY_ID: &str = "reference-key";

struct Reference {
    key: LessSafeKey,
}

/// Serves on `addr` until the process is killed; prints `listening http ADDR` once bound.
pub(crate) async fn serve(addr: &str) -> anyhow::Result<()> {
    let mut raw = [0u8; 32];
    aws_lc_rs::rand::fill(&mut raw).map_err(|_| anyhow::anyhow!("no randomness for the reference key"))?;
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &raw).map_err(|_| anyhow::anyhow!("AES key"))?);
    let app = Router::new().route("/encrypt", post(encrypt)).with_state(Arc::new(Reference { key }));
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
    println!("listening http {}", listener.local_addr()?);
    axum::serve(listener, app).await.context("reference server")
}

async fn encrypt(State(state): State<Arc<Reference>>, body: Bytes) -> Response {
    let Ok(plaintext) = B64.decode(body.trim_ascii()) else {
        return (StatusCode::BAD_REQUEST, axum::Json(json!({"Code": "InvalidParameter", "Message": "not base64"})))
            .into_response();
    };
    let mut nonce = [0u8; NONCE_LEN];
    if aws_lc_rs::rand::fill(&mut nonce).is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let mut blob = Vec::with_capacity(NONCE_LEN + plaintext.len() + AES_256_GCM.tag_len());
    blob.extend_from_slice(&nonce);
    blob.extend_from_slice(&plaintext);
    let tag = match state.key.seal_in_place_separate_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(KEY_ID.as_bytes()),
        &mut blob[NONCE_LEN..],
    ) {
        Ok(t) => t,
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    blob.extend_from_slice(tag.as_ref());
    axum::Json(json!({
        "CiphertextBlob": B64.encode(&blob),
        "KeyId": KEY_ID,
        "RequestId": uuid::Uuid::new_v4().to_string(),
    }))
    .into_response()
}
