//! Business rules and transactions of the admin core, composed from [`crate::crud`] calls on
//! `&impl ConnectionTrait`. No HTTP types.

pub mod auth;
pub mod auth_store;
pub mod captcha;
pub mod data_permission;
pub mod data_rule;
pub mod data_scope;
pub mod dept;
pub mod login_log;
pub mod menu;
pub mod monitor;
pub mod opera_log;
pub mod password_policy;
pub mod role;
pub mod session_monitor;
pub mod token;
pub mod upload;
pub mod user;
pub mod user_me;
