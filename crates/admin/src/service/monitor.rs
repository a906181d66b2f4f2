//! The server and Redis monitors (`/monitors/server`, `/monitors/redis`): host, disk and
//! process facts read with `sysinfo` on the blocking pool (disk space with `statvfs`, counted
//! as psutil counts it), and Redis's `INFO` text parsed into FBA's all-string shape. Reads
//! only; owns no state.
//!
//! FBA's formats are kept: sizes through [`fmt_bytes`] (`"12.34 GB"`), durations through
//! [`fmt_seconds`] (`"3 days 4 hours 5 minutes"`), shares as `"45.00%"`.

use std::collections::{HashMap, HashSet};
use std::net::{Ipv4Addr, UdpSocket};
use std::path::Path;

use chrono::{DateTime, Utc};
use fba_common::{AppError, AppResult, AppState};
use sysinfo::{
    CpuRefreshKind, DiskRefreshKind, Disks, MINIMUM_CPU_UPDATE_INTERVAL, Pid, ProcessRefreshKind,
    ProcessesToUpdate, System,
};

use crate::schema::monitor::{
    CpuInfo, DiskInfo, MemInfo, RedisCommandStat, RedisMonitorInfo, RedisServerInfo,
    ServerMonitorInfo, ServiceInfo, SysInfo,
};

/// File systems the disk list leaves out (virtual ones), as FBA does.
const EXCLUDED_FS: [&str; 9] = [
    "overlay", "overlay2", "tmpfs", "devtmpfs", "shm", "proc", "sysfs", "cgroup", "cgroup2",
];

/// Bytes per GiB, for the memory block.
const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// What the Redis monitor shows for a fact the in-process store does not have.
const NOT_APPLICABLE: &str = "-";

/// `redis_mode` of the in-process store: tells the reader that Redis is not in use.
pub const IN_PROCESS_MODE: &str = "in-process";

/// FBA's `fmt_bytes`: `size` with two decimals in the largest unit below 1024
/// (`"512.00 B"`, `"1.50 KB"`, `"12.34 GB"`, ... `"YB"`).
pub fn fmt_bytes(size: f64) -> String {
    let mut s = size;
    for unit in ["", "K", "M", "G", "T", "P", "E", "Z"] {
        if s.abs() < 1024.0 {
            return format!("{s:.2} {unit}B");
        }
        s /= 1024.0;
    }
    format!("{s:.2} YB")
}

/// FBA's `fmt_seconds`: whole days, hours and minutes that are not zero
/// (`"3 days 4 hours 5 minutes"`, `"1 hours"`), `"0 seconds"` under a minute.
pub fn fmt_seconds(seconds: u64) -> String {
    let days = seconds / 86_400;
    let hours = seconds % 86_400 / 3_600;
    let minutes = seconds % 3_600 / 60;
    let parts: Vec<String> = [(days, "days"), (hours, "hours"), (minutes, "minutes")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n} {unit}"))
        .collect();
    if parts.is_empty() {
        "0 seconds".to_owned()
    } else {
        parts.join(" ")
    }
}

/// Rounds to two decimals (Python's `round(x, 2)` up to ties).
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Bytes as `f64` for formatting (exact below 2^53, which covers any real size).
#[allow(clippy::cast_precision_loss)]
fn as_f64(n: u64) -> f64 {
    n as f64
}

/// Host, disk and process facts. Samples CPU usage over about 200 ms on the blocking pool, so
/// no async worker waits.
///
/// # Errors
/// 500 when the blocking task cannot run.
pub async fn server_info() -> AppResult<ServerMonitorInfo> {
    tokio::task::spawn_blocking(collect_server_info)
        .await
        .map_err(AppError::internal)
}

