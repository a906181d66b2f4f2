//! [`NoticeError`]: the business failures of the notice plugin and their one mapping to FBA's
//! reply (the `From<NoticeError> for AppError` impl). The Fluent keys of these failures
//! (`error-notice-*`) are used here only.

use fba_common::AppError;
use fba_common::i18n::t;

/// A business failure of the notice plugin.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NoticeError {
    /// 404 `通知公告不存在`: no notice has the id.
    #[error("notice not found")]
    NotFound,
}

impl From<NoticeError> for AppError {
    fn from(e: NoticeError) -> Self {
        match e {
            NoticeError::NotFound => AppError::NotFound(t("error-notice-not-found")),
        }
    }
}
