//! Start-up refuses bad settings with one clear line, from the real binary.

use std::process::Command;

fn run_server(env: &[(&str, &str)]) -> (Option<i32>, String) {
    let dir = std::env::temp_dir().join(format!("fba-settings-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fba-server"));
    cmd.current_dir(&dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run fba-server");
    let _ = std::fs::remove_dir_all(&dir);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn invalid_database_type_stops_startup_naming_the_variable() {
    let (code, stderr) = run_server(&[("DATABASE_TYPE", "oracle")]);
    assert_eq!(code, Some(2));
    assert_eq!(
        stderr.trim(),
        "fba-server: invalid setting DATABASE_TYPE=\"oracle\": expected one of sqlite, postgresql, mysql"
    );
}

#[test]
fn prod_with_the_example_secret_is_refused() {
    let (code, stderr) = run_server(&[
        ("ENVIRONMENT", "prod"),
        ("TOKEN_SECRET_KEY", fba_core_conf::EXAMPLE_TOKEN_SECRET_KEY),
    ]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("refused setting TOKEN_SECRET_KEY"),
        "{stderr}"
    );
}

#[test]
fn unreachable_database_fails_fast_with_a_redacted_url() {
    let (code, stderr) = run_server(&[
        (
            "DATABASE_URL",
            "postgres://postgres:hunter2@127.0.0.1:1/fba",
        ),
        ("DATABASE_POOL_TIMEOUT", "2"),
    ]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("postgres://postgres:***@127.0.0.1:1/fba"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"));
}
