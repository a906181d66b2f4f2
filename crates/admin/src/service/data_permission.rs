//! Row-level data permission (FBA's `filter_data_permission`, spec §4.5): the models a data
//! rule may name ([`MODELS`], with FBA's class names and column comments), and [`filter`],
//! which turns the authenticated user's data rules into a sea-orm [`Condition`] for a query on
//! one or more of those models.
//!
//! The settings FBA keeps in `core/conf.py` (`DATA_PERMISSION_MODEL_EXCLUDE`,
//! `DATA_PERMISSION_COLUMN_EXCLUDE` and the three template-variable lists) are not part of
//! `fba-core-conf` yet; their FBA defaults are the constants below.
//!
//! Rule values are cast to the column's type and bound as query parameters (sea-query
//! [`Value`]s); they never become SQL text. Table and column names in the condition come from
//! [`MODELS`], never from a rule. Beyond FBA (Appendix A, quirk 10): `${now}` resolves to the
//! current time, a boolean column reads `'0'`/`'false'` as false, and a value that cannot be
//! cast to the column's type makes the rule match no row (FBA compares the raw text, which
//! PostgreSQL refuses and MySQL coerces).
//!
//! No queries and no HTTP types here: callers add the condition to their own `select`.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use fba_common::security::{CurrentUser, UserDataRule};
use sea_orm::Condition;
use sea_orm::sea_query::{Expr, ExprTrait, Value};

/// `DATA_PERMISSION_MODEL_EXCLUDE`: models no rule may target (left out of
/// `GET /sys/data-rules/models`).
pub const MODEL_EXCLUDE: &[&str] = &[
    "DataScope",
    "DataRule",
    "sys_role_data_scope",
    "sys_data_scope_rule",
];

/// `DATA_PERMISSION_COLUMN_EXCLUDE`: columns no rule may filter on.
pub const COLUMN_EXCLUDE: &[&str] = &["id", "sort", "del_flag", "created_time", "updated_time"];

/// The model template that targets every model a query filters.
pub const ALL_MODELS: &str = "__ALL__";

/// `DATA_PERMISSION_MODEL_TEMPLATE_VARIABLES` as `(key, comment)`.
pub const MODEL_TEMPLATE_VARIABLES: &[(&str, &str)] = &[(ALL_MODELS, "所有模型")];

/// `DATA_PERMISSION_COLUMN_TEMPLATE_VARIABLES` as `(key, comment)`.
pub const COLUMN_TEMPLATE_VARIABLES: &[(&str, &str)] =
    &[("__dept_id__", "部门 ID"), ("__created_by__", "创建者")];

/// `DATA_PERMISSION_TEMPLATE_VARIABLES` (value templates) as `(key, comment)`.
pub const VALUE_TEMPLATE_VARIABLES: &[(&str, &str)] = &[
    ("${user_id}", "当前登录用户 ID"),
    ("${dept_id}", "当前登录用户部门 ID"),
    ("${now}", "当前时间"),
];

/// `expression` codes (FBA `RoleDataRuleExpressionType`).
mod expression {
    pub const EQ: i32 = 0;
    pub const NE: i32 = 1;
    pub const GT: i32 = 2;
    pub const GE: i32 = 3;
    pub const LT: i32 = 4;
    pub const LE: i32 = 5;
    pub const IN: i32 = 6;
    pub const NOT_IN: i32 = 7;
}

/// `operator` codes (FBA `RoleDataRuleOperatorType`).
mod operator {
    pub const AND: i32 = 0;
    pub const OR: i32 = 1;
}

pub use fba_common::data_model::{ColumnKind, DataModel, ModelColumn};

const fn c(key: &'static str, comment: &'static str, kind: ColumnKind) -> ModelColumn {
    ModelColumn::new(key, comment, kind)
}

const ID: ModelColumn = c("id", "主键 ID", ColumnKind::BigInt);
const CREATED_TIME: ModelColumn = c("created_time", "创建时间", ColumnKind::DateTime);
const UPDATED_TIME: ModelColumn = c("updated_time", "更新时间", ColumnKind::DateTime);

use ColumnKind::{BigInt, Binary, Bool, Float, Int, Json, Text};
const DT: ColumnKind = ColumnKind::DateTime;

