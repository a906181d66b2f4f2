//! TLS for the agent's HTTP clients (model endpoints, Streamable HTTP MCP servers, search).
//!
//! The workspace builds `reqwest` with rustls and no built-in provider, and rustls with `ring`
//! only (no aws-lc). Cargo unifies features, so every `reqwest` client of a binary that links
//! this crate needs a process-default provider before it is built: [`install_default_provider`]
//! installs `ring` once, unless another provider is installed already.

/// Installs rustls's `ring` provider as the process default when none is set (idempotent,
/// thread-safe; a provider installed by someone else is kept).
pub fn install_default_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            // `ring` is the only provider compiled in; another thread may have installed one
            // meanwhile, and either way a provider is then set.
            #[allow(deprecated)]
            let provider = rustls::crypto::ring::default_provider();
            let _ = provider.install_default();
        }
    });
}
