//! Key specs and key usages (ALIBABA.md §4.3, HUAWEI.md §1.2) and what each spec allows.
//!
//! Names: [`KeySpec::as_str`] / [`KeyUsage::as_str`] are the Alibaba names, which are also the
//! stored names ([`KeySpec::from_name`] parses every one of them). The specs and the usage that
//! only the Huawei API offers (`EC_P384`, `HMAC_256/384/512`, `GENERATE/VERIFY_MAC`) have no
//! Alibaba documentation; their names here follow Alibaba's style, and the Alibaba parsers
//! ([`KeySpec::parse`], [`KeyUsage::parse`]) refuse them, so Alibaba's CreateKey keeps accepting
//! exactly the documented specs. Such keys still show up (with these names) in Alibaba's
//! DescribeKey and ListKeys. The Huawei layer maps its own names.
//!
//! | KeySpec | usages (first = default) | algorithms |
//! |---|---|---|
//! | `Aliyun_AES_256`, `Aliyun_AES_128`, `Aliyun_SM4` | ENCRYPT/DECRYPT | AES-GCM / SM4-GCM |
//! | `RSA_2048/3072/4096` | ENCRYPT/DECRYPT, SIGN/VERIFY | RSA-OAEP; RSA-PSS and PKCS#1 v1.5 with SHA-256/384/512 |
//! | `EC_P256`, `EC_P256K` | SIGN/VERIFY | ECDSA with SHA-256 |
//! | `EC_P384` | SIGN/VERIFY | ECDSA with SHA-384 |
//! | `EC_SM2` | ENCRYPT/DECRYPT, SIGN/VERIFY | SM2PKE; SM2DSA |
//! | `HMAC_256/384/512` | GENERATE/VERIFY_MAC | HMAC-SHA-256/384/512 (one per spec) |
//!
//! The algorithm tables themselves are `AsymmetricAlgorithm::fits` and `MacAlgorithm::fits`.

/// A key spec: the algorithm family and size of a key's material.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeySpec {
    /// AES-256 (`Aliyun_AES_256`), the default spec.
    Aes256,
    /// AES-128 (`Aliyun_AES_128`).
    Aes128,
    /// SM4 (`Aliyun_SM4`).
    Sm4,
    /// RSA with a 2048-bit modulus.
    Rsa2048,
    /// RSA with a 3072-bit modulus.
    Rsa3072,
    /// RSA with a 4096-bit modulus.
    Rsa4096,
    /// ECDSA on NIST P-256 (secp256r1).
    EcP256,
    /// ECDSA on secp256k1.
    EcP256K,
    /// SM2 (GB/T 32918).
    EcSm2,
    /// ECDSA on NIST P-384 (secp384r1), `EC_P384` (Huawei API only).
    EcP384,
    /// HMAC-SHA-256 key of 32 bytes, `HMAC_256` (Huawei API only).
    Hmac256,
    /// HMAC-SHA-384 key of 48 bytes, `HMAC_384` (Huawei API only).
    Hmac384,
    /// HMAC-SHA-512 key of 64 bytes, `HMAC_512` (Huawei API only).
    Hmac512,
}

/// What a key may be used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyUsage {
    /// `ENCRYPT/DECRYPT`.
    EncryptDecrypt,
    /// `SIGN/VERIFY`.
    SignVerify,
    /// `GENERATE/VERIFY_MAC`: HMAC keys (Huawei's `GENERATE_VERIFY_MAC`; not an Alibaba usage).
    GenerateVerifyMac,
}

impl KeySpec {
    /// Every spec: the Alibaba ones in documentation order, then the Huawei-only ones.
    pub const ALL: [KeySpec; 13] = [
        Self::Aes256,
        Self::Aes128,
        Self::Sm4,
        Self::Rsa2048,
        Self::Rsa3072,
        Self::Rsa4096,
        Self::EcP256,
        Self::EcP256K,
        Self::EcSm2,
        Self::EcP384,
        Self::Hmac256,
        Self::Hmac384,
        Self::Hmac512,
    ];

