//! `/api/v1/sys/dict-types`: type lists and details (any authenticated user) and type writes
//! (RBAC `dict:type:add|edit|del`).

use actix_web::{HttpResponse, web};
use fba_common::extract::{Query, ValidJson};
use fba_common::openapi as doc;
use fba_common::pagination::{Page, PageParams};
use fba_common::response::{Null, ResponseModel, ok, ok_empty, ok_or_soft_fail};
use fba_common::routing::resource;
use fba_common::security::{AuthUser, Perm};
use fba_common::{AppResult, AppState};

use crate::dict::schema::dict_type::{
    DeleteDictTypesParam, DictTypeDetail, DictTypeParam, DictTypeQuery,
};
use crate::dict::service::dict_type as service;

fba_common::permission!(
    /// `POST /sys/dict-types`.
    DictTypeAdd = "dict:type:add"
);
fba_common::permission!(
    /// `PUT /sys/dict-types/{pk}`.
    DictTypeEdit = "dict:type:edit"
);
fba_common::permission!(
    /// `DELETE /sys/dict-types`.
    DictTypeDel = "dict:type:del"
);

/// `GET /sys/dict-types/all`.
#[utoipa::path(
    get,
    path = "/api/v1/sys/dict-types/all",
    tag = "系统字典类型",
    operation_id = "get_all_dict_types",
    summary = "获取所有字典数据",
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "list[GetDictTypeDetail]", body = ResponseModel<Vec<DictTypeDetail>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
    )
)]
pub async fn all(_auth: AuthUser, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    Ok(ok(service::all(&state.db).await?))
}

/// `GET /sys/dict-types/{pk}`.
#[utoipa::path(
    get,
    path = "/api/v1/sys/dict-types/{pk}",
    tag = "系统字典类型",
    operation_id = "get_dict_type",
    summary = "获取字典类型详情",
    params(
        ("pk" = i64, Path, description = "字典类型 ID"),
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "GetDictTypeDetail", body = ResponseModel<DictTypeDetail>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
pub async fn get_type(
    _auth: AuthUser,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(ok(service::get(&state.db, pk.into_inner()).await?))
}

/// `GET /sys/dict-types?name=&code=&page=&size=`.
#[utoipa::path(
    get,
    path = "/api/v1/sys/dict-types",
    tag = "系统字典类型",
    operation_id = "get_dict_types_paginated",
    summary = "分页获取所有字典类型",
    params(
        DictTypeQuery,
        PageParams,
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "Page<GetDictTypeDetail>", body = ResponseModel<Page<DictTypeDetail>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
pub async fn list(
    _auth: AuthUser,
    state: web::Data<AppState>,
    params: PageParams,
    query: Query<DictTypeQuery>,
) -> AppResult<HttpResponse> {
    let filter = query.into_inner().parse()?;
    Ok(ok(service::page(&state.db, &filter, &params).await?))
}

/// `POST /sys/dict-types`.
#[utoipa::path(
    post,
    path = "/api/v1/sys/dict-types",
    tag = "系统字典类型",
    operation_id = "create_dict_type",
    summary = "创建字典类型",
    request_body = DictTypeParam,
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "null", body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 409, description = doc::CONFLICT, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
pub async fn create(
    _perm: Perm<DictTypeAdd>,
    state: web::Data<AppState>,
    body: ValidJson<DictTypeParam>,
) -> AppResult<HttpResponse> {
    service::create(&state, body.into_inner()).await?;
    Ok(ok_empty())
}

/// `PUT /sys/dict-types/{pk}`.
#[utoipa::path(
    put,
    path = "/api/v1/sys/dict-types/{pk}",
    tag = "系统字典类型",
    operation_id = "update_dict_type",
    summary = "更新字典类型",
    params(
        ("pk" = i64, Path, description = "字典类型 ID"),
    ),
    request_body = DictTypeParam,
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
    _perm: Perm<DictTypeEdit>,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
    body: ValidJson<DictTypeParam>,
) -> AppResult<HttpResponse> {
    let t = body.into_inner();
    Ok(ok_or_soft_fail(
        service::update(&state, pk.into_inner(), t).await?,
    ))
}

/// `DELETE /sys/dict-types` with `{"pks": [..]}`.
#[utoipa::path(
    delete,
    path = "/api/v1/sys/dict-types",
    tag = "系统字典类型",
    operation_id = "delete_dict_types",
    summary = "批量删除字典类型",
    request_body = DeleteDictTypesParam,
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = doc::NULL_OR_SOFT_FAILURE, body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
pub async fn delete(
    _perm: Perm<DictTypeDel>,
    state: web::Data<AppState>,
    body: ValidJson<DeleteDictTypesParam>,
) -> AppResult<HttpResponse> {
    let pks = body.into_inner();
    Ok(ok_or_soft_fail(service::delete(&state, pks).await?))
}

/// Registers the routes below `/sys/dict-types` (static segments before `{pk}`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/all").route(web::get().to(all)))
        .service(
            resource("/{pk}")
                .route(web::get().to(get_type))
                .route(web::put().to(update)),
        )
        .service(
            resource("")
                .route(web::get().to(list))
                .route(web::post().to(create))
                .route(web::delete().to(delete)),
        );
}
