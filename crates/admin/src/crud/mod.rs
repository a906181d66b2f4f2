//! Queries on the admin entities of [`crate::model`]. No business rules, no HTTP types.
//!
//! The queries every table repeats (get by id or by a unique column, list, page, existing and
//! linked ids, delete, update, link replacement) are [`fba_db::Repository`]'s default methods:
//! every entity implements it here, in one line of `repositories!`, and its module below
//! holds only the queries that differ (filters, joins, inserts, multi-table deletes).

pub mod access;
pub mod data_rule;
pub mod data_scope;
pub mod dept;
pub mod log;
pub mod login_log;
pub mod menu;
pub mod opera_log;
pub mod password_history;
pub mod role;
pub mod user;

/// Implements [`fba_db::Repository`] for the entities of these [`crate::model`] modules, whose
/// rows are identified by their `id` column.
macro_rules! repositories {
    ($($table:ident),+ $(,)?) => {
        $(
            impl fba_db::Repository for crate::model::$table::Entity {
                fn id_column() -> crate::model::$table::Column {
                    crate::model::$table::Column::Id
                }
            }
        )+
    };
}

repositories!(
    sys_data_rule,
    sys_data_scope,
    sys_data_scope_rule,
    sys_dept,
    sys_login_log,
    sys_menu,
    sys_opera_log,
    sys_role,
    sys_role_data_scope,
    sys_role_menu,
    sys_user,
    sys_user_password_history,
    sys_user_role,
);
