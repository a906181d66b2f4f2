//! The modules this build of the server is made of, chosen by cargo features.

use std::sync::Arc;

use fba_common::module::{Module, ModuleError, Modules};

/// The modules compiled in, in mounting order: the admin core (feature `admin`), the task
/// system (feature `task`), then the plugin system and its plugins (feature `plugins`, each plugin a feature of `fba-plugins`),
/// then the agent (feature `agent`); all on by default.
///
/// # Errors
/// [`ModuleError::Invalid`] when the plugins cannot be composed (an invalid manifest, a
/// dependency cycle, the required `dict` plugin left out).
pub fn enabled() -> Result<Vec<Arc<dyn Module>>, ModuleError> {
    #[allow(unused_mut)]
    let mut list: Vec<Arc<dyn Module>> = vec![
        #[cfg(feature = "admin")]
        fba_admin::module(),
        #[cfg(feature = "task")]
        fba_task::module(),
    ];
    #[cfg(feature = "plugins")]
    list.extend(fba_plugins::modules().map_err(|e| ModuleError::Invalid(e.to_string()))?);
    #[cfg(feature = "agent")]
    list.push(fba_agent::module::module());
    Ok(list)
}

/// [`enabled`] as an app, with `extra` modules after them (tests, services embedding fba-rs).
///
/// # Errors
/// [`ModuleError`] when the modules cannot be composed or two share a name or a data model.
pub fn with(extra: Vec<Arc<dyn Module>>) -> Result<Modules, ModuleError> {
    let mut list = enabled()?;
    list.extend(extra);
    Modules::new(list)
}
