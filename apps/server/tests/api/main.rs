//! Integration tests of the fba-rs server on a real running App (one test binary for the app).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod auth;
mod data_permission;
mod dept_user;
mod envelope;
mod hardening;
mod health;
mod helpers;
mod login_log;
mod menu_role;
mod metrics;
mod module_seam;
mod monitor;
mod no_permission;
mod opera_log;
mod outage;
mod rbac;
mod sessions;
mod settings;
mod socketio;
mod user_me;
mod validation;
