//! `/api/v1/sys/data-rules`: the models, columns and value templates a rule may name, rule
//! lists and details, and rule writes (RBAC `data:rule:add|edit|del`).

use actix_web::{HttpResponse, web};
use fba_common::extract::{Query, ValidJson};
use fba_common::openapi as doc;
use fba_common::pagination::{Page, PageParams};
use fba_common::response::{Null, ResponseModel, ok, ok_empty, ok_or_soft_fail};
use fba_common::routing::resource;
use fba_common::security::{AuthUser, Perm};
use fba_common::{AppResult, AppState};

use crate::schema::data_rule::{
    DataRuleColumn, DataRuleDetail, DataRuleParam, DataRuleQuery, DeleteDataRulesParam,
    TemplateVariable,
};
use crate::service;

fba_common::permission!(
    /// `POST /sys/data-rules`.
    DataRuleAdd = "data:rule:add"
);
fba_common::permission!(
    /// `PUT /sys/data-rules/{pk}`.
    DataRuleEdit = "data:rule:edit"
);
fba_common::permission!(
    /// `DELETE /sys/data-rules`.
    DataRuleDel = "data:rule:del"
);

/// `GET /sys/data-rules/models`.
#[utoipa::path(
    get,
    path = "/api/v1/sys/data-rules/models",
    tag = "系统数据规则",
    operation_id = "get_data_rule_models",
    summary = "获取数据规则可用模型",
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "list[str]", body = ResponseModel<Vec<String>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
    )
)]
async fn models(_auth: AuthUser, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    Ok(ok(service::data_rule::models(state.modules.data_models())))
}

/// `GET /sys/data-rules/models/{model}/columns`.
#[utoipa::path(
    get,
    path = "/api/v1/sys/data-rules/models/{model}/columns",
    tag = "系统数据规则",
    operation_id = "get_data_rule_model_columns",
    summary = "获取数据规则可用模型列",
    params(
        ("model" = String, Path, description = "模型名称"),
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "list[GetDataRuleColumnDetail]", body = ResponseModel<Vec<DataRuleColumn>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
    )
)]
async fn columns(
    _auth: AuthUser,
    state: web::Data<AppState>,
    model: web::Path<String>,
) -> AppResult<HttpResponse> {
    let models = state.modules.data_models();
    Ok(ok(service::data_rule::columns(
        models,
        &model.into_inner(),
    )?))
}

/// `GET /sys/data-rules/value-template-variables`.
#[utoipa::path(
    get,
    path = "/api/v1/sys/data-rules/value-template-variables",
    tag = "系统数据规则",
    operation_id = "get_data_rule_value_template_variables",
    summary = "获取数据规则值可用模板变量",
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "list[GetDataRuleTemplateVariableDetail]", body = ResponseModel<Vec<TemplateVariable>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
    )
)]
async fn value_template_variables(_auth: AuthUser) -> AppResult<HttpResponse> {
    Ok(ok(service::data_rule::value_template_variables()))
}

/// `GET /sys/data-rules/all`.
#[utoipa::path(
    get,
    path = "/api/v1/sys/data-rules/all",
    tag = "系统数据规则",
    operation_id = "get_all_data_rules",
    summary = "获取所有数据规则",
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "list[GetDataRuleDetail]", body = ResponseModel<Vec<DataRuleDetail>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
    )
)]
async fn all(_auth: AuthUser, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    Ok(ok(service::data_rule::all(&state.db).await?))
}

/// `GET /sys/data-rules/{pk}`.
#[utoipa::path(
    get,
    path = "/api/v1/sys/data-rules/{pk}",
    tag = "系统数据规则",
    operation_id = "get_data_rule",
    summary = "获取数据规则详情",
    params(
        ("pk" = i64, Path, description = "数据规则 ID"),
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "GetDataRuleDetail", body = ResponseModel<DataRuleDetail>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn get_rule(
    _auth: AuthUser,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(ok(
        service::data_rule::get(&state.db, pk.into_inner()).await?
    ))
}

/// `GET /sys/data-rules?name=&page=&size=`.
#[utoipa::path(
    get,
    path = "/api/v1/sys/data-rules",
    tag = "系统数据规则",
    operation_id = "get_data_rules_paginated",
    summary = "分页获取所有数据规则",
    params(
        DataRuleQuery,
        PageParams,
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "Page<GetDataRuleDetail>", body = ResponseModel<Page<DataRuleDetail>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn list(
    _auth: AuthUser,
    state: web::Data<AppState>,
    params: PageParams,
    query: Query<DataRuleQuery>,
) -> AppResult<HttpResponse> {
    let filter = query.into_inner().parse()?;
    Ok(ok(
        service::data_rule::page(&state.db, &filter, &params).await?
    ))
}

/// `POST /sys/data-rules`.
#[utoipa::path(
    post,
    path = "/api/v1/sys/data-rules",
    tag = "系统数据规则",
    operation_id = "create_data_rule",
    summary = "创建数据规则",
    request_body = DataRuleParam,
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
    _perm: Perm<DataRuleAdd>,
    state: web::Data<AppState>,
    body: ValidJson<DataRuleParam>,
) -> AppResult<HttpResponse> {
    service::data_rule::create(&state, body.into_inner()).await?;
    Ok(ok_empty())
}

/// `PUT /sys/data-rules/{pk}`.
#[utoipa::path(
    put,
    path = "/api/v1/sys/data-rules/{pk}",
    tag = "系统数据规则",
    operation_id = "update_data_rule",
    summary = "更新数据规则",
    params(
        ("pk" = i64, Path, description = "数据规则 ID"),
    ),
    request_body = DataRuleParam,
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
    _perm: Perm<DataRuleEdit>,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
    body: ValidJson<DataRuleParam>,
) -> AppResult<HttpResponse> {
    let rule = body.into_inner();
    Ok(ok_or_soft_fail(
        service::data_rule::update(&state, pk.into_inner(), rule).await?,
    ))
}

/// `DELETE /sys/data-rules` with `{"pks": [..]}`.
#[utoipa::path(
    delete,
    path = "/api/v1/sys/data-rules",
    tag = "系统数据规则",
    operation_id = "delete_data_rules",
    summary = "批量删除数据规则",
    request_body = DeleteDataRulesParam,
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = doc::NULL_OR_SOFT_FAILURE, body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn delete(
    _perm: Perm<DataRuleDel>,
    state: web::Data<AppState>,
    body: ValidJson<DeleteDataRulesParam>,
) -> AppResult<HttpResponse> {
    let pks = body.into_inner();
    Ok(ok_or_soft_fail(
        service::data_rule::delete(&state, pks).await?,
    ))
}

/// Registers the routes of this module (static segments before `{pk}`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/models").route(web::get().to(models)))
        .service(resource("/models/{model}/columns").route(web::get().to(columns)))
        .service(
            resource("/value-template-variables").route(web::get().to(value_template_variables)),
        )
        .service(resource("/all").route(web::get().to(all)))
        .service(
            resource("/{pk}")
                .route(web::get().to(get_rule))
                .route(web::put().to(update)),
        )
        .service(
            resource("")
                .route(web::get().to(list))
                .route(web::post().to(create))
                .route(web::delete().to(delete)),
        );
}
