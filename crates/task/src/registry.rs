//! The registry of named tasks ([`TaskRegistry`]): each one an async function of a
//! [`TaskContext`] and its [`TaskCall`] (Celery's positional and keyword arguments) returning a
//! JSON value or a [`TaskFailure`]. Workers look tasks up by name; `GET /tasks/registered`
//! lists them.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use fba_common::AppState;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

/// What a running task knows about itself and the app.
#[derive(Clone)]
pub struct TaskContext {
    /// The app's shared state (database, Kv store, Socket.IO hub, settings).
    pub state: AppState,
    /// The job's id (`task_result.task_id`).
    pub task_id: String,
    /// The task name.
    pub name: String,
    /// How many times this job was retried before this run.
    pub retries: u32,
}

impl std::fmt::Debug for TaskContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskContext")
            .field("task_id", &self.task_id)
            .field("name", &self.name)
            .field("retries", &self.retries)
            .finish_non_exhaustive()
    }
}

/// A call's arguments: Celery's `args` and `kwargs`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskCall {
    /// Positional arguments.
    pub args: Vec<Value>,
    /// Keyword arguments.
    pub kwargs: Map<String, Value>,
}

impl TaskCall {
    /// Parameter `name` at `position`, like a Python call binds it: the positional argument
    /// when given, else the keyword argument.
    ///
    /// # Errors
    /// A `TypeError` failure when it is missing or given twice, a `ValueError` failure when it
    /// does not have type `T`.
    pub fn arg<T: DeserializeOwned>(&self, position: usize, name: &str) -> Result<T, TaskFailure> {
        self.opt_arg(position, name)?.ok_or_else(|| {
            TaskFailure::new(
                "TypeError",
                format!("missing 1 required positional argument: '{name}'"),
            )
        })
    }

    /// Like [`TaskCall::arg`] for a parameter with a default: `None` when neither given nor
    /// `null`.
    ///
    /// # Errors
    /// As [`TaskCall::arg`], except for a missing value.
    pub fn opt_arg<T: DeserializeOwned>(
        &self,
        position: usize,
        name: &str,
    ) -> Result<Option<T>, TaskFailure> {
        let value = match (self.args.get(position), self.kwargs.get(name)) {
            (Some(_), Some(_)) => {
                return Err(TaskFailure::new(
                    "TypeError",
                    format!("got multiple values for argument '{name}'"),
                ));
            }
            (Some(v), None) | (None, Some(v)) => v.clone(),
            (None, None) => return Ok(None),
        };
        if value.is_null() {
            return Ok(None);
        }
        serde_json::from_value(value)
            .map(Some)
            .map_err(|e| TaskFailure::new("ValueError", format!("argument '{name}': {e}")))
    }
}

/// Why a task failed, in Celery's terms: the exception type, message and module stored in
/// `task_result.result` as `{"exc_type","exc_message","exc_module"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFailure {
    /// The exception type (`ValueError`, `OperationalError`, `TimeLimitExceeded`).
    pub exc_type: String,
    /// The message.
    pub exc_message: String,
    /// The exception's module (`builtins`).
    pub exc_module: String,
    /// Whether the worker retries the job (up to `CELERY_TASK_MAX_RETRIES`): FBA's task base
    /// retries database errors.
    pub retryable: bool,
}

impl TaskFailure {
    /// A failure that is not retried, from module `builtins`.
    pub fn new(exc_type: impl Into<String>, exc_message: impl Into<String>) -> Self {
        Self {
            exc_type: exc_type.into(),
            exc_message: exc_message.into(),
            exc_module: "builtins".to_owned(),
            retryable: false,
        }
    }

    /// The same failure, retried by the worker.
    pub fn retryable(mut self) -> Self {
        self.retryable = true;
        self
    }

    /// The same failure from `module`.
    pub fn in_module(mut self, module: impl Into<String>) -> Self {
        self.exc_module = module.into();
        self
    }

    /// A database error: retryable, like FBA's autoretry on `SQLAlchemyError`.
    pub fn database(e: &sea_orm::DbErr) -> Self {
        Self::new("OperationalError", e.to_string())
            .in_module("sqlalchemy.exc")
            .retryable()
    }

