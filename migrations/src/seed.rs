//! FBA's test data (`init_test_data.sql`): one department, one role, the users `admin` and
//! `test` (password `123456`), five data scopes, six data rules, the 50 built-in menus and the
//! association rows between them.
//!
//! Rows are inserted with their FBA ids through sea-query, so the same code runs on SQLite,
//! PostgreSQL and MySQL, inside or outside a transaction (pass either as the connection). On
//! PostgreSQL each table's id sequence is moved past the seeded ids afterwards; MySQL and SQLite
//! advance their counters on explicit ids by themselves. Owns no schema: run the migrations first.

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{DbBackend, Statement};

/// The password of both seeded users.
pub const TEST_PASSWORD: &str = "123456";

/// Time zone of the literal timestamps in FBA's seed script (Asia/Shanghai, no DST since 1991).
const SEED_TZ_OFFSET_SECS: i32 = 8 * 3600;

/// `created_time` of every seeded menu, as written in FBA's script (Asia/Shanghai).
pub const MENU_CREATED_TIME: &str = "2025-06-26 20:29:06";

/// One row of `sys_menu` as FBA seeds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedMenu {
    /// `id`.
    pub id: i64,
    /// `title`: an i18n key for pages, a Chinese label for buttons.
    pub title: &'static str,
    /// `name`: the route name.
    pub name: &'static str,
    /// `path`: the route path (none for buttons).
    pub path: Option<&'static str>,
    /// `sort`.
    pub sort: i32,
    /// `icon`.
    pub icon: Option<&'static str>,
    /// `type`: 0 directory, 1 menu, 2 button, 3 embedded page, 4 external link.
    pub menu_type: i32,
    /// `component`: the front-end view.
    pub component: Option<&'static str>,
    /// `perms`: permission code(s).
    pub perms: Option<&'static str>,
    /// `status`: 1 enabled.
    pub status: i32,
    /// `display`: 1 shown in the sidebar.
    pub display: i32,
    /// `cache`: 1 kept alive.
    pub cache: i32,
    /// `link`: the target URL, `""` for non-link menus.
    pub link: &'static str,
    /// `remark`.
    pub remark: Option<&'static str>,
    /// `parent_id`.
    pub parent_id: Option<i64>,
    /// `updated_time` as written in FBA's script (Asia/Shanghai), when set.
    pub updated_time: Option<&'static str>,
}

macro_rules! menu {
    ($id:expr, $title:expr, $name:expr, $path:expr, $sort:expr, $icon:expr, $type:expr,
     $component:expr, $perms:expr, $status:expr, $display:expr, $cache:expr, $link:expr,
     $remark:expr, $parent:expr, $updated:expr $(,)?) => {
        SeedMenu {
            id: $id,
            title: $title,
            name: $name,
            path: $path,
            sort: $sort,
            icon: $icon,
            menu_type: $type,
            component: $component,
            perms: $perms,
            status: $status,
            display: $display,
            cache: $cache,
            link: $link,
            remark: $remark,
            parent_id: $parent,
            updated_time: $updated,
        }
    };
}

