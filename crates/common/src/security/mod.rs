//! Security shared by every crate: FBA's JWTs, bcrypt passwords on the blocking pool, the
//! authenticated user, the JWT middleware and extractors, and casbin RBAC.

mod auth;
mod jwt;
mod jwt_crypto;
mod password;
mod rbac;
mod session_cache;
mod user;

pub use auth::{
    AuthContext, AuthUser, JwtAuth, MaybeAuthUser, Perm, PermCode, Security, SuperUser,
    authenticate, authorize, bearer, check_user_usable, invalidate_user, load_cached_user,
    token_key, user_cache_key,
};
pub use jwt::{IssuedToken, JwtCodec, TokenClaims, TokenError};
pub use password::{hash_password, verify_password};
pub use rbac::{RELOAD_CHANNEL, Rbac};
pub use session_cache::{CHANGES_CHANNEL, Epoch, SessionCache, SessionChange, announce};
pub use user::{AuthStore, CurrentUser, UserDataRule, UserDataScope, UserDept, UserMenu, UserRole};
