//! GetRandomPassword (ALIBABA.md §5.5): a random password from the included character classes
//! (lowercase, uppercase, digits, the 32 ASCII punctuation characters) minus
//! `ExcludeCharacters`. With `RequireEachIncludedType` (default) every included class that still
//! has characters appears at least once. Characters come from the system CSPRNG by rejection
//! sampling, and passwords missing a required class are redrawn, so every valid password is
//! equally likely.

use keyward_crypto::{SecretBytes, random};

use crate::error::Error;
use crate::service::{Caller, Kms};

/// Allowed `PasswordLength`.
pub const PASSWORD_LENGTH: std::ops::RangeInclusive<i64> = 8..=128;
/// Default `PasswordLength`.
pub const DEFAULT_PASSWORD_LENGTH: i64 = 32;
/// The punctuation class.
pub const PUNCTUATION: &str = r##"!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~"##;
const LOWERCASE: &str = "abcdefghijklmnopqrstuvwxyz";
const UPPERCASE: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const NUMBERS: &str = "0123456789";
/// Redraws before giving up (only reachable with absurd exclusions; each draw is independent).
const MAX_DRAWS: usize = 100_000;

/// A GetRandomPassword request; `Default` gives the documented defaults.
#[derive(Clone, Debug)]
pub struct PasswordRequest {
    /// `PasswordLength` (default 32).
    pub length: Option<i64>,
    /// `ExcludeCharacters`.
    pub exclude_characters: String,
    /// `ExcludeLowercase`.
    pub exclude_lowercase: bool,
    /// `ExcludeUppercase`.
    pub exclude_uppercase: bool,
    /// `ExcludeNumbers`.
    pub exclude_numbers: bool,
    /// `ExcludePunctuation`.
    pub exclude_punctuation: bool,
    /// `RequireEachIncludedType` (default true).
    pub require_each_included_type: bool,
}

impl Default for PasswordRequest {
    fn default() -> Self {
        Self {
            length: None,
            exclude_characters: String::new(),
            exclude_lowercase: false,
            exclude_uppercase: false,
            exclude_numbers: false,
            exclude_punctuation: false,
            require_each_included_type: true,
        }
    }
}

impl Kms {
    /// Generates a password (ASCII bytes).
    pub async fn get_random_password(&self, caller: &Caller, req: &PasswordRequest) -> Result<SecretBytes, Error> {
        self.authorize_arn(caller, "kms:GetRandomPassword", &self.collection_arn("*")).await?;
        let length = req.length.unwrap_or(DEFAULT_PASSWORD_LENGTH);
        if !PASSWORD_LENGTH.contains(&length) {
            return Err(Error::invalid("PasswordLength", "must be between 8 and 128"));
        }
        let length = length as usize;
        let classes: Vec<Vec<u8>> = [
            (LOWERCASE, req.exclude_lowercase),
            (UPPERCASE, req.exclude_uppercase),
            (NUMBERS, req.exclude_numbers),
            (PUNCTUATION, req.exclude_punctuation),
        ]
        .into_iter()
        .filter(|(_, excluded)| !excluded)
        .map(|(class, _)| {
            class.bytes().filter(|b| !req.exclude_characters.contains(char::from(*b))).collect::<Vec<u8>>()
        })
        .filter(|class| !class.is_empty())
        .collect();
        if classes.is_empty() {
            return Err(Error::invalid("ExcludeCharacters", "every character class is excluded"));
        }
        if req.require_each_included_type && classes.len() > length {
            return Err(Error::invalid("PasswordLength", "too short to include every character class"));
        }
        let alphabet: Vec<u8> = classes.concat();
        for _ in 0..MAX_DRAWS {
            let candidate = random::string_from(&alphabet, length)?.into_bytes();
            let complete = !req.require_each_included_type
                || classes.iter().all(|class| candidate.iter().any(|c| class.contains(c)));
            if complete {
                return Ok(SecretBytes::new(candidate));
            }
        }
        Err(Error::invalid("ExcludeCharacters", "too few characters remain to build a password"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::testkit::{admin, kms};

    #[tokio::test]
    async fn passwords_follow_the_rules() {
        let kms = kms().await;
        let p = kms.get_random_password(&admin(), &PasswordRequest::default()).await.unwrap();
        assert_eq!(p.len(), 32);
        let s = std::str::from_utf8(p.expose()).unwrap();
        for class in [LOWERCASE, UPPERCASE, NUMBERS, PUNCTUATION] {
            assert!(s.chars().any(|c| class.contains(c)), "{class}");
        }
        let req = PasswordRequest {
            length: Some(8),
            exclude_characters: "abcdefghijklmnopqrstuvwxy0123456789".into(),
            exclude_uppercase: true,
            exclude_punctuation: true,
            ..Default::default()
        };
        assert_eq!(kms.get_random_password(&admin(), &req).await.unwrap().expose(), b"zzzzzzzz");
        let req = PasswordRequest { length: Some(128), exclude_punctuation: true, ..Default::default() };
        let p = kms.get_random_password(&admin(), &req).await.unwrap();
        assert!(p.expose().iter().all(u8::is_ascii_alphanumeric) && p.len() == 128);
        assert_ne!(p.expose(), kms.get_random_password(&admin(), &req).await.unwrap().expose());

        for bad in [Some(7), Some(129)] {
            let req = PasswordRequest { length: bad, ..Default::default() };
            assert!(matches!(
                kms.get_random_password(&admin(), &req).await,
                Err(Error::InvalidParameter { name: "PasswordLength", .. })
            ));
        }
        let none = PasswordRequest {
            exclude_lowercase: true,
            exclude_uppercase: true,
            exclude_numbers: true,
            exclude_punctuation: true,
            ..Default::default()
        };
        assert!(kms.get_random_password(&admin(), &none).await.is_err());
        let emptied = PasswordRequest {
            exclude_characters: format!("{LOWERCASE}{UPPERCASE}{NUMBERS}{PUNCTUATION}"),
            ..Default::default()
        };
        assert!(kms.get_random_password(&admin(), &emptied).await.is_err());
    }

    #[tokio::test]
    async fn characters_are_roughly_uniform() {
        // 64 000 digits: each of the 10 should appear about 6 400 times; a biased sampler (e.g.
        // modulo without rejection) would still pass this, but a broken one would not.
        let kms = kms().await;
        let req = PasswordRequest {
            length: Some(128),
            exclude_lowercase: true,
            exclude_uppercase: true,
            exclude_punctuation: true,
            ..Default::default()
        };
        let mut counts = [0usize; 10];
        for _ in 0..500 {
            for b in kms.get_random_password(&admin(), &req).await.unwrap().expose() {
                counts[usize::from(b - b'0')] += 1;
            }
        }
        assert!(counts.iter().all(|&c| (5_600..7_200).contains(&c)), "{counts:?}");
    }
}
