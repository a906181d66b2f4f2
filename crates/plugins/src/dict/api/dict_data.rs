//! `/api/v1/sys/dict-datas`: entry lists, the cached detail and the cached entries of a type
//! code (any authenticated user), and entry writes (RBAC `dict:data:add|edit|del`).

use actix_web::{HttpResponse, web};
use fba_common::extract::{Query, ValidJson};
use fba_common::openapi as doc;
use fba_common::pagination::{Page, PageParams};
use fba_common::response::{Null, ResponseModel, ok, ok_empty, ok_or_soft_fail};
use fba_common::routing::resource;
use fba_common::security::{AuthUser, Perm};
use fba_common::{AppResult, AppState};

use crate::dict::schema::dict_data::{
    DeleteDictDatasParam, DictDataDetail, DictDataParam, DictDataQuery,
};
use crate::dict::service::dict_data as service;

fba_common::permission!(
    /// `POST /sys/dict-datas`.
    DictDataAdd = "dict:data:add"
);
fba_common::permission!(
    /// `PUT /sys/dict-datas/{pk}`.
    DictDataEdit = "dict:data:edit"
);
fba_common::permission!(
    /// `DELETE /sys/dict-datas`.
    DictDataDel = "dict:data:del"
);

/// `GET /sys/dict-datas/all`.
#[utoipa::path(
    get,
    path = "/api/v1/sys/dict-datas/all",
    tag = "系统字典数据",
    operation_id = "get_all_dict_datas",
    summary = "获取所有字典数据",
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "list[GetDictDataDetail]", body = ResponseModel<Vec<DictDataDetail>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
    )
)]
pub async fn all(_auth: AuthUser, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    Ok(ok(service::all(&state.db).await?))
}

/// `GET /sys/dict-datas/{pk}` (cached).
#[utoipa::path(
    get,
    path = "/api/v1/sys/dict-datas/{pk}",
    tag = "系统字典数据",
    operation_id = "get_dict_data",
    summary = "获取字典数据详情",
    params(
        ("pk" = i64, Path, description = "字典数据 ID"),
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "GetDictDataDetail", body = ResponseModel<DictDataDetail>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
pub async fn get_data(
    _auth: AuthUser,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(ok(service::get(&state, pk.into_inner()).await?))
}

/// `GET /sys/dict-datas/type-codes/{code}` (cached): what every select and tag of the UI reads.
#[utoipa::path(
    get,
    path = "/api/v1/sys/dict-datas/type-codes/{code}",
    tag = "系统字典数据",
    operation_id = "get_dict_data_by_type_code",
    summary = "获取字典数据列表",
    params(
        ("code" = String, Path, description = "字典类型编码"),
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "list[GetDictDataDetail]", body = ResponseModel<Vec<DictDataDetail>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
    )
)]
pub async fn by_type_code(
    _auth: AuthUser,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> AppResult<HttpResponse> {
    Ok(ok(service::by_type_code(&state, &code.into_inner()).await?))
}

/// `GET /sys/dict-datas?type_code=&label=&value=&status=&type_id=&page=&size=`.
#[utoipa::path(
    get,
    path = "/api/v1/sys/dict-datas",
    tag = "系统字典数据",
    operation_id = "get_dict_datas_paginated",
    summary = "分页获取所有字典数据",
    params(
        DictDataQuery,
        PageParams,
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "Page<GetDictDataDetail>", body = ResponseModel<Page<DictDataDetail>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
pub async fn list(
    _auth: AuthUser,
    state: web::Data<AppState>,
    params: PageParams,
    query: Query<DictDataQuery>,
) -> AppResult<HttpResponse> {
    let filter = query.into_inner().parse()?;
    Ok(ok(service::page(&state.db, &filter, &params).await?))
}

/// `POST /sys/dict-datas`.
#[utoipa::path(
    post,
    path = "/api/v1/sys/dict-datas",
    tag = "系统字典数据",
    operation_id = "create_dict_data",
    summary = "创建字典数据",
    request_body = DictDataParam,
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
pub async fn create(
    _perm: Perm<DictDataAdd>,
    state: web::Data<AppState>,
    body: ValidJson<DictDataParam>,
) -> AppResult<HttpResponse> {
    service::create(&state, body.into_inner()).await?;
    Ok(ok_empty())
}

/// `PUT /sys/dict-datas/{pk}`.
#[utoipa::path(
    put,
    path = "/api/v1/sys/dict-datas/{pk}",
    tag = "系统字典数据",
    operation_id = "update_dict_data",
    summary = "更新字典数据",
    params(
        ("pk" = i64, Path, description = "字典数据 ID"),
    ),
    request_body = DictDataParam,
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
pub async fn update(
    _perm: Perm<DictDataEdit>,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
    body: ValidJson<DictDataParam>,
) -> AppResult<HttpResponse> {
    let d = body.into_inner();
    Ok(ok_or_soft_fail(
        service::update(&state, pk.into_inner(), d).await?,
    ))
}

/// `DELETE /sys/dict-datas` with `{"pks": [..]}`.
#[utoipa::path(
    delete,
    path = "/api/v1/sys/dict-datas",
    tag = "系统字典数据",
    operation_id = "delete_dict_datas",
    summary = "批量删除字典数据",
    request_body = DeleteDictDatasParam,
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = doc::NULL_OR_SOFT_FAILURE, body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
pub async fn delete(
    _perm: Perm<DictDataDel>,
    state: web::Data<AppState>,
    body: ValidJson<DeleteDictDatasParam>,
) -> AppResult<HttpResponse> {
    let pks = body.into_inner();
    Ok(ok_or_soft_fail(service::delete(&state, pks).await?))
}

/// Registers the routes below `/sys/dict-datas` (static segments before `{pk}`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/all").route(web::get().to(all)))
        .service(resource("/type-codes/{code}").route(web::get().to(by_type_code)))
        .service(
            resource("/{pk}")
                .route(web::get().to(get_data))
                .route(web::put().to(update)),
        )
        .service(
            resource("")
                .route(web::get().to(list))
                .route(web::post().to(create))
                .route(web::delete().to(delete)),
        );
}
