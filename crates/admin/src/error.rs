//! [`AdminError`]: the business failures of the admin core, each named by what went wrong, and
//! their one mapping to FBA's status, code and message (the `From<AdminError> for AppError` impl).
//!
//! Services and handlers return `fba_common::AppResult`; they raise an [`AdminError`] with `?`
//! (or `.into()`) and the conversion picks the HTTP status and the Fluent message in the
//! current request's language. The Fluent keys of these failures live here only.
//!
//! Generic failures stay [`AppError`]s built where they happen: database and Kv errors (`From`),
//! 500/503, the 422s of request parsing, and the HTTP-level replies (400 for a malformed
//! multipart body, 408, 413, 429 of the per-client rate limit, 404 of a missing static file).

use fba_common::AppError;
use fba_common::i18n::{t, t_args};
use fba_common::security::TokenError;

/// FBA's business code for a wrong captcha or e-mail code (sent with HTTP 400).
const CAPTCHA_ERROR_CODE: u16 = 40001;

/// A business failure of the admin core; converted into FBA's reply by
/// the `From<AdminError> for AppError` impl.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    // --- Login, token refresh ---
    /// 400: the login has no captcha uuid or answer.
    #[error("captcha missing")]
    CaptchaMissing,
    /// 400: the captcha is unknown, expired or already used.
    #[error("captcha expired")]
    CaptchaExpired,
    /// 400 with code 40001: the captcha answer does not match.
    #[error("captcha wrong")]
    CaptchaWrong,
    /// 404 `用户名或密码有误`: no user has the login's username.
    #[error("login with an unknown username")]
    LoginUserUnknown,
    /// 403 `用户名或密码有误`: the password does not match.
    #[error("wrong password")]
    PasswordWrong,
    /// 403: the user is disabled (`status` 0), at login and at refresh (FBA's message says
    /// "locked", sic).
    #[error("user disabled")]
    UserDisabled,
    /// 403: the account is locked after too many failures, for `minutes` more.
    #[error("account locked for {minutes} more minutes")]
    UserLocked {
        /// Whole minutes (at least 1) until the lock ends.
        minutes: i64,
    },
    /// 403: this failure reached the lock threshold, or the failures already have.
    #[error("too many login failures")]
    TooManyLoginFailures,
    /// 429 (retry after 1 s): no password-check slot of the user freed up in time.
    #[error("password checks of the user busy")]
    PasswordChecksBusy,
    /// 403: the password was never changed or is older than the expiry.
    #[error("password expired")]
    PasswordExpired,
    /// 400: `POST /auth/refresh` without the refresh cookie.
    #[error("refresh token missing")]
    RefreshTokenMissing,
    /// 401: the refresh cookie is not a valid token.
    #[error("refresh token rejected: {0}")]
    RefreshTokenRejected(#[source] TokenError),
    /// 401: the refresh token is not (or no longer) its session's current one.
    #[error("refresh token replayed or revoked")]
    RefreshTokenStale,
    /// 403: a user without multi-login has another live session.
    #[error("user logged in elsewhere")]
    UserLoggedInElsewhere,

    // --- Users ---
    /// 404: no user has the id.
    #[error("user not found")]
    UserNotFound,
    /// 409: the username is in use.
    #[error("username taken")]
    UsernameTaken,
    /// 409: another user has the e-mail address (FBA answers 500 from the unique index).
    #[error("e-mail taken")]
    EmailTaken,
    /// 400: a new user without a password.
    #[error("password empty")]
    PasswordEmpty,
    /// 403: a superuser toggling its own superuser, staff or status flag.
    #[error("own permission change")]
    SelfPermissionChange,
    /// 400: `type` of the permission route is none of FBA's flags.
    #[error("unknown permission type")]
    PermissionTypeUnknown,

    // --- The current user (`/me`) ---
    /// 400: no e-mail code is pending for the client.
    #[error("e-mail code expired")]
    EmailCodeExpired,
    /// 400 with code 40001: the e-mail code does not match.
    #[error("e-mail code wrong")]
    EmailCodeWrong,
    /// 400: the old password does not match.
    #[error("old password wrong")]
    OldPasswordWrong,
    /// 400: the new password and its confirmation differ.
    #[error("password confirmation differs")]
    PasswordMismatch,

    // --- Password policy ---
    /// 400: fewer than `min` characters.
    #[error("password shorter than {min} characters")]
    PasswordTooShort {
        /// `USER_PASSWORD_MIN_LENGTH`.
        min: usize,
    },
    /// 400: more than `max` characters.
    #[error("password longer than {max} characters")]
    PasswordTooLong {
        /// `USER_PASSWORD_MAX_LENGTH`.
        max: usize,
    },
    /// 400: more than `max` bytes (bcrypt's limit).
    #[error("password longer than {max} bytes")]
    PasswordTooManyBytes {
        /// The byte limit.
        max: usize,
    },
    /// 400: no digit.
    #[error("password without a digit")]
    PasswordNeedsDigit,
    /// 400: no ASCII letter.
    #[error("password without a letter")]
    PasswordNeedsLetter,
    /// 400: no special character while one is required.
    #[error("password without a special character")]
    PasswordNeedsSpecial,
    /// 400: one of the user's `count` newest passwords.
    #[error("password among the {count} newest")]
    PasswordReused {
        /// `USER_PASSWORD_HISTORY_CHECK_COUNT`.
        count: u32,
    },

    // --- Roles ---
    /// 404: a role id (or one of a list) is unknown.
    #[error("role not found")]
    RoleNotFound,
    /// 409: another role has the name.
    #[error("role name taken")]
    RoleNameTaken,

    // --- Menus ---
    /// 404: a menu id (or one of a list) is unknown.
    #[error("menu not found")]
    MenuNotFound,
    /// 404: the parent menu is unknown.
    #[error("parent menu not found")]
    MenuParentNotFound,
    /// 409: another menu has the title.
    #[error("menu title taken")]
    MenuTitleTaken,
    /// 403: the parent is the menu itself or one of its descendants.
    #[error("menu as its own parent")]
    MenuSelfParent,
    /// 409: the menu has children.
    #[error("menu has children")]
    MenuHasChildren,

    // --- Departments ---
    /// 404: the department is unknown (or deleted).
    #[error("department not found")]
    DeptNotFound,
    /// 404: the parent department is unknown.
    #[error("parent department not found")]
    DeptParentNotFound,
    /// 409: another department has the name.
    #[error("department name taken")]
    DeptNameTaken,
    /// 403: the parent is the department itself or one of its descendants.
    #[error("department as its own parent")]
    DeptSelfParent,
    /// 409: users belong to the department.
    #[error("department has users")]
    DeptHasUsers,
    /// 409: the department has children.
    #[error("department has children")]
    DeptHasChildren,

    // --- Data rules and data scopes ---
    /// 404: a data rule id (or one of a list) is unknown.
    #[error("data rule not found")]
    DataRuleNotFound,
    /// 409: another data rule has the name.
    #[error("data rule name taken")]
    DataRuleNameTaken,
    /// 404: no data-permission model has the name.
    #[error("data rule model not found")]
    DataRuleModelNotFound,
    /// 404: a data scope id (or one of a list) is unknown.
    #[error("data scope not found")]
    DataScopeNotFound,
    /// 409: another data scope has the name.
    #[error("data scope name taken")]
    DataScopeNameTaken,

    // --- Uploads ---
    /// 400: the file name has no extension.
    #[error("upload without a file type")]
    UploadTypeUnknown,
    /// 400: the extension is in neither list (or not a safe name part).
    #[error("upload type {ext} not allowed")]
    UploadTypeNotAllowed {
        /// The lower-cased extension.
        ext: String,
    },
    /// 400: an image passed `UPLOAD_IMAGE_SIZE_MAX`.
    #[error("image too large")]
    UploadImageTooLarge,
    /// 400: a video passed `UPLOAD_VIDEO_SIZE_MAX`.
    #[error("video too large")]
    UploadVideoTooLarge,
    /// 400: the client's stream failed or the file could not be written (the cause is logged
    /// where it happens).
    #[error("upload failed")]
    UploadFailed,
}

