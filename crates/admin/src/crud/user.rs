//! Queries on `sys_user` for user management: the filtered page, the users' roles, inserts,
//! column updates and delete. Get (by id, username or e-mail) and role replacement are
//! [`Repository`]'s. What authentication and RBAC read (the current user with its relations,
//! the policy rows) lives in [`super::access`].

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use fba_db::Repository;
use fba_db::repo::{group_links, total_from_page};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    FromQueryResult, IdenStatic, Iterable, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Select,
};

use crate::model::{sys_dept, sys_role, sys_user, sys_user_password_history, sys_user_role};
use crate::schema::user_admin::{UserFilter, ValidUserUpdate};

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
    let total = match total_from_page(users.len(), offset, limit) {
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
    Ok(group_links(links, &roles, |r| r.id))
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
    sys_user::Entity::update_by_id(db, user_id, changes).await
}

/// Applies FBA's `UpdateUserParam` to user `user_id` (optional columns only when given); the
/// rows updated. The roles are replaced separately ([`Repository::replace_links`]).
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

/// Deletes user `user_id` with its role links and password history; the users deleted.
///
/// # Errors
/// A database failure.
pub async fn delete<C: ConnectionTrait>(db: &C, user_id: i64) -> Result<u64, DbErr> {
    let user = [user_id];
    sys_user_role::Entity::delete_where_in(db, sys_user_role::Column::UserId, &user).await?;
    sys_user_password_history::Entity::delete_where_in(
        db,
        sys_user_password_history::Column::UserId,
        &user,
    )
    .await?;
    sys_user::Entity::delete_ids(db, &user).await
}
