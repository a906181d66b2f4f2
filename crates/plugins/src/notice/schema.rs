//! Notice request and response shapes: FBA's `CreateNoticeParam`/`UpdateNoticeParam` (one
//! body, validated here into [`ValidNotice`]), `DeleteNoticeParam`, the list filter and
//! `GetNoticeDetail` ([`NoticeDetail`]).
//!
//! `title` holds at most 64 characters (`VARCHAR(64)`), `type` is FBA's `NoticeType` (0 notice,
//! 1 announcement), `status` its `StatusType` (0 hidden, 1 shown), `content` is unbounded
//! text. Text with a NUL character is refused. Every failure is a 422 naming the field.

use chrono::{DateTime, Utc};
use fba_common::AppError;
use fba_common::extract::{FieldErrors, Validate};
use fba_common::validate::{
    body_loc, check_text, id_list, int_enum, int_filter, status_type, text_filter,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::model as sys_notice;

/// Longest `title` (`VARCHAR(64)`).
pub const TITLE_MAX_CHARS: usize = 64;

/// `type`: a notice (`NoticeType.NOTICE`).
pub const TYPE_NOTICE: i32 = 0;
/// `type`: an announcement (`NoticeType.ANNOUNCEMENT`).
pub const TYPE_ANNOUNCEMENT: i32 = 1;

/// Body of `POST /sys/notices` and `PUT /sys/notices/{pk}` as received (FBA
/// `NoticeSchemaBase`). Unknown fields are ignored.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NoticeParam {
    /// 标题.
    pub title: String,
    /// 类型（0：通知、1：公告）.
    #[serde(rename = "type")]
    #[schema(value_type = i32)]
    pub notice_type: Value,
    /// 状态（0：隐藏、1：显示）.
    #[schema(value_type = i32)]
    pub status: Value,
    /// 内容.
    pub content: String,
}

/// A notice body that passed every edge check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidNotice {
    /// Title, at most 64 characters.
    pub title: String,
    /// 0 notice, 1 announcement.
    pub notice_type: i32,
    /// 0 hidden, 1 shown.
    pub status: i32,
    /// Content.
    pub content: String,
}

impl NoticeParam {
    /// The validated notice.
    ///
    /// # Errors
    /// 422 naming every field that is too long, holds a NUL or is not an allowed value.
    pub fn parse(self) -> Result<ValidNotice, AppError> {
        let mut errors = FieldErrors::new();
        errors.take(check_text(
            &body_loc("title"),
            &self.title,
            Some(TITLE_MAX_CHARS),
        ));
        let notice_type = errors.take(int_enum(
            &body_loc("type"),
            &self.notice_type,
            &[TYPE_NOTICE, TYPE_ANNOUNCEMENT],
            "0 or 1",
        ));
        let status = errors.take(status_type(&body_loc("status"), &self.status));
        errors.take(check_text(&body_loc("content"), &self.content, None));
        errors.finish()?;
        Ok(ValidNotice {
            title: self.title,
            notice_type,
            status,
            content: self.content,
        })
    }
}

impl Validate for NoticeParam {
    type Valid = ValidNotice;

    fn validate(self) -> Result<ValidNotice, AppError> {
        self.parse()
    }
}

/// Body of `DELETE /sys/notices`: `{"pks": [ids]}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DeleteNoticeParam {
    /// 通知公告 ID 列表.
    #[schema(value_type = Vec<i64>)]
    pub pks: Value,
}

impl DeleteNoticeParam {
    /// The ids in the order given.
    ///
    /// # Errors
    /// 422 when not a list of 64-bit integers.
    pub fn parse(self) -> Result<Vec<i64>, AppError> {
        id_list("pks", &self.pks)
    }
}

impl Validate for DeleteNoticeParam {
    type Valid = Vec<i64>;

    fn validate(self) -> Result<Vec<i64>, AppError> {
        self.parse()
    }
}

