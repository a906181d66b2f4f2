//! HTTP middleware shared by every fba-rs app.

mod request_context;

pub use request_context::RequestContext;
