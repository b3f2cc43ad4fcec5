//! Parsers for HubSpot property values.
//!
//! HubSpot sends every property as a string or null, or leaves it out when empty (`"5000"`, `"false"`,
//! `"2024-09-11T13:27:39.356Z"`, sometimes epoch milliseconds `"1572480000000"`). Missing, null and
//! `""` mean the same thing. A value that does not parse is missing data: every parser here returns
//! `None` for it and never panics, so one odd record cannot stop a sync.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// The trimmed value, or `None` when it is absent or blank.
pub fn text(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// A finite decimal number: `"5000"`, `"5000.50"`, `"-3"`, `"1e3"`. Blank, `"null"`, `"n/a"`, NaN,
/// infinities and anything else that is not a plain number give `None`.
pub fn number(value: Option<&str>) -> Option<f64> {
    let raw = text(value)?;
    // Rust's float grammar also accepts "inf", "NaN" and "infinity": none is an amount.
    let looks_numeric = raw
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'));
    if !looks_numeric {
        return None;
    }
    raw.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// A whole number: `"42"`, `"-7"`, also `"42.0"` and `"1e3"` when the value is integral and fits.
pub fn integer(value: Option<&str>) -> Option<i64> {
    let raw = text(value)?;
    if let Ok(n) = raw.parse::<i64>() {
        return Some(n);
    }
    let n = number(Some(raw))?;
    // 2^63 is exactly representable; anything at or above it does not fit an i64.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    (n.fract() == 0.0 && (-LIMIT..LIMIT).contains(&n)).then_some(n as i64)
}

/// `"true"` or `"false"`, in any case; anything else gives `None`.
pub fn boolean(value: Option<&str>) -> Option<bool> {
    let raw = text(value)?;
    if raw.eq_ignore_ascii_case("true") {
        Some(true)
    } else if raw.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// A point in time: ISO 8601 / RFC 3339 with or without fraction and offset (no offset means UTC),
/// a date alone (`"2024-09-11"`, midnight UTC), or epoch milliseconds (`"1572480000000"`).
pub fn datetime(value: Option<&str>) -> Option<DateTime<Utc>> {
    let raw = text(value)?;
    let digits = raw.strip_prefix('-').unwrap_or(raw);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return raw
            .parse::<i64>()
            .ok()
            .and_then(DateTime::from_timestamp_millis);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Some(at.with_timezone(&Utc));
    }
    // Offsets written without a colon ("+0000").
    if let Ok(at) = DateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Some(at.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(at) = NaiveDateTime::parse_from_str(raw, format) {
            return Some(at.and_utc());
        }
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|at| at.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).single().unwrap()
    }

    #[test]
    fn text_trims_and_treats_blank_as_missing() {
        assert_eq!(text(Some("  Acme ")), Some("Acme"));
        assert_eq!(text(Some("")), None);
        assert_eq!(text(Some(" \t\n")), None);
        assert_eq!(text(None), None);
    }

    #[test]
    fn number_accepts_hubspot_amounts() {
        assert_eq!(number(Some("5000")), Some(5000.0));
        assert_eq!(number(Some("5000.50")), Some(5000.5));
        assert_eq!(number(Some(" -3 ")), Some(-3.0));
        assert_eq!(number(Some("1e3")), Some(1000.0));
        assert_eq!(number(Some("10000.01")), Some(10_000.01));
    }

    #[test]
    fn number_treats_malformed_values_as_missing() {
        for junk in [
            "", " ", "null", "NULL", "n/a", "NaN", "nan", "inf", "-inf", "infinity", "abc",
            "5,000", "$5000", "5000 USD", "1e999", "--3", "1.2.3", ".", "e",
        ] {
            assert_eq!(number(Some(junk)), None, "{junk:?} should be missing");
        }
        assert_eq!(number(None), None);
    }

    #[test]
    fn integer_accepts_whole_numbers_only() {
        assert_eq!(integer(Some("42")), Some(42));
        assert_eq!(integer(Some(" -7 ")), Some(-7));
        assert_eq!(integer(Some("42.0")), Some(42));
        assert_eq!(integer(Some("1e3")), Some(1000));
        assert_eq!(integer(Some("42.5")), None);
        assert_eq!(integer(Some("1e30")), None);
        assert_eq!(integer(Some("9223372036854775807")), Some(i64::MAX));
        assert_eq!(integer(Some("9223372036854775808")), None);
        assert_eq!(integer(Some("seven")), None);
        assert_eq!(integer(Some("")), None);
        assert_eq!(integer(None), None);
    }

    #[test]
    fn boolean_is_case_insensitive_and_strict() {
        assert_eq!(boolean(Some("true")), Some(true));
        assert_eq!(boolean(Some("FALSE")), Some(false));
        assert_eq!(boolean(Some(" True ")), Some(true));
        assert_eq!(boolean(Some("yes")), None);
        assert_eq!(boolean(Some("1")), None);
        assert_eq!(boolean(Some("")), None);
        assert_eq!(boolean(None), None);
    }

    #[test]
    fn datetime_accepts_iso_with_and_without_fraction_and_offset() {
        let base = utc(2024, 9, 11, 13, 27, 39);
        assert_eq!(
            datetime(Some("2024-09-11T13:27:39.356Z")),
            Some(base + chrono::Duration::milliseconds(356))
        );
        assert_eq!(datetime(Some("2024-09-11T13:27:39Z")), Some(base));
        assert_eq!(datetime(Some("2024-09-11T15:27:39+02:00")), Some(base));
        assert_eq!(datetime(Some("2024-09-11T15:27:39+0200")), Some(base));
        assert_eq!(datetime(Some("2024-09-11T13:27:39")), Some(base));
        assert_eq!(
            datetime(Some("2024-09-11T13:27:39.5")),
            Some(base + chrono::Duration::milliseconds(500))
        );
    }

    #[test]
    fn datetime_accepts_date_only_and_epoch_milliseconds() {
        assert_eq!(
            datetime(Some("2024-09-11")),
            Some(utc(2024, 9, 11, 0, 0, 0))
        );
        assert_eq!(
            datetime(Some("1572480000000")),
            Some(utc(2019, 10, 31, 0, 0, 0))
        );
        assert_eq!(datetime(Some("0")), Some(utc(1970, 1, 1, 0, 0, 0)));
    }

    #[test]
    fn datetime_treats_malformed_values_as_missing() {
        for junk in [
            "",
            "null",
            "yesterday",
            "2024-13-01",
            "2024-02-30",
            "2024-09-11T25:00:00Z",
            "11/09/2024",
            "99999999999999999999999",
            "-",
            "2024-09-11Tjunk",
        ] {
            assert_eq!(datetime(Some(junk)), None, "{junk:?} should be missing");
        }
        assert_eq!(datetime(None), None);
    }

    proptest! {
        #[test]
        fn arbitrary_strings_never_panic(s in any::<String>()) {
            let _ = text(Some(&s));
            let _ = number(Some(&s));
            let _ = integer(Some(&s));
            let _ = boolean(Some(&s));
            let _ = datetime(Some(&s));
        }

        #[test]
        fn numeric_looking_strings_never_panic_and_parse_finite(s in "[-+0-9.eE]{0,40}") {
            if let Some(n) = number(Some(&s)) {
                prop_assert!(n.is_finite());
            }
            let _ = integer(Some(&s));
            let _ = datetime(Some(&s));
        }

        #[test]
        fn epoch_milliseconds_round_trip(ms in -8_000_000_000_000i64..8_000_000_000_000i64) {
            let parsed = datetime(Some(&ms.to_string()));
            prop_assert_eq!(parsed.map(|d| d.timestamp_millis()), Some(ms));
        }
    }
}
