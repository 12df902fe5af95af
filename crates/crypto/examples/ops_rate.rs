//! Single-thread rates of the cryptographic primitives behind the hot path (informational; no
//! assertions). Run: `cargo run --release -p keyward-crypto --example ops_rate`.

use aws_lc_rs::digest::{Digest as AwsDigest, SHA256, digest};
use aws_lc_rs::signature::{
    ECDSA_P256K1_SHA256_ASN1, ECDSA_P256K1_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair, ParsedPublicKey,
};
use keyward_crypto::asymmetric::{AsymmetricAlgorithm as A, AsymmetricKey};
use keyward_crypto::{KeySpec, SecretBytes};

fn material(spec: KeySpec) -> SecretBytes {
    keyward_crypto::keygen::generate(spec).unwrap()
}

fn key(spec: KeySpec) -> AsymmetricKey {
    AsymmetricKey::new(spec, &material(spec)).unwrap()
}

fn sha256(m: &[u8]) -> Vec<u8> {
    digest(&SHA256, m).as_ref().to_vec()
}

fn rate(name: &str, mut f: impl FnMut()) {
    for _ in 0..20 {
        f();
    }
    let start = std::time::Instant::now();
    let mut n = 0u64;
    while start.elapsed() < std::time::Duration::from_millis(1500) {
        for _ in 0..10 {
            f();
        }
        n += 10;
    }
    println!("{name:<40} {:>12.0} ops/s", n as f64 / start.elapsed().as_secs_f64());
}

fn main() {
    let d = sha256(b"timing");
    for (name, spec, alg) in [
        ("sign RSA-2048 PSS", KeySpec::Rsa2048, A::RsaPssSha256),
        ("sign RSA-2048 PKCS1", KeySpec::Rsa2048, A::RsaPkcs1Sha256),
        ("sign RSA-3072 PSS", KeySpec::Rsa3072, A::RsaPssSha256),
        ("sign P-256 (aws-lc-rs)", KeySpec::EcP256, A::EcdsaSha256),
        ("sign secp256k1 (k256)", KeySpec::EcP256K, A::EcdsaSha256),
        ("sign SM2DSA (sm2)", KeySpec::EcSm2, A::Sm2Dsa),
    ] {
        let k = key(spec);
        let sig = k.sign_digest(alg, &d).unwrap();
        rate(name, || drop(k.sign_digest(alg, &d).unwrap()));
        rate(&name.replacen("sign", "verify", 1), || assert!(k.verify_digest(alg, &d, &sig)));
    }
    // secp256k1 through aws-lc-rs, for the choice of crate.
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256K1_SHA256_ASN1_SIGNING, material(KeySpec::EcP256K).expose()).unwrap();
    let dig = AwsDigest::import_less_safe(&d, &SHA256).unwrap();
    let sig = pair.sign_digest(&dig).unwrap();
    let public = ParsedPublicKey::new(&ECDSA_P256K1_SHA256_ASN1, pair.public_key().as_ref()).unwrap();
    rate("sign secp256k1 (aws-lc-rs)", || assert!(!pair.sign_digest(&dig).unwrap().as_ref().is_empty()));
    rate("verify secp256k1 (aws-lc-rs)", || public.verify_digest_sig(&dig, sig.as_ref()).unwrap());

    for (name, spec, alg, len) in [
        ("RSA-2048 OAEP-SHA256", KeySpec::Rsa2048, A::RsaesOaepSha256, 32),
        ("RSA-3072 OAEP-SHA256", KeySpec::Rsa3072, A::RsaesOaepSha256, 32),
        ("SM2PKE 32 B", KeySpec::EcSm2, A::Sm2Pke, 32),
    ] {
        let k = key(spec);
        let pt = vec![1u8; len];
        let ct = k.encrypt(alg, &pt).unwrap();
        rate(&format!("encrypt {name}"), || drop(k.encrypt(alg, &pt).unwrap()));
        rate(&format!("decrypt {name}"), || drop(k.decrypt(alg, &ct).unwrap()));
    }
    for spec in [KeySpec::Aes256, KeySpec::Aes128, KeySpec::Sm4] {
        let k =
            keyward_crypto::aead::SymmetricKey::new(spec, &keyward_crypto::keygen::generate(spec).unwrap()).unwrap();
        for len in [32usize, 4096] {
            let pt = vec![0u8; len];
            let sealed = k.seal(&[1; 12], b"aad", &pt).unwrap();
            rate(&format!("seal {} {len} B", spec.as_str()), || drop(k.seal(&[1; 12], b"aad", &pt).unwrap()));
            rate(&format!("open {} {len} B", spec.as_str()), || drop(k.open(&[1; 12], b"aad", &sealed).unwrap()));
        }
    }
    for spec in [KeySpec::Rsa2048, KeySpec::EcP256, KeySpec::EcP256K, KeySpec::EcSm2] {
        let m = material(spec);
        rate(&format!("AsymmetricKey::new {}", spec.as_str()), || drop(AsymmetricKey::new(spec, &m).unwrap()));
    }
}