    /// The specs Alibaba documents (ALIBABA.md §4.3): what Alibaba's CreateKey accepts.
    pub const ALIBABA: [KeySpec; 9] = [
        Self::Aes256,
        Self::Aes128,
        Self::Sm4,
        Self::Rsa2048,
        Self::Rsa3072,
        Self::Rsa4096,
        Self::EcP256,
        Self::EcP256K,
        Self::EcSm2,
    ];

    /// The Alibaba-style (and stored) name of the spec.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Aes256 => "Aliyun_AES_256",
            Self::Aes128 => "Aliyun_AES_128",
            Self::Sm4 => "Aliyun_SM4",
            Self::Rsa2048 => "RSA_2048",
            Self::Rsa3072 => "RSA_3072",
            Self::Rsa4096 => "RSA_4096",
            Self::EcP256 => "EC_P256",
            Self::EcP256K => "EC_P256K",
            Self::EcSm2 => "EC_SM2",
            Self::EcP384 => "EC_P384",
            Self::Hmac256 => "HMAC_256",
            Self::Hmac384 => "HMAC_384",
            Self::Hmac512 => "HMAC_512",
        }
    }

    /// Parses an Alibaba spec name (exact, case-sensitive): only the specs Alibaba documents
    /// ([`KeySpec::ALIBABA`]).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALIBABA.into_iter().find(|k| k.as_str() == s)
    }

    /// Parses any spec's [`as_str`](Self::as_str) name: the stored form.
    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Symmetric cipher specs (AES, SM4): the keys of Encrypt/Decrypt and data keys. HMAC keys
    /// are symmetric too but are not cipher keys: see [`is_hmac`](Self::is_hmac).
    pub fn is_symmetric(self) -> bool {
        matches!(self, Self::Aes256 | Self::Aes128 | Self::Sm4)
    }

    /// HMAC specs.
    pub fn is_hmac(self) -> bool {
        matches!(self, Self::Hmac256 | Self::Hmac384 | Self::Hmac512)
    }

    /// Asymmetric specs (RSA, ECDSA, SM2): the ones with a public key.
    pub fn is_asymmetric(self) -> bool {
        !self.is_symmetric() && !self.is_hmac()
    }

    /// Length in bytes of HMAC key material (32, 48, 64), `None` for other specs.
    pub fn hmac_len(self) -> Option<usize> {
        match self {
            Self::Hmac256 => Some(32),
            Self::Hmac384 => Some(48),
            Self::Hmac512 => Some(64),
            _ => None,
        }
    }

    /// Length in bytes of symmetric material, `None` for asymmetric specs.
    pub fn symmetric_len(self) -> Option<usize> {
        match self {
            Self::Aes256 => Some(32),
            Self::Aes128 | Self::Sm4 => Some(16),
            _ => None,
        }
    }

    /// The usages a key of this spec may have.
    pub fn allowed_usages(self) -> &'static [KeyUsage] {
        match self {
            Self::Aes256 | Self::Aes128 | Self::Sm4 => &[KeyUsage::EncryptDecrypt],
            Self::Rsa2048 | Self::Rsa3072 | Self::Rsa4096 | Self::EcSm2 => {
                &[KeyUsage::EncryptDecrypt, KeyUsage::SignVerify]
            }
            Self::EcP256 | Self::EcP256K | Self::EcP384 => &[KeyUsage::SignVerify],
            Self::Hmac256 | Self::Hmac384 | Self::Hmac512 => &[KeyUsage::GenerateVerifyMac],
        }
    }

    /// The usage chosen when the caller gives none.
    pub fn default_usage(self) -> KeyUsage {
        match self {
            Self::EcP256 | Self::EcP256K | Self::EcP384 => KeyUsage::SignVerify,
            Self::Hmac256 | Self::Hmac384 | Self::Hmac512 => KeyUsage::GenerateVerifyMac,
            _ => KeyUsage::EncryptDecrypt,
        }
    }

    /// Whether key material of this spec may be imported (EXTERNAL keys): every spec but HMAC
    /// (HUAWEI.md §1.4: "HMAC keys cannot be imported").
    pub fn importable(self) -> bool {
        !self.is_hmac()
    }
}

