//! FBA's `notice` plugin: system notices and announcements (`/api/v1/sys/notices`, table
//! `sys_notice`).
//!
//! Laid out like the admin core: [`model`] (the entity), [`schema`] (request and response
//! types, validated at the edge), [`crud`] (the queries the generic repository does not
//! cover), [`service`] (rules and transactions), [`api`] (thin handlers), [`error`], and the
//! module's [`migration`], [`seed`] and [`module`]. It owns `sys_notice` and its menus only;
//! the routes go through [`PluginContext::mount`], so the plugin's switch guards each of them.

pub mod api;
pub mod crud;
pub mod error;
pub mod migration;
pub mod model;
pub mod module;
pub mod schema;
pub mod seed;
pub mod service;

use std::sync::Arc;

use fba_common::module::Module;

use crate::{Plugin, PluginContext};

pub use error::NoticeError;

/// The `notice` plugin.
pub fn plugin() -> Plugin {
    Plugin {
        name: "notice",
        manifest: include_str!("plugin.toml"),
        readme: include_str!("README.md"),
        build,
    }
}

fn build(ctx: PluginContext) -> Arc<dyn Module> {
    Arc::new(module::NoticeModule::new(ctx))
}
