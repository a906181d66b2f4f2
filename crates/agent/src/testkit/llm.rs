//! A scripted fake LLM server (being built).