/// The 50 menus of FBA's seed, in id order. Columns: id, title, name, path, sort, icon, type,
/// component, perms, status, display, cache, link, remark, parent_id, updated_time.
#[rustfmt::skip]
pub const MENUS: [SeedMenu; 50] = [
    menu!(1, "page.dashboard.title", "Dashboard", Some("/dashboard"), 0, Some("ant-design:dashboard-outlined"), 0, None, None, 1, 1, 1, "", None, None, None),
    menu!(2, "page.dashboard.analytics", "Analytics", Some("/analytics"), 0, Some("lucide:area-chart"), 1, Some("/dashboard/analytics/index"), None, 1, 1, 1, "", None, Some(1), None),
    menu!(3, "page.dashboard.workspace", "Workspace", Some("/workspace"), 1, Some("carbon:workspace"), 1, Some("/dashboard/workspace/index"), None, 1, 1, 1, "", None, Some(1), None),
    menu!(4, "page.menu.system", "System", Some("/system"), 1, Some("eos-icons:admin"), 0, None, None, 1, 1, 1, "", None, None, None),
    menu!(5, "page.menu.sysDept", "SysDept", Some("/system/dept"), 1, Some("mingcute:department-line"), 1, Some("/system/dept/index"), None, 1, 1, 1, "", None, Some(4), None),
    menu!(6, "新增", "AddSysDept", None, 0, None, 2, None, Some("sys:dept:add"), 1, 0, 1, "", None, Some(5), None),
    menu!(7, "修改", "EditSysDept", None, 0, None, 2, None, Some("sys:dept:edit"), 1, 0, 1, "", None, Some(5), None),
    menu!(8, "删除", "DeleteSysDept", None, 0, None, 2, None, Some("sys:dept:del"), 1, 0, 1, "", None, Some(5), None),
    menu!(9, "page.menu.sysUser", "SysUser", Some("/system/user"), 2, Some("ant-design:user-outlined"), 1, Some("/system/user/index"), None, 1, 1, 1, "", None, Some(4), None),
    menu!(10, "删除", "DeleteSysUser", None, 0, None, 2, None, Some("sys:user:del"), 1, 0, 1, "", None, Some(9), None),
    menu!(11, "page.menu.sysRole", "SysRole", Some("/system/role"), 3, Some("carbon:user-role"), 1, Some("/system/role/index"), None, 1, 1, 1, "", None, Some(4), None),
    menu!(12, "新增", "AddSysRole", None, 0, None, 2, None, Some("sys:role:add"), 1, 0, 1, "", None, Some(11), None),
    menu!(13, "修改", "EditSysRole", None, 0, None, 2, None, Some("sys:role:edit"), 1, 0, 1, "", None, Some(11), None),
    menu!(14, "修改角色菜单", "EditSysRoleMenu", None, 0, None, 2, None, Some("sys:role:menu:edit"), 1, 0, 1, "", None, Some(11), None),
    menu!(15, "修改角色数据范围", "EditSysRoleScope", None, 0, None, 2, None, Some("sys:role:scope:edit"), 1, 0, 1, "", None, Some(11), None),
    menu!(16, "删除", "DeleteSysRole", None, 0, None, 2, None, Some("sys:role:del"), 1, 0, 1, "", None, Some(11), None),
    menu!(17, "page.menu.sysMenu", "SysMenu", Some("/system/menu"), 4, Some("ant-design:menu-outlined"), 1, Some("/system/menu/index"), None, 1, 1, 1, "", None, Some(4), None),
    menu!(18, "新增", "AddSysMenu", None, 0, None, 2, None, Some("sys:menu:add"), 1, 0, 1, "", None, Some(17), None),
    menu!(19, "修改", "EditSysMenu", None, 0, None, 2, None, Some("sys:menu:edit"), 1, 0, 1, "", None, Some(17), None),
    menu!(20, "删除", "DeleteSysMenu", None, 0, None, 2, None, Some("sys:menu:del"), 1, 0, 1, "", None, Some(17), None),
    menu!(21, "page.menu.sysDataPermission", "SysDataPermission", Some("/system/data-permission"), 5, Some("icon-park-outline:permissions"), 0, None, None, 1, 1, 1, "", None, Some(4), None),
    menu!(22, "page.menu.sysDataScope", "SysDataScope", Some("/system/data-scope"), 6, Some("cuida:scope-outline"), 1, Some("/system/data-permission/scope/index"), None, 1, 1, 1, "", None, Some(21), Some("2025-06-26 20:37:26")),
    menu!(23, "新增", "AddSysDataScope", None, 0, None, 2, None, Some("data:scope:add"), 1, 0, 1, "", None, Some(22), None),
    menu!(24, "修改", "EditSysDataScope", None, 0, None, 2, None, Some("data:scope:edit"), 1, 0, 1, "", None, Some(22), None),
    menu!(25, "修改数据范围规则", "EditDataScopeRule", None, 0, None, 2, None, Some("data:scope:rule:edit"), 1, 0, 1, "", None, Some(22), None),
    menu!(26, "删除", "DeleteSysDataScope", None, 0, None, 2, None, Some("data:scope:del"), 1, 0, 1, "", None, Some(22), None),
    menu!(27, "page.menu.sysDataRule", "SysDataRule", Some("/system/data-rule"), 7, Some("material-symbols:rule"), 1, Some("/system/data-permission/rule/index"), None, 1, 1, 1, "", None, Some(21), Some("2025-06-26 20:37:40")),
    menu!(28, "新增", "AddSysDataRule", None, 0, None, 2, None, Some("data:rule:add"), 1, 0, 1, "", None, Some(27), None),
    menu!(29, "修改", "EditSysDataRule", None, 0, None, 2, None, Some("data:rule:edit"), 1, 0, 1, "", None, Some(27), None),
    menu!(30, "删除", "DeleteSysDataRule", None, 0, None, 2, None, Some("data:rule:del"), 1, 0, 1, "", None, Some(27), None),
    menu!(31, "page.menu.sysPlugin", "SysPlugin", Some("/system/plugin"), 8, Some("clarity:plugin-line"), 1, Some("/system/plugin/index"), None, 1, 1, 1, "", None, Some(4), None),
    menu!(32, "page.menu.scheduler", "Scheduler", Some("/scheduler"), 2, Some("material-symbols:automation"), 0, None, None, 1, 1, 1, "", None, None, None),
    menu!(33, "page.menu.schedulerManage", "SchedulerManage", Some("/scheduler/manage"), 1, Some("ix:scheduler"), 1, Some("/scheduler/manage/index"), None, 1, 1, 1, "", None, Some(32), None),
    menu!(34, "page.menu.schedulerRecord", "SchedulerRecord", Some("/scheduler/record"), 2, Some("ix:scheduler"), 1, Some("/scheduler/record/index"), None, 1, 1, 1, "", None, Some(32), None),
    menu!(35, "page.menu.log", "Log", Some("/log"), 3, Some("carbon:cloud-logging"), 0, None, None, 1, 1, 1, "", None, None, None),
    menu!(36, "page.menu.login", "LoginLog", Some("/log/login"), 1, Some("mdi:login"), 1, Some("/log/login/index"), None, 1, 1, 1, "", None, Some(35), None),
    menu!(37, "删除", "DeleteLoginLog", None, 0, None, 2, None, Some("log:login:del"), 1, 0, 1, "", None, Some(36), None),
    menu!(38, "清空", "EmptyLoginLog", None, 0, None, 2, None, Some("log:login:clear"), 1, 0, 1, "", None, Some(36), None),
    menu!(39, "page.menu.opera", "OperaLog", Some("/log/opera"), 2, Some("carbon:operations-record"), 1, Some("/log/opera/index"), None, 1, 1, 1, "", None, Some(35), None),
    menu!(40, "删除", "DeleteOperaLog", None, 0, None, 2, None, Some("log:opera:del"), 1, 0, 1, "", None, Some(39), None),
    menu!(41, "清空", "EmptyOperaLog", None, 0, None, 2, None, Some("log:opera:clear"), 1, 0, 1, "", None, Some(39), None),
    menu!(42, "page.menu.monitor", "Monitor", Some("/monitor"), 4, Some("mdi:monitor-eye"), 0, None, None, 1, 1, 1, "", None, None, None),
    menu!(43, "page.menu.online", "Online", Some("/log/online"), 1, Some("wpf:online"), 1, Some("/monitor/online/index"), None, 1, 1, 1, "", None, Some(42), None),
    menu!(44, "page.menu.redis", "Redis", Some("/monitor/redis"), 2, Some("devicon:redis"), 1, Some("/monitor/redis/index"), None, 1, 1, 1, "", None, Some(42), None),
    menu!(45, "page.menu.server", "Server", Some("/monitor/server"), 3, Some("mdi:server-outline"), 1, Some("/monitor/server/index"), None, 1, 1, 1, "", None, Some(42), None),
    menu!(46, "项目", "Project", Some("/fba"), 5, Some("https://wu-clan.github.io/picx-images-hosting/logo/fba.png"), 0, None, None, 1, 1, 1, "", None, None, None),
    menu!(47, "文档", "Document", Some("/fba/document"), 1, Some("lucide:book-open-text"), 4, Some("/_core/fallback/iframe.vue"), None, 1, 1, 1, "https://fastapi-practices.github.io/fastapi_best_architecture_docs", None, Some(46), None),
    menu!(48, "Github", "Github", Some("/fba/github"), 2, Some("ant-design:github-filled"), 4, Some("/_core/fallback/iframe.vue"), None, 1, 1, 1, "https://github.com/fastapi-practices/fastapi-best-architecture", None, Some(46), None),
    menu!(49, "Apifox", "Apifox", Some("/fba/apifox"), 3, Some("simple-icons:apifox"), 3, Some("/_core/fallback/iframe.vue"), None, 1, 1, 1, "https://apifox.com/apidoc/shared-28a93f02-730b-4f33-bb5e-4dad92058cc0", None, Some(46), None),
    menu!(50, "page.menu.profile", "Profile", Some("/profile"), 6, Some("ant-design:profile-outlined"), 1, Some("/_core/profile/index"), None, 1, 0, 1, "", None, None, None),
];

