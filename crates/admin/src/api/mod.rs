//! The admin core's HTTP layer: actix-web handlers (extract, call one service function, wrap
//! the result in FBA's envelope) and [`configure`], which registers them. No SQL, no business
//! rules.

/// Registers the admin core's routes on `cfg`.
///
/// Registers nothing yet: the routes are added by the auth and user issues.
pub fn configure(_cfg: &mut actix_web::web::ServiceConfig) {}
