//! The route tree: `/health`, the API docs, the `/api/v1` crates, and FBA's 404 for the rest.

use actix_web::web;
use fba_core_conf::Settings;

/// Registers every route of the app.
pub fn configure(cfg: &mut web::ServiceConfig, settings: &Settings) {
    fba_common::extract::configure_extractors(cfg);
    cfg.service(
        fba_common::routing::resource("/health").route(web::get().to(crate::health::health)),
    );
    crate::openapi::configure(cfg, &settings.api);
    // Domain crates (admin, task, plugins, agent) mount their routes under the v1 prefix here.
    cfg.service(
        web::scope(&settings.api.v1_path).default_service(web::to(fba_common::routing::not_found)),
    );
}