/// FBA's `DataRule` (`sys_data_rule`).
pub const DATA_RULE: DataModel = DataModel {
    name: "DataRule",
    table: "sys_data_rule",
    columns: &[
        ID,
        c("name", "名称", Text),
        c("model", "模型名称", Text),
        c("column", "模型字段名", Text),
        c("operator", "运算符（0：and、1：or）", Int),
        c(
            "expression",
            "表达式（0：==、1：!=、2：>、3：>=、4：<、5：<=、6：in、7：not_in）",
            Int,
        ),
        c("value", "规则值", Text),
        CREATED_TIME,
        UPDATED_TIME,
    ],
};

/// FBA's `DataScope` (`sys_data_scope`).
pub const DATA_SCOPE: DataModel = DataModel {
    name: "DataScope",
    table: "sys_data_scope",
    columns: &[
        ID,
        c("name", "名称", Text),
        c("status", "状态（0停用 1正常）", Int),
        CREATED_TIME,
        UPDATED_TIME,
    ],
};

/// FBA's `Dept` (`sys_dept`).
pub const DEPT: DataModel = DataModel {
    name: "Dept",
    table: "sys_dept",
    columns: &[
        ID,
        c("name", "部门名称", Text),
        c("sort", "排序", Int),
        c("leader", "负责人", Text),
        c("phone", "手机", Text),
        c("email", "邮箱", Text),
        c("status", "部门状态(0停用 1正常)", Int),
        c("del_flag", "删除标志（0删除 1存在）", Bool),
        c("parent_id", "父部门ID", BigInt),
        CREATED_TIME,
        UPDATED_TIME,
    ],
};

/// FBA's `LoginLog` (`sys_login_log`).
pub const LOGIN_LOG: DataModel = DataModel {
    name: "LoginLog",
    table: "sys_login_log",
    columns: &[
        ID,
        c("user_uuid", "用户UUID", Text),
        c("username", "用户名", Text),
        c("status", "登录状态(0失败 1成功)", Int),
        c("ip", "登录IP地址", Text),
        c("country", "国家", Text),
        c("region", "地区", Text),
        c("city", "城市", Text),
        c("user_agent", "请求头", Text),
        c("os", "操作系统", Text),
        c("browser", "浏览器", Text),
        c("device", "设备", Text),
        c("msg", "提示消息", Text),
        c("login_time", "登录时间", DT),
        CREATED_TIME,
    ],
};

/// FBA's `Menu` (`sys_menu`).
pub const MENU: DataModel = DataModel {
    name: "Menu",
    table: "sys_menu",
    columns: &[
        ID,
        c("title", "菜单标题", Text),
        c("name", "菜单名称", Text),
        c("path", "路由地址", Text),
        c("sort", "排序", Int),
        c("icon", "菜单图标", Text),
        c("type", "菜单类型（0目录 1菜单 2按钮 3内嵌 4外链）", Int),
        c("component", "组件路径", Text),
        c("perms", "权限标识", Text),
        c("status", "菜单状态（0停用 1正常）", Int),
        c("display", "是否显示（0否 1是）", Int),
        c("cache", "是否缓存（0否 1是）", Int),
        c("link", "外链地址", Text),
        c("remark", "备注", Text),
        c("parent_id", "父菜单ID", BigInt),
        CREATED_TIME,
        UPDATED_TIME,
    ],
};

/// FBA's `OperaLog` (`sys_opera_log`).
pub const OPERA_LOG: DataModel = DataModel {
    name: "OperaLog",
    table: "sys_opera_log",
    columns: &[
        ID,
        c("trace_id", "请求跟踪 ID", Text),
        c("username", "用户名", Text),
        c("method", "请求方法", Text),
        c("title", "操作模块", Text),
        c("path", "请求路径", Text),
        c("ip", "IP 地址", Text),
        c("country", "国家", Text),
        c("region", "地区", Text),
        c("city", "城市", Text),
        c("user_agent", "用户代理", Text),
        c("os", "操作系统", Text),
        c("browser", "浏览器", Text),
        c("device", "设备", Text),
        c("args", "请求参数", Json),
        c("status", "操作状态（0异常 1正常）", Int),
        c("code", "操作状态码", Text),
        c("msg", "提示消息", Text),
        c("cost_time", "请求耗时（ms）", Float),
        c("opera_time", "操作时间", DT),
        CREATED_TIME,
    ],
};

