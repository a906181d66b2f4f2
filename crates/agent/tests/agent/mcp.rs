//! Tests of the mcp part (being built).
