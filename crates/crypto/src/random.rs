//! System randomness (aws-lc-rs `SystemRandom`) and random identifiers.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};

use crate::CryptoError;

/// Fills `buf` with cryptographically secure random bytes.
pub fn fill(buf: &mut [u8]) -> Result<(), CryptoError> {
    SystemRandom::new().fill(buf).map_err(|_| CryptoError::Library("system random generator failed"))
}

/// `n` random bytes.
pub fn bytes(n: usize) -> Result<Vec<u8>, CryptoError> {
    let mut v = vec![0u8; n];
    fill(&mut v)?;
    Ok(v)
}

/// A random string of `n` characters from `alphabet` (uniform: rejection sampling).
pub fn string_from(alphabet: &[u8], n: usize) -> Result<String, CryptoError> {
    assert!(!alphabet.is_empty() && alphabet.len() <= 256);
    let limit = 256 - (256 % alphabet.len());
    let mut out = String::with_capacity(n);
    let mut buf = [0u8; 64];
    while out.len() < n {
        fill(&mut buf)?;
        for &b in &buf {
            if (b as usize) < limit && out.len() < n {
                out.push(char::from(alphabet[b as usize % alphabet.len()]));
            }
        }
    }
    Ok(out)
}

/// Lowercase base36 alphabet used in instance-key and instance ids.
pub const BASE36: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";

/// A random RFC 4122 version-4 UUID in its 36-character text form.
pub fn uuid_v4() -> Result<String, CryptoError> {
    let mut b = [0u8; 16];
    fill(&mut b)?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    Ok(format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_has_the_v4_shape() {
        let u = uuid_v4().unwrap();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(u, uuid_v4().unwrap());
    }

    #[test]
    fn strings_use_only_the_alphabet() {
        let s = string_from(BASE36, 500).unwrap();
        assert_eq!(s.len(), 500);
        assert!(s.bytes().all(|c| BASE36.contains(&c)));
    }
}
