//! # fba-server
//!
//! Composes the fba-rs crates into one actix-web application, from the list of modules this
//! build enables ([`modules::enabled`], by cargo feature: each crate plugs in through
//! `fba_common::module::Module`).
//! [`Application::build`] connects the database and the Kv store, migrates (and seeds a new
//! database), binds the listener and returns a server ready to run. Tests build it on port 0.

pub mod bootstrap;
mod health;
pub mod malloc_arenas;
pub mod modules;
mod openapi;
mod routes;
pub mod startup;

pub use startup::{Application, StartupError};
