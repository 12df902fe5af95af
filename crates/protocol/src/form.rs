//! `application/x-www-form-urlencoded` decoding and the RFC 3986 percent-encoding used for
//! signing (SIGNATURES.md, "Decoding parameters" and "Percent-encoding used for signing").

/// Decodes a query string or form body: split on `&`, then on the first `=`; `+` is a space;
/// `%XX` is a byte; invalid UTF-8 is replaced. Empty values are kept (`SignatureType=`).
/// Never panics, whatever the input.
pub fn decode(raw: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(raw).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// Percent-encodes `s` for signing: UTF-8 bytes; `A-Z a-z 0-9 - _ . ~` stay, every other byte
/// becomes `%XX` with upper-case hex (so a space is `%20`, `*` is `%2A`, `/` is `%2F`).
pub fn pct(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_plus_and_percent_and_keeps_empty_values() {
        let d = decode(b"a=b+c&SignatureType=&x=%2F%7E&bad=%zz&solo");
        assert_eq!(
            d,
            vec![
                ("a".into(), "b c".into()),
                ("SignatureType".into(), "".into()),
                ("x".into(), "/~".into()),
                ("bad".into(), "%zz".into()),
                ("solo".into(), "".into()),
            ]
        );
    }

    #[test]
    fn pct_follows_rfc3986() {
        assert_eq!(pct("a b*c~d/é"), "a%20b%2Ac~d%2F%C3%A9");
        assert_eq!(pct("2026-11-22T07:49:26Z"), "2026-11-22T07%3A49%3A26Z");
    }
}
