//! Shapes of `/api/v1/logs/opera`: the list filters, FBA's `GetOperaLogDetail` and the batch
//! delete body.

use chrono::{DateTime, Utc};
use fba_common::validate::{id_list, int_filter, text_filter};
use fba_common::validate_by_parse;
use fba_common::{AppError, FieldError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::model::sys_opera_log;

/// Query of `GET /logs/opera` as received (`page`/`size` are read by `PageParams`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OperaLogQuery {
    /// `username LIKE %value%`; empty means no filter.
    pub username: Option<String>,
    /// Exact status: 0 failure, 1 success; empty means no filter.
    #[param(value_type = Option<i32>)]
    pub status: Option<String>,
    /// `ip LIKE %value%`; empty means no filter.
    pub ip: Option<String>,
}

/// Validated filters of `GET /logs/opera`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperaLogFilter {
    /// `username LIKE %value%`.
    pub username: Option<String>,
    /// Exact status.
    pub status: Option<i32>,
    /// `ip LIKE %value%`.
    pub ip: Option<String>,
}

impl OperaLogQuery {
    /// The validated filters.
    ///
    /// # Errors
    /// 422 naming the parameter: `status` not a 32-bit integer, a NUL character in a text.
    pub fn parse(self) -> Result<OperaLogFilter, AppError> {
        Ok(OperaLogFilter {
            username: like_filter("username", self.username)?,
            status: int_filter("status", self.status)?,
            ip: like_filter("ip", self.ip)?,
        })
    }
}

fn like_filter(name: &str, raw: Option<String>) -> Result<Option<String>, AppError> {
    let value = text_filter(raw);
    if let Some(v) = value.as_deref().filter(|v| v.contains('\0')) {
        return Err(AppError::validation(FieldError::new(
            "value_error",
            vec![Value::from("query"), Value::from(name)],
            Value::String(v.to_owned()),
            Some(json!({ "error": "the text must not contain a NUL character" })),
        )));
    }
    Ok(value)
}

/// `DELETE /logs/opera` body (FBA `DeleteOperaLogParam`), ids kept raw until [`Self::parse`].
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct DeleteOperaLogParam {
    /// Ids of the rows to delete.
    #[schema(value_type = Vec<i64>)]
    pub pks: Value,
}

impl DeleteOperaLogParam {
    /// The ids (JSON integers or numeric strings).
    ///
    /// # Errors
    /// 422 when `pks` is not a list of 64-bit integers.
    pub fn parse(self) -> Result<Vec<i64>, AppError> {
        id_list("pks", &self.pks)
    }
}

validate_by_parse!(DeleteOperaLogParam => Vec<i64>);

/// One audited request as FBA shows it (`GetOperaLogDetail`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OperaLogDetail {
    /// Request id.
    pub trace_id: String,
    /// The acting user, `null` when anonymous.
    pub username: Option<String>,
    /// HTTP method.
    pub method: String,
    /// Operation title (route summary).
    pub title: String,
    /// Request path.
    pub path: String,
    /// Client ip.
    pub ip: String,
    /// Country of the ip.
    pub country: Option<String>,
    /// Region of the ip.
    pub region: Option<String>,
    /// City of the ip.
    pub city: Option<String>,
    /// Raw `User-Agent`.
    pub user_agent: Option<String>,
    /// Operating system.
    pub os: Option<String>,
    /// Browser.
    pub browser: Option<String>,
    /// Device.
    pub device: Option<String>,
    /// Request arguments (`query_params`, `json`, `data`, form fields), or FBA's truncation
    /// object.
    #[schema(value_type = Option<Object>)]
    pub args: Option<Value>,
    /// 1 success, 0 failure.
    pub status: i32,
    /// Envelope code as text (`"200"`, `"422"`, ...).
    pub code: String,
    /// `Success` or the error message.
    pub msg: Option<String>,
    /// Duration in milliseconds.
    pub cost_time: f64,
    /// When the request arrived (`YYYY-MM-DD HH:MM:SS`).
    #[serde(with = "fba_common::datetime")]
    #[schema(value_type = String)]
    pub opera_time: DateTime<Utc>,
    /// Row id.
    pub id: i64,
    /// When the row was written (`YYYY-MM-DD HH:MM:SS`).
    #[serde(with = "fba_common::datetime")]
    #[schema(value_type = String)]
    pub created_time: DateTime<Utc>,
}

impl From<sys_opera_log::Model> for OperaLogDetail {
    fn from(m: sys_opera_log::Model) -> Self {
        Self {
            trace_id: m.trace_id,
            username: m.username,
            method: m.method,
            title: m.title,
            path: m.path,
            ip: m.ip,
            country: m.country,
            region: m.region,
            city: m.city,
            user_agent: m.user_agent,
            os: m.os,
            browser: m.browser,
            device: m.device,
            // A JSON `null` stored in the column reads back as no arguments.
            args: m.args.filter(|a| !a.is_null()),
            status: m.status,
            code: m.code,
            msg: m.msg,
            cost_time: m.cost_time,
            opera_time: m.opera_time,
            id: m.id,
            created_time: m.created_time,
        }
    }
}
