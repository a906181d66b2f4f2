//! `/api/v1/sys/depts`: the department tree (filtered by the caller's data permission), one
//! department, and department writes (RBAC `sys:dept:add|edit|del`).

use actix_web::{HttpResponse, web};
use fba_common::extract::{Query, ValidJson};
use fba_common::openapi as doc;
use fba_common::response::{Null, ResponseModel, ok, ok_empty, ok_or_soft_fail};
use fba_common::routing::resource;
use fba_common::security::{AuthUser, Perm};
use fba_common::{AppResult, AppState};

use crate::schema::dept::{DeptDetail, DeptParam, DeptQuery, DeptTree};
use crate::service;

fba_common::permission!(
    /// `POST /sys/depts`.
    SysDeptAdd = "sys:dept:add"
);
fba_common::permission!(
    /// `PUT /sys/depts/{pk}`.
    SysDeptEdit = "sys:dept:edit"
);
fba_common::permission!(
    /// `DELETE /sys/depts/{pk}`.
    SysDeptDel = "sys:dept:del"
);

/// `GET /sys/depts/{pk}`.
#[utoipa::path(
    get,
    path = "/api/v1/sys/depts/{pk}",
    tag = "系统部门",
    operation_id = "get_dept",
    summary = "获取部门详情",
    params(
        ("pk" = i64, Path, description = "部门 ID"),
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "GetDeptDetail", body = ResponseModel<DeptDetail>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn get_dept(
    _auth: AuthUser,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(ok(service::dept::get(&state.db, pk.into_inner()).await?))
}

/// `GET /sys/depts?name=&leader=&phone=&status=`: the tree the caller may see.
#[utoipa::path(
    get,
    path = "/api/v1/sys/depts",
    tag = "系统部门",
    operation_id = "get_dept_tree",
    summary = "获取部门树",
    params(
        DeptQuery,
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "list[GetDeptTree]", body = ResponseModel<Vec<DeptTree>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn tree(
    auth: AuthUser,
    state: web::Data<AppState>,
    query: Query<DeptQuery>,
) -> AppResult<HttpResponse> {
    let filter = query.into_inner().parse()?;
    Ok(ok(
        service::dept::tree(&state.db, auth.user(), &filter).await?
    ))
}

/// `POST /sys/depts`.
#[utoipa::path(
    post,
    path = "/api/v1/sys/depts",
    tag = "系统部门",
    operation_id = "create_dept",
    summary = "创建部门",
    request_body = DeptParam,
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "null", body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 409, description = doc::CONFLICT, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn create(
    _perm: Perm<SysDeptAdd>,
    state: web::Data<AppState>,
    body: ValidJson<DeptParam>,
) -> AppResult<HttpResponse> {
    service::dept::create(&state, body.into_inner()).await?;
    Ok(ok_empty())
}

/// `PUT /sys/depts/{pk}`.
#[utoipa::path(
    put,
    path = "/api/v1/sys/depts/{pk}",
    tag = "系统部门",
    operation_id = "update_dept",
    summary = "更新部门",
    params(
        ("pk" = i64, Path, description = "部门 ID"),
    ),
    request_body = DeptParam,
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = doc::NULL_OR_SOFT_FAILURE, body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 409, description = doc::CONFLICT, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn update(
    _perm: Perm<SysDeptEdit>,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
    body: ValidJson<DeptParam>,
) -> AppResult<HttpResponse> {
    let dept = body.into_inner();
    Ok(ok_or_soft_fail(
        service::dept::update(&state, pk.into_inner(), dept).await?,
    ))
}

/// `DELETE /sys/depts/{pk}` (logical delete).
#[utoipa::path(
    delete,
    path = "/api/v1/sys/depts/{pk}",
    tag = "系统部门",
    operation_id = "delete_dept",
    summary = "删除部门",
    params(
        ("pk" = i64, Path, description = "部门 ID"),
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = doc::NULL_OR_SOFT_FAILURE, body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 409, description = doc::CONFLICT, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn delete(
    _perm: Perm<SysDeptDel>,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(ok_or_soft_fail(
        service::dept::delete(&state, pk.into_inner()).await?,
    ))
}

/// Registers the routes of this module.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/{pk}")
            .route(web::get().to(get_dept))
            .route(web::put().to(update))
            .route(web::delete().to(delete)),
    )
    .service(
        resource("")
            .route(web::get().to(tree))
            .route(web::post().to(create)),
    );
}