/// The blocking part of [`server_info`].
fn collect_server_info() -> ServerMonitorInfo {
    let mut sys = System::new();
    let pid = sysinfo::get_current_pid().ok();
    let process_kind = ProcessRefreshKind::nothing().with_cpu().with_memory();
    // Two samples of the CPU counters (machine and this process) one interval apart.
    sys.refresh_cpu_specifics(CpuRefreshKind::everything());
    if let Some(pid) = pid {
        sys.refresh_processes_specifics(ProcessesToUpdate::Some(&[pid]), false, process_kind);
    }
    std::thread::sleep(MINIMUM_CPU_UPDATE_INTERVAL);
    sys.refresh_cpu_usage();
    if let Some(pid) = pid {
        sys.refresh_processes_specifics(ProcessesToUpdate::Some(&[pid]), false, process_kind);
    }
    sys.refresh_memory();

    ServerMonitorInfo {
        cpu: cpu_info(&sys),
        mem: mem_info(&sys),
        sys: sys_info(),
        disk: disk_info(),
        service: service_info(&sys, pid),
    }
}

fn cpu_info(sys: &System) -> CpuInfo {
    let cpus = sys.cpus();
    let current_freq = if cpus.is_empty() {
        0.0
    } else {
        cpus.iter().map(|c| as_f64(c.frequency())).sum::<f64>() / as_f64(cpus.len() as u64)
    };
    CpuInfo {
        physical_num: System::physical_core_count().unwrap_or(0),
        logical_num: cpus.len(),
        max_freq: round2(cpufreq_limit(cpus.len(), "cpuinfo_max_freq")),
        min_freq: round2(cpufreq_limit(cpus.len(), "cpuinfo_min_freq")),
        current_freq: round2(current_freq),
        usage: round2(f64::from(sys.global_cpu_usage())),
    }
}

/// The average of a Linux `cpufreq` limit (kHz in sysfs) over the CPUs, in MHz; 0.0 where the
/// kernel does not publish it (virtual machines, other systems), as psutil answers.
fn cpufreq_limit(cpus: usize, file: &str) -> f64 {
    let values: Vec<f64> = (0..cpus)
        .filter_map(|i| {
            let path = format!("/sys/devices/system/cpu/cpu{i}/cpufreq/{file}");
            std::fs::read_to_string(path)
                .ok()?
                .trim()
                .parse::<f64>()
                .ok()
        })
        .collect();
    if values.is_empty() {
        0.0
    } else {
        values.iter().sum::<f64>() / as_f64(values.len() as u64) / 1000.0
    }
}

fn mem_info(sys: &System) -> MemInfo {
    let total = sys.total_memory();
    let available = sys.available_memory();
    let used = total.saturating_sub(available);
    let usage = if total == 0 {
        0.0
    } else {
        as_f64(used) / as_f64(total) * 100.0
    };
    MemInfo {
        total: round2(as_f64(total) / GIB),
        used: round2(as_f64(used) / GIB),
        free: round2(as_f64(available) / GIB),
        usage: round2(usage),
    }
}

fn sys_info() -> SysInfo {
    SysInfo {
        name: System::host_name().unwrap_or_default(),
        os: platform_system().to_owned(),
        ip: outbound_ipv4().to_string(),
        arch: System::cpu_arch(),
    }
}

/// Python's `platform.system()` for the systems Rust names in `std::env::consts::OS`.
fn platform_system() -> &'static str {
    match std::env::consts::OS {
        "linux" | "android" => "Linux",
        "macos" | "ios" => "Darwin",
        "windows" => "Windows",
        "freebsd" => "FreeBSD",
        "netbsd" => "NetBSD",
        "openbsd" => "OpenBSD",
        other => other,
    }
}

/// The local address of a UDP socket "connected" to 8.8.8.8 (no packet is sent): the address
/// of the default route; `127.0.0.1` without one.
fn outbound_ipv4() -> Ipv4Addr {
    let probe = || -> std::io::Result<Ipv4Addr> {
        let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
        socket.connect((Ipv4Addr::new(8, 8, 8, 8), 80))?;
        match socket.local_addr()?.ip() {
            std::net::IpAddr::V4(ip) if !ip.is_unspecified() => Ok(ip),
            _ => Ok(Ipv4Addr::LOCALHOST),
        }
    };
    probe().unwrap_or(Ipv4Addr::LOCALHOST)
}

