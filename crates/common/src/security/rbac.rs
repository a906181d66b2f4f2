//! Role-based access control enforced by casbin.
//!
//! The policy is `p, role:{id}, {permission code}` for every enabled menu of every enabled role,
//! loaded from the [`AuthStore`]. A request passes when any of the user's enabled roles holds the
//! route's code. After a role or menu change, [`Rbac::policy_changed`] reloads this process and
//! publishes on the Kv channel [`RELOAD_CHANNEL`]; every replica listening through
//! [`Rbac::watch`] reloads too.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use casbin::{CoreApi, DefaultModel, Enforcer, MemoryAdapter, MgmtApi};
use fba_db::SharedKv;
use fba_db::kv::Delivery;

use super::AuthStore;
use crate::error::{AppError, AppResult};

/// Kv pub/sub channel announcing a policy change.
pub const RELOAD_CHANNEL: &str = crate::kv_keys::CASBIN_RELOAD_CHANNEL;

const MODEL: &str = r#"
[request_definition]
r = sub, obj

[policy_definition]
p = sub, obj

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.sub == p.sub && r.obj == p.obj
"#;

/// The shared enforcer.
pub struct Rbac {
    enforcer: RwLock<Enforcer>,
    store: Arc<dyn AuthStore>,
    generation: AtomicU64,
}

impl std::fmt::Debug for Rbac {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rbac").finish_non_exhaustive()
    }
}

async fn build(policies: Vec<(i64, String)>) -> AppResult<Enforcer> {
    let model = DefaultModel::from_str(MODEL)
        .await
        .map_err(AppError::internal)?;
    let mut enforcer = Enforcer::new(model, MemoryAdapter::default())
        .await
        .map_err(AppError::internal)?;
    let rules: Vec<Vec<String>> = policies
        .into_iter()
        .map(|(role, code)| vec![format!("role:{role}"), code])
        .collect();
    if !rules.is_empty() {
        enforcer
            .add_policies(rules)
            .await
            .map_err(AppError::internal)?;
    }
    Ok(enforcer)
}

impl Rbac {
    /// Loads the policy from `store`.
    ///
    /// # Errors
    /// A database failure.
    pub async fn load(store: Arc<dyn AuthStore>) -> AppResult<Self> {
        let enforcer = build(store.role_permissions().await?).await?;
        Ok(Self {
            enforcer: RwLock::new(enforcer),
            store,
            generation: AtomicU64::new(1),
        })
    }

    /// Re-reads the policy from the database.
    ///
    /// # Errors
    /// A database failure (the old policy stays in force).
    pub async fn reload(&self) -> AppResult<()> {
        let fresh = build(self.store.role_permissions().await?).await?;
        match self.enforcer.write() {
            Ok(mut guard) => *guard = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
        self.generation.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    /// A counter bumped by every reload (here or announced by another replica): in-process
    /// caches of access data (menus, roles) tag their entries with it and drop them when it
    /// moves.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Reloads here and tells the other replicas to reload.
    ///
    /// # Errors
    /// A database or Kv failure.
    pub async fn policy_changed(&self, kv: &SharedKv) -> AppResult<()> {
        self.reload().await?;
        kv.publish(RELOAD_CHANNEL, "reload").await?;
        Ok(())
    }

    /// Whether role `role_id` holds `code`.
    pub fn role_has(&self, role_id: i64, code: &str) -> bool {
        let guard = match self.enforcer.read() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        guard
            .enforce((format!("role:{role_id}"), code))
            .unwrap_or(false)
    }

    /// Starts a task that reloads the policy whenever another replica announces a change.
    ///
    /// # Errors
    /// When the Kv store cannot subscribe.
    pub async fn watch(self: &Arc<Self>, kv: &SharedKv) -> AppResult<tokio::task::JoinHandle<()>> {
        let mut sub = kv.subscribe(RELOAD_CHANNEL).await?;
        let this = Arc::downgrade(self);
        Ok(tokio::spawn(async move {
            while let Some(delivery) = sub.next().await {
                // A message, or a resubscription after which one may have been missed.
                if delivery == Delivery::Interrupted {
                    continue;
                }
                let Some(rbac) = this.upgrade() else { break };
                if let Err(e) = rbac.reload().await {
                    tracing::error!(error = %e, "RBAC policy reload failed");
                }
            }
        }))
    }
}
