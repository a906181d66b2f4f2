//! What follows a change of who may do what (roles, menus): the affected users' cached rows are
//! dropped and the RBAC policy is reloaded here and on every replica.

use fba_common::security::{Security, invalidate_user};
use fba_common::{AppResult, AppState};

/// Drops the cached users `user_ids` and reloads the RBAC policy on every replica.
///
/// # Errors
/// A Kv or database failure.
pub async fn access_changed(
    state: &AppState,
    security: &Security,
    user_ids: &[i64],
) -> AppResult<()> {
    for &uid in user_ids {
        invalidate_user(state, uid).await?;
    }
    security.rbac.policy_changed(&state.kv).await
}
