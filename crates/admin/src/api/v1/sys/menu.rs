//! `/api/v1/sys/menus`: the current user's vben5 sidebar, the menu tree, one menu, and menu
//! writes (RBAC `sys:menu:add|edit|del`).

use actix_web::{HttpResponse, web};
use fba_common::extract::{Query, ValidJson};
use fba_common::openapi as doc;
use fba_common::response::{Null, ResponseModel, ok, ok_empty, ok_or_soft_fail};
use fba_common::routing::resource;
use fba_common::security::{AuthUser, Perm, Security};
use fba_common::{AppResult, AppState};

use crate::schema::menu::{MenuDetail, MenuParam, MenuQuery, MenuTree, SidebarNode};
use crate::service;

fba_common::permission!(
    /// `POST /sys/menus`.
    SysMenuAdd = "sys:menu:add"
);
fba_common::permission!(
    /// `PUT /sys/menus/{pk}`.
    SysMenuEdit = "sys:menu:edit"
);
fba_common::permission!(
    /// `DELETE /sys/menus/{pk}`.
    SysMenuDel = "sys:menu:del"
);

/// `GET /sys/menus/sidebar`: the vben5 route tree of the current user.
#[utoipa::path(
    get,
    path = "/api/v1/sys/menus/sidebar",
    tag = "系统菜单",
    operation_id = "get_user_sidebar",
    summary = "获取用户菜单侧边栏",
    description = "已适配 vben admin v5",
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "list[dict]: the vben5 route tree", body = ResponseModel<Vec<SidebarNode>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
    )
)]
async fn sidebar(
    auth: AuthUser,
    state: web::Data<AppState>,
    security: web::Data<Security>,
) -> AppResult<HttpResponse> {
    Ok(ok(
        service::menu::sidebar(&state, &security, auth.user()).await?
    ))
}

/// `GET /sys/menus/{pk}`.
#[utoipa::path(
    get,
    path = "/api/v1/sys/menus/{pk}",
    tag = "系统菜单",
    operation_id = "get_menu",
    summary = "获取菜单详情",
    params(
        ("pk" = i64, Path, description = "菜单 ID"),
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "GetMenuDetail", body = ResponseModel<MenuDetail>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn get_menu(
    _auth: AuthUser,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(ok(service::menu::get(&state.db, pk.into_inner()).await?))
}

/// `GET /sys/menus?title=&status=`: the menu tree.
#[utoipa::path(
    get,
    path = "/api/v1/sys/menus",
    tag = "系统菜单",
    operation_id = "get_menu_tree",
    summary = "获取菜单树",
    params(
        MenuQuery,
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "list[GetMenuTree]", body = ResponseModel<Vec<MenuTree>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn tree(
    _auth: AuthUser,
    state: web::Data<AppState>,
    query: Query<MenuQuery>,
) -> AppResult<HttpResponse> {
    let filter = query.into_inner().parse()?;
    Ok(ok(service::menu::tree(&state.db, &filter).await?))
}

/// `POST /sys/menus`.
#[utoipa::path(
    post,
    path = "/api/v1/sys/menus",
    tag = "系统菜单",
    operation_id = "create_menu",
    summary = "创建菜单",
    request_body = MenuParam,
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
    _perm: Perm<SysMenuAdd>,
    state: web::Data<AppState>,
    security: web::Data<Security>,
    body: ValidJson<MenuParam>,
) -> AppResult<HttpResponse> {
    service::menu::create(&state, &security, body.into_inner()).await?;
    Ok(ok_empty())
}

/// `PUT /sys/menus/{pk}`.
#[utoipa::path(
    put,
    path = "/api/v1/sys/menus/{pk}",
    tag = "系统菜单",
    operation_id = "update_menu",
    summary = "更新菜单",
    params(
        ("pk" = i64, Path, description = "菜单 ID"),
    ),
    request_body = MenuParam,
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
    _perm: Perm<SysMenuEdit>,
    state: web::Data<AppState>,
    security: web::Data<Security>,
    pk: web::Path<i64>,
    body: ValidJson<MenuParam>,
) -> AppResult<HttpResponse> {
    let menu = body.into_inner();
    let count = service::menu::update(&state, &security, pk.into_inner(), menu).await?;
    Ok(ok_or_soft_fail(count))
}

/// `DELETE /sys/menus/{pk}`.
#[utoipa::path(
    delete,
    path = "/api/v1/sys/menus/{pk}",
    tag = "系统菜单",
    operation_id = "delete_menu",
    summary = "删除菜单",
    params(
        ("pk" = i64, Path, description = "菜单 ID"),
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
    _perm: Perm<SysMenuDel>,
    state: web::Data<AppState>,
    security: web::Data<Security>,
    pk: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let count = service::menu::delete(&state, &security, pk.into_inner()).await?;
    Ok(ok_or_soft_fail(count))
}

/// Registers the routes of this module (static `sidebar` before `{pk}`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/sidebar").route(web::get().to(sidebar)))
        .service(
            resource("/{pk}")
                .route(web::get().to(get_menu))
                .route(web::put().to(update))
                .route(web::delete().to(delete)),
        )
        .service(
            resource("")
                .route(web::get().to(tree))
                .route(web::post().to(create)),
        );
}