fn disk_info() -> Vec<DiskInfo> {
    let disks = Disks::new_with_refreshed_list_specifics(DiskRefreshKind::nothing().with_storage());
    let mut seen = HashSet::new();
    let mut list = Vec::new();
    for disk in disks.list() {
        let fs_type = disk.file_system().to_string_lossy().into_owned();
        if EXCLUDED_FS.contains(&fs_type.to_lowercase().as_str()) {
            continue;
        }
        let device = disk.name().to_string_lossy().into_owned();
        let total = disk.total_space();
        if total == 0 || !seen.insert(device.clone()) {
            continue;
        }
        let space = block_space(disk.mount_point()).unwrap_or(BlockSpace {
            total,
            // without the free-block count, the blocks reserved for root count as used
            free: disk.available_space(),
            available: disk.available_space(),
        });
        let usage = space.usage();
        list.push(DiskInfo {
            dir: disk.mount_point().display().to_string(),
            device,
            fs_type,
            total: fmt_bytes(as_f64(space.total)),
            used: fmt_bytes(as_f64(usage.used)),
            free: fmt_bytes(as_f64(space.available)),
            usage: format!("{:.2}%", usage.percent),
        });
    }
    list
}

/// The space of a file system as `statvfs` reports it, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct BlockSpace {
    /// Size of the file system (`f_blocks`).
    total: u64,
    /// Free blocks, including those reserved for root (`f_bfree`).
    free: u64,
    /// Free blocks an unprivileged user may take (`f_bavail`).
    available: u64,
}

/// What psutil's `disk_usage` (so FBA, and `df`) reports as used.
#[derive(Debug, Clone, Copy, PartialEq)]
struct DiskUsage {
    /// `total - free`: blocks in use, the reserved ones not counted.
    used: u64,
    /// `used / (used + available) * 100`, rounded to one decimal as psutil does: the share
    /// of the space a user can have.
    percent: f64,
}

impl BlockSpace {
    /// psutil's arithmetic: used = total - free, percent of used + available.
    fn usage(self) -> DiskUsage {
        let used = self.total.saturating_sub(self.free);
        let user_total = as_f64(used) + as_f64(self.available);
        let percent = if user_total > 0.0 {
            (as_f64(used) / user_total * 1000.0).round() / 10.0
        } else {
            0.0
        };
        DiskUsage { used, percent }
    }
}

/// `statvfs` of a mount point (the same call sysinfo makes for the disks it lists); `None`
/// where it fails or on systems without it.
#[cfg(unix)]
// the block counts are `u64` on some targets and narrower on others
#[allow(clippy::useless_conversion)]
fn block_space(mount_point: &Path) -> Option<BlockSpace> {
    let st = nix::sys::statvfs::statvfs(mount_point).ok()?;
    let unit = u64::from(st.fragment_size());
    let bytes = |blocks: u64| blocks.saturating_mul(unit);
    Some(BlockSpace {
        total: bytes(u64::from(st.blocks())),
        free: bytes(u64::from(st.blocks_free())),
        available: bytes(u64::from(st.blocks_available())),
    })
}

/// Without `statvfs` the free-block count is unknown.
#[cfg(not(unix))]
fn block_space(_mount_point: &Path) -> Option<BlockSpace> {
    None
}

fn service_info(sys: &System, pid: Option<Pid>) -> ServiceInfo {
    let exe = std::env::current_exe().ok();
    let name = exe
        .as_deref()
        .and_then(Path::file_stem)
        .map_or_else(|| "fba-rs".to_owned(), |s| s.to_string_lossy().into_owned());
    let now = Utc::now();
    let process = pid.and_then(|pid| sys.process(pid));
    let started = process
        .and_then(|p| i64::try_from(p.start_time()).ok())
        .and_then(|secs| DateTime::<Utc>::from_timestamp(secs, 0))
        .unwrap_or(now);
    let elapsed = u64::try_from((now - started).num_seconds()).unwrap_or(0);
    let (cpu, vms, rss) = process.map_or((0.0, 0, 0), |p| {
        (f64::from(p.cpu_usage()), p.virtual_memory(), p.memory())
    });
    ServiceInfo {
        name,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        home: exe.map(|p| p.display().to_string()).unwrap_or_default(),
        startup: fba_common::datetime::format(&started),
        elapsed: fmt_seconds(elapsed),
        cpu_usage: format!("{cpu:.2}%"),
        mem_vms: fmt_bytes(as_f64(vms)),
        mem_rss: fmt_bytes(as_f64(rss)),
        mem_free: fmt_bytes(as_f64(vms.saturating_sub(rss))),
    }
}

