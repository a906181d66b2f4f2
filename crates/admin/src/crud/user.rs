//! Queries on `sys_user` and the relations the authenticated user carries, plus what user
//! management needs: the filtered page, the users' depts and roles, inserts, column updates,
//! role replacement and delete.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use fba_common::security::{
    CurrentUser, UserDataRule, UserDataScope, UserDept, UserMenu, UserRole,
};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    FromQueryResult, IdenStatic, Iterable, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Select,
};

use crate::model::{
    sys_data_rule, sys_data_scope, sys_data_scope_rule, sys_dept, sys_menu, sys_role,
    sys_role_data_scope, sys_role_menu, sys_user, sys_user_password_history, sys_user_role,
};
use crate::schema::user_admin::{UserFilter, ValidUserUpdate};

/// The user with `id`.
///
/// # Errors
/// A database failure.
pub async fn get<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<sys_user::Model>, DbErr> {
    sys_user::Entity::find_by_id(id).one(db).await
}

/// The user named `username`.
///
/// # Errors
/// A database failure.
pub async fn get_by_username<C: ConnectionTrait>(
    db: &C,
    username: &str,
) -> Result<Option<sys_user::Model>, DbErr> {
    sys_user::Entity::find()
        .filter(sys_user::Column::Username.eq(username))
        .one(db)
        .await
}

/// The user with dept, roles, the roles' menus and data scopes with rules — FBA's
/// `UserInfoWithRelation`, as authentication caches it. Seven small queries, none per row.
///
/// # Errors
/// A database failure.
pub async fn load_current_user<C: ConnectionTrait>(
    db: &C,
    id: i64,
) -> Result<Option<CurrentUser>, DbErr> {
    let Some(user) = get(db, id).await? else {
        return Ok(None);
    };
    let dept = match user.dept_id {
        Some(dept_id) => sys_dept::Entity::find_by_id(dept_id).one(db).await?,
        None => None,
    };
    let role_ids: Vec<i64> = sys_user_role::Entity::find()
        .filter(sys_user_role::Column::UserId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.role_id)
        .collect();
    let roles = if role_ids.is_empty() {
        Vec::new()
    } else {
        load_roles(db, &role_ids).await?
    };
    Ok(Some(CurrentUser {
        id: user.id,
        uuid: user.uuid,
        username: user.username,
        nickname: user.nickname,
        avatar: user.avatar,
        email: user.email,
        phone: user.phone,
        status: user.status,
        is_superuser: user.is_superuser,
        is_staff: user.is_staff,
        is_multi_login: user.is_multi_login,
        join_time: user.join_time,
        last_login_time: user.last_login_time,
        last_password_changed_time: user.last_password_changed_time,
        dept_id: user.dept_id,
        dept: dept.map(|d| UserDept {
            id: d.id,
            name: d.name,
            status: d.status,
            del_flag: d.del_flag,
        }),
        roles,
    }))
}

