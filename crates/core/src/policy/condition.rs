//! Condition operators of policy statements and the typed values they compare: strings, IP
//! ranges (CIDR, IPv4 and IPv6), instants (ISO 8601 or epoch seconds) and booleans.
//!
//! Values are parsed once, when the policy is parsed; the request context holds strings (as RAM
//! and AWS do), parsed per comparison. A context value that does not parse as the operator's type
//! (an IP that is not an IP, a date that is not a date) matches nothing.

use std::net::IpAddr;

use super::glob;

/// The operators understood, by name. The `Not` forms are the negation of their positive form:
/// true when no value matches, and true when the context key is missing.
pub(crate) const OPERATORS: &[(&str, Kind, bool)] = &[
    ("StringEquals", Kind::StringEquals, false),
    ("StringNotEquals", Kind::StringEquals, true),
    ("StringEqualsIgnoreCase", Kind::StringEqualsIgnoreCase, false),
    ("StringNotEqualsIgnoreCase", Kind::StringEqualsIgnoreCase, true),
    ("StringLike", Kind::StringLike, false),
    ("StringNotLike", Kind::StringLike, true),
    ("IpAddress", Kind::IpAddress, false),
    ("NotIpAddress", Kind::IpAddress, true),
    ("DateGreaterThan", Kind::DateGreaterThan, false),
    ("DateGreaterThanEquals", Kind::DateGreaterThanEquals, false),
    ("DateLessThan", Kind::DateLessThan, false),
    ("DateLessThanEquals", Kind::DateLessThanEquals, false),
    ("Bool", Kind::Bool, false),
];

/// What an operator compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    IpAddress,
    DateGreaterThan,
    DateGreaterThanEquals,
    DateLessThan,
    DateLessThanEquals,
    Bool,
}

/// The values of one condition, already parsed for its operator.
#[derive(Debug, Clone)]
pub(crate) enum Values {
    /// StringEquals, StringLike (as written) and StringEqualsIgnoreCase (lowercased).
    Strings(Vec<String>),
    Cidrs(Vec<Cidr>),
    /// Milliseconds since the Unix epoch.
    Instants(Vec<i64>),
    Bools(Vec<bool>),
}

impl Values {
    /// Parses the policy's values (already flattened to strings) for `kind`; the error says which
    /// value is bad.
    pub(crate) fn parse(kind: Kind, raw: Vec<String>) -> Result<Self, String> {
        Ok(match kind {
            Kind::StringEquals | Kind::StringLike => Self::Strings(raw),
            Kind::StringEqualsIgnoreCase => Self::Strings(raw.iter().map(|s| s.to_lowercase()).collect()),
            Kind::IpAddress => Self::Cidrs(
                raw.iter()
                    .map(|s| Cidr::parse(s).ok_or_else(|| format!("{} is not an IP address or CIDR", shown(s))))
                    .collect::<Result<_, _>>()?,
            ),
            Kind::DateGreaterThan | Kind::DateGreaterThanEquals | Kind::DateLessThan | Kind::DateLessThanEquals => {
                Self::Instants(
                    raw.iter()
                        .map(|s| {
                            parse_instant_ms(s)
                                .ok_or_else(|| format!("{} is not an ISO 8601 date-time or epoch seconds", shown(s)))
                        })
                        .collect::<Result<_, _>>()?,
                )
            }
            Kind::Bool => Self::Bools(
                raw.iter()
                    .map(|s| parse_bool(s).ok_or_else(|| format!("{} is not true or false", shown(s))))
                    .collect::<Result<_, _>>()?,
            ),
        })
    }

    /// Whether the context value matches any of the values under `kind` (the positive form).
    pub(crate) fn any_matches(&self, kind: Kind, actual: &str) -> bool {
        match self {
            Self::Strings(values) => match kind {
                Kind::StringEqualsIgnoreCase => {
                    let actual = actual.to_lowercase();
                    values.contains(&actual)
                }
                Kind::StringLike => values.iter().any(|v| glob::matches(v, actual, false)),
                _ => values.iter().any(|v| v == actual),
            },
            Self::Cidrs(cidrs) => actual.parse::<IpAddr>().is_ok_and(|ip| cidrs.iter().any(|c| c.contains(ip))),
            Self::Instants(instants) => parse_instant_ms(actual).is_some_and(|t| {
                instants.iter().any(|&v| match kind {
                    Kind::DateGreaterThan => t > v,
                    Kind::DateGreaterThanEquals => t >= v,
                    Kind::DateLessThan => t < v,
                    _ => t <= v,
                })
            }),
            Self::Bools(bools) => parse_bool(actual).is_some_and(|b| bools.contains(&b)),
        }
    }
}

/// At most 64 characters of a policy value, quoted, for error messages.
pub(crate) fn shown(s: &str) -> String {
    let mut out: String = s.chars().take(64).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    format!("{out:?}")
}

fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// An IP range: an address and a prefix length. IPv4-mapped IPv6 addresses count as IPv4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cidr {
    V4(u32, u32),
    V6(u128, u32),
}

impl Cidr {
    /// `addr` (a single host) or `addr/len`; `None` for anything else. Host bits may be set
    /// (`10.1.2.3/8` is `10.0.0.0/8`), as RAM accepts.
    pub(crate) fn parse(s: &str) -> Option<Self> {
        let (addr, len) = match s.split_once('/') {
            Some((a, l)) => {
                if l.is_empty() || l.len() > 3 || !l.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                (a, Some(l.parse::<u32>().ok()?))
            }
            None => (s, None),
        };
        match normalize(addr.parse::<IpAddr>().ok()?) {
            IpAddr::V4(a) => {
                let len = len.unwrap_or(32);
                (len <= 32).then(|| Self::V4(u32::from(a), len))
            }
            IpAddr::V6(a) => {
                let len = len.unwrap_or(128);
                (len <= 128).then(|| Self::V6(u128::from(a), len))
            }
        }
    }

