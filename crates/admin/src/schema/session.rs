//! Online-session shapes of `/monitors/sessions`: FBA's `GetTokenDetail` and the query
//! parameters of the list and kick-out routes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Text FBA shows for a session fact it does not know.
pub const UNKNOWN: &str = "未知";

/// One online session (FBA's `GetTokenDetail`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TokenDetail {
    /// The user id.
    pub id: i64,
    /// The session id.
    pub session_uuid: String,
    /// Login name at login time.
    pub username: String,
    /// Display name at login time.
    pub nickname: String,
    /// Client ip at login time.
    pub ip: String,
    /// Client OS.
    pub os: String,
    /// Client browser.
    pub browser: String,
    /// Client device.
    pub device: String,
    /// 1 while the session has a live Socket.IO connection, else 0.
    pub status: i32,
    /// Login time as stored with the session (text, `未知` when unknown).
    pub last_login_time: String,
    /// When the access token expires (`YYYY-MM-DD HH:MM:SS`).
    #[serde(with = "fba_common::datetime")]
    #[schema(value_type = String)]
    pub expire_time: DateTime<Utc>,
}

/// Query of `GET /monitors/sessions`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SessionListQuery {
    /// Only sessions of this login name (exact match; empty means no filter).
    pub username: Option<String>,
}

/// Query of `DELETE /monitors/sessions/{pk}`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KickOutQuery {
    /// The session to end.
    pub session_uuid: String,
}
