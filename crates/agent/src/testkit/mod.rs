//! Test support, also usable by benchmarks and other crates' tests: a scripted fake LLM server
//! speaking both wire formats, and fake MCP servers (stdio and Streamable HTTP).

pub mod llm;
pub mod mcp;