/// FBA's `Role` (`sys_role`).
pub const ROLE: DataModel = DataModel {
    name: "Role",
    table: "sys_role",
    columns: &[
        ID,
        c("name", "角色名称", Text),
        c("status", "角色状态（0停用 1正常）", Int),
        c("is_filter_scopes", "过滤数据权限(0否 1是)", Bool),
        c("remark", "备注", Text),
        CREATED_TIME,
        UPDATED_TIME,
    ],
};

/// FBA's `User` (`sys_user`).
pub const USER: DataModel = DataModel {
    name: "User",
    table: "sys_user",
    columns: &[
        ID,
        ModelColumn {
            key: "uuid",
            comment: None,
            kind: Text,
        },
        c("username", "用户名", Text),
        c("nickname", "昵称", Text),
        c("password", "密码", Text),
        c("salt", "加密盐", Binary),
        c("email", "邮箱", Text),
        c("phone", "手机号", Text),
        c("avatar", "头像", Text),
        c("status", "用户账号状态(0停用 1正常)", Int),
        c("is_superuser", "超级权限(0否 1是)", Bool),
        c("is_staff", "后台管理登陆(0否 1是)", Bool),
        c("is_multi_login", "是否重复登陆(0否 1是)", Bool),
        c("join_time", "注册时间", DT),
        c("last_login_time", "上次登录时间", DT),
        c("last_password_changed_time", "上次密码变更时间", DT),
        c("dept_id", "部门关联ID", BigInt),
        CREATED_TIME,
        UPDATED_TIME,
    ],
};

/// FBA's `UserPasswordHistory` (`sys_user_password_history`).
pub const USER_PASSWORD_HISTORY: DataModel = DataModel {
    name: "UserPasswordHistory",
    table: "sys_user_password_history",
    columns: &[
        ID,
        c("user_id", "用户 ID", BigInt),
        c("password", "历史密码", Text),
        CREATED_TIME,
    ],
};

/// FBA's `data_scope_rule` table (`sys_data_scope_rule`).
pub const DATA_SCOPE_RULE: DataModel = DataModel {
    name: "sys_data_scope_rule",
    table: "sys_data_scope_rule",
    columns: &[
        c("id", "主键ID", BigInt),
        c("data_scope_id", "数据范围 ID", BigInt),
        c("data_rule_id", "数据规则 ID", BigInt),
    ],
};

/// FBA's `role_data_scope` table (`sys_role_data_scope`).
pub const ROLE_DATA_SCOPE: DataModel = DataModel {
    name: "sys_role_data_scope",
    table: "sys_role_data_scope",
    columns: &[
        ID,
        c("role_id", "角色 ID", BigInt),
        c("data_scope_id", "数据范围 ID", BigInt),
    ],
};

/// FBA's `role_menu` table (`sys_role_menu`).
pub const ROLE_MENU: DataModel = DataModel {
    name: "sys_role_menu",
    table: "sys_role_menu",
    columns: &[
        c("id", "主键ID", BigInt),
        c("role_id", "角色ID", BigInt),
        c("menu_id", "菜单ID", BigInt),
    ],
};

/// FBA's `user_role` table (`sys_user_role`).
pub const USER_ROLE: DataModel = DataModel {
    name: "sys_user_role",
    table: "sys_user_role",
    columns: &[
        c("id", "主键ID", BigInt),
        c("user_id", "用户ID", BigInt),
        c("role_id", "角色ID", BigInt),
    ],
};

/// Every model of the admin core, in FBA's order (module members sorted by name: classes,
/// then association tables): what the admin module declares through the module seam. Other
/// crates declare theirs in their own modules.
pub const MODELS: &[&DataModel] = &[
    &DATA_RULE,
    &DATA_SCOPE,
    &DEPT,
    &LOGIN_LOG,
    &MENU,
    &OPERA_LOG,
    &ROLE,
    &USER,
    &USER_PASSWORD_HISTORY,
    &DATA_SCOPE_RULE,
    &ROLE_DATA_SCOPE,
    &ROLE_MENU,
    &USER_ROLE,
];

