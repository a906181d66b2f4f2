//! `/api/v1/sys/users/*`: the current user's routes (`/me`, `/me/nickname`, `/me/avatar`,
//! `/me/email`, `/me/password`) and user management (`/`, `/{pk}`, `/{pk}/roles`,
//! `/{pk}/permissions`, `/{pk}/password`): reads need a token, writes a superuser who is staff,
//! delete the RBAC code `sys:user:del`.
//!
//! The static `/me...` resources must stay registered before any `/{pk}...` resource of this
//! scope, as in FBA, so that `me` is never read as an id.

use actix_web::{HttpResponse, web};
use fba_common::context::ClientInfo;
use fba_common::extract::{Query, ValidJson};
use fba_common::openapi as doc;
use fba_common::pagination::{Page, PageParams};
use fba_common::response::{Null, ResponseModel};
use fba_common::routing::resource;
use fba_common::security::{AuthUser, Perm, SuperUser};
use fba_common::{AppResult, AppState, response};

use crate::schema::role::RoleDetail;
use crate::schema::user::CurrentUserInfo;
use crate::schema::user_admin::{
    AddUserParam, PermissionQuery, ResetPasswordParam, UpdateUserParam, UserQuery, UserWithRelation,
};
use crate::schema::user_me::{AvatarParam, EmailParam, NicknameParam, PasswordParam};
use crate::service::{user, user_me};

fba_common::permission!(
    /// `DELETE /sys/users/{pk}`.
    SysUserDel = "sys:user:del"
);

/// `GET /me`: the authenticated user (from the user cache, no query) with the dept name and
/// role names.
#[utoipa::path(
    get,
    path = "/api/v1/sys/users/me",
    tag = "系统用户",
    operation_id = "get_current_user",
    summary = "获取当前用户信息",
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "GetCurrentUserInfoWithRelationDetail", body = ResponseModel<CurrentUserInfo>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
    )
)]
pub async fn me(auth: AuthUser) -> HttpResponse {
    response::ok(CurrentUserInfo::from(auth.user()))
}

/// `PUT /me/nickname` `{"nickname"}`.
///
/// # Errors
/// 422 for an invalid nickname; a database or Kv failure.
#[utoipa::path(
    put,
    path = "/api/v1/sys/users/me/nickname",
    tag = "系统用户",
    operation_id = "update_user_nickname",
    summary = "更新当前用户昵称",
    request_body = NicknameParam,
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = doc::NULL_OR_SOFT_FAILURE, body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
pub async fn update_nickname(
    auth: AuthUser,
    state: web::Data<AppState>,
    body: ValidJson<NicknameParam>,
) -> AppResult<HttpResponse> {
    let nickname = body.into_inner();
    let count = user_me::update_nickname(&state, auth.user().id, &nickname).await?;
    Ok(response::ok_or_soft_fail(count))
}

/// `PUT /me/avatar` `{"avatar"}`.
///
/// # Errors
/// 422 for an invalid avatar location; a database or Kv failure.
#[utoipa::path(
    put,
    path = "/api/v1/sys/users/me/avatar",
    tag = "系统用户",
    operation_id = "update_user_avatar",
    summary = "更新当前用户头像",
    request_body = AvatarParam,
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = doc::NULL_OR_SOFT_FAILURE, body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
pub async fn update_avatar(
    auth: AuthUser,
    state: web::Data<AppState>,
    body: ValidJson<AvatarParam>,
) -> AppResult<HttpResponse> {
    let avatar = body.into_inner();
    let count = user_me::update_avatar(&state, auth.user().id, &avatar).await?;
    Ok(response::ok_or_soft_fail(count))
}

/// `PUT /me/email` `{"captcha", "email"}`.
///
/// # Errors
/// 422 for an invalid address, 400/40001 for a missing or wrong code, 409 for an address in
/// use; a database or Kv failure.
#[utoipa::path(
    put,
    path = "/api/v1/sys/users/me/email",
    tag = "系统用户",
    operation_id = "update_user_email",
    summary = "更新当前用户邮箱",
    request_body = EmailParam,
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = doc::NULL_OR_SOFT_FAILURE, body = ResponseModel<Null>),
        (status = 400, description = doc::BAD_REQUEST, body = ref(doc::ERROR_BODY)),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 409, description = doc::CONFLICT, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
pub async fn update_email(
    auth: AuthUser,
    state: web::Data<AppState>,
    client: ClientInfo,
    body: ValidJson<EmailParam>,
) -> AppResult<HttpResponse> {
    let change = body.into_inner();
    let count = user_me::update_email(&state, auth.user().id, &client.ip, &change).await?;
    Ok(response::ok_or_soft_fail(count))
}

