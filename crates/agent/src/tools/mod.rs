//! The tools the model sees, with upstream's names, parameters and output strings.
//!
//! Each tool holds what it needs (the sandbox, the MCP bridge…) from its construction; a call
//! gets its JSON arguments and a [`ToolCx`] with what belongs to that one call.

pub mod bash;
pub mod edit;
pub mod execute_code;
pub mod glob;
pub mod grep;
pub mod read;
pub mod think;
pub mod web_search;
pub mod write;

use std::path::Path;

use async_trait::async_trait;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::llm::{Part, ToolSpec};

/// What a call of a tool knows besides its arguments.
#[derive(Debug, Clone)]
pub struct ToolCx {
    /// The model's id of this call.
    pub call_id: String,
    /// Cancelled when the run is cancelled; a tool stops early and reports it.
    pub cancel: CancellationToken,
}

/// What a tool answers.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolOutput {
    /// The tool message's content (upstream's exact strings).
    pub content: Vec<Part>,
    /// Whether the call failed (upstream's `ERROR…` answers).
    pub is_error: bool,
}

impl ToolOutput {
    /// A successful text answer.
    pub fn ok(text: impl Into<String>) -> Self {
        Self {
            content: vec![Part::text(text)],
            is_error: false,
        }
    }

    /// A failed text answer (the text carries upstream's `ERROR` prefix itself).
    pub fn error(text: impl Into<String>) -> Self {
        Self {
            content: vec![Part::text(text)],
            is_error: true,
        }
    }

    /// The text of the answer.
    pub fn text(&self) -> String {
        crate::llm::types::parts_text(&self.content)
    }
}

/// A tool the model can call.
#[async_trait]
pub trait Tool: Send + Sync {
    /// Its name, description and argument schema.
    fn spec(&self) -> ToolSpec;
    /// Runs one call. Bad arguments are an error answer, never a panic.
    async fn call(&self, args: Value, cx: &ToolCx) -> ToolOutput;
}

/// Access to the host-side MCP bridge for sandboxed code: one grant per execution.
pub trait BridgeAccess: Send + Sync {
    /// The bridge's Unix socket on the host (bind-mounted into the sandbox).
    fn socket_path(&self) -> &Path;
    /// A fresh per-execution grant; calls with its token are refused once it is dropped.
    fn grant(&self) -> BridgeGrant;
}

/// A per-execution capability to call MCP tools through the bridge.
pub struct BridgeGrant {
    /// The token the sandboxed code presents (env `PTC_TOKEN`); not an API key.
    pub token: String,
    /// Revokes the token when dropped.
    pub guard: Box<dyn Send + Sync>,
}

impl std::fmt::Debug for BridgeGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BridgeGrant").finish_non_exhaustive()
    }
}
