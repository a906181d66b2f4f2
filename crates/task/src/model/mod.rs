//! The task system's tables as sea-orm entities.

pub mod task_queue;
pub mod task_result;
pub mod task_scheduler;
