//! Request authentication as FBA's JWT middleware does it, plus the extractors handlers use.
//!
//! [`JwtAuth`] checks every request that carries `Authorization: Bearer <token>` (except the
//! whitelisted paths): signature and expiry, the session's key in the Kv store
//! (`fba:token:{uid}:{session}` must hold this very token), then the user (from the Kv cache
//! `fba:user:{uid}`, else the [`AuthStore`]) and its status, dept and roles. A failure answers
//! at once with FBA's 401/403 body. A request without the header passes on anonymously; the
//! [`AuthUser`], [`SuperUser`] and [`Perm`] extractors then refuse it where a route needs a user.

use std::future::{Ready, ready};
use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, ResponseError, web};
use futures_util::future::LocalBoxFuture;
use regex::Regex;

use super::{AuthStore, CurrentUser, JwtCodec, Rbac, SessionChange, TokenClaims};
use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::i18n::t;

/// Everything authentication needs, built once at start-up.
pub struct Security {
    /// Token codec.
    pub jwt: JwtCodec,
    /// Database side of authentication.
    pub store: Arc<dyn AuthStore>,
    /// The RBAC enforcer.
    pub rbac: Arc<Rbac>,
    exclude: Vec<String>,
    exclude_patterns: Vec<Regex>,
}

impl std::fmt::Debug for Security {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Security")
            .field("exclude", &self.exclude)
            .finish_non_exhaustive()
    }
}