async fn load_roles<C: ConnectionTrait>(db: &C, role_ids: &[i64]) -> Result<Vec<UserRole>, DbErr> {
    let roles = sys_role::Entity::find()
        .filter(sys_role::Column::Id.is_in(role_ids.iter().copied()))
        .order_by_asc(sys_role::Column::Id)
        .all(db)
        .await?;
    let role_menus = sys_role_menu::Entity::find()
        .filter(sys_role_menu::Column::RoleId.is_in(role_ids.iter().copied()))
        .all(db)
        .await?;
    let menu_ids: Vec<i64> = role_menus.iter().map(|rm| rm.menu_id).collect();
    let menus: HashMap<i64, sys_menu::Model> = if menu_ids.is_empty() {
        HashMap::new()
    } else {
        sys_menu::Entity::find()
            .filter(sys_menu::Column::Id.is_in(menu_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect()
    };
    let role_scopes = sys_role_data_scope::Entity::find()
        .filter(sys_role_data_scope::Column::RoleId.is_in(role_ids.iter().copied()))
        .all(db)
        .await?;
    let scope_ids: Vec<i64> = role_scopes.iter().map(|rs| rs.data_scope_id).collect();
    let (scopes, scope_rules, rules) = if scope_ids.is_empty() {
        (HashMap::new(), Vec::new(), HashMap::new())
    } else {
        let scopes: HashMap<i64, sys_data_scope::Model> = sys_data_scope::Entity::find()
            .filter(sys_data_scope::Column::Id.is_in(scope_ids.iter().copied()))
            .all(db)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        let scope_rules = sys_data_scope_rule::Entity::find()
            .filter(sys_data_scope_rule::Column::DataScopeId.is_in(scope_ids))
            .all(db)
            .await?;
        let rule_ids: Vec<i64> = scope_rules.iter().map(|sr| sr.data_rule_id).collect();
        let rules: HashMap<i64, sys_data_rule::Model> = if rule_ids.is_empty() {
            HashMap::new()
        } else {
            sys_data_rule::Entity::find()
                .filter(sys_data_rule::Column::Id.is_in(rule_ids))
                .all(db)
                .await?
                .into_iter()
                .map(|r| (r.id, r))
                .collect()
        };
        (scopes, scope_rules, rules)
    };
    Ok(roles
        .into_iter()
        .map(|role| {
            let mut role_menus: Vec<UserMenu> = role_menus
                .iter()
                .filter(|rm| rm.role_id == role.id)
                .filter_map(|rm| menus.get(&rm.menu_id))
                .map(|m| UserMenu {
                    id: m.id,
                    perms: m.perms.clone(),
                    status: m.status,
                    menu_type: m.r#type,
                })
                .collect();
            role_menus.sort_by_key(|m| m.id);
            let role_scopes = role_scopes
                .iter()
                .filter(|rs| rs.role_id == role.id)
                .filter_map(|rs| scopes.get(&rs.data_scope_id))
                .map(|s| UserDataScope {
                    id: s.id,
                    name: s.name.clone(),
                    status: s.status,
                    rules: scope_rules
                        .iter()
                        .filter(|sr| sr.data_scope_id == s.id)
                        .filter_map(|sr| rules.get(&sr.data_rule_id))
                        .map(|r| UserDataRule {
                            id: r.id,
                            model: r.model.clone(),
                            column: r.column.clone(),
                            operator: r.operator,
                            expression: r.expression,
                            value: r.value.clone(),
                        })
                        .collect(),
                })
                .collect();
            UserRole {
                id: role.id,
                name: role.name,
                status: role.status,
                is_filter_scopes: role.is_filter_scopes,
                menus: role_menus,
                scopes: role_scopes,
            }
        })
        .collect())
}

/// `(role id, permission code)` for every enabled menu with perms of every enabled role.
///
/// # Errors
/// A database failure.
pub async fn role_permissions<C: ConnectionTrait>(db: &C) -> Result<Vec<(i64, String)>, DbErr> {
    let roles: Vec<i64> = sys_role::Entity::find()
        .filter(sys_role::Column::Status.eq(1))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    if roles.is_empty() {
        return Ok(Vec::new());
    }
    let links = sys_role_menu::Entity::find()
        .filter(sys_role_menu::Column::RoleId.is_in(roles))
        .all(db)
        .await?;
    let menus: HashMap<i64, String> = sys_menu::Entity::find()
        .filter(sys_menu::Column::Status.eq(1))
        .filter(sys_menu::Column::Perms.is_not_null())
        .all(db)
        .await?
        .into_iter()
        .filter_map(|m| m.perms.map(|p| (m.id, p)))
        .collect();
    let mut out: Vec<(i64, String)> = links
        .iter()
        .filter_map(|l| menus.get(&l.menu_id).map(|p| (l.role_id, p)))
        .flat_map(|(role, perms)| {
            perms
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(move |p| (role, p.to_owned()))
        })
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// Permission codes of every enabled menu (what a superuser has: FBA `GET /auth/codes`).
///
/// # Errors
/// A database failure.
pub async fn all_menu_codes<C: ConnectionTrait>(db: &C) -> Result<Vec<String>, DbErr> {
    let mut codes: Vec<String> = sys_menu::Entity::find()
        .filter(sys_menu::Column::Status.eq(1))
        .filter(sys_menu::Column::Perms.is_not_null())
        .all(db)
        .await?
        .into_iter()
        .filter_map(|m| m.perms)
        .flat_map(|p| {
            p.split(',')
                .map(|s| s.trim().to_owned())
                .collect::<Vec<_>>()
        })
        .filter(|p| !p.is_empty())
        .collect();
    codes.sort();
    codes.dedup();
    Ok(codes)
}

// ---------------------------------------------------------------------------------------------
// User management (`/sys/users`): lists, relations, writes.
// ---------------------------------------------------------------------------------------------

/// A user of a page with its department and roles (each role once, by id).
pub type UserRow = (
    sys_user::Model,
    Option<sys_dept::Model>,
    Vec<sys_role::Model>,
);

/// One page of users matching `filter` (newest id first), each with its department (whatever
/// its `del_flag`) and existing roles, and the number of matching users (users, not user×role
/// rows: FBA's joined count is not reproduced). `offset` `None` is a page past any table: no
/// rows.
///
/// One query: the page of users as a derived table, joined to departments and, through the
/// links, to roles (a derived table because MySQL refuses `LIMIT` inside `IN (…)`).
///
/// # Errors
/// A database failure.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    filter: &UserFilter,
    offset: Option<u64>,
    limit: u64,
) -> Result<(Vec<UserRow>, u64), DbErr> {
    let Some(offset) = offset else {
        return Ok((Vec::new(), filtered(filter).count(db).await?));
    };
    let page = filtered(filter)
        .order_by_desc(sys_user::Column::Id)
        .offset(offset)
        .limit(limit)
        .into_query();
    let u = Alias::new("u");
    let mut q = Query::select();
    q.from_subquery(page, u.clone());
    for col in sys_user::Column::iter() {
        q.expr_as(Expr::col((u.clone(), col)), prefixed(USER, col));
    }
    for col in sys_dept::Column::iter() {
        q.expr_as(Expr::col((sys_dept::Entity, col)), prefixed(DEPT, col));
    }
    for col in sys_role::Column::iter() {
        q.expr_as(Expr::col((sys_role::Entity, col)), prefixed(ROLE, col));
    }
    q.join(
        JoinType::LeftJoin,
        sys_dept::Entity,
        Expr::col((sys_dept::Entity, sys_dept::Column::Id))
            .equals((u.clone(), sys_user::Column::DeptId)),
    )
    .join(
        JoinType::LeftJoin,
        sys_user_role::Entity,
        Expr::col((sys_user_role::Entity, sys_user_role::Column::UserId))
            .equals((u.clone(), sys_user::Column::Id)),
    )
    .join(
        JoinType::LeftJoin,
        sys_role::Entity,
        Expr::col((sys_role::Entity, sys_role::Column::Id))
            .equals((sys_user_role::Entity, sys_user_role::Column::RoleId)),
    )
    .order_by((u, sys_user::Column::Id), Order::Desc)
    .order_by((sys_role::Entity, sys_role::Column::Id), Order::Asc);
    let rows = db.query_all(&q).await?;
    let mut users: Vec<UserRow> = Vec::new();
    for row in &rows {
        let user = sys_user::Model::from_query_result(row, USER)?;
        let role = sys_role::Model::from_query_result_optional(row, ROLE)?;
        match users.last_mut() {
            Some((last, _, roles)) if last.id == user.id => {
                if let Some(role) = role.filter(|r| !roles.iter().any(|x| x.id == r.id)) {
                    roles.push(role);
                }
            }
            _ => {
                let dept = sys_dept::Model::from_query_result_optional(row, DEPT)?;
                users.push((user, dept, role.into_iter().collect()));
            }
        }
    }
    let total = match super::common::total_from_page(users.len(), offset, limit) {
        Some(total) => total,
        None => filtered(filter).count(db).await?,
    };
    Ok((users, total))
}

/// Column alias prefixes of [`page`]'s joined rows.
const USER: &str = "A_";
const DEPT: &str = "B_";
const ROLE: &str = "C_";

fn prefixed(prefix: &str, col: impl IdenStatic) -> Alias {
    Alias::new(format!("{prefix}{}", col.as_str()))
}

/// The users `filter` selects.
fn filtered(filter: &UserFilter) -> Select<sys_user::Entity> {
    let mut q = sys_user::Entity::find();
    if let Some(dept) = filter.dept {
        q = q.filter(sys_user::Column::DeptId.eq(dept));
    }
    if let Some(username) = &filter.username {
        q = q.filter(sys_user::Column::Username.contains(username.as_str()));
    }
    if let Some(phone) = &filter.phone {
        q = q.filter(sys_user::Column::Phone.contains(phone.as_str()));
    }
    if let Some(status) = filter.status {
        q = q.filter(sys_user::Column::Status.eq(status));
    }
    q
}

/// The user with e-mail `email`.
///
/// # Errors
/// A database failure.
pub async fn get_by_email<C: ConnectionTrait>(
    db: &C,
    email: &str,
) -> Result<Option<sys_user::Model>, DbErr> {
    sys_user::Entity::find()
        .filter(sys_user::Column::Email.eq(email))
        .one(db)
        .await
}

/// The department `id` whatever its `del_flag` (what a user's detail shows).
///
/// # Errors
/// A database failure.
pub async fn dept<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<sys_dept::Model>, DbErr> {
    sys_dept::Entity::find_by_id(id).one(db).await
}

/// Whether department `id` exists and is not deleted (FBA's `dept_dao.get`).
///
/// # Errors
/// A database failure.
pub async fn live_dept_exists<C: ConnectionTrait>(db: &C, id: i64) -> Result<bool, DbErr> {
    Ok(sys_dept::Entity::find_by_id(id)
        .filter(sys_dept::Column::DelFlag.eq(false))
        .count(db)
        .await?
        > 0)
}

/// Which of `ids` are existing roles.
///
/// # Errors
/// A database failure.
pub async fn existing_role_ids<C: ConnectionTrait>(db: &C, ids: &[i64]) -> Result<Vec<i64>, DbErr> {
    super::common::existing_ids::<sys_role::Entity, _>(db, sys_role::Column::Id, ids).await
}

/// The existing roles of each of `user_ids` (each list in role id order, no repeats), keyed
/// by user id; users without roles are absent.
///
/// # Errors
/// A database failure.
pub async fn roles_by_users<C: ConnectionTrait>(
    db: &C,
    user_ids: &[i64],
) -> Result<HashMap<i64, Vec<sys_role::Model>>, DbErr> {
    if user_ids.is_empty() {
        return Ok(HashMap::new());
    }
    // The links and their roles in one query (INNER JOIN drops links to missing roles).
    let rows = sys_user_role::Entity::find()
        .filter(sys_user_role::Column::UserId.is_in(user_ids.iter().copied()))
        .find_also_related(sys_role::Entity)
        .all(db)
        .await?;
    let links: Vec<(i64, i64)> = rows.iter().map(|(l, _)| (l.user_id, l.role_id)).collect();
    let roles: HashMap<i64, sys_role::Model> = rows
        .into_iter()
        .filter_map(|(_, role)| role)
        .map(|r| (r.id, r))
        .collect();
    Ok(super::common::group_links(links, &roles, |r| r.id))
}

/// The columns of a new `sys_user` row that the caller decides.
#[derive(Clone, PartialEq, Eq)]
pub struct NewUserRow {
    /// Snowflake id, or `None` to let the database assign one.
    pub id: Option<i64>,
    /// Public uuid.
    pub uuid: String,
    /// Login name.
    pub username: String,
    /// Display name.
    pub nickname: String,
    /// bcrypt hash.
    pub password_hash: String,
    /// bcrypt salt string as bytes (FBA's `salt` column).
    pub salt: Vec<u8>,
    /// E-mail.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Department (`None` for a superuser made by `fba create-superuser`).
    pub dept_id: Option<i64>,
    /// Superuser, staff and multi-login (`fba create-superuser`); else none of them.
    pub superuser: bool,
    /// Creation time (also `join_time` and `last_password_changed_time`).
    pub now: DateTime<Utc>,
}

impl std::fmt::Debug for NewUserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUserRow")
            .field("id", &self.id)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Inserts a user with FBA's defaults (status 1; not superuser, not staff, not multi-login
/// unless [`NewUserRow::superuser`]) and returns it.
///
/// # Errors
/// A database failure (a taken username or e-mail is a unique-constraint violation).
pub async fn create<C: ConnectionTrait>(db: &C, row: NewUserRow) -> Result<sys_user::Model, DbErr> {
    sys_user::ActiveModel {
        id: row.id.map_or(ActiveValue::NotSet, ActiveValue::Set),
        uuid: ActiveValue::Set(row.uuid),
        username: ActiveValue::Set(row.username),
        nickname: ActiveValue::Set(row.nickname),
        password: ActiveValue::Set(Some(row.password_hash)),
        salt: ActiveValue::Set(Some(row.salt)),
        email: ActiveValue::Set(row.email),
        phone: ActiveValue::Set(row.phone),
        avatar: ActiveValue::Set(None),
        status: ActiveValue::Set(1),
        is_superuser: ActiveValue::Set(row.superuser),
        is_staff: ActiveValue::Set(row.superuser),
        is_multi_login: ActiveValue::Set(row.superuser),
        join_time: ActiveValue::Set(row.now),
        last_login_time: ActiveValue::Set(None),
        last_password_changed_time: ActiveValue::Set(Some(row.now)),
        dept_id: ActiveValue::Set(row.dept_id),
        created_time: ActiveValue::Set(row.now),
        updated_time: ActiveValue::Set(None),
    }
    .insert(db)
    .await
}

/// `UPDATE sys_user SET <changes>, updated_time = now WHERE id = user_id`; the rows updated.
/// Columns left `NotSet` in `changes` are untouched.
///
/// # Errors
/// A database failure.
pub async fn update_columns<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    mut changes: sys_user::ActiveModel,
) -> Result<u64, DbErr> {
    changes.updated_time = ActiveValue::Set(Some(Utc::now()));
    super::common::update_by_id(db, sys_user::Column::Id, user_id, changes).await
}

/// Applies FBA's `UpdateUserParam` to user `user_id` (optional columns only when given); the
/// rows updated. The roles are replaced separately ([`replace_roles`]).
///
/// # Errors
/// A database failure.
pub async fn update_info<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    update: &ValidUserUpdate,
) -> Result<u64, DbErr> {
    let set_opt = |v: &Option<Option<String>>| match v {
        Some(v) => ActiveValue::Set(v.clone()),
        None => ActiveValue::NotSet,
    };
    let changes = sys_user::ActiveModel {
        username: ActiveValue::Set(update.username.clone()),
        nickname: ActiveValue::Set(update.nickname.clone()),
        dept_id: update.dept_id.map_or(ActiveValue::NotSet, ActiveValue::Set),
        avatar: set_opt(&update.avatar),
        email: set_opt(&update.email),
        phone: set_opt(&update.phone),
        ..Default::default()
    };
    update_columns(db, user_id, changes).await
}

