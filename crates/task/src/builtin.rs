//! FBA's built-in tasks (`app/task/tasks/`): the demo tasks and the log clean-ups, and the
//! beat entries FBA's scheduler upserts at start.

use std::time::Duration;

use sea_orm::{ConnectionTrait, Statement};
use serde_json::Value;

use crate::registry::{TaskCall, TaskContext, TaskDef, TaskFailure, TaskOutcome, TaskRegistry};

/// `backend.app.task.tasks.db_log.tasks.delete_db_opera_log`.
pub const DELETE_OPERA_LOG: &str = "backend.app.task.tasks.db_log.tasks.delete_db_opera_log";
/// `backend.app.task.tasks.db_log.tasks.delete_db_login_log`.
pub const DELETE_LOGIN_LOG: &str = "backend.app.task.tasks.db_log.tasks.delete_db_login_log";

/// How long the demo tasks sleep (FBA: 30 s, `task_demo_params` 1 s).
const DEMO_SLEEP: Duration = Duration::from_secs(30);

async fn demo(_ctx: TaskContext, _call: TaskCall) -> TaskOutcome {
    tokio::time::sleep(DEMO_SLEEP).await;
    Ok(Value::from("test async"))
}

async fn demo_params(_ctx: TaskContext, call: TaskCall) -> TaskOutcome {
    let hello: Value = call.arg(0, "hello")?;
    let world: Option<Value> = call.opt_arg(1, "world")?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    // Python's `hello + world`: strings concatenate, numbers add, anything else is a TypeError.
    match (hello, world) {
        (Value::String(h), Some(Value::String(w))) => Ok(Value::String(format!("{h}{w}"))),
        (Value::Number(h), Some(Value::Number(w))) => match (h.as_i64(), w.as_i64()) {
            (Some(a), Some(b)) => Ok(a.checked_add(b).map_or(Value::Null, Value::from)),
            _ => Ok(Value::from(
                h.as_f64().unwrap_or(0.0) + w.as_f64().unwrap_or(0.0),
            )),
        },
        (h, w) => Err(TaskFailure::new(
            "TypeError",
            format!(
                "unsupported operand type(s) for +: {} and {}",
                type_name(&h),
                w.as_ref().map_or("NoneType", type_name)
            ),
        )),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

async fn delete_all(ctx: &TaskContext, table: &str) -> TaskOutcome {
    let db = &ctx.state.db;
    db.execute_raw(Statement::from_string(
        db.get_database_backend(),
        format!("DELETE FROM {table}"),
    ))
    .await?;
    Ok(Value::from("Success"))
}

async fn delete_opera_log(ctx: TaskContext, _call: TaskCall) -> TaskOutcome {
    delete_all(&ctx, "sys_opera_log").await
}

async fn delete_login_log(ctx: TaskContext, _call: TaskCall) -> TaskOutcome {
    delete_all(&ctx, "sys_login_log").await
}

/// Adds FBA's built-in tasks to `registry`.
pub fn register(registry: &mut TaskRegistry) {
    registry
        .register(TaskDef::new("task_demo", "示例任务，模拟耗时操作", demo))
        .register(TaskDef::new(
            "task_demo_async",
            "异步示例任务，模拟耗时操作",
            demo,
        ))
        .register(TaskDef::new(
            "task_demo_params",
            "参数示例任务，模拟传参操作",
            demo_params,
        ))
        .register(TaskDef::new(
            DELETE_OPERA_LOG,
            "自动删除数据库操作日志",
            delete_opera_log,
        ))
        .register(TaskDef::new(
            DELETE_LOGIN_LOG,
            "自动删除数据库登录日志",
            delete_login_log,
        ));
}

/// One of FBA's built-in beat entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BeatEntry {
    /// `task_scheduler.name`.
    pub name: &'static str,
    /// The task.
    pub task: &'static str,
    /// `Some(seconds)` for an interval entry, `None` for a crontab one.
    pub every_seconds: Option<i32>,
    /// The crontab of a crontab entry.
    pub crontab: &'static str,
    /// `args` JSON text.
    pub args: Option<&'static str>,
    /// `kwargs` JSON text.
    pub kwargs: Option<&'static str>,
}

/// FBA's `LOCAL_BEAT_SCHEDULE`, upserted by name when a scheduler starts.
pub const BEAT_ENTRIES: &[BeatEntry] = &[
    BeatEntry {
        name: "测试同步任务",
        task: "task_demo",
        every_seconds: Some(30),
        crontab: "* * * * *",
        args: None,
        kwargs: None,
    },
    BeatEntry {
        name: "测试异步任务",
        task: "task_demo_async",
        every_seconds: None,
        crontab: "1 * * * *",
        args: None,
        kwargs: None,
    },
    BeatEntry {
        name: "测试传参任务",
        task: "task_demo_params",
        every_seconds: None,
        crontab: "1 * * * *",
        args: Some(r#"["你好，"]"#),
        kwargs: Some(r#"{"world": "世界"}"#),
    },
    BeatEntry {
        name: "清理操作日志",
        task: DELETE_OPERA_LOG,
        every_seconds: None,
        crontab: "0 0 * * 6",
        args: None,
        kwargs: None,
    },
    BeatEntry {
        name: "清理登录日志",
        task: DELETE_LOGIN_LOG,
        every_seconds: None,
        crontab: "0 0 15 * *",
        args: None,
        kwargs: None,
    },
];
