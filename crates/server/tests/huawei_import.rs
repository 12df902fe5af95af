//! The Huawei import flow, MACs and random data through the router (no socket), signed with
//! `keyward_protocol::huawei::signature::sign`: symmetric (`AES_256`, `SM4`) and private-key
//! (`RSA_2048`, `EC_P256`, `EC_P384`) imports wrapped on the client side (aws-lc-rs OAEP, RFC 5649
//! with `kwp_wrap` and with the literal `openssl enc -id-aes256-wrap-pad` recipe), signatures of
//! imported keys checked with the `openssl` CLI, every import error code of HUAWEI.md §1.4,
//! delete and re-import, generate-mac / verify-mac against an independent HMAC, gen-random.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use aws_lc_rs::hmac;
use aws_lc_rs::rsa::{
    OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepAlgorithm, OaepPublicEncryptingKey, Pkcs1PublicEncryptingKey,
    PublicEncryptingKey,
};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use http_body_util::BodyExt;
use keyward_core::clock::ManualClock;
use keyward_core::{Kms, KmsConfig};
use keyward_crypto::byok::{self, WrappingAlgorithm};
use keyward_crypto::kwp::kwp_wrap;
use keyward_crypto::{KeySpec, RecordKind, SecretBytes};
use keyward_protocol::huawei::signature::{self, format_sdk_date};
use keyward_server::app::{AppState, router};
use serde_json::{Value, json};
use tower::ServiceExt;

const AK: &str = "HWimportadmin";
const SK: &str = "hw-import-secret-0123456789";
const PROJECT: &str = "fedcba9876543210fedcba9876543210";

struct Harness {
    app: Router,
    kms: Arc<Kms>,
    clock: Arc<ManualClock>,
    dir: tempfile::TempDir,
}

async fn harness() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("keyward.db").display());
    let store = keyward_store::open(&url).await.unwrap();
    let root = SecretBytes::new(keyward_crypto::random::bytes(32).unwrap());
    let clock = ManualClock::new();
    let kms = Arc::new(Kms::open_with_clock(store, &root, KmsConfig::default(), clock.clone()).await.unwrap());
    kms.ensure_bootstrap_access_key(Some((AK.into(), SecretBytes::from_slice(SK.as_bytes())))).await.unwrap();
    let state = AppState::new(kms.clone()).with_huawei_project(Some(PROJECT.into()));
    Harness { app: router(Arc::new(state)), kms, clock, dir }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(text).unwrap()
}

