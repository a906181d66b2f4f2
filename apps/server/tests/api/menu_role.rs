//! Tests of menu_role (being written).