/// Query of `GET /sys/notices` as received (`page`/`size` are read by the pagination
/// extractor).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NoticeQuery {
    /// 标题: `title` LIKE `%x%`.
    #[serde(default)]
    pub title: Option<String>,
    /// 类型: exact `type`.
    #[serde(default, rename = "type")]
    #[param(value_type = Option<i32>)]
    pub notice_type: Option<String>,
    /// 状态: exact `status`.
    #[serde(default)]
    #[param(value_type = Option<i32>)]
    pub status: Option<String>,
}

/// Validated filters of `GET /sys/notices`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoticeFilter {
    /// `title` LIKE `%x%` (SQL wildcards in the value are not escaped, as FBA).
    pub title: Option<String>,
    /// Exact `type`.
    pub notice_type: Option<i32>,
    /// Exact `status`.
    pub status: Option<i32>,
}

impl NoticeQuery {
    /// The validated filters (`""` means no filter).
    ///
    /// # Errors
    /// 422 naming `type` or `status` when it is not an integer.
    pub fn parse(self) -> Result<NoticeFilter, AppError> {
        let mut errors = FieldErrors::new();
        let notice_type = errors.take(int_filter("type", self.notice_type));
        let status = errors.take(int_filter("status", self.status));
        errors.finish()?;
        Ok(NoticeFilter {
            title: text_filter(self.title),
            notice_type,
            status,
        })
    }
}

/// FBA's `GetNoticeDetail`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct NoticeDetail {
    /// 标题.
    pub title: String,
    /// 类型（0：通知、1：公告）.
    #[serde(rename = "type")]
    pub notice_type: i32,
    /// 状态（0：隐藏、1：显示）.
    pub status: i32,
    /// 内容.
    pub content: String,
    /// 通知公告 ID.
    pub id: i64,
    /// 创建时间.
    #[serde(with = "fba_common::datetime")]
    #[schema(value_type = String)]
    pub created_time: DateTime<Utc>,
    /// 更新时间.
    #[serde(with = "fba_common::datetime::option")]
    #[schema(value_type = Option<String>)]
    pub updated_time: Option<DateTime<Utc>>,
}

impl From<sys_notice::Model> for NoticeDetail {
    fn from(n: sys_notice::Model) -> Self {
        Self {
            title: n.title,
            notice_type: n.r#type,
            status: n.status,
            content: n.content,
            id: n.id,
            created_time: n.created_time,
            updated_time: n.updated_time,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(body: Value) -> Result<ValidNotice, AppError> {
        serde_json::from_value::<NoticeParam>(body).unwrap().parse()
    }

    fn failed_fields(e: AppError) -> Vec<Value> {
        let AppError::Validation(errs) = e else {
            panic!("expected a 422, got {e:?}");
        };
        errs.iter().map(|e| e.loc[1].clone()).collect()
    }

    #[test]
    fn a_valid_body_parses_with_lax_ints() {
        let v = parse(json!({"title": "t", "type": "1", "status": 0, "content": "c"})).unwrap();
        assert_eq!((v.notice_type, v.status), (1, 0));
        let title = "x".repeat(TITLE_MAX_CHARS);
        assert!(parse(json!({"title": title, "type": 0, "status": 1, "content": ""})).is_ok());
    }

    #[test]
    fn every_bad_field_is_named() {
        let bad = json!({"title": "x".repeat(65), "type": 2, "status": "a", "content": "\u{0}"});
        assert_eq!(
            failed_fields(parse(bad).unwrap_err()),
            [
                json!("title"),
                json!("type"),
                json!("status"),
                json!("content")
            ]
        );
    }

    #[test]
    fn query_filters_accept_empty_values_and_refuse_non_integers() {
        let q = NoticeQuery {
            title: Some(String::new()),
            notice_type: Some("1".into()),
            status: Some(String::new()),
        };
        assert_eq!(
            q.parse().unwrap(),
            NoticeFilter {
                title: None,
                notice_type: Some(1),
                status: None
            }
        );
        let q = NoticeQuery {
            notice_type: Some("x".into()),
            ..NoticeQuery::default()
        };
        assert_eq!(failed_fields(q.parse().unwrap_err()), [json!("type")]);
    }
}
