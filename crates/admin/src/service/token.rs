//! Sessions in the Kv store with FBA's key layout:
//! `fba:token:{uid}:{session}` (access JWT), `fba:token_extra_info:{uid}:{session}` (JSON about
//! the session), `fba:refresh_token:{uid}:{session}` (refresh JWT). Revoking a session deletes
//! its keys, then drops it from every replica's session cache (this one at once, the others
//! through the Kv store's pub/sub channel), so the JWT middleware refuses the token.
//!
//! Prefix deletes always include the `:` after the user id (FBA's `fba:token:1*` also hit users
//! 10–19, 100–199…; see docs/compatibility.md).

use std::time::Duration;

use fba_common::security::{IssuedToken, Security, SessionChange};
use fba_common::{AppResult, AppState};

/// A freshly issued session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The session id (uuid4 with dashes, as FBA).
    pub session_uuid: String,
    /// The access token.
    pub access: IssuedToken,
    /// The refresh token, when one was issued.
    pub refresh: Option<IssuedToken>,
}

/// Issues a new session for `user_id`: access token (+ extra info) and, when `with_refresh`, a
/// refresh token. When the user is not multi-login, the user's other sessions are revoked
/// first.
///
/// # Errors
/// A Kv failure (503) or a signing failure.
pub async fn create_session(
    state: &AppState,
    security: &Security,
    user_id: i64,
    multi_login: bool,
    extra_info: &serde_json::Value,
    with_refresh: bool,
) -> AppResult<Session> {
    let t = &state.settings.token;
    let keys = state.keys();
    if !multi_login {
        revoke_user_sessions(state, user_id).await?;
    }
    let session_uuid = uuid::Uuid::new_v4().to_string();
    let access = security.jwt.issue(user_id, &session_uuid, t.expire_secs)?;
    let ttl = Duration::from_secs(t.expire_secs);
    state
        .kv
        .set(
            &keys.token(user_id, &session_uuid),
            &access.token,
            Some(ttl),
        )
        .await?;
    state
        .kv
        .set(
            &keys.token_extra_info(user_id, &session_uuid),
            &extra_info.to_string(),
            Some(ttl),
        )
        .await?;
    let refresh = if with_refresh {
        let refresh = security
            .jwt
            .issue(user_id, &session_uuid, t.refresh_expire_secs)?;
        state
            .kv
            .set(
                &keys.refresh_token(user_id, &session_uuid),
                &refresh.token,
                Some(Duration::from_secs(t.refresh_expire_secs)),
            )
            .await?;
        Some(refresh)
    } else {
        None
    };
    Ok(Session {
        session_uuid,
        access,
        refresh,
    })
}

/// The stored refresh token of a session.
///
/// # Errors
/// A Kv failure.
pub async fn stored_refresh_token(
    state: &AppState,
    user_id: i64,
    session: &str,
) -> AppResult<Option<String>> {
    Ok(state
        .kv
        .get(&state.keys().refresh_token(user_id, session))
        .await?)
}

/// The extra info JSON of a session.
///
/// # Errors
/// A Kv failure.
pub async fn extra_info(
    state: &AppState,
    user_id: i64,
    session: &str,
) -> AppResult<Option<serde_json::Value>> {
    Ok(state
        .kv
        .get(&state.keys().token_extra_info(user_id, session))
        .await?
        .and_then(|s| serde_json::from_str(&s).ok()))
}

/// Deletes one session's access token and extra info, and its refresh token when
/// `with_refresh`.
///
/// # Errors
/// A Kv failure.
pub async fn revoke_session(
    state: &AppState,
    user_id: i64,
    session: &str,
    with_refresh: bool,
) -> AppResult<()> {
    let keys = state.keys();
    state.kv.del(&keys.token(user_id, session)).await?;
    state
        .kv
        .del(&keys.token_extra_info(user_id, session))
        .await?;
    if with_refresh {
        state.kv.del(&keys.refresh_token(user_id, session)).await?;
    }
    let change = SessionChange::Session {
        user_id,
        session: session.to_owned(),
    };
    state.sessions.changed(&state.kv, change).await
}

/// Session ids of the user's live access tokens.
///
/// # Errors
/// A Kv failure.
pub async fn user_sessions(state: &AppState, user_id: i64) -> AppResult<Vec<String>> {
    let prefix = state.keys().user_tokens_prefix(user_id);
    Ok(state
        .kv
        .keys_with_prefix(&prefix)
        .await?
        .into_iter()
        .filter_map(|k| k.strip_prefix(&prefix).map(str::to_owned))
        .collect())
}

/// Deletes every session (access, extra info, refresh) of the user.
///
/// # Errors
/// A Kv failure.
pub async fn revoke_user_sessions(state: &AppState, user_id: i64) -> AppResult<()> {
    for prefix in state.keys().user_session_prefixes(user_id) {
        state.kv.delete_prefix(&prefix).await?;
    }
    let change = SessionChange::UserSessions { user_id };
    state.sessions.changed(&state.kv, change).await
}

/// Deletes every session of the user except `keep`.
///
/// # Errors
/// A Kv failure.
pub async fn revoke_other_sessions(state: &AppState, user_id: i64, keep: &str) -> AppResult<()> {
    for session in user_sessions(state, user_id).await? {
        if session != keep {
            revoke_session(state, user_id, &session, true).await?;
        }
    }
    Ok(())
}