impl Security {
    /// Builds the codec, compiles the whitelist patterns and loads the RBAC policy.
    ///
    /// # Errors
    /// An invalid `TOKEN_REQUEST_PATH_EXCLUDE_PATTERN` regex, or a database failure.
    pub async fn new(
        settings: &fba_core_conf::Settings,
        store: Arc<dyn AuthStore>,
    ) -> AppResult<Self> {
        let exclude_patterns = settings
            .token
            .request_path_exclude_pattern
            .iter()
            .map(|p| {
                Regex::new(&format!("^(?:{p})")).map_err(|e| {
                    AppError::Internal(format!("TOKEN_REQUEST_PATH_EXCLUDE_PATTERN {p:?}: {e}"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            jwt: JwtCodec::new(&settings.token),
            rbac: Arc::new(Rbac::load(Arc::clone(&store)).await?),
            store,
            exclude: settings.token.request_path_exclude.clone(),
            exclude_patterns,
        })
    }

    /// Whether an `Authorization` header is ignored on `path`.
    pub fn is_excluded(&self, path: &str) -> bool {
        self.exclude.iter().any(|p| p == path)
            || self.exclude_patterns.iter().any(|r| r.is_match(path))
    }
}

/// An authenticated request: the user, its session and token.
#[derive(Debug, Clone)]
pub struct AuthContext {
    /// The user with relations.
    pub user: Arc<CurrentUser>,
    /// The session id from the token.
    pub session_uuid: String,
    /// The raw access token.
    pub token: String,
}

/// Kv key of an access token: `{TOKEN_REDIS_PREFIX}:{uid}:{session}` (from
/// [`crate::kv_keys::KvKeys::token`]).
pub fn token_key(state: &AppState, user_id: i64, session: &str) -> String {
    state.keys().token(user_id, session)
}

/// Kv key of a cached user: `{JWT_USER_REDIS_PREFIX}:{uid}` (from
/// [`crate::kv_keys::KvKeys::user`]).
pub fn user_cache_key(state: &AppState, user_id: i64) -> String {
    state.keys().user(user_id)
}

/// The bearer token of an `Authorization` value (`Bearer xxx`, scheme case-insensitive).
pub fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Validates an access token and loads its user (FBA's `jwt_authentication`).
///
/// # Errors
/// 401 `Token 无效` / `Token 已过期` / `Token 已失效`, 403 for a locked user, dept or roles,
/// 503 when the Kv store or the database is down.
pub async fn authenticate(
    state: &AppState,
    security: &Security,
    token: &str,
) -> AppResult<AuthContext> {
    let claims: TokenClaims = security.jwt.decode(token)?;
    let user_id = claims.user_id()?;
    let sessions = &state.sessions;
    if sessions.session_is(user_id, &claims.session_uuid, token)
        && let Some(user) = sessions.user(user_id)
    {
        check_user_usable(&user)?;
        return Ok(AuthContext {
            user,
            session_uuid: claims.session_uuid,
            token: token.to_owned(),
        });
    }
    let epoch = sessions.epoch();
    // One round trip for the session's token and the cached user.
    let keys = [
        token_key(state, user_id, &claims.session_uuid),
        user_cache_key(state, user_id),
    ];
    let mut values = state.kv.mget(&keys).await?.into_iter();
    let (stored, cached_user) = (values.next().flatten(), values.next().flatten());
    match stored {
        None => return Err(AppError::TokenRejected(t("error-token-expired"))),
        Some(stored) if stored != token => {
            return Err(AppError::TokenRejected(t("error-token-revoked")));
        }
        Some(_) => {}
    }
    let cached = cached_user.and_then(|json| match serde_json::from_str::<CurrentUser>(&json) {
        Ok(user) => Some(user),
        Err(e) => {
            tracing::warn!(user_id, error = %e, "unreadable cached user; reloading");
            None
        }
    });
    let user = match cached {
        Some(user) => user,
        None => load_cached_user(state, security, user_id)
            .await?
            .ok_or_else(|| AppError::TokenRejected(t("error-token-invalid")))?,
    };
    let user = Arc::new(user);
    sessions.fill(epoch, user_id, &claims.session_uuid, token, &user);
    check_user_usable(&user)?;
    Ok(AuthContext {
        user,
        session_uuid: claims.session_uuid,
        token: token.to_owned(),
    })
}

/// The user from the Kv cache, else from the store (then cached for a token lifetime).
///
/// # Errors
/// A Kv or database failure.
pub async fn load_cached_user(
    state: &AppState,
    security: &Security,
    user_id: i64,
) -> AppResult<Option<CurrentUser>> {
    let key = user_cache_key(state, user_id);
    if let Some(json) = state.kv.get(&key).await? {
        match serde_json::from_str::<CurrentUser>(&json) {
            Ok(user) => return Ok(Some(user)),
            Err(e) => tracing::warn!(user_id, error = %e, "unreadable cached user; reloading"),
        }
    }
    let epoch = state.sessions.epoch();
    let Some(user) = security.store.load_user(user_id).await? else {
        return Ok(None);
    };
    // A change applied while the user was read makes this copy stale: don't cache it.
    if state.sessions.epoch() == epoch {
        let json = serde_json::to_string(&user).map_err(AppError::internal)?;
        let ttl = std::time::Duration::from_secs(state.settings.token.expire_secs);
        state.kv.set(&key, &json, Some(ttl)).await?;
    }
    Ok(Some(user))
}

/// Drops the cached user (Kv store and every replica's memory) so the next request reloads it.
///
/// # Errors
/// A Kv failure.
pub async fn invalidate_user(state: &AppState, user_id: i64) -> AppResult<()> {
    state.kv.del(&user_cache_key(state, user_id)).await?;
    state
        .sessions
        .changed(&state.kv, SessionChange::User { user_id })
        .await
}

/// FBA's checks on a loaded user: locked user, locked or deleted dept, all roles locked.
///
/// # Errors
/// 403 with FBA's message.
pub fn check_user_usable(user: &CurrentUser) -> AppResult<()> {
    if user.status == 0 {
        return Err(AppError::Forbidden(t("error-user-locked")));
    }
    if let Some(dept) = &user.dept {
        if dept.del_flag {
            return Err(AppError::Forbidden(t("error-user-dept-deleted")));
        }
        if dept.status == 0 {
            return Err(AppError::Forbidden(t("error-user-dept-locked")));
        }
    }
    if !user.roles.is_empty() && user.enabled_roles().next().is_none() {
        return Err(AppError::Forbidden(t("error-user-role-locked")));
    }
    Ok(())
}

/// The JWT middleware (see the module docs). Needs `web::Data<AppState>` and
/// `web::Data<Security>` in the app.
#[derive(Debug, Clone, Copy, Default)]
pub struct JwtAuth;

impl<S, B> Transform<S, ServiceRequest> for JwtAuth
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Transform = JwtAuthService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(JwtAuthService {
            service: Rc::new(service),
        }))
    }
}

/// The service of [`JwtAuth`].
pub struct JwtAuthService<S> {
    service: Rc<S>,
}

impl<S, B> Service<ServiceRequest> for JwtAuthService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        let token = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer)
            .map(str::to_owned);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let security = req.app_data::<web::Data<Security>>().cloned();
        Box::pin(async move {
            if let (Some(token), Some(state), Some(security)) = (token, state, security)
                && !security.is_excluded(req.path())
            {
                match authenticate(&state, &security, &token).await {
                    Ok(ctx) => {
                        req.extensions_mut().insert(Arc::new(ctx));
                    }
                    Err(e) => return Ok(req.into_response(e.error_response())),
                }
            }
            service
                .call(req)
                .await
                .map(ServiceResponse::map_into_boxed_body)
        })
    }
}

