//! User management (`/api/v1/sys/users`, except the current user's `/me*` routes, which live in
//! [`super::user_me`]): details and lists with their depts and roles, and the superuser's
//! writes — create, update, the per-user flags, password reset — plus delete.
//!
//! Every write runs its checks and changes in one transaction and commits before returning;
//! then the Kv side follows: the cached user (`fba:user:{id}`) is dropped so the next request
//! reloads it, and where FBA ends sessions (password reset, delete, multi-login switched off)
//! they are revoked through [`super::token`]. Unlike FBA, disabling a user (`status` → 0) also
//! ends its sessions. Writes return the number of `sys_user` rows changed (0 → FBA's soft
//! failure).

use std::collections::HashSet;

use chrono::Utc;
use fba_common::pagination::{Page, PageParams};
use fba_common::security::{hash_password, invalidate_user};
use fba_common::validate::{body_loc, check_text};
use fba_common::{AppError, AppResult, AppState};
use fba_db::Repository;
use sea_orm::{ActiveValue, ConnectionTrait, DbErr, SqlErr};

use crate::crud;
use crate::crud::user::NewUserRow;
use crate::error::AdminError;
use crate::model::{sys_dept, sys_role, sys_user, sys_user_role};
use crate::schema::dept::DeptDetail;
use crate::schema::role::{RoleDetail, RoleWithRelation};
use crate::schema::user::UserInfo;
use crate::schema::user_admin::{
    NICKNAME_MAX_CHARS, NewPassword, PermissionType, USERNAME_MAX_CHARS, UserFilter,
    UserWithRelation, ValidNewUser, ValidUserUpdate,
};
use crate::schema::user_me::EmailParam;
use crate::service::{auth, password_policy, role, token};

/// Length of a bcrypt salt string (`$2b$12$` + 22 characters), stored in `sys_user.salt`.
const BCRYPT_SALT_LEN: usize = 29;

async fn require<C: ConnectionTrait>(db: &C, pk: i64) -> AppResult<sys_user::Model> {
    sys_user::Entity::get(db, pk)
        .await?
        .ok_or_else(|| AdminError::UserNotFound.into())
}

/// A unique-index violation on `sys_user` as FBA's 409 (username, else e-mail).
fn conflict(e: DbErr) -> AppError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(detail)) => {
            if detail.to_ascii_lowercase().contains("email") {
                AdminError::EmailTaken.into()
            } else {
                AdminError::UsernameTaken.into()
            }
        }
        _ => e.into(),
    }
}

/// 404 `角色不存在` unless every id of `roles` is a role (FBA compares the id sets).
async fn check_roles<C: ConnectionTrait>(db: &C, roles: &[i64]) -> AppResult<()> {
    if roles.is_empty() {
        return Ok(());
    }
    let wanted: HashSet<i64> = roles.iter().copied().collect();
    let found: HashSet<i64> = sys_role::Entity::existing_ids(db, roles)
        .await?
        .into_iter()
        .collect();
    if wanted == found {
        Ok(())
    } else {
        Err(AdminError::RoleNotFound.into())
    }
}

/// 409 when another user than `except` has `email`.
async fn check_email<C: ConnectionTrait>(
    db: &C,
    email: &str,
    except: Option<i64>,
) -> AppResult<()> {
    match sys_user::Entity::get_by(db, sys_user::Column::Email, email).await? {
        Some(other) if Some(other.id) != except => Err(AdminError::EmailTaken.into()),
        _ => Ok(()),
    }
}

/// The user with its dept and its roles, each with menus and data scopes (with rules).
async fn with_relation<C: ConnectionTrait>(
    db: &C,
    user: sys_user::Model,
) -> AppResult<UserWithRelation> {
    let dept = match user.dept_id {
        Some(id) => sys_dept::Entity::get(db, id).await?.map(DeptDetail::from),
        None => None,
    };
    let roles = crud::user::roles_by_users(db, &[user.id])
        .await?
        .remove(&user.id)
        .unwrap_or_default();
    let mut detailed = Vec::with_capacity(roles.len());
    for r in roles {
        detailed.push(role::get(db, r.id).await?);
    }
    Ok(UserWithRelation {
        user: UserInfo::from(&user),
        dept,
        roles: detailed,
    })
}

fn bare_role(r: sys_role::Model) -> RoleWithRelation {
    RoleWithRelation {
        role: RoleDetail::from(r),
        menus: Vec::new(),
        scopes: Vec::new(),
    }
}

