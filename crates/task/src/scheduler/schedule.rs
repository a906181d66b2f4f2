//! When a `task_scheduler` entry is due: FBA's interval (`type=0`, `interval_every` ×
//! `interval_period`) and crontab (`type=1`, five fields `minute hour day_of_month
//! month_of_year day_of_week` evaluated in `DATETIME_TIMEZONE`, day of month AND day of week
//! both matching, 0 or 7 = Sunday, as Celery's `crontab`), and the entry's `args`/`kwargs` text.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use serde_json::{Map, Value};

use crate::error::TaskError;
use crate::model::task_scheduler::Model;

/// `type` 0.
pub const TYPE_INTERVAL: i32 = 0;
/// `type` 1.
pub const TYPE_CRONTAB: i32 = 1;

/// The units `interval_period` may name.
pub const INTERVAL_PERIODS: &[&str] = &["days", "hours", "minutes", "seconds", "microseconds"];

/// Parses FBA's five-field crontab.
///
/// # Errors
/// [`TaskError::InvalidCrontab`] when it does not have five fields or a field is invalid.
pub fn parse_crontab(text: &str) -> Result<Cron, TaskError> {
    if text.split_whitespace().count() != 5 {
        return Err(TaskError::InvalidCrontab);
    }
    CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .dom_and_dow(true)
        .build()
        .parse(text)
        .map_err(|_| TaskError::InvalidCrontab)
}

/// The length of `every` `period`s, when positive and known.
pub fn interval(every: i32, period: &str) -> Option<TimeDelta> {
    if every <= 0 {
        return None;
    }
    let every = i64::from(every);
    match period {
        "days" => TimeDelta::try_days(every),
        "hours" => TimeDelta::try_hours(every),
        "minutes" => TimeDelta::try_minutes(every),
        "seconds" => TimeDelta::try_seconds(every),
        "microseconds" => Some(TimeDelta::microseconds(every)),
        _ => None,
    }
}

/// An entry's schedule.
#[derive(Debug, Clone)]
pub enum Schedule {
    /// Every so long after the last run.
    Interval(TimeDelta),
    /// At the crontab's times in a time zone.
    Crontab(Box<Cron>, Tz),
}

impl Schedule {
    /// The schedule of `entry`, crontabs read in `tz`.
    ///
    /// # Errors
    /// Why it cannot be built (the scheduler disables such an entry, as FBA's beat does).
    pub fn of(entry: &Model, tz: Tz) -> Result<Self, String> {
        match entry.r#type {
            TYPE_INTERVAL => {
                let every = entry.interval_every.unwrap_or(0);
                let period = entry.interval_period.as_deref().unwrap_or("");
                interval(every, period)
                    .map(Self::Interval)
                    .ok_or_else(|| format!("invalid interval {every} {period:?}"))
            }
            TYPE_CRONTAB => {
                let text = entry.crontab.as_deref().unwrap_or("* * * * *");
                parse_crontab(text)
                    .map(|c| Self::Crontab(Box::new(c), tz))
                    .map_err(|_| format!("invalid crontab {text:?}"))
            }
            other => Err(format!("unknown type {other}")),
        }
    }

    /// The first due time after `last` (the last run).
    pub fn next_after(&self, last: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::Interval(every) => last.checked_add_signed(*every),
            Self::Crontab(cron, tz) => cron
                .find_next_occurrence(&last.with_timezone(tz), false)
                .ok()
                .map(|t| t.with_timezone(&Utc)),
        }
    }
}

/// Parses an entry's `args` text: a JSON array, or nothing.
///
/// # Errors
/// [`TaskError::InvalidArguments`] for text that is not a JSON array.
pub fn parse_args(text: Option<&str>) -> Result<Vec<Value>, TaskError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(Vec::new()),
        Some(t) => match serde_json::from_str::<Value>(t) {
            Ok(Value::Array(items)) => Ok(items),
            Ok(Value::Null) => Ok(Vec::new()),
            _ => Err(TaskError::InvalidArguments),
        },
    }
}

/// Parses an entry's `kwargs` text: a JSON object, or nothing.
///
/// # Errors
/// [`TaskError::InvalidArguments`] for text that is not a JSON object.
pub fn parse_kwargs(text: Option<&str>) -> Result<Map<String, Value>, TaskError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(Map::new()),
        Some(t) => match serde_json::from_str::<Value>(t) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(Value::Null) => Ok(Map::new()),
            _ => Err(TaskError::InvalidArguments),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn crontabs_have_five_valid_fields() {
        for ok in [
            "* * * * *",
            "1 * * * *",
            "0 0 * * 6",
            "0 0 15 * *",
            "*/5 9-17 * * 1-5",
            "0 0 * * 7",
        ] {
            assert!(parse_crontab(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "* * * *",
            "0 * * * * *",
            "61 * * * *",
            "x * * * *",
            "* * 32 * *",
        ] {
            assert!(parse_crontab(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn crontab_times_are_read_in_the_time_zone() {
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        let cron = Schedule::Crontab(Box::new(parse_crontab("0 8 * * *").unwrap()), tz);
        let last = Utc.with_ymd_and_hms(2026, 12, 6, 0, 30, 0).unwrap();
        // 08:00 in Shanghai is 00:00 UTC: the next one is the day after.
        assert_eq!(
            cron.next_after(last),
            Some(Utc.with_ymd_and_hms(2026, 12, 7, 0, 0, 0).unwrap())
        );
        // Sunday is 0 and 7; day of month and day of week must both match (Celery).
        let both = Schedule::Crontab(Box::new(parse_crontab("0 0 13 * 0").unwrap()), Tz::UTC);
        let next = both.next_after(last).unwrap();
        assert_eq!(next, Utc.with_ymd_and_hms(2026, 12, 13, 0, 0, 0).unwrap());
    }

    #[test]
    fn intervals_and_arguments() {
        assert_eq!(interval(30, "seconds"), Some(TimeDelta::seconds(30)));
        assert_eq!(interval(2, "days"), Some(TimeDelta::days(2)));
        assert_eq!(interval(0, "seconds"), None);
        assert_eq!(interval(1, "weeks"), None);
        assert_eq!(
            parse_args(Some(r#"["你好，"]"#)).unwrap(),
            vec![Value::from("你好，")]
        );
        assert!(parse_args(None).unwrap().is_empty());
        assert!(parse_args(Some("{}")).is_err());
        assert!(parse_args(Some("not json")).is_err());
        assert_eq!(parse_kwargs(Some(r#"{"world":"世界"}"#)).unwrap().len(), 1);
        assert!(parse_kwargs(Some("[]")).is_err());
    }
}
