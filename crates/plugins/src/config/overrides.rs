//! The run-time overrides of the login and password settings (FBA's `utils/dynamic_config.py`,
//! contract §6.3), read from the `LOGIN` and `USER_SECURITY` rows through the cache, so a change
//! made on one replica reaches every replica at its next read, without a restart.
//!
//! - [`overrides`]: the pure mapping from rows to [`Overrides`], with FBA's parsing (a boolean
//!   is `value == "true"`, an integer is the trimmed text as a number). A group is ignored
//!   while its status key (`LOGIN_CONFIG_STATUS`, `USER_SECURITY_CONFIG_STATUS`) is `"0"`. A
//!   value that is not an integer, or is outside the range the setting accepts at start-up, is
//!   ignored and logged (FBA would answer 500 on the next login).
//! - [`consistent_lengths`]: drops password-length overrides that would make the minimum
//!   exceed the maximum.
//! - [`current_overrides`]: both, over the cached rows of the app.
//!
//! Unlike FBA, nothing sticks in the process: a deleted row or a group switched off falls back
//! to the start-up setting. As in FBA, the rows apply while the plugin is compiled in, whether
//! its routes are switched on or not.

use std::collections::HashMap;

use fba_common::overrides::SettingsOverrides;
use fba_common::{AppResult, AppState};
use fba_core_conf::UserSecuritySettings;

pub use fba_common::overrides::Overrides;

use super::model::Model;
use super::service;

/// FBA's `ConfigType.login`.
pub const TYPE_LOGIN: &str = "LOGIN";
/// FBA's `ConfigType.user_security`.
pub const TYPE_USER_SECURITY: &str = "USER_SECURITY";
/// FBA's `ConfigType.email`.
pub const TYPE_EMAIL: &str = "EMAIL";

/// The status key of the `LOGIN` group.
pub const LOGIN_STATUS_KEY: &str = "LOGIN_CONFIG_STATUS";
/// The status key of the `USER_SECURITY` group.
pub const USER_SECURITY_STATUS_KEY: &str = "USER_SECURITY_CONFIG_STATUS";
/// The status key of the `EMAIL` group.
pub const EMAIL_STATUS_KEY: &str = "EMAIL_CONFIG_STATUS";

/// Longest time span a setting accepts, in seconds (ten years, as the start-up settings).
const MAX_SECS: i64 = 10 * 365 * 24 * 3600;

/// The overrides `rows` hold (rows of other types and keys are ignored).
pub fn overrides(rows: &[Model]) -> Overrides {
    let mut o = Overrides::default();
    if let Some(login) = group(rows, TYPE_LOGIN, LOGIN_STATUS_KEY) {
        o.captcha_enabled = flag(&login, "LOGIN_CAPTCHA_ENABLED");
    }
    if let Some(sec) = group(rows, TYPE_USER_SECURITY, USER_SECURITY_STATUS_KEY) {
        o.lock_threshold = int(&sec, "USER_LOCK_THRESHOLD", 0, 1_000_000);
        o.lock_secs = int(&sec, "USER_LOCK_SECONDS", 1, MAX_SECS);
        o.password_expiry_days = int(&sec, "USER_PASSWORD_EXPIRY_DAYS", 0, 36_500);
        o.password_reminder_days = int(&sec, "USER_PASSWORD_REMINDER_DAYS", 0, 36_500);
        o.password_history_check_count = int(&sec, "USER_PASSWORD_HISTORY_CHECK_COUNT", 0, 100);
        o.password_min_length = int(&sec, "USER_PASSWORD_MIN_LENGTH", 1, 128);
        o.password_max_length = int(&sec, "USER_PASSWORD_MAX_LENGTH", 1, 128);
        o.password_require_special_char = flag(&sec, "USER_PASSWORD_REQUIRE_SPECIAL_CHAR");
    }
    o
}

/// `o` without its password-length overrides when, applied to `base`, the minimum would
/// exceed the maximum (every password would be refused); logged.
pub fn consistent_lengths(mut o: Overrides, base: &UserSecuritySettings) -> Overrides {
    let min = o.password_min_length.unwrap_or(base.password_min_length);
    let max = o.password_max_length.unwrap_or(base.password_max_length);
    if min > max {
        tracing::warn!(
            min,
            max,
            "config: USER_PASSWORD_MIN_LENGTH above USER_PASSWORD_MAX_LENGTH, both ignored"
        );
        o.password_min_length = None;
        o.password_max_length = None;
    }
    o
}

/// The overrides in force now: the cached `LOGIN` and `USER_SECURITY` rows, checked against
/// the start-up settings.
///
/// # Errors
/// A database failure while loading rows the cache does not hold.
pub async fn current_overrides(state: &AppState) -> AppResult<Overrides> {
    let mut rows = service::get_all(state, TYPE_LOGIN).await?;
    rows.extend(service::get_all(state, TYPE_USER_SECURITY).await?);
    Ok(consistent_lengths(
        overrides(&rows),
        &state.settings.user_security,
    ))
}

/// [`current_overrides`] as the app's source of run-time overrides.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConfigOverrides;

#[async_trait::async_trait]
impl SettingsOverrides for ConfigOverrides {
    async fn current(&self, state: &AppState) -> AppResult<Overrides> {
        current_overrides(state).await
    }
}

