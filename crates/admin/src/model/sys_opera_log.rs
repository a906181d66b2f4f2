//! `sys_opera_log`: one row per audited API request.

use sea_orm::entity::prelude::*;

/// One audited request.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sys_opera_log")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Request trace id.
    pub trace_id: String,
    /// The acting user, when authenticated.
    pub username: Option<String>,
    /// HTTP method.
    pub method: String,
    /// Operation title (the route summary).
    pub title: String,
    /// Request path.
    pub path: String,
    /// Client IP.
    pub ip: String,
    /// Country of the IP.
    pub country: Option<String>,
    /// Region of the IP.
    pub region: Option<String>,
    /// City of the IP.
    pub city: Option<String>,
    /// Raw `User-Agent`.
    pub user_agent: Option<String>,
    /// Operating system parsed from the user agent.
    pub os: Option<String>,
    /// Browser parsed from the user agent.
    pub browser: Option<String>,
    /// Device parsed from the user agent.
    pub device: Option<String>,
    /// Request arguments (JSON).
    pub args: Option<Json>,
    /// 0 failure, 1 success.
    pub status: i32,
    /// Response code.
    pub code: String,
    /// Response message.
    #[sea_orm(column_type = "Text", nullable)]
    pub msg: Option<String>,
    /// Request duration in milliseconds.
    pub cost_time: f64,
    /// When the request happened.
    pub opera_time: DateTimeUtc,
    /// Creation time.
    pub created_time: DateTimeUtc,
}

/// `sys_opera_log` has no relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
