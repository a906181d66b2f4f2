//! `/api/v1/auth/*`: captcha, login (JSON and Swagger), token refresh, logout (`/auth/codes`
//! lives in `codes.rs`).
//!
//! Handlers extract, call one service function and answer; the refresh-token cookie is set and
//! deleted here, exactly as FBA (Starlette) writes it.

use fba_common::openapi as doc;
use std::time::Duration;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use fba_common::context::ClientInfo;
use fba_common::extract::{Json, Query};
use fba_common::response::{Null, ResponseModel};
use fba_common::routing::resource;
use fba_common::security::{MaybeAuthUser, Security};
use fba_common::{AppError, AppResult, AppState, response};

use crate::schema::auth::{
    CaptchaDetail, LoginParam, LoginToken, NewToken, SwaggerLoginQuery, SwaggerToken,
};
use crate::service::{auth, captcha};
use crate::settings::CookieSettings;

/// Registers the `/auth` routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/captcha").route(web::get().to(get_captcha)))
        .service(resource("/login").route(web::post().to(login)))
        .service(resource("/login/swagger").route(web::post().to(login_swagger)))
        .service(resource("/refresh").route(web::post().to(refresh)))
        .service(resource("/logout").route(web::post().to(logout)));
}

/// `GET /auth/captcha`: a new captcha (rate limited per client: `CAPTCHA_RATE_LIMIT_PER_30S`).
#[utoipa::path(
    get,
    path = "/api/v1/auth/captcha",
    tag = "验证码",
    operation_id = "get_captcha",
    summary = "获取登录验证码",
    responses(
        (status = 200, description = "GetCaptchaDetail", body = ResponseModel<CaptchaDetail>),
        (status = 429, description = doc::TOO_MANY_REQUESTS, body = ref(doc::ERROR_BODY)),
    )
)]
async fn get_captcha(
    req: HttpRequest,
    state: web::Data<AppState>,
    client: ClientInfo,
) -> AppResult<HttpResponse> {
    auth::check_rate_limit(
        &state,
        &client.ip,
        req.path(),
        state.settings.limiter.captcha_per_30s,
        Duration::from_secs(30),
    )
    .await?;
    Ok(response::ok(captcha::create(&state).await?))
}

/// `POST /auth/login`: JSON login; sets the refresh cookie. The rate limit
/// (`LOGIN_RATE_LIMIT_PER_MINUTE`) is checked before the body, as FBA's dependency is.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "授权",
    operation_id = "login",
    summary = "用户登录",
    description = "json 格式登录, 仅支持在第三方api工具调试, 例如: postman",
    request_body = LoginParam,
    responses(
        (status = 200, description = "GetLoginToken; sets the refresh-token cookie", body = ResponseModel<LoginToken>),
        (status = 400, description = doc::BAD_REQUEST, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
        (status = 429, description = doc::TOO_MANY_REQUESTS, body = ref(doc::ERROR_BODY)),
    )
)]
async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    security: web::Data<Security>,
    client: ClientInfo,
    body: Result<Json<LoginParam>, AppError>,
) -> AppResult<HttpResponse> {
    let cookie = crate::settings::cookie(&state)?;
    login_rate_limit(&state, &client, &req).await?;
    let param = body?.into_inner();
    let outcome = auth::login(&state, &security, &client, &param).await?;
    let mut resp = response::ok(outcome.token);
    set_refresh_cookie(
        &mut resp,
        cookie,
        outcome.refresh.token,
        outcome.refresh.expires_at,
    );
    Ok(resp)
}

