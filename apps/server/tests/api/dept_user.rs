//! Tests of dept_user (being written).
