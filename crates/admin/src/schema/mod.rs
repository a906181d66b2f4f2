//! Request and response types of the admin API, with FBA's JSON field names; requests are
//! validated here, at the edge. No queries, no business rules.

pub mod user;
