//! Merging a [`ModelSpec`]'s `parameters` into a request body (see [`ModelSpec`] for the rules).

use serde_json::{Map, Value};

use super::spec::ModelSpec;

/// The body keys an adapter writes itself; `parameters` cannot override them.
const RESERVED: [&str; 6] = [
    "model",
    "messages",
    "system",
    "tools",
    "stream",
    "stream_options",
];

/// The spec's parameters minus the reserved keys and `max_tokens` (mapped by the caller), and
/// the `max_tokens` they gave.
pub(crate) fn base_body(spec: &ModelSpec) -> (Map<String, Value>, Option<u64>) {
    let mut body = Map::new();
    let mut max_tokens = None;
    for (key, value) in &spec.parameters {
        if key == "max_tokens" {
            max_tokens = value.as_u64();
        } else if !RESERVED.contains(&key.as_str()) {
            body.insert(key.clone(), value.clone());
        }
    }
    (body, max_tokens)
}
