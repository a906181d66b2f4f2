//! Tests of auth (being written).
