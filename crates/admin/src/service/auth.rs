//! Login, Swagger login, token refresh and logout with FBA's rules and messages, plus the
//! per-client rate limit of the auth routes.
//!
//! Login order (FBA §3.4): captcha (when enabled) → user by name → status → lock key → a
//! password-check slot (at most `USER_LOCK_THRESHOLD` failures and running checks together,
//! taken before any hash) → bcrypt (the failure that reaches the threshold locks the account)
//! → password expiry → clear the failure keys → `last_login_time` → new session. Every attempt, failed or not, is written to
//! the login log off the request path ([`super::login_log::record`]).
//!
//! Sessions (Kv keys, multi-login revocation) belong to [`super::token`]; this module never
//! builds token keys itself. HTTP concerns (cookies, headers) stay in the handlers.

use std::time::Duration;

use chrono::{DateTime, Utc};
use fba_common::context::ClientInfo;
use fba_common::i18n::t;
use fba_common::security::{AuthContext, IssuedToken, Security, invalidate_user, verify_password};
use fba_common::{AppError, AppResult, AppState};
use fba_core_conf::UserSecuritySettings;
use fba_db::Repository;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::error::AdminError;
use crate::model::sys_user;
use crate::schema::auth::{LoginParam, LoginToken, NewToken};
use crate::schema::user::UserInfo;
use crate::service::login_log::{self, LoginAttempt};
use crate::service::token;

/// A successful login: the reply and the refresh token for the cookie.
#[derive(Debug, Clone)]
pub struct LoginOutcome {
    /// `data` of the reply.
    pub token: LoginToken,
    /// The refresh token to set as the cookie.
    pub refresh: IssuedToken,
}

/// A successful refresh: the reply and the new refresh token for the cookie.
#[derive(Debug, Clone)]
pub struct RefreshOutcome {
    /// `data` of the reply.
    pub token: NewToken,
    /// The new refresh token to set as the cookie.
    pub refresh: IssuedToken,
}

/// Counts one request of client `ip` on `path` against `limit` per `window` (key
/// `{REQUEST_LIMITER_REDIS_PREFIX}:{ip}:{path}`); `limit` 0 disables the check.
///
/// # Errors
/// 429 with the seconds until a request is allowed again; 503 when the Kv store is down.
pub async fn check_rate_limit(
    state: &AppState,
    ip: &str,
    path: &str,
    limit: u32,
    window: Duration,
) -> AppResult<()> {
    if limit == 0 {
        return Ok(());
    }
    let key = state.keys().limiter(ip, path);
    let decision = state.kv.rate_limit(&key, limit, window).await?;
    if decision.allowed {
        return Ok(());
    }
    let secs = decision.retry_after.as_secs_f64().ceil();
    Err(AppError::TooManyRequests {
        retry_after_secs: if secs.is_finite() && secs >= 1.0 {
            secs as u64
        } else {
            1
        },
    })
}

/// `POST /auth/login`: checks the captcha and the credentials, opens a session and logs the
/// attempt (success or failure).
///
/// # Errors
/// FBA's answers: 400 captcha missing/expired, 400 (code 40001) captcha wrong, 404 unknown user,
/// 403 disabled, locked, wrong password, too many failures, expired password; 503/500 when a
/// store fails (those are not logged as attempts).
pub async fn login(
    state: &AppState,
    security: &Security,
    client: &ClientInfo,
    param: &LoginParam,
) -> AppResult<LoginOutcome> {
    let mut user_uuid = None;
    let result = login_steps(state, security, client, param, &mut user_uuid).await;
    log_attempt(
        state,
        client,
        &param.username,
        user_uuid,
        result.as_ref().map(|_| ()),
    );
    result
}

async fn login_steps(
    state: &AppState,
    security: &Security,
    client: &ClientInfo,
    param: &LoginParam,
    user_uuid: &mut Option<String>,
) -> AppResult<LoginOutcome> {
    if state.login_settings().await?.captcha_enabled {
        check_captcha(state, param.uuid.as_deref(), param.captcha.as_deref()).await?;
    }
    let (mut user, days_remaining) =
        verify_credentials(state, &param.username, &param.password, user_uuid).await?;
    let now = Utc::now();
    touch_last_login(&state.db, user.id, now).await?;
    user.last_login_time = Some(now);
    invalidate_user(state, user.id).await?;
    let agent = client.agent();
    let extra = serde_json::json!({
        "username": user.username,
        "nickname": user.nickname,
        "last_login_time": fba_common::datetime::format(&now),
        "ip": client.ip,
        "os": agent.os,
        "browser": agent.browser,
        "device": agent.device,
    });
    let session =
        token::create_session(state, security, user.id, user.is_multi_login, &extra, true).await?;
    let refresh = session
        .refresh
        .ok_or_else(|| AppError::Internal("session without a refresh token".to_owned()))?;
    Ok(LoginOutcome {
        token: LoginToken {
            access_token: session.access.token,
            access_token_expire_time: session.access.expires_at,
            session_uuid: session.session_uuid,
            password_expire_days_remaining: days_remaining,
            user: UserInfo::from(&user),
        },
        refresh,
    })
}

