//! Tests of data_permission (being written).
