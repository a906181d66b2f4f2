//! Request and response shapes of `/api/v1/auth/*`: FBA's `AuthLoginParam`, `GetCaptchaDetail`,
//! `GetLoginToken`, `GetNewToken` and `GetSwaggerToken`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::schema::user::UserInfo;

/// `POST /auth/login` body (FBA `AuthLoginParam`). Unknown fields (the UI's `selectAccount`) are
/// ignored.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct LoginParam {
    /// Login name.
    pub username: String,
    /// Password.
    pub password: String,
    /// Captcha id from `GET /auth/captcha` (needed when the captcha is enabled).
    #[serde(default)]
    pub uuid: Option<String>,
    /// The captcha text the user typed.
    #[serde(default)]
    pub captcha: Option<String>,
}

/// `POST /auth/login/swagger` query (FBA reads `HTTPBasicCredentials` fields from the query).
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SwaggerLoginQuery {
    /// Login name.
    pub username: String,
    /// Password.
    pub password: String,
}

/// `GET /auth/captcha` reply (FBA `GetCaptchaDetail`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaptchaDetail {
    /// Whether login asks for the captcha (`LOGIN_CAPTCHA_ENABLED`).
    pub is_enabled: bool,
    /// Seconds the code stays valid.
    pub expire_seconds: u64,
    /// Captcha id to send back with the login.
    pub uuid: String,
    /// The picture: base64 PNG without a `data:` prefix.
    pub image: String,
}

/// `POST /auth/refresh` reply (FBA `GetNewToken`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NewToken {
    /// Access token.
    pub access_token: String,
    /// Its expiry (`YYYY-MM-DD HH:MM:SS`).
    #[serde(with = "fba_common::datetime")]
    #[schema(value_type = String)]
    pub access_token_expire_time: DateTime<Utc>,
    /// The session id.
    pub session_uuid: String,
}

/// `POST /auth/login` reply (FBA `GetLoginToken`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LoginToken {
    /// Access token.
    pub access_token: String,
    /// Its expiry (`YYYY-MM-DD HH:MM:SS`).
    #[serde(with = "fba_common::datetime")]
    #[schema(value_type = String)]
    pub access_token_expire_time: DateTime<Utc>,
    /// The session id.
    pub session_uuid: String,
    /// Days until the password expires, only within `USER_PASSWORD_REMINDER_DAYS`.
    pub password_expire_days_remaining: Option<i64>,
    /// The user.
    pub user: UserInfo,
}

/// `POST /auth/login/swagger` reply (FBA `GetSwaggerToken`, not enveloped).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SwaggerToken {
    /// Access token.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// The user.
    pub user: UserInfo,
}
