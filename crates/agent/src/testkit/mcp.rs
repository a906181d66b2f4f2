//! Fake MCP servers (being built).
