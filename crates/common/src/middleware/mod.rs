//! HTTP middleware shared by every fba-rs app.

pub mod body_deadline;
pub mod opera_log;
mod request_context;

pub use body_deadline::BodyDeadline;
pub use request_context::RequestContext;
