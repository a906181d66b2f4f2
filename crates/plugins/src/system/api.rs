//! `/api/v1/sys/plugins` (superusers only): the plugin list from the Kv store, whether plugins
//! changed, the enable switch, the manifest + README zip; install and uninstall answer 400
//! because plugins are compiled in.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use fba_common::openapi as doc;
use fba_common::response::{Null, ResponseModel, ok, ok_empty};
use fba_common::routing::resource;
use fba_common::security::SuperUser;
use fba_common::{AppResult, AppState};

use super::{PluginError, PluginRegistry};

/// One plugin's record: its `plugin.toml` as JSON (`plugin`, `app`, `api`, `settings`) with
/// `plugin.name` and `plugin.enable` (`"1"` / `"0"`). For the document only.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
#[schema(value_type = Object)]
struct PluginInfo(serde_json::Value);

/// `GET /sys/plugins`.
#[utoipa::path(
    get,
    path = "/api/v1/sys/plugins",
    tag = "系统插件",
    operation_id = "get_all_plugins",
    summary = "获取所有插件",
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "list[dict]: each plugin's plugin.toml with plugin.name and plugin.enable (\"1\"/\"0\")", body = ResponseModel<Vec<PluginInfo>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
    )
)]
async fn list(
    _su: SuperUser,
    state: web::Data<AppState>,
    registry: web::Data<PluginRegistry>,
) -> AppResult<HttpResponse> {
    Ok(ok(registry.list(&state).await?))
}

/// `GET /sys/plugins/changed`.
#[utoipa::path(
    get,
    path = "/api/v1/sys/plugins/changed",
    tag = "系统插件",
    operation_id = "plugin_changed",
    summary = "是否存在插件变更",
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "bool", body = ResponseModel<bool>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
    )
)]
async fn changed(
    _su: SuperUser,
    state: web::Data<AppState>,
    registry: web::Data<PluginRegistry>,
) -> AppResult<HttpResponse> {
    Ok(ok(registry.changed(&state).await?))
}

/// `POST /sys/plugins?type=zip|git`: refused, plugins are compiled in.
#[utoipa::path(
    post,
    path = "/api/v1/sys/plugins",
    tag = "系统插件",
    operation_id = "install_plugin",
    summary = "安装插件",
    security(("HTTPBearer" = [])),
    responses(
        (status = 400, description = "plugins are compiled in: none is installed at run time", body = ref(doc::ERROR_BODY)),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
    )
)]
async fn install(_su: SuperUser) -> AppResult<HttpResponse> {
    Err(PluginError::CompiledInOnly.into())
}

/// `DELETE /sys/plugins/{plugin}`: refused (404 for an unknown plugin).
#[utoipa::path(
    delete,
    path = "/api/v1/sys/plugins/{plugin}",
    tag = "系统插件",
    operation_id = "uninstall_plugin",
    summary = "卸载插件",
    params(("plugin" = String, Path, description = "插件名称")),
    security(("HTTPBearer" = [])),
    responses(
        (status = 400, description = "plugins are compiled in: none is removed at run time", body = ref(doc::ERROR_BODY)),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
    )
)]
async fn uninstall(
    _su: SuperUser,
    registry: web::Data<PluginRegistry>,
    plugin: web::Path<String>,
) -> AppResult<HttpResponse> {
    if !registry.names().contains(&plugin.as_str()) {
        return Err(PluginError::NotFound.into());
    }
    Err(PluginError::CompiledInOnly.into())
}

/// `PUT /sys/plugins/{plugin}/status`: switches the plugin on or off (every replica follows).
#[utoipa::path(
    put,
    path = "/api/v1/sys/plugins/{plugin}/status",
    tag = "系统插件",
    operation_id = "update_plugin_status",
    summary = "更新插件状态",
    params(("plugin" = String, Path, description = "插件名称")),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "null", body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
    )
)]
async fn update_status(
    _su: SuperUser,
    state: web::Data<AppState>,
    registry: web::Data<PluginRegistry>,
    plugin: web::Path<String>,
) -> AppResult<HttpResponse> {
    registry.toggle(&state, &plugin).await?;
    Ok(ok_empty())
}

/// `GET /sys/plugins/{plugin}`: `{plugin}.zip` with its `plugin.toml` and `README.md`.
#[utoipa::path(
    get,
    path = "/api/v1/sys/plugins/{plugin}",
    tag = "系统插件",
    operation_id = "download_plugin",
    summary = "下载插件",
    params(("plugin" = String, Path, description = "插件名称")),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "application/x-zip-compressed", content_type = "application/x-zip-compressed", body = Vec<u8>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
    )
)]
async fn download(
    _su: SuperUser,
    registry: web::Data<PluginRegistry>,
    plugin: web::Path<String>,
) -> AppResult<HttpResponse> {
    let bytes = registry.zip(&plugin)?;
    Ok(HttpResponse::Ok()
        .content_type("application/x-zip-compressed")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename={plugin}.zip"),
        ))
        .body(bytes))
}

/// The OpenAPI paths of `/sys/plugins`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, changed, install, uninstall, update_status, download))]
pub struct PluginApi;

/// Registers the routes (inside the `/sys/plugins` scope).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("")
            .route(web::get().to(list))
            .route(web::post().to(install)),
    )
    .service(resource("/changed").route(web::get().to(changed)))
    .service(resource("/{plugin}/status").route(web::put().to(update_status)))
    .service(
        resource("/{plugin}")
            .route(web::get().to(download))
            .route(web::delete().to(uninstall)),
    );
}
