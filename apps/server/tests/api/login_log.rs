//! Tests of login_log (being written).
