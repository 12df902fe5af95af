//! Key specs and key usages (ALIBABA.md §4.3) and what each spec allows.

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
}

/// What a key may be used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyUsage {
    /// `ENCRYPT/DECRYPT`.
    EncryptDecrypt,
    /// `SIGN/VERIFY`.
    SignVerify,
}

impl KeySpec {
    /// Every spec, in documentation order.
    pub const ALL: [KeySpec; 9] = [
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

    /// The Alibaba name of the spec.
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
        }
    }

    /// Parses an Alibaba spec name (exact, case-sensitive).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Symmetric specs (AES, SM4).
    pub fn is_symmetric(self) -> bool {
        matches!(self, Self::Aes256 | Self::Aes128 | Self::Sm4)
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
            Self::EcP256 | Self::EcP256K => &[KeyUsage::SignVerify],
        }
    }

    /// The usage chosen when the caller gives none.
    pub fn default_usage(self) -> KeyUsage {
        match self {
            Self::EcP256 | Self::EcP256K => KeyUsage::SignVerify,
            _ => KeyUsage::EncryptDecrypt,
        }
    }
}

impl KeyUsage {
    /// The Alibaba name of the usage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EncryptDecrypt => "ENCRYPT/DECRYPT",
            Self::SignVerify => "SIGN/VERIFY",
        }
    }

    /// Parses an Alibaba usage name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ENCRYPT/DECRYPT" => Some(Self::EncryptDecrypt),
            "SIGN/VERIFY" => Some(Self::SignVerify),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in KeySpec::ALL {
            assert_eq!(KeySpec::parse(s.as_str()), Some(s));
            assert!(s.allowed_usages().contains(&s.default_usage()));
        }
        assert_eq!(KeySpec::parse("aliyun_aes_256"), None);
        assert_eq!(KeyUsage::parse("SIGN/VERIFY"), Some(KeyUsage::SignVerify));
    }

    #[test]
    fn signing_only_specs_refuse_encryption() {
        assert!(!KeySpec::EcP256.allowed_usages().contains(&KeyUsage::EncryptDecrypt));
        assert!(!KeySpec::Aes256.allowed_usages().contains(&KeyUsage::SignVerify));
    }
}