/// One row of `sys_user` as FBA seeds it (`uuid` and times are generated at seed time).
struct SeedUser {
    id: i64,
    username: &'static str,
    nickname: &'static str,
    /// bcrypt of [`TEST_PASSWORD`].
    password: &'static str,
    /// FBA stores the bcrypt salt prefix of the hash as bytes.
    salt: &'static [u8],
    email: &'static str,
    is_superuser: bool,
    is_staff: bool,
    is_multi_login: bool,
}

const USERS: [SeedUser; 2] = [
    SeedUser {
        id: 1,
        username: "admin",
        nickname: "用户88888",
        password: "$2b$12$8y2eNucX19VjmZ3tYhBLcOsBwy9w1IjBQE4SSqwMDL5bGQVp2wqS.",
        salt: b"$2b$12$8y2eNucX19VjmZ3tYhBLcO",
        email: "admin@example.com",
        is_superuser: true,
        is_staff: true,
        is_multi_login: true,
    },
    SeedUser {
        id: 2,
        username: "test",
        nickname: "用户66666",
        password: "$2b$12$BMiXsNQAgTx7aNc7kVgnwedXGyUxPEHRnJMFbiikbqHgVoT3y14Za",
        salt: b"$2b$12$BMiXsNQAgTx7aNc7kVgnwe",
        email: "test@example.com",
        is_superuser: false,
        is_staff: false,
        is_multi_login: false,
    },
];

