//! Request bodies of the current user's `PUT /sys/users/me/*` routes and the validated values
//! they parse into. Limits are the `sys_user` column sizes (nickname 64, avatar 256, email 256
//! characters); text with a NUL character is refused (PostgreSQL cannot store it). Every
//! failure is a 422 naming the field (`loc: ["body", <field>]`); deeper code never re-checks.

use fba_common::extract::FieldErrors;
use fba_common::validate_by_parse;
use fba_common::{AppError, FieldError};
use serde::Deserialize;
use serde_json::{Value, json};

/// Longest nickname (`sys_user.nickname` is `VARCHAR(64)`).
pub const NICKNAME_MAX_CHARS: usize = 64;
/// Longest avatar URL (`sys_user.avatar` is `VARCHAR(256)`).
pub const AVATAR_MAX_CHARS: usize = 256;
/// Longest e-mail address (`sys_user.email` is `VARCHAR(256)`).
pub const EMAIL_MAX_CHARS: usize = 256;
/// Longest password field accepted at the edge; the password policy sets the real limit.
pub const PASSWORD_FIELD_MAX_CHARS: usize = 1024;

/// 422 `string_too_long` / `value_error` when `value` is longer than `max` characters or holds a
/// NUL character.
fn check_text(field: &str, value: &str, max: usize) -> Result<(), AppError> {
    if value.chars().count() > max {
        return Err(AppError::validation(FieldError::body(
            "string_too_long",
            field,
            Value::String(value.to_owned()),
            Some(json!({ "max_length": max })),
        )));
    }
    if value.contains('\0') {
        return Err(value_error(
            field,
            value,
            "the text must not contain a NUL character",
        ));
    }
    Ok(())
}

fn value_error(field: &str, value: &str, error: &str) -> AppError {
    AppError::validation(FieldError::body(
        "value_error",
        field,
        Value::String(value.to_owned()),
        Some(json!({ "error": error })),
    ))
}

/// Body of `PUT /sys/users/me/nickname`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NicknameParam {
    /// The new display name.
    pub nickname: String,
}

/// A nickname that fits its column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nickname(String);

impl Nickname {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl NicknameParam {
    /// The validated nickname.
    ///
    /// # Errors
    /// 422 when it is longer than 64 characters or holds a NUL character.
    pub fn parse(self) -> Result<Nickname, AppError> {
        check_text("nickname", &self.nickname, NICKNAME_MAX_CHARS)?;
        Ok(Nickname(self.nickname))
    }
}

/// Body of `PUT /sys/users/me/avatar`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AvatarParam {
    /// An absolute `http(s)://` URL or a path on this server starting with `/`.
    pub avatar: String,
}

/// An avatar location: an absolute http(s) URL or a server path starting with `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Avatar(String);

impl Avatar {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether `value` is `http(s)://host[...]` or `/path`, without spaces or control characters.
fn is_avatar_location(value: &str) -> bool {
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let lower = value.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    match rest {
        Some(rest) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            let host = host.rsplit('@').next().unwrap_or("");
            !host.is_empty() && !host.starts_with(':')
        }
        None => value.starts_with('/') && value.len() > 1,
    }
}

impl AvatarParam {
    /// The validated avatar location.
    ///
    /// # Errors
    /// 422 when it is longer than 256 characters, holds a NUL character, or is neither an
    /// absolute http(s) URL nor a path starting with `/`.
    pub fn parse(self) -> Result<Avatar, AppError> {
        check_text("avatar", &self.avatar, AVATAR_MAX_CHARS)?;
        if !is_avatar_location(&self.avatar) {
            return Err(value_error(
                "avatar",
                &self.avatar,
                "the avatar must be an absolute http(s) URL or a path starting with /",
            ));
        }
        Ok(Avatar(self.avatar))
    }
}

/// Body of `PUT /sys/users/me/email`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct EmailParam {
    /// The code sent to the new address (Kv key `fba:email:captcha:{client ip}`).
    pub captcha: String,
    /// The new address.
    pub email: String,
}

/// A syntactically valid e-mail address that fits its column (domain lower-cased).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `local@domain.tld` with a plausible local part and domain; returns the normalised form.
pub(crate) fn normalise_email(value: &str) -> Option<String> {
    let (local, domain) = value.rsplit_once('@')?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !"@()<>[]\\,;:\"".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c == '-' || c.is_alphanumeric())
        })
        && labels
            .last()
            .is_some_and(|tld| tld.chars().all(char::is_alphabetic) && tld.chars().count() >= 2);
    (local_ok && domain_ok).then(|| format!("{local}@{}", domain.to_lowercase()))
}