/// `PUT /me/password` `{"old_password", "new_password", "confirm_password"}`; ends every
/// session of the user on success.
///
/// # Errors
/// 422 for unusable input, 400 for a wrong old password, a mismatch or a policy violation; a
/// database or Kv failure.
#[utoipa::path(
    put,
    path = "/api/v1/sys/users/me/password",
    tag = "系统用户",
    operation_id = "update_user_password",
    summary = "更新当前用户密码",
    request_body = PasswordParam,
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = doc::NULL_OR_SOFT_FAILURE, body = ResponseModel<Null>),
        (status = 400, description = doc::BAD_REQUEST, body = ref(doc::ERROR_BODY)),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
pub async fn update_password(
    auth: AuthUser,
    state: web::Data<AppState>,
    body: ValidJson<PasswordParam>,
) -> AppResult<HttpResponse> {
    let change = body.into_inner();
    let count = user_me::update_password(&state, auth.user().id, &change).await?;
    Ok(response::ok_or_soft_fail(count))
}

/// `GET /{pk}`: the user with its dept and its roles (with menus and data scopes).
///
/// # Errors
/// 401 without a token, 422 for a bad id, 404 `用户不存在`; a database failure.
#[utoipa::path(
    get,
    path = "/api/v1/sys/users/{pk}",
    tag = "系统用户",
    operation_id = "get_userinfo",
    summary = "获取用户信息",
    params(
        ("pk" = i64, Path, description = "用户 ID"),
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "GetUserInfoWithRelationDetail", body = ResponseModel<UserWithRelation>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
pub async fn get_user(
    _auth: AuthUser,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(response::ok(user::get(&state.db, pk.into_inner()).await?))
}

/// `GET /{pk}/roles`: the user's roles.
///
/// # Errors
/// 401 without a token, 422 for a bad id, 404 `用户不存在`; a database failure.
#[utoipa::path(
    get,
    path = "/api/v1/sys/users/{pk}/roles",
    tag = "系统用户",
    operation_id = "get_user_roles",
    summary = "获取用户所有角色",
    params(
        ("pk" = i64, Path, description = "用户 ID"),
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "list[GetRoleDetail]", body = ResponseModel<Vec<RoleDetail>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
pub async fn get_user_roles(
    _auth: AuthUser,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(response::ok(user::roles(&state.db, pk.into_inner()).await?))
}

/// `GET /?dept=&username=&phone=&status=&page=&size=`: one page of users, newest first.
///
/// # Errors
/// 401 without a token, 422 for a bad filter or page; a database failure.
#[utoipa::path(
    get,
    path = "/api/v1/sys/users",
    tag = "系统用户",
    operation_id = "get_users_paginated",
    summary = "分页获取所有用户",
    params(
        UserQuery,
        PageParams,
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "Page<GetUserInfoWithRelationDetail>", body = ResponseModel<Page<UserWithRelation>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
pub async fn list_users(
    _auth: AuthUser,
    state: web::Data<AppState>,
    params: PageParams,
    query: Query<UserQuery>,
) -> AppResult<HttpResponse> {
    let filter = query.into_inner().parse()?;
    Ok(response::ok(user::page(&state.db, &filter, &params).await?))
}

/// `POST /`: creates a user; answers it with its dept and roles.
///
/// # Errors
/// 401/403 unless a staff superuser, 422 for a bad body, 409 `用户名已注册`, 400
/// `密码不允许为空`, 404 `部门不存在` / `角色不存在`; a database failure.
#[utoipa::path(
    post,
    path = "/api/v1/sys/users",
    tag = "系统用户",
    operation_id = "create_user",
    summary = "创建用户",
    request_body = AddUserParam,
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "GetUserInfoWithRelationDetail", body = ResponseModel<UserWithRelation>),
        (status = 400, description = doc::BAD_REQUEST, body = ref(doc::ERROR_BODY)),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 409, description = doc::CONFLICT, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
pub async fn create_user(
    _su: SuperUser,
    state: web::Data<AppState>,
    body: ValidJson<AddUserParam>,
) -> AppResult<HttpResponse> {
    let new = body.into_inner();
    Ok(response::ok(user::create(&state, new).await?))
}

/// `PUT /{pk}`: updates a user and replaces its roles.
///
/// # Errors
/// 401/403 unless a staff superuser, 422 for a bad id or body, 404, 409; a database or Kv
/// failure.
#[utoipa::path(
    put,
    path = "/api/v1/sys/users/{pk}",
    tag = "系统用户",
    operation_id = "update_user",
    summary = "更新用户信息",
    params(
        ("pk" = i64, Path, description = "用户 ID"),
    ),
    request_body = UpdateUserParam,
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
pub async fn update_user(
    _su: SuperUser,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
    body: ValidJson<UpdateUserParam>,
) -> AppResult<HttpResponse> {
    let update = body.into_inner();
    let count = user::update(&state, pk.into_inner(), update).await?;
    Ok(response::ok_or_soft_fail(count))
}

/// `PUT /{pk}/permissions?type=superuser|staff|status|multi_login`: toggles one flag.
///
/// # Errors
/// 401/403 unless a staff superuser, 422 for a bad id or a missing `type`, 400
/// `权限类型不存在`, 404 `用户不存在`, 403 `禁止修改自身权限`; a database or Kv failure.
#[utoipa::path(
    put,
    path = "/api/v1/sys/users/{pk}/permissions",
    tag = "系统用户",
    operation_id = "update_user_permission",
    summary = "更新用户权限",
    params(
        ("pk" = i64, Path, description = "用户 ID"),
        PermissionQuery,
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = doc::NULL_OR_SOFT_FAILURE, body = ResponseModel<Null>),
        (status = 400, description = doc::BAD_REQUEST, body = ref(doc::ERROR_BODY)),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
pub async fn update_permission(
    su: SuperUser,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
    query: Query<PermissionQuery>,
) -> AppResult<HttpResponse> {
    let kind = query.into_inner().parse()?;
    let caller = &su.0;
    let count = user::update_permission(
        &state,
        caller.user.id,
        &caller.session_uuid,
        pk.into_inner(),
        kind,
    )
    .await?;
    Ok(response::ok_or_soft_fail(count))
}

/// `PUT /{pk}/password` `{"password"}`: resets a user's password and ends its sessions.
///
/// # Errors
/// 401/403 unless a staff superuser, 422 for a bad id or body, 404 `用户不存在`, 400 for a
/// policy violation; a database or Kv failure.
#[utoipa::path(
    put,
    path = "/api/v1/sys/users/{pk}/password",
    tag = "系统用户",
    operation_id = "reset_user_password",
    summary = "重置用户密码",
    params(
        ("pk" = i64, Path, description = "用户 ID"),
    ),
    request_body = ResetPasswordParam,
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = doc::NULL_OR_SOFT_FAILURE, body = ResponseModel<Null>),
        (status = 400, description = doc::BAD_REQUEST, body = ref(doc::ERROR_BODY)),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
pub async fn reset_password(
    _su: SuperUser,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
    body: ValidJson<ResetPasswordParam>,
) -> AppResult<HttpResponse> {
    let password = body.into_inner();
    let count = user::reset_password(&state, pk.into_inner(), &password).await?;
    Ok(response::ok_or_soft_fail(count))
}

/// `DELETE /{pk}`: deletes a user, its role links and its sessions.
///
/// # Errors
/// 401 without a token, 403 from RBAC, 422 for a bad id, 404 `用户不存在`; a database or Kv
/// failure.
#[utoipa::path(
    delete,
    path = "/api/v1/sys/users/{pk}",
    tag = "系统用户",
    operation_id = "delete_user",
    summary = "删除用户",
    params(
        ("pk" = i64, Path, description = "用户 ID"),
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = doc::NULL_OR_SOFT_FAILURE, body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
pub async fn delete_user(
    _perm: Perm<SysUserDel>,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let count = user::delete(&state, pk.into_inner()).await?;
    Ok(response::ok_or_soft_fail(count))
}

/// Registers the routes of this module (static `/me...` paths before `/{pk}...`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/me").route(web::get().to(me)))
        .service(resource("/me/nickname").route(web::put().to(update_nickname)))
        .service(resource("/me/avatar").route(web::put().to(update_avatar)))
        .service(resource("/me/email").route(web::put().to(update_email)))
        .service(resource("/me/password").route(web::put().to(update_password)))
        .service(
            resource("")
                .route(web::get().to(list_users))
                .route(web::post().to(create_user)),
        )
        .service(
            resource("/{pk}")
                .route(web::get().to(get_user))
                .route(web::put().to(update_user))
                .route(web::delete().to(delete_user)),
        )
        .service(resource("/{pk}/roles").route(web::get().to(get_user_roles)))
        .service(resource("/{pk}/permissions").route(web::put().to(update_permission)))
        .service(resource("/{pk}/password").route(web::put().to(reset_password)));
}
