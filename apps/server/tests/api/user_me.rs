//! Tests of user_me (being written).