impl Harness {
    /// A POST signed like the Python SDK, dated by the service clock.
    async fn post(&self, op: &str, body: &Value) -> (StatusCode, Value) {
        let path = format!("/v1.0/{PROJECT}/kms/{op}");
        let body = body.to_string().into_bytes();
        let headers = vec![
            ("Content-Type".to_string(), "application/json;charset=utf-8".to_string()),
            ("Host".to_string(), "127.0.0.1:8080".to_string()),
            ("X-Project-Id".to_string(), PROJECT.to_string()),
            ("X-Sdk-Date".to_string(), format_sdk_date(self.kms.now())),
        ];
        let names = ["content-type", "host", "x-project-id", "x-sdk-date"];
        let req = signature::Request { method: "POST", path: &path, query: "", headers: &headers, body: &body };
        let auth = signature::sign(&req, AK, SK.as_bytes(), &names).unwrap();
        let mut b = Request::builder().method("POST").uri(&path);
        for (k, v) in &headers {
            b = b.header(k, v);
        }
        let req = b.header("Authorization", auth).body(Body::from(body)).unwrap();
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        assert!(resp.headers().contains_key("x-request-id"));
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let value = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap() };
        (status, value)
    }

    async fn ok(&self, op: &str, body: Value) -> Value {
        let (status, answer) = self.post(op, &body).await;
        assert_eq!(status, StatusCode::OK, "{op}: {answer}");
        answer
    }

    /// Expects a 4xx KMS error with `code`.
    async fn err(&self, op: &str, body: Value, code: &str) {
        let (status, answer) = self.post(op, &body).await;
        assert_eq!(answer["error"]["error_code"].as_str(), Some(code), "{op}: {status} {answer}");
        assert!(status.is_client_error(), "{op}: {status}");
    }

    async fn create(&self, spec: &str, origin: &str) -> String {
        let alias = format!("import-{}", keyward_crypto::random::uuid_v4().unwrap());
        let usage = match spec {
            "AES_256" | "SM4" => "ENCRYPT_DECRYPT",
            s if s.starts_with("HMAC") => "GENERATE_VERIFY_MAC",
            _ => "SIGN_VERIFY",
        };
        let b = self
            .ok("create-key", json!({"key_alias": alias, "key_spec": spec, "key_usage": usage, "origin": origin}))
            .await;
        b["key_info"]["key_id"].as_str().unwrap().to_string()
    }

    async fn state(&self, key_id: &str) -> (String, String) {
        let d = self.ok("describe-key", json!({"key_id": key_id})).await;
        (d["key_info"]["key_state"].as_str().unwrap().into(), d["key_info"]["expiration_time"].as_str().unwrap().into())
    }

    async fn params(&self, key_id: &str, alg: &str) -> Params {
        let p = self.ok("get-parameters-for-import", json!({"key_id": key_id, "wrapping_algorithm": alg})).await;
        assert_eq!(p["key_id"], key_id);
        assert_eq!(p["expiration_time"].as_i64(), Some(self.kms.now() + 24 * 3600), "an integer, 24 h ahead: {p}");
        let token = p["import_token"].as_str().unwrap().to_string();
        assert!((200..=6144).contains(&token.len()), "the SDK regex {{200,6144}}: {}", token.len());
        assert!(token.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=')));
        Params { public_key: unb64(p["public_key"].as_str().unwrap()), token }
    }

    /// The material sealed in the key's (only) version, opened with the root key.
    async fn stored_material(&self, key_id: &str) -> Option<Vec<u8>> {
        let v = self.kms.store().list_key_versions(key_id).await.unwrap().remove(0);
        v.sealed_material.map(|s| {
            let aad = format!("{key_id}/{}", v.version_id);
            self.kms.barrier().open(RecordKind::KeyMaterial, &aad, &s).unwrap().expose().to_vec()
        })
    }
}

struct Params {
    public_key: Vec<u8>,
    token: String,
}

fn oaep(public_key: &[u8], alg: &'static OaepAlgorithm, data: &[u8]) -> String {
    let key = OaepPublicEncryptingKey::new(PublicEncryptingKey::from_der(public_key).unwrap()).unwrap();
    let mut out = vec![0u8; key.ciphertext_size()];
    let c = key.encrypt(alg, data, &mut out, None).unwrap();
    b64(c)
}

fn oaep256(public_key: &[u8], data: &[u8]) -> String {
    oaep(public_key, &OAEP_SHA256_MGF1SHA256, data)
}

fn pkcs1(public_key: &[u8], data: &[u8]) -> String {
    let key = Pkcs1PublicEncryptingKey::new(PublicEncryptingKey::from_der(public_key).unwrap()).unwrap();
    let mut out = vec![0u8; key.ciphertext_size()];
    let c = key.encrypt(data, &mut out).unwrap();
    b64(c)
}

