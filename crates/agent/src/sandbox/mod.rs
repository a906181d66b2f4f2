//! The local sandbox (being built).

pub mod paths;
