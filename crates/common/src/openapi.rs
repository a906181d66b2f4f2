//! OpenAPI reply helpers shared by every crate's handlers (`#[utoipa::path(responses(...))]`):
//! what each documented error status means, and the reference to the error body schema
//! ([`crate::error::ErrorResponseModel`]). Import it as `use fba_common::openapi as doc;` and
//! write `description = doc::UNAUTHORIZED, body = inline(...)`.

/// The error bodies, referenced by name: the schema is registered once in the document's
/// components (the admin crate's `AdminApi` does it) rather than collected again at each of
/// the ~200 error responses (which made building the document peak at twice the memory).
pub const ERROR_BODY: &str = "#/components/schemas/ErrorResponseModel";

/// 200 of a write answered with FBA's soft failure when no row changed.
pub const NULL_OR_SOFT_FAILURE: &str =
    "`data: null`; `code` 400 (FBA's soft failure) when no row changed";
/// 400: a business rule failed (wrong captcha or password, password policy, file type...).
pub const BAD_REQUEST: &str = "A business rule failed (captcha, password, file type...)";
/// 401: no token, or an invalid or expired one.
pub const UNAUTHORIZED: &str = "Missing, invalid or expired token";
/// 403: the caller lacks the role, flag or RBAC permission, or the rule forbids it.
pub const FORBIDDEN: &str = "Not permitted";
/// 404: the row (or a row it names) does not exist.
pub const NOT_FOUND: &str = "Not found";
/// 409: a unique name is taken, or the row is still in use.
pub const CONFLICT: &str = "Already exists, or still in use";
/// 413: the body is over the limit.
pub const TOO_LARGE: &str = "Payload too large";
/// 422: a parameter failed validation (`data.errors` lists them outside production).
pub const INVALID: &str = "Invalid request parameters";
/// 429: the per-client rate limit was hit.
pub const TOO_MANY_REQUESTS: &str = "Too many requests";
