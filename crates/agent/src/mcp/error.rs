//! What can go wrong with MCP servers, tool calls and the bridge.

use std::time::Duration;

/// An MCP failure; the message is what sandboxed code sees in its `RuntimeError`.
#[derive(Debug, thiserror::Error)]
pub enum McpError {
    /// No server of that name is connected or configured (upstream's message).
    #[error("Unknown MCP server: {0}")]
    UnknownServer(String),
    /// The server is configured but its connection failed.
    #[error("MCP server '{server}' is not connected: {reason}")]
    NotConnected {
        /// The server's name.
        server: String,
        /// Why its connection failed.
        reason: String,
    },
    /// The server has no tool of that name.
    #[error("Unknown tool '{tool}' on MCP server '{server}'")]
    UnknownTool {
        /// The server's name.
        server: String,
        /// The requested tool.
        tool: String,
    },
    /// Tool arguments that are not a JSON object.
    #[error("Invalid arguments for MCP tool '{tool}': {reason}")]
    BadArguments {
        /// The requested tool.
        tool: String,
        /// What is wrong with them.
        reason: String,
    },
    /// The call took longer than its timeout (the request is cancelled on the server).
    #[error("MCP tool call timed out after {} s: {server}.{tool}", .after.as_secs_f64())]
    Timeout {
        /// The server's name.
        server: String,
        /// The tool.
        tool: String,
        /// The timeout that expired.
        after: Duration,
    },
    /// The server answered with a JSON-RPC error, or the connection broke during the call.
    #[error("MCP tool call failed: {message}")]
    Call {
        /// The server's name.
        server: String,
        /// The tool.
        tool: String,
        /// The error as the client library reports it.
        message: String,
    },
    /// Connecting to a server failed (kept in its status, never fatal for the registry).
    #[error("{0}")]
    Connect(String),
    /// The bridge could not be set up (socket path in use, bad directory…).
    #[error("MCP bridge: {0}")]
    Bridge(String),
    /// An I/O failure (socket, files).
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
