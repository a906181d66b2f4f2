//! `/schedulers` shapes: FBA's `CreateTaskSchedulerParam`/`UpdateTaskSchedulerParam` (one
//! body, [`TaskSchedulerParam`], validated into [`ValidTaskScheduler`]), the list filter and
//! `GetTaskSchedulerDetail` ([`TaskSchedulerDetail`]).
//!
//! Limits are the `task_scheduler` column sizes (`name` 64, `task`, `queue`, `exchange`,
//! `routing_key` 256, `crontab` 64 characters); `type` is FBA's `TaskSchedulerType` (0
//! interval, 1 crontab), `interval_period` its `PeriodType`; integers, booleans and datetimes
//! are read as pydantic's lax mode reads them. Text with a NUL character is refused. Every
//! failure is a 422 naming the field.
//!
//! `args` and `kwargs` are stored as JSON *text*: FBA's UI sends a JSON string holding the
//! text (`"[\"a\"]"`), which is stored as it is; any other JSON value (an array, an object)
//! is stored as its serialized text, and is shown back as that text (a string).
//!
//! An optional field absent from the body leaves the column as it is on update (FBA's
//! `exclude_unset` update) and takes FBA's default on create; `null` stores `NULL`.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use fba_common::extract::FieldErrors;
use fba_common::validate::{
    body_loc, check_text, int_enum, int_filter, lax_bool, lax_int, text_filter,
};
use fba_common::{AppError, FieldError, validate_by_parse};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Value, json};

use crate::model::task_scheduler;
use crate::scheduler::schedule::{INTERVAL_PERIODS, TYPE_CRONTAB, TYPE_INTERVAL};

/// Longest `name` (`VARCHAR(64)`).
pub const NAME_MAX_CHARS: usize = 64;
/// Longest `task`, `queue`, `exchange`, `routing_key` (`VARCHAR(256)`).
pub const ROUTE_MAX_CHARS: usize = 256;
/// Longest `crontab` (`VARCHAR(64)`).
pub const CRONTAB_MAX_CHARS: usize = 64;
/// FBA's default `crontab`.
pub const DEFAULT_CRONTAB: &str = "* * * * *";

/// serde helper: a field that is present (even as `null`) becomes `Some(value)`; an absent one
/// stays `None` through `#[serde(default)]`. Tells "leave unchanged" from "set to null".
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// Body of `POST /schedulers` and `PUT /schedulers/{pk}` as received (FBA
/// `TaskSchedulerSchemeBase`). Unknown fields are ignored.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct TaskSchedulerParam {
    /// 任务名称 (unique).
    pub name: String,
    /// 要运行的 Celery 任务.
    pub task: String,
    /// 任务可接收的位置参数: JSON text of a list (`"[\"a\"]"`).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub args: Option<Value>,
    /// 任务可接收的关键字参数: JSON text of an object (`"{\"k\": 1}"`).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub kwargs: Option<Value>,
    /// CELERY_TASK_QUEUES 中定义的队列.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub queue: Option<Option<String>>,
    /// 低级别 AMQP 路由的交换机.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub exchange: Option<Option<String>>,
    /// 低级别 AMQP 路由的路由密钥.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub routing_key: Option<Option<String>>,
    /// 任务开始触发的时间.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub start_time: Option<Value>,
    /// 任务不再触发的截止时间.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub expire_time: Option<Value>,
    /// 任务不再触发的秒数时间差.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>)]
    pub expire_seconds: Option<Value>,
    /// 任务调度类型（0间隔 1定时）.
    #[serde(rename = "type")]
    #[schema(value_type = i32)]
    pub scheduler_type: Value,
    /// 任务再次运行前的间隔周期数.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>)]
    pub interval_every: Option<Value>,
    /// 任务运行之间的周期类型 (`days`, `hours`, `minutes`, `seconds`, `microseconds`).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub interval_period: Option<Value>,
    /// Crontab 表达式 (default `* * * * *`).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String)]
    pub crontab: Option<String>,
    /// 是否仅运行一次 (default false).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = bool)]
    pub one_off: Option<Value>,
    /// 备注.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub remark: Option<Option<String>>,
}

