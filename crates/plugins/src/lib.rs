//! # fba-plugins
//!
//! FBA's plugin system for fba-rs, and its plugins. FBA installs plugins from folders at run
//! time; here they are compiled in (one module and one cargo feature each, all on by default),
//! and everything else about them follows FBA: the `plugin.toml` manifests, the `depends_on`
//! order, `dict` required, the `/sys/plugins` API, and the per-plugin `enable` switch in the Kv
//! store that every plugin route checks (see [`system`]).
//!
//! [`modules`] is what the server mounts.

pub mod system;

#[cfg(feature = "config")]
pub mod config;
#[cfg(feature = "dict")]
pub mod dict;
#[cfg(feature = "notice")]
pub mod notice;

use std::sync::Arc;

use fba_common::module::Module;

pub use system::{Plugin, PluginContext, PluginError};

/// The plugins compiled into this build (cargo features), in no particular order.
pub fn plugins() -> Vec<Plugin> {
    vec![
        #[cfg(feature = "dict")]
        dict::plugin(),
        #[cfg(feature = "config")]
        config::plugin(),
        #[cfg(feature = "notice")]
        notice::plugin(),
    ]
}

/// The plugin-system module and every compiled-in plugin's module, in dependency order.
///
/// # Errors
/// [`PluginError`] for an invalid manifest, a dependency problem or a missing required plugin.
pub fn modules() -> Result<Vec<Arc<dyn Module>>, PluginError> {
    system::modules(plugins())
}