    pub(crate) fn contains(self, ip: IpAddr) -> bool {
        match (self, normalize(ip)) {
            (Self::V4(net, len), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
                (u32::from(a) & mask) == (net & mask)
            }
            (Self::V6(net, len), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
                (u128::from(a) & mask) == (net & mask)
            }
            _ => false,
        }
    }
}

fn normalize(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// Milliseconds since the Unix epoch from epoch seconds (1–12 digits) or an ISO 8601 date-time
/// `YYYY-MM-DDTHH:MM:SS[.fff…](Z|±HH:MM)` (years 1970–9999). `None` for anything else.
pub(crate) fn parse_instant_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if !b.is_empty() && b.len() <= 12 && b.iter().all(u8::is_ascii_digit) {
        return s.parse::<i64>().ok()?.checked_mul(1000);
    }
    let num = |from: usize, len: usize| -> Option<i64> {
        let digits = b.get(from..from + len)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        digits.iter().try_fold(0i64, |acc, d| acc.checked_mul(10)?.checked_add(i64::from(d - b'0')))
    };
    let sep = |at: usize, c: u8| b.get(at) == Some(&c);
    if !(sep(4, b'-') && sep(7, b'-') && sep(10, b'T') && sep(13, b':') && sep(16, b':')) {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if year < 1970 || !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut at = 19;
    let mut millis = 0i64;
    if sep(at, b'.') {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            if at - start < 3 {
                millis = millis * 10 + i64::from(b.get(at).copied().unwrap_or(b'0') - b'0');
            }
            at += 1;
        }
        let digits = at - start;
        if digits == 0 || digits > 9 {
            return None;
        }
        for _ in digits..3 {
            millis *= 10;
        }
    }
    let offset_minutes = match b.get(at) {
        Some(b'Z') if at + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) if at + 6 == b.len() && sep(at + 3, b':') => {
            let (oh, om) = (num(at + 1, 2)?, num(at + 4, 2)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let m = oh * 60 + om;
            if sign == b'+' { m } else { -m }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds * 1000 + millis)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// ISO 8601 UTC with milliseconds, for putting the current time into a request context.
pub(crate) fn format_instant_ms(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    // civil_from_days (H. Hinnant)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants() {
        assert_eq!(parse_instant_ms("0"), Some(0));
        assert_eq!(parse_instant_ms("1700000000"), Some(1_700_000_000_000));
        assert_eq!(parse_instant_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_instant_ms("2023-11-14T22:13:20Z"), Some(1_700_000_000_000));
        assert_eq!(parse_instant_ms("2023-11-14T22:13:20.5Z"), Some(1_700_000_000_500));
        assert_eq!(parse_instant_ms("2023-11-14T22:13:20.123456Z"), Some(1_700_000_000_123));
        assert_eq!(parse_instant_ms("2023-11-15T06:13:20+08:00"), Some(1_700_000_000_000));
        assert_eq!(parse_instant_ms("2023-11-14T21:13:20-01:00"), Some(1_700_000_000_000));
        assert_eq!(parse_instant_ms("2024-02-29T00:00:00Z"), Some(1_709_164_800_000));
        for bad in [
            "",
            "-1",
            "1.5",
            "1234567890123",
            "2023-02-29T00:00:00Z",
            "2023-13-01T00:00:00Z",
            "2023-11-14T24:00:00Z",
            "2023-11-14T22:13:20",
            "2023-11-14 22:13:20Z",
            "2023-11-14T22:13:20.Z",
            "2023-11-14T22:13:20Zjunk",
            "2023-11-14T22:13:20+0800",
            "1969-12-31T23:59:59Z",
            "２０２３-11-14T22:13:20Z",
            "2023-11-14T22:13:2é",
        ] {
            assert_eq!(parse_instant_ms(bad), None, "{bad:?}");
        }
        for ms in [0, 1, 999, 1_700_000_000_123, 1_709_164_800_000, 253_402_300_799_999] {
            assert_eq!(parse_instant_ms(&format_instant_ms(ms)), Some(ms), "{ms}");
        }
        assert_eq!(format_instant_ms(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
    }

    #[test]
    fn cidrs() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let c = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(c.contains(ip("10.255.1.2")));
        assert!(c.contains(ip("::ffff:10.1.1.1")));
        assert!(!c.contains(ip("11.0.0.1")));
        assert!(!c.contains(ip("2001:db8::1")));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert!(Cidr::parse("192.168.1.7").unwrap().contains(ip("192.168.1.7")));
        assert!(!Cidr::parse("192.168.1.7").unwrap().contains(ip("192.168.1.8")));
        assert!(Cidr::parse("10.1.2.3/8").unwrap().contains(ip("10.9.9.9")));
        let v6 = Cidr::parse("2001:db8::/32").unwrap();
        assert!(v6.contains(ip("2001:db8:ffff::1")));
        assert!(!v6.contains(ip("2001:db9::1")));
        assert!(!v6.contains(ip("10.0.0.1")));
        assert!(Cidr::parse("::/0").unwrap().contains(ip("::1")));
        assert!(Cidr::parse("::1/128").unwrap().contains(ip("::1")));
        for bad in ["", "/", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0/8", "10.0.0.0/-1", "10.0.0.0/+8", "x/8"] {
            assert_eq!(Cidr::parse(bad), None, "{bad:?}");
        }
        assert_eq!(Cidr::parse("10.0.0.0/0008"), None);
    }
}
