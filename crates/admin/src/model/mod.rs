//! The sea-orm entities of the admin tables, one module per table, named after the table.
//! Columns mirror the `fba-migration` schema exactly. There are no foreign keys in the
//! database: the relations declared here only serve sea-orm joins and `find_related`.

pub mod sys_data_rule;
pub mod sys_data_scope;
pub mod sys_data_scope_rule;
pub mod sys_dept;
pub mod sys_login_log;
pub mod sys_menu;
pub mod sys_opera_log;
pub mod sys_role;
pub mod sys_role_data_scope;
pub mod sys_role_menu;
pub mod sys_user;
pub mod sys_user_password_history;
pub mod sys_user_role;