/// The user `pk` with its dept and roles (FBA `GET /sys/users/{pk}`).
///
/// # Errors
/// 404 `用户不存在`; a database failure.
pub async fn get<C: ConnectionTrait>(db: &C, pk: i64) -> AppResult<UserWithRelation> {
    let user = require(db, pk).await?;
    with_relation(db, user).await
}

/// The roles of user `pk`, in id order.
///
/// # Errors
/// 404 `用户不存在`; a database failure.
pub async fn roles<C: ConnectionTrait>(db: &C, pk: i64) -> AppResult<Vec<RoleDetail>> {
    require(db, pk).await?;
    Ok(crud::user::roles_by_users(db, &[pk])
        .await?
        .remove(&pk)
        .unwrap_or_default()
        .into_iter()
        .map(RoleDetail::from)
        .collect())
}

/// One page of users matching `filter` (newest first), each with its dept and its roles
/// (`menus: []`, `scopes: []`). `total` counts users (FBA counts user×role rows).
///
/// # Errors
/// A database failure.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    filter: &UserFilter,
    params: &PageParams,
) -> AppResult<Page<UserWithRelation>> {
    let (users, total) = crud::user::page(db, filter, params.offset(), params.limit()).await?;
    let items = users
        .into_iter()
        .map(|(u, dept, user_roles)| {
            let dept = dept.map(DeptDetail::from);
            UserWithRelation {
                user: UserInfo::from(&u),
                dept,
                roles: user_roles.into_iter().map(bare_role).collect(),
            }
        })
        .collect();
    Ok(Page::new(items, total, params))
}

/// FBA's checks of a new user, in FBA's order: username free (409), password not empty (400),
/// dept exists (404), roles exist (404); then the e-mail free (409, FBA: 500).
async fn check_new_user<C: ConnectionTrait>(db: &C, user: &ValidNewUser) -> AppResult<()> {
    if sys_user::Entity::get_by(db, sys_user::Column::Username, &user.username)
        .await?
        .is_some()
    {
        return Err(AdminError::UsernameTaken.into());
    }
    if user.password.is_empty() {
        return Err(AdminError::PasswordEmpty.into());
    }
    if crud::dept::get(db, user.dept_id).await?.is_none() {
        return Err(AdminError::DeptNotFound.into());
    }
    check_roles(db, &user.roles).await?;
    if let Some(email) = &user.email {
        check_email(db, email, None).await?;
    }
    Ok(())
}

/// The bcrypt hash of `password` (cost `PASSWORD_BCRYPT_COST`, on the blocking pool) and its
/// salt string as bytes.
async fn hash_with_salt(state: &AppState, password: &str) -> AppResult<(String, Vec<u8>)> {
    let hash = hash_password(password, state.settings.user_security.bcrypt_cost).await?;
    let salt = hash
        .get(..BCRYPT_SALT_LEN)
        .map(|s| s.as_bytes().to_vec())
        .ok_or_else(|| AppError::Internal("bcrypt produced a short hash".to_owned()))?;
    Ok((hash, salt))
}

/// Creates a user with its roles and a password-history row; returns it as
/// `UserInfoWithRelation`. The checks run once before hashing (so a refused request costs no
/// bcrypt work) and again inside the transaction.
///
/// # Errors
/// 409 `用户名已注册` / `邮箱已被绑定`, 400 `密码不允许为空`, 404 `部门不存在` / `角色不存在`; a
/// database failure.
pub async fn create(state: &AppState, new: ValidNewUser) -> AppResult<UserWithRelation> {
    check_new_user(&state.db, &new).await?;
    let (hash, salt) = hash_with_salt(state, &new.password).await?;
    let id = state.next_id()?;
    let history_id = state.next_id()?;
    let now = Utc::now();
    let txn = fba_db::begin_write(&state.db).await?;
    check_new_user(&txn, &new).await?;
    let user = crud::user::create(
        &txn,
        NewUserRow {
            id,
            uuid: uuid::Uuid::new_v4().to_string(),
            username: new.username,
            nickname: new.nickname,
            password_hash: hash.clone(),
            salt,
            email: new.email,
            phone: new.phone,
            dept_id: Some(new.dept_id),
            superuser: false,
            now,
        },
    )
    .await
    .map_err(conflict)?;
    sys_user::Entity::replace_links(
        &txn,
        user.id,
        sys_user_role::Column::UserId,
        sys_user_role::Column::RoleId,
        &new.roles,
    )
    .await?;
    crud::password_history::create(&txn, history_id, user.id, &hash, now).await?;
    let detail = with_relation(&txn, user).await?;
    txn.commit().await?;
    Ok(detail)
}

