//! Route helpers that give FBA's answers for paths and methods no handler serves.

use actix_web::{HttpRequest, Resource, web};

use crate::error::AppError;

/// A resource at `path` whose unserved methods answer FBA's 405 envelope.
///
/// Register every method of one path on the same resource
/// (`resource("/x").route(web::get().to(list)).route(web::post().to(create))`) so that a wrong
/// method is a 405 rather than a 404.
pub fn resource(path: &str) -> Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

/// Handler for unserved methods: 405 envelope.
pub async fn method_not_allowed() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::MethodNotAllowed)
}

/// Handler for unknown paths: 404 envelope (`{"code":404,"msg":"Not Found",...}`).
pub async fn not_found(_req: HttpRequest) -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::RouteNotFound)
}

/// The route template a request matches (`/api/v1/sys/users/{pk}`), `None` when no route does.
/// Finding it walks the route tree, so the first middleware that asks (metrics, tracing, the
/// operation log) stores it in the request's extensions for the others.
pub fn route_pattern(req: &actix_web::dev::ServiceRequest) -> Option<String> {
    use actix_web::HttpMessage;
    #[derive(Clone)]
    struct RoutePattern(Option<String>);
    if let Some(known) = req.extensions().get::<RoutePattern>() {
        return known.0.clone();
    }
    let pattern = req.match_pattern();
    req.extensions_mut().insert(RoutePattern(pattern.clone()));
    pattern
}
