//! AES Key Wrap with Padding (KWP, RFC 5649 = NIST SP 800-38F KWP), as the Huawei import flow
//! uses it: `encrypted_privatekey = KWP(KEK = temporary AES key, PKCS#8 DER)` (HUAWEI.md §3.4).
//!
//! The standard algorithm with the RFC 5649 Alternative Initial Value `A65959A6 ‖ MLI`; this is
//! what `openssl enc -id-aes256-wrap-pad -iv A65959A6` produces (the `-iv` OpenSSL's CLI insists
//! on is exactly that default AIV). The implementation is aws-lc-rs's `AesKek` with
//! `KeyWrapPadded` (AWS-LC `AES_wrap_key_padded` / `AES_unwrap_key_padded`), so the KEK must be
//! 16 or 32 bytes: AES-192 KEKs (which RFC 5649 allows and its §6 vectors use) are refused, as
//! Huawei refuses temporary keys of any other length (`KMS.2610`).
//!
//! Unwrapping checks the AIV, the length indicator and the zero padding in constant time inside
//! AWS-LC; every failure is the same [`KwpError::Unwrap`], so the API is no padding oracle.

use aws_lc_rs::key_wrap::{AES_128, AES_256, AesKek, KeyWrapPadded};
use zeroize::Zeroizing;

use crate::SecretBytes;

/// Length of the KWP integrity block (AIV ‖ MLI) and of the wrap's semiblocks.
const SEMIBLOCK: usize = 8;
/// Largest plaintext accepted: far above any private key (RSA-4096 PKCS#8 is about 2.4 KB).
pub const MAX_PLAINTEXT: usize = 64 * 1024;

/// Errors of KWP. Messages never contain key material.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KwpError {
    /// The key-encryption key is not 16 or 32 bytes.
    #[error("the key-encryption key must be 16 or 32 bytes, not {0}")]
    KekLength(usize),
    /// The plaintext to wrap is empty or longer than [`MAX_PLAINTEXT`].
    #[error("the plaintext to wrap must be 1 to {MAX_PLAINTEXT} bytes")]
    PlaintextLength,
    /// The wrapped bytes do not unwrap with this KEK: wrong KEK, corrupt or truncated, or not
    /// RFC 5649 (e.g. wrapped with another IV, or RFC 3394 without padding).
    #[error("the wrapped key does not unwrap with this key-encryption key")]
    Unwrap,
}

fn kek(key: &[u8]) -> Result<AesKek, KwpError> {
    let cipher = match key.len() {
        16 => &AES_128,
        32 => &AES_256,
        n => return Err(KwpError::KekLength(n)),
    };
    AesKek::new(cipher, key).map_err(|_| KwpError::KekLength(key.len()))
}