/// A superuser to create (`fba create-superuser`), as typed.
#[derive(Clone, PartialEq, Eq)]
pub struct NewSuperuser {
    /// Login name.
    pub username: String,
    /// Plain password.
    pub password: String,
    /// Display name (the username when absent or empty).
    pub nickname: Option<String>,
    /// E-mail (none when absent or empty).
    pub email: Option<String>,
}

impl std::fmt::Debug for NewSuperuser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSuperuser")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// The checks of a new superuser that need the database: username free (409), e-mail free.
async fn check_new_superuser<C: ConnectionTrait>(
    db: &C,
    username: &str,
    email: Option<&str>,
) -> AppResult<()> {
    if sys_user::Entity::get_by(db, sys_user::Column::Username, username)
        .await?
        .is_some()
    {
        return Err(AdminError::UsernameTaken.into());
    }
    if let Some(email) = email {
        check_email(db, email, None).await?;
    }
    Ok(())
}

/// Creates a superuser (superuser, staff and multi-login; no dept, no roles) with a
/// password-history row and returns its id. The username, nickname and e-mail follow the
/// field rules of `POST /sys/users`; the password follows the policy of a password change
/// ([`password_policy::check_composition`]: a new user has no history). The checks run before
/// hashing and again inside the transaction.
///
/// # Errors
/// 422 for a field that breaks its rule, 400 with the policy's message, 409 `用户名已注册` /
/// `邮箱已被绑定`; a database failure.
pub async fn create_superuser(state: &AppState, new: NewSuperuser) -> AppResult<i64> {
    check_text(
        &body_loc("username"),
        &new.username,
        Some(USERNAME_MAX_CHARS),
    )?;
    let nickname = match new.nickname.filter(|n| !n.is_empty()) {
        Some(n) => {
            check_text(&body_loc("nickname"), &n, Some(NICKNAME_MAX_CHARS))?;
            n
        }
        None => new.username.clone(),
    };
    let email = match new.email.filter(|e| !e.is_empty()) {
        Some(email) => {
            let change = EmailParam {
                captcha: String::new(),
                email,
            }
            .parse()?;
            Some(change.email.as_str().to_owned())
        }
        None => None,
    };
    password_policy::check_composition(&*state.user_security().await?, &new.password)?;
    check_new_superuser(&state.db, &new.username, email.as_deref()).await?;
    let (hash, salt) = hash_with_salt(state, &new.password).await?;
    let id = state.next_id()?;
    let history_id = state.next_id()?;
    let now = Utc::now();
    let txn = fba_db::begin_write(&state.db).await?;
    check_new_superuser(&txn, &new.username, email.as_deref()).await?;
    let user = crud::user::create(
        &txn,
        NewUserRow {
            id,
            uuid: uuid::Uuid::new_v4().to_string(),
            username: new.username,
            nickname,
            password_hash: hash.clone(),
            salt,
            email,
            phone: None,
            dept_id: None,
            superuser: true,
            now,
        },
    )
    .await
    .map_err(conflict)?;
    crud::password_history::create(&txn, history_id, user.id, &hash, now).await?;
    txn.commit().await?;
    Ok(user.id)
}

/// The id of the user named `username`, if there is one.
///
/// # Errors
/// A database failure.
pub async fn id_by_username<C: ConnectionTrait>(db: &C, username: &str) -> AppResult<Option<i64>> {
    Ok(
        sys_user::Entity::get_by(db, sys_user::Column::Username, username)
            .await?
            .map(|u| u.id),
    )
}