/// `POST /auth/login/swagger`: the same credential checks as [`login`] without captcha; an
/// access token only (no refresh token), session extra info `{"swagger": true}` (hidden from
/// the online list). The attempt is logged like any login.
///
/// # Errors
/// As [`login`], minus the captcha answers.
pub async fn swagger_login(
    state: &AppState,
    security: &Security,
    client: &ClientInfo,
    username: &str,
    password: &str,
) -> AppResult<(String, UserInfo)> {
    let mut user_uuid = None;
    let result = async {
        let (mut user, _) = verify_credentials(state, username, password, &mut user_uuid).await?;
        let now = Utc::now();
        touch_last_login(&state.db, user.id, now).await?;
        user.last_login_time = Some(now);
        invalidate_user(state, user.id).await?;
        let extra = serde_json::json!({ "swagger": true });
        let session =
            token::create_session(state, security, user.id, user.is_multi_login, &extra, false)
                .await?;
        Ok((session.access.token, UserInfo::from(&user)))
    }
    .await;
    log_attempt(
        state,
        client,
        username,
        user_uuid,
        result.as_ref().map(|_| ()),
    );
    result
}

/// Writes the login log row of an attempt. Failures from a broken store (500/503) are not
/// attempts the user made and are left to the error log.
fn log_attempt(
    state: &AppState,
    client: &ClientInfo,
    username: &str,
    user_uuid: Option<String>,
    result: Result<(), &AppError>,
) {
    let (status, msg) = match result {
        Ok(()) => (login_log::SUCCESS, t("success-login-success")),
        Err(
            AppError::BadRequest(msg)
            | AppError::Forbidden(msg)
            | AppError::NotFound(msg)
            | AppError::Custom { msg, .. },
        ) => (login_log::FAILURE, msg.clone()),
        Err(_) => return,
    };
    login_log::record(
        state,
        client,
        LoginAttempt {
            user_uuid: user_uuid.unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            username: username.to_owned(),
            status,
            msg,
            login_time: client.start_time,
        },
    );
}

/// FBA's captcha check, with one fix: a captcha is single-use whatever the outcome (FBA keeps
/// it after a wrong answer, so it could be retried until it expires). The key is consumed with a
/// delete whose result decides, so two concurrent logins cannot both use one code.
async fn check_captcha(
    state: &AppState,
    uuid: Option<&str>,
    answer: Option<&str>,
) -> AppResult<()> {
    let (Some(uuid), Some(answer)) = (
        uuid.filter(|s| !s.is_empty()),
        answer.filter(|s| !s.is_empty()),
    ) else {
        return Err(AdminError::CaptchaMissing.into());
    };
    let key = state.keys().login_captcha(uuid);
    let Some(code) = state.kv.get(&key).await? else {
        return Err(AdminError::CaptchaExpired.into());
    };
    if !state.kv.del(&key).await? {
        return Err(AdminError::CaptchaExpired.into());
    }
    if code.to_lowercase() != answer.to_lowercase() {
        return Err(AdminError::CaptchaWrong.into());
    }
    Ok(())
}

