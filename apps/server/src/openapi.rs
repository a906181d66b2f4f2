//! OpenAPI document and the documentation pages at FBA's paths (`/openapi`, `/docs`, `/redoc`).
//!
//! The pages load Swagger UI and ReDoc from a CDN in the browser, as FastAPI's do; nothing is
//! downloaded at build time.

use actix_web::{HttpResponse, web};
use fba_common::module::Modules;
use fba_core_conf::ApiSettings;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The server's own part of the API description: `/health` and FBA's `HTTPBearer` security
/// scheme; the modules' documents are merged into it ([`document`]).
#[derive(OpenApi)]
#[openapi(
    paths(crate::health::health),
    components(schemas(crate::health::Health, fba_common::module::HealthReport)),
    modifiers(&BearerScheme),
    tags((name = "health", description = "liveness of the server and its stores"))
)]
pub struct ApiDoc;

/// The API prefix the handlers' `#[utoipa::path]` annotations are written under.
const DEFAULT_V1_PATH: &str = "/api/v1";

/// Name of the security scheme that authenticated routes require (FBA's
/// `Depends(HTTPBearer())`, so FastAPI names it after the class).
pub const SECURITY_SCHEME: &str = "HTTPBearer";

/// Adds the [`SECURITY_SCHEME`] (`Authorization: Bearer <access token>`) to the components.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            SECURITY_SCHEME,
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The OpenAPI document of the server and every module, with the configured title and
/// description.
pub fn document(api: &ApiSettings, modules: &Modules) -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(modules.openapi());
    if api.v1_path != DEFAULT_V1_PATH {
        // The handlers are annotated under the default prefix; move them to the mounted one so
        // the paths (and the operation log's title lookup by pattern) match the routes.
        let paths = std::mem::take(&mut doc.paths.paths);
        doc.paths.paths = paths
            .into_iter()
            .map(|(path, item)| match path.strip_prefix(DEFAULT_V1_PATH) {
                Some(rest) if rest.is_empty() || rest.starts_with('/') => {
                    (format!("{}{rest}", api.v1_path), item)
                }
                _ => (path, item),
            })
            .collect();
    }
    doc.info.title = api.title.clone();
    doc.info.description = Some(api.description.clone());
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}

/// The document built once at start-up: its JSON (served at `FASTAPI_OPENAPI_URL`) and the
/// route titles the operation log records. Building it allocates a lot for a moment, so it is
/// done once on the main thread, not in every HTTP worker.
#[derive(Clone)]
pub struct BuiltDocument {
    json: web::Data<OpenApiJson>,
}

impl BuiltDocument {
    /// Builds the document, returns it with the operation log's titles taken from it.
    pub fn build(
        api: &ApiSettings,
        modules: &Modules,
    ) -> (Self, fba_common::middleware::opera_log::RouteTitles) {
        let doc = document(api, modules);
        let titles = fba_common::middleware::opera_log::RouteTitles::from_openapi(&doc);
        let json = if api.openapi_url.is_some() {
            serde_json::to_string(&doc).unwrap_or_else(|e| {
                tracing::error!(error = %e, "cannot serialise the OpenAPI document");
                String::new()
            })
        } else {
            String::new()
        };
        let built = Self {
            json: web::Data::new(OpenApiJson(json)),
        };
        (built, titles)
    }
}

/// Mounts the document and the pages where the settings enable them.
pub fn configure(cfg: &mut web::ServiceConfig, api: &ApiSettings, built: &BuiltDocument) {
    let Some(openapi_url) = api.openapi_url.clone() else {
        return;
    };
    let json = built.json.clone();
    cfg.app_data(json.clone())
        .service(
            fba_common::routing::resource(&openapi_url).route(web::get().to(
                |doc: web::Data<OpenApiJson>| async move {
                    HttpResponse::Ok()
                        .content_type("application/json")
                        .body(doc.0.clone())
                },
            )),
        );
    if let Some(docs) = &api.docs_url {
        let page = swagger_page(&api.title, &openapi_url);
        cfg.service(
            fba_common::routing::resource(docs).route(web::get().to(move || {
                let page = page.clone();
                async move {
                    HttpResponse::Ok()
                        .content_type("text/html; charset=utf-8")
                        .body(page)
                }
            })),
        );
    }
    if let Some(redoc) = &api.redoc_url {
        let page = redoc_page(&api.title, &openapi_url);
        cfg.service(
            fba_common::routing::resource(redoc).route(web::get().to(move || {
                let page = page.clone();
                async move {
                    HttpResponse::Ok()
                        .content_type("text/html; charset=utf-8")
                        .body(page)
                }
            })),
        );
    }
}

struct OpenApiJson(String);

fn swagger_page(title: &str, openapi_url: &str) -> String {
    format!(
        r##"<!doctype html>
<html><head><meta charset="utf-8"><title>{title} - Swagger UI</title>
<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({{url: "{openapi_url}", dom_id: "#swagger-ui", persistAuthorization: true}});</script>
</body></html>"##
    )
}

fn redoc_page(title: &str, openapi_url: &str) -> String {
    format!(
        r##"<!doctype html>
<html><head><meta charset="utf-8"><title>{title} - ReDoc</title></head>
<body><redoc spec-url="{openapi_url}"></redoc>
<script src="https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js"></script>
</body></html>"##
    )
}