/// `sys_data_scope` rows: (id, name).
const DATA_SCOPES: [(i64, &str); 5] = [
    (1, "本部门数据权限"),
    (2, "测试部门及以下数据权限"),
    (3, "仅本人数据权限"),
    (4, "全模型本部门数据权限"),
    (5, "排除超级管理员数据权限"),
];

/// `sys_data_rule` rows: (id, name, model, column, operator, expression, value).
#[rustfmt::skip]
const DATA_RULES: [(i64, &str, &str, &str, i32, i32, &str); 6] = [
    (1, "部门 ID 等于当前用户部门", "Dept", "__dept_id__", 0, 0, "${dept_id}"),
    (2, "部门名称等于测试", "Dept", "name", 1, 0, "测试"),
    (3, "父部门 ID 等于测试部门 ID", "Dept", "parent_id", 0, 0, "1"),
    (4, "创建者等于当前用户", "__ALL__", "__created_by__", 0, 0, "${user_id}"),
    (5, "全模型部门 ID 等于当前用户部门", "__ALL__", "__dept_id__", 0, 0, "${dept_id}"),
    (6, "用户非超级管理员", "User", "is_superuser", 0, 1, "1"),
];

/// Association rows: (table, left column, right column, rows of (id, left, right)).
type Association = (
    &'static str,
    &'static str,
    &'static str,
    &'static [(i64, i64, i64)],
);