/// FBA's `user_verify`: the user by name, its status and lock, the password (failures counted
/// toward the lock), the password's age. Returns the user and the days until the password
/// expires when within the reminder window. `user_uuid` is set as soon as the user is known (for
/// the login log).
async fn verify_credentials(
    state: &AppState,
    username: &str,
    password: &str,
    user_uuid: &mut Option<String>,
) -> AppResult<(sys_user::Model, Option<i64>)> {
    let user = sys_user::Entity::get_by(&state.db, sys_user::Column::Username, username)
        .await?
        .ok_or(AdminError::LoginUserUnknown)?;
    *user_uuid = Some(user.uuid.clone());
    check_status(state, &user).await?;
    // The lock and password-age policy in force (read once: the config plugin may override it).
    let sec = state.user_security().await?;
    let slot = take_check_slot(state, &sec, user.id).await?;
    let verified = verify_bounded(password, user.password.as_deref()).await;
    if !matches!(verified, Ok(true)) {
        if let Err(e) = verified {
            release_check_slot(state, user.id, slot).await?;
            return Err(e);
        }
        return Err(failed_attempt(state, &sec, user.id, slot).await?.into());
    }
    release_check_slot(state, user.id, slot).await?;
    let days_remaining = password_days_remaining(&sec, user.last_password_changed_time)?;
    clear_lock(state, user.id).await?;
    Ok((user, days_remaining))
}

/// Unlocks user `user_id`: deletes its lock (`{USER_LOCK_REDIS_PREFIX}:{uid}`) and its failed
/// login count (`{LOGIN_FAILURE_PREFIX}:{uid}`).
///
/// # Errors
/// A Kv failure.
pub async fn clear_lock(state: &AppState, user_id: i64) -> AppResult<()> {
    let keys = state.keys();
    state.kv.del(&keys.user_lock(user_id)).await?;
    state.kv.del(&keys.login_failure(user_id)).await?;
    Ok(())
}

/// bcrypt checks running at once: one per CPU. A login storm then queues here (first come, first
/// served) instead of starting one blocking thread per request, so each login finishes in about
/// its own bcrypt time times its place in the queue, and the async workers keep a fair share of
/// the CPU for every other request.
fn bcrypt_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| {
        let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        tokio::sync::Semaphore::new(cpus)
    })
}

/// [`verify_password`] within [`bcrypt_slots`].
async fn verify_bounded(password: &str, hash: Option<&str>) -> AppResult<bool> {
    let _slot = bcrypt_slots().acquire().await.map_err(AppError::internal)?;
    verify_password(password, hash).await
}

/// Disabled user → 403; a lock (`{USER_LOCK_REDIS_PREFIX}:{uid}` = locked-until time) still in
/// force → 403 with the minutes left; a lock that has run out is cleared with the failure count.
async fn check_status(state: &AppState, user: &sys_user::Model) -> AppResult<()> {
    if user.status == 0 {
        return Err(AdminError::UserDisabled.into());
    }
    let lock_key = state.keys().user_lock(user.id);
    let Some(until) = state.kv.get(&lock_key).await? else {
        return Ok(());
    };
    let now = Utc::now();
    if let Some(until) = fba_common::datetime::parse(&until).filter(|u| *u > now) {
        let secs = (until - now).num_milliseconds() as f64 / 1000.0;
        let minutes = (secs / 60.0).ceil().max(1.0) as i64;
        return Err(AdminError::UserLocked { minutes }.into());
    }
    clear_lock(state, user.id).await
}

/// How long an attempt waits for a free check slot before it is answered 429.
const CHECK_SLOT_WAIT: Duration = Duration::from_secs(30);
/// Pause between two looks for a free check slot.
const CHECK_SLOT_POLL: Duration = Duration::from_millis(50);
/// Lifetime of the running-checks counter (renewed by every attempt; bounds the effect of a
/// process that died in the middle of a check).
const CHECKING_TTL: Duration = Duration::from_secs(30);

/// A password-check slot held by one running check ([`take_check_slot`]); give it back with
/// [`release_check_slot`] or [`failed_attempt`].
struct CheckSlot;

