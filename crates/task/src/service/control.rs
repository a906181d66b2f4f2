//! Worker control for `/tasks` (FBA's `control.py`): the tasks live workers run, and
//! revocation. Workers are known by their heartbeats ([`crate::control`]), not by a broadcast
//! ping.

use fba_common::AppResult;

use crate::client::Tasks;
use crate::schema::control::TaskRegisteredDetail;

/// The tasks the live workers run, each once, by name.
///
/// # Errors
/// 503 `Celery Worker 暂不可用，请稍后重试` when no worker is live; a Kv failure.
pub async fn registered(tasks: &Tasks) -> AppResult<Vec<TaskRegisteredDetail>> {
    Ok(tasks
        .registered()
        .await?
        .into_iter()
        .map(TaskRegisteredDetail::from)
        .collect())
}

/// Revokes job `task_id` (no terminate: a running job finishes), once a worker is live.
///
/// # Errors
/// 503 `Celery Worker 暂不可用，请稍后重试` when no worker is live; a Kv failure.
pub async fn revoke(tasks: &Tasks, task_id: &str) -> AppResult<()> {
    tasks.require_workers().await?;
    tasks.revoke(task_id).await?;
    Ok(())
}