fn auth_context(req: &HttpRequest) -> AppResult<Arc<AuthContext>> {
    req.extensions()
        .get::<Arc<AuthContext>>()
        .cloned()
        .ok_or_else(|| AppError::Unauthorized("Not authenticated".to_owned()))
}

/// An authenticated user (FBA `DependsJwtAuth`): 401 `Not authenticated` without a token.
#[derive(Debug, Clone)]
pub struct AuthUser(pub Arc<AuthContext>);

impl AuthUser {
    /// The user.
    pub fn user(&self) -> &CurrentUser {
        &self.0.user
    }
}

impl FromRequest for AuthUser {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(auth_context(req).map(AuthUser))
    }
}

/// A superuser who is also staff (FBA `DependsSuperUser`): 401 without a token, 403
/// `Permission Denied` otherwise.
#[derive(Debug, Clone)]
pub struct SuperUser(pub Arc<AuthContext>);

impl FromRequest for SuperUser {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(auth_context(req).and_then(|ctx| {
            if ctx.user.is_superuser && ctx.user.is_staff {
                Ok(SuperUser(ctx))
            } else {
                Err(AppError::Forbidden("Permission Denied".to_owned()))
            }
        }))
    }
}

/// A permission code a route requires; declare one with [`crate::permission!`].
pub trait PermCode: 'static {
    /// The code, e.g. `sys:user:del`.
    const CODE: &'static str;
}

/// Declares a [`PermCode`] marker type: `permission!(SysUserDel = "sys:user:del");`.
#[macro_export]
macro_rules! permission {
    ($(#[$meta:meta])* $name:ident = $code:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;
        impl $crate::security::PermCode for $name {
            const CODE: &'static str = $code;
        }
    };
}

/// An authenticated user allowed `P::CODE` by RBAC (FBA `RequestPermission` + `DependsRBAC`).
#[derive(Debug, Clone)]
pub struct Perm<P: PermCode> {
    /// The authenticated request.
    pub auth: Arc<AuthContext>,
    _code: PhantomData<P>,
}

/// FBA's RBAC decision for `user` calling `method` on a route that requires `code`.
///
/// # Errors
/// 403 with FBA's message for each refusal.
pub fn authorize(
    state: &AppState,
    rbac: &Rbac,
    user: &CurrentUser,
    method: &actix_web::http::Method,
    code: Option<&str>,
) -> AppResult<()> {
    if user.is_superuser {
        return Ok(());
    }
    let roles: Vec<_> = user.enabled_roles().collect();
    if roles.is_empty() {
        return Err(AppError::Forbidden(t("error-user-role-locked")));
    }
    if roles.iter().all(|r| r.menus.is_empty()) {
        return Err(AppError::Forbidden(t("error-user-no-menu")));
    }
    if method != actix_web::http::Method::GET
        && method != actix_web::http::Method::OPTIONS
        && !user.is_staff
    {
        return Err(AppError::Forbidden(t("error-user-not-staff")));
    }
    let rbac_settings = &state.settings.rbac;
    let Some(code) = code else { return Ok(()) };
    if !rbac_settings.role_menu_mode || rbac_settings.role_menu_exclude.iter().any(|c| c == code) {
        return Ok(());
    }
    if roles.iter().any(|r| rbac.role_has(r.id, code)) {
        Ok(())
    } else {
        Err(AppError::Forbidden("Permission Denied".to_owned()))
    }
}

impl<P: PermCode> FromRequest for Perm<P> {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = auth_context(req).and_then(|ctx| {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| AppError::Internal("AppState missing".to_owned()))?;
            let security = req
                .app_data::<web::Data<Security>>()
                .ok_or_else(|| AppError::Internal("Security missing".to_owned()))?;
            authorize(
                state,
                &security.rbac,
                &ctx.user,
                req.method(),
                Some(P::CODE),
            )?;
            Ok(Perm {
                auth: ctx,
                _code: PhantomData,
            })
        });
        ready(result)
    }
}

/// The user of an optional `Authorization` header (routes that work with or without one).
#[derive(Debug, Clone)]
pub struct MaybeAuthUser(pub Option<Arc<AuthContext>>);

impl FromRequest for MaybeAuthUser {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(MaybeAuthUser(auth_context(req).ok())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer"), None);
    }
}
