//! The admin core's HTTP layer: actix-web handlers (extract, call one service function, wrap
//! the result in FBA's envelope) and [`configure`], which registers them under the API prefix.
//! Files mirror FBA's route tree: `v1/auth.rs` is `/api/v1/auth/*`, `v1/sys/user.rs` is
//! `/api/v1/sys/users/*`. No SQL, no business rules.

pub mod v1;

/// Registers the admin core's routes on `cfg` (mounted under `FASTAPI_API_V1_PATH`).
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    v1::configure(cfg);
}
