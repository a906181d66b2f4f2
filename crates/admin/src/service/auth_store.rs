//! The database side of authentication for `fba-common`'s JWT middleware and RBAC.

use fba_common::AppResult;
use fba_common::security::{AuthStore, CurrentUser};
use fba_db::Db;

use crate::crud;

/// [`AuthStore`] over the admin tables.
#[derive(Debug, Clone)]
pub struct DbAuthStore {
    db: Db,
}

impl DbAuthStore {
    /// A store reading through `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait::async_trait]
impl AuthStore for DbAuthStore {
    async fn load_user(&self, id: i64) -> AppResult<Option<CurrentUser>> {
        Ok(crud::access::load_current_user(&self.db, id).await?)
    }

    async fn role_permissions(&self) -> AppResult<Vec<(i64, String)>> {
        Ok(crud::access::role_permissions(&self.db).await?)
    }
}