/// `POST /auth/login/swagger?username=&password=`: access token only, not enveloped. Rate
/// limited like `/auth/login` (FBA does not limit it; it has no captcha, so it would be the
/// easy way to guess passwords).
#[utoipa::path(
    post,
    path = "/api/v1/auth/login/swagger",
    tag = "授权",
    operation_id = "login_swagger",
    summary = "swagger 调试专用",
    description = "用于快捷获取 token 进行 swagger 认证",
    params(SwaggerLoginQuery),
    responses(
        (status = 200, description = "GetSwaggerToken (not enveloped)", body = SwaggerToken),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
        (status = 429, description = doc::TOO_MANY_REQUESTS, body = ref(doc::ERROR_BODY)),
    )
)]
async fn login_swagger(
    req: HttpRequest,
    state: web::Data<AppState>,
    security: web::Data<Security>,
    client: ClientInfo,
    query: Result<Query<SwaggerLoginQuery>, AppError>,
) -> AppResult<HttpResponse> {
    login_rate_limit(&state, &client, &req).await?;
    let q = query?.into_inner();
    let (access_token, user) =
        auth::swagger_login(&state, &security, &client, &q.username, &q.password).await?;
    Ok(response::json(
        actix_web::http::StatusCode::OK,
        &SwaggerToken {
            access_token,
            token_type: "Bearer",
            user,
        },
    ))
}

async fn login_rate_limit(
    state: &AppState,
    client: &ClientInfo,
    req: &HttpRequest,
) -> AppResult<()> {
    auth::check_rate_limit(
        state,
        &client.ip,
        req.path(),
        state.settings.limiter.login_per_minute,
        Duration::from_secs(60),
    )
    .await
}

/// `POST /auth/refresh`: new tokens from the refresh cookie; rotates the cookie.
#[utoipa::path(
    post,
    path = "/api/v1/auth/refresh",
    tag = "授权",
    operation_id = "refresh_token",
    summary = "刷新 token",
    responses(
        (status = 200, description = "GetNewToken; rotates the refresh-token cookie", body = ResponseModel<NewToken>),
        (status = 400, description = doc::BAD_REQUEST, body = ref(doc::ERROR_BODY)),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
    )
)]
async fn refresh(
    req: HttpRequest,
    state: web::Data<AppState>,
    security: web::Data<Security>,
    client: ClientInfo,
) -> AppResult<HttpResponse> {
    let cookie = crate::settings::cookie(&state)?;
    let refresh_token = req.cookie(&cookie.refresh_token_key);
    let outcome = auth::refresh(
        &state,
        &security,
        &client,
        refresh_token.as_ref().map(|c| c.value()),
    )
    .await?;
    let mut resp = response::ok(outcome.token);
    set_refresh_cookie(
        &mut resp,
        cookie,
        outcome.refresh.token,
        outcome.refresh.expires_at,
    );
    Ok(resp)
}

/// `POST /auth/logout`: ends the session; always succeeds and deletes the cookie.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "授权",
    operation_id = "logout",
    summary = "用户登出",
    responses(
        (status = 200, description = "null; deletes the refresh-token cookie", body = ResponseModel<Null>),
    )
)]
async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    security: web::Data<Security>,
    auth: MaybeAuthUser,
) -> AppResult<HttpResponse> {
    let cookie = req.cookie(&crate::settings::cookie(&state)?.refresh_token_key);
    auth::logout(
        &state,
        &security,
        auth.0.as_deref(),
        cookie.as_ref().map(|c| c.value()),
    )
    .await?;
    let mut resp = response::ok_empty();
    let value = format!(
        "{}=\"\"; expires={}; Max-Age=0; Path=/; SameSite=lax",
        crate::settings::cookie(&state)?.refresh_token_key,
        http_date(&Utc::now())
    );
    append_cookie(&mut resp, &value);
    Ok(resp)
}

/// FBA's refresh cookie: `name=<jwt>; HttpOnly; Max-Age=…; Expires=…; Path=/; SameSite=lax`.
fn set_refresh_cookie(
    resp: &mut HttpResponse,
    c: &CookieSettings,
    token: String,
    expires_at: DateTime<Utc>,
) {
    let value = format!(
        "{}={token}; HttpOnly; Max-Age={}; Expires={}; Path=/; SameSite=lax",
        c.refresh_token_key,
        c.refresh_token_expire_secs,
        http_date(&expires_at)
    );
    append_cookie(resp, &value);
}

fn append_cookie(resp: &mut HttpResponse, value: &str) {
    match HeaderValue::from_str(value) {
        Ok(v) => {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
        Err(e) => tracing::error!(error = %e, "unsendable Set-Cookie value"),
    }
}

/// An HTTP date (`Thu, 01 Jan 2026 00:00:00 GMT`).
fn http_date(t: &DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}
