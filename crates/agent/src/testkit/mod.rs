//! Test support, also usable by benchmarks and other crates' tests: a scripted fake LLM server
//! speaking both wire formats, fake MCP servers (stdio and Streamable HTTP) and a fake Tavily
//! search API.

pub mod llm;
pub mod mcp;
pub mod search;
mod server;