impl KeyUsage {
    /// Every usage.
    pub const ALL: [KeyUsage; 3] = [Self::EncryptDecrypt, Self::SignVerify, Self::GenerateVerifyMac];

    /// The Alibaba-style (and stored) name of the usage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EncryptDecrypt => "ENCRYPT/DECRYPT",
            Self::SignVerify => "SIGN/VERIFY",
            Self::GenerateVerifyMac => "GENERATE/VERIFY_MAC",
        }
    }

    /// Parses an Alibaba usage name: `ENCRYPT/DECRYPT` or `SIGN/VERIFY` (Alibaba documents no
    /// MAC usage).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ENCRYPT/DECRYPT" => Some(Self::EncryptDecrypt),
            "SIGN/VERIFY" => Some(Self::SignVerify),
            _ => None,
        }
    }

    /// Parses any usage's [`as_str`](Self::as_str) name: the stored form.
    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|u| u.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in KeySpec::ALL {
            assert_eq!(KeySpec::from_name(s.as_str()), Some(s));
            assert_eq!(KeySpec::parse(s.as_str()).is_some(), KeySpec::ALIBABA.contains(&s));
            assert!(s.allowed_usages().contains(&s.default_usage()));
            assert_eq!(s.allowed_usages()[0], s.default_usage());
        }
        for u in KeyUsage::ALL {
            assert_eq!(KeyUsage::from_name(u.as_str()), Some(u));
        }
        assert_eq!(KeySpec::parse("aliyun_aes_256"), None);
        assert_eq!(KeyUsage::parse("SIGN/VERIFY"), Some(KeyUsage::SignVerify));
    }

    #[test]
    fn alibaba_parsers_refuse_the_huawei_only_names() {
        for name in ["EC_P384", "HMAC_256", "HMAC_384", "HMAC_512"] {
            assert_eq!(KeySpec::parse(name), None, "{name}");
            assert!(KeySpec::from_name(name).is_some(), "{name}");
        }
        assert_eq!(KeyUsage::parse("GENERATE/VERIFY_MAC"), None);
        assert_eq!(KeyUsage::from_name("GENERATE/VERIFY_MAC"), Some(KeyUsage::GenerateVerifyMac));
        assert_eq!(KeySpec::ALIBABA.len() + 4, KeySpec::ALL.len());
    }

    #[test]
    fn kinds_partition_the_specs() {
        for s in KeySpec::ALL {
            let kinds = [s.is_symmetric(), s.is_hmac(), s.is_asymmetric()];
            assert_eq!(kinds.iter().filter(|&&k| k).count(), 1, "{s:?}");
            assert_eq!(s.hmac_len().is_some(), s.is_hmac());
            assert_eq!(s.importable(), !s.is_hmac());
        }
        assert_eq!(
            [KeySpec::Hmac256, KeySpec::Hmac384, KeySpec::Hmac512].map(|s| s.hmac_len()),
            [Some(32), Some(48), Some(64)]
        );
        assert_eq!(KeySpec::EcP384.allowed_usages(), &[KeyUsage::SignVerify]);
        assert_eq!(KeySpec::Hmac512.allowed_usages(), &[KeyUsage::GenerateVerifyMac]);
    }

    #[test]
    fn signing_only_specs_refuse_encryption() {
        assert!(!KeySpec::EcP256.allowed_usages().contains(&KeyUsage::EncryptDecrypt));
        assert!(!KeySpec::Aes256.allowed_usages().contains(&KeyUsage::SignVerify));
    }
}
