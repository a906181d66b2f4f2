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

/// Starts the real binary on port 0 with its standard output going to a pipe, waits for the
/// "listening on" line, sends one request (an access-log line with fields), stops it and
/// returns every line it wrote to standard output.
fn server_log_lines(env: &[(&str, &str)]) -> Vec<String> {
    running_server(env, |_| ()).0
}

/// [`server_log_lines`], also calling `check` with the server's process id while it runs (after
/// the request).
fn running_server<T>(env: &[(&str, &str)], check: impl FnOnce(u32) -> T) -> (Vec<String>, T) {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::process::Stdio;
    use std::sync::mpsc;
    use std::time::Duration;

    let dir = std::env::temp_dir().join(format!("fba-logs-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fba-server"));
    cmd.current_dir(&dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SERVER_PORT", "0")
        .env("IP_LOCATION_PARSE", "false")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn fba-server");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    let mut port = None;
    while port.is_none() {
        let Ok(line) = rx.recv_timeout(Duration::from_secs(60)) else {
            break;
        };
        port = line
            .split("listening on http://127.0.0.1:")
            .nth(1)
            .and_then(|rest| {
                rest.chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
                    .parse::<u16>()
                    .ok()
            });
        lines.push(line);
    }
    if let Some(port) = port {
        let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        conn.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut reply = String::new();
        let _ = conn.read_to_string(&mut reply);
        assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
        // the access-log line follows the reply
        std::thread::sleep(Duration::from_millis(300));
    }
    let checked = check(child.id());
    let _ = child.kill();
    let _ = child.wait();
    let _ = reader.join();
    lines.extend(rx.try_iter());
    let _ = std::fs::remove_dir_all(&dir);
    assert!(port.is_some(), "the server did not start: {lines:#?}");
    (lines, checked)
}

/// The server replaces itself once, keeping its process id, with glibc's malloc arenas capped
/// (`MALLOC_ARENA_MAX=2`), and keeps a cap the environment already sets.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn the_server_caps_glibc_malloc_arenas_unless_the_environment_sets_a_cap() {
    fn arena_max(pid: u32) -> Option<String> {
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
        environ.split(|b| *b == 0).find_map(|kv| {
            kv.strip_prefix(b"MALLOC_ARENA_MAX=")
                .map(|v| String::from_utf8_lossy(v).into_owned())
        })
    }
    let (_, seen) = running_server(&[], arena_max);
    assert_eq!(seen.as_deref(), Some("2"));
    let (_, seen) = running_server(&[("MALLOC_ARENA_MAX", "8")], arena_max);
    assert_eq!(seen.as_deref(), Some("8"));
}

#[test]
fn logs_written_to_a_pipe_carry_no_colour_codes() {
    let lines = server_log_lines(&[]);
    assert!(lines.len() >= 2, "{lines:#?}");
    for line in &lines {
        assert!(!line.contains("\x1b["), "colour code in {line:?}");
    }
    assert!(lines.iter().any(|l| l.contains(" INFO ")), "{lines:#?}");
}

#[test]
fn log_format_json_writes_one_json_object_per_line() {
    let lines = server_log_lines(&[("LOG_FORMAT", "json")]);
    assert!(lines.len() >= 2, "{lines:#?}");
    for line in &lines {
        assert!(!line.contains("\x1b["), "colour code in {line:?}");
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line:?}"));
        assert!(v["timestamp"].is_string(), "{line}");
        assert!(v["level"].is_string(), "{line}");
        assert!(v["target"].is_string(), "{line}");
        assert!(v["fields"].is_object(), "{line}");
    }
    assert!(
        lines
            .iter()
            .any(|l| l.contains("\"message\":\"listening on http://127.0.0.1:")),
        "{lines:#?}"
    );
}

#[test]
fn invalid_log_format_stops_startup_naming_the_variable() {
    let (code, stderr) = run_server(&[("LOG_FORMAT", "xml")]);
    assert_eq!(code, Some(2));
    assert_eq!(
        stderr.trim(),
        "fba-server: invalid setting LOG_FORMAT=\"xml\": expected one of text, json"
    );
}
