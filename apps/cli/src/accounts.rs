//! Superuser creation and password resets for the CLI, written with sea-query against
//! `sys_user` (the admin crate's services take over once it exists).

use chrono::Utc;
use fba_core_conf::Settings;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection};

/// Why an account command failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// Input refused by the password policy or the field rules.
    #[error("{0}")]
    Invalid(String),
    /// The username or e-mail is taken.
    #[error("{0}")]
    Taken(String),
    /// No such user.
    #[error("{0}")]
    NotFound(String),
    /// A database failure.
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    /// Hashing failed.
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// A superuser to create.
#[derive(Debug)]
pub struct NewSuperuser<'a> {
    /// Login name.
    pub username: &'a str,
    /// Plain password.
    pub password: &'a str,
    /// E-mail.
    pub email: Option<&'a str>,
    /// Display name.
    pub nickname: Option<&'a str>,
}

/// Creates a superuser (staff, multi-login, status 1) and returns its id.
///
/// # Errors
/// [`AccountError`] for an invalid or taken name, a policy violation or a database failure.
pub async fn create_superuser(
    db: &DatabaseConnection,
    settings: &Settings,
    new: NewSuperuser<'_>,
) -> Result<i64, AccountError> {
    let username = new.username.trim();
    if username.is_empty() || username.chars().count() > 64 {
        return Err(AccountError::Invalid(
            "username must be 1 to 64 characters".to_owned(),
        ));
    }
    check_policy(settings, new.password)?;
    let hash = hash(settings, new.password).await?;
    let txn = fba_db::begin_write(db).await?;
    if find_id(&txn, "username", username).await?.is_some() {
        return Err(AccountError::Taken(format!("username {username} is taken")));
    }
    if let Some(email) = new.email
        && find_id(&txn, "email", email).await?.is_some()
    {
        return Err(AccountError::Taken(format!("email {email} is taken")));
    }
    let now = Utc::now();
    let insert = Query::insert()
        .into_table("sys_user")
        .columns([
            "uuid",
            "username",
            "nickname",
            "password",
            "email",
            "status",
            "is_superuser",
            "is_staff",
            "is_multi_login",
            "join_time",
            "last_password_changed_time",
            "created_time",
        ])
        .values([
            uuid::Uuid::new_v4().to_string().into(),
            username.into(),
            new.nickname.unwrap_or(username).into(),
            hash.clone().into(),
            new.email.map(str::to_owned).into(),
            1.into(),
            true.into(),
            true.into(),
            true.into(),
            now.into(),
            now.into(),
            now.into(),
        ])
        .map_err(|e| AccountError::Db(sea_orm::DbErr::Custom(e.to_string())))?
        .to_owned();
    txn.execute(&insert).await?;
    let id = find_id(&txn, "username", username)
        .await?
        .ok_or_else(|| AccountError::NotFound(username.to_owned()))?;
    record_history(&txn, id, &hash).await?;
    txn.commit().await?;
    Ok(id)
}

/// Sets `username`'s password; returns the user's id.
///
/// # Errors
/// [`AccountError`] for an unknown user, a policy violation or a database failure.
pub async fn reset_password(
    db: &DatabaseConnection,
    settings: &Settings,
    username: &str,
    password: &str,
) -> Result<i64, AccountError> {
    check_policy(settings, password)?;
    let hash = hash(settings, password).await?;
    let txn = fba_db::begin_write(db).await?;
    let id = find_id(&txn, "username", username)
        .await?
        .ok_or_else(|| AccountError::NotFound(format!("no user named {username}")))?;
    let now = Utc::now();
    let update = Query::update()
        .table("sys_user")
        .value("password", hash.clone())
        .value("last_password_changed_time", now)
        .value("updated_time", now)
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    txn.execute(&update).await?;
    record_history(&txn, id, &hash).await?;
    txn.commit().await?;
    Ok(id)
}

fn check_policy(settings: &Settings, password: &str) -> Result<(), AccountError> {
    let us = &settings.user_security;
    let len = password.chars().count();
    if len < us.password_min_length as usize || len > us.password_max_length as usize {
        return Err(AccountError::Invalid(format!(
            "password must be {} to {} characters",
            us.password_min_length, us.password_max_length
        )));
    }
    if us.password_require_special_char && password.chars().all(char::is_alphanumeric) {
        return Err(AccountError::Invalid(
            "password must contain a special character".to_owned(),
        ));
    }
    Ok(())
}

async fn hash(settings: &Settings, password: &str) -> Result<String, AccountError> {
    let cost = settings.user_security.bcrypt_cost;
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || bcrypt::hash(password, cost))
        .await
        .map_err(|e| AccountError::Hash(e.to_string()))?
        .map_err(|e| AccountError::Hash(e.to_string()))
}

async fn find_id<C: ConnectionTrait>(
    db: &C,
    column: &'static str,
    value: &str,
) -> Result<Option<i64>, AccountError> {
    let select = Query::select()
        .column("id")
        .from("sys_user")
        .and_where(Expr::col(column).eq(value))
        .to_owned();
    let row = db.query_one(&select).await?;
    row.map(|r| r.try_get::<i64>("", "id"))
        .transpose()
        .map_err(AccountError::from)
}

async fn record_history<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    hash: &str,
) -> Result<(), AccountError> {
    let insert = Query::insert()
        .into_table("sys_user_password_history")
        .columns(["user_id", "password", "created_time"])
        .values([user_id.into(), hash.into(), Utc::now().into()])
        .map_err(|e| AccountError::Db(sea_orm::DbErr::Custom(e.to_string())))?
        .to_owned();
    db.execute(&insert)
        .await
        .map(|_| ())
        .map_err(AccountError::from)
}
