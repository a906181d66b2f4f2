//! `/api/v1/sys/roles`: role lists and details, a role's menu tree and data-scope ids, and
//! role writes (RBAC `sys:role:add|edit|del`, `sys:role:menu:edit`, `sys:role:scope:edit`).

use actix_web::{HttpResponse, web};
use fba_common::extract::{Query, ValidJson};
use fba_common::openapi as doc;
use fba_common::pagination::{Page, PageParams};
use fba_common::response::{Null, ResponseModel, ok, ok_empty, ok_or_soft_fail};
use fba_common::routing::resource;
use fba_common::security::{AuthUser, Perm, Security};
use fba_common::{AppResult, AppState};

use crate::schema::menu::MenuTree;
use crate::schema::role::{
    DeleteRolesParam, RoleDetail, RoleMenusParam, RoleParam, RoleQuery, RoleScopesParam,
    RoleWithRelation,
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
#[utoipa::path(
    get,
    path = "/api/v1/sys/roles/all",
    tag = "系统角色",
    operation_id = "get_all_roles",
    summary = "获取所有角色",
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "list[GetRoleDetail]", body = ResponseModel<Vec<RoleDetail>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
    )
)]
async fn all(_auth: AuthUser, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    Ok(ok(service::role::all(&state.db).await?))
}

/// `GET /sys/roles/{pk}/menus`: the role's menu tree.
#[utoipa::path(
    get,
    path = "/api/v1/sys/roles/{pk}/menus",
    tag = "系统角色",
    operation_id = "get_role_menu_tree",
    summary = "获取角色菜单树",
    params(
        ("pk" = i64, Path, description = "角色 ID"),
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "list[GetMenuTree]", body = ResponseModel<Vec<MenuTree>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
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
#[utoipa::path(
    get,
    path = "/api/v1/sys/roles/{pk}/scopes",
    tag = "系统角色",
    operation_id = "get_role_scopes",
    summary = "获取角色所有数据范围",
    params(
        ("pk" = i64, Path, description = "角色 ID"),
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "list[int]", body = ResponseModel<Vec<i64>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
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
#[utoipa::path(
    get,
    path = "/api/v1/sys/roles/{pk}",
    tag = "系统角色",
    operation_id = "get_role",
    summary = "获取角色详情",
    params(
        ("pk" = i64, Path, description = "角色 ID"),
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "GetRoleWithRelationDetail", body = ResponseModel<RoleWithRelation>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn get_role(
    _auth: AuthUser,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(ok(service::role::get(&state.db, pk.into_inner()).await?))
}

/// `GET /sys/roles?name=&status=&page=&size=`.
#[utoipa::path(
    get,
    path = "/api/v1/sys/roles",
    tag = "系统角色",
    operation_id = "get_roles_paginated",
    summary = "分页获取所有角色",
    params(
        RoleQuery,
        PageParams,
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "Page<GetRoleDetail>", body = ResponseModel<Page<RoleDetail>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
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
#[utoipa::path(
    post,
    path = "/api/v1/sys/roles",
    tag = "系统角色",
    operation_id = "create_role",
    summary = "创建角色",
    request_body = RoleParam,
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
    _perm: Perm<SysRoleAdd>,
    state: web::Data<AppState>,
    body: ValidJson<RoleParam>,
) -> AppResult<HttpResponse> {
    service::role::create(&state, body.into_inner()).await?;
    Ok(ok_empty())
}

/// `PUT /sys/roles/{pk}`.
#[utoipa::path(
    put,
    path = "/api/v1/sys/roles/{pk}",
    tag = "系统角色",
    operation_id = "update_role",
    summary = "更新角色",
    params(
        ("pk" = i64, Path, description = "角色 ID"),
    ),
    request_body = RoleParam,
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
    _perm: Perm<SysRoleEdit>,
    state: web::Data<AppState>,
    security: web::Data<Security>,
    pk: web::Path<i64>,
    body: ValidJson<RoleParam>,
) -> AppResult<HttpResponse> {
    let role = body.into_inner();
    let count = service::role::update(&state, &security, pk.into_inner(), role).await?;
    Ok(ok_or_soft_fail(count))
}

/// `PUT /sys/roles/{pk}/menus`.
#[utoipa::path(
    put,
    path = "/api/v1/sys/roles/{pk}/menus",
    tag = "系统角色",
    operation_id = "update_role_menus",
    summary = "更新角色菜单",
    params(
        ("pk" = i64, Path, description = "角色 ID"),
    ),
    request_body = RoleMenusParam,
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = doc::NULL_OR_SOFT_FAILURE, body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn update_menus(
    _perm: Perm<SysRoleMenuEdit>,
    state: web::Data<AppState>,
    security: web::Data<Security>,
    pk: web::Path<i64>,
    body: ValidJson<RoleMenusParam>,
) -> AppResult<HttpResponse> {
    let menus = body.into_inner();
    let count = service::role::update_menus(&state, &security, pk.into_inner(), menus).await?;
    Ok(ok_or_soft_fail(count))
}

/// `PUT /sys/roles/{pk}/scopes`.
#[utoipa::path(
    put,
    path = "/api/v1/sys/roles/{pk}/scopes",
    tag = "系统角色",
    operation_id = "update_role_scopes",
    summary = "更新角色数据范围",
    params(
        ("pk" = i64, Path, description = "角色 ID"),
    ),
    request_body = RoleScopesParam,
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = doc::NULL_OR_SOFT_FAILURE, body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn update_scopes(
    _perm: Perm<SysRoleScopeEdit>,
    state: web::Data<AppState>,
    security: web::Data<Security>,
    pk: web::Path<i64>,
    body: ValidJson<RoleScopesParam>,
) -> AppResult<HttpResponse> {
    let scopes = body.into_inner();
    let count = service::role::update_scopes(&state, &security, pk.into_inner(), scopes).await?;
    Ok(ok_or_soft_fail(count))
}

/// `DELETE /sys/roles` with `{"pks": [..]}`.
#[utoipa::path(
    delete,
    path = "/api/v1/sys/roles",
    tag = "系统角色",
    operation_id = "delete_roles",
    summary = "批量删除角色",
    request_body = DeleteRolesParam,
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = doc::NULL_OR_SOFT_FAILURE, body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn delete(
    _perm: Perm<SysRoleDel>,
    state: web::Data<AppState>,
    security: web::Data<Security>,
    body: ValidJson<DeleteRolesParam>,
) -> AppResult<HttpResponse> {
    let pks = body.into_inner();
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
