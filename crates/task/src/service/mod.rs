//! The task system's business rules: schedule entries, results, worker control.

pub mod control;
pub mod result;
pub mod scheduler;
