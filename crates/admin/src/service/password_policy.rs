//! FBA's rules for a new password (`USER_PASSWORD_*` settings): length in characters, at least
//! one digit and one ASCII letter, a special character when required, and none of the user's
//! newest `USER_PASSWORD_HISTORY_CHECK_COUNT` passwords. Used by every route that sets a
//! password for an existing user; it reads the history but writes nothing.

use fba_common::security::verify_password;
use fba_common::{AppError, AppResult};
use fba_core_conf::UserSecuritySettings;
use sea_orm::ConnectionTrait;

use crate::crud;
use crate::error::AdminError;

/// The special characters FBA's policy accepts.
pub const SPECIAL_CHARS: &str = "!@#$%^&*()_+-=[]{};:'\",.<>?/\\|`~";

/// bcrypt ignores everything after 72 bytes; a longer password would be silently truncated.
pub const BCRYPT_MAX_BYTES: usize = 72;

/// The checks that need no database: length, digit, letter, special character.
///
/// # Errors
/// 400 with FBA's message for the first rule broken.
pub fn check_composition(settings: &UserSecuritySettings, password: &str) -> AppResult<()> {
    let chars = password.chars().count();
    let min = settings.password_min_length as usize;
    let max = settings.password_max_length as usize;
    if chars < min {
        return Err(AdminError::PasswordTooShort { min }.into());
    }
    if chars > max {
        return Err(AdminError::PasswordTooLong { max }.into());
    }
    if password.len() > BCRYPT_MAX_BYTES {
        return Err(AdminError::PasswordTooManyBytes {
            max: BCRYPT_MAX_BYTES,
        }
        .into());
    }
    if !password.chars().any(char::is_numeric) {
        return Err(AdminError::PasswordNeedsDigit.into());
    }
    if !password.chars().any(|c| c.is_ascii_alphabetic()) {
        return Err(AdminError::PasswordNeedsLetter.into());
    }
    if settings.password_require_special_char
        && !password.chars().any(|c| SPECIAL_CHARS.contains(c))
    {
        return Err(AdminError::PasswordNeedsSpecial.into());
    }
    Ok(())
}

/// Every rule, including the history check (bcrypt verifications run in parallel on the
/// blocking pool).
///
/// # Errors
/// 400 with FBA's message for the first rule broken; a database failure.
pub async fn validate_new_password<C: ConnectionTrait>(
    db: &C,
    settings: &UserSecuritySettings,
    user_id: i64,
    password: &str,
) -> AppResult<()> {
    check_composition(settings, password)?;
    let count = settings.password_history_check_count;
    let hashes = crud::password_history::recent_hashes(db, user_id, u64::from(count)).await?;
    if hashes.is_empty() {
        return Ok(());
    }
    let mut checks = tokio::task::JoinSet::new();
    for hash in hashes {
        let password = password.to_owned();
        checks.spawn(async move { verify_password(&password, Some(&hash)).await });
    }
    while let Some(result) = checks.join_next().await {
        if result.map_err(AppError::internal)?? {
            checks.abort_all();
            return Err(AdminError::PasswordReused { count }.into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(special: bool) -> UserSecuritySettings {
        let mut s = fba_core_conf::Settings::from_source(&fba_core_conf::Source::from_pairs([(
            "TOKEN_SECRET_KEY",
            "a-secret-key-for-tests-only-123",
        )]))
        .expect("settings")
        .user_security;
        s.password_require_special_char = special;
        s
    }

    fn msg(r: AppResult<()>) -> String {
        match r {
            Err(AppError::BadRequest(m)) => m,
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    #[test]
    fn each_rule_has_fba_message() {
        let s = settings(false);
        assert_eq!(
            msg(check_composition(&s, "a1")),
            "密码长度不能少于 6 个字符"
        );
        assert_eq!(
            msg(check_composition(&s, &"a1".repeat(17))),
            "密码长度不能超过 32 个字符"
        );
        assert_eq!(msg(check_composition(&s, "abcdefg")), "密码必须包含数字");
        assert_eq!(msg(check_composition(&s, "1234567")), "密码必须包含字母");
        assert!(check_composition(&s, "abc123").is_ok());
        let s = settings(true);
        assert_eq!(
            msg(check_composition(&s, "abc123")),
            "密码必须包含特殊字符（如：!@#$%）"
        );
        assert!(check_composition(&s, "abc123!").is_ok());
    }

    #[test]
    fn multibyte_passwords_over_72_bytes_are_refused() {
        let s = settings(false);
        // 31 characters but 3 * 29 + 2 = 89 bytes.
        let p = format!("a1{}", "密".repeat(29));
        assert!(check_composition(&s, &p).is_err());
    }
}
