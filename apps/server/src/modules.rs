//! The modules this build of the server is made of, chosen by cargo features.

use std::sync::Arc;

use fba_common::module::{Module, ModuleError, Modules};

/// The modules compiled in, in mounting order: the admin core (feature `admin`, on by
/// default), then the task system, the plugins and the agent as their crates arrive.
pub fn enabled() -> Vec<Arc<dyn Module>> {
    vec![
        #[cfg(feature = "admin")]
        fba_admin::module(),
    ]
}

/// [`enabled`] as an app, with `extra` modules after them (tests, services embedding fba-rs).
///
/// # Errors
/// [`ModuleError`] when two modules share a name or a data model.
pub fn with(extra: Vec<Arc<dyn Module>>) -> Result<Modules, ModuleError> {
    let mut list = enabled();
    list.extend(extra);
    Modules::new(list)
}
