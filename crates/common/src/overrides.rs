//! Settings a module changes at run time (FBA's dynamic config, contract §6.3): the config
//! plugin's `LOGIN` and `USER_SECURITY` rows override the captcha switch and the password and
//! lock policy on every replica, without a restart.
//!
//! A module provides a [`SettingsOverrides`] through
//! [`crate::module::Module::settings_overrides`]; the admin core reads the effective values
//! with [`AppState::login_settings`] and [`AppState::user_security`], which are the start-up
//! settings when no module overrides anything. Unlike FBA, a deleted row or a group switched
//! off (`*_CONFIG_STATUS` `0`) falls back to the start-up value instead of keeping the last
//! override in the process.

use std::sync::Arc;

use fba_core_conf::{LoginSettings, UserSecuritySettings};

use crate::{AppResult, AppState};

/// Values overriding the start-up settings; `None` keeps the start-up value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `LOGIN_CAPTCHA_ENABLED`.
    pub captcha_enabled: Option<bool>,
    /// `USER_LOCK_THRESHOLD`.
    pub lock_threshold: Option<u32>,
    /// `USER_LOCK_SECONDS`.
    pub lock_secs: Option<u64>,
    /// `USER_PASSWORD_EXPIRY_DAYS`.
    pub password_expiry_days: Option<u32>,
    /// `USER_PASSWORD_REMINDER_DAYS`.
    pub password_reminder_days: Option<u32>,
    /// `USER_PASSWORD_HISTORY_CHECK_COUNT`.
    pub password_history_check_count: Option<u32>,
    /// `USER_PASSWORD_MIN_LENGTH`.
    pub password_min_length: Option<u32>,
    /// `USER_PASSWORD_MAX_LENGTH`.
    pub password_max_length: Option<u32>,
    /// `USER_PASSWORD_REQUIRE_SPECIAL_CHAR`.
    pub password_require_special_char: Option<bool>,
}

impl Overrides {
    /// `base` with the login overrides applied.
    pub fn login(&self, base: &LoginSettings) -> LoginSettings {
        let mut s = base.clone();
        if let Some(v) = self.captcha_enabled {
            s.captcha_enabled = v;
        }
        s
    }

    /// `base` with the user-security overrides applied.
    pub fn user_security(&self, base: &UserSecuritySettings) -> UserSecuritySettings {
        let mut s = base.clone();
        let set = |slot: &mut u32, v: Option<u32>| {
            if let Some(v) = v {
                *slot = v;
            }
        };
        set(&mut s.lock_threshold, self.lock_threshold);
        set(&mut s.password_expiry_days, self.password_expiry_days);
        set(&mut s.password_reminder_days, self.password_reminder_days);
        set(
            &mut s.password_history_check_count,
            self.password_history_check_count,
        );
        set(&mut s.password_min_length, self.password_min_length);
        set(&mut s.password_max_length, self.password_max_length);
        if let Some(v) = self.lock_secs {
            s.lock_secs = v;
        }
        if let Some(v) = self.password_require_special_char {
            s.password_require_special_char = v;
        }
        s
    }
}

/// Where the current overrides come from (the config plugin's rows, through its cache).
#[async_trait::async_trait]
pub trait SettingsOverrides: Send + Sync + 'static {
    /// The overrides in force now.
    ///
    /// # Errors
    /// The store holding them failed.
    async fn current(&self, state: &AppState) -> AppResult<Overrides>;
}

impl AppState {
    async fn overrides(&self) -> AppResult<Overrides> {
        match self.modules.settings_overrides() {
            Some(provider) => provider.current(self).await,
            None => Ok(Overrides::default()),
        }
    }

    /// The login settings in force: the start-up ones with the run-time overrides.
    ///
    /// # Errors
    /// The overrides' store failed.
    pub async fn login_settings(&self) -> AppResult<Arc<LoginSettings>> {
        let overrides = self.overrides().await?;
        Ok(Arc::new(overrides.login(&self.settings.login)))
    }

    /// The password and lock policy in force: the start-up one with the run-time overrides.
    ///
    /// # Errors
    /// The overrides' store failed.
    pub async fn user_security(&self) -> AppResult<Arc<UserSecuritySettings>> {
        let overrides = self.overrides().await?;
        Ok(Arc::new(
            overrides.user_security(&self.settings.user_security),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_set_values_change() {
        let settings = fba_core_conf::Settings::from_source(&fba_core_conf::Source::default())
            .expect("defaults");
        let o = Overrides {
            captcha_enabled: Some(false),
            lock_threshold: Some(3),
            password_require_special_char: Some(true),
            ..Overrides::default()
        };
        assert!(!o.login(&settings.login).captcha_enabled);
        let sec = o.user_security(&settings.user_security);
        assert_eq!(sec.lock_threshold, 3);
        assert!(sec.password_require_special_char);
        assert_eq!(sec.lock_secs, settings.user_security.lock_secs);
        assert_eq!(
            Overrides::default()
                .user_security(&settings.user_security)
                .lock_threshold,
            settings.user_security.lock_threshold
        );
    }
}
