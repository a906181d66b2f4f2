//! Tests of sessions (being written).
