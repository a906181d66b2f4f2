//! The 13 admin-core tables of FBA: users, departments, menus, roles, data scopes and rules,
//! login and operation logs, password history, and the four association tables.
//!
//! Columns, types, lengths and nullability follow FBA's models. Deliberate differences (see the
//! crate docs): no redundant `ix_<table>_id` index, association tables keyed by `id` alone with a
//! unique index on the pair, `DATETIME(6)` on MySQL, `DOUBLE` for `cost_time`, no comments.

use sea_orm_migration::prelude::*;

use crate::schema::{Nullable::*, TableDef, varchar};

/// Creates (and drops) the admin-core tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every table this migration owns, in creation order.
pub const ADMIN_TABLES: [&str; 13] = [
    "sys_dept",
    "sys_menu",
    "sys_role",
    "sys_data_scope",
    "sys_data_rule",
    "sys_user",
    "sys_login_log",
    "sys_opera_log",
    "sys_user_password_history",
    "sys_user_role",
    "sys_role_menu",
    "sys_role_data_scope",
    "sys_data_scope_rule",
];

const INT: ColumnType = ColumnType::Integer;
const BIGINT: ColumnType = ColumnType::BigInteger;
const BOOL: ColumnType = ColumnType::Boolean;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        TableDef::new(manager, "sys_dept")
            .column("name", varchar(64), NotNull)
            .column("sort", INT, NotNull)
            .column("leader", varchar(32), Null)
            .column("phone", varchar(11), Null)
            .column("email", varchar(64), Null)
            .column("status", INT, NotNull)
            .column("del_flag", BOOL, NotNull)
            .column("parent_id", BIGINT, Null)
            .timestamps()
            .index(&["parent_id"])
            .create(manager)
            .await?;

        TableDef::new(manager, "sys_menu")
            .column("title", varchar(64), NotNull)
            .column("name", varchar(64), NotNull)
            .column("path", varchar(200), Null)
            .column("sort", INT, NotNull)
            .column("icon", varchar(128), Null)
            .column("type", INT, NotNull)
            .column("component", varchar(256), Null)
            .column("perms", varchar(128), Null)
            .column("status", INT, NotNull)
            .column("display", INT, NotNull)
            .column("cache", INT, NotNull)
            .long_text("link", Null)
            .long_text("remark", Null)
            .column("parent_id", BIGINT, Null)
            .timestamps()
            .index(&["parent_id"])
            .create(manager)
            .await?;

        TableDef::new(manager, "sys_role")
            .unique_column("name", varchar(32), NotNull)
            .column("status", INT, NotNull)
            .column("is_filter_scopes", BOOL, NotNull)
            .long_text("remark", Null)
            .timestamps()
            .create(manager)
            .await?;

        TableDef::new(manager, "sys_data_scope")
            .unique_column("name", varchar(64), NotNull)
            .column("status", INT, NotNull)
            .timestamps()
            .create(manager)
            .await?;

        // `column` and `value` are reserved words; sea-query quotes every identifier.
        TableDef::new(manager, "sys_data_rule")
            .unique_column("name", varchar(512), NotNull)
            .column("model", varchar(64), NotNull)
            .column("column", varchar(32), NotNull)
            .column("operator", INT, NotNull)
            .column("expression", INT, NotNull)
            .column("value", varchar(256), NotNull)
            .timestamps()
            .create(manager)
            .await?;

        TableDef::new(manager, "sys_user")
            .unique_column("uuid", varchar(64), NotNull)
            .column("username", varchar(64), NotNull)
            .column("nickname", varchar(64), NotNull)
            .column("password", varchar(256), Null)
            .column("salt", ColumnType::Blob, Null)
            .column("email", varchar(256), Null)
            .column("phone", varchar(11), Null)
            .column("avatar", varchar(256), Null)
            .column("status", INT, NotNull)
            .column("is_superuser", BOOL, NotNull)
            .column("is_staff", BOOL, NotNull)
            .column("is_multi_login", BOOL, NotNull)
            .timestamp("join_time", NotNull)
            .timestamp("last_login_time", Null)
            .timestamp("last_password_changed_time", Null)
            .column("dept_id", BIGINT, Null)
            .timestamps()
            .unique_index(&["username"])
            .unique_index(&["email"])
            .index(&["status"])
            .create(manager)
            .await?;

        TableDef::new(manager, "sys_login_log")
            .column("user_uuid", varchar(64), NotNull)
            .column("username", varchar(64), NotNull)
            .column("status", INT, NotNull)
            .column("ip", varchar(64), NotNull)
            .column("country", varchar(64), Null)
            .column("region", varchar(64), Null)
            .column("city", varchar(64), Null)
            .column("user_agent", varchar(512), Null)
            .column("os", varchar(64), Null)
            .column("browser", varchar(64), Null)
            .column("device", varchar(64), Null)
            .long_text("msg", NotNull)
            .timestamp("login_time", NotNull)
            .timestamp("created_time", NotNull)
            .create(manager)
            .await?;

        TableDef::new(manager, "sys_opera_log")
            .column("trace_id", varchar(32), NotNull)
            .column("username", varchar(64), Null)
            .column("method", varchar(32), NotNull)
            .column("title", varchar(256), NotNull)
            .column("path", varchar(512), NotNull)
            .column("ip", varchar(64), NotNull)
            .column("country", varchar(64), Null)
            .column("region", varchar(64), Null)
            .column("city", varchar(64), Null)
            .column("user_agent", varchar(512), Null)
            .column("os", varchar(64), Null)
            .column("browser", varchar(64), Null)
            .column("device", varchar(64), Null)
            .column("args", ColumnType::Json, Null)
            .column("status", INT, NotNull)
            .column("code", varchar(32), NotNull)
            .long_text("msg", Null)
            .column("cost_time", ColumnType::Double, NotNull)
            .timestamp("opera_time", NotNull)
            .timestamp("created_time", NotNull)
            .create(manager)
            .await?;

        TableDef::new(manager, "sys_user_password_history")
            .column("user_id", BIGINT, NotNull)
            .column("password", varchar(256), NotNull)
            .timestamp("created_time", NotNull)
            .index(&["user_id"])
            .create(manager)
            .await?;

        for (table, left, right) in [
            ("sys_user_role", "user_id", "role_id"),
            ("sys_role_menu", "role_id", "menu_id"),
            ("sys_role_data_scope", "role_id", "data_scope_id"),
            ("sys_data_scope_rule", "data_scope_id", "data_rule_id"),
        ] {
            TableDef::new(manager, table)
                .column(left, BIGINT, NotNull)
                .column(right, BIGINT, NotNull)
                .unique_index(&[left, right])
                .index(&[left])
                .index(&[right])
                .create(manager)
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::schema::drop_tables(manager, &ADMIN_TABLES).await
    }
}
