//! `/task-results` shapes: FBA's `GetTaskResultDetail` ([`TaskResultDetail`]),
//! `DeleteTaskResultParam` and the list filter.
//!
//! `result`, `args` and `kwargs` are decoded from the row's JSON bytes
//! ([`crate::results::decode`]): the return value (or Celery's failure dict), the positional
//! arguments as a list, the keyword arguments as an object.

use chrono::{DateTime, Utc};
use fba_common::AppError;
use fba_common::validate::{id_list, text_filter};
use fba_common::validate_by_parse;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::task_result;
use crate::results::decode;

/// FBA's `GetTaskResultDetail`, fields in FBA's order.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct TaskResultDetail {
    /// 任务 ID.
    pub task_id: Option<String>,
    /// 执行状态 (`STARTED`, `SUCCESS`, `FAILURE`, `RETRY`, `REVOKED`).
    pub status: Option<String>,
    /// 执行结果: the return value, or `{"exc_type", "exc_message", "exc_module"}`.
    #[schema(value_type = Object)]
    pub result: Value,
    /// 结束时间.
    #[serde(with = "fba_common::datetime::option")]
    #[schema(value_type = Option<String>)]
    pub date_done: Option<DateTime<Utc>>,
    /// 错误回溯.
    pub traceback: Option<String>,
    /// 任务名称.
    pub name: Option<String>,
    /// 任务位置参数.
    #[schema(value_type = Option<Vec<Object>>)]
    pub args: Value,
    /// 任务关键字参数.
    #[schema(value_type = Option<Object>)]
    pub kwargs: Value,
    /// 运行 Worker.
    pub worker: Option<String>,
    /// 重试次数.
    pub retries: Option<i32>,
    /// 运行队列.
    pub queue: Option<String>,
    /// 任务结果 ID.
    pub id: i64,
}

impl From<task_result::Model> for TaskResultDetail {
    fn from(r: task_result::Model) -> Self {
        Self {
            task_id: r.task_id,
            status: r.status,
            result: decode(r.result.as_deref()),
            date_done: r.date_done,
            traceback: r.traceback,
            name: r.name,
            args: decode(r.args.as_deref()),
            kwargs: decode(r.kwargs.as_deref()),
            worker: r.worker,
            retries: r.retries,
            queue: r.queue,
            id: r.id,
        }
    }
}

/// Body of `DELETE /task-results`: `{"pks": [ids]}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DeleteTaskResultParam {
    /// 任务结果 ID 列表.
    #[schema(value_type = Vec<i64>)]
    pub pks: Value,
}

impl DeleteTaskResultParam {
    /// The ids in the order given.
    ///
    /// # Errors
    /// 422 when not a list of 64-bit integers.
    pub fn parse(self) -> Result<Vec<i64>, AppError> {
        id_list("pks", &self.pks)
    }
}

validate_by_parse!(DeleteTaskResultParam => Vec<i64>);

/// Query of `GET /task-results` as received (`page`/`size` are the pagination extractor's).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskResultQuery {
    /// 任务名称: `name` LIKE `%x%`.
    #[serde(default)]
    pub name: Option<String>,
    /// 任务 ID: exact `task_id`.
    #[serde(default)]
    pub task_id: Option<String>,
}

/// Validated filters of `GET /task-results`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskResultFilter {
    /// `name` LIKE `%x%` (SQL wildcards in the value are not escaped, as FBA).
    pub name: Option<String>,
    /// Exact `task_id`.
    pub task_id: Option<String>,
}

impl TaskResultQuery {
    /// The filters (`""` means no filter, what the UI sends for an emptied field).
    pub fn parse(self) -> TaskResultFilter {
        TaskResultFilter {
            name: text_filter(self.name),
            task_id: text_filter(self.task_id),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_columns_are_decoded() {
        let row = task_result::Model {
            id: 3,
            task_id: Some("t".into()),
            status: Some("SUCCESS".into()),
            result: Some(br#""ab""#.to_vec()),
            date_done: None,
            traceback: None,
            name: Some("task_demo_params".into()),
            args: Some(br#"["a"]"#.to_vec()),
            kwargs: Some(br#"{"world":"b"}"#.to_vec()),
            worker: None,
            retries: Some(0),
            queue: Some("celery".into()),
        };
        let detail = serde_json::to_value(TaskResultDetail::from(row)).unwrap();
        assert_eq!(detail["result"], "ab");
        assert_eq!(detail["args"], json!(["a"]));
        assert_eq!(detail["kwargs"], json!({"world": "b"}));
        assert_eq!(detail["date_done"], Value::Null);
    }
}