/// Updates user `pk` and replaces its roles; drops its cached user.
///
/// # Errors
/// 404 `用户不存在` / `部门不存在` (checked only when the dept changes) / `角色不存在`, 409
/// `用户名已注册` / `邮箱已被绑定`; a database or Kv failure.
pub async fn update(state: &AppState, pk: i64, update: ValidUserUpdate) -> AppResult<u64> {
    let txn = fba_db::begin_write(&state.db).await?;
    let user = require(&txn, pk).await?;
    if update.username != user.username
        && sys_user::Entity::get_by(&txn, sys_user::Column::Username, &update.username)
            .await?
            .is_some()
    {
        return Err(AdminError::UsernameTaken.into());
    }
    if let Some(Some(dept_id)) = update.dept_id
        && Some(dept_id) != user.dept_id
        && crud::dept::get(&txn, dept_id).await?.is_none()
    {
        return Err(AdminError::DeptNotFound.into());
    }
    check_roles(&txn, &update.roles).await?;
    if let Some(Some(email)) = &update.email {
        check_email(&txn, email, Some(pk)).await?;
    }
    let count = crud::user::update_info(&txn, pk, &update)
        .await
        .map_err(conflict)?;
    sys_user::Entity::replace_links(
        &txn,
        pk,
        sys_user_role::Column::UserId,
        sys_user_role::Column::RoleId,
        &update.roles,
    )
    .await?;
    txn.commit().await?;
    invalidate_user(state, pk).await?;
    Ok(count)
}

/// Toggles one flag of user `pk` for the superuser `caller_id` (session `caller_session`).
///
/// `superuser`, `staff` and `status` refuse the caller's own account. Switching `status` to 0
/// ends every session of the user; switching `multi_login` off ends every session of the user,
/// except the caller's current one when the user is the caller. The cached user is dropped.
///
/// # Errors
/// 404 `用户不存在`, 403 `禁止修改自身权限`; a database or Kv failure.
pub async fn update_permission(
    state: &AppState,
    caller_id: i64,
    caller_session: &str,
    pk: i64,
    kind: PermissionType,
) -> AppResult<u64> {
    let txn = fba_db::begin_write(&state.db).await?;
    let user = require(&txn, pk).await?;
    if kind != PermissionType::MultiLogin && pk == caller_id {
        return Err(AdminError::SelfPermissionChange.into());
    }
    let mut changes = sys_user::ActiveModel::default();
    let mut end_sessions = false;
    match kind {
        PermissionType::Superuser => {
            changes.is_superuser = ActiveValue::Set(!user.is_superuser);
        }
        PermissionType::Staff => changes.is_staff = ActiveValue::Set(!user.is_staff),
        PermissionType::Status => {
            let status = if user.status == 1 { 0 } else { 1 };
            changes.status = ActiveValue::Set(status);
            end_sessions = status == 0;
        }
        PermissionType::MultiLogin => {
            changes.is_multi_login = ActiveValue::Set(!user.is_multi_login);
            end_sessions = user.is_multi_login;
        }
    }
    let count = crud::user::update_columns(&txn, pk, changes).await?;
    txn.commit().await?;
    if count > 0 && end_sessions {
        if kind == PermissionType::MultiLogin && pk == caller_id {
            token::revoke_other_sessions(state, pk, caller_session).await?;
        } else {
            token::revoke_user_sessions(state, pk).await?;
        }
    }
    invalidate_user(state, pk).await?;
    Ok(count)
}

/// Sets a new password for user `pk` (FBA's policy and history apply), records it in the
/// history, then ends every session of the user and drops its cached user.
///
/// # Errors
/// 404 `用户不存在`, 400 with the policy's message; a database or Kv failure.
pub async fn reset_password(state: &AppState, pk: i64, password: &NewPassword) -> AppResult<u64> {
    require(&state.db, pk).await?;
    let security = state.user_security().await?;
    password_policy::validate_new_password(&state.db, &security, pk, password.as_str()).await?;
    let (hash, salt) = hash_with_salt(state, password.as_str()).await?;
    let history_id = state.next_id()?;
    let now = Utc::now();
    let txn = fba_db::begin_write(&state.db).await?;
    let count = crud::user::set_password(&txn, pk, &hash, salt, now).await?;
    if count > 0 {
        crud::password_history::create(&txn, history_id, pk, &hash, now).await?;
    }
    txn.commit().await?;
    if count > 0 {
        token::revoke_user_sessions(state, pk).await?;
    }
    invalidate_user(state, pk).await?;
    Ok(count)
}

/// Deletes user `pk` with its role links and password history, then its sessions, its cached
/// user and its login-failure and lock keys.
///
/// # Errors
/// 404 `用户不存在`; a database or Kv failure.
pub async fn delete(state: &AppState, pk: i64) -> AppResult<u64> {
    let txn = fba_db::begin_write(&state.db).await?;
    require(&txn, pk).await?;
    let count = crud::user::delete(&txn, pk).await?;
    txn.commit().await?;
    token::revoke_user_sessions(state, pk).await?;
    invalidate_user(state, pk).await?;
    auth::clear_lock(state, pk).await?;
    Ok(count)
}
