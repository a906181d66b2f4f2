//! The online-session monitor (`/monitors/sessions`): every live access token in the Kv store,
//! decoded and enriched with the session's extra info, and the superuser's kick-out. Reads the
//! Kv layout owned by [`crate::service::token`]; changes nothing else.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use fba_common::security::Security;
use fba_common::{AppResult, AppState};
use serde_json::Value;

use crate::schema::session::{TokenDetail, UNKNOWN};
use crate::service::token;

/// The claims of a stored access token that the list needs.
struct LiveToken {
    user_id: i64,
    session_uuid: String,
    expire_time: DateTime<Utc>,
}

fn decode(security: &Security, jwt: &str) -> Option<LiveToken> {
    let claims = security.jwt.decode(jwt).ok()?;
    let user_id = claims.user_id().ok()?;
    let micros = (claims.exp * 1_000_000.0).round();
    // `decode` guarantees a finite `exp` in the future; the cast cannot overflow for any real
    // expiry (i64 microseconds cover ±292 000 years).
    #[allow(clippy::cast_possible_truncation)]
    let expire_time = DateTime::<Utc>::from_timestamp_micros(micros as i64)?;
    Some(LiveToken {
        user_id,
        session_uuid: claims.session_uuid,
        expire_time,
    })
}

/// A text fact of the extra info: strings as they are, other values as JSON text, missing or
/// null as `未知`.
fn fact(info: &serde_json::Map<String, Value>, key: &str) -> String {
    match info.get(key) {
        None | Some(Value::Null) => UNKNOWN.to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Every live session, optionally only those whose extra info names `username` (exact; an
/// empty filter means none). Tokens that no longer decode (expired, foreign key) are skipped;
/// Swagger sessions are hidden; a session without extra info is listed with `未知` facts
/// unless a username filter is given. Three Kv round trips whatever the number of sessions.
///
/// # Errors
/// A Kv failure.
pub async fn list_sessions(
    state: &AppState,
    security: &Security,
    username: Option<&str>,
) -> AppResult<Vec<TokenDetail>> {
    let catalogue = state.keys();
    let keys = state
        .kv
        .keys_with_prefix(&catalogue.all_tokens_prefix())
        .await?;
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let tokens: Vec<LiveToken> = state
        .kv
        .mget(&keys)
        .await?
        .into_iter()
        .flatten()
        .filter_map(|jwt| decode(security, &jwt))
        .collect();
    if tokens.is_empty() {
        return Ok(Vec::new());
    }
    let online: HashSet<String> = state
        .kv
        .smembers(catalogue.token_online())
        .await?
        .into_iter()
        .collect();
    let info_keys: Vec<String> = tokens
        .iter()
        .map(|s| catalogue.token_extra_info(s.user_id, &s.session_uuid))
        .collect();
    let infos = state.kv.mget(&info_keys).await?;
    let username = username.filter(|u| !u.is_empty());
    let mut sessions = Vec::with_capacity(tokens.len());
    for (live, info) in tokens.into_iter().zip(infos) {
        let info = info
            .and_then(|text| serde_json::from_str::<Value>(&text).ok())
            .and_then(|v| match v {
                Value::Object(map) => Some(map),
                _ => None,
            });
        if let Some(info) = &info
            && info.get("swagger").is_some_and(|v| !v.is_null())
        {
            continue;
        }
        if let Some(wanted) = username
            && info
                .as_ref()
                .and_then(|i| i.get("username"))
                .and_then(Value::as_str)
                != Some(wanted)
        {
            continue;
        }
        let get = |key: &str| {
            info.as_ref()
                .map_or_else(|| UNKNOWN.to_owned(), |i| fact(i, key))
        };
        sessions.push(TokenDetail {
            id: live.user_id,
            status: i32::from(online.contains(&live.session_uuid)),
            username: get("username"),
            nickname: get("nickname"),
            ip: get("ip"),
            os: get("os"),
            browser: get("browser"),
            device: get("device"),
            last_login_time: get("last_login_time"),
            session_uuid: live.session_uuid,
            expire_time: live.expire_time,
        });
    }
    Ok(sessions)
}

/// Ends one session: deletes its access token and extra info (its refresh token is left, as
/// FBA does), so the JWT middleware refuses the token at once.
///
/// # Errors
/// A Kv failure.
pub async fn kick_out(state: &AppState, user_id: i64, session_uuid: &str) -> AppResult<()> {
    token::revoke_session(state, user_id, session_uuid, false).await
}
