//! `Retry-After` (RFC 9110 §10.2.3): a delay in seconds or an HTTP-date.
//!
//! The core has no clock, so a parsed value keeps the form it was sent in and
//! is turned into a wait with [`RetryAfter::seconds_from`], given the time.
//! Every wait is clamped to [`RetryAfter::MIN_SECONDS`]`..=`[`RetryAfter::MAX_SECONDS`].
//!
//! ```
//! use enlist_core::RetryAfter;
//!
//! let now = 1_445_412_450; // Wed, 21 Oct 2015 07:27:30 GMT
//! assert_eq!(RetryAfter::parse("120").map(|r| r.seconds_from(now)), Some(120));
//! let date = RetryAfter::parse("Wed, 21 Oct 2015 07:28:00 GMT");
//! assert_eq!(date.map(|r| r.seconds_from(now)), Some(30));
//! assert_eq!(RetryAfter::parse("soon"), None);
//! ```

use serde::{Serialize, Serializer};

/// When a server asks to be called again, in the form it said it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryAfter {
    /// `delay-seconds`, already clamped to the documented range.
    Seconds(u64),
    /// An HTTP-date, as seconds since the Unix epoch (UTC).
    At(u64),
}

impl RetryAfter {
    /// The shortest wait reported: one second, so that a `0`, a negative
    /// delay or a date in the past never invites a tight retry loop.
    pub const MIN_SECONDS: u64 = 1;
    /// The longest wait reported: one day.
    pub const MAX_SECONDS: u64 = 86_400;

    /// Reads a `Retry-After` value: digits (a leading `-` reads as "now";
    /// too many digits read as the maximum) or an HTTP-date in any of the
    /// three forms RFC 9110 §5.6.7 asks recipients to accept (IMF-fixdate,
    /// RFC 850, asctime). Anything else is `None`.
    ///
    /// ```
    /// use enlist_core::RetryAfter;
    /// assert_eq!(RetryAfter::parse(" 7 "), Some(RetryAfter::Seconds(7)));
    /// assert_eq!(RetryAfter::parse("-3"), Some(RetryAfter::Seconds(1)));
    /// assert_eq!(RetryAfter::parse("99999999999999999999999"), Some(RetryAfter::Seconds(86_400)));
    /// assert_eq!(RetryAfter::parse("Sun, 06 Nov 1994 08:49:37 GMT"), Some(RetryAfter::At(784_111_777)));
    /// ```
    pub fn parse(value: &str) -> Option<RetryAfter> {
        let v = value.trim();
        let (negative, digits) = match v.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, v),
        };
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            let seconds = if negative {
                0
            } else {
                // More digits than a u64 holds is still "a very long time".
                crate::json::parse_u64(digits).unwrap_or(u64::MAX)
            };
            return Some(RetryAfter::Seconds(clamp(seconds)));
        }
        parse_http_date(v).map(RetryAfter::At)
    }

    /// The wait in seconds at `now` (seconds since the Unix epoch), clamped to
    /// `MIN_SECONDS..=MAX_SECONDS`.
    ///
    /// ```
    /// use enlist_core::RetryAfter;
    /// assert_eq!(RetryAfter::At(1_000).seconds_from(900), 100);
    /// assert_eq!(RetryAfter::At(1_000).seconds_from(5_000), 1); // in the past
    /// assert_eq!(RetryAfter::At(u64::MAX).seconds_from(0), 86_400);
    /// ```
    pub fn seconds_from(self, now: u64) -> u64 {
        match self {
            RetryAfter::Seconds(s) => clamp(s),
            RetryAfter::At(at) => clamp(at.saturating_sub(now)),
        }
    }
}

/// Serialized as the number of seconds for a delay, and as
/// `{"at": <Unix seconds>}` for a date (which needs a clock to become a wait).
impl Serialize for RetryAfter {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match *self {
            RetryAfter::Seconds(n) => s.serialize_u64(n),
            RetryAfter::At(at) => {
                let mut map = s.serialize_map(Some(1))?;
                map.serialize_entry("at", &at)?;
                map.end()
            }
        }
    }
}

