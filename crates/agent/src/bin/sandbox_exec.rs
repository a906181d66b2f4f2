//! `fba-sandbox-exec`: restricts itself, then execs the sandboxed command.
//!
//! The sandbox runs every command through this helper (inside bubblewrap, or directly on the
//! host for the Landlock layer). It sets its own rlimits (`RLIMIT_CORE` = 0 always), applies
//! the Landlock ruleset and the seccomp filter when asked, and replaces itself with the command,
//! so the restrictions hold for the command and everything it starts.
//!
//! ```text
//! fba-sandbox-exec [--as N] [--cpu N] [--nproc N] [--fsize N] [--nofile N]
//!                  [--landlock] [--landlock-ro PATH]... [--landlock-rw PATH]...
//!                  [--seccomp] -- COMMAND [ARG]...
//! fba-sandbox-exec --probe      # prints `landlock_abi=N landlock=full seccomp=ok`
//! ```
//! Exit codes: 126 when the arguments are bad or a restriction cannot be applied (or the
//! command cannot be executed), 127 when the command is not found; one line on stderr says why.

use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode};

use fba_agent::sandbox::helper_cli::HelperArgs;
use fba_agent::sandbox::restrict::{apply_landlock, apply_rlimits, apply_seccomp};

/// Setup failed or the command cannot be executed.
const CANNOT_EXECUTE: u8 = 126;
/// The command was not found.
const NOT_FOUND: u8 = 127;

fn main() -> ExitCode {
    let args = match HelperArgs::parse(std::env::args_os().skip(1)) {
        Ok(args) => args,
        Err(e) => return fail(CANNOT_EXECUTE, &format!("bad arguments: {e}")),
    };
    if args.probe {
        return probe();
    }
    if let Err(e) = apply_rlimits(&args.rlimits) {
        return fail(CANNOT_EXECUTE, &e.to_string());
    }
    if args.landlock
        && let Err(e) = apply_landlock(&args.landlock_ro, &args.landlock_rw)
    {
        return fail(CANNOT_EXECUTE, &e.to_string());
    }
    if args.seccomp
        && let Err(e) = apply_seccomp()
    {
        return fail(CANNOT_EXECUTE, &e.to_string());
    }
    let Some((program, rest)) = args.command.split_first() else {
        return fail(CANNOT_EXECUTE, "no command given");
    };
    // Only returns on failure.
    let err = Command::new(program).args(rest).exec();
    let code = if err.kind() == std::io::ErrorKind::NotFound {
        NOT_FOUND
    } else {
        CANNOT_EXECUTE
    };
    fail(
        code,
        &format!("cannot execute {}: {err}", program.to_string_lossy()),
    )
}

/// Applies an empty Landlock ruleset and the seccomp filter to this process and prints what
/// worked, for the isolation report.
fn probe() -> ExitCode {
    let landlock = match apply_landlock(&[], &[]) {
        Ok(outcome) => format!(
            "landlock_abi={} landlock={}",
            outcome
                .abi
                .map_or_else(|| "none".to_owned(), |v| v.to_string()),
            if outcome.fully_enforced {
                "full"
            } else {
                "partial"
            }
        ),
        Err(_) => "landlock_abi=none landlock=none".to_owned(),
    };
    let seccomp = match apply_seccomp() {
        Ok(()) => "seccomp=ok".to_owned(),
        Err(e) => format!("seccomp=error:{}", e.to_string().replace(' ', "_")),
    };
    println!("{landlock} {seccomp}");
    ExitCode::SUCCESS
}

/// Prints one line on stderr and returns the exit code.
fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("fba-sandbox-exec: {message}");
    ExitCode::from(code)
}
