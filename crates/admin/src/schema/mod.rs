//! Request and response types of the admin API, with FBA's JSON field names; requests are
//! validated here, at the edge. No queries, no business rules.
//!
//! A body's `parse` checks every field (collecting with [`fba_common::extract::FieldErrors`]),
//! so its 422 names every invalid field, as pydantic's does; `fba_common::validate_by_parse!` makes it the
//! body's [`fba_common::extract::Validate`] impl, which
//! [`fba_common::extract::ValidJson`] calls.

pub mod auth;
pub mod data_rule;
pub mod data_scope;
pub mod dept;
pub mod login_log;
pub mod menu;
pub mod monitor;
pub mod opera_log;
pub mod phone;
pub mod role;
pub mod session;
pub mod user;
pub mod user_admin;
pub mod user_me;
