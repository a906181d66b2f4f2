//! [`AppError`]: every failure a request can meet, mapped once to FBA's HTTP status and body.
//!
//! Bodies are `{"code", "msg", "data", "trace_id"}` (FBA's exception handlers). Token rejections
//! carry no `trace_id` (FBA's JWT middleware). In production the HTTP-level errors (missing
//! token, unknown route, wrong method, rate limit) are masked to `{"code": 400, "msg": "请求错误"}`
//! with the real status line kept, and internal errors say only `服务器内部错误`, as FBA does.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::Value;

use crate::i18n::{t, t_args};
use crate::scope;

/// One field that failed validation, in pydantic's shape (FBA's `data.errors[]`).
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct FieldError {
    /// pydantic error type (`missing`, `int_parsing`, `string_too_long`, `json_invalid`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// Where: `["body", "username"]`, `["query", "page"]`, `["path", "pk"]`.
    pub loc: Vec<Value>,
    /// Localised message.
    pub msg: String,
    /// The offending input.
    pub input: Value,
    /// Constraint values (`{"ge": 1}`), when any.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub ctx: Option<Value>,
}

impl FieldError {
    /// A field error whose message is the Fluent key `validation-<kind>` with `ctx` as arguments.
    pub fn new(kind: &str, loc: Vec<Value>, input: Value, ctx: Option<Value>) -> Self {
        let key = format!("validation-{}", kind.replace('_', "-"));
        let mut args: Vec<(&str, fluent_bundle::FluentValue<'_>)> = Vec::new();
        if let Some(Value::Object(map)) = &ctx {
            for (k, v) in map {
                let fv = match v {
                    Value::Number(n) => n
                        .as_f64()
                        .map(fluent_bundle::FluentValue::from)
                        .unwrap_or_else(|| n.to_string().into()),
                    Value::String(s) => s.clone().into(),
                    other => other.to_string().into(),
                };
                args.push((k.as_str(), fv));
            }
        }
        let msg = t_args(&key, &args);
        Self {
            kind: kind.to_owned(),
            loc,
            msg,
            input,
            ctx,
        }
    }

    /// Shorthand for a body field: `loc = ["body", field]`.
    pub fn body(kind: &str, field: &str, input: Value, ctx: Option<Value>) -> Self {
        Self::new(kind, vec!["body".into(), field.into()], input, ctx)
    }
}

/// The code and message of an error response, attached to its extensions by [`AppError`]
/// (FBA keeps them in the request context for the operation log, which reads them from there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorOutcome {
    /// The body's `code`.
    pub code: u16,
    /// The body's `msg`.
    pub msg: String,
}

impl ErrorOutcome {
    /// What `res` told the client: the [`ErrorOutcome`] an [`AppError`] attached, else for an
    /// error status its code and reason; `None` for a success (FBA's HTTP 200 "soft failures"
    /// included, as in FBA).
    pub fn of_response<B>(res: &HttpResponse<B>) -> Option<Self> {
        if let Some(outcome) = res.extensions().get::<Self>() {
            return Some(outcome.clone());
        }
        let status = res.status();
        (status.is_client_error() || status.is_server_error()).then(|| Self {
            code: status.as_u16(),
            msg: status.canonical_reason().unwrap_or("").to_owned(),
        })
    }

    /// What the response of `err` told the client ([`ErrorOutcome::of_response`]), with the
    /// error's text as the message when it carries no outcome.
    pub fn of_error(err: &actix_web::Error) -> Self {
        let resp = err.error_response();
        resp.extensions()
            .get::<Self>()
            .cloned()
            .unwrap_or_else(|| Self {
                code: resp.status().as_u16(),
                msg: err.to_string(),
            })
    }
}

