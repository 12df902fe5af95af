//! The wire time format of every response field and signature timestamp:
//! `yyyy-MM-ddTHH:mm:ssZ`, UTC, no fractional seconds (ALIBABA.md §1.5).

use time::OffsetDateTime;
use time::format_description::FormatItem;
use time::macros::format_description;

const FORMAT: &[FormatItem<'static>] = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

/// Formats Unix seconds as `yyyy-MM-ddTHH:mm:ssZ`. Out-of-range values clamp to the epoch.
pub fn format(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH).format(FORMAT).unwrap_or_default()
}

/// Parses `yyyy-MM-ddTHH:mm:ssZ` into Unix seconds; `None` for anything else.
pub fn parse(s: &str) -> Option<i64> {
    time::PrimitiveDateTime::parse(s, FORMAT).ok().map(|t| t.assume_utc().unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejects() {
        assert_eq!(format(1_459_134_788), "2016-03-28T03:13:08Z");
        assert_eq!(parse("2016-03-28T03:13:08Z"), Some(1_459_134_788));
        for bad in ["", "2016-03-28 03:13:08", "2016-03-28T03:13:08", "2016-13-28T03:13:08Z", "x"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
