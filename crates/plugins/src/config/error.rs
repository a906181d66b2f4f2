//! [`ConfigPluginError`]: the business failures of the config plugin, and their one mapping to
//! FBA's status and message (the `From<ConfigPluginError> for AppError` impl, Fluent keys
//! `error-config-*`).

use fba_common::AppError;
use fba_common::i18n::{t, t_args};
use sea_orm::{DbErr, SqlErr};

/// A business failure of the config plugin.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigPluginError {
    /// 404 `参数配置不存在`.
    #[error("config not found")]
    NotFound,
    /// 409 `参数配置 {key} 已存在`: another row has the key.
    #[error("config key {0} taken")]
    KeyTaken(String),
    /// 409 `参数配置键名重复`: one bulk update gives two rows the same new key.
    #[error("duplicate keys in one bulk update")]
    DuplicateKeys,
}

impl From<ConfigPluginError> for AppError {
    fn from(e: ConfigPluginError) -> Self {
        match e {
            ConfigPluginError::NotFound => AppError::NotFound(t("error-config-not-found")),
            ConfigPluginError::KeyTaken(key) => {
                AppError::Conflict(t_args("error-config-key-exists", &[("key", key.into())]))
            }
            ConfigPluginError::DuplicateKeys => {
                AppError::Conflict(t("error-config-keys-duplicated"))
            }
        }
    }
}

/// A write's database error: a unique-key violation (a concurrent writer took `key` between
/// the check and the write) is the 409 of `key`, anything else the database error.
pub(crate) fn write_error(e: DbErr, key: &str) -> AppError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            ConfigPluginError::KeyTaken(key.to_owned()).into()
        }
        _ => e.into(),
    }
}
