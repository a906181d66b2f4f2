//! Shapes of `/api/v1/logs/login`: the list filters, FBA's `GetLoginLogDetail` and the batch
//! delete body.

use chrono::{DateTime, Utc};
use fba_common::validate_by_parse;
use serde::{Deserialize, Serialize};

use crate::model::sys_login_log;

/// Filters of `GET /logs/login` (`page`/`size` are read by `PageParams`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LoginLogFilter {
    /// `username LIKE %value%`.
    pub username: Option<String>,
    /// Exact status: 0 failure, 1 success.
    pub status: Option<i32>,
    /// `ip LIKE %value%`.
    pub ip: Option<String>,
}

/// `DELETE /logs/login` body (FBA `DeleteLoginLogParam`), ids kept raw until [`Self::parse`].
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct DeleteLoginLogParam {
    /// Ids of the rows to delete.
    #[schema(value_type = Vec<i64>)]
    pub pks: serde_json::Value,
}

impl DeleteLoginLogParam {
    /// The ids (JSON integers or numeric strings), at most [`fba_common::validate::MAX_IDS`].
    ///
    /// # Errors
    /// 422 when `pks` is not such a list.
    pub fn parse(self) -> Result<Vec<i64>, fba_common::AppError> {
        fba_common::validate::id_list("pks", &self.pks)
    }
}

validate_by_parse!(DeleteLoginLogParam => Vec<i64>);

/// One login attempt as FBA shows it (`GetLoginLogDetail`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LoginLogDetail {
    /// The user's uuid (a random one when the name matched no user).
    pub user_uuid: String,
    /// The login name used.
    pub username: String,
    /// 0 failure, 1 success.
    pub status: i32,
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
    /// Browser.
    pub browser: Option<String>,
    /// Operating system.
    pub os: Option<String>,
    /// Device.
    pub device: Option<String>,
    /// Outcome message.
    pub msg: String,
    /// When the attempt was made (`YYYY-MM-DD HH:MM:SS`).
    #[serde(with = "fba_common::datetime")]
    #[schema(value_type = String)]
    pub login_time: DateTime<Utc>,
    /// Row id.
    pub id: i64,
    /// When the row was written (`YYYY-MM-DD HH:MM:SS`).
    #[serde(with = "fba_common::datetime")]
    #[schema(value_type = String)]
    pub created_time: DateTime<Utc>,
}

impl From<sys_login_log::Model> for LoginLogDetail {
    fn from(m: sys_login_log::Model) -> Self {
        Self {
            user_uuid: m.user_uuid,
            username: m.username,
            status: m.status,
            ip: m.ip,
            country: m.country,
            region: m.region,
            city: m.city,
            user_agent: m.user_agent,
            browser: m.browser,
            os: m.os,
            device: m.device,
            msg: m.msg,
            login_time: m.login_time,
            id: m.id,
            created_time: m.created_time,
        }
    }
}