/// A scheduler body that passed every edge check. For the optional columns, `None` means
/// absent from the body (the default on create, unchanged on update) and `Some(None)` means
/// `NULL`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidTaskScheduler {
    /// Name, at most 64 characters.
    pub name: String,
    /// Task name, at most 256 characters.
    pub task: String,
    /// Positional arguments as JSON text.
    pub args: Option<Option<String>>,
    /// Keyword arguments as JSON text.
    pub kwargs: Option<Option<String>>,
    /// Queue.
    pub queue: Option<Option<String>>,
    /// Exchange.
    pub exchange: Option<Option<String>>,
    /// Routing key.
    pub routing_key: Option<Option<String>>,
    /// Not due before.
    pub start_time: Option<Option<DateTime<Utc>>>,
    /// Expiry time.
    pub expire_time: Option<Option<DateTime<Utc>>>,
    /// Expiry in seconds.
    pub expire_seconds: Option<Option<i32>>,
    /// 0 interval, 1 crontab.
    pub scheduler_type: i32,
    /// Interval count.
    pub interval_every: Option<Option<i32>>,
    /// Interval unit, one of [`INTERVAL_PERIODS`].
    pub interval_period: Option<Option<String>>,
    /// Crontab text (not yet parsed: a rule of the service).
    pub crontab: Option<String>,
    /// Disabled after the first run.
    pub one_off: Option<bool>,
    /// Free text.
    pub remark: Option<Option<String>>,
}

impl ValidTaskScheduler {
    /// The crontab the entry will have: the body's, else FBA's default (what FBA checks when
    /// `type` is 1, a PUT without `crontab` included).
    pub fn crontab_or_default(&self) -> &str {
        self.crontab.as_deref().unwrap_or(DEFAULT_CRONTAB)
    }
}

impl TaskSchedulerParam {
    /// The validated body.
    ///
    /// # Errors
    /// 422 naming every field that is too long, holds a NUL, or is not of its type or an
    /// allowed value.
    pub fn parse(self) -> Result<ValidTaskScheduler, AppError> {
        let mut errors = FieldErrors::new();
        errors.take(check_text(
            &body_loc("name"),
            &self.name,
            Some(NAME_MAX_CHARS),
        ));
        errors.take(check_text(
            &body_loc("task"),
            &self.task,
            Some(ROUTE_MAX_CHARS),
        ));
        let args = errors.take(json_text("args", self.args));
        let kwargs = errors.take(json_text("kwargs", self.kwargs));
        let queue = errors.take(opt_text("queue", self.queue, Some(ROUTE_MAX_CHARS)));
        let exchange = errors.take(opt_text("exchange", self.exchange, Some(ROUTE_MAX_CHARS)));
        let routing_key = errors.take(opt_text(
            "routing_key",
            self.routing_key,
            Some(ROUTE_MAX_CHARS),
        ));
        let start_time = errors.take(opt_datetime("start_time", self.start_time));
        let expire_time = errors.take(opt_datetime("expire_time", self.expire_time));
        let expire_seconds = errors.take(opt_int("expire_seconds", self.expire_seconds));
        let scheduler_type = errors.take(int_enum(
            &body_loc("type"),
            &self.scheduler_type,
            &[TYPE_INTERVAL, TYPE_CRONTAB],
            "0 or 1",
        ));
        let interval_every = errors.take(opt_int("interval_every", self.interval_every));
        let interval_period = errors.take(opt_period(self.interval_period));
        if let Some(crontab) = &self.crontab {
            errors.take(check_text(
                &body_loc("crontab"),
                crontab,
                Some(CRONTAB_MAX_CHARS),
            ));
        }
        let one_off = self
            .one_off
            .as_ref()
            .map(|v| errors.take(lax_bool(&body_loc("one_off"), v)));
        let remark = errors.take(opt_text("remark", self.remark, None));
        errors.finish()?;
        Ok(ValidTaskScheduler {
            name: self.name,
            task: self.task,
            args,
            kwargs,
            queue,
            exchange,
            routing_key,
            start_time,
            expire_time,
            expire_seconds,
            scheduler_type,
            interval_every,
            interval_period,
            crontab: self.crontab,
            one_off,
            remark,
        })
    }
}

validate_by_parse!(TaskSchedulerParam => ValidTaskScheduler);

/// `args`/`kwargs`: a JSON string is the text itself; `null` is `NULL`; any other JSON value
/// is stored as its serialized text.
fn json_text(field: &str, input: Option<Value>) -> Result<Option<Option<String>>, AppError> {
    match input {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(text)) => {
            check_text(&body_loc(field), &text, None)?;
            Ok(Some(Some(text)))
        }
        Some(other) => Ok(Some(Some(other.to_string()))),
    }
}

/// An optional text column: at most `max` characters, no NUL.
fn opt_text(
    field: &str,
    input: Option<Option<String>>,
    max: Option<usize>,
) -> Result<Option<Option<String>>, AppError> {
    if let Some(Some(text)) = &input {
        check_text(&body_loc(field), text, max)?;
    }
    Ok(input)
}

/// An optional `INT` column, read as pydantic's lax mode reads an integer.
fn opt_int(field: &str, input: Option<Value>) -> Result<Option<Option<i32>>, AppError> {
    match input {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(v) => {
            let n = lax_int(
                &body_loc(field),
                &v,
                i64::from(i32::MIN),
                i64::from(i32::MAX),
            )?;
            // In range by the bounds above.
            Ok(Some(i32::try_from(n).ok()))
        }
    }
}

