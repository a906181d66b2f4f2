//! The route tree: `/health`, the API docs, the `/api/v1` crates, and FBA's 404 for the rest.

use actix_web::web;
use fba_core_conf::Settings;

/// Registers every route of the app.
pub fn configure(
    cfg: &mut web::ServiceConfig,
    settings: &Settings,
    doc: &crate::openapi::BuiltDocument,
) {
    fba_common::extract::configure_extractors(cfg);
    cfg.service(
        fba_common::routing::resource("/health").route(web::get().to(crate::health::health)),
    );
    crate::openapi::configure(cfg, &settings.api, doc);
    // Uploaded files are public, as FBA serves them (outside the JWT scope).
    cfg.service(fba_admin::api::v1::sys::file::static_upload_service());
    // Domain crates (admin, then task, plugins, agent) mount their routes under the v1 prefix,
    // behind FBA's JWT middleware. `/auth/codes` is registered before the `/auth` scope.
    cfg.service(
        web::scope(&settings.api.v1_path)
            .wrap(fba_common::security::JwtAuth)
            .configure(fba_admin::api::v1::codes::configure)
            .configure(fba_admin::configure)
            .default_service(web::to(fba_common::routing::not_found)),
    );
}
