//! The wildcard matcher of policy actions, resources, principals and `StringLike`: `*` matches any
//! run of characters (including none, and including `/` and `:`), `?` exactly one character.
//! There is no escape and no other metacharacter.
//!
//! The algorithm is the classic two-pointer matcher that only ever backtracks to the most recent
//! `*` (a later `*` subsumes every choice of an earlier one), so it runs in O(|pattern| ·
//! |text|) time in the worst case and O(|pattern| + |text|) on typical patterns, with no
//! recursion and no allocation: no exponential backtracking whatever the pattern (see the
//! pathological-pattern tests). Texts are `&str`, so `?` and the `*` restart step move by whole
//! UTF-8 characters.

/// Whether `text` matches `pattern`. `ascii_case_insensitive` folds ASCII letters (actions).
pub(crate) fn matches(pattern: &str, text: &str, ascii_case_insensitive: bool) -> bool {
    let p = pattern.as_bytes();
    let t = text.as_bytes();
    let (mut pi, mut ti) = (0usize, 0usize);
    // (pattern index just after the last `*`, text index that `*` currently stops at)
    let mut star: Option<(usize, usize)> = None;
    while let Some(&tb) = t.get(ti) {
        match p.get(pi) {
            Some(b'*') => {
                pi += 1;
                star = Some((pi, ti));
                continue;
            }
            Some(b'?') => {
                pi += 1;
                ti += char_len(tb);
                continue;
            }
            Some(&pb) if pb == tb || (ascii_case_insensitive && pb.eq_ignore_ascii_case(&tb)) => {
                pi += 1;
                ti += 1;
                continue;
            }
            _ => {}
        }
        // Mismatch: let the last `*` swallow one more character, or fail.
        let Some((sp, st)) = star else { return false };
        let Some(&sb) = t.get(st) else { return false };
        let next = st + char_len(sb);
        star = Some((sp, next));
        pi = sp;
        ti = next;
    }
    p.get(pi..).is_some_and(|rest| rest.iter().all(|&b| b == b'*'))
}

/// Length of the UTF-8 sequence that starts with `lead` (1 for a stray byte, which `&str` rules out).
fn char_len(lead: u8) -> usize {
    match lead {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::matches;
    use std::time::{Duration, Instant};

    /// Reference: dynamic programming over characters (obviously correct, quadratic).
    fn reference(pattern: &str, text: &str) -> bool {
        let p: Vec<char> = pattern.chars().collect();
        let t: Vec<char> = text.chars().collect();
        // dp[j] = pattern[..i] matches text[..j]
        let mut dp = vec![false; t.len() + 1];
        dp[0] = true;
        for &pc in &p {
            let mut next = vec![false; t.len() + 1];
            if pc == '*' {
                let mut any = false;
                for j in 0..=t.len() {
                    any |= dp[j];
                    next[j] = any;
                }
            } else {
                for j in 1..=t.len() {
                    next[j] = dp[j - 1] && (pc == '?' || pc == t[j - 1]);
                }
            }
            dp = next;
        }
        dp[t.len()]
    }

    #[test]
    fn table() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "", true),
            ("*", "anything/at:all", true),
            ("", "", true),
            ("", "a", false),
            ("a", "", false),
            ("?", "", false),
            ("?", "é", true),
            ("??", "é", false),
            ("key/?", "key/漢", true),
            ("acs:kms:*:*:alias/app-*", "acs:kms:cn-hangzhou:123:alias/app-orders", true),
            ("acs:kms:*:*:alias/app-*", "acs:kms:cn-hangzhou:123:alias/db-orders", false),
            ("acs:kms:*:*:secret/db/*", "acs:kms:r:1:secret/db/prod/pw", true),
            ("a*b*c", "abc", true),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "aXbYcZ", false),
            ("a*b*c*", "aXbYcZ", true),
            ("*a", "bbba", true),
            ("*a", "bbab", false),
            ("a**b", "ab", true),
            ("key-????", "key-abcd", true),
            ("key-????", "key-abc", false),
            ("Key", "key", false),
        ];
        for &(p, t, want) in cases {
            assert_eq!(matches(p, t, false), want, "{p:?} vs {t:?}");
            assert_eq!(reference(p, t), want, "reference {p:?} vs {t:?}");
        }
        assert!(matches("kms:get*", "KMS:GetSecretValue", true));
        assert!(!matches("kms:get*", "KMS:GetSecretValue", false));
        assert!(matches("kms:?ncrypt", "kms:Encrypt", true));
    }

    #[test]
    fn agrees_with_reference_on_random_inputs() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let alphabet = ['a', 'b', 'é', '/', '*', '?'];
        for _ in 0..20_000 {
            let mut gen_str = |wild: bool| -> String {
                let len = (next() % 9) as usize;
                (0..len)
                    .map(|_| {
                        let n = if wild { alphabet.len() } else { alphabet.len() - 2 };
                        alphabet[(next() % n as u64) as usize]
                    })
                    .collect()
            };
            let p = gen_str(true);
            let t = gen_str(false);
            assert_eq!(matches(&p, &t, false), reference(&p, &t), "{p:?} vs {t:?}");
        }
    }

    #[test]
    fn pathological_patterns_finish_fast() {
        // Exponential for a naive recursive matcher: many stars, a final mismatch.
        let pattern = format!("{}b", "a*".repeat(2000));
        let text = "a".repeat(20_000);
        let start = Instant::now();
        assert!(!matches(&pattern, &text, false));
        // Worst case of this algorithm (|p|·|t|): a long segment after one star.
        let pattern = format!("*{}b", "a".repeat(1000));
        assert!(!matches(&pattern, &text, false));
        assert!(matches(&pattern, &format!("{text}b"), false));
        // The policy size limit bounds patterns at 32 KiB; ARNs are short.
        let pattern = "*?".repeat(16 * 1024);
        assert!(!matches(&pattern, &"x".repeat(300), false));
        assert!(start.elapsed() < Duration::from_secs(5), "took {:?}", start.elapsed());
    }
}