fn clamp(seconds: u64) -> u64 {
    seconds.clamp(RetryAfter::MIN_SECONDS, RetryAfter::MAX_SECONDS)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const LONG_DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// An HTTP-date as Unix seconds, or `None`. The day name is checked for form
/// only (senders get it wrong more often than the date).
fn parse_http_date(v: &str) -> Option<u64> {
    let parts: Vec<&str> = v.split_ascii_whitespace().collect();
    match parts.as_slice() {
        // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
        [day, dd, mon, yyyy, time, "GMT"] => {
            let day = day.strip_suffix(',')?;
            if !DAYS.contains(&day) || dd.len() != 2 || yyyy.len() != 4 {
                return None;
            }
            unix(number(yyyy)?, month(mon)?, number(dd)?, time)
        }
        // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
        [day, date, time, "GMT"] => {
            let day = day.strip_suffix(',')?;
            if !LONG_DAYS.contains(&day) {
                return None;
            }
            let mut fields = date.split('-');
            let (dd, mon, yy) = (fields.next()?, fields.next()?, fields.next()?);
            if fields.next().is_some() || dd.len() != 2 || yy.len() != 2 {
                return None;
            }
            // RFC 9110: a two-digit year more than 50 years ahead is in the past.
            let yy = number(yy)?;
            let year = if yy < 70 { 2000 + yy } else { 1900 + yy };
            unix(year, month(mon)?, number(dd)?, time)
        }
        // asctime: Sun Nov  6 08:49:37 1994
        [day, mon, d, time, yyyy] => {
            if !DAYS.contains(day) || d.is_empty() || d.len() > 2 || yyyy.len() != 4 {
                return None;
            }
            unix(number(yyyy)?, month(mon)?, number(d)?, time)
        }
        _ => None,
    }
}

fn number(s: &str) -> Option<u64> {
    crate::json::parse_u64(s)
}

fn month(s: &str) -> Option<u64> {
    MONTHS.iter().position(|m| *m == s).map(|i| i as u64 + 1)
}

/// Seconds since 1970-01-01T00:00:00Z for a checked calendar date and an
/// `HH:MM:SS` time.
fn unix(year: u64, month: u64, day: u64, time: &str) -> Option<u64> {
    let mut hms = time.split(':');
    let (h, m, s) = (hms.next()?, hms.next()?, hms.next()?);
    if hms.next().is_some() || h.len() != 2 || m.len() != 2 || s.len() != 2 {
        return None;
    }
    let (h, m, s) = (number(h)?, number(m)?, number(s)?);
    // 60 is a leap second, which Unix time folds into the next minute.
    if !(1970..=9999).contains(&year) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let days_in_month = *month_days.get(usize::try_from(month.checked_sub(1)?).ok()?)?;
    if day == 0 || day > days_in_month {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + h * 3_600 + m * 60 + s)
}

/// Days from 1970-01-01 to a date on or after it (the proleptic Gregorian
/// calendar, counted in 400-year eras that start on 1 March).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12; // March = 0
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_are_clamped() {
        let cases = [
            ("120", Some(RetryAfter::Seconds(120))),
            (" 5 ", Some(RetryAfter::Seconds(5))),
            ("0", Some(RetryAfter::Seconds(1))),
            ("-1", Some(RetryAfter::Seconds(1))),
            ("-99999999999999999999999", Some(RetryAfter::Seconds(1))),
            ("99999999", Some(RetryAfter::Seconds(86_400))),
            ("184467440737095516160", Some(RetryAfter::Seconds(86_400))),
            ("", None),
            ("-", None),
            ("1.5", None),
            ("+5", None),
            ("5s", None),
            ("soon", None),
        ];
        for (value, expected) in cases {
            assert_eq!(RetryAfter::parse(value), expected, "{value:?}");
        }
    }

    #[test]
    fn the_three_date_forms_agree() {
        // RFC 9110 §5.6.7's example, in each form.
        let expected = Some(RetryAfter::At(784_111_777));
        for value in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(RetryAfter::parse(value), expected, "{value:?}");
        }
    }

    #[test]
    fn dates_match_known_unix_times() {
        let cases = [
            ("Thu, 01 Jan 1970 00:00:00 GMT", 0),
            ("Tue, 29 Feb 2000 12:00:00 GMT", 951_825_600),
            ("Sat, 31 Dec 2039 23:59:59 GMT", 2_208_988_799),
            ("Wed, 21 Oct 2015 07:28:00 GMT", 1_445_412_480),
            ("Tuesday, 01-Jan-30 00:00:00 GMT", 1_893_456_000),
        ];
        for (value, unix) in cases {
            assert_eq!(
                RetryAfter::parse(value),
                Some(RetryAfter::At(unix)),
                "{value}"
            );
        }
    }

    #[test]
    fn malformed_dates_are_refused() {
        for value in [
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 31 Feb 1994 08:49:37 GMT",
            "Sun, 29 Feb 2100 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:49 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Xyz, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1969 08:49:37 GMT",
            "Sun 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sun Nov 123 08:49:37 1994",
            "Sun, 00 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(RetryAfter::parse(value), None, "{value:?}");
        }
    }

    #[test]
    fn waits_from_a_clock() {
        let at = RetryAfter::At(1_000_000);
        assert_eq!(at.seconds_from(999_970), 30);
        assert_eq!(at.seconds_from(1_000_000), 1);
        assert_eq!(at.seconds_from(2_000_000), 1);
        assert_eq!(at.seconds_from(0), 86_400);
        assert_eq!(RetryAfter::Seconds(9).seconds_from(u64::MAX), 9);
    }

    #[test]
    fn serialized_forms() {
        let json = |r: RetryAfter| serde_json::to_string(&r).unwrap();
        assert_eq!(json(RetryAfter::Seconds(7)), "7");
        assert_eq!(json(RetryAfter::At(42)), r#"{"at":42}"#);
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_stays_in_range(value in "\\PC{0,40}", now in proptest::num::u64::ANY) {
            if let Some(r) = RetryAfter::parse(&value) {
                let s = r.seconds_from(now);
                proptest::prop_assert!((RetryAfter::MIN_SECONDS..=RetryAfter::MAX_SECONDS).contains(&s));
            }
        }
    }
}