    /// Celery's failure dict (`task_result.result` of a `FAILURE`).
    pub fn to_value(&self) -> Value {
        json!({
            "exc_type": self.exc_type,
            "exc_message": [self.exc_message],
            "exc_module": self.exc_module,
        })
    }
}

impl From<sea_orm::DbErr> for TaskFailure {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::database(&e)
    }
}

/// What a task returns.
pub type TaskOutcome = Result<Value, TaskFailure>;

/// The boxed future of one run.
pub type TaskFuture = Pin<Box<dyn Future<Output = TaskOutcome> + Send>>;

/// A task's body.
pub type TaskFn = Arc<dyn Fn(TaskContext, TaskCall) -> TaskFuture + Send + Sync>;

/// One registered task.
#[derive(Clone)]
pub struct TaskDef {
    /// The name jobs are sent under (`task_demo`, `backend.app.task.tasks.db_log.tasks.…`).
    pub name: &'static str,
    /// What `GET /tasks/registered` shows as `name` (FBA shows the docstring, else the name).
    pub doc: &'static str,
    /// The body.
    pub run: TaskFn,
}

impl std::fmt::Debug for TaskDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskDef")
            .field("name", &self.name)
            .field("doc", &self.doc)
            .finish_non_exhaustive()
    }
}

impl TaskDef {
    /// A task named `name`, described by `doc`, running `f`.
    pub fn new<F, Fut>(name: &'static str, doc: &'static str, f: F) -> Self
    where
        F: Fn(TaskContext, TaskCall) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = TaskOutcome> + Send + 'static,
    {
        Self {
            name,
            doc,
            run: Arc::new(move |ctx, call| Box::pin(f(ctx, call))),
        }
    }
}

/// The tasks a worker can run, by name.
#[derive(Debug, Clone, Default)]
pub struct TaskRegistry {
    tasks: BTreeMap<&'static str, TaskDef>,
}

impl TaskRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `task`, replacing a task of the same name.
    pub fn register(&mut self, task: TaskDef) -> &mut Self {
        self.tasks.insert(task.name, task);
        self
    }

    /// The task named `name`.
    pub fn get(&self, name: &str) -> Option<&TaskDef> {
        self.tasks.get(name)
    }

    /// Every task, by name.
    pub fn iter(&self) -> impl Iterator<Item = &TaskDef> {
        self.tasks.values()
    }

    /// The registered names, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        self.tasks.keys().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(args: Value, kwargs: Value) -> TaskCall {
        TaskCall {
            args: serde_json::from_value(args).unwrap(),
            kwargs: serde_json::from_value(kwargs).unwrap(),
        }
    }

    #[test]
    fn arguments_bind_like_a_python_call() {
        let c = call(json!(["你好，"]), json!({"world": "世界"}));
        assert_eq!(c.arg::<String>(0, "hello").unwrap(), "你好，");
        assert_eq!(c.arg::<String>(1, "world").unwrap(), "世界");
        assert_eq!(c.opt_arg::<String>(2, "other").unwrap(), None);
        let missing = c.arg::<String>(2, "other").unwrap_err();
        assert_eq!(missing.exc_type, "TypeError");
        let twice = call(json!(["a"]), json!({"hello": "b"}));
        assert_eq!(
            twice.arg::<String>(0, "hello").unwrap_err().exc_type,
            "TypeError"
        );
        let wrong = call(json!([1]), json!({}));
        assert_eq!(
            wrong.arg::<String>(0, "hello").unwrap_err().exc_type,
            "ValueError"
        );
    }

    #[test]
    fn a_failure_becomes_celerys_dict() {
        let f = TaskFailure::new("ValueError", "boom");
        assert!(!f.retryable);
        assert_eq!(
            f.to_value(),
            json!({"exc_type": "ValueError", "exc_message": ["boom"], "exc_module": "builtins"})
        );
        assert!(TaskFailure::database(&sea_orm::DbErr::Custom("x".into())).retryable);
    }
}
