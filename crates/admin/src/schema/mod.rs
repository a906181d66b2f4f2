//! Request and response types of the admin API, with FBA's JSON field names; requests are
//! validated here, at the edge. No queries, no business rules.

pub mod auth;
pub mod data_rule;
pub mod data_scope;
pub mod dept;
pub mod login_log;
pub mod menu;
pub mod monitor;
pub mod opera_log;
pub mod role;
pub mod session;
pub mod user;
pub mod user_admin;
pub mod user_me;
