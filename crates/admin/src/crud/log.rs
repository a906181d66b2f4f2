//! What the login and operation logs share: FBA's list query (`username`/`ip` LIKE `%v%`,
//! `status` exact, newest first) on the same columns of `sys_login_log` and `sys_opera_log`.
//! Delete by ids and clear are [`Repository`]'s; the inserts are in [`super::login_log`] and
//! [`super::opera_log`].

use fba_db::Repository;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, QueryFilter, QueryOrder};

use crate::schema::login_log::LoginLogFilter;
use crate::schema::opera_log::OperaLogFilter;

/// The filters of a log list (`None`: no filter).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogFilter<'a> {
    /// `username` LIKE `%v%`.
    pub username: Option<&'a str>,
    /// Exact `status`.
    pub status: Option<i32>,
    /// `ip` LIKE `%v%`.
    pub ip: Option<&'a str>,
}

/// The columns a log list filters and sorts on.
#[derive(Debug, Clone, Copy)]
pub struct LogColumns<Col> {
    /// `username`.
    pub username: Col,
    /// `status`.
    pub status: Col,
    /// `ip`.
    pub ip: Col,
    /// `created_time`.
    pub created_time: Col,
}

/// A log table [`page`] lists.
pub trait LogTable: Repository {
    /// Its columns [`page`] filters and sorts on.
    fn log_columns() -> LogColumns<Self::Column>;
}

/// Implements [`LogTable`] for log tables of [`crate::model`] (whose columns are named alike)
/// and reads their list filter as a [`LogFilter`].
macro_rules! log_tables {
    ($($table:ident: $filter:ty),+ $(,)?) => {
        $(
            impl LogTable for crate::model::$table::Entity {
                fn log_columns() -> LogColumns<crate::model::$table::Column> {
                    use crate::model::$table::Column;
                    LogColumns {
                        username: Column::Username,
                        status: Column::Status,
                        ip: Column::Ip,
                        created_time: Column::CreatedTime,
                    }
                }
            }

            impl<'a> From<&'a $filter> for LogFilter<'a> {
                fn from(filter: &'a $filter) -> Self {
                    LogFilter {
                        username: filter.username.as_deref(),
                        status: filter.status,
                        ip: filter.ip.as_deref(),
                    }
                }
            }
        )+
    };
}

log_tables!(sys_login_log: LoginLogFilter, sys_opera_log: OperaLogFilter);

/// One page of the rows of log table `E` matching `filter`, newest first (`created_time`,
/// then id), and the number of matching rows. `offset` `None` is a page past any table: no
/// rows.
///
/// # Errors
/// A database failure.
pub async fn page<E, C>(
    db: &C,
    filter: LogFilter<'_>,
    offset: Option<u64>,
    limit: u64,
) -> Result<(Vec<E::Model>, u64), DbErr>
where
    E: LogTable,
    E::Model: Sync,
    C: ConnectionTrait,
{
    let cols = E::log_columns();
    let mut select = E::find();
    if let Some(username) = filter.username {
        select = select.filter(cols.username.like(format!("%{username}%")));
    }
    if let Some(status) = filter.status {
        select = select.filter(cols.status.eq(status));
    }
    if let Some(ip) = filter.ip {
        select = select.filter(cols.ip.like(format!("%{ip}%")));
    }
    let select = select
        .order_by_desc(cols.created_time)
        .order_by_desc(E::id_column());
    E::page(db, select, offset, limit).await
}