const ASSOCIATIONS: [Association; 4] = [
    (
        "sys_role_menu",
        "role_id",
        "menu_id",
        &[(1, 1, 1), (2, 1, 2), (3, 1, 3), (4, 1, 50)],
    ),
    (
        "sys_user_role",
        "user_id",
        "role_id",
        &[(1, 1, 1), (2, 2, 1)],
    ),
    (
        "sys_role_data_scope",
        "role_id",
        "data_scope_id",
        &[(1, 1, 1), (2, 1, 2)],
    ),
    (
        "sys_data_scope_rule",
        "data_scope_id",
        "data_rule_id",
        &[
            (1, 1, 1),
            (2, 2, 2),
            (3, 2, 3),
            (4, 3, 4),
            (5, 4, 5),
            (6, 5, 6),
        ],
    ),
];

/// Tables that receive rows, whose PostgreSQL sequences are reset afterwards.
const SEEDED_TABLES: [&str; 10] = [
    "sys_dept",
    "sys_menu",
    "sys_role",
    "sys_user",
    "sys_data_scope",
    "sys_data_rule",
    "sys_role_menu",
    "sys_user_role",
    "sys_role_data_scope",
    "sys_data_scope_rule",
];

/// Converts one of FBA's literal Asia/Shanghai timestamps to UTC.
fn shanghai_to_utc(literal: &str) -> Result<DateTime<Utc>, DbErr> {
    let naive = NaiveDateTime::parse_from_str(literal, "%Y-%m-%d %H:%M:%S")
        .map_err(|e| DbErr::Custom(format!("seed timestamp {literal:?}: {e}")))?;
    let offset = FixedOffset::east_opt(SEED_TZ_OFFSET_SECS)
        .ok_or_else(|| DbErr::Custom("seed time zone offset out of range".to_owned()))?;
    naive
        .and_local_timezone(offset)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| DbErr::Custom(format!("seed timestamp {literal:?} is ambiguous")))
}

/// Appends one row to `insert`.
fn push_row<const N: usize>(insert: &mut InsertStatement, values: [Expr; N]) -> Result<(), DbErr> {
    insert
        .values(values)
        .map(|_| ())
        .map_err(|e| DbErr::Custom(format!("seed row: {e}")))
}

async fn exec<C: ConnectionTrait>(db: &C, insert: &InsertStatement) -> Result<(), DbErr> {
    db.execute(insert).await.map(|_| ())
}