/// Seconds since this process started (0 when unknown).
async fn process_uptime() -> u64 {
    tokio::task::spawn_blocking(|| {
        let pid = sysinfo::get_current_pid().ok()?;
        let mut sys = System::new();
        sys.refresh_processes_specifics(
            ProcessesToUpdate::Some(&[pid]),
            false,
            ProcessRefreshKind::nothing(),
        );
        Some(sys.process(pid)?.run_time())
    })
    .await
    .ok()
    .flatten()
    .unwrap_or(0)
}

/// The Redis monitor. With Redis: FBA's facts from `INFO` (`keys_num` from its `# Keyspace`
/// line of the selected database, `stats` from its `# Commandstats` section when the text has
/// one). With the in-process store (no Redis configured): the same shape, `redis_mode`
/// [`IN_PROCESS_MODE`], the process uptime, the number of keys, `-` for what does not apply,
/// no command statistics.
///
/// # Errors
/// A Kv failure.
pub async fn redis_info(state: &AppState) -> AppResult<RedisMonitorInfo> {
    match state.kv.info().await? {
        Some(text) => {
            let db = state.settings.redis.as_ref().map_or(0, |r| {
                redis_db_index(fba_core_conf::ExposeSecret::expose_secret(&r.url))
            });
            Ok(parse_redis_info(&text, db))
        }
        None => {
            let keys = state.kv.keys_with_prefix("").await?.len();
            Ok(in_process_info(process_uptime().await, keys))
        }
    }
}

/// The facts of the in-process store.
fn in_process_info(uptime_secs: u64, keys: usize) -> RedisMonitorInfo {
    let na = || NOT_APPLICABLE.to_owned();
    RedisMonitorInfo {
        info: RedisServerInfo {
            redis_version: na(),
            redis_mode: IN_PROCESS_MODE.to_owned(),
            role: na(),
            tcp_port: na(),
            uptime: fmt_seconds(uptime_secs),
            connected_clients: "0".to_owned(),
            blocked_clients: "0".to_owned(),
            used_memory_human: na(),
            used_memory_rss_human: na(),
            maxmemory_human: na(),
            mem_fragmentation_ratio: na(),
            instantaneous_ops_per_sec: na(),
            total_commands_processed: na(),
            rejected_connections: "0".to_owned(),
            keys_num: keys.to_string(),
        },
        stats: Vec::new(),
    }
}

/// The database index a Redis URL selects: the path of `redis://host:port/N`, the `db` query
/// parameter of `unix://` URLs, else 0.
fn redis_db_index(url: &str) -> u32 {
    let (rest, query) = url.split_once('?').unwrap_or((url, ""));
    let from_query = query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == "db").then(|| v.parse().ok()).flatten()
    });
    if let Some(db) = from_query {
        return db;
    }
    if url.starts_with("unix://") {
        return 0;
    }
    let after_scheme = rest.split_once("://").map_or(rest, |(_, r)| r);
    after_scheme
        .split_once('/')
        .and_then(|(_, path)| path.trim_matches('/').parse().ok())
        .unwrap_or(0)
}

/// A value as redis-py hands it to FBA, which then calls `str()` on it: integers as integers,
/// numbers with a `.` as Python floats (`"1.10"` → `"1.1"`, `"12.00"` → `"12.0"`), other text
/// unchanged.
fn py_value(raw: &str) -> String {
    if raw.contains('.') {
        if let Ok(f) = raw.parse::<f64>()
            && f.is_finite()
            && raw
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
        {
            let text = f.to_string();
            return if text.contains('.') {
                text
            } else {
                format!("{text}.0")
            };
        }
        return raw.to_owned();
    }
    raw.parse::<i64>()
        .map_or_else(|_| raw.to_owned(), |n| n.to_string())
}