/// Every failure that reaches the HTTP layer.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400 with a business message (FBA `RequestError`).
    #[error("{0}")]
    BadRequest(String),
    /// 401 from a missing or unusable `Authorization` header (FBA `TokenError` /
    /// `HTTPBearer`): `WWW-Authenticate: Bearer`, masked in prod.
    #[error("{0}")]
    Unauthorized(String),
    /// 401 from token validation (FBA's JWT middleware): no `trace_id`, never masked.
    #[error("{0}")]
    TokenRejected(String),
    /// 403 with a business message (FBA `AuthorizationError` / `ForbiddenError`).
    #[error("{0}")]
    Forbidden(String),
    /// 404 with a business message (FBA `NotFoundError`).
    #[error("{0}")]
    NotFound(String),
    /// 404 for a path no route serves (masked in prod).
    #[error("Not Found")]
    RouteNotFound,
    /// 405 for a method the path does not serve (masked in prod).
    #[error("Method Not Allowed")]
    MethodNotAllowed,
    /// 409 (FBA `ConflictError`).
    #[error("{0}")]
    Conflict(String),
    /// 413 for a body over the configured limit.
    #[error("payload too large (limit {limit} bytes)")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// 408: the request body did not arrive within `SERVER_BODY_TIMEOUT`; the connection is
    /// closed after the reply.
    #[error("request body timed out")]
    RequestTimeout,
    /// 422 with pydantic-style details; the first error is summarised in `msg`.
    #[error("validation failed: {}", .0.first().map(|e| e.msg.as_str()).unwrap_or(""))]
    Validation(Vec<FieldError>),
    /// 429 with `Retry-After` (masked in prod).
    #[error("too many requests")]
    TooManyRequests {
        /// Seconds until a retry may succeed.
        retry_after_secs: u64,
    },
    /// A business code that is not an HTTP status (FBA `CustomError`, e.g. 40001 captcha
    /// error → HTTP 400).
    #[error("{msg}")]
    Custom {
        /// The body's `code`.
        code: u16,
        /// The message.
        msg: String,
    },
    /// 503: the database or the Kv store is unreachable.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// 500: a defect or an unexpected failure. The cause is logged once with the trace id.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// 422 for one field.
    pub fn validation(error: FieldError) -> Self {
        Self::Validation(vec![error])
    }

    /// 500 from any error, keeping its message for the log.
    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::Internal(e.to_string())
    }

    fn is_http_level(&self) -> bool {
        matches!(
            self,
            Self::Unauthorized(_)
                | Self::RouteNotFound
                | Self::MethodNotAllowed
                | Self::TooManyRequests { .. }
        )
    }

    /// The envelope's `code` and `msg` (before prod masking).
    fn code_and_msg(&self) -> (u16, String) {
        match self {
            Self::BadRequest(m) => (400, m.clone()),
            Self::Unauthorized(m) | Self::TokenRejected(m) => (401, m.clone()),
            Self::Forbidden(m) => (403, m.clone()),
            Self::NotFound(m) => (404, m.clone()),
            Self::RouteNotFound => (404, "Not Found".to_owned()),
            Self::MethodNotAllowed => (405, "Method Not Allowed".to_owned()),
            Self::Conflict(m) => (409, m.clone()),
            Self::PayloadTooLarge { limit } => (
                413,
                t_args(
                    "error-payload-too-large",
                    &[("limit", (*limit as f64).into())],
                ),
            ),
            Self::RequestTimeout => (408, t("error-request-timeout")),
            Self::Validation(errors) => (422, validation_summary(errors)),
            Self::TooManyRequests { .. } => (429, t("error-too-many-requests")),
            Self::Custom { code, msg } => (*code, msg.clone()),
            Self::Unavailable(what) => (
                503,
                t_args(
                    "error-service-unavailable",
                    &[("what", what.clone().into())],
                ),
            ),
            Self::Internal(m) => (500, m.clone()),
        }
    }
}

/// FBA's 422 `msg`: `请求参数非法: <field> <msg>，输入：<input>` for the first error
/// (`请求参数非法: json解析失败` for unparsable JSON; without the field and input in prod).
fn validation_summary(errors: &[FieldError]) -> String {
    let prefix = t("error-invalid-request-prefix");
    let Some(first) = errors.first() else {
        return prefix;
    };
    if first.kind == "json_invalid" {
        return format!("{prefix}: json解析失败");
    }
    if scope::production() {
        return format!("{prefix}: {}", first.msg);
    }
    let field = first
        .loc
        .last()
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .unwrap_or_default();
    format!("{prefix}: {field} {}，输入：{}", first.msg, first.input)
}

