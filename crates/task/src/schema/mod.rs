//! Request and response shapes of FBA's task API (`app/task/schema`), with FBA's field names:
//! [`scheduler`] (`/schedulers`), [`result`] (`/task-results`), [`control`] (`/tasks`).
//! Bodies and queries are validated here into typed values (422 naming the field); deeper
//! code never re-checks them. No I/O, no business rules.

pub mod control;
pub mod result;
pub mod scheduler;
