//! [`DictError`]: the dict plugin's business failures, and their one mapping to FBA's status
//! and message (the `From<DictError> for AppError` impl, messages from the `error-dict-*`
//! Fluent keys in the request's language).

use fba_common::AppError;
use fba_common::i18n::t;

/// A business failure of the dict plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DictError {
    /// 404 `字典类型不存在`.
    #[error("dict type not found")]
    TypeNotFound,
    /// 409 `字典类型已存在`: another type has the code.
    #[error("dict type code taken")]
    TypeExists,
    /// 404 `字典数据不存在` (also: no enabled entry for a type code).
    #[error("dict data not found")]
    DataNotFound,
    /// 409 `字典数据已存在`: the type already has an entry with the label.
    #[error("dict data label taken")]
    DataExists,
}

impl From<DictError> for AppError {
    fn from(e: DictError) -> Self {
        match e {
            DictError::TypeNotFound => AppError::NotFound(t("error-dict-type-not-found")),
            DictError::TypeExists => AppError::Conflict(t("error-dict-type-exists")),
            DictError::DataNotFound => AppError::NotFound(t("error-dict-data-not-found")),
            DictError::DataExists => AppError::Conflict(t("error-dict-data-exists")),
        }
    }
}
