//! FBA's `config` plugin: parameters stored in `sys_config` (`/api/v1/sys/configs`), edited by
//! FBA's UI as forms per type (`LOGIN`, `USER_SECURITY`, `EMAIL`), cached in the app's
//! two-level cache, and read back as run-time overrides of the login and password settings on
//! every replica ([`overrides`]).
//!
//! Layout: [`model`] (the entity and its data model), [`schema`] (request and response shapes,
//! validated at the edge), `crud` (the queries the generic repository lacks), [`service`] (rules,
//! transactions, cache), `api` (thin handlers), `migration`, `seed`, [`overrides`], `module`
//! (the seam). This plugin owns `sys_config` and the `CACHE_CONFIG_REDIS_PREFIX` cache keys; it
//! writes no other table except its menu rows through `fba_admin::seed::ensure_menus`.

mod api;
mod cache;
mod crud;
mod error;
mod migration;
pub mod model;
mod module;
pub mod overrides;
pub mod schema;
mod seed;
pub mod service;

use std::sync::Arc;

use fba_common::module::Module;

use crate::{Plugin, PluginContext};

pub use error::ConfigPluginError;
pub use overrides::{Overrides, current_overrides};

/// The `config` plugin.
pub fn plugin() -> Plugin {
    Plugin {
        name: "config",
        manifest: include_str!("plugin.toml"),
        readme: include_str!("README.md"),
        build,
    }
}

fn build(ctx: PluginContext) -> Arc<dyn Module> {
    Arc::new(module::ConfigModule::new(ctx))
}