/// `interval_period`: one of [`INTERVAL_PERIODS`] (pydantic's `enum` error otherwise).
fn opt_period(input: Option<Value>) -> Result<Option<Option<String>>, AppError> {
    match input {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(p)) if INTERVAL_PERIODS.contains(&p.as_str()) => Ok(Some(Some(p))),
        Some(other) => Err(AppError::validation(FieldError::body(
            "enum",
            "interval_period",
            other,
            Some(json!({ "expected": expected_periods() })),
        ))),
    }
}

/// pydantic's `expected` text for [`INTERVAL_PERIODS`]: `'days', 'hours', ... or
/// 'microseconds'`.
fn expected_periods() -> String {
    let quoted: Vec<String> = INTERVAL_PERIODS.iter().map(|p| format!("'{p}'")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.join(""),
    }
}

/// An optional datetime, as pydantic reads one: FBA's `YYYY-MM-DD HH:MM:SS` or ISO 8601 text
/// (without an offset: in `DATETIME_TIMEZONE`), a date (midnight), or Unix seconds.
fn opt_datetime(
    field: &str,
    input: Option<Value>,
) -> Result<Option<Option<DateTime<Utc>>>, AppError> {
    let loc = body_loc(field);
    match input {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(text)) => {
            parse_datetime(&text)
                .map(|dt| Some(Some(dt)))
                .ok_or_else(|| {
                    AppError::validation(FieldError::new(
                        "datetime_parsing",
                        loc,
                        Value::String(text),
                        Some(json!({ "error": "invalid datetime format" })),
                    ))
                })
        }
        Some(Value::Number(n)) => n
            .as_i64()
            .and_then(|secs| DateTime::from_timestamp(secs, 0))
            .map(|dt| Some(Some(dt)))
            .ok_or_else(|| {
                AppError::validation(FieldError::new(
                    "datetime_parsing",
                    loc,
                    Value::Number(n),
                    Some(json!({ "error": "invalid timestamp" })),
                ))
            }),
        Some(other) => Err(AppError::validation(FieldError::new(
            "datetime_type",
            loc,
            other,
            None,
        ))),
    }
}

/// Parses datetime text (see [`opt_datetime`]).
fn parse_datetime(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Some(dt) = fba_common::datetime::parse(text) {
        return Some(dt);
    }
    let naive = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })?;
    fba_common::datetime::timezone()
        .from_local_datetime(&naive)
        .earliest()
        .map(|d| d.with_timezone(&Utc))
}

/// Query of `GET /schedulers` as received (`page`/`size` are the pagination extractor's).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskSchedulerQuery {
    /// 任务调度名称: `name` LIKE `%x%`.
    #[serde(default)]
    pub name: Option<String>,
    /// 任务调度类型: exact `type`.
    #[serde(default, rename = "type")]
    #[param(value_type = Option<i32>)]
    pub scheduler_type: Option<String>,
}

/// Validated filters of `GET /schedulers`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskSchedulerFilter {
    /// `name` LIKE `%x%` (SQL wildcards in the value are not escaped, as FBA).
    pub name: Option<String>,
    /// Exact `type`.
    pub scheduler_type: Option<i32>,
}

impl TaskSchedulerQuery {
    /// The validated filters (`""` means no filter).
    ///
    /// # Errors
    /// 422 naming `type` when it is not an integer.
    pub fn parse(self) -> Result<TaskSchedulerFilter, AppError> {
        Ok(TaskSchedulerFilter {
            name: text_filter(self.name),
            scheduler_type: int_filter("type", self.scheduler_type)?,
        })
    }
}

/// FBA's `GetTaskSchedulerDetail`, fields in FBA's order.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct TaskSchedulerDetail {
    /// 任务名称.
    pub name: String,
    /// 要运行的 Celery 任务.
    pub task: String,
    /// 任务可接收的位置参数 (JSON text).
    pub args: Option<String>,
    /// 任务可接收的关键字参数 (JSON text).
    pub kwargs: Option<String>,
    /// CELERY_TASK_QUEUES 中定义的队列.
    pub queue: Option<String>,
    /// 低级别 AMQP 路由的交换机.
    pub exchange: Option<String>,
    /// 低级别 AMQP 路由的路由密钥.
    pub routing_key: Option<String>,
    /// 任务开始触发的时间.
    #[serde(with = "fba_common::datetime::option")]
    #[schema(value_type = Option<String>)]
    pub start_time: Option<DateTime<Utc>>,
    /// 任务不再触发的截止时间.
    #[serde(with = "fba_common::datetime::option")]
    #[schema(value_type = Option<String>)]
    pub expire_time: Option<DateTime<Utc>>,
    /// 任务不再触发的秒数时间差.
    pub expire_seconds: Option<i32>,
    /// 任务调度类型（0间隔 1定时）.
    #[serde(rename = "type")]
    pub scheduler_type: i32,
    /// 任务再次运行前的间隔周期数.
    pub interval_every: Option<i32>,
    /// 任务运行之间的周期类型.
    pub interval_period: Option<String>,
    /// Crontab 表达式.
    pub crontab: String,
    /// 是否仅运行一次.
    pub one_off: bool,
    /// 备注.
    pub remark: Option<String>,
    /// 任务调度 ID.
    pub id: i64,
    /// 是否启用任务.
    pub enabled: bool,
    /// 已运行总次数.
    pub total_run_count: i32,
    /// 最后运行时间.
    #[serde(with = "fba_common::datetime::option")]
    #[schema(value_type = Option<String>)]
    pub last_run_time: Option<DateTime<Utc>>,
    /// 创建时间.
    #[serde(with = "fba_common::datetime")]
    #[schema(value_type = String)]
    pub created_time: DateTime<Utc>,
    /// 更新时间.
    #[serde(with = "fba_common::datetime::option")]
    #[schema(value_type = Option<String>)]
    pub updated_time: Option<DateTime<Utc>>,
}

