//! Tests of the llm part (being built).
