//! `/api/v1/sys/data-rules`: the models, columns and value templates a rule may name, rule
//! lists and details, and rule writes (RBAC `data:rule:add|edit|del`).

use actix_web::{HttpResponse, web};
use fba_common::extract::{Json, Query};
use fba_common::pagination::PageParams;
use fba_common::response::{ok, ok_empty, ok_or_soft_fail};
use fba_common::routing::resource;
use fba_common::security::{AuthUser, Perm};
use fba_common::{AppResult, AppState};

use crate::schema::data_rule::{DataRuleParam, DataRuleQuery, DeleteDataRulesParam};
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
async fn models(_auth: AuthUser) -> AppResult<HttpResponse> {
    Ok(ok(service::data_rule::models()))
}

/// `GET /sys/data-rules/models/{model}/columns`.
async fn columns(_auth: AuthUser, model: web::Path<String>) -> AppResult<HttpResponse> {
    Ok(ok(service::data_rule::columns(&model.into_inner())?))
}

/// `GET /sys/data-rules/value-template-variables`.
async fn value_template_variables(_auth: AuthUser) -> AppResult<HttpResponse> {
    Ok(ok(service::data_rule::value_template_variables()))
}

/// `GET /sys/data-rules/all`.
async fn all(_auth: AuthUser, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    Ok(ok(service::data_rule::all(&state.db).await?))
}

/// `GET /sys/data-rules/{pk}`.
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
async fn create(
    _perm: Perm<DataRuleAdd>,
    state: web::Data<AppState>,
    body: Json<DataRuleParam>,
) -> AppResult<HttpResponse> {
    service::data_rule::create(&state, body.into_inner().parse()?).await?;
    Ok(ok_empty())
}

/// `PUT /sys/data-rules/{pk}`.
async fn update(
    _perm: Perm<DataRuleEdit>,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
    body: Json<DataRuleParam>,
) -> AppResult<HttpResponse> {
    let rule = body.into_inner().parse()?;
    Ok(ok_or_soft_fail(
        service::data_rule::update(&state, pk.into_inner(), rule).await?,
    ))
}

/// `DELETE /sys/data-rules` with `{"pks": [..]}`.
async fn delete(
    _perm: Perm<DataRuleDel>,
    state: web::Data<AppState>,
    body: Json<DeleteDataRulesParam>,
) -> AppResult<HttpResponse> {
    let pks = body.into_inner().parse()?;
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