impl From<task_scheduler::Model> for TaskSchedulerDetail {
    fn from(s: task_scheduler::Model) -> Self {
        Self {
            name: s.name,
            task: s.task,
            args: s.args,
            kwargs: s.kwargs,
            queue: s.queue,
            exchange: s.exchange,
            routing_key: s.routing_key,
            start_time: s.start_time,
            expire_time: s.expire_time,
            expire_seconds: s.expire_seconds,
            scheduler_type: s.r#type,
            interval_every: s.interval_every,
            interval_period: s.interval_period,
            crontab: s.crontab.unwrap_or_else(|| DEFAULT_CRONTAB.to_owned()),
            one_off: s.one_off,
            remark: s.remark,
            id: s.id,
            enabled: s.enabled,
            total_run_count: s.total_run_count,
            last_run_time: s.last_run_time,
            created_time: s.created_time,
            updated_time: s.updated_time,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn parse(body: Value) -> Result<ValidTaskScheduler, AppError> {
        serde_json::from_value::<TaskSchedulerParam>(body)
            .unwrap()
            .parse()
    }

    fn failed_fields(e: AppError) -> Vec<Value> {
        let AppError::Validation(errs) = e else {
            panic!("expected a 422, got {e:?}");
        };
        errs.iter().map(|e| e.loc[1].clone()).collect()
    }

    #[test]
    fn a_minimal_body_leaves_the_optional_fields_absent() {
        let v = parse(json!({"name": "n", "task": "t", "type": "1"})).unwrap();
        assert_eq!(v.scheduler_type, 1);
        assert_eq!(v.crontab_or_default(), DEFAULT_CRONTAB);
        assert_eq!((v.args, v.crontab, v.one_off), (None, None, None));
    }

    #[test]
    fn args_are_stored_as_json_text() {
        let v = parse(json!({
            "name": "n", "task": "t", "type": 0,
            "args": "[\"a\"]", "kwargs": {"k": 1}, "queue": null,
            "interval_every": "30", "interval_period": "seconds", "one_off": "yes",
            "start_time": "2026-01-02 03:04:05", "expire_time": "2026-01-02T03:04:05Z",
        }))
        .unwrap();
        assert_eq!(v.args, Some(Some("[\"a\"]".to_owned())));
        assert_eq!(v.kwargs, Some(Some("{\"k\":1}".to_owned())));
        assert_eq!(v.queue, Some(None));
        assert_eq!(
            (v.interval_every, v.interval_period.clone(), v.one_off),
            (Some(Some(30)), Some(Some("seconds".to_owned())), Some(true))
        );
        assert_eq!(
            v.expire_time.unwrap().unwrap().to_rfc3339(),
            "2026-01-02T03:04:05+00:00"
        );
        assert!(v.start_time.unwrap().is_some());
    }

    #[test]
    fn every_bad_field_is_named() {
        let bad = json!({
            "name": "x".repeat(65), "task": "y".repeat(257), "queue": "q".repeat(257),
            "start_time": "soon", "expire_seconds": "x", "type": 2,
            "interval_period": "weeks", "crontab": "c".repeat(65), "one_off": "maybe",
        });
        assert_eq!(
            failed_fields(parse(bad).unwrap_err()),
            [
                json!("name"),
                json!("task"),
                json!("queue"),
                json!("start_time"),
                json!("expire_seconds"),
                json!("type"),
                json!("interval_period"),
                json!("crontab"),
                json!("one_off"),
            ]
        );
    }

    #[test]
    fn periods_are_listed_as_pydantic_lists_them() {
        assert_eq!(
            expected_periods(),
            "'days', 'hours', 'minutes', 'seconds' or 'microseconds'"
        );
    }
}