/// The error envelope as the OpenAPI document describes it (documentation only: replies are
/// built by the `ResponseError` impl of `AppError`). `data` is `null` except for a 422 outside
/// production, which lists the failed fields; `trace_id` is absent only when the JWT middleware
/// rejects a token.
#[derive(Debug, utoipa::ToSchema)]
pub struct ErrorResponseModel {
    /// HTTP status or business code (`400`, `401`, `403`, `404`, `409`, `422`, `40001`, ...).
    pub code: i32,
    /// Localised message.
    pub msg: String,
    /// `null`, or the field errors of a 422.
    pub data: Option<ValidationErrors>,
    /// The request's trace id.
    pub trace_id: Option<String>,
}

/// `data` of a 422 outside production (documentation only).
#[derive(Debug, utoipa::ToSchema)]
pub struct ValidationErrors {
    /// The failed fields, in pydantic's shape.
    pub errors: Vec<FieldError>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: u16,
    msg: &'a str,
    data: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    trace_id: Option<String>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        let code = match self {
            Self::Custom { code, .. } => *code,
            other => other.code_and_msg().0,
        };
        StatusCode::from_u16(code)
            .ok()
            .filter(|s| s.canonical_reason().is_some() && (400..600).contains(&code))
            .unwrap_or(StatusCode::BAD_REQUEST)
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let prod = scope::production();
        let (mut code, mut msg) = self.code_and_msg();
        let mut data = Value::Null;
        match self {
            Self::Internal(cause) => {
                tracing::error!(trace_id = %scope::trace_id(), cause = %cause, "internal error");
                if prod {
                    msg = t("error-internal");
                }
            }
            Self::Unavailable(what) => {
                tracing::warn!(trace_id = %scope::trace_id(), what = %what, "backing service unavailable");
            }
            Self::Validation(errors) if !prod => {
                data = serde_json::json!({ "errors": errors });
            }
            _ => {}
        }
        if prod && self.is_http_level() {
            code = 400;
            msg = t("response-error");
        }
        let body = ErrorBody {
            code,
            msg: &msg,
            data,
            trace_id: (!matches!(self, Self::TokenRejected(_))).then(scope::trace_id),
        };
        let mut resp = crate::response::json(status, &body);
        // What the client was told, for the operation log (FBA keeps it in the request context).
        let outcome = ErrorOutcome { code, msg };
        resp.extensions_mut().insert(outcome);
        match self {
            Self::Unauthorized(_) => {
                resp.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::RequestTimeout => {
                resp.headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            Self::TooManyRequests { retry_after_secs } => {
                if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    resp.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            _ => {}
        }
        resp
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        use sea_orm::{DbErr, SqlErr};
        if let Some(SqlErr::UniqueConstraintViolation(detail)) = e.sql_err() {
            return Self::Conflict(detail);
        }
        if fba_db::sqlstate(&e).as_deref() == Some("22021") {
            // PostgreSQL's "invalid byte sequence" (a NUL in text): input it cannot store, so
            // a 422, for any field a schema did not already check.
            return Self::validation(FieldError::new(
                "value_error",
                vec![Value::from("body")],
                Value::Null,
                Some(serde_json::json!({ "error": "the text must not contain a NUL character" })),
            ));
        }
        if fba_db::is_connection_error(&e) {
            // The driver's text (lost connection, shutdown) goes to the log, not the client.
            tracing::debug!(error = %e, "database connection error");
            return Self::Unavailable("database".to_owned());
        }
        match e {
            DbErr::RecordNotFound(m) => Self::NotFound(m),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<fba_db::KvError> for AppError {
    fn from(e: fba_db::KvError) -> Self {
        match e {
            fba_db::KvError::Unavailable(_) => Self::Unavailable("kv".to_owned()),
            other => Self::Internal(other.to_string()),
        }
    }
}

/// The result type of handlers and services.
pub type AppResult<T> = Result<T, AppError>;