/// Sets the password hash, its salt and `last_password_changed_time`; the rows updated.
///
/// # Errors
/// A database failure.
pub async fn set_password<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    hash: &str,
    salt: Vec<u8>,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let changes = sys_user::ActiveModel {
        password: ActiveValue::Set(Some(hash.to_owned())),
        salt: ActiveValue::Set(Some(salt)),
        last_password_changed_time: ActiveValue::Set(Some(now)),
        ..Default::default()
    };
    update_columns(db, user_id, changes).await
}

/// Replaces the roles of user `user_id` with `role_ids` (repeats dropped).
///
/// # Errors
/// A database failure.
pub async fn replace_roles<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    role_ids: &[i64],
) -> Result<(), DbErr> {
    super::common::replace_links::<sys_user::Entity, _, _>(
        db,
        sys_user::Column::Id,
        sys_user_role::Column::UserId,
        user_id,
        role_ids,
        |user_id, role_id| sys_user_role::ActiveModel {
            id: ActiveValue::NotSet,
            user_id: ActiveValue::Set(user_id),
            role_id: ActiveValue::Set(role_id),
        },
    )
    .await
}

/// Deletes user `user_id` with its role links and password history; the users deleted.
///
/// # Errors
/// A database failure.
pub async fn delete<C: ConnectionTrait>(db: &C, user_id: i64) -> Result<u64, DbErr> {
    sys_user_role::Entity::delete_many()
        .filter(sys_user_role::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    sys_user_password_history::Entity::delete_many()
        .filter(sys_user_password_history::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(sys_user::Entity::delete_many()
        .filter(sys_user::Column::Id.eq(user_id))
        .exec(db)
        .await?
        .rows_affected)
}
