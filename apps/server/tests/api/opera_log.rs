//! Tests of opera_log (being written).
