//! fba-agent's integration tests: one binary, one module per part.

mod e2e;
mod files;
mod llm;
mod mcp;
mod research;
mod sandbox;
mod support;
