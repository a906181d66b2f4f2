//! Virtual paths (being built).
