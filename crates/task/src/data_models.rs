//! The task tables as data-rule models (`GET /sys/data-rules/models`): FBA's `TaskExtended`
//! (`task_result`, no column comments, as Celery's table has none) and `TaskScheduler`.

use fba_common::data_model::{ColumnKind, DataModel, ModelColumn};

const fn bare(key: &'static str, kind: ColumnKind) -> ModelColumn {
    ModelColumn {
        key,
        comment: None,
        kind,
    }
}

/// FBA's `TaskExtended` model.
pub const TASK_EXTENDED: DataModel = DataModel {
    name: "TaskExtended",
    table: crate::migration::RESULT_TABLE,
    columns: &[
        bare("id", ColumnKind::BigInt),
        bare("task_id", ColumnKind::Text),
        bare("status", ColumnKind::Text),
        bare("result", ColumnKind::Json),
        bare("date_done", ColumnKind::DateTime),
        bare("traceback", ColumnKind::Text),
        bare("name", ColumnKind::Text),
        bare("args", ColumnKind::Json),
        bare("kwargs", ColumnKind::Json),
        bare("worker", ColumnKind::Text),
        bare("retries", ColumnKind::Int),
        bare("queue", ColumnKind::Text),
    ],
};

/// FBA's `TaskScheduler` model, with its column comments.
pub const TASK_SCHEDULER: DataModel = DataModel {
    name: "TaskScheduler",
    table: crate::migration::SCHEDULER_TABLE,
    columns: &[
        ModelColumn::new("id", "主键 ID", ColumnKind::BigInt),
        ModelColumn::new("name", "任务名称", ColumnKind::Text),
        ModelColumn::new("task", "要运行的 Celery 任务", ColumnKind::Text),
        ModelColumn::new("args", "任务可接收的位置参数", ColumnKind::Text),
        ModelColumn::new("kwargs", "任务可接收的关键字参数", ColumnKind::Text),
        ModelColumn::new("queue", "CELERY_TASK_QUEUES 中定义的队列", ColumnKind::Text),
        ModelColumn::new("exchange", "低级别 AMQP 路由的交换机", ColumnKind::Text),
        ModelColumn::new(
            "routing_key",
            "低级别 AMQP 路由的路由密钥",
            ColumnKind::Text,
        ),
        ModelColumn::new("start_time", "任务开始触发的时间", ColumnKind::DateTime),
        ModelColumn::new(
            "expire_time",
            "任务不再触发的截止时间",
            ColumnKind::DateTime,
        ),
        ModelColumn::new(
            "expire_seconds",
            "任务不再触发的秒数时间差",
            ColumnKind::Int,
        ),
        ModelColumn::new("type", "调度类型（0间隔 1定时）", ColumnKind::Int),
        ModelColumn::new(
            "interval_every",
            "任务再次运行前的间隔周期数",
            ColumnKind::Int,
        ),
        ModelColumn::new(
            "interval_period",
            "任务运行之间的周期类型",
            ColumnKind::Text,
        ),
        ModelColumn::new("crontab", "Crontab 表达式", ColumnKind::Text),
        ModelColumn::new("one_off", "是否仅运行一次", ColumnKind::Bool),
        ModelColumn::new("enabled", "是否启用任务", ColumnKind::Bool),
        ModelColumn::new("total_run_count", "任务触发的总次数", ColumnKind::Int),
        ModelColumn::new("last_run_time", "任务最后触发的时间", ColumnKind::DateTime),
        ModelColumn::new("remark", "备注", ColumnKind::Text),
        ModelColumn::new("created_time", "创建时间", ColumnKind::DateTime),
        ModelColumn::new("updated_time", "更新时间", ColumnKind::DateTime),
    ],
};
