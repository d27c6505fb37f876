//! Dates as people read them in a terminal.

use time::{OffsetDateTime, format_description::well_known::Rfc3339, macros::format_description};

/// `2026-12-03 16:08 UTC`.
pub fn date(unix: i64) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| unix.to_string())
}

/// RFC 3339, for JSON and YAML.
pub fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| unix.to_string())
}

/// `364 days left`, `expired 3 days ago`, `starts in 2 days`.
pub fn remaining(not_before: i64, not_after: i64, now: i64) -> String {
    const DAY: i64 = 86_400;
    if now < not_before {
        format!("not valid for another {} days", (not_before - now).div_euclid(DAY))
    } else if now > not_after {
        format!("expired {} days ago", (now - not_after).div_euclid(DAY))
    } else {
        format!("{} days left", (not_after - now).div_euclid(DAY))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(date(0), "1970-01-01 00:00 UTC");
        assert_eq!(rfc3339(86_400), "1970-01-02T00:00:00Z");
        assert_eq!(remaining(0, 10 * 86_400, 86_400), "9 days left");
        assert_eq!(remaining(0, 86_400, 4 * 86_400), "expired 3 days ago");
        assert_eq!(remaining(2 * 86_400, 9 * 86_400, 0), "not valid for another 2 days");
    }
}
