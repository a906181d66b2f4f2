//! Queries on the task tables that the generic repository ([`fba_db::Repository`]: get,
//! list, page, delete by ids, update by id) does not cover: the list filters, the inserts and
//! the column updates of the API. No business rules, no HTTP types.

pub mod result;
pub mod scheduler;
