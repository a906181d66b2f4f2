//! The plugin's use of the app's two-level cache (contract §8.1): keys
//! `{CACHE_CONFIG_REDIS_PREFIX}:{pk}` for one row and `{CACHE_CONFIG_REDIS_PREFIX}:{type}` for
//! the rows of a type (FBA's `fba:cache:config:…`), and the invalidation of the whole prefix
//! after every write, on every replica.
//!
//! The two key forms share one namespace, as in FBA: a numeric `type` names the same key as
//! the row with that id. The cache treats a value of the other shape as a miss, so such a
//! pair only loads from the database more often; it never answers the wrong shape.

use std::future::Future;

use fba_common::{AppResult, AppState};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The value cached under `{prefix}:{suffix}`, else what `load` returns (`None` is not
/// cached).
///
/// # Errors
/// `load`'s error.
pub(crate) async fn get_or_load<T, F, Fut>(
    state: &AppState,
    suffix: &str,
    load: F,
) -> AppResult<Option<T>>
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    F: FnOnce() -> Fut,
    Fut: Future<Output = AppResult<Option<T>>>,
{
    let key = state
        .keys()
        .cache(&state.settings.cache.config_prefix, suffix);
    state.cache.get_or_load(&key, load).await
}

/// Forgets every cached config value, here, in the Kv store and on every replica.
///
/// # Errors
/// 503 when the Kv store cannot be reached.
pub(crate) async fn invalidate(state: &AppState) -> AppResult<()> {
    state
        .cache
        .invalidate_prefix(&state.settings.cache.config_prefix)
        .await
}