/// The validated parts of [`EmailParam`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailChange {
    /// The code the user typed.
    pub captcha: String,
    /// The new address.
    pub email: EmailAddress,
}

impl EmailParam {
    /// The validated change.
    ///
    /// # Errors
    /// 422 when the address is longer than 256 characters, holds a NUL character or is not an
    /// e-mail address (and when the captcha is absurd: every bad field is named).
    pub fn parse(self) -> Result<EmailChange, AppError> {
        let mut errors = FieldErrors::new();
        errors.take(check_text("captcha", &self.captcha, 64));
        let email = errors.take(
            check_text("email", &self.email, EMAIL_MAX_CHARS).and_then(|()| {
                normalise_email(&self.email).ok_or_else(|| {
                    value_error("email", &self.email, "value is not a valid email address")
                })
            }),
        );
        errors.finish()?;
        Ok(EmailChange {
            captcha: self.captcha,
            email: EmailAddress(email),
        })
    }
}

/// Body of `PUT /sys/users/me/password`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PasswordParam {
    /// The current password.
    pub old_password: String,
    /// The new password.
    pub new_password: String,
    /// The new password again.
    pub confirm_password: String,
}

/// The validated parts of [`PasswordParam`] (policy checks come later, in the service).
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordChange {
    /// The current password.
    pub old_password: String,
    /// The new password.
    pub new_password: String,
    /// The new password again.
    pub confirm_password: String,
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordChange { .. }")
    }
}

impl PasswordParam {
    /// The change, with no NUL characters and no absurd lengths.
    ///
    /// # Errors
    /// 422 naming every bad field.
    pub fn parse(self) -> Result<PasswordChange, AppError> {
        let mut errors = FieldErrors::new();
        for (field, value) in [
            ("old_password", &self.old_password),
            ("new_password", &self.new_password),
            ("confirm_password", &self.confirm_password),
        ] {
            errors.take(check_text(field, value, PASSWORD_FIELD_MAX_CHARS));
        }
        errors.finish()?;
        Ok(PasswordChange {
            old_password: self.old_password,
            new_password: self.new_password,
            confirm_password: self.confirm_password,
        })
    }
}

validate_by_parse!(
    NicknameParam => Nickname,
    AvatarParam => Avatar,
    EmailParam => EmailChange,
    PasswordParam => PasswordChange,
);

#[cfg(test)]
mod tests {
    use super::*;

    fn loc_of(e: AppError) -> Value {
        match e {
            AppError::Validation(errs) => Value::Array(errs[0].loc.clone()),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn nickname_limits_are_characters_not_bytes() {
        let ok = NicknameParam {
            nickname: "测".repeat(64),
        };
        assert!(ok.parse().is_ok());
        let long = NicknameParam {
            nickname: "a".repeat(65),
        };
        assert_eq!(
            loc_of(long.parse().unwrap_err()),
            json!(["body", "nickname"])
        );
        let nul = NicknameParam {
            nickname: "a\0b".into(),
        };
        assert!(nul.parse().is_err());
    }

    #[test]
    fn avatar_accepts_http_urls_and_absolute_paths_only() {
        for ok in [
            "https://example.com/a.png",
            "http://localhost:8000/static/upload/x.png",
            "HTTPS://EXAMPLE.COM",
            "/static/upload/x.png",
        ] {
            assert!(
                AvatarParam { avatar: ok.into() }.parse().is_ok(),
                "{ok} should be accepted"
            );
        }
        for bad in [
            "",
            "/",
            "static/x.png",
            "ftp://example.com/a.png",
            "https://",
            "https:///x",
            "javascript:alert(1)",
            "https://exa mple.com/",
        ] {
            assert!(
                AvatarParam { avatar: bad.into() }.parse().is_err(),
                "{bad} should be refused"
            );
        }
    }

    #[test]
    fn email_is_checked_and_its_domain_lower_cased() {
        let ok = EmailParam {
            captcha: "123456".into(),
            email: "Someone.Else@Example.COM".into(),
        };
        assert_eq!(
            ok.parse().unwrap().email.as_str(),
            "Someone.Else@example.com"
        );
        for bad in [
            "",
            "plain",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            "@c.com",
            "a@.com",
            "a@c.c0m",
        ] {
            let p = EmailParam {
                captcha: "1".into(),
                email: bad.into(),
            };
            assert_eq!(
                loc_of(p.parse().unwrap_err()),
                json!(["body", "email"]),
                "{bad}"
            );
        }
    }
}