fn openssl(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl").current_dir(dir).args(args).output().expect("openssl on PATH");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// A fresh private key made by `openssl`, as unencrypted PKCS#8 DER (`name.der`), with its
/// public key in `name.pub.pem`.
fn openssl_private_key(dir: &Path, name: &str, spec: &str) -> Vec<u8> {
    let pem = format!("{name}.pem");
    match spec {
        "RSA_2048" => openssl(dir, &["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", &pem]),
        "EC_P256" => {
            openssl(dir, &["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", &pem])
        }
        "EC_P384" => {
            openssl(dir, &["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", &pem])
        }
        other => panic!("no openssl recipe for {other}"),
    };
    let der = format!("{name}.der");
    openssl(dir, &["pkcs8", "-topk8", "-inform", "PEM", "-outform", "DER", "-in", &pem, "-out", &der, "-nocrypt"]);
    openssl(dir, &["pkey", "-in", &pem, "-pubout", "-out", &format!("{name}.pub.pem")]);
    std::fs::read(dir.join(der)).unwrap()
}

/// Verifies a signature over `message` with `openssl dgst` and the public key in `name.pub.pem`.
fn openssl_verifies(dir: &Path, name: &str, digest: &str, pss: bool, message: &[u8], sig: &[u8]) -> bool {
    std::fs::write(dir.join("msg.bin"), message).unwrap();
    std::fs::write(dir.join("sig.bin"), sig).unwrap();
    let mut args =
        vec![digest, "-verify", &format!("{name}.pub.pem")].into_iter().map(String::from).collect::<Vec<_>>();
    if pss {
        args.extend(["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest"].map(String::from));
    }
    args.extend(["-signature", "sig.bin", "msg.bin"].map(String::from));
    let out = Command::new("openssl").current_dir(dir).arg("dgst").args(&args).output().unwrap();
    out.status.success()
}

#[tokio::test]
async fn symmetric_material_aes_256_and_sm4_with_every_wrapping() {
    let h = harness().await;
    for (spec, len) in [("AES_256", 32usize), ("SM4", 16)] {
        for alg in ["RSAES_OAEP_SHA_256", "RSAES_OAEP_SHA_1", "RSAES_PKCS1_V1_5", "SM2_ENCRYPT"] {
            let kid = h.create(spec, "external").await;
            assert_eq!(h.state(&kid).await, ("5".into(), String::new()));
            let p = h.params(&kid, alg).await;
            let material = keyward_crypto::random::bytes(len).unwrap();
            let wrapped = match alg {
                "RSAES_OAEP_SHA_256" => oaep256(&p.public_key, &material),
                "RSAES_OAEP_SHA_1" => oaep(&p.public_key, &OAEP_SHA1_MGF1SHA1, &material),
                "RSAES_PKCS1_V1_5" => pkcs1(&p.public_key, &material),
                // SM2 encryption: keyward's client side, itself checked against openssl.
                _ => {
                    let spec = if len == 32 { KeySpec::Aes256 } else { KeySpec::Sm4 };
                    b64(&byok::wrap_material(&p.public_key, WrappingAlgorithm::Sm2Pke, &material, spec).unwrap())
                }
            };
            let answer = h
                .ok(
                    "import-key-material",
                    json!({"key_id": kid, "import_token": p.token, "encrypted_key_material": wrapped}),
                )
                .await;
            assert_eq!(answer, json!({}), "{spec} {alg}");
            assert_eq!(h.state(&kid).await, ("2".into(), String::new()), "{spec} {alg}");
            assert_eq!(h.stored_material(&kid).await.unwrap(), material, "{spec} {alg}");
        }
        // The imported key encrypts and decrypts through the Huawei API.
        let kid = h.create(spec, "external").await;
        let p = h.params(&kid, "RSAES_OAEP_SHA_256").await;
        let material = keyward_crypto::random::bytes(len).unwrap();
        let wrapped = oaep256(&p.public_key, &material);
        h.ok("import-key-material", json!({"key_id": kid, "import_token": p.token, "encrypted_key_material": wrapped}))
            .await;
        let c = h.ok("encrypt-data", json!({"key_id": kid, "plain_text": "imported"})).await;
        let d = h.ok("decrypt-data", json!({"cipher_text": c["cipher_text"]})).await;
        assert_eq!(d["plain_text"], "imported");
    }
}

#[tokio::test]
async fn expiration_time_as_integer_or_string_and_lazy_expiry() {
    let h = harness().await;
    let material = keyward_crypto::random::bytes(32).unwrap();
    for as_string in [false, true] {
        let kid = h.create("AES_256", "external").await;
        let p = h.params(&kid, "RSAES_OAEP_SHA_256").await;
        let expire = h.kms.now() + 3600;
        let t = if as_string { json!(expire.to_string()) } else { json!(expire) };
        let body = json!({"key_id": kid, "import_token": p.token,
            "encrypted_key_material": oaep256(&p.public_key, &material), "expiration_time": t});
        h.ok("import-key-material", body).await;
        assert_eq!(h.state(&kid).await, ("2".into(), (expire * 1000).to_string()));
        h.clock.set_ms(expire * 1000);
        assert_eq!(h.state(&kid).await.0, "5", "expired material: pending import again");
        // The same material comes back, from a fresh token (the old one is still valid too).
        let p2 = h.params(&kid, "RSAES_OAEP_SHA_256").await;
        let body = json!({"key_id": kid, "import_token": p2.token,
            "encrypted_key_material": oaep256(&p2.public_key, &material)});
        h.ok("import-key-material", body).await;
        assert_eq!(h.state(&kid).await, ("2".into(), String::new()));
    }
}

#[tokio::test]
async fn private_keys_rsa_2048_ec_p256_ec_p384_sign_and_openssl_verifies() {
    let h = harness().await;
    let dir = h.dir.path();
    for (spec, alg, digest, pss) in [
        ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256", "-sha256", false),
        ("RSA_2048", "RSASSA_PSS_SHA_256", "-sha256", true),
        ("EC_P256", "ECDSA_SHA_256", "-sha256", false),
        ("EC_P384", "ECDSA_SHA_384", "-sha384", false),
    ] {
        let kid = h.create(spec, "external").await;
        assert_eq!(h.state(&kid).await.0, "5");
        let p = h.params(&kid, "RSAES_OAEP_SHA_256").await;
        let pkcs8 = openssl_private_key(dir, "user", spec);
        let temp = keyward_crypto::random::bytes(32).unwrap();
        let body = json!({"key_id": kid, "import_token": p.token,
            "encrypted_key_material": oaep256(&p.public_key, &temp),
            "encrypted_privatekey": b64(&kwp_wrap(&temp, &pkcs8).unwrap())});
        assert_eq!(h.ok("import-key-material", body).await, json!({}), "{spec}");
        assert_eq!(h.state(&kid).await.0, "2", "{spec}");
        let message = format!("signed by an imported {spec} key").into_bytes();
        let s = h
            .ok(
                "sign",
                json!({"key_id": kid, "message": b64(&message), "signing_algorithm": alg, "message_type": "RAW"}),
            )
            .await;
        let sig = unb64(s["signature"].as_str().unwrap());
        assert!(openssl_verifies(dir, "user", digest, pss, &message, &sig), "{spec} {alg}");
        assert!(!openssl_verifies(dir, "user", digest, pss, b"another message", &sig), "{spec} {alg}");
        // The server's public key is the user's.
        let pk = h.ok("get-publickey", json!({"key_id": kid})).await;
        let theirs: String =
            pk["public_key"].as_str().unwrap().lines().filter(|l| !l.starts_with("-----")).map(str::trim).collect();
        let user_pub = openssl(dir, &["pkey", "-pubin", "-in", "user.pub.pem", "-outform", "DER"]);
        assert_eq!(unb64(&theirs), user_pub, "{spec}");
    }
}

#[tokio::test]
async fn the_literal_openssl_recipe_with_a_16_byte_temporary_key_too() {
    let h = harness().await;
    let dir = h.dir.path();
    for (temp_len, cipher) in [(32usize, "-id-aes256-wrap-pad"), (16, "-id-aes128-wrap-pad")] {
        let kid = h.create("RSA_2048", "external").await;
        let p = h.params(&kid, "RSAES_OAEP_SHA_256").await;
        std::fs::write(dir.join("PublicKey.b64"), b64(&p.public_key)).unwrap();
        openssl(dir, &["enc", "-d", "-base64", "-A", "-in", "PublicKey.b64", "-out", "PublicKey.bin"]);
        let hex_temp = openssl(dir, &["rand", "-hex", &temp_len.to_string()]);
        let hex_temp = String::from_utf8(hex_temp).unwrap().trim().to_string();
        std::fs::write(dir.join("PlaintextKeyMaterial.bin"), hex::decode(&hex_temp).unwrap()).unwrap();
        openssl(
            dir,
            &[
                "pkeyutl",
                "-encrypt",
                "-pubin",
                "-keyform",
                "der",
                "-inkey",
                "PublicKey.bin",
                "-pkeyopt",
                "rsa_padding_mode:oaep",
                "-pkeyopt",
                "rsa_oaep_md:sha256",
                "-in",
                "PlaintextKeyMaterial.bin",
                "-out",
                "EncryptedKeyMaterial.bin",
            ],
        );
        openssl_private_key(dir, "rsa_private_key", "RSA_2048");
        openssl(
            dir,
            &[
                "enc",
                cipher,
                "-K",
                &hex_temp,
                "-iv",
                "A65959A6",
                "-in",
                "rsa_private_key.der",
                "-out",
                "out_rsa_private_key.der",
            ],
        );
        let body = json!({"key_id": kid, "import_token": p.token,
            "encrypted_key_material": b64(&std::fs::read(dir.join("EncryptedKeyMaterial.bin")).unwrap()),
            "encrypted_privatekey": b64(&std::fs::read(dir.join("out_rsa_private_key.der")).unwrap())});
        h.ok("import-key-material", body).await;
        let message = b"the documentation's recipe".to_vec();
        let s = h
            .ok(
                "sign",
                json!({"key_id": kid, "message": b64(&message), "signing_algorithm": "RSASSA_PKCS1_V1_5_SHA_256",
                       "message_type": "RAW"}),
            )
            .await;
        let sig = unb64(s["signature"].as_str().unwrap());
        assert!(openssl_verifies(dir, "rsa_private_key", "-sha256", false, &message, &sig), "{temp_len}-byte temp key");
    }
}

#[tokio::test]
async fn symmetric_import_error_codes() {
    let h = harness().await;
    let kid = h.create("AES_256", "external").await;
    let other = h.create("AES_256", "external").await;
    let own = h.create("AES_256", "kms").await;
    let p = h.params(&kid, "RSAES_OAEP_SHA_256").await;
    let material = keyward_crypto::random::bytes(32).unwrap();
    let good = oaep256(&p.public_key, &material);
    let import = |key: &str, token: &str, ekm: &str| json!({"key_id": key, "import_token": token, "encrypted_key_material": ekm});

    // KMS.0309: a KMS-origin key, for the parameters and for the import.
    h.err("get-parameters-for-import", json!({"key_id": own, "wrapping_algorithm": "RSAES_OAEP_SHA_256"}), "KMS.0309")
        .await;
    h.err("import-key-material", import(&own, &p.token, &good), "KMS.0309").await;
    // Missing and malformed fields.
    h.err("get-parameters-for-import", json!({"key_id": kid}), "KMS.0204").await;
    h.err("get-parameters-for-import", json!({"key_id": kid, "wrapping_algorithm": "RSA_4096"}), "KMS.0308").await;
    h.err("import-key-material", json!({"key_id": kid, "encrypted_key_material": good}), "KMS.0204").await;
    h.err("import-key-material", json!({"key_id": kid, "import_token": p.token}), "KMS.0204").await;
    h.err("import-key-material", import(&kid, &p.token, "not base64!"), "KMS.0308").await;
    h.err("import-key-material", import("not-a-key-id", &p.token, &good), "KMS.0205").await;
    h.err("import-key-material", import("00000000-0000-0000-0000-000000000000", &p.token, &good), "KMS.0207").await;
    // KMS.2603: a genuine token of another key.
    h.err("import-key-material", import(&other, &p.token, &good), "KMS.2603").await;
    // KMS.2605: forged or altered tokens.
    let mut raw = unb64(&p.token);
    for i in [0usize, 1, 10, 40, raw.len() - 1] {
        raw[i] ^= 0x20;
        h.err("import-key-material", import(&kid, &b64(&raw), &good), "KMS.2605").await;
        raw[i] ^= 0x20;
    }
    h.err("import-key-material", import(&kid, &"A".repeat(200), &good), "KMS.2605").await;
    // KMS.0311: the ciphertext does not decrypt.
    h.err("import-key-material", import(&kid, &p.token, &b64(&[7u8; 256])), "KMS.0311").await;
    // KMS.2604: 16, 31 or 33 bytes for an AES_256 key.
    for size in [16usize, 31, 33] {
        let wrong = oaep256(&p.public_key, &keyward_crypto::random::bytes(size).unwrap());
        h.err("import-key-material", import(&kid, &p.token, &wrong), "KMS.2604").await;
    }
    // KMS.2602: an expiry not in the future.
    let mut past = import(&kid, &p.token, &good);
    past["expiration_time"] = json!(h.kms.now() - 60);
    h.err("import-key-material", past.clone(), "KMS.2602").await;
    past["expiration_time"] = json!((h.kms.now()).to_string());
    h.err("import-key-material", past, "KMS.2602").await;
    let mut junk = import(&kid, &p.token, &good);
    junk["expiration_time"] = json!("soon");
    h.err("import-key-material", junk, "KMS.0308").await;
    // Symmetric material in the private-key field is refused.
    let mut both = import(&kid, &p.token, &good);
    both["encrypted_privatekey"] = json!(b64(&[1u8; 40]));
    h.err("import-key-material", both, "KMS.0331").await;
    assert_eq!(h.state(&kid).await.0, "5", "nothing above imported anything");
    assert!(h.stored_material(&kid).await.is_none());

    // The import itself, then KMS.0310 for both calls.
    h.ok("import-key-material", import(&kid, &p.token, &good)).await;
    h.err("get-parameters-for-import", json!({"key_id": kid, "wrapping_algorithm": "RSAES_OAEP_SHA_256"}), "KMS.0310")
        .await;
    h.err("import-key-material", import(&kid, &p.token, &good), "KMS.0310").await;
    // KMS.2701: nothing to delete.
    h.err("delete-imported-key-material", json!({"key_id": other}), "KMS.2701").await;
    h.err("delete-imported-key-material", json!({"key_id": own}), "KMS.0309").await;

    // KMS.2601: the token expires after 24 hours.
    let p_other = h.params(&other, "RSAES_OAEP_SHA_256").await;
    h.clock.advance_ms(24 * 3600 * 1000);
    let late = oaep256(&p_other.public_key, &material);
    h.err("import-key-material", import(&other, &p_other.token, &late), "KMS.2601").await;
}

#[tokio::test]
async fn delete_and_reimport_the_same_material_only() {
    let h = harness().await;
    let kid = h.create("AES_256", "external").await;
    let material = keyward_crypto::random::bytes(32).unwrap();
    let p = h.params(&kid, "RSAES_OAEP_SHA_256").await;
    let import = |p: &Params, m: &[u8]| json!({"key_id": kid, "import_token": p.token, "encrypted_key_material": oaep256(&p.public_key, m)});
    h.ok("import-key-material", import(&p, &material)).await;
    let c = h.ok("encrypt-data", json!({"key_id": kid, "plain_text": "before the deletion"})).await;

    // A disabled key's material can be deleted too; the key goes to "5" and its expiry is cleared.
    h.ok("disable-key", json!({"key_id": kid})).await;
    assert_eq!(h.ok("delete-imported-key-material", json!({"key_id": kid})).await, json!({}));
    assert_eq!(h.state(&kid).await, ("5".into(), String::new()));
    assert!(h.stored_material(&kid).await.is_none());
    h.err("delete-imported-key-material", json!({"key_id": kid}), "KMS.2701").await;
    h.err("encrypt-data", json!({"key_id": kid, "plain_text": "x"}), "KMS.1301").await;

    // Different material: KMS.2606, whatever the token.
    let p2 = h.params(&kid, "RSAES_OAEP_SHA_256").await;
    let different = keyward_crypto::random::bytes(32).unwrap();
    h.err("import-key-material", import(&p2, &different), "KMS.2606").await;
    h.err("import-key-material", import(&p, &different), "KMS.2606").await;
    // The same material: enabled again, and old ciphertexts decrypt.
    h.ok("import-key-material", import(&p2, &material)).await;
    assert_eq!(h.state(&kid).await.0, "2");
    let d = h.ok("decrypt-data", json!({"cipher_text": c["cipher_text"]})).await;
    assert_eq!(d["plain_text"], "before the deletion");

    // A key pending deletion: KMS.2701.
    h.ok("schedule-key-deletion", json!({"key_id": kid, "pending_days": "7"})).await;
    h.err("delete-imported-key-material", json!({"key_id": kid}), "KMS.2701").await;
}

#[tokio::test]
async fn private_key_import_error_codes() {
    let h = harness().await;
    let dir = h.dir.path();
    let kid = h.create("EC_P384", "external").await;
    let p = h.params(&kid, "RSAES_OAEP_SHA_256").await;
    let good = openssl_private_key(dir, "p384", "EC_P384");
    let p256 = openssl_private_key(dir, "p256", "EC_P256");
    let temp = keyward_crypto::random::bytes(32).unwrap();
    let ekm = oaep256(&p.public_key, &temp);
    let body = |ekm: &str, epk: Option<Vec<u8>>| {
        let mut b = json!({"key_id": kid, "import_token": p.token, "encrypted_key_material": ekm});
        if let Some(epk) = epk {
            b["encrypted_privatekey"] = json!(b64(&epk));
        }
        b
    };
    let wrap = |kek: &[u8], data: &[u8]| Some(kwp_wrap(kek, data).unwrap());

    // KMS.2608: no private key.
    h.err("import-key-material", body(&ekm, None), "KMS.2608").await;
    // KMS.2609: another curve, garbage under a valid wrap, a wrap under another key, not a wrap.
    h.err("import-key-material", body(&ekm, wrap(&temp, &p256)), "KMS.2609").await;
    h.err("import-key-material", body(&ekm, wrap(&temp, &[0x30; 180])), "KMS.2609").await;
    let stranger = keyward_crypto::random::bytes(32).unwrap();
    h.err("import-key-material", body(&ekm, wrap(&stranger, &good)), "KMS.2609").await;
    h.err("import-key-material", body(&ekm, Some(vec![9u8; 200])), "KMS.2609").await;
    // KMS.2610: a temporary key that is neither 16 nor 32 bytes.
    for len in [24usize, 8, 64] {
        let odd = keyward_crypto::random::bytes(len).unwrap();
        let odd_ekm = oaep256(&p.public_key, &odd);
        h.err("import-key-material", body(&odd_ekm, wrap(&temp, &good)), "KMS.2610").await;
    }
    // KMS.0311: the temporary key does not decrypt.
    h.err("import-key-material", body(&b64(&[3u8; 256]), wrap(&temp, &good)), "KMS.0311").await;
    // KMS.0325: asymmetric material never expires.
    let mut with_expiry = body(&ekm, wrap(&temp, &good));
    with_expiry["expiration_time"] = json!(h.kms.now() + 3600);
    h.err("import-key-material", with_expiry, "KMS.0325").await;
    // Token errors as for symmetric keys.
    let other = h.create("EC_P384", "external").await;
    let mut foreign = body(&ekm, wrap(&temp, &good));
    foreign["key_id"] = json!(other);
    h.err("import-key-material", foreign, "KMS.2603").await;
    // Only RSAES_OAEP_SHA_256 wraps a temporary key.
    h.err("get-parameters-for-import", json!({"key_id": kid, "wrapping_algorithm": "RSAES_PKCS1_V1_5"}), "KMS.0308")
        .await;
    assert_eq!(h.state(&kid).await.0, "5");

    // The import, then: KMS.0310, KMS.2702, and the asymmetric key is bound to its material.
    h.ok("import-key-material", body(&ekm, wrap(&temp, &good))).await;
    h.err("import-key-material", body(&ekm, wrap(&temp, &good)), "KMS.0310").await;
    h.err("delete-imported-key-material", json!({"key_id": kid}), "KMS.2702").await;
    assert_eq!(h.state(&kid).await.0, "2");
}

#[tokio::test]
async fn hmac_keys_are_not_imported() {
    let h = harness().await;
    // HMAC keys with origin external are refused at create-key.
    let (status, answer) =
        h.post("create-key", &json!({"key_alias": "hmac-ext", "key_spec": "HMAC_256", "origin": "external"})).await;
    assert_eq!(
        (status, answer["error"]["error_code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("KMS.0341")),
        "{answer}"
    );
    let mac = h.create("HMAC_256", "kms").await;
    h.err("get-parameters-for-import", json!({"key_id": mac, "wrapping_algorithm": "RSAES_OAEP_SHA_256"}), "KMS.0309")
        .await;
}

/// HMAC as computed by aws-lc-rs from the key material (the server's sealed copy).
async fn reference_mac(h: &Harness, key_id: &str, alg: hmac::Algorithm, message: &[u8]) -> Vec<u8> {
    let material = h.stored_material(key_id).await.unwrap();
    hmac::sign(&hmac::Key::new(alg, &material), message).as_ref().to_vec()
}

#[tokio::test]
async fn generate_and_verify_mac() {
    let h = harness().await;
    let message = b"authenticate me".to_vec();
    for (spec, alg, reference, len) in [
        ("HMAC_256", "HMAC_SHA_256", hmac::HMAC_SHA256, 32usize),
        ("HMAC_384", "HMAC_SHA_384", hmac::HMAC_SHA384, 48),
        ("HMAC_512", "HMAC_SHA_512", hmac::HMAC_SHA512, 64),
    ] {
        let kid = h.create(spec, "kms").await;
        let out = h.ok("generate-mac", json!({"key_id": kid, "mac_algorithm": alg, "message": b64(&message)})).await;
        assert_eq!((out["key_id"].as_str(), out["mac_algorithm"].as_str()), (Some(kid.as_str()), Some(alg)));
        let mac = unb64(out["mac"].as_str().unwrap());
        assert_eq!(mac.len(), len);
        assert_eq!(mac, reference_mac(&h, &kid, reference, &message).await, "{spec}");
        let verify =
            |mac: &[u8], msg: &[u8]| json!({"key_id": kid, "mac_algorithm": alg, "message": b64(msg), "mac": b64(mac)});
        let v = h.ok("verify-mac", verify(&mac, &message)).await;
        assert_eq!(v, json!({"key_id": kid, "mac_algorithm": alg, "mac_valid": true}));
        let mut bad = mac.clone();
        bad[0] ^= 1;
        assert_eq!(h.ok("verify-mac", verify(&bad, &message)).await["mac_valid"], json!(false));
        assert_eq!(h.ok("verify-mac", verify(&mac, b"another message")).await["mac_valid"], json!(false));
        assert_eq!(h.ok("verify-mac", verify(&mac[..16], &message)).await["mac_valid"], json!(false));
        // Errors: missing fields, bad base64, empty or long messages, unknown algorithm.
        h.err("generate-mac", json!({"key_id": kid, "mac_algorithm": alg}), "KMS.0204").await;
        h.err("generate-mac", json!({"key_id": kid, "message": b64(&message)}), "KMS.0204").await;
        h.err("generate-mac", json!({"key_id": kid, "mac_algorithm": alg, "message": "%%%"}), "KMS.0308").await;
        h.err("generate-mac", json!({"key_id": kid, "mac_algorithm": alg, "message": ""}), "KMS.0204").await;
        h.err("generate-mac", json!({"key_id": kid, "mac_algorithm": alg, "message": b64(&[0u8; 4097])}), "KMS.0308")
            .await;
        h.err(
            "generate-mac",
            json!({"key_id": kid, "mac_algorithm": "HMAC_SM3", "message": b64(&message)}),
            "KMS.0308",
        )
        .await;
        h.err("verify-mac", json!({"key_id": kid, "mac_algorithm": alg, "message": b64(&message)}), "KMS.0204").await;
        // The algorithm of another spec is refused.
        let other_alg = if alg == "HMAC_SHA_256" { "HMAC_SHA_512" } else { "HMAC_SHA_256" };
        let (status, _) =
            h.post("generate-mac", &json!({"key_id": kid, "mac_algorithm": other_alg, "message": b64(&message)})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        // A disabled key: KMS.0209.
        h.ok("disable-key", json!({"key_id": kid})).await;
        h.err("generate-mac", json!({"key_id": kid, "mac_algorithm": alg, "message": b64(&message)}), "KMS.0209").await;
        h.err("verify-mac", verify(&mac, &message), "KMS.0209").await;
    }
    // A key that is not an HMAC key.
    let aes = h.create("AES_256", "kms").await;
    let (status, _) = h
        .post("generate-mac", &json!({"key_id": aes, "mac_algorithm": "HMAC_SHA_256", "message": b64(&message)}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    h.err(
        "generate-mac",
        json!({"key_id": "00000000-0000-0000-0000-000000000000", "mac_algorithm": "HMAC_SHA_256",
        "message": b64(&message)}),
        "KMS.0207",
    )
    .await;
}

#[tokio::test]
async fn gen_random() {
    let h = harness().await;
    let mut seen = std::collections::HashSet::new();
    for (bits, as_number) in [(8i64, false), (512, false), (8192, true), (256, true)] {
        let len = if as_number { json!(bits) } else { json!(bits.to_string()) };
        let out = h.ok("gen-random", json!({"random_data_length": len})).await;
        let data = out["random_data"].as_str().unwrap();
        assert_eq!(data.len() as i64, bits / 4);
        assert!(data.bytes().all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(&c)), "{data}");
        assert!(seen.insert(data.to_string()));
    }
    for bad in [json!("0"), json!("7"), json!("12"), json!("8200"), json!(-8), json!("x")] {
        h.err("gen-random", json!({"random_data_length": bad}), "KMS.1802").await;
    }
    h.err("gen-random", json!({}), "KMS.0204").await;
}
