//! # fba-agent
//!
//! Programmatic tool calling (PTC), a port of FBA's `ptc-agent`: the model writes Python that
//! imports MCP tools as ordinary functions and runs it in a local sandbox; only what the program
//! prints goes back to the model.
//!
//! The library is usable without the server:
//! - [`config`]: `config.yaml` + `llms.json` + `.env`, upstream's keys and search paths;
//! - [`llm`]: the OpenAI Chat Completions and Anthropic Messages wire formats, streamed;
//! - [`mcp`]: the MCP registry, the generated Python tool modules and docs, and the host-side
//!   bridge the sandboxed code calls tools through (no secret enters the sandbox);
//! - [`sandbox`]: the local sandbox (bubblewrap, then Landlock + seccomp) and virtual paths;
//! - [`tools`]: the tools the model sees, with upstream's names, parameters and messages;
//! - [`prompts`]: the system prompts;
//! - [`host`]: the parts put together: an MCP-connected host, workspaces, agent specs;
//! - [`runtime`]: the agent loop, background subagents, interrupts and the session state.

pub mod config;
pub mod error;
pub mod host;
pub mod llm;
pub mod mcp;
#[cfg(feature = "module")]
pub mod module;
pub mod prompts;
pub mod runtime;
pub mod sandbox;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod tls;
pub mod tools;

pub use error::AgentError;
#[cfg(feature = "module")]
pub use module::{AgentModule, module};
