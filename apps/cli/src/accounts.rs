//! `fba create-superuser` and `fba reset-password`: fba-admin's user services over an
//! [`AppState`] opened from settings the way the server opens its own
//! ([`fba_server::bootstrap`]). The services own every rule (field rules, password policy and
//! history, session revocation announced to every replica); this module only looks the user up
//! by name and opens and closes the stores.

use std::sync::Arc;

use fba_admin::schema::user_admin::ResetPasswordParam;
use fba_admin::service::{auth, user};
use fba_common::ip_location::IpLocator;
use fba_common::{AppError, AppState};
use fba_core_conf::Settings;
use fba_server::bootstrap::{self, BootstrapError};

pub use fba_admin::service::user::NewSuperuser;

/// Why an account command failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// No user has that name.
    #[error("no user named {0}")]
    NotFound(String),
    /// The service refused (the API's message) or a store failed.
    #[error(transparent)]
    Refused(#[from] AppError),
    /// The stores could not be opened.
    #[error(transparent)]
    Bootstrap(#[from] BootstrapError),
}

/// The stores and state of one account command; [`Accounts::close`] releases them.
#[derive(Debug)]
pub struct Accounts {
    state: AppState,
}

impl Accounts {
    /// Connects the database and the Kv store and builds the services' state (no ip locator:
    /// a command serves no request).
    ///
    /// # Errors
    /// [`AccountError::Bootstrap`] when a store cannot be reached or no snowflake node is free.
    pub async fn open(settings: Settings) -> Result<Self, AccountError> {
        let (settings, modules) = bootstrap::prepare(settings)?;
        let settings = Arc::new(settings);
        let db = bootstrap::connect_database(&settings).await?;
        let kv = bootstrap::open_kv(&settings).await?;
        let state = bootstrap::app_state(settings, db, kv, IpLocator::disabled(), modules).await?;
        Ok(Self { state })
    }

    /// Creates a superuser ([`user::create_superuser`]) and returns its id.
    ///
    /// # Errors
    /// [`AccountError::Refused`] with the API's message for a bad field, a weak password, a
    /// taken username or e-mail; a store failure.
    pub async fn create_superuser(&self, new: NewSuperuser) -> Result<i64, AccountError> {
        Ok(user::create_superuser(&self.state, new).await?)
    }

    /// Sets `username`'s password as the API's reset does ([`user::reset_password`]: policy and
    /// history, every session of the user ended on every replica, the cached user dropped),
    /// then clears the user's login lock; returns the user's id.
    ///
    /// # Errors
    /// [`AccountError::NotFound`] for an unknown user, [`AccountError::Refused`] with the API's
    /// message for a password the policy refuses; a store failure.
    pub async fn reset_password(
        &self,
        username: &str,
        password: &str,
    ) -> Result<i64, AccountError> {
        let id = user::id_by_username(&self.state.db, username)
            .await?
            .ok_or_else(|| AccountError::NotFound(username.to_owned()))?;
        let password = ResetPasswordParam {
            password: password.to_owned(),
        }
        .parse()?;
        user::reset_password(&self.state, id, &password).await?;
        auth::clear_lock(&self.state, id).await?;
        Ok(id)
    }

    /// Releases the snowflake node lease (when one was taken) and closes the database pool.
    pub async fn close(self) {
        if let Some(ids) = &self.state.ids {
            ids.shutdown().await;
        }
        let _ = self.state.db.clone().close().await;
    }
}
