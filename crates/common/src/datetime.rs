//! FBA's datetime wire format: `YYYY-MM-DD HH:MM:SS` in `DATETIME_TIMEZONE` (Asia/Shanghai by
//! default), no `T`, no offset, no fraction. Use with `#[serde(with = "fba_common::datetime")]`
//! or `datetime::option` for `Option<DateTime<Utc>>`.

use std::sync::OnceLock;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serializer};

static TIMEZONE: OnceLock<chrono_tz::Tz> = OnceLock::new();

/// FBA's format string.
pub const FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// Sets the display time zone for this process (first call wins; default Asia/Shanghai).
pub fn set_timezone(tz: chrono_tz::Tz) {
    let _ = TIMEZONE.set(tz);
}

/// The display time zone.
pub fn timezone() -> chrono_tz::Tz {
    *TIMEZONE.get().unwrap_or(&chrono_tz::Asia::Shanghai)
}

/// Formats a UTC time as FBA shows it.
pub fn format(dt: &DateTime<Utc>) -> String {
    dt.with_timezone(&timezone()).format(FORMAT).to_string()
}

/// Parses FBA's format (in the display time zone) or RFC 3339.
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
        return Some(dt.with_timezone(&Utc));
    }
    let naive = NaiveDateTime::parse_from_str(text, FORMAT).ok()?;
    timezone()
        .from_local_datetime(&naive)
        .single()
        .map(|d| d.with_timezone(&Utc))
}

/// serde: serialise a `DateTime<Utc>` in FBA's format.
///
/// # Errors
/// Never for serialisation; deserialisation fails on unparsable text.
pub fn serialize<S: Serializer>(dt: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format(dt))
}

/// serde: parse FBA's format or RFC 3339.
///
/// # Errors
/// When the text is neither.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let text = String::deserialize(d)?;
    parse(&text).ok_or_else(|| serde::de::Error::custom(format!("invalid datetime {text:?}")))
}

/// The same for `Option<DateTime<Utc>>` (`null` when absent).
pub mod option {
    use super::*;

    /// serde: serialise.
    ///
    /// # Errors
    /// Never.
    pub fn serialize<S: Serializer>(dt: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match dt {
            Some(dt) => s.serialize_str(&super::format(dt)),
            None => s.serialize_none(),
        }
    }

    /// serde: deserialise.
    ///
    /// # Errors
    /// When the text is not a datetime.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        let text = Option::<String>::deserialize(d)?;
        text.map(|t| {
            super::parse(&t)
                .ok_or_else(|| serde::de::Error::custom(format!("invalid datetime {t:?}")))
        })
        .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_in_shanghai_time() {
        let dt = Utc.with_ymd_and_hms(2025, 6, 26, 12, 29, 6).unwrap();
        assert_eq!(format(&dt), "2025-06-26 20:29:06");
        assert_eq!(parse("2025-06-26 20:29:06"), Some(dt));
        assert_eq!(parse("2025-06-26T12:29:06Z"), Some(dt));
    }
}
