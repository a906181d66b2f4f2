//! Queries on the admin entities of [`crate::model`]. No business rules, no HTTP types.

pub mod access;
pub mod common;
pub mod data_rule;
pub mod data_scope;
pub mod dept;
pub mod login_log;
pub mod menu;
pub mod opera_log;
pub mod password_history;
pub mod role;
pub mod user;