/// Takes a password-check slot for the user before bcrypt runs, so at most
/// `USER_LOCK_THRESHOLD` wrong passwords are ever checked per lock window, however many arrive
/// at once (FBA counts only after the check, so a burst of concurrent guesses was never locked
/// out in time).
///
/// A slot is free while `failures + checks running ≤ threshold` (FBA's failure count
/// `{LOGIN_FAILURE_PREFIX}:{uid}` and fba-rs's running-checks counter, both atomic Kv counters).
/// A wrong password adds its failure before it gives its slot back, so the sum never
/// undercounts. An attempt that finds no free slot waits (polling every 50 ms) for the running
/// checks to end: a correct password among them clears the failures and lets the others in; a
/// burst of guesses ends in the lock, which the waiting attempts then get without a hash.
/// Waiting costs one `MGET` per poll.
/// Concurrent logins with the right password therefore all succeed, at most `threshold` at a
/// time. `None` when the threshold is 0 (nothing counted).
///
/// # Errors
/// 403 (FBA's too-many-failures message) once the failures reach the threshold; 429 when no
/// slot frees up within 30 s; 503 when the Kv store is down.
async fn take_check_slot(
    state: &AppState,
    sec: &UserSecuritySettings,
    user_id: i64,
) -> AppResult<Option<CheckSlot>> {
    let threshold = i64::from(sec.lock_threshold);
    if threshold == 0 {
        return Ok(None);
    }
    let keys = state.keys();
    let counters = [keys.login_failure(user_id), keys.login_checking(user_id)];
    let number = |v: Option<&String>| v.and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let deadline = tokio::time::Instant::now() + CHECK_SLOT_WAIT;
    loop {
        // One round trip to look; the slot itself is taken with an atomic INCR and checked
        // again, since others may have taken it in between.
        let seen = state.kv.mget(&counters).await?;
        let at = |i: usize| seen.get(i).and_then(Option::as_ref);
        let (failed, running) = (number(at(0)), number(at(1)));
        if failed >= threshold {
            return Err(AdminError::TooManyLoginFailures.into());
        }
        if failed + running < threshold {
            let running = state.kv.incr(&counters[1], 1, Some(CHECKING_TTL)).await?;
            let failed = number(state.kv.get(&counters[0]).await?.as_ref());
            if failed + running <= threshold {
                state.kv.expire(&counters[1], CHECKING_TTL).await?;
                return Ok(Some(CheckSlot));
            }
            release_check_slot(state, user_id, Some(CheckSlot)).await?;
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(AdminError::PasswordChecksBusy.into());
        }
        tokio::time::sleep(CHECK_SLOT_POLL).await;
    }
}

/// Gives a slot of [`take_check_slot`] back.
///
/// # Errors
/// 503 when the Kv store is down.
async fn release_check_slot(
    state: &AppState,
    user_id: i64,
    slot: Option<CheckSlot>,
) -> AppResult<()> {
    if slot.is_some() {
        let key = state.keys().login_checking(user_id);
        state.kv.incr(&key, -1, Some(CHECKING_TTL)).await?;
    }
    Ok(())
}

/// Counts a wrong password whose check held `slot` (the failure first, then the slot given
/// back): the failure window (`USER_LOCK_SECONDS`) is renewed, and the failure that reaches
/// `USER_LOCK_THRESHOLD` locks the account for `USER_LOCK_SECONDS`
/// (`{USER_LOCK_REDIS_PREFIX}:{uid}` = locked-until). Returns the answer for the client.
///
/// # Errors
/// 503 when the Kv store is down (returned instead of the answer).
async fn failed_attempt(
    state: &AppState,
    sec: &UserSecuritySettings,
    user_id: i64,
    slot: Option<CheckSlot>,
) -> AppResult<AdminError> {
    if slot.is_none() {
        return Ok(AdminError::PasswordWrong);
    }
    let ttl = Duration::from_secs(sec.lock_secs);
    let key = state.keys().login_failure(user_id);
    let failures = state.kv.incr(&key, 1, Some(ttl)).await;
    let released = release_check_slot(state, user_id, slot).await;
    let failures = failures?;
    released?;
    state.kv.expire(&key, ttl).await?;
    if failures < i64::from(sec.lock_threshold) {
        return Ok(AdminError::PasswordWrong);
    }
    let until = Utc::now() + chrono::Duration::seconds(i64::try_from(sec.lock_secs).unwrap_or(0));
    state
        .kv
        .set(
            &state.keys().user_lock(user_id),
            &fba_common::datetime::format(&until),
            Some(ttl),
        )
        .await?;
    Ok(AdminError::TooManyLoginFailures)
}

/// FBA's password-age check: never changed or older than `USER_PASSWORD_EXPIRY_DAYS` → 403;
/// else the whole days left when within `USER_PASSWORD_REMINDER_DAYS`. Expiry 0: never.
fn password_days_remaining(
    sec: &UserSecuritySettings,
    changed: Option<DateTime<Utc>>,
) -> AppResult<Option<i64>> {
    if sec.password_expiry_days == 0 {
        return Ok(None);
    }
    let changed = changed.ok_or(AdminError::PasswordExpired)?;
    let expiry = changed + chrono::Duration::days(i64::from(sec.password_expiry_days));
    // Python's `timedelta.days`: floor division of the remaining time into days.
    let days = (expiry - Utc::now()).num_seconds().div_euclid(86_400);
    if days < 0 {
        return Err(AdminError::PasswordExpired.into());
    }
    Ok((days <= i64::from(sec.password_reminder_days)).then_some(days))
}

