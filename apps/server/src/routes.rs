//! The route tree: `/health`, the API docs, the modules' public routes, their `/api/v1`
//! routes behind the JWT middleware, and FBA's 404 for the rest.

use actix_web::web;
use fba_common::module::Modules;
use fba_core_conf::Settings;

/// Registers every route of the app.
pub fn configure(
    cfg: &mut web::ServiceConfig,
    settings: &Settings,
    modules: &Modules,
    doc: &crate::openapi::BuiltDocument,
) {
    fba_common::extract::configure_extractors(cfg);
    cfg.service(
        fba_common::routing::resource("/health").route(web::get().to(crate::health::health)),
    );
    if settings.grafana.metrics_enable {
        cfg.service(
            fba_common::routing::resource("/metrics")
                .route(web::get().to(fba_common::metrics::serve)),
        );
    }
    crate::openapi::configure(cfg, &settings.api, doc);
    fba_common::socketio::configure(cfg);
    modules.configure_public(cfg);
    cfg.service(
        web::scope(&settings.api.v1_path)
            .wrap(fba_common::security::JwtAuth)
            .configure(|cfg| modules.configure_api(cfg))
            .default_service(web::to(fba_common::routing::not_found)),
    );
}
