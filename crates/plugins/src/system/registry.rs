//! [`PluginRegistry`]: the compiled-in plugins' manifests and their `enable` switches, kept in
//! the Kv store as FBA keeps them (`fba:plugin:{name}`), with a per-replica copy of the switches
//! that every replica updates when one of them toggles a plugin.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use fba_common::{AppResult, AppState};
use fba_db::kv::Delivery;
use serde_json::Value;

use super::PluginError;
use super::manifest::{Manifest, info_enabled};

/// One compiled-in plugin's texts: its parsed manifest, `plugin.toml` and `README.md`.
#[derive(Debug)]
pub struct Source {
    /// The parsed manifest.
    pub manifest: Manifest,
    /// `plugin.toml` as written.
    pub toml: &'static str,
    /// `README.md`.
    pub readme: &'static str,
}

/// The plugins of one app.
#[derive(Debug)]
pub struct PluginRegistry {
    plugins: Vec<Source>,
    enabled: RwLock<HashMap<&'static str, bool>>,
    live: AtomicBool,
}

impl PluginRegistry {
    /// The registry of `plugins`, in dependency order.
    pub fn new(plugins: Vec<Source>) -> Self {
        Self {
            plugins,
            enabled: RwLock::new(HashMap::new()),
            live: AtomicBool::new(false),
        }
    }