/// The `key → value` map of the rows of `config_type`; `None` while its status key is `"0"`.
fn group<'a>(
    rows: &'a [Model],
    config_type: &str,
    status_key: &str,
) -> Option<HashMap<&'a str, &'a str>> {
    let values: HashMap<&str, &str> = rows
        .iter()
        .filter(|r| r.r#type.as_deref() == Some(config_type))
        .map(|r| (r.key.as_str(), r.value.as_str()))
        .collect();
    let off = values.get(status_key).is_some_and(|v| v.trim() == "0");
    (!off).then_some(values)
}

/// FBA's boolean: `value == "true"`.
fn flag(values: &HashMap<&str, &str>, key: &str) -> Option<bool> {
    values.get(key).map(|v| *v == "true")
}

/// An integer within `min..=max`; anything else is ignored and logged.
fn int<T: TryFrom<i64>>(values: &HashMap<&str, &str>, key: &str, min: i64, max: i64) -> Option<T> {
    let raw = values.get(key)?;
    let parsed = raw
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .and_then(|n| T::try_from(n).ok());
    if parsed.is_none() {
        tracing::warn!(
            key,
            value = raw,
            min,
            max,
            "config: ignored a value that is not an integer in range"
        );
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(config_type: &str, key: &str, value: &str) -> Model {
        Model {
            id: 0,
            name: key.to_owned(),
            r#type: Some(config_type.to_owned()),
            key: key.to_owned(),
            value: value.to_owned(),
            is_frontend: false,
            remark: None,
            created_time: chrono::Utc::now(),
            updated_time: None,
        }
    }

    fn base() -> UserSecuritySettings {
        fba_core_conf::Settings::from_source(&fba_core_conf::Source::default())
            .expect("default settings")
            .user_security
    }

    #[test]
    fn every_key_is_parsed_as_fba_parses_it() {
        let rows = [
            row("LOGIN", "LOGIN_CONFIG_STATUS", "1"),
            row("LOGIN", "LOGIN_CAPTCHA_ENABLED", "false"),
            row("USER_SECURITY", "USER_SECURITY_CONFIG_STATUS", "1"),
            row("USER_SECURITY", "USER_LOCK_THRESHOLD", "3"),
            row("USER_SECURITY", "USER_LOCK_SECONDS", " 600 "),
            row("USER_SECURITY", "USER_PASSWORD_EXPIRY_DAYS", "0"),
            row("USER_SECURITY", "USER_PASSWORD_REMINDER_DAYS", "5"),
            row("USER_SECURITY", "USER_PASSWORD_HISTORY_CHECK_COUNT", "2"),
            row("USER_SECURITY", "USER_PASSWORD_MIN_LENGTH", "8"),
            row("USER_SECURITY", "USER_PASSWORD_MAX_LENGTH", "64"),
            row(
                "USER_SECURITY",
                "USER_PASSWORD_REQUIRE_SPECIAL_CHAR",
                "true",
            ),
        ];
        assert_eq!(
            overrides(&rows),
            Overrides {
                captcha_enabled: Some(false),
                lock_threshold: Some(3),
                lock_secs: Some(600),
                password_expiry_days: Some(0),
                password_reminder_days: Some(5),
                password_history_check_count: Some(2),
                password_min_length: Some(8),
                password_max_length: Some(64),
                password_require_special_char: Some(true),
            }
        );
    }

    #[test]
    fn a_group_switched_off_or_absent_overrides_nothing() {
        let rows = [
            row("LOGIN", "LOGIN_CONFIG_STATUS", "0"),
            row("LOGIN", "LOGIN_CAPTCHA_ENABLED", "false"),
            row("USER_SECURITY", "USER_LOCK_THRESHOLD", "9"),
        ];
        let o = overrides(&rows);
        assert_eq!(o.captcha_enabled, None);
        // No status row: the group applies (FBA's default status is "1").
        assert_eq!(o.lock_threshold, Some(9));
        assert_eq!(overrides(&[]), Overrides::default());
    }

    #[test]
    fn other_types_and_invalid_values_are_ignored() {
        let rows = [
            row("EMAIL", "LOGIN_CAPTCHA_ENABLED", "false"),
            row("USER_SECURITY", "USER_LOCK_THRESHOLD", "five"),
            row("USER_SECURITY", "USER_LOCK_SECONDS", "0"),
            row("USER_SECURITY", "USER_PASSWORD_MIN_LENGTH", "500"),
            row("USER_SECURITY", "USER_PASSWORD_HISTORY_CHECK_COUNT", "-1"),
            // Only the exact text `true` is true, as in FBA.
            row(
                "USER_SECURITY",
                "USER_PASSWORD_REQUIRE_SPECIAL_CHAR",
                "True",
            ),
        ];
        let o = overrides(&rows);
        assert_eq!(
            o,
            Overrides {
                password_require_special_char: Some(false),
                ..Overrides::default()
            }
        );
    }

    #[test]
    fn a_minimum_above_the_maximum_drops_both_lengths() {
        let base = base();
        let o = Overrides {
            password_min_length: Some(40),
            lock_threshold: Some(2),
            ..Overrides::default()
        };
        // Default maximum 32 < 40.
        let checked = consistent_lengths(o, &base);
        assert_eq!(checked.password_min_length, None);
        assert_eq!(checked.lock_threshold, Some(2));
        let fine = Overrides {
            password_min_length: Some(40),
            password_max_length: Some(64),
            ..Overrides::default()
        };
        assert_eq!(consistent_lengths(fine.clone(), &base), fine);
    }
}
