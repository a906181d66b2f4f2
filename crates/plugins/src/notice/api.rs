//! `/api/v1/sys/notices` (FBA's `plugin/notice/api/v1/sys/notice.py`): notice details and
//! pages for any signed-in user, writes under RBAC `sys:notice:add|edit|del`. Thin handlers:
//! extract, call one service function, wrap the result. Mounted behind the plugin's switch
//! by the module.

use actix_web::{HttpResponse, web};
use fba_common::extract::{Query, ValidJson};
use fba_common::openapi as doc;
use fba_common::pagination::{Page, PageParams};
use fba_common::response::{Null, ResponseModel, ok, ok_empty, ok_or_soft_fail};
use fba_common::routing::resource;
use fba_common::security::{AuthUser, Perm};
use fba_common::{AppResult, AppState};

use super::schema::{DeleteNoticeParam, NoticeDetail, NoticeParam, NoticeQuery};
use super::service;

fba_common::permission!(
    /// `POST /sys/notices`.
    NoticeAdd = "sys:notice:add"
);
fba_common::permission!(
    /// `PUT /sys/notices/{pk}`.
    NoticeEdit = "sys:notice:edit"
);
fba_common::permission!(
    /// `DELETE /sys/notices`.
    NoticeDel = "sys:notice:del"
);

/// `GET /sys/notices/{pk}`.
#[utoipa::path(
    get,
    path = "/api/v1/sys/notices/{pk}",
    tag = "系统通知公告",
    operation_id = "get_notice",
    summary = "获取通知公告详情",
    params(
        ("pk" = i64, Path, description = "通知公告 ID"),
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "GetNoticeDetail", body = ResponseModel<NoticeDetail>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn get_notice(
    _auth: AuthUser,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(ok(service::get(&state.db, pk.into_inner()).await?))
}

/// `GET /sys/notices?title=&type=&status=&page=&size=`.
#[utoipa::path(
    get,
    path = "/api/v1/sys/notices",
    tag = "系统通知公告",
    operation_id = "get_notices_paginated",
    summary = "分页获取所有通知公告",
    params(
        NoticeQuery,
        PageParams,
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "Page<GetNoticeDetail>", body = ResponseModel<Page<NoticeDetail>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn list(
    _auth: AuthUser,
    state: web::Data<AppState>,
    params: PageParams,
    query: Query<NoticeQuery>,
) -> AppResult<HttpResponse> {
    let filter = query.into_inner().parse()?;
    Ok(ok(service::page(&state.db, &filter, &params).await?))
}

/// `POST /sys/notices`.
#[utoipa::path(
    post,
    path = "/api/v1/sys/notices",
    tag = "系统通知公告",
    operation_id = "create_notice",
    summary = "创建通知公告",
    request_body = NoticeParam,
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "null", body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn create(
    _perm: Perm<NoticeAdd>,
    state: web::Data<AppState>,
    body: ValidJson<NoticeParam>,
) -> AppResult<HttpResponse> {
    service::create(&state, body.into_inner()).await?;
    Ok(ok_empty())
}

/// `PUT /sys/notices/{pk}`.
#[utoipa::path(
    put,
    path = "/api/v1/sys/notices/{pk}",
    tag = "系统通知公告",
    operation_id = "update_notice",
    summary = "更新通知公告",
    params(
        ("pk" = i64, Path, description = "通知公告 ID"),
    ),
    request_body = NoticeParam,
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = doc::NULL_OR_SOFT_FAILURE, body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn update(
    _perm: Perm<NoticeEdit>,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
    body: ValidJson<NoticeParam>,
) -> AppResult<HttpResponse> {
    let notice = body.into_inner();
    Ok(ok_or_soft_fail(
        service::update(&state, pk.into_inner(), notice).await?,
    ))
}

/// `DELETE /sys/notices` with `{"pks": [..]}`.
#[utoipa::path(
    delete,
    path = "/api/v1/sys/notices",
    tag = "系统通知公告",
    operation_id = "delete_notices",
    summary = "批量删除通知公告",
    request_body = DeleteNoticeParam,
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = doc::NULL_OR_SOFT_FAILURE, body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn delete(
    _perm: Perm<NoticeDel>,
    state: web::Data<AppState>,
    body: ValidJson<DeleteNoticeParam>,
) -> AppResult<HttpResponse> {
    let pks = body.into_inner();
    Ok(ok_or_soft_fail(service::delete(&state, &pks).await?))
}

/// The OpenAPI paths of `/sys/notices` (under the default `/api/v1` prefix, the patterns the
/// operation log looks titles up by).
#[derive(utoipa::OpenApi)]
#[openapi(paths(get_notice, list, create, update, delete))]
pub struct NoticeApi;

/// Registers the routes inside the `/sys/notices` scope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/{pk}")
            .route(web::get().to(get_notice))
            .route(web::put().to(update)),
    )
    .service(
        resource("")
            .route(web::get().to(list))
            .route(web::post().to(create))
            .route(web::delete().to(delete)),
    );
}
