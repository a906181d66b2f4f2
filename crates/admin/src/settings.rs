//! The admin core's own settings sections (`fba_core_conf::Section`), registered by its module
//! at start-up and read with [`cookie`].

use fba_common::{AppError, AppResult, AppState};
use fba_core_conf::{ConfigError, Section, Source};

/// Ten years: the largest number of seconds a duration setting takes.
const MAX_SECS: u64 = 10 * 365 * 24 * 3600;

/// `COOKIE_*`: the refresh-token cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieSettings {
    /// `COOKIE_REFRESH_TOKEN_KEY` (`fba_refresh_token`).
    pub refresh_token_key: String,
    /// `COOKIE_REFRESH_TOKEN_EXPIRE_SECONDS` (604 800: 7 days).
    pub refresh_token_expire_secs: u64,
}

impl Section for CookieSettings {
    const NAME: &'static str = "admin.cookie";

    fn from_source(src: &Source) -> Result<Self, ConfigError> {
        Ok(Self {
            refresh_token_key: src.string("COOKIE_REFRESH_TOKEN_KEY", "fba_refresh_token"),
            refresh_token_expire_secs: src.int(
                "COOKIE_REFRESH_TOKEN_EXPIRE_SECONDS",
                604_800u64,
                1,
                MAX_SECS,
            )?,
        })
    }
}

/// The cookie section of the running app.
///
/// # Errors
/// [`AppError::Internal`] when the admin module's settings were not registered (an app not
/// built through `fba_common::module::Modules`).
pub fn cookie(state: &AppState) -> AppResult<&CookieSettings> {
    state
        .settings
        .section::<CookieSettings>()
        .ok_or_else(|| AppError::Internal("the admin settings are not registered".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_section_has_fba_defaults_and_bounds() {
        let defaults = CookieSettings::from_source(&Source::default()).unwrap();
        assert_eq!(defaults.refresh_token_key, "fba_refresh_token");
        assert_eq!(defaults.refresh_token_expire_secs, 604_800);
        let err = CookieSettings::from_source(&Source::from_pairs([(
            "COOKIE_REFRESH_TOKEN_EXPIRE_SECONDS",
            "0",
        )]))
        .unwrap_err();
        assert_eq!(err.var(), "COOKIE_REFRESH_TOKEN_EXPIRE_SECONDS");
    }
}
