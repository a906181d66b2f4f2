//! MCP: the registry of host-side client sessions, the generated Python tool package and docs,
//! the prompt summary, and the bridge sandboxed code calls tools through.
//!
//! Flow: [`McpRegistry::connect_all`] opens every enabled server (stdio children or Streamable
//! HTTP, via rmcp) and lists its tools; [`generate_tool_files`] turns them into `tools/…` for
//! the workspace and [`format_tool_summary`] into the prompt text; [`Bridge::bind`] serves a
//! Unix socket that `tools/mcp_client.py` sends one JSON line per call to, authorised by a
//! per-execution grant. No server config or secret is written into the workspace.

pub mod bridge;
pub mod codegen;
pub mod config;
mod connect;
pub mod error;
pub mod python;
pub mod registry;
pub mod summary;
pub mod tool_info;

pub use bridge::{Bridge, BridgeHandle, BridgeSettings, McpCallEvent};
pub use codegen::{GeneratedFile, MCP_CLIENT_PY, generate_tool_files};
pub use config::{McpServerConfig, McpSettings, McpTransport, ToolExposureMode, expand_vars};
pub use error::McpError;
pub use registry::{McpRegistry, ServerStatus};
pub use summary::format_tool_summary;
pub use tool_info::{McpToolInfo, ParamInfo};
