//! `/api/v1/sys/data-scopes`: scope lists and details, a scope with its rules, and scope writes
//! (RBAC `data:scope:add|edit|del`, `data:scope:rule:edit`).

use actix_web::{HttpResponse, web};
use fba_common::extract::{Query, ValidJson};
use fba_common::openapi as doc;
use fba_common::pagination::{Page, PageParams};
use fba_common::response::{Null, ResponseModel, ok, ok_empty, ok_or_soft_fail};
use fba_common::routing::resource;
use fba_common::security::{AuthUser, Perm};
use fba_common::{AppResult, AppState};

use crate::schema::data_scope::{
    DataScopeDetail, DataScopeParam, DataScopeQuery, DataScopeRulesParam, DataScopeWithRules,
    DeleteDataScopesParam,
};
use crate::service;

fba_common::permission!(
    /// `POST /sys/data-scopes`.
    DataScopeAdd = "data:scope:add"
);
fba_common::permission!(
    /// `PUT /sys/data-scopes/{pk}`.
    DataScopeEdit = "data:scope:edit"
);
fba_common::permission!(
    /// `PUT /sys/data-scopes/{pk}/rules`.
    DataScopeRuleEdit = "data:scope:rule:edit"
);
fba_common::permission!(
    /// `DELETE /sys/data-scopes`.
    DataScopeDel = "data:scope:del"
);

/// `GET /sys/data-scopes/all`.
#[utoipa::path(
    get,
    path = "/api/v1/sys/data-scopes/all",
    tag = "系统数据范围",
    operation_id = "get_all_data_scope",
    summary = "获取所有数据范围",
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "list[GetDataScopeDetail]", body = ResponseModel<Vec<DataScopeDetail>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
    )
)]
async fn all(_auth: AuthUser, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    Ok(ok(service::data_scope::all(&state.db).await?))
}

/// `GET /sys/data-scopes/{pk}`.
#[utoipa::path(
    get,
    path = "/api/v1/sys/data-scopes/{pk}",
    tag = "系统数据范围",
    operation_id = "get_data_scope",
    summary = "获取数据范围详情",
    params(
        ("pk" = i64, Path, description = "数据范围 ID"),
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "GetDataScopeDetail", body = ResponseModel<DataScopeDetail>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn get_scope(
    _auth: AuthUser,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(ok(
        service::data_scope::get(&state.db, pk.into_inner()).await?
    ))
}

/// `GET /sys/data-scopes/{pk}/rules`: the scope with its rules.
#[utoipa::path(
    get,
    path = "/api/v1/sys/data-scopes/{pk}/rules",
    tag = "系统数据范围",
    operation_id = "get_data_scope_rules",
    summary = "获取数据范围所有规则",
    params(
        ("pk" = i64, Path, description = "数据范围 ID"),
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "GetDataScopeWithRelationDetail", body = ResponseModel<DataScopeWithRules>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn rules(
    _auth: AuthUser,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(ok(service::data_scope::with_rules(
        &state.db,
        pk.into_inner(),
    )
    .await?))
}

/// `GET /sys/data-scopes?name=&status=&page=&size=`.
#[utoipa::path(
    get,
    path = "/api/v1/sys/data-scopes",
    tag = "系统数据范围",
    operation_id = "get_data_scopes_paginated",
    summary = "分页获取所有数据范围",
    params(
        DataScopeQuery,
        PageParams,
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "Page<GetDataScopeDetail>", body = ResponseModel<Page<DataScopeDetail>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn list(
    _auth: AuthUser,
    state: web::Data<AppState>,
    params: PageParams,
    query: Query<DataScopeQuery>,
) -> AppResult<HttpResponse> {
    let filter = query.into_inner().parse()?;
    Ok(ok(
        service::data_scope::page(&state.db, &filter, &params).await?
    ))
}

/// `POST /sys/data-scopes`.
#[utoipa::path(
    post,
    path = "/api/v1/sys/data-scopes",
    tag = "系统数据范围",
    operation_id = "create_data_scope",
    summary = "创建数据范围",
    request_body = DataScopeParam,
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "null", body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 409, description = doc::CONFLICT, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn create(
    _perm: Perm<DataScopeAdd>,
    state: web::Data<AppState>,
    body: ValidJson<DataScopeParam>,
) -> AppResult<HttpResponse> {
    service::data_scope::create(&state, body.into_inner()).await?;
    Ok(ok_empty())
}

/// `PUT /sys/data-scopes/{pk}`.
#[utoipa::path(
    put,
    path = "/api/v1/sys/data-scopes/{pk}",
    tag = "系统数据范围",
    operation_id = "update_data_scope",
    summary = "更新数据范围",
    params(
        ("pk" = i64, Path, description = "数据范围 ID"),
    ),
    request_body = DataScopeParam,
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
    _perm: Perm<DataScopeEdit>,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
    body: ValidJson<DataScopeParam>,
) -> AppResult<HttpResponse> {
    let scope = body.into_inner();
    Ok(ok_or_soft_fail(
        service::data_scope::update(&state, pk.into_inner(), scope).await?,
    ))
}

/// `PUT /sys/data-scopes/{pk}/rules` with `{"rules": [..]}`.
#[utoipa::path(
    put,
    path = "/api/v1/sys/data-scopes/{pk}/rules",
    tag = "系统数据范围",
    operation_id = "update_data_scope_rules",
    summary = "更新数据范围规则",
    params(
        ("pk" = i64, Path, description = "数据范围 ID"),
    ),
    request_body = DataScopeRulesParam,
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = doc::NULL_OR_SOFT_FAILURE, body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn update_rules(
    _perm: Perm<DataScopeRuleEdit>,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
    body: ValidJson<DataScopeRulesParam>,
) -> AppResult<HttpResponse> {
    let rules = body.into_inner();
    Ok(ok_or_soft_fail(
        service::data_scope::update_rules(&state, pk.into_inner(), rules).await?,
    ))
}

/// `DELETE /sys/data-scopes` with `{"pks": [..]}`.
#[utoipa::path(
    delete,
    path = "/api/v1/sys/data-scopes",
    tag = "系统数据范围",
    operation_id = "delete_data_scopes",
    summary = "批量删除数据范围",
    request_body = DeleteDataScopesParam,
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = doc::NULL_OR_SOFT_FAILURE, body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn delete(
    _perm: Perm<DataScopeDel>,
    state: web::Data<AppState>,
    body: ValidJson<DeleteDataScopesParam>,
) -> AppResult<HttpResponse> {
    let pks = body.into_inner();
    Ok(ok_or_soft_fail(
        service::data_scope::delete(&state, pks).await?,
    ))
}

/// Registers the routes of this module (static segments before `{pk}`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/all").route(web::get().to(all)))
        .service(
            resource("/{pk}/rules")
                .route(web::get().to(rules))
                .route(web::put().to(update_rules)),
        )
        .service(
            resource("/{pk}")
                .route(web::get().to(get_scope))
                .route(web::put().to(update)),
        )
        .service(
            resource("")
                .route(web::get().to(list))
                .route(web::post().to(create))
                .route(web::delete().to(delete)),
        );
}
