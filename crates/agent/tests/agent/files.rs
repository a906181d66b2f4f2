//! Tests of the files part (being built).