/// FBA's Redis monitor from the text of `INFO` (any sections); `db` selects the keyspace line
/// counted as `keys_num`.
pub fn parse_redis_info(text: &str, db: u32) -> RedisMonitorInfo {
    let mut fields: HashMap<&str, &str> = HashMap::new();
    let mut stats = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        if let Some(command) = key.strip_prefix("cmdstat_") {
            let calls = value
                .split(',')
                .find_map(|kv| kv.strip_prefix("calls="))
                .unwrap_or("0");
            stats.push(RedisCommandStat {
                name: command.to_owned(),
                value: py_value(calls),
            });
        } else {
            fields.insert(key, value);
        }
    }
    let get =
        |key: &str, default: &str| fields.get(key).map_or(default.to_owned(), |v| py_value(v));
    let keys_num = fields
        .get(format!("db{db}").as_str())
        .and_then(|v| v.split(',').find_map(|kv| kv.strip_prefix("keys=")))
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    let uptime = fields
        .get("uptime_in_seconds")
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    RedisMonitorInfo {
        info: RedisServerInfo {
            redis_version: get("redis_version", ""),
            redis_mode: get("redis_mode", ""),
            role: get("role", ""),
            tcp_port: get("tcp_port", ""),
            uptime: fmt_seconds(uptime),
            connected_clients: get("connected_clients", ""),
            blocked_clients: get("blocked_clients", ""),
            used_memory_human: get("used_memory_human", ""),
            used_memory_rss_human: get("used_memory_rss_human", ""),
            maxmemory_human: get("maxmemory_human", "0B"),
            mem_fragmentation_ratio: get("mem_fragmentation_ratio", "0"),
            instantaneous_ops_per_sec: get("instantaneous_ops_per_sec", ""),
            total_commands_processed: get("total_commands_processed", ""),
            rejected_connections: get("rejected_connections", ""),
            keys_num: keys_num.to_string(),
        },
        stats,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fmt_bytes_matches_fba() {
        assert_eq!(fmt_bytes(0.0), "0.00 B");
        assert_eq!(fmt_bytes(512.0), "512.00 B");
        assert_eq!(fmt_bytes(1536.0), "1.50 KB");
        assert_eq!(fmt_bytes(12.34 * GIB), "12.34 GB");
        assert_eq!(fmt_bytes(1024.0_f64.powi(8)), "1.00 YB");
    }

    #[test]
    fn disk_use_leaves_the_root_reserve_out_as_psutil_and_df_do() {
        // a 251.97 GiB disk with 17.90 GiB in use, 234.07 GiB free and 73.07 GiB of it
        // available to users (the rest is reserved): `df` shows 17.9G used, 20%; the old
        // arithmetic (total - available) claimed 178.90 GB and 71.00%
        let gib = |x: f64| (x * GIB) as u64;
        let space = BlockSpace {
            total: gib(251.97),
            free: gib(234.07),
            available: gib(73.07),
        };
        let usage = space.usage();
        assert_eq!(fmt_bytes(as_f64(usage.used)), "17.90 GB");
        assert_eq!(format!("{:.2}%", usage.percent), "19.70%");
        assert_eq!(fmt_bytes(as_f64(space.available)), "73.07 GB");
        assert_eq!(
            fmt_bytes(as_f64(space.total - space.available)),
            "178.90 GB"
        );

        let full = BlockSpace {
            total: 1000,
            free: 50,
            available: 0,
        };
        assert_eq!(full.usage().percent, 100.0);
        let empty = BlockSpace {
            total: 0,
            free: 0,
            available: 0,
        };
        assert_eq!(
            empty.usage(),
            DiskUsage {
                used: 0,
                percent: 0.0
            }
        );
    }

    #[test]
    fn fmt_seconds_matches_fba() {
        assert_eq!(fmt_seconds(0), "0 seconds");
        assert_eq!(fmt_seconds(59), "0 seconds");
        assert_eq!(fmt_seconds(3_600), "1 hours");
        assert_eq!(
            fmt_seconds(3 * 86_400 + 4 * 3_600 + 5 * 60 + 7),
            "3 days 4 hours 5 minutes"
        );
        assert_eq!(fmt_seconds(86_400 + 60), "1 days 1 minutes");
    }

    #[test]
    fn db_index_comes_from_the_url() {
        assert_eq!(redis_db_index("redis://127.0.0.1:6379/0"), 0);
        assert_eq!(redis_db_index("redis://:p%40ss@h:6379/3"), 3);
        assert_eq!(redis_db_index("redis://h:6379"), 0);
        assert_eq!(redis_db_index("redis://h:6379/"), 0);
        assert_eq!(redis_db_index("unix:///tmp/redis.sock?db=5"), 5);
        assert_eq!(redis_db_index("redis://h/2?protocol=resp3"), 2);
    }

    #[test]
    fn values_are_rendered_as_redis_py_then_str_would() {
        assert_eq!(py_value("1.10"), "1.1");
        assert_eq!(py_value("12.00"), "12.0");
        assert_eq!(py_value("6379"), "6379");
        assert_eq!(py_value("7.2.4"), "7.2.4");
        assert_eq!(py_value("1.50M"), "1.50M");
        assert_eq!(py_value("standalone"), "standalone");
    }

    #[test]
    fn info_text_is_parsed_into_fba_fields() {
        let text = "# Server\r\nredis_version:7.2.4\r\nredis_mode:standalone\r\ntcp_port:6379\r\n\
            uptime_in_seconds:90061\r\n\r\n# Clients\r\nconnected_clients:3\r\nblocked_clients:0\r\n\
            # Memory\r\nused_memory_human:1.50M\r\nused_memory_rss_human:10.02M\r\n\
            maxmemory_human:0B\r\nmem_fragmentation_ratio:6.70\r\n# Stats\r\n\
            total_commands_processed:120\r\ninstantaneous_ops_per_sec:2\r\nrejected_connections:0\r\n\
            # Replication\r\nrole:master\r\n\
            # Commandstats\r\ncmdstat_get:calls=10,usec=20,usec_per_call=2.00,rejected_calls=0,failed_calls=0\r\n\
            cmdstat_client|list:calls=1,usec=5,usec_per_call=5.00\r\n\
            # Keyspace\r\ndb0:keys=12,expires=3,avg_ttl=0\r\ndb2:keys=4,expires=0,avg_ttl=0\r\n";
        let parsed = parse_redis_info(text, 0);
        let info = &parsed.info;
        assert_eq!(info.redis_version, "7.2.4");
        assert_eq!(info.redis_mode, "standalone");
        assert_eq!(info.role, "master");
        assert_eq!(info.tcp_port, "6379");
        assert_eq!(info.uptime, "1 days 1 hours 1 minutes");
        assert_eq!(info.connected_clients, "3");
        assert_eq!(info.used_memory_human, "1.50M");
        assert_eq!(info.mem_fragmentation_ratio, "6.7");
        assert_eq!(info.maxmemory_human, "0B");
        assert_eq!(info.total_commands_processed, "120");
        assert_eq!(info.keys_num, "12");
        assert_eq!(parse_redis_info(text, 2).info.keys_num, "4");
        assert_eq!(parse_redis_info(text, 1).info.keys_num, "0");
        assert_eq!(
            parsed.stats,
            vec![
                RedisCommandStat {
                    name: "get".into(),
                    value: "10".into()
                },
                RedisCommandStat {
                    name: "client|list".into(),
                    value: "1".into()
                },
            ]
        );
        let empty = parse_redis_info("", 0).info;
        assert_eq!(empty.maxmemory_human, "0B");
        assert_eq!(empty.mem_fragmentation_ratio, "0");
        assert_eq!(empty.uptime, "0 seconds");
        assert_eq!(empty.redis_version, "");
    }
}
