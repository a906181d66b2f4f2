//! What the authenticated user may change about itself (nickname, avatar, e-mail, password)
//! and its permission codes. Every write commits before returning and drops the cached user
//! (`fba:user:{id}`) so the next request sees the change; a password change also ends every
//! session of the user. Returns the number of `sys_user` rows updated (0 → FBA's soft failure).

use chrono::Utc;
use fba_common::security::{CurrentUser, hash_password, invalidate_user, verify_password};
use fba_common::{AppError, AppResult, AppState};
use fba_db::Repository;
use sea_orm::{ActiveValue, SqlErr};

use crate::crud;
use crate::error::AdminError;
use crate::model::sys_user;
use crate::schema::user_me::{Avatar, EmailChange, Nickname, PasswordChange};
use crate::service::{password_policy, token};

/// Kv prefix of the e-mail verification codes (FBA's `EMAIL_CAPTCHA_REDIS_PREFIX`); the key is
/// `{prefix}:{client ip}` ([`fba_common::kv_keys::KvKeys::email_captcha`]).
pub const EMAIL_CAPTCHA_PREFIX: &str = fba_common::kv_keys::EMAIL_CAPTCHA_PREFIX;

/// Length of a bcrypt salt string (`$2b$12$` + 22 characters), stored in `sys_user.salt`.
const BCRYPT_SALT_LEN: usize = 29;

/// Sets the user's nickname.
///
/// # Errors
/// A database or Kv failure.
pub async fn update_nickname(
    state: &AppState,
    user_id: i64,
    nickname: &Nickname,
) -> AppResult<u64> {
    let changes = sys_user::ActiveModel {
        nickname: ActiveValue::Set(nickname.as_str().to_owned()),
        ..Default::default()
    };
    let count = crud::user::update_columns(&state.db, user_id, changes).await?;
    invalidate_user(state, user_id).await?;
    Ok(count)
}

/// Sets the user's avatar.
///
/// # Errors
/// A database or Kv failure.
pub async fn update_avatar(state: &AppState, user_id: i64, avatar: &Avatar) -> AppResult<u64> {
    let changes = sys_user::ActiveModel {
        avatar: ActiveValue::Set(Some(avatar.as_str().to_owned())),
        ..Default::default()
    };
    let count = crud::user::update_columns(&state.db, user_id, changes).await?;
    invalidate_user(state, user_id).await?;
    Ok(count)
}

/// Sets the user's e-mail once the code sent to `client_ip`'s request matches; the code is
/// used up only when the address is stored.
///
/// # Errors
/// 400 `验证码已失效，请重新获取` when no code is pending for `client_ip`, 40001 when it does
/// not match, 409 when another user has the address; a database or Kv failure.
pub async fn update_email(
    state: &AppState,
    user_id: i64,
    client_ip: &str,
    change: &EmailChange,
) -> AppResult<u64> {
    let key = state.keys().email_captcha(client_ip);
    let Some(expected) = state.kv.get(&key).await? else {
        return Err(AdminError::EmailCodeExpired.into());
    };
    if expected != change.captcha {
        return Err(AdminError::EmailCodeWrong.into());
    }
    let changes = sys_user::ActiveModel {
        email: ActiveValue::Set(Some(change.email.as_str().to_owned())),
        ..Default::default()
    };
    let count = match crud::user::update_columns(&state.db, user_id, changes).await {
        Ok(count) => count,
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Err(AdminError::EmailTaken.into());
        }
        Err(e) => return Err(e.into()),
    };
    state.kv.del(&key).await?;
    invalidate_user(state, user_id).await?;
    Ok(count)
}

/// Changes the user's password: checks the old one (skipped when the account has none, as
/// FBA), the confirmation and the policy, stores the new hash with a history row in one
/// transaction, then ends every session of the user and drops its cache.
///
/// # Errors
/// 400 `原密码错误`, `两次密码输入不一致` or a policy message; a database or Kv failure.
pub async fn update_password(
    state: &AppState,
    user_id: i64,
    change: &PasswordChange,
) -> AppResult<u64> {
    let Some(user) = sys_user::Entity::get(&state.db, user_id).await? else {
        return Ok(0);
    };
    if let Some(hash) = user.password.as_deref().filter(|h| !h.is_empty())
        && !verify_password(&change.old_password, Some(hash)).await?
    {
        return Err(AdminError::OldPasswordWrong.into());
    }
    if change.new_password != change.confirm_password {
        return Err(AdminError::PasswordMismatch.into());
    }
    let security = state.user_security().await?;
    password_policy::validate_new_password(&state.db, &security, user_id, &change.new_password)
        .await?;
    let hash = hash_password(&change.new_password, security.bcrypt_cost).await?;
    let salt = hash
        .get(..BCRYPT_SALT_LEN)
        .map(|s| s.as_bytes().to_vec())
        .ok_or_else(|| AppError::Internal("bcrypt produced a short hash".to_owned()))?;
    let history_id = state.next_id()?;
    let now = Utc::now();
    let txn = fba_db::begin_write(&state.db).await?;
    let count = crud::user::set_password(&txn, user_id, &hash, salt, now).await?;
    if count > 0 {
        crud::password_history::create(&txn, history_id, user_id, &hash, now).await?;
    }
    txn.commit().await?;
    if count > 0 {
        token::revoke_user_sessions(state, user_id).await?;
    }
    invalidate_user(state, user_id).await?;
    Ok(count)
}

/// The permission codes of `user` (FBA `GET /auth/codes`): a superuser has the codes of every
/// enabled menu, anyone else those of the enabled menus of its enabled roles. Sorted, unique.
///
/// # Errors
/// A database failure (superusers only; others are answered from the cached user).
pub async fn permission_codes(state: &AppState, user: &CurrentUser) -> AppResult<Vec<String>> {
    if user.is_superuser {
        Ok(crud::access::all_menu_codes(&state.db).await?)
    } else {
        Ok(user.permission_codes().into_iter().collect())
    }
}