/// Wraps `plaintext` (1 to [`MAX_PLAINTEXT`] bytes) under `kek` (16 or 32 bytes). The output is
/// `8 · (⌈len/8⌉ + 1)` bytes. Client side (tests, tooling): the server only unwraps.
pub fn kwp_wrap(kek_bytes: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, KwpError> {
    let kek = kek(kek_bytes)?;
    if plaintext.is_empty() || plaintext.len() > MAX_PLAINTEXT {
        return Err(KwpError::PlaintextLength);
    }
    let mut out = vec![0u8; plaintext.len() + 15 + SEMIBLOCK];
    let len = kek.wrap_with_padding(plaintext, &mut out).map_err(|_| KwpError::PlaintextLength)?.len();
    out.truncate(len);
    Ok(out)
}

/// Unwraps RFC 5649 `wrapped` bytes under `kek` (16 or 32 bytes).
pub fn kwp_unwrap(kek_bytes: &[u8], wrapped: &[u8]) -> Result<SecretBytes, KwpError> {
    let kek = kek(kek_bytes)?;
    // At least AIV block + one semiblock, in whole semiblocks.
    if wrapped.len() < 2 * SEMIBLOCK
        || !wrapped.len().is_multiple_of(SEMIBLOCK)
        || wrapped.len() > MAX_PLAINTEXT + 2 * SEMIBLOCK
    {
        return Err(KwpError::Unwrap);
    }
    let mut buf = Zeroizing::new(vec![0u8; wrapped.len()]);
    let plaintext = kek.unwrap_with_padding(wrapped, &mut buf).map_err(|_| KwpError::Unwrap)?;
    Ok(SecretBytes::from_slice(plaintext))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::cipher::{AES_128 as C128, AES_192 as C192, AES_256 as C256, EncryptingKey, UnboundCipherKey};
    use std::process::Command;

    /// An independent RFC 5649 wrap (§4.1), written from the RFC over raw AES-ECB, for any AES
    /// key size: the reference the production code (AWS-LC) is checked against.
    fn reference_wrap(kek: &[u8], p: &[u8]) -> Vec<u8> {
        let alg = match kek.len() {
            16 => &C128,
            24 => &C192,
            _ => &C256,
        };
        let aes = |block: &mut [u8; 16]| {
            let key = EncryptingKey::ecb(UnboundCipherKey::new(alg, kek).unwrap()).unwrap();
            key.encrypt(block).unwrap();
        };
        let mut aiv = [0xa6u8, 0x59, 0x59, 0xa6, 0, 0, 0, 0];
        aiv[4..].copy_from_slice(&(p.len() as u32).to_be_bytes());
        let mut padded = p.to_vec();
        padded.resize(p.len().div_ceil(8) * 8, 0);
        if padded.len() == 8 {
            let mut b = [0u8; 16];
            b[..8].copy_from_slice(&aiv);
            b[8..].copy_from_slice(&padded);
            aes(&mut b);
            return b.to_vec();
        }
        let n = padded.len() / 8;
        let mut a = aiv;
        let mut r: Vec<[u8; 8]> = padded.chunks(8).map(|c| c.try_into().unwrap()).collect();
        for j in 0..6 {
            for (i, ri) in r.iter_mut().enumerate() {
                let mut b = [0u8; 16];
                b[..8].copy_from_slice(&a);
                b[8..].copy_from_slice(ri);
                aes(&mut b);
                let t = (n * j + i + 1) as u64;
                a.copy_from_slice(&b[..8]);
                for (x, y) in a.iter_mut().zip(t.to_be_bytes()) {
                    *x ^= y;
                }
                ri.copy_from_slice(&b[8..]);
            }
        }
        let mut out = a.to_vec();
        for ri in r {
            out.extend_from_slice(&ri);
        }
        out
    }

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    #[test]
    fn reference_reproduces_the_rfc_5649_vectors() {
        // RFC 5649 §6 (192-bit KEK), also in HUAWEI.md §3.4.
        let kek = h("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8");
        assert_eq!(
            reference_wrap(&kek, &h("c37b7e6492584340bed12207808941155068f738")),
            h("138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a")
        );
        assert_eq!(reference_wrap(&kek, &h("466f7250617369")), h("afbeb0f07dfbf5419200f2ccb50bb24f"));
        // Our code refuses that KEK size (Huawei: 16 or 32 bytes only).
        assert_eq!(kwp_wrap(&kek, b"x"), Err(KwpError::KekLength(24)));
        assert!(matches!(kwp_unwrap(&kek, &h("afbeb0f07dfbf5419200f2ccb50bb24f")), Err(KwpError::KekLength(24))));
    }

    #[test]
    fn matches_the_reference_for_every_length_and_round_trips() {
        for kek_len in [16usize, 32] {
            let kek: Vec<u8> = (0..kek_len as u8).map(|i| i.wrapping_mul(37).wrapping_add(5)).collect();
            for len in (1usize..=80).chain([137, 1217, 2376]) {
                let p: Vec<u8> = (0..len).map(|i| (i * 7 + len) as u8).collect();
                let w = kwp_wrap(&kek, &p).unwrap();
                assert_eq!(w, reference_wrap(&kek, &p), "kek {kek_len} len {len}");
                assert_eq!(w.len(), 8 * (len.div_ceil(8) + 1));
                assert_eq!(kwp_unwrap(&kek, &w).unwrap().expose(), p.as_slice());
            }
        }
    }

    #[test]
    fn tampering_wrong_keys_and_bad_lengths_fail_to_unwrap() {
        let kek = [7u8; 32];
        let p = [0x42u8; 138];
        let w = kwp_wrap(&kek, &p).unwrap();
        for i in 0..w.len() {
            let mut t = w.clone();
            t[i] ^= 0x01;
            assert!(matches!(kwp_unwrap(&kek, &t), Err(KwpError::Unwrap)), "byte {i}");
        }
        assert!(matches!(kwp_unwrap(&[8u8; 32], &w), Err(KwpError::Unwrap)));
        assert!(matches!(kwp_unwrap(&[7u8; 16], &w), Err(KwpError::Unwrap)));
        for len in [0usize, 1, 8, 15, 17, w.len() - 8, w.len() - 1] {
            assert!(matches!(kwp_unwrap(&kek, &w[..len]), Err(KwpError::Unwrap)), "len {len}");
        }
        // RFC 3394 (no padding, IV A6A6A6A6A6A6A6A6) is not KWP.
        let plain_kw = {
            let mut out = vec![0u8; 16 + 8];
            let k = AesKek::new(&AES_256, &kek).unwrap();
            use aws_lc_rs::key_wrap::KeyWrap;
            k.wrap(&[1u8; 16], &mut out).unwrap().to_vec()
        };
        assert!(matches!(kwp_unwrap(&kek, &plain_kw), Err(KwpError::Unwrap)));
        for n in [0usize, 1, 15, 24, 33, 64] {
            assert_eq!(kwp_wrap(&vec![1; n], b"x").unwrap_err(), KwpError::KekLength(n));
            assert!(matches!(kwp_unwrap(&vec![1; n], &w), Err(KwpError::KekLength(_))));
        }
        assert_eq!(kwp_wrap(&kek, b""), Err(KwpError::PlaintextLength));
        assert_eq!(kwp_wrap(&kek, &vec![0; MAX_PLAINTEXT + 1]), Err(KwpError::PlaintextLength));
    }

    /// `openssl enc -id-aesN-wrap-pad -K <hex> -iv A65959A6` (HUAWEI.md §3.5, the documented recipe).
    fn openssl_kwp(kek: &[u8], input: &[u8], decrypt: bool) -> Option<Vec<u8>> {
        let dir = tempfile::tempdir().unwrap();
        let inf = dir.path().join("in.bin");
        let outf = dir.path().join("out.bin");
        std::fs::write(&inf, input).unwrap();
        let cipher = format!("-id-aes{}-wrap-pad", kek.len() * 8);
        let mut args = vec!["enc".to_string()];
        if decrypt {
            args.push("-d".into());
        }
        args.extend([
            cipher,
            "-K".into(),
            hex::encode(kek),
            "-iv".into(),
            "A65959A6".into(),
            "-in".into(),
            inf.to_str().unwrap().into(),
            "-out".into(),
            outf.to_str().unwrap().into(),
        ]);
        let out = Command::new("openssl").args(&args).output().expect("openssl must be on PATH");
        if !out.status.success() {
            return None;
        }
        Some(std::fs::read(&outf).unwrap())
    }

    #[test]
    fn interoperates_with_openssl_enc_wrap_pad() {
        for kek_len in [16usize, 32] {
            let kek = crate::random::bytes(kek_len).unwrap();
            for len in [1usize, 7, 8, 9, 67, 138, 1217] {
                let p = crate::random::bytes(len).unwrap();
                let theirs = openssl_kwp(&kek, &p, false).expect("openssl wrap");
                assert_eq!(kwp_wrap(&kek, &p).unwrap(), theirs, "kek {kek_len} len {len}");
                assert_eq!(kwp_unwrap(&kek, &theirs).unwrap().expose(), p.as_slice());
                let ours = kwp_wrap(&kek, &p).unwrap();
                assert_eq!(openssl_kwp(&kek, &ours, true).expect("openssl unwrap"), p);
            }
        }
    }
}
