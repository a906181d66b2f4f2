//! FBA's plugin system for compiled-in plugins.
//!
//! A plugin is a [`Plugin`]: its `plugin.toml` and `README.md` (FBA's files, embedded) and a
//! constructor of its [`Module`], which mounts its routes through [`PluginContext::mount`] so
//! that each request checks the plugin's `enable` switch. [`modules`] parses and validates the
//! manifests, orders the plugins by `depends_on` (refusing a cycle, a self-reference, a missing
//! plugin, or a build without the required `dict`), and returns the plugin-system module
//! (`/sys/plugins`, the registration in the Kv store at start-up, the switch watcher) followed
//! by the plugins' modules.

mod api;
pub mod manifest;
pub mod registry;

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::{Next, from_fn};
use actix_web::web::{self, ServiceConfig};
use fba_common::i18n::{t, t_args};
use fba_common::module::{BackgroundService, Module};
use fba_common::{AppError, AppState};

pub use manifest::Manifest;
pub use registry::{PluginRegistry, Source};

/// Plugins the app cannot run without (FBA's `get_required_plugins`).
pub const REQUIRED: &[&str] = &["dict"];

/// The plugin system's failures.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PluginError {
    /// A `plugin.toml` that FBA's schema refuses.
    #[error("plugin {plugin}: invalid plugin.toml: {why}")]
    Manifest {
        /// The plugin.
        plugin: &'static str,
        /// What is wrong.
        why: String,
    },
    /// `depends_on` names the plugin itself.
    #[error("plugin {0} depends on itself")]
    SelfDependency(&'static str),
    /// `depends_on` names a plugin that is not compiled in.
    #[error("plugin {plugin} depends on {missing}, which is not compiled in")]
    MissingDependency {
        /// The plugin.
        plugin: &'static str,
        /// What it needs.
        missing: String,
    },
    /// The plugins depend on each other in a loop.
    #[error("plugins depend on each other in a cycle: {0}")]
    Cycle(String),
    /// A required plugin is not compiled in.
    #[error("the required plugin {0} is not compiled in (cargo feature of fba-plugins)")]
    RequiredMissing(&'static str),
    /// Two plugins share a name.
    #[error("plugin {0} is listed twice")]
    Duplicate(&'static str),
    /// 404 `插件不存在`.
    #[error("plugin not found")]
    NotFound,
    /// 403 `插件 {name} 未启用，请联系系统管理员`.
    #[error("plugin {0} is disabled")]
    Disabled(&'static str),
    /// 400: plugins are compiled in; none is installed or removed at run time.
    #[error("plugins are compiled in")]
    CompiledInOnly,
}

impl From<PluginError> for AppError {
    fn from(e: PluginError) -> Self {
        match e {
            PluginError::NotFound => AppError::NotFound(t("error-plugin-not-found")),
            PluginError::Disabled(name) => {
                AppError::Forbidden(t_args("error-plugin-disabled", &[("name", name.into())]))
            }
            PluginError::CompiledInOnly => AppError::BadRequest(t("error-plugin-compiled-in")),
            other => AppError::internal(other),
        }
    }
}

/// One compiled-in plugin.
pub struct Plugin {
    /// Its name (FBA's folder name: `dict`, `config`, `notice`).
    pub name: &'static str,
    /// Its `plugin.toml`.
    pub manifest: &'static str,
    /// Its `README.md`.
    pub readme: &'static str,
    /// Builds its module; the module mounts its routes with [`PluginContext::mount`].
    pub build: fn(PluginContext) -> Arc<dyn Module>,
}

/// What a plugin's module needs from the plugin system.
#[derive(Clone)]
pub struct PluginContext {
    name: &'static str,
    registry: Arc<PluginRegistry>,
}

impl PluginContext {
    /// The plugin's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Mounts `routes` under `path` (below the API prefix, e.g. `/sys/dict-types`) behind the
    /// plugin's switch: while the plugin is off, every request there is answered 403 with FBA's
    /// `插件 {name} 未启用，请联系系统管理员`.
    pub fn mount(
        &self,
        cfg: &mut ServiceConfig,
        path: &str,
        routes: impl FnOnce(&mut ServiceConfig),
    ) {
        let registry = Arc::clone(&self.registry);
        let name = self.name;
        cfg.service(
            web::scope(path)
                .wrap(from_fn(move |req: ServiceRequest, next: Next<_>| {
                    let registry = Arc::clone(&registry);
                    async move { guard(registry, name, req, next).await }
                }))
                .configure(routes),
        );
    }
}

async fn guard<B: MessageBody + 'static>(
    registry: Arc<PluginRegistry>,
    name: &'static str,
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal("no app state".into()))?;
    if !registry.is_enabled(&state, name).await? {
        return Err(AppError::from(PluginError::Disabled(name)).into());
    }
    next.call(req).await
}

/// The plugin-system module and the modules of `plugins`, in dependency order.
///
/// # Errors
/// [`PluginError`] for an invalid manifest, a dependency problem or a missing required plugin.
pub fn modules(plugins: Vec<Plugin>) -> Result<Vec<Arc<dyn Module>>, PluginError> {
    let mut parsed = Vec::with_capacity(plugins.len());
    for plugin in &plugins {
        if parsed
            .iter()
            .any(|(m, _): &(Manifest, &Plugin)| m.name == plugin.name)
        {
            return Err(PluginError::Duplicate(plugin.name));
        }
        parsed.push((Manifest::parse(plugin.name, plugin.manifest)?, plugin));
    }
    for required in REQUIRED {
        if !parsed.iter().any(|(m, _)| m.name == *required) {
            return Err(PluginError::RequiredMissing(required));
        }
    }
    let order = dependency_order(&parsed.iter().map(|(m, _)| m).collect::<Vec<_>>())?;
    let sources: Vec<Source> = order
        .iter()
        .map(|&i| Source {
            manifest: parsed[i].0.clone(),
            toml: parsed[i].1.manifest,
            readme: parsed[i].1.readme,
        })
        .collect();
    let registry = Arc::new(PluginRegistry::new(sources));
    let mut list: Vec<Arc<dyn Module>> = vec![Arc::new(PluginSystem {
        registry: Arc::clone(&registry),
    })];
    for i in order {
        let plugin = parsed[i].1;
        list.push((plugin.build)(PluginContext {
            name: plugin.name,
            registry: Arc::clone(&registry),
        }));
    }
    Ok(list)
}

/// Indices of `manifests` so that each comes after what it depends on (stable otherwise).
fn dependency_order(manifests: &[&Manifest]) -> Result<Vec<usize>, PluginError> {
    let index = |name: &str| manifests.iter().position(|m| m.name == name);
    for m in manifests {
        for dep in &m.depends_on {
            if dep == m.name {
                return Err(PluginError::SelfDependency(m.name));
            }
            if index(dep).is_none() {
                return Err(PluginError::MissingDependency {
                    plugin: m.name,
                    missing: dep.clone(),
                });
            }
        }
    }
    let mut order = Vec::with_capacity(manifests.len());
    let mut state = vec![0u8; manifests.len()]; // 0 new, 1 visiting, 2 done
    fn visit(
        i: usize,
        manifests: &[&Manifest],
        state: &mut [u8],
        order: &mut Vec<usize>,
        path: &mut Vec<&'static str>,
    ) -> Result<(), PluginError> {
        match state[i] {
            2 => return Ok(()),
            1 => {
                path.push(manifests[i].name);
                return Err(PluginError::Cycle(path.join(" -> ")));
            }
            _ => {}
        }
        state[i] = 1;
        path.push(manifests[i].name);
        for dep in &manifests[i].depends_on {
            if let Some(j) = manifests.iter().position(|m| m.name == dep) {
                visit(j, manifests, state, order, path)?;
            }
        }
        path.pop();
        state[i] = 2;
        order.push(i);
        Ok(())
    }
    for i in 0..manifests.len() {
        visit(i, manifests, &mut state, &mut order, &mut Vec::new())?;
    }
    Ok(order)
}

/// The plugin system as a module: `/sys/plugins`, the records in the Kv store, the watcher.
struct PluginSystem {
    registry: Arc<PluginRegistry>,
}

#[async_trait::async_trait]
impl Module for PluginSystem {
    fn name(&self) -> &'static str {
        "plugin"
    }

    fn configure_api(&self, cfg: &mut ServiceConfig) {
        let registry = web::Data::from(Arc::clone(&self.registry));
        cfg.service(
            web::scope("/sys/plugins")
                .app_data(registry)
                .configure(api::configure),
        );
    }

    fn openapi(&self) -> utoipa::openapi::OpenApi {
        <api::PluginApi as utoipa::OpenApi>::openapi()
    }

    async fn start(&self, state: &AppState) -> Result<Vec<Box<dyn BackgroundService>>, AppError> {
        self.registry.register(state).await?;
        let watcher = self.registry.watch(state).await?;
        Ok(vec![Box::new(Watcher(watcher))])
    }
}

