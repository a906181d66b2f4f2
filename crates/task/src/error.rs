//! [`TaskError`]: the business failures of the task system and their one mapping to FBA's
//! reply (the `From<TaskError> for AppError` impl). The Fluent keys (`error-task-*`) are used
//! here only.

use fba_common::AppError;
use fba_common::i18n::t;

use crate::broker::BrokerError;

/// A business failure of the task system.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// 503 `Celery Worker 暂不可用，请稍后重试`: no worker announced itself recently (FBA: a
    /// 500 after its 0.5 s ping).
    #[error("no live worker")]
    NoWorker,
    /// 404 `任务结果不存在`.
    #[error("task result not found")]
    ResultNotFound,
    /// 404 `任务调度不存在`.
    #[error("task scheduler not found")]
    SchedulerNotFound,
    /// 409 `任务调度已存在`.
    #[error("task scheduler exists")]
    SchedulerExists,
    /// 400 `Crontab 表达式非法`.
    #[error("invalid crontab")]
    InvalidCrontab,
    /// 409 `expires 和 expire_seconds 只能设置一个`.
    #[error("expire_time and expire_seconds both set")]
    ExpiresConflict,
    /// 400 `执行失败，任务参数非法`: an entry's `args`/`kwargs` text is not JSON of the right
    /// shape.
    #[error("invalid task arguments")]
    InvalidArguments,
    /// The broker failed (503 during an outage).
    #[error(transparent)]
    Broker(#[from] BrokerError),
    /// The Kv store failed (503 during an outage).
    #[error(transparent)]
    Kv(#[from] fba_db::KvError),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

impl From<TaskError> for AppError {
    fn from(e: TaskError) -> Self {
        match e {
            TaskError::NoWorker => AppError::Custom {
                code: 503,
                msg: t("error-task-no-worker"),
            },
            TaskError::ResultNotFound => AppError::NotFound(t("error-task-result-not-found")),
            TaskError::SchedulerNotFound => AppError::NotFound(t("error-task-scheduler-not-found")),
            TaskError::SchedulerExists => AppError::Conflict(t("error-task-scheduler-exists")),
            TaskError::InvalidCrontab => AppError::BadRequest(t("error-task-invalid-crontab")),
            TaskError::ExpiresConflict => AppError::Conflict(t("error-task-expires-conflict")),
            TaskError::InvalidArguments => AppError::BadRequest(t("error-task-invalid-arguments")),
            TaskError::Broker(e) => e.into(),
            TaskError::Kv(e) => e.into(),
            TaskError::Db(e) => e.into(),
        }
    }
}
