//! The login log: recording attempts off the request path, listing and deleting rows.
//!
//! [`record`] never fails a request: the insert runs on its own task with a clone of the pool
//! and only logs a failure (FBA writes the row in a background task with its own session).
//! Country, region and city come from [`AppState::ip_locator`] (`IP_LOCATION_*`); `null` when
//! it knows nothing of the ip.

use chrono::{DateTime, Utc};
use fba_common::context::ClientInfo;
use fba_common::pagination::{Page, PageParams};
use fba_common::{AppResult, AppState};
use fba_db::Repository;

use super::fit;
use crate::crud;
use crate::model::sys_login_log;
use crate::schema::login_log::{LoginLogDetail, LoginLogFilter};

/// `status` of a failed attempt.
pub const FAILURE: i32 = 0;
/// `status` of a successful attempt.
pub const SUCCESS: i32 = 1;

/// One login attempt to record.
#[derive(Debug, Clone)]
pub struct LoginAttempt {
    /// The user's uuid, or a fresh random one when the name matched no user.
    pub user_uuid: String,
    /// The login name as typed.
    pub username: String,
    /// [`SUCCESS`] or [`FAILURE`].
    pub status: i32,
    /// The outcome message the client saw.
    pub msg: String,
    /// When the request arrived.
    pub login_time: DateTime<Utc>,
}

/// Writes `attempt` with the client's ip, its location and the user agent on a background
/// task; the caller does not wait. A failed insert is logged, never returned.
pub fn record(state: &AppState, client: &ClientInfo, attempt: LoginAttempt) {
    let agent = client.agent();
    let location = state.ip_locator.lookup(&client.ip).unwrap_or_default();
    // Texts fitted to FBA's column widths (64, the user agent 512).
    let column = |v: Option<String>| v.map(|s| fit(&s, 64));
    let row = sys_login_log::Model {
        id: 0,
        user_uuid: fit(&attempt.user_uuid, 64),
        username: fit(&attempt.username, 64),
        status: attempt.status,
        ip: fit(&client.ip, 64),
        country: column(location.country),
        region: column(location.region),
        city: column(location.city),
        user_agent: client.user_agent.as_deref().map(|ua| fit(ua, 512)),
        os: column(agent.os),
        browser: column(agent.browser),
        device: column(agent.device),
        msg: attempt.msg.replace('\0', ""),
        login_time: attempt.login_time,
        created_time: Utc::now(),
    };
    let id = match state.next_id() {
        Ok(id) => id,
        Err(e) => {
            tracing::error!(error = %e, "login log: no id; row not written");
            return;
        }
    };
    let db = state.db.clone();
    tokio::spawn(async move {
        if let Err(e) = crud::login_log::create(&db, id, row).await {
            tracing::error!(error = %e, "login log: insert failed");
        }
    });
}

/// One page of the log, newest first.
///
/// # Errors
/// A database failure.
pub async fn list(
    state: &AppState,
    filter: &LoginLogFilter,
    params: &PageParams,
) -> AppResult<Page<LoginLogDetail>> {
    let (rows, total) = crud::log::page::<sys_login_log::Entity, _>(
        &state.db,
        filter.into(),
        params.offset(),
        params.limit(),
    )
    .await?;
    Ok(Page::new(
        rows.into_iter().map(LoginLogDetail::from).collect(),
        total,
        params,
    ))
}

/// Deletes the rows with these ids; returns how many were deleted.
///
/// # Errors
/// A database failure.
pub async fn delete(state: &AppState, pks: &[i64]) -> AppResult<u64> {
    Ok(sys_login_log::Entity::delete_ids(&state.db, pks).await?)
}

/// Deletes every row.
///
/// # Errors
/// A database failure.
pub async fn delete_all(state: &AppState) -> AppResult<()> {
    sys_login_log::Entity::delete_all(&state.db).await?;
    Ok(())
}
