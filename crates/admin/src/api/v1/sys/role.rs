//! `/api/v1/sys/roles`: role lists and details, a role's menu tree and data-scope ids, and
//! role writes (RBAC `sys:role:add|edit|del`, `sys:role:menu:edit`, `sys:role:scope:edit`).

use actix_web::{HttpResponse, web};
use fba_common::extract::{Json, Query};
use fba_common::pagination::PageParams;
use fba_common::response::{ok, ok_empty, ok_or_soft_fail};
use fba_common::routing::resource;
use fba_common::security::{AuthUser, Perm, Security};
use fba_common::{AppResult, AppState};

use crate::schema::role::{
    DeleteRolesParam, RoleMenusParam, RoleParam, RoleQuery, RoleScopesParam,
};
use crate::service;

fba_common::permission!(
    /// `POST /sys/roles`.
    SysRoleAdd = "sys:role:add"
);
fba_common::permission!(
    /// `PUT /sys/roles/{pk}`.
    SysRoleEdit = "sys:role:edit"
);
fba_common::permission!(
    /// `PUT /sys/roles/{pk}/menus`.
    SysRoleMenuEdit = "sys:role:menu:edit"
);
fba_common::permission!(
    /// `PUT /sys/roles/{pk}/scopes`.
    SysRoleScopeEdit = "sys:role:scope:edit"
);
fba_common::permission!(
    /// `DELETE /sys/roles`.
    SysRoleDel = "sys:role:del"
);

/// `GET /sys/roles/all`.
async fn all(_auth: AuthUser, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    Ok(ok(service::role::all(&state.db).await?))
}

/// `GET /sys/roles/{pk}/menus`: the role's menu tree.
async fn menus(
    _auth: AuthUser,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(ok(
        service::role::menu_tree(&state.db, pk.into_inner()).await?
    ))
}

/// `GET /sys/roles/{pk}/scopes`: the role's data-scope ids.
async fn scopes(
    _auth: AuthUser,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(ok(
        service::role::scope_ids(&state.db, pk.into_inner()).await?
    ))
}

/// `GET /sys/roles/{pk}`: the role with its menus and data scopes.
async fn get_role(
    _auth: AuthUser,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(ok(service::role::get(&state.db, pk.into_inner()).await?))
}

/// `GET /sys/roles?name=&status=&page=&size=`.
async fn list(
    _auth: AuthUser,
    state: web::Data<AppState>,
    params: PageParams,
    query: Query<RoleQuery>,
) -> AppResult<HttpResponse> {
    let filter = query.into_inner().parse()?;
    Ok(ok(service::role::page(&state.db, &filter, &params).await?))
}

/// `POST /sys/roles`.
async fn create(
    _perm: Perm<SysRoleAdd>,
    state: web::Data<AppState>,
    body: Json<RoleParam>,
) -> AppResult<HttpResponse> {
    service::role::create(&state, body.into_inner().parse()?).await?;
    Ok(ok_empty())
}

/// `PUT /sys/roles/{pk}`.
async fn update(
    _perm: Perm<SysRoleEdit>,
    state: web::Data<AppState>,
    security: web::Data<Security>,
    pk: web::Path<i64>,
    body: Json<RoleParam>,
) -> AppResult<HttpResponse> {
    let role = body.into_inner().parse()?;
    let count = service::role::update(&state, &security, pk.into_inner(), role).await?;
    Ok(ok_or_soft_fail(count))
}

/// `PUT /sys/roles/{pk}/menus`.
async fn update_menus(
    _perm: Perm<SysRoleMenuEdit>,
    state: web::Data<AppState>,
    security: web::Data<Security>,
    pk: web::Path<i64>,
    body: Json<RoleMenusParam>,
) -> AppResult<HttpResponse> {
    let menus = body.into_inner().parse()?;
    let count = service::role::update_menus(&state, &security, pk.into_inner(), menus).await?;
    Ok(ok_or_soft_fail(count))
}

/// `PUT /sys/roles/{pk}/scopes`.
async fn update_scopes(
    _perm: Perm<SysRoleScopeEdit>,
    state: web::Data<AppState>,
    security: web::Data<Security>,
    pk: web::Path<i64>,
    body: Json<RoleScopesParam>,
) -> AppResult<HttpResponse> {
    let scopes = body.into_inner().parse()?;
    let count = service::role::update_scopes(&state, &security, pk.into_inner(), scopes).await?;
    Ok(ok_or_soft_fail(count))
}

/// `DELETE /sys/roles` with `{"pks": [..]}`.
async fn delete(
    _perm: Perm<SysRoleDel>,
    state: web::Data<AppState>,
    security: web::Data<Security>,
    body: Json<DeleteRolesParam>,
) -> AppResult<HttpResponse> {
    let pks = body.into_inner().parse()?;
    Ok(ok_or_soft_fail(
        service::role::delete(&state, &security, pks).await?,
    ))
}

/// Registers the routes of this module (static segments before `{pk}`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/all").route(web::get().to(all)))
        .service(
            resource("/{pk}/menus")
                .route(web::get().to(menus))
                .route(web::put().to(update_menus)),
        )
        .service(
            resource("/{pk}/scopes")
                .route(web::get().to(scopes))
                .route(web::put().to(update_scopes)),
        )
        .service(
            resource("/{pk}")
                .route(web::get().to(get_role))
                .route(web::put().to(update)),
        )
        .service(
            resource("")
                .route(web::get().to(list))
                .route(web::post().to(create))
                .route(web::delete().to(delete)),
        );
}