impl From<AdminError> for AppError {
    fn from(e: AdminError) -> Self {
        use AdminError as E;
        match e {
            // Login, token refresh.
            E::CaptchaMissing => AppError::BadRequest(t("error-captcha-invalid")),
            E::CaptchaExpired => AppError::BadRequest(t("error-captcha-expired")),
            E::CaptchaWrong | E::EmailCodeWrong => AppError::Custom {
                code: CAPTCHA_ERROR_CODE,
                msg: t("error-captcha-error"),
            },
            E::LoginUserUnknown => AppError::NotFound(t("error-bad-credentials")),
            E::PasswordWrong => AppError::Forbidden(t("error-bad-credentials")),
            E::UserDisabled => AppError::Forbidden(t("error-user-locked-login")),
            E::UserLocked { minutes } => AppError::Forbidden(t_args(
                "error-account-locked-minutes",
                &[("minutes", minutes.to_string().into())],
            )),
            E::TooManyLoginFailures => AppError::Forbidden(t("error-too-many-login-failures")),
            E::PasswordChecksBusy => AppError::TooManyRequests {
                retry_after_secs: 1,
            },
            E::PasswordExpired => AppError::Forbidden(t("error-password-expired")),
            E::RefreshTokenMissing => AppError::BadRequest(t("error-refresh-token-expired")),
            E::RefreshTokenRejected(e) => AppError::Unauthorized(e.message()),
            E::RefreshTokenStale => AppError::Unauthorized(t("error-refresh-token-expired")),
            E::UserLoggedInElsewhere => AppError::Forbidden(t("error-user-login-elsewhere")),

            // Users and the current user.
            E::UserNotFound => AppError::NotFound(t("error-user-not-found")),
            E::UsernameTaken => AppError::Conflict(t("error-username-taken")),
            E::EmailTaken => AppError::Conflict(t("error-email-taken")),
            E::PasswordEmpty => AppError::BadRequest(t("error-password-empty")),
            E::SelfPermissionChange => AppError::Forbidden(t("error-self-permission")),
            E::PermissionTypeUnknown => AppError::BadRequest(t("error-permission-type-unknown")),
            E::EmailCodeExpired => AppError::BadRequest(t("error-email-code-expired")),
            E::OldPasswordWrong => AppError::BadRequest(t("error-old-password-wrong")),
            E::PasswordMismatch => AppError::BadRequest(t("error-password-mismatch")),

            // Password policy (numbers passed as text, as FBA formats them).
            E::PasswordTooShort { min } => AppError::BadRequest(t_args(
                "error-password-too-short",
                &[("min", min.to_string().into())],
            )),
            E::PasswordTooLong { max } => AppError::BadRequest(t_args(
                "error-password-too-long",
                &[("max", max.to_string().into())],
            )),
            E::PasswordTooManyBytes { max } => AppError::BadRequest(t_args(
                "error-password-too-many-bytes",
                &[("max", max.to_string().into())],
            )),
            E::PasswordNeedsDigit => AppError::BadRequest(t("error-password-needs-digit")),
            E::PasswordNeedsLetter => AppError::BadRequest(t("error-password-needs-letter")),
            E::PasswordNeedsSpecial => AppError::BadRequest(t("error-password-needs-special")),
            E::PasswordReused { count } => AppError::BadRequest(t_args(
                "error-password-reused",
                &[("count", count.to_string().into())],
            )),

            // Roles.
            E::RoleNotFound => AppError::NotFound(t("error-role-not-found")),
            E::RoleNameTaken => AppError::Conflict(t("error-role-exists")),

            // Menus.
            E::MenuNotFound => AppError::NotFound(t("error-menu-not-found")),
            E::MenuParentNotFound => AppError::NotFound(t("error-menu-parent-not-found")),
            E::MenuTitleTaken => AppError::Conflict(t("error-menu-title-exists")),
            E::MenuSelfParent | E::DeptSelfParent => AppError::Forbidden(t("error-self-parent")),
            E::MenuHasChildren => AppError::Conflict(t("error-menu-has-children")),

            // Departments.
            E::DeptNotFound => AppError::NotFound(t("error-dept-not-found")),
            E::DeptParentNotFound => AppError::NotFound(t("error-dept-parent-not-found")),
            E::DeptNameTaken => AppError::Conflict(t("error-dept-name-exists")),
            E::DeptHasUsers => AppError::Conflict(t("error-dept-has-users")),
            E::DeptHasChildren => AppError::Conflict(t("error-dept-has-children")),

            // Data rules and data scopes.
            E::DataRuleNotFound => AppError::NotFound(t("error-data-rule-not-found")),
            E::DataRuleNameTaken => AppError::Conflict(t("error-data-rule-exists")),
            E::DataRuleModelNotFound => AppError::NotFound(t("error-data-rule-model-not-found")),
            E::DataScopeNotFound => AppError::NotFound(t("error-data-scope-not-found")),
            E::DataScopeNameTaken => AppError::Conflict(t("error-data-scope-exists")),

            // Uploads.
            E::UploadTypeUnknown => AppError::BadRequest(t("error-upload-unknown-type")),
            E::UploadTypeNotAllowed { ext } => AppError::BadRequest(t_args(
                "error-upload-unsupported-format",
                &[("ext", ext.into())],
            )),
            E::UploadImageTooLarge => AppError::BadRequest(t("error-upload-image-too-large")),
            E::UploadVideoTooLarge => AppError::BadRequest(t("error-upload-video-too-large")),
            E::UploadFailed => AppError::BadRequest(t("error-upload-failed")),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test
mod tests {
    use std::sync::Arc;

    use actix_web::ResponseError;
    use fba_common::error::ErrorOutcome;
    use fba_common::scope::RequestScope;

    use super::*;

    /// HTTP status, body `code` and body `msg` of the reply `e` turns into.
    fn reply(e: AdminError) -> (u16, u16, String) {
        let app = AppError::from(e);
        let resp = app.error_response();
        let outcome = resp
            .extensions()
            .get::<ErrorOutcome>()
            .cloned()
            .expect("error replies carry their outcome");
        (resp.status().as_u16(), outcome.code, outcome.msg)
    }

    fn zh(status: u16, msg: &str) -> (u16, u16, String) {
        (status, status, msg.to_owned())
    }

    #[test]
    fn not_found_and_conflicts_keep_fba_status_and_message() {
        assert_eq!(reply(AdminError::UserNotFound), zh(404, "用户不存在"));
        assert_eq!(reply(AdminError::RoleNotFound), zh(404, "角色不存在"));
        assert_eq!(
            reply(AdminError::DeptHasUsers),
            zh(409, "部门下存在用户，无法删除")
        );
        assert_eq!(reply(AdminError::UsernameTaken), zh(409, "用户名已注册"));
        assert_eq!(
            reply(AdminError::MenuSelfParent),
            zh(403, "禁止关联自身为父级")
        );
        assert_eq!(
            reply(AdminError::DataRuleModelNotFound),
            zh(404, "数据规则可用模型不存在")
        );
    }

    #[test]
    fn login_failures_keep_fba_status_code_and_message() {
        assert_eq!(
            reply(AdminError::CaptchaWrong),
            (400, 40001, "验证码错误".to_owned())
        );
        assert_eq!(
            reply(AdminError::LoginUserUnknown),
            zh(404, "用户名或密码有误")
        );
        assert_eq!(
            reply(AdminError::PasswordWrong),
            zh(403, "用户名或密码有误")
        );
        assert_eq!(
            reply(AdminError::UserLocked { minutes: 3 }),
            zh(403, "账号已被锁定，请在 3 分钟后重试")
        );
        assert_eq!(
            reply(AdminError::RefreshTokenRejected(TokenError::Expired)),
            zh(401, "Token 已过期")
        );
        assert_eq!(reply(AdminError::PasswordChecksBusy).0, 429);
    }

    #[test]
    fn messages_with_arguments_are_filled_in() {
        assert_eq!(
            reply(AdminError::PasswordTooShort { min: 6 }),
            zh(400, "密码长度不能少于 6 个字符")
        );
        assert_eq!(
            reply(AdminError::UploadTypeNotAllowed { ext: "exe".into() }),
            zh(400, "此文件格式 exe 暂不支持")
        );
        assert_eq!(
            reply(AdminError::UploadVideoTooLarge),
            zh(400, "视频超出最大限制，请重新选择")
        );
    }

    #[tokio::test]
    async fn messages_follow_the_request_language() {
        let scope = Arc::new(RequestScope {
            trace_id: "t".to_owned(),
            language: "en-US",
            production: false,
        });
        let (status, code, msg) = scope.run(async { reply(AdminError::UserNotFound) }).await;
        assert_eq!(
            (status, code, msg.as_str()),
            (404, 404, "User does not exist")
        );
    }
}
