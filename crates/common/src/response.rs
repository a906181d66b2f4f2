//! FBA's response envelope `{"code", "msg", "data"}` for successful replies.
//!
//! Errors are rendered by [`crate::error::AppError`]; this module only builds 200 replies.

use actix_web::HttpResponse;
use actix_web::http::header::ContentType;
use serde::Serialize;

use crate::i18n::t;

/// The envelope as FBA sends it. `data` is `null` for writes.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ResponseModel<T> {
    /// Business code: 200 on success.
    pub code: i32,
    /// Localised message (`请求成功` / `Request success`).
    pub msg: String,
    /// The payload.
    pub data: T,
}

/// `null`, as the OpenAPI document shows the `data` of writes: `ResponseModel<Null>` (FastAPI's
/// `ResponseModel` with `data: None`). Documentation only; replies send `()`.
#[derive(Debug, Clone, Copy)]
pub struct Null;

impl utoipa::PartialSchema for Null {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Null)
            .into()
    }
}

impl utoipa::ToSchema for Null {}

/// An envelope with the standard success message.
pub fn envelope<T: Serialize>(data: T) -> ResponseModel<T> {
    ResponseModel {
        code: 200,
        msg: t("response-success"),
        data,
    }
}

/// HTTP 200 with `data` in the success envelope.
pub fn ok<T: Serialize>(data: T) -> HttpResponse {
    json(actix_web::http::StatusCode::OK, &envelope(data))
}

/// HTTP 200 with `data: null`.
pub fn ok_empty() -> HttpResponse {
    ok(())
}

/// HTTP 200 with `{"code": 200, "msg": <msg>, "data": data}` (custom success messages).
pub fn ok_with_msg<T: Serialize>(msg: impl Into<String>, data: T) -> HttpResponse {
    json(
        actix_web::http::StatusCode::OK,
        &ResponseModel {
            code: 200,
            msg: msg.into(),
            data,
        },
    )
}

/// FBA's "soft failure": HTTP 200 with `{"code": 400, "msg": "请求错误", "data": null}`, sent when
/// an update or delete matched no row.
pub fn soft_fail() -> HttpResponse {
    json(
        actix_web::http::StatusCode::OK,
        &ResponseModel {
            code: 400,
            msg: t("response-error"),
            data: (),
        },
    )
}

/// FBA's reply to an update or delete that touched `count` rows: [`ok_empty`] when any row
/// changed, else [`soft_fail`].
pub fn ok_or_soft_fail(count: u64) -> HttpResponse {
    if count > 0 { ok_empty() } else { soft_fail() }
}

/// Serialises `body` as a JSON reply with `status`.
pub fn json<B: Serialize>(status: actix_web::http::StatusCode, body: &B) -> HttpResponse {
    match serde_json::to_vec(body) {
        Ok(bytes) => HttpResponse::build(status)
            .content_type(ContentType::json())
            .body(bytes),
        Err(e) => {
            tracing::error!(error = %e, "response serialisation failed");
            HttpResponse::InternalServerError()
                .content_type(ContentType::json())
                .body(r#"{"code":500,"msg":"Internal Server Error","data":null}"#)
        }
    }
}
