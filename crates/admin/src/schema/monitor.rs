//! Response shapes of `/monitors/server` and `/monitors/redis` (FBA's `ServerMonitorInfo` and
//! `RedisMonitorInfo`), with FBA's field names and value formats.

use serde::Serialize;

/// CPU facts (FBA's `CpuInfo`): frequencies in MHz, `usage` in percent, 2 decimals.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CpuInfo {
    /// Physical cores (0 when unknown).
    pub physical_num: usize,
    /// Logical CPUs.
    pub logical_num: usize,
    /// Maximum frequency (MHz, 0.0 when unknown).
    pub max_freq: f64,
    /// Minimum frequency (MHz, 0.0 when unknown).
    pub min_freq: f64,
    /// Current frequency (MHz, the average over the CPUs).
    pub current_freq: f64,
    /// CPU usage in percent over a short sample.
    pub usage: f64,
}

/// Memory facts (FBA's `MemInfo`): GiB with 2 decimals, `usage` in percent.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemInfo {
    /// Total memory.
    pub total: f64,
    /// Used memory (total − available).
    pub used: f64,
    /// Available memory.
    pub free: f64,
    /// (total − available) / total in percent.
    pub usage: f64,
}

/// Host facts (FBA's `SysInfo`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SysInfo {
    /// Host name.
    pub name: String,
    /// Kernel name as Python's `platform.system()` gives it (`Linux`, `Darwin`, `Windows`).
    pub os: String,
    /// The outbound IPv4 address, `127.0.0.1` when there is no route.
    pub ip: String,
    /// Machine architecture (`x86_64`, `aarch64`).
    pub arch: String,
}

/// One mounted disk (FBA's `DiskInfo`); sizes like `"12.34 GB"`, `usage` like `"45.00%"`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DiskInfo {
    /// Mount point.
    pub dir: String,
    /// Device name.
    pub device: String,
    /// File-system type.
    #[serde(rename = "type")]
    pub fs_type: String,
    /// Total size.
    pub total: String,
    /// Used size.
    pub used: String,
    /// Available size.
    pub free: String,
    /// Used share.
    pub usage: String,
}

/// The server process (FBA's `ServiceInfo`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ServiceInfo {
    /// The program's name (its binary's name; FBA says `Python3`).
    pub name: String,
    /// The fba-rs version.
    pub version: String,
    /// The path of the running binary.
    pub home: String,
    /// Process start time (`YYYY-MM-DD HH:MM:SS`).
    pub startup: String,
    /// Time since start (`"3 days 4 hours 5 minutes"`).
    pub elapsed: String,
    /// Process CPU usage (`"0.00%"`, relative to one CPU).
    pub cpu_usage: String,
    /// Virtual memory size.
    pub mem_vms: String,
    /// Resident memory size.
    pub mem_rss: String,
    /// `mem_vms − mem_rss` (FBA's definition).
    pub mem_free: String,
}

/// `GET /monitors/server` (FBA's `ServerMonitorInfo`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ServerMonitorInfo {
    /// CPU.
    pub cpu: CpuInfo,
    /// Memory.
    pub mem: MemInfo,
    /// Host.
    pub sys: SysInfo,
    /// Disks.
    pub disk: Vec<DiskInfo>,
    /// This process.
    pub service: ServiceInfo,
}

/// Redis server facts (FBA's `RedisServerInfo`); every value is a string.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct RedisServerInfo {
    /// `redis_version`.
    pub redis_version: String,
    /// `redis_mode` (`standalone`, `cluster`, `sentinel`).
    pub redis_mode: String,
    /// `role` (`master`, `slave`).
    pub role: String,
    /// `tcp_port`.
    pub tcp_port: String,
    /// `uptime_in_seconds` as `"3 days 4 hours 5 minutes"`.
    pub uptime: String,
    /// `connected_clients`.
    pub connected_clients: String,
    /// `blocked_clients`.
    pub blocked_clients: String,
    /// `used_memory_human` (`"1.50M"`).
    pub used_memory_human: String,
    /// `used_memory_rss_human`.
    pub used_memory_rss_human: String,
    /// `maxmemory_human` (`"0B"` when unset).
    pub maxmemory_human: String,
    /// `mem_fragmentation_ratio`.
    pub mem_fragmentation_ratio: String,
    /// `instantaneous_ops_per_sec`.
    pub instantaneous_ops_per_sec: String,
    /// `total_commands_processed`.
    pub total_commands_processed: String,
    /// `rejected_connections`.
    pub rejected_connections: String,
    /// Keys in the selected database (`DBSIZE`).
    pub keys_num: String,
}

/// Calls of one command (FBA's `RedisCommandStat`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RedisCommandStat {
    /// Command name (`get`, `client|list`).
    pub name: String,
    /// Number of calls.
    pub value: String,
}

/// `GET /monitors/redis` (FBA's `RedisMonitorInfo`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RedisMonitorInfo {
    /// Server facts.
    pub info: RedisServerInfo,
    /// Command statistics.
    pub stats: Vec<RedisCommandStat>,
}
