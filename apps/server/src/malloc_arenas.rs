//! A cap on glibc's malloc arenas, set before the server starts a thread.
//!
//! glibc gives every thread that allocates an arena of its own, up to eight per core: the
//! actix workers, the blocking pool and SQLite's one thread per connection each hold freed
//! memory apart, and under load that is most of the server's heap growth (on the embedded
//! SQLite defaults, peak RSS 54 MB with glibc's default against 47 MB with two arenas:
//! `docs/benchmarks.md`). glibc reads its arena cap only from the environment at process start,
//! so [`restart_with_cap`] replaces the process, once, by the same binary with the same
//! arguments and `MALLOC_ARENA_MAX` set. The process id stays the same (an `exec`, not a
//! child), so supervisors and signals are unaffected.

/// The cap set when the environment does not choose one.
pub const DEFAULT_ARENA_MAX: &str = "2";

/// Unless `MALLOC_ARENA_MAX` is already set (an operator's value, or this restart's), replaces
/// the process by the same binary and arguments with `MALLOC_ARENA_MAX=2`. Call it first in
/// `main`, before any thread or runtime exists. Returns only when nothing was done (the
/// variable is set, or the build does not use glibc: `None`) or the restart failed (the
/// error, for the caller to log once logging is up; the server then runs with glibc's default).
pub fn restart_with_cap() -> Option<std::io::Error> {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() || !cfg!(target_env = "gnu") {
        return None;
    }
    exec_self()
}

#[cfg(unix)]
fn exec_self() -> Option<std::io::Error> {
    use std::os::unix::process::CommandExt;
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => return Some(e),
    };
    let mut args = std::env::args_os();
    let mut command = std::process::Command::new(exe);
    if let Some(arg0) = args.next() {
        command.arg0(arg0);
    }
    // `exec` returns only when it failed.
    Some(
        command
            .args(args)
            .env("MALLOC_ARENA_MAX", DEFAULT_ARENA_MAX)
            .exec(),
    )
}

#[cfg(not(unix))]
fn exec_self() -> Option<std::io::Error> {
    None
}
