//! `/api/v1/sys/configs` (FBA's `plugin/config/api/v1/sys/config.py`): reads for any
//! authenticated user, writes behind RBAC `sys:config:add|edit|del` and, for the bulk update,
//! FBA's `sys.config.edits` (with dots, as FBA's route checks it). Thin handlers: extract, call
//! one service function, wrap the result.

use actix_web::{HttpResponse, web};
use fba_common::extract::{Query, ValidJson};
use fba_common::openapi as doc;
use fba_common::pagination::{Page, PageParams};
use fba_common::response::{Null, ResponseModel, ok, ok_empty, ok_or_soft_fail};
use fba_common::routing::resource;
use fba_common::security::{AuthUser, Perm};
use fba_common::{AppResult, AppState};

use super::schema::{
    AllConfigsQuery, BulkUpdateBody, ConfigDetail, ConfigParam, ConfigQuery, DeleteConfigsBody,
    UpdateConfigsParam,
};
use super::service;

fba_common::permission!(
    /// `POST /sys/configs`.
    ConfigAdd = "sys:config:add"
);
fba_common::permission!(
    /// `PUT /sys/configs/{pk}`.
    ConfigEdit = "sys:config:edit"
);
fba_common::permission!(
    /// `PUT /sys/configs` (FBA's code, with dots).
    ConfigEdits = "sys.config.edits"
);
fba_common::permission!(
    /// `DELETE /sys/configs`.
    ConfigDel = "sys:config:del"
);

/// `GET /sys/configs/all?type=`.
#[utoipa::path(
    get,
    path = "/api/v1/sys/configs/all",
    tag = "系统参数配置",
    operation_id = "get_all_configs",
    summary = "获取所有参数配置",
    params(AllConfigsQuery),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "list[GetConfigDetail]", body = ResponseModel<Vec<ConfigDetail>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
pub(crate) async fn get_all_configs(
    _auth: AuthUser,
    state: web::Data<AppState>,
    query: Query<AllConfigsQuery>,
) -> AppResult<HttpResponse> {
    let rows = service::get_all(&state, &query.into_inner().config_type).await?;
    Ok(ok(rows
        .into_iter()
        .map(ConfigDetail::from)
        .collect::<Vec<_>>()))
}

/// `GET /sys/configs/{pk}`.
#[utoipa::path(
    get,
    path = "/api/v1/sys/configs/{pk}",
    tag = "系统参数配置",
    operation_id = "get_config",
    summary = "获取参数配置详情",
    params(
        ("pk" = i64, Path, description = "参数配置 ID"),
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "GetConfigDetail", body = ResponseModel<ConfigDetail>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
pub(crate) async fn get_config(
    _auth: AuthUser,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let row = service::get(&state, pk.into_inner()).await?;
    Ok(ok(ConfigDetail::from(row)))
}

/// `GET /sys/configs?name=&type=&page=&size=`.
#[utoipa::path(
    get,
    path = "/api/v1/sys/configs",
    tag = "系统参数配置",
    operation_id = "get_configs_paginated",
    summary = "分页获取所有参数配置",
    params(ConfigQuery, PageParams),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "Page<GetConfigDetail>", body = ResponseModel<Page<ConfigDetail>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
pub(crate) async fn get_configs_paginated(
    _auth: AuthUser,
    state: web::Data<AppState>,
    params: PageParams,
    query: Query<ConfigQuery>,
) -> AppResult<HttpResponse> {
    let filter = query.into_inner().into_filter();
    Ok(ok(service::page(&state.db, &filter, &params).await?))
}

/// `POST /sys/configs`.
#[utoipa::path(
    post,
    path = "/api/v1/sys/configs",
    tag = "系统参数配置",
    operation_id = "create_config",
    summary = "创建参数配置",
    request_body = ConfigParam,
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "null", body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 409, description = doc::CONFLICT, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
pub(crate) async fn create_config(
    _perm: Perm<ConfigAdd>,
    state: web::Data<AppState>,
    body: ValidJson<ConfigParam>,
) -> AppResult<HttpResponse> {
    service::create(&state, body.into_inner()).await?;
    Ok(ok_empty())
}

/// `PUT /sys/configs` with a JSON array of configs with their ids.
#[utoipa::path(
    put,
    path = "/api/v1/sys/configs",
    tag = "系统参数配置",
    operation_id = "bulk_update_config",
    summary = "批量更新参数配置",
    request_body = Vec<UpdateConfigsParam>,
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
pub(crate) async fn bulk_update_config(
    _perm: Perm<ConfigEdits>,
    state: web::Data<AppState>,
    body: ValidJson<BulkUpdateBody>,
) -> AppResult<HttpResponse> {
    Ok(ok_or_soft_fail(
        service::bulk_update(&state, body.into_inner()).await?,
    ))
}

/// `PUT /sys/configs/{pk}`.
#[utoipa::path(
    put,
    path = "/api/v1/sys/configs/{pk}",
    tag = "系统参数配置",
    operation_id = "update_config",
    summary = "更新参数配置",
    params(
        ("pk" = i64, Path, description = "参数配置 ID"),
    ),
    request_body = ConfigParam,
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
pub(crate) async fn update_config(
    _perm: Perm<ConfigEdit>,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
    body: ValidJson<ConfigParam>,
) -> AppResult<HttpResponse> {
    Ok(ok_or_soft_fail(
        service::update(&state, pk.into_inner(), body.into_inner()).await?,
    ))
}

/// `DELETE /sys/configs` with a JSON array of ids.
#[utoipa::path(
    delete,
    path = "/api/v1/sys/configs",
    tag = "系统参数配置",
    operation_id = "delete_configs",
    summary = "批量删除参数配置",
    request_body(content = Vec<i64>, description = "参数配置 ID 列表"),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = doc::NULL_OR_SOFT_FAILURE, body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
pub(crate) async fn delete_configs(
    _perm: Perm<ConfigDel>,
    state: web::Data<AppState>,
    body: ValidJson<DeleteConfigsBody>,
) -> AppResult<HttpResponse> {
    Ok(ok_or_soft_fail(
        service::delete(&state, body.into_inner()).await?,
    ))
}

/// The OpenAPI paths of the plugin's routes (under the default `/api/v1` prefix).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    get_all_configs,
    get_config,
    get_configs_paginated,
    create_config,
    bulk_update_config,
    update_config,
    delete_configs,
))]
pub(crate) struct ConfigApi;

/// Registers the routes under `/sys/configs` (static segments before `{pk}`).
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/all").route(web::get().to(get_all_configs)))
        .service(
            resource("/{pk}")
                .route(web::get().to(get_config))
                .route(web::put().to(update_config)),
        )
        .service(
            resource("")
                .route(web::get().to(get_configs_paginated))
                .route(web::post().to(create_config))
                .route(web::put().to(bulk_update_config))
                .route(web::delete().to(delete_configs)),
        );
}