/// The switch watcher, stopped with the app.
struct Watcher(tokio::task::JoinHandle<()>);

#[async_trait::async_trait]
impl BackgroundService for Watcher {
    fn name(&self) -> &'static str {
        "plugin.status_watcher"
    }

    async fn stop(self: Box<Self>) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(name: &'static str, deps: &[&str]) -> Manifest {
        Manifest {
            name,
            json: manifest::empty(),
            depends_on: deps.iter().map(|d| (*d).to_owned()).collect(),
        }
    }

    fn order(list: &[Manifest]) -> Result<Vec<&'static str>, PluginError> {
        let refs: Vec<&Manifest> = list.iter().collect();
        Ok(dependency_order(&refs)?
            .into_iter()
            .map(|i| list[i].name)
            .collect())
    }

    #[test]
    fn plugins_come_after_what_they_depend_on() {
        let list = [
            manifest("notice", &["config"]),
            manifest("config", &["dict"]),
            manifest("dict", &[]),
        ];
        assert_eq!(order(&list).unwrap(), ["dict", "config", "notice"]);
    }

    #[test]
    fn cycles_self_references_and_missing_plugins_are_refused_with_one_line() {
        let cycle = [manifest("a", &["b"]), manifest("b", &["a"])];
        assert_eq!(
            order(&cycle).unwrap_err().to_string(),
            "plugins depend on each other in a cycle: a -> b -> a"
        );
        assert_eq!(
            order(&[manifest("a", &["a"])]).unwrap_err().to_string(),
            "plugin a depends on itself"
        );
        assert_eq!(
            order(&[manifest("a", &["zzz"])]).unwrap_err().to_string(),
            "plugin a depends on zzz, which is not compiled in"
        );
    }
}