/// Sets `last_login_time` (and `updated_time`, as FBA's ORM does) of the user.
async fn touch_last_login<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    sys_user::Entity::update_many()
        .col_expr(sys_user::Column::LastLoginTime, Expr::value(now))
        .col_expr(sys_user::Column::UpdatedTime, Expr::value(now))
        .filter(sys_user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// `POST /auth/refresh` with the refresh cookie (FBA §3.5): the old refresh token is single-use;
/// the old session's keys are deleted and a new session (new `session_uuid`) is issued.
///
/// # Errors
/// 400 no cookie; 401 `Token 已过期`/`Token 无效` for a bad cookie, 401 when the refresh token is
/// not the session's current one; 404 user gone; 403 user disabled; 403 when a user without
/// multi-login has another live session.
pub async fn refresh(
    state: &AppState,
    security: &Security,
    client: &ClientInfo,
    cookie: Option<&str>,
) -> AppResult<RefreshOutcome> {
    let Some(refresh_token) = cookie.filter(|c| !c.is_empty()) else {
        return Err(AdminError::RefreshTokenMissing.into());
    };
    let claims = security
        .jwt
        .decode(refresh_token)
        .map_err(AdminError::RefreshTokenRejected)?;
    let user_id = claims.user_id().map_err(AdminError::RefreshTokenRejected)?;
    let user = sys_user::Entity::get(&state.db, user_id)
        .await?
        .ok_or(AdminError::UserNotFound)?;
    if user.status == 0 {
        return Err(AdminError::UserDisabled.into());
    }
    if !user.is_multi_login
        && token::user_sessions(state, user.id)
            .await?
            .iter()
            .any(|s| *s != claims.session_uuid)
    {
        return Err(AdminError::UserLoggedInElsewhere.into());
    }
    let stored = token::stored_refresh_token(state, user.id, &claims.session_uuid).await?;
    if stored.as_deref() != Some(refresh_token) {
        return Err(AdminError::RefreshTokenStale.into());
    }
    // Single use: whoever deletes the key first wins a concurrent race.
    let refresh_key = state.keys().refresh_token(user.id, &claims.session_uuid);
    if !state.kv.del(&refresh_key).await? {
        return Err(AdminError::RefreshTokenStale.into());
    }
    token::revoke_session(state, user.id, &claims.session_uuid, false).await?;
    let agent = client.agent();
    let extra = serde_json::json!({
        "username": user.username,
        "nickname": user.nickname,
        "last_login_time": user.last_login_time.as_ref().map(fba_common::datetime::format),
        "ip": client.ip,
        "os": agent.os,
        "browser": agent.browser,
        "device": agent.device,
    });
    let session =
        token::create_session(state, security, user.id, user.is_multi_login, &extra, true).await?;
    let refresh = session
        .refresh
        .ok_or_else(|| AppError::Internal("session without a refresh token".to_owned()))?;
    Ok(RefreshOutcome {
        token: NewToken {
            access_token: session.access.token,
            access_token_expire_time: session.access.expires_at,
            session_uuid: session.session_uuid,
        },
        refresh,
    })
}

/// `POST /auth/logout`: deletes the session of the access token (and its refresh token when the
/// refresh cookie came too). Without a usable access token, a refresh cookie that is still its
/// session's current token ends that session instead (FBA then does nothing, leaving the
/// refresh token usable for its lifetime). Never fails on a bad token.
///
/// # Errors
/// Only a Kv failure (503).
pub async fn logout(
    state: &AppState,
    security: &Security,
    auth: Option<&AuthContext>,
    cookie: Option<&str>,
) -> AppResult<()> {
    let cookie = cookie.filter(|c| !c.is_empty());
    if let Some(auth) = auth {
        return token::revoke_session(state, auth.user.id, &auth.session_uuid, cookie.is_some())
            .await;
    }
    let Some(refresh_token) = cookie else {
        return Ok(());
    };
    let Ok(claims) = security.jwt.decode(refresh_token) else {
        return Ok(());
    };
    let Ok(user_id) = claims.user_id() else {
        return Ok(());
    };
    let stored = token::stored_refresh_token(state, user_id, &claims.session_uuid).await?;
    if stored.as_deref() == Some(refresh_token) {
        token::revoke_session(state, user_id, &claims.session_uuid, true).await?;
    }
    Ok(())
}
