//! Tests of monitor (being written).