/// Inserts FBA's test data with FBA's ids.
///
/// Run it once on freshly migrated tables (see [`is_seeded`]); pass a transaction to make it
/// all-or-nothing.
///
/// # Errors
/// The database's error when an insert fails (for example, the rows already exist).
pub async fn seed_test_data<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    let now = Utc::now();

    let mut dept = Query::insert();
    dept.into_table("sys_dept").columns([
        "id",
        "name",
        "sort",
        "leader",
        "phone",
        "email",
        "status",
        "del_flag",
        "parent_id",
        "created_time",
        "updated_time",
    ]);
    push_row(
        &mut dept,
        [
            1i64.into(),
            "测试".into(),
            0i32.into(),
            Option::<String>::None.into(),
            Option::<String>::None.into(),
            Option::<String>::None.into(),
            1i32.into(),
            false.into(),
            Option::<i64>::None.into(),
            now.into(),
            Option::<DateTime<Utc>>::None.into(),
        ],
    )?;
    exec(db, &dept).await?;

    let menu_created = shanghai_to_utc(MENU_CREATED_TIME)?;
    let mut menus = Query::insert();
    menus.into_table("sys_menu").columns([
        "id",
        "title",
        "name",
        "path",
        "sort",
        "icon",
        "type",
        "component",
        "perms",
        "status",
        "display",
        "cache",
        "link",
        "remark",
        "parent_id",
        "created_time",
        "updated_time",
    ]);
    for m in &MENUS {
        let updated = m.updated_time.map(shanghai_to_utc).transpose()?;
        push_row(
            &mut menus,
            [
                m.id.into(),
                m.title.into(),
                m.name.into(),
                m.path.into(),
                m.sort.into(),
                m.icon.into(),
                m.menu_type.into(),
                m.component.into(),
                m.perms.into(),
                m.status.into(),
                m.display.into(),
                m.cache.into(),
                m.link.into(),
                m.remark.into(),
                m.parent_id.into(),
                menu_created.into(),
                updated.into(),
            ],
        )?;
    }
    exec(db, &menus).await?;

    let mut role = Query::insert();
    role.into_table("sys_role").columns([
        "id",
        "name",
        "status",
        "is_filter_scopes",
        "remark",
        "created_time",
        "updated_time",
    ]);
    push_row(
        &mut role,
        [
            1i64.into(),
            "测试".into(),
            1i32.into(),
            true.into(),
            Option::<String>::None.into(),
            now.into(),
            Option::<DateTime<Utc>>::None.into(),
        ],
    )?;
    exec(db, &role).await?;

    let mut users = Query::insert();
    users.into_table("sys_user").columns([
        "id",
        "uuid",
        "username",
        "nickname",
        "password",
        "salt",
        "email",
        "status",
        "is_superuser",
        "is_staff",
        "is_multi_login",
        "avatar",
        "phone",
        "join_time",
        "last_login_time",
        "last_password_changed_time",
        "dept_id",
        "created_time",
        "updated_time",
    ]);
    for u in &USERS {
        push_row(
            &mut users,
            [
                u.id.into(),
                uuid::Uuid::new_v4().to_string().into(),
                u.username.into(),
                u.nickname.into(),
                u.password.into(),
                u.salt.to_vec().into(),
                u.email.into(),
                1i32.into(),
                u.is_superuser.into(),
                u.is_staff.into(),
                u.is_multi_login.into(),
                Option::<String>::None.into(),
                Option::<String>::None.into(),
                now.into(),
                now.into(),
                now.into(),
                1i64.into(),
                now.into(),
                Option::<DateTime<Utc>>::None.into(),
            ],
        )?;
    }
    exec(db, &users).await?;

    let mut scopes = Query::insert();
    scopes.into_table("sys_data_scope").columns([
        "id",
        "name",
        "status",
        "created_time",
        "updated_time",
    ]);
    for (id, name) in DATA_SCOPES {
        push_row(
            &mut scopes,
            [
                id.into(),
                name.into(),
                1i32.into(),
                now.into(),
                Option::<DateTime<Utc>>::None.into(),
            ],
        )?;
    }
    exec(db, &scopes).await?;

    let mut rules = Query::insert();
    rules.into_table("sys_data_rule").columns([
        "id",
        "name",
        "model",
        "column",
        "operator",
        "expression",
        "value",
        "created_time",
        "updated_time",
    ]);
    for (id, name, model, column, operator, expression, value) in DATA_RULES {
        push_row(
            &mut rules,
            [
                id.into(),
                name.into(),
                model.into(),
                column.into(),
                operator.into(),
                expression.into(),
                value.into(),
                now.into(),
                Option::<DateTime<Utc>>::None.into(),
            ],
        )?;
    }
    exec(db, &rules).await?;

    for (table, left, right, rows) in ASSOCIATIONS {
        let mut insert = Query::insert();
        insert.into_table(table).columns(["id", left, right]);
        for &(id, a, b) in rows {
            push_row(&mut insert, [id.into(), a.into(), b.into()])?;
        }
        exec(db, &insert).await?;
    }

    if db.get_database_backend() == DbBackend::Postgres {
        for table in SEEDED_TABLES {
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            );
            db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
                .await?;
        }
    }
    tracing::info!("seeded FBA test data");
    Ok(())
}

/// Whether any user exists, i.e. the database was seeded (or is in use).
///
/// # Errors
/// The database's error, for example when `sys_user` does not exist yet.
pub async fn is_seeded<C: ConnectionTrait>(db: &C) -> Result<bool, DbErr> {
    let query = Query::select()
        .expr(Expr::col("id"))
        .from("sys_user")
        .limit(1)
        .to_owned();
    Ok(db.query_one(&query).await?.is_some())
}
