//! FBA's `dict` plugin (required): dictionary types and their entries, which feed every
//! select, radio group and status tag of FBA's UI (`GET /sys/dict-datas/type-codes/{code}`).
//!
//! Layout as the admin core: [`model`] (entities, data models), [`schema`] (request and
//! response shapes, validated at the edge), `crud` (queries the generic repository does not
//! cover), `service` (rules, transactions, the dict cache), `api` (thin handlers), plus the
//! migration, the seed and the [`module::DictModule`] that plugs it all into the app. Routes
//! are mounted only through [`PluginContext::mount`], so they answer 403 while the plugin is
//! switched off. This module owns `sys_dict_type`, `sys_dict_data` and the
//! `fba:cache:dict` cache prefix; it touches no other table except to seed its menus.

use std::sync::Arc;

use fba_common::module::Module;

use crate::{Plugin, PluginContext};

mod api;
mod crud;
pub mod error;
pub mod migration;
pub mod model;
pub mod module;
pub mod schema;
mod seed;
mod service;

pub use error::DictError;

/// The `dict` plugin.
pub fn plugin() -> Plugin {
    Plugin {
        name: "dict",
        manifest: include_str!("plugin.toml"),
        readme: include_str!("README.md"),
        build,
    }
}

fn build(ctx: PluginContext) -> Arc<dyn Module> {
    Arc::new(module::DictModule::new(ctx))
}
