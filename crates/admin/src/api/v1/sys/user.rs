//! `/api/v1/sys/users/*`: the current user's routes (`/me`, `/me/nickname`, `/me/avatar`,
//! `/me/email`, `/me/password`).
//!
//! The static `/me...` resources must stay registered before any `/{pk}...` resource of this
//! scope, as in FBA, so that `me` is never read as an id.

use actix_web::{HttpResponse, web};
use fba_common::context::ClientInfo;
use fba_common::extract::Json;
use fba_common::routing::resource;
use fba_common::security::AuthUser;
use fba_common::{AppResult, AppState, response};

use crate::schema::user::CurrentUserInfo;
use crate::schema::user_me::{AvatarParam, EmailParam, NicknameParam, PasswordParam};
use crate::service::user_me;

/// FBA's reply to an update: success when a row changed, else the soft failure.
fn updated(count: u64) -> HttpResponse {
    if count > 0 {
        response::ok_empty()
    } else {
        response::soft_fail()
    }
}

/// `GET /me`: the authenticated user (from the user cache, no query) with the dept name and
/// role names.
pub async fn me(auth: AuthUser) -> HttpResponse {
    response::ok(CurrentUserInfo::from(auth.user()))
}

/// `PUT /me/nickname` `{"nickname"}`.
///
/// # Errors
/// 422 for an invalid nickname; a database or Kv failure.
pub async fn update_nickname(
    auth: AuthUser,
    state: web::Data<AppState>,
    body: Json<NicknameParam>,
) -> AppResult<HttpResponse> {
    let nickname = body.into_inner().parse()?;
    let count = user_me::update_nickname(&state, auth.user().id, &nickname).await?;
    Ok(updated(count))
}

/// `PUT /me/avatar` `{"avatar"}`.
///
/// # Errors
/// 422 for an invalid avatar location; a database or Kv failure.
pub async fn update_avatar(
    auth: AuthUser,
    state: web::Data<AppState>,
    body: Json<AvatarParam>,
) -> AppResult<HttpResponse> {
    let avatar = body.into_inner().parse()?;
    let count = user_me::update_avatar(&state, auth.user().id, &avatar).await?;
    Ok(updated(count))
}

/// `PUT /me/email` `{"captcha", "email"}`.
///
/// # Errors
/// 422 for an invalid address, 400/40001 for a missing or wrong code, 409 for an address in
/// use; a database or Kv failure.
pub async fn update_email(
    auth: AuthUser,
    state: web::Data<AppState>,
    client: ClientInfo,
    body: Json<EmailParam>,
) -> AppResult<HttpResponse> {
    let change = body.into_inner().parse()?;
    let count = user_me::update_email(&state, auth.user().id, &client.ip, &change).await?;
    Ok(updated(count))
}

/// `PUT /me/password` `{"old_password", "new_password", "confirm_password"}`; ends every
/// session of the user on success.
///
/// # Errors
/// 422 for unusable input, 400 for a wrong old password, a mismatch or a policy violation; a
/// database or Kv failure.
pub async fn update_password(
    auth: AuthUser,
    state: web::Data<AppState>,
    body: Json<PasswordParam>,
) -> AppResult<HttpResponse> {
    let change = body.into_inner().parse()?;
    let count = user_me::update_password(&state, auth.user().id, &change).await?;
    Ok(updated(count))
}

/// Registers the routes of this module.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/me").route(web::get().to(me)))
        .service(resource("/me/nickname").route(web::put().to(update_nickname)))
        .service(resource("/me/avatar").route(web::put().to(update_avatar)))
        .service(resource("/me/email").route(web::put().to(update_email)))
        .service(resource("/me/password").route(web::put().to(update_password)));
}
