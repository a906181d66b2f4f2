//! The dict plugin's rules: lookups with FBA's 404s, writes with FBA's uniqueness checks, each
//! write in one transaction ([`fba_db::begin_write`]), and the two-level cache of dict data
//! (contract §8.1), whose only two touch points are [`cached`] and [`invalidate`].
//!
//! Cached (`CACHE_DICT_REDIS_PREFIX`, `fba:cache:dict`): one entry by id (`…:{pk}`) and the
//! enabled entries of a type code (`…:type:{code}`). The whole prefix is dropped after any
//! committed change to dict data (create, update, delete) or to dict types (update, delete):
//! FBA drops it only on data update and delete, and serves stale lists after the others until
//! the TTL ends.

pub mod dict_data;
pub mod dict_type;

use std::future::Future;

use fba_common::{AppResult, AppState};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The value under the dict cache key `{CACHE_DICT_REDIS_PREFIX}:{suffix}`, else what `load`
/// finds (cached when `Some`).
///
/// # Errors
/// `load`'s error.
async fn cached<T, F, Fut>(state: &AppState, suffix: &str, load: F) -> AppResult<Option<T>>
where
    T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
    F: FnOnce() -> Fut,
    Fut: Future<Output = AppResult<Option<T>>>,
{
    let key = state
        .keys()
        .cache(&state.settings.cache.dict_prefix, suffix);
    state.cache.get_or_load(&key, load).await
}

/// Drops every dict cache entry, here and on every replica.
///
/// # Errors
/// 503 when the Kv store cannot be reached.
async fn invalidate(state: &AppState) -> AppResult<()> {
    state
        .cache
        .invalidate_prefix(&state.settings.cache.dict_prefix)
        .await
}