/// The model FBA calls `name` among `models` (the app's, [`fba_common::module::Modules::data_models`]).
pub fn model(models: &[&'static DataModel], name: &str) -> Option<&'static DataModel> {
    models.iter().copied().find(|m| m.name == name)
}

/// What `GET /sys/data-rules/models` lists: the model templates, then every model of `models`
/// (the app's, every module's in module order) not in [`MODEL_EXCLUDE`].
pub fn rule_models(models: &[&'static DataModel]) -> Vec<&'static str> {
    MODEL_TEMPLATE_VARIABLES
        .iter()
        .map(|(k, _)| *k)
        .chain(
            models
                .iter()
                .map(|m| m.name)
                .filter(|n| !MODEL_EXCLUDE.contains(n)),
        )
        .collect()
}

/// The column a rule names: the column templates resolve to their column
/// (`__dept_id__` → `dept_id`, `__created_by__` → `created_by`).
fn resolve_column(column: &str) -> &str {
    if COLUMN_TEMPLATE_VARIABLES.iter().any(|(k, _)| *k == column) {
        column.trim_matches('_')
    } else {
        column
    }
}

/// What the value templates stand for in one request.
struct Templates {
    user_id: i64,
    dept_id: Option<i64>,
    now: DateTime<Utc>,
}

/// A boolean as rule text (case-insensitive); anything else cannot be cast.
fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "t" | "yes" | "y" | "on" => Some(true),
        "0" | "false" | "f" | "no" | "n" | "off" => Some(false),
        _ => None,
    }
}

/// A point in time as rule text: FBA's `YYYY-MM-DD HH:MM:SS` (display time zone), RFC 3339,
/// or a date (midnight in the display time zone).
fn parse_datetime(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    fba_common::datetime::parse(text).or_else(|| {
        let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
        fba_common::datetime::parse(&format!("{day} 00:00:00"))
    })
}

/// `raw` (one rule value, or one item of an `in` list) cast to `kind`, templates resolved;
/// `None` when it cannot be cast.
fn cast(kind: ColumnKind, raw: &str, t: &Templates) -> Option<Value> {
    let text: String = match raw {
        "${user_id}" => t.user_id.to_string(),
        "${dept_id}" => t.dept_id?.to_string(),
        "${now}" => {
            return match kind {
                ColumnKind::DateTime => Some(Value::ChronoDateTimeUtc(Some(t.now))),
                ColumnKind::Text => Some(Value::String(Some(fba_common::datetime::format(&t.now)))),
                _ => None,
            };
        }
        other => other.to_owned(),
    };
    match kind {
        ColumnKind::Int => text.trim().parse::<i32>().ok().map(|v| Value::Int(Some(v))),
        ColumnKind::BigInt => text
            .trim()
            .parse::<i64>()
            .ok()
            .map(|v| Value::BigInt(Some(v))),
        ColumnKind::Float => text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(|v| Value::Double(Some(v))),
        ColumnKind::Bool => parse_bool(&text).map(|v| Value::Bool(Some(v))),
        ColumnKind::Text => Some(Value::String(Some(text))),
        ColumnKind::DateTime => parse_datetime(&text).map(|v| Value::ChronoDateTimeUtc(Some(v))),
        ColumnKind::Json | ColumnKind::Binary => None,
    }
}

/// An expression no row satisfies.
fn never() -> Expr {
    Expr::cust("1 = 0")
}

/// The condition of one rule on one column, or `None` for an unknown expression code (FBA
/// skips such a rule). A value that cannot be cast gives [`never`].
fn rule_expr(
    model: &DataModel,
    column: &ModelColumn,
    rule: &UserDataRule,
    t: &Templates,
) -> Option<Expr> {
    let col = || Expr::col((model.table, column.key));
    let one = || cast(column.kind, &rule.value, t);
    let list = || -> Option<Vec<Value>> {
        rule.value
            .split(',')
            .map(|item| cast(column.kind, item.trim(), t))
            .collect()
    };
    let expr = match rule.expression {
        expression::EQ => one().map(|v| col().eq(v)),
        expression::NE => one().map(|v| col().ne(v)),
        expression::GT => one().map(|v| col().gt(v)),
        expression::GE => one().map(|v| col().gte(v)),
        expression::LT => one().map(|v| col().lt(v)),
        expression::LE => one().map(|v| col().lte(v)),
        expression::IN => list().map(|vs| col().is_in(vs)),
        expression::NOT_IN => list().map(|vs| col().is_not_in(vs)),
        _ => return None,
    };
    Some(expr.unwrap_or_else(never))
}

/// The data-permission condition of `user` for a query on `targets` (FBA
/// `DataPermissionFilter(*models)`), evaluated now. See [`filter_at`].
pub fn filter(user: &CurrentUser, targets: &[&DataModel]) -> Condition {
    filter_at(user, targets, Utc::now())
}

/// The data-permission condition of `user` for a query on `targets`, with `${now}` = `now`:
///
/// 1. a superuser, or a user with an enabled role whose `is_filter_scopes` is false, sees every
///    row (empty condition);
/// 2. the rules are those of the enabled data scopes of the enabled roles; none → no row;
/// 3. each rule applies to the targets it names (`__ALL__`: every target) whose column it
///    names exists and is not excluded; the others are skipped;
/// 4. the result is `(AND of the AND rules) OR (OR of the OR rules)`, empty groups left out;
///    no applicable rule → every row.
pub fn filter_at(user: &CurrentUser, targets: &[&DataModel], now: DateTime<Utc>) -> Condition {
    if user.is_superuser || user.enabled_roles().any(|r| !r.is_filter_scopes) {
        return Condition::all();
    }
    let mut seen = HashSet::new();
    let rules: Vec<&UserDataRule> = user
        .enabled_roles()
        .flat_map(|r| r.scopes.iter())
        .filter(|s| s.status == 1)
        .flat_map(|s| s.rules.iter())
        .filter(|r| seen.insert(r.id))
        .collect();
    if rules.is_empty() {
        return Condition::all().add(never());
    }
    let templates = Templates {
        user_id: user.id,
        dept_id: user.dept_id,
        now,
    };
    let mut and_group = Condition::all();
    let mut or_group = Condition::any();
    for rule in rules {
        for model in targets
            .iter()
            .filter(|m| rule.model == ALL_MODELS || rule.model == m.name)
        {
            let Some(column) = model.column(resolve_column(&rule.column)) else {
                continue;
            };
            if COLUMN_EXCLUDE.contains(&column.key) {
                continue;
            }
            let Some(expr) = rule_expr(model, column, rule, &templates) else {
                continue;
            };
            match rule.operator {
                operator::AND => and_group = and_group.add(expr),
                operator::OR => or_group = or_group.add(expr),
                _ => {}
            }
        }
    }
    let mut result = Condition::any();
    if !and_group.is_empty() {
        result = result.add(and_group);
    }
    if !or_group.is_empty() {
        result = result.add(or_group);
    }
    if result.is_empty() {
        Condition::all()
    } else {
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model;
    use fba_common::security::{UserDataScope, UserRole};
    use sea_orm::sea_query::ColumnType;
    use sea_orm::{
        ColumnTrait, DbBackend, EntityTrait, IdenStatic, Iterable, QueryFilter, QueryTrait,
    };

    fn kind_of(t: &ColumnType) -> ColumnKind {
        match t {
            ColumnType::Integer => ColumnKind::Int,
            ColumnType::BigInteger => ColumnKind::BigInt,
            ColumnType::Double | ColumnType::Float => ColumnKind::Float,
            ColumnType::Boolean => ColumnKind::Bool,
            ColumnType::String(_) | ColumnType::Text | ColumnType::Char(_) => ColumnKind::Text,
            ColumnType::TimestampWithTimeZone | ColumnType::DateTime | ColumnType::Timestamp => {
                ColumnKind::DateTime
            }
            ColumnType::Json | ColumnType::JsonBinary => ColumnKind::Json,
            ColumnType::Blob | ColumnType::Binary(_) | ColumnType::VarBinary(_) => {
                ColumnKind::Binary
            }
            other => panic!("unmapped column type {other:?}"),
        }
    }

    fn columns_of<E: EntityTrait>() -> Vec<(String, ColumnKind)> {
        let mut v: Vec<(String, ColumnKind)> = E::Column::iter()
            .map(|c| (c.as_str().to_owned(), kind_of(c.def().get_column_type())))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    fn registry_columns(m: &DataModel) -> Vec<(String, ColumnKind)> {
        let mut v: Vec<(String, ColumnKind)> = m
            .columns
            .iter()
            .map(|c| (c.key.to_owned(), c.kind))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    fn check<E: EntityTrait + Default>(m: &DataModel) {
        assert_eq!(m.table, E::default().table_name(), "{}", m.name);
        assert_eq!(registry_columns(m), columns_of::<E>(), "{}", m.name);
    }

    #[test]
    fn registry_matches_the_entities() {
        check::<model::sys_data_rule::Entity>(&DATA_RULE);
        check::<model::sys_data_scope::Entity>(&DATA_SCOPE);
        check::<model::sys_dept::Entity>(&DEPT);
        check::<model::sys_login_log::Entity>(&LOGIN_LOG);
        check::<model::sys_menu::Entity>(&MENU);
        check::<model::sys_opera_log::Entity>(&OPERA_LOG);
        check::<model::sys_role::Entity>(&ROLE);
        check::<model::sys_user::Entity>(&USER);
        check::<model::sys_user_password_history::Entity>(&USER_PASSWORD_HISTORY);
        check::<model::sys_data_scope_rule::Entity>(&DATA_SCOPE_RULE);
        check::<model::sys_role_data_scope::Entity>(&ROLE_DATA_SCOPE);
        check::<model::sys_role_menu::Entity>(&ROLE_MENU);
        check::<model::sys_user_role::Entity>(&USER_ROLE);
        assert_eq!(MODELS.len(), 13);
    }

    #[test]
    fn models_list_follows_fba() {
        assert_eq!(
            rule_models(MODELS),
            vec![
                "__ALL__",
                "Dept",
                "LoginLog",
                "Menu",
                "OperaLog",
                "Role",
                "User",
                "UserPasswordHistory",
                "sys_role_menu",
                "sys_user_role",
            ]
        );
    }

    fn rule(id: i64, model: &str, column: &str, op: i32, expr: i32, value: &str) -> UserDataRule {
        UserDataRule {
            id,
            model: model.to_owned(),
            column: column.to_owned(),
            operator: op,
            expression: expr,
            value: value.to_owned(),
        }
    }

    fn user(rules: Vec<UserDataRule>) -> CurrentUser {
        CurrentUser {
            id: 2,
            uuid: "u".into(),
            username: "test".into(),
            nickname: "test".into(),
            avatar: None,
            email: None,
            phone: None,
            status: 1,
            is_superuser: false,
            is_staff: false,
            is_multi_login: false,
            join_time: Utc::now(),
            last_login_time: None,
            last_password_changed_time: None,
            dept_id: Some(7),
            dept: None,
            roles: vec![UserRole {
                id: 1,
                name: "r".into(),
                status: 1,
                is_filter_scopes: true,
                menus: vec![],
                scopes: vec![UserDataScope {
                    id: 1,
                    name: "s".into(),
                    status: 1,
                    rules,
                }],
            }],
        }
    }

    /// The SQL and bound values of `SELECT … FROM sys_dept WHERE <filter>` on PostgreSQL.
    fn dept_sql(cond: Condition) -> (String, Vec<Value>) {
        let stmt = model::sys_dept::Entity::find()
            .filter(cond)
            .build(DbBackend::Postgres);
        let where_part = stmt
            .sql
            .split_once(" WHERE ")
            .map(|(_, w)| w.to_owned())
            .unwrap_or_default();
        (where_part, stmt.values.map(|v| v.0).unwrap_or_default())
    }

    #[test]
    fn superuser_unfiltered_role_and_no_rules() {
        let mut u = user(vec![]);
        assert_eq!(dept_sql(filter(&u, &[&DEPT])).0, "1 = 0");
        u.roles[0].is_filter_scopes = false;
        assert_eq!(dept_sql(filter(&u, &[&DEPT])).0, "TRUE");
        u.roles[0].is_filter_scopes = true;
        u.is_superuser = true;
        assert_eq!(dept_sql(filter(&u, &[&DEPT])).0, "TRUE");
        // A disabled role's flag does not count, nor do its or a disabled scope's rules.
        let mut u = user(vec![rule(1, "Dept", "name", 0, 0, "a")]);
        u.roles[0].scopes[0].status = 0;
        assert_eq!(dept_sql(filter(&u, &[&DEPT])).0, "1 = 0");
    }

    #[test]
    fn and_and_or_groups_with_bound_values() {
        let u = user(vec![
            rule(1, "Dept", "parent_id", 0, 0, "1"),
            rule(2, "Dept", "status", 0, 1, "0"),
            rule(3, "Dept", "name", 1, 0, "测试"),
            rule(4, "Dept", "leader", 1, 6, " a , b "),
            rule(4, "Dept", "leader", 1, 6, "dup is dropped by id"),
            rule(5, "User", "dept_id", 0, 0, "${dept_id}"),
        ]);
        let (sql, values) = dept_sql(filter(&u, &[&DEPT]));
        assert_eq!(
            sql,
            r#"("sys_dept"."parent_id" = $1 AND "sys_dept"."status" <> $2) OR ("sys_dept"."name" = $3 OR "sys_dept"."leader" IN ($4, $5))"#
        );
        assert_eq!(
            values,
            vec![
                Value::BigInt(Some(1)),
                Value::Int(Some(0)),
                Value::String(Some("测试".into())),
                Value::String(Some("a".into())),
                Value::String(Some("b".into())),
            ]
        );
        // Only an OR rule, only an AND rule.
        let (sql, _) = dept_sql(filter(
            &user(vec![rule(1, "Dept", "name", 1, 7, "x")]),
            &[&DEPT],
        ));
        assert_eq!(sql, r#""sys_dept"."name" NOT IN ($1)"#);
        let (sql, _) = dept_sql(filter(
            &user(vec![rule(1, "__ALL__", "name", 0, 3, "m")]),
            &[&DEPT],
        ));
        assert_eq!(sql, r#""sys_dept"."name" >= $1"#);
    }

    #[test]
    fn skipped_rules_leave_the_query_unfiltered() {
        // Another model, an unknown column, an excluded column, a column template the model
        // lacks, unknown operator and expression codes.
        let u = user(vec![
            rule(1, "User", "username", 0, 0, "x"),
            rule(2, "Dept", "nope", 0, 0, "x"),
            rule(3, "Dept", "id", 0, 0, "1"),
            rule(4, "Dept", "__created_by__", 0, 0, "${user_id}"),
            rule(5, "Dept", "name", 9, 0, "x"),
            rule(6, "Dept", "name", 0, 9, "x"),
        ]);
        assert_eq!(dept_sql(filter(&u, &[&DEPT])).0, "TRUE");
    }

    #[test]
    fn templates_casts_and_injection_text() {
        let now = Utc::now();
        let u = user(vec![
            rule(1, "User", "__dept_id__", 0, 0, "${dept_id}"),
            rule(2, "User", "id", 0, 0, "1"),
            rule(3, "User", "is_staff", 0, 0, "0"),
            rule(4, "User", "last_login_time", 0, 4, "${now}"),
            rule(5, "User", "join_time", 0, 3, "2024-01-02 03:04:05"),
            rule(6, "User", "username", 0, 1, "'; DROP TABLE sys_dept; --"),
            rule(7, "User", "dept_id", 0, 6, "${user_id}, 9"),
        ]);
        let stmt = model::sys_user::Entity::find()
            .filter(filter_at(&u, &[&USER], now))
            .build(DbBackend::Postgres);
        assert!(!stmt.sql.contains("DROP"), "{}", stmt.sql);
        let values = stmt.values.map(|v| v.0).unwrap_or_default();
        let tail: Vec<Value> = values.iter().rev().take(7).rev().cloned().collect();
        assert_eq!(
            tail,
            vec![
                Value::BigInt(Some(7)),
                Value::Bool(Some(false)),
                Value::ChronoDateTimeUtc(Some(now)),
                Value::ChronoDateTimeUtc(fba_common::datetime::parse("2024-01-02 03:04:05")),
                Value::String(Some("'; DROP TABLE sys_dept; --".into())),
                Value::BigInt(Some(2)),
                Value::BigInt(Some(9)),
            ]
        );
    }

    #[test]
    fn uncastable_values_match_nothing() {
        for (column, value) in [
            ("parent_id", "1 OR 1=1"),
            ("status", "abc"),
            ("status", "1.5"),
            ("parent_id", "${now}"),
        ] {
            let u = user(vec![rule(1, "Dept", column, 0, 0, value)]);
            assert_eq!(
                dept_sql(filter(&u, &[&DEPT])).0,
                "1 = 0",
                "{column} {value}"
            );
        }
        // An `in` list with one bad item, and `${dept_id}` for a user without a dept.
        let u = user(vec![rule(1, "Dept", "parent_id", 1, 6, "1, x")]);
        assert_eq!(dept_sql(filter(&u, &[&DEPT])).0, "1 = 0");
        let mut u = user(vec![rule(1, "Dept", "parent_id", 0, 0, "${dept_id}")]);
        u.dept_id = None;
        assert_eq!(dept_sql(filter(&u, &[&DEPT])).0, "1 = 0");
        // A boolean that is neither true nor false.
        let u = user(vec![rule(1, "User", "is_staff", 0, 0, "maybe")]);
        let stmt = model::sys_user::Entity::find()
            .filter(filter(&u, &[&USER]))
            .build(DbBackend::Postgres);
        assert!(stmt.sql.ends_with("WHERE 1 = 0"), "{}", stmt.sql);
    }
}