    /// The plugins' names, in dependency order.
    pub fn names(&self) -> Vec<&'static str> {
        self.plugins.iter().map(|p| p.manifest.name).collect()
    }

    fn manifest(&self, name: &str) -> Option<&Manifest> {
        self.plugins
            .iter()
            .map(|p| &p.manifest)
            .find(|m| m.name == name)
    }

    /// FBA's start-up registration: each plugin's record written with its manifest, keeping the
    /// `enable` switch it had (`"1"` for a new one); records of plugins no longer compiled in
    /// are deleted, and so is `fba:plugin:changed`.
    ///
    /// # Errors
    /// The Kv store failed.
    pub async fn register(&self, state: &AppState) -> AppResult<()> {
        let keys = state.keys();
        let changed = keys.plugin_changed();
        for key in state.kv.keys_with_prefix(&keys.plugin_prefix()).await? {
            let name = key.strip_prefix(&keys.plugin_prefix()).unwrap_or_default();
            if key != changed && self.manifest(name).is_none() {
                state.kv.del(&key).await?;
            }
        }
        let mut enabled = HashMap::new();
        for manifest in self.plugins.iter().map(|p| &p.manifest) {
            let key = keys.plugin(manifest.name);
            let was = state
                .kv
                .get(&key)
                .await?
                .and_then(|v| serde_json::from_str::<Value>(&v).ok())
                .and_then(|v| info_enabled(&v))
                .unwrap_or(true);
            let info = manifest.info(was).to_string();
            state.kv.set(&key, &info, None).await?;
            enabled.insert(manifest.name, was);
        }
        state.kv.del(&changed).await?;
        if let Ok(mut map) = self.enabled.write() {
            *map = enabled;
        }
        Ok(())
    }

    /// Whether plugin `name` is switched on: this replica's copy while the change channel is
    /// subscribed, else the Kv record (a lost record is written again, switched on: a
    /// compiled-in plugin always exists).
    ///
    /// # Errors
    /// The Kv store failed.
    pub async fn is_enabled(&self, state: &AppState, name: &'static str) -> AppResult<bool> {
        if self.live.load(Ordering::Acquire)
            && let Some(on) = self.enabled.read().ok().and_then(|m| m.get(name).copied())
        {
            return Ok(on);
        }
        self.read(state, name).await
    }

    async fn read(&self, state: &AppState, name: &'static str) -> AppResult<bool> {
        let key = state.keys().plugin(name);
        let stored = state
            .kv
            .get(&key)
            .await?
            .and_then(|v| serde_json::from_str::<Value>(&v).ok())
            .and_then(|v| info_enabled(&v));
        let on = match stored {
            Some(on) => on,
            None => {
                if let Some(manifest) = self.manifest(name) {
                    let info = manifest.info(true).to_string();
                    state.kv.set_nx(&key, &info, None).await?;
                }
                true
            }
        };
        if let Ok(mut map) = self.enabled.write() {
            map.insert(name, on);
        }
        Ok(on)
    }

    /// `GET /sys/plugins`: every plugin record in the Kv store (FBA reads them all back).
    ///
    /// # Errors
    /// The Kv store failed.
    pub async fn list(&self, state: &AppState) -> AppResult<Vec<Value>> {
        let keys = state.keys();
        let changed = keys.plugin_changed();
        let mut names: Vec<String> = state
            .kv
            .keys_with_prefix(&keys.plugin_prefix())
            .await?
            .into_iter()
            .filter(|k| *k != changed)
            .collect();
        names.sort();
        if names.is_empty() {
            return Ok(Vec::new());
        }
        Ok(state
            .kv
            .mget(&names)
            .await?
            .into_iter()
            .flatten()
            .filter_map(|v| serde_json::from_str::<Value>(&v).ok())
            .filter(Value::is_object)
            .collect())
    }

    /// `GET /sys/plugins/changed`.
    ///
    /// # Errors
    /// The Kv store failed.
    pub async fn changed(&self, state: &AppState) -> AppResult<bool> {
        Ok(state.kv.exists(&state.keys().plugin_changed()).await?)
    }

    /// `PUT /sys/plugins/{name}/status`: flips the switch, marks plugins changed and tells every
    /// replica.
    ///
    /// # Errors
    /// [`PluginError::NotFound`] for a plugin that is not compiled in; the Kv store failed.
    pub async fn toggle(&self, state: &AppState, name: &str) -> AppResult<()> {
        let manifest = self.manifest(name).ok_or(PluginError::NotFound)?;
        let on = !self.read(state, manifest.name).await?;
        let keys = state.keys();
        let info = manifest.info(on).to_string();
        state
            .kv
            .set(&keys.plugin(manifest.name), &info, None)
            .await?;
        state.kv.set(&keys.plugin_changed(), "true", None).await?;
        if let Ok(mut map) = self.enabled.write() {
            map.insert(manifest.name, on);
        }
        if let Err(e) = state
            .kv
            .publish(keys.plugin_status_channel(), manifest.name)
            .await
        {
            tracing::warn!(error = %e, plugin = manifest.name, "plugin switch not announced");
        }
        Ok(())
    }

    /// `GET /sys/plugins/{name}`: the plugin's `plugin.toml` and `README.md` in a zip
    /// (`{name}/plugin.toml`, `{name}/README.md`), as FBA zips the plugin's folder.
    ///
    /// # Errors
    /// [`PluginError::NotFound`] for an unknown plugin.
    pub fn zip(&self, name: &str) -> AppResult<Vec<u8>> {
        let plugin = self
            .plugins
            .iter()
            .find(|p| p.manifest.name == name)
            .ok_or(PluginError::NotFound)?;
        let mut out = std::io::Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut out);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        let fail = |e: &dyn std::fmt::Display| fba_common::AppError::internal(e);
        for (file, text) in [("plugin.toml", plugin.toml), ("README.md", plugin.readme)] {
            zip.start_file(format!("{}/{file}", plugin.manifest.name), options)
                .map_err(|e| fail(&e))?;
            zip.write_all(text.as_bytes()).map_err(|e| fail(&e))?;
        }
        zip.finish().map_err(|e| fail(&e))?;
        Ok(out.into_inner())
    }

    /// Follows the switches other replicas make (the channel of
    /// [`fba_common::kv_keys::KvKeys::plugin_status_channel`]); while the channel is down,
    /// every check reads the Kv store.
    ///
    /// # Errors
    /// The Kv store refused the subscription.
    pub async fn watch(
        self: &Arc<Self>,
        state: &AppState,
    ) -> AppResult<tokio::task::JoinHandle<()>> {
        let mut sub = state
            .kv
            .subscribe(state.keys().plugin_status_channel())
            .await?;
        self.live.store(true, Ordering::Release);
        let this = Arc::downgrade(self);
        let state = state.clone();
        Ok(tokio::spawn(async move {
            while let Some(delivery) = sub.next().await {
                let Some(registry) = this.upgrade() else {
                    return;
                };
                match delivery {
                    Delivery::Message(name) => {
                        if let Some(name) = registry.manifest(&name).map(|m| m.name)
                            && let Err(e) = registry.read(&state, name).await
                        {
                            tracing::warn!(error = %e, plugin = name, "plugin switch not read");
                            registry.live.store(false, Ordering::Release);
                        }
                    }
                    Delivery::Interrupted => registry.live.store(false, Ordering::Release),
                    Delivery::Resumed => {
                        // Switches made while the channel was down were missed: read them all.
                        let mut fresh = true;
                        for name in registry.names() {
                            fresh &= registry.read(&state, name).await.is_ok();
                        }
                        registry.live.store(fresh, Ordering::Release);
                    }
                }
            }
            if let Some(registry) = this.upgrade() {
                registry.live.store(false, Ordering::Release);
            }
        }))
    }
}
