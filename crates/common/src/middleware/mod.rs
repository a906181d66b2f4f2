//! HTTP middleware shared by every fba-rs app.

pub mod opera_log;
mod request_context;

pub use request_context::RequestContext;
