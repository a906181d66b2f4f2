//! The command line of the `fba-sandbox-exec` helper, built by the sandbox and parsed by the
//! helper (one definition, so both sides agree).
//!
//! ```text
//! fba-sandbox-exec [--as N] [--cpu N] [--nproc N] [--fsize N] [--nofile N]
//!                  [--landlock] [--landlock-ro PATH]... [--landlock-rw PATH]...
//!                  [--seccomp] -- COMMAND [ARG]...
//! fba-sandbox-exec --probe
//! ```

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

/// The rlimits the helper sets on itself before it execs the command (`RLIMIT_CORE` is always 0).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RlimitSpec {
    /// `RLIMIT_AS`, bytes.
    pub address_space: Option<u64>,
    /// `RLIMIT_CPU`, seconds (the hard limit is one second more, so SIGXCPU comes first).
    pub cpu_secs: Option<u64>,
    /// `RLIMIT_NPROC`.
    pub processes: Option<u64>,
    /// `RLIMIT_FSIZE`, bytes.
    pub file_size: Option<u64>,
    /// `RLIMIT_NOFILE`.
    pub open_files: Option<u64>,
}

/// The parsed command line of the helper.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HelperArgs {
    /// Report what the kernel supports (Landlock ABI, seccomp) and exit.
    pub probe: bool,
    /// The rlimits to set.
    pub rlimits: RlimitSpec,
    /// Apply a Landlock ruleset (with the two path lists below).
    pub landlock: bool,
    /// Paths readable and executable (not writable) after Landlock.
    pub landlock_ro: Vec<PathBuf>,
    /// Paths fully accessible after Landlock.
    pub landlock_rw: Vec<PathBuf>,
    /// Install the seccomp filter (no sockets but AF_UNIX, no ptrace, mount, namespaces…).
    pub seccomp: bool,
    /// The command to exec (resolved through `PATH`).
    pub command: Vec<OsString>,
}

/// A command line the helper cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HelperArgsError {
    /// An option the helper does not know.
    #[error("unknown option {0:?}")]
    UnknownOption(String),
    /// An option without its value.
    #[error("option {0} needs a value")]
    MissingValue(&'static str),
    /// A numeric option with a value that is not a number.
    #[error("option {0} needs a number, got {1:?}")]
    BadNumber(&'static str, String),
    /// No command after `--` (and no `--probe`).
    #[error("no command given (expected `-- COMMAND [ARG]...`)")]
    NoCommand,
}

impl HelperArgs {
    /// The arguments to pass to the helper (without the program name).
    pub fn to_args(&self) -> Vec<OsString> {
        let mut out: Vec<OsString> = Vec::new();
        if self.probe {
            out.push("--probe".into());
            return out;
        }
        let numbers = [
            ("--as", self.rlimits.address_space),
            ("--cpu", self.rlimits.cpu_secs),
            ("--nproc", self.rlimits.processes),
            ("--fsize", self.rlimits.file_size),
            ("--nofile", self.rlimits.open_files),
        ];
        for (flag, value) in numbers {
            if let Some(value) = value {
                out.push(flag.into());
                out.push(value.to_string().into());
            }
        }
        if self.landlock {
            out.push("--landlock".into());
        }
        for path in &self.landlock_ro {
            out.push("--landlock-ro".into());
            out.push(path.clone().into_os_string());
        }
        for path in &self.landlock_rw {
            out.push("--landlock-rw".into());
            out.push(path.clone().into_os_string());
        }
        if self.seccomp {
            out.push("--seccomp".into());
        }
        out.push("--".into());
        out.extend(self.command.iter().cloned());
        out
    }

    /// Parses the helper's arguments (without the program name).
    ///
    /// # Errors
    /// An unknown option, a missing or non-numeric value, or no command.
    pub fn parse<I>(args: I) -> Result<Self, HelperArgsError>
    where
        I: IntoIterator<Item = OsString>,
    {
        let mut parsed = Self::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let Some(flag) = arg.to_str() else {
                return Err(HelperArgsError::UnknownOption(
                    arg.to_string_lossy().into_owned(),
                ));
            };
            match flag {
                "--" => {
                    parsed.command = args.collect();
                    break;
                }
                "--probe" => parsed.probe = true,
                "--landlock" => parsed.landlock = true,
                "--seccomp" => parsed.seccomp = true,
                "--landlock-ro" => {
                    let value = args
                        .next()
                        .ok_or(HelperArgsError::MissingValue("--landlock-ro"))?;
                    parsed.landlock_ro.push(PathBuf::from(value));
                }
                "--landlock-rw" => {
                    let value = args
                        .next()
                        .ok_or(HelperArgsError::MissingValue("--landlock-rw"))?;
                    parsed.landlock_rw.push(PathBuf::from(value));
                }
                "--as" => parsed.rlimits.address_space = Some(number("--as", args.next())?),
                "--cpu" => parsed.rlimits.cpu_secs = Some(number("--cpu", args.next())?),
                "--nproc" => parsed.rlimits.processes = Some(number("--nproc", args.next())?),
                "--fsize" => parsed.rlimits.file_size = Some(number("--fsize", args.next())?),
                "--nofile" => parsed.rlimits.open_files = Some(number("--nofile", args.next())?),
                other => return Err(HelperArgsError::UnknownOption(other.to_owned())),
            }
        }
        if !parsed.probe && parsed.command.is_empty() {
            return Err(HelperArgsError::NoCommand);
        }
        Ok(parsed)
    }
}

/// Parses the value of a numeric option.
fn number(flag: &'static str, value: Option<OsString>) -> Result<u64, HelperArgsError> {
    let value = value.ok_or(HelperArgsError::MissingValue(flag))?;
    let text = value.to_str().unwrap_or_default();
    text.parse()
        .map_err(|_| HelperArgsError::BadNumber(flag, OsStr::to_string_lossy(&value).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn round_trips() {
        let args = HelperArgs {
            probe: false,
            rlimits: RlimitSpec {
                address_space: Some(1 << 30),
                cpu_secs: Some(5),
                processes: None,
                file_size: Some(100),
                open_files: Some(64),
            },
            landlock: true,
            landlock_ro: vec![PathBuf::from("/usr")],
            landlock_rw: vec![PathBuf::from("/w s"), PathBuf::from("/tmp/x")],
            seccomp: true,
            command: os(&["python3", "--", "-c", "print(1)"]),
        };
        assert_eq!(HelperArgs::parse(args.to_args()).unwrap(), args);
    }

    #[test]
    fn bad_input_is_an_error() {
        assert_eq!(
            HelperArgs::parse(os(&["--as"])),
            Err(HelperArgsError::MissingValue("--as"))
        );
        assert_eq!(
            HelperArgs::parse(os(&["--cpu", "x", "--", "true"])),
            Err(HelperArgsError::BadNumber("--cpu", "x".into()))
        );
        assert_eq!(
            HelperArgs::parse(os(&["--what"])),
            Err(HelperArgsError::UnknownOption("--what".into()))
        );
        assert_eq!(
            HelperArgs::parse(os(&["--seccomp"])),
            Err(HelperArgsError::NoCommand)
        );
        assert!(HelperArgs::parse(os(&["--probe"])).unwrap().probe);
    }
}
