//! `/api/v1/sys/files/upload` (RBAC `sys:file:upload`): local file upload, and
//! [`static_upload_service`], the `/static/upload/{name}` route that serves the stored files.

use actix_files::NamedFile;
use actix_multipart::{Field, Multipart, MultipartError};
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, Resource, web};
use fba_common::openapi as doc;
use fba_common::response::{ResponseModel, ok};
use fba_common::routing::resource;
use fba_common::security::Perm;
use fba_common::{AppError, AppResult, AppState, FieldError};
use futures_util::StreamExt;
use serde_json::Value;

use crate::service::upload;
use crate::service::upload::UploadUrl;

fba_common::permission!(
    /// `POST /sys/files/upload`.
    SysFileUpload = "sys:file:upload"
);

/// The form of `POST /sys/files/upload` as the OpenAPI document describes it (the handler
/// streams the multipart body instead of building this).
#[derive(utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "documentation only: the handler reads the form as a stream"
)]
struct UploadFileForm {
    /// The file.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Parts before the `file` part that are skipped, at most.
const MAX_OTHER_PARTS: usize = 32;
/// Bytes of the parts before the `file` part that are skipped, at most.
const MAX_OTHER_BYTES: usize = 64 * 1024;

/// 422 `missing` for the `file` form field (FastAPI's answer when the form has none).
fn missing_file() -> AppError {
    AppError::validation(FieldError::body("missing", "file", Value::Null, None))
}

/// The `file` part of the form with the client's file name. Parts before it are read and
/// dropped (bounded); parts after it are never read. `form` must outlive the part (the part
/// reads through it).
///
/// # Errors
/// 422 when the body is not a form or has no `file` part, or `file` is a plain value (no file
/// name); 400 for a malformed form; 413 past [`MAX_OTHER_PARTS`] / [`MAX_OTHER_BYTES`].
async fn file_part(form: &mut Multipart) -> AppResult<(Field, String)> {
    let mut skipped_bytes = 0usize;
    for _ in 0..=MAX_OTHER_PARTS {
        let mut field = match form.next().await {
            None => return Err(missing_file()),
            Some(Ok(field)) => field,
            Some(Err(
                MultipartError::ContentTypeMissing
                | MultipartError::ContentTypeParse
                | MultipartError::ContentTypeIncompatible
                | MultipartError::BoundaryMissing,
            )) => return Err(missing_file()),
            Some(Err(MultipartError::Payload(p)))
                if fba_common::middleware::body_deadline::is_body_timeout(&p) =>
            {
                return Err(AppError::RequestTimeout);
            }
            Some(Err(e)) => {
                tracing::debug!(error = %e, "malformed multipart body");
                return Err(AppError::BadRequest(
                    "There was an error parsing the body".to_owned(),
                ));
            }
        };
        if field.name() == Some("file") {
            let filename = field
                .content_disposition()
                .and_then(|cd| cd.get_filename().map(str::to_owned));
            return match filename {
                Some(name) => Ok((field, name)),
                None => Err(AppError::validation(FieldError::body(
                    "value_error",
                    "file",
                    Value::Null,
                    Some(serde_json::json!({
                        "error": "Expected UploadFile, received: <class 'str'>"
                    })),
                ))),
            };
        }
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| {
                if let MultipartError::Payload(p) = &e
                    && fba_common::middleware::body_deadline::is_body_timeout(p)
                {
                    return AppError::RequestTimeout;
                }
                tracing::debug!(error = %e, "malformed multipart body");
                AppError::BadRequest("There was an error parsing the body".to_owned())
            })?;
            skipped_bytes += chunk.len();
            if skipped_bytes > MAX_OTHER_BYTES {
                return Err(AppError::PayloadTooLarge {
                    limit: MAX_OTHER_BYTES,
                });
            }
        }
    }
    Err(AppError::PayloadTooLarge {
        limit: MAX_OTHER_BYTES,
    })
}

/// `POST /sys/files/upload`: multipart field `file` → `{"url": "/static/upload/<name>"}`.
#[utoipa::path(
    post,
    path = "/api/v1/sys/files/upload",
    tag = "系统文件",
    operation_id = "upload_files",
    summary = "本地文件上传",
    request_body(content = UploadFileForm, content_type = "multipart/form-data"),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "UploadUrl: `{\"url\": \"/static/upload/<name>\"}`", body = ResponseModel<UploadUrl>),
        (status = 400, description = doc::BAD_REQUEST, body = ref(doc::ERROR_BODY)),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 413, description = doc::TOO_LARGE, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn upload_file(
    _perm: Perm<SysFileUpload>,
    state: web::Data<AppState>,
    mut form: Multipart,
) -> AppResult<HttpResponse> {
    let (field, filename) = file_part(&mut form).await?;
    let settings = &state.settings.upload;
    let target = upload::target(settings, &filename, chrono::Utc::now())?;
    Ok(ok(upload::store(settings, &target, field).await?))
}

/// Registers the routes of this module (inside the `/files` scope).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/upload").route(web::post().to(upload_file)));
}

/// `GET|HEAD /static/upload/{name}`: a stored upload, with its content type, ranges and
/// validators; 404 envelope for a missing file, a directory or a name that is not one plain
/// path component. Served with `X-Content-Type-Options: nosniff` and a sandboxing CSP so an
/// uploaded file opened directly cannot run script in the app's origin.
async fn serve_upload(
    req: HttpRequest,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> AppResult<HttpResponse> {
    let path = upload::stored_file(&state.settings.upload, &name).ok_or(AppError::RouteNotFound)?;
    let file = NamedFile::open_async(&path)
        .await
        .map_err(|_| AppError::RouteNotFound)?;
    if !file.metadata().is_file() {
        return Err(AppError::RouteNotFound);
    }
    let mut resp = file.disable_content_disposition().into_response(&req);
    let headers = resp.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox"),
    );
    Ok(resp)
}

/// The `/static/upload/{name}` route (FBA's `StaticFiles` mount on the upload directory),
/// public like FBA's. Register it at the app root, outside the API scope:
/// `cfg.service(fba_admin::api::v1::sys::file::static_upload_service());`.
pub fn static_upload_service() -> Resource {
    resource(&format!("{}/{{name}}", upload::URL_PREFIX))
        .route(web::get().to(serve_upload))
        .route(web::head().to(serve_upload))
}
