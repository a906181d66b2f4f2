//! Tests of the sandbox part (being built).
