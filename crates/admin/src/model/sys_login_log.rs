//! `sys_login_log`: one row per login attempt.

use sea_orm::entity::prelude::*;

/// One login attempt.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sys_login_log")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The user's UUID.
    pub user_uuid: String,
    /// The login name used.
    pub username: String,
    /// 0 failure, 1 success.
    pub status: i32,
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
    /// Outcome message.
    #[sea_orm(column_type = "Text")]
    pub msg: String,
    /// When the login happened.
    pub login_time: DateTimeUtc,
    /// Creation time.
    pub created_time: DateTimeUtc,
}

/// `sys_login_log` has no relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
