//! What the `fba-sandbox-exec` helper does to itself before it execs the sandboxed command:
//! rlimits, a Landlock ruleset and a seccomp filter. Everything here restricts the *calling*
//! process, so only the helper calls it (never the server).

use std::collections::BTreeMap;
use std::path::PathBuf;

use landlock::{
    ABI, Access, AccessFs, AccessNet, CompatLevel, Compatible, LandlockStatus, Ruleset,
    RulesetAttr, RulesetCreatedAttr, RulesetStatus, Scope, path_beneath_rules,
};
use nix::libc;
use nix::sys::resource::{Resource, getrlimit, setrlimit};
use seccompiler::{
    SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter, SeccompRule,
    TargetArch,
};

use super::helper_cli::RlimitSpec;

/// A restriction the helper could not apply.
#[derive(Debug, thiserror::Error)]
pub enum RestrictError {
    /// `setrlimit` failed.
    #[error("setrlimit {0}: {1}")]
    Rlimit(&'static str, nix::Error),
    /// Building or applying the Landlock ruleset failed.
    #[error("landlock: {0}")]
    Landlock(#[from] landlock::RulesetError),
    /// The kernel accepted the ruleset but enforces none of it.
    #[error("landlock is not enforced by this kernel")]
    LandlockNotEnforced,
    /// Building or applying the seccomp filter failed.
    #[error("seccomp: {0}")]
    Seccomp(#[from] seccompiler::Error),
    /// Building the seccomp filter failed.
    #[error("seccomp filter: {0}")]
    SeccompBackend(#[from] seccompiler::BackendError),
}

/// The Landlock ABI the rules are written for (scopes need ABI 6; older kernels get the
/// subset they support).
const LANDLOCK_TARGET: ABI = ABI::V6;

/// Sets the rlimits (never above the current hard limit) and `RLIMIT_CORE` = 0.
///
/// # Errors
/// A `setrlimit` call the kernel refuses.
pub fn apply_rlimits(spec: &RlimitSpec) -> Result<(), RestrictError> {
    let limits = [
        ("RLIMIT_AS", Resource::RLIMIT_AS, spec.address_space, 0),
        ("RLIMIT_CPU", Resource::RLIMIT_CPU, spec.cpu_secs, 1),
        ("RLIMIT_NPROC", Resource::RLIMIT_NPROC, spec.processes, 0),
        ("RLIMIT_FSIZE", Resource::RLIMIT_FSIZE, spec.file_size, 0),
        ("RLIMIT_NOFILE", Resource::RLIMIT_NOFILE, spec.open_files, 0),
        ("RLIMIT_CORE", Resource::RLIMIT_CORE, Some(0), 0),
    ];
    for (name, resource, value, hard_extra) in limits {
        let Some(value) = value else { continue };
        let (_, current_hard) = getrlimit(resource).map_err(|e| RestrictError::Rlimit(name, e))?;
        let hard = value.saturating_add(hard_extra).min(current_hard);
        let soft = value.min(hard);
        setrlimit(resource, soft, hard).map_err(|e| RestrictError::Rlimit(name, e))?;
    }
    Ok(())
}

/// What applying Landlock achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LandlockOutcome {
    /// The kernel's Landlock ABI (None: not available).
    pub abi: Option<u32>,
    /// Whether every requested restriction is enforced.
    pub fully_enforced: bool,
}

/// Restricts this process with Landlock: `read_only` paths readable and executable, `read_write`
/// paths fully accessible, everything else denied; TCP bind and connect denied; no connecting to
/// abstract Unix sockets or signalling processes outside the sandbox. Paths that do not exist are
/// skipped.
///
/// # Errors
/// The ruleset cannot be built, or the kernel enforces none of it.
pub fn apply_landlock(
    read_only: &[PathBuf],
    read_write: &[PathBuf],
) -> Result<LandlockOutcome, RestrictError> {
    let abi = LANDLOCK_TARGET;
    let status = Ruleset::default()
        .set_compatibility(CompatLevel::BestEffort)
        .handle_access(AccessFs::from_all(abi))?
        .handle_access(AccessNet::from_all(abi))?
        .scope(Scope::from_all(abi))?
        .create()?
        .add_rules(path_beneath_rules(read_only, AccessFs::from_read(abi)))?
        .add_rules(path_beneath_rules(read_write, AccessFs::from_all(abi)))?
        .restrict_self()?;
    let kernel_abi = match status.landlock {
        LandlockStatus::Available {
            effective_abi,
            kernel_abi,
        } => Some(kernel_abi.map_or(effective_abi as u32, |v| v.unsigned_abs())),
        _ => None,
    };
    match status.ruleset {
        RulesetStatus::NotEnforced => Err(RestrictError::LandlockNotEnforced),
        RulesetStatus::FullyEnforced => Ok(LandlockOutcome {
            abi: kernel_abi,
            fully_enforced: true,
        }),
        _ => Ok(LandlockOutcome {
            abi: kernel_abi,
            fully_enforced: false,
        }),
    }
}

/// Syscalls denied with `EPERM`: debugging other processes, mounts and namespaces, kernel
/// keyrings, BPF, module and kexec loading, io_uring (which would bypass the socket rule), and
/// leaving the process group (which would escape the timeout's `killpg`).
fn denied_syscalls() -> Vec<i64> {
    vec![
        libc::SYS_ptrace,
        libc::SYS_process_vm_readv,
        libc::SYS_process_vm_writev,
        libc::SYS_mount,
        libc::SYS_umount2,
        libc::SYS_pivot_root,
        libc::SYS_chroot,
        libc::SYS_unshare,
        libc::SYS_setns,
        libc::SYS_bpf,
        libc::SYS_perf_event_open,
        libc::SYS_userfaultfd,
        libc::SYS_keyctl,
        libc::SYS_add_key,
        libc::SYS_request_key,
        libc::SYS_kexec_load,
        libc::SYS_kexec_file_load,
        libc::SYS_init_module,
        libc::SYS_finit_module,
        libc::SYS_delete_module,
        libc::SYS_open_by_handle_at,
        libc::SYS_io_uring_setup,
        libc::SYS_setsid,
        libc::SYS_setpgid,
    ]
}

/// The namespace flags `clone` may not use.
const CLONE_NAMESPACE_FLAGS: [i32; 7] = [
    libc::CLONE_NEWNS,
    libc::CLONE_NEWUTS,
    libc::CLONE_NEWIPC,
    libc::CLONE_NEWUSER,
    libc::CLONE_NEWPID,
    libc::CLONE_NEWNET,
    libc::CLONE_NEWCGROUP,
];

/// The two filters: `EPERM` for the denied calls (sockets other than `AF_UNIX`, the list
/// above, `clone` with namespace flags), and `ENOSYS` for `clone3` (its flags cannot be
/// inspected; the C library then falls back to `clone`).
fn build_filters() -> Result<Vec<seccompiler::BpfProgram>, RestrictError> {
    let arch = TargetArch::try_from(std::env::consts::ARCH)?;
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
    for syscall in denied_syscalls() {
        rules.insert(syscall, Vec::new());
    }
    let not_unix = SeccompCondition::new(
        0,
        SeccompCmpArgLen::Dword,
        SeccompCmpOp::Ne,
        libc::AF_UNIX.unsigned_abs().into(),
    )?;
    rules.insert(libc::SYS_socket, vec![SeccompRule::new(vec![not_unix])?]);
    let mut clone_rules = Vec::new();
    for flag in CLONE_NAMESPACE_FLAGS {
        let bits = u64::from(flag.unsigned_abs());
        let condition = SeccompCondition::new(
            0,
            SeccompCmpArgLen::Qword,
            SeccompCmpOp::MaskedEq(bits),
            bits,
        )?;
        clone_rules.push(SeccompRule::new(vec![condition])?);
    }
    rules.insert(libc::SYS_clone, clone_rules);
    let deny = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EPERM.unsigned_abs()),
        arch,
    )?;
    let mut clone3 = BTreeMap::new();
    clone3.insert(libc::SYS_clone3, Vec::new());
    let no_clone3 = SeccompFilter::new(
        clone3,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::ENOSYS.unsigned_abs()),
        arch,
    )?;
    Ok(vec![deny.try_into()?, no_clone3.try_into()?])
}

/// Installs the seccomp filters on this (single-threaded) process; sets `no_new_privs`.
///
/// # Errors
/// The architecture is not supported or the kernel refuses the filter.
pub fn apply_seccomp() -> Result<(), RestrictError> {
    for filter in build_filters()? {
        seccompiler::apply_filter(&filter)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_build_for_this_architecture() {
        let filters = build_filters().unwrap();
        assert_eq!(filters.len(), 2);
        assert!(filters.iter().all(|f| !f.is_empty()));
    }
}
