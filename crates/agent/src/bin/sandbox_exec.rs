//! `fba-sandbox-exec`: restricts itself, then execs the sandboxed command (being built).

fn main() {}
