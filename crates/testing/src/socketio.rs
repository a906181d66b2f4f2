//! [`SocketClient`]: the real npm `socket.io-client` v4 (the client FBA's web UI uses), driven
//! through `apps/server/tests/support/socketio-client/client.js`, for the Socket.IO tests of
//! any crate.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::TestApp;

/// Where client.js and its `node_modules` live (`npm ci` there first; scripts/test.sh does).
pub const CLIENT_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../apps/server/tests/support/socketio-client"
);

/// How long an expected observation may take.
pub const WAIT: Duration = Duration::from_secs(10);

/// One `node client.js` process: commands in on stdin, one JSON observation per stdout line.
pub struct SocketClient {
    child: Child,
    stdin: ChildStdin,
    rx: mpsc::UnboundedReceiver<Value>,
}

impl SocketClient {
    /// Starts `node client.js` and waits for it to be ready.
    pub async fn start() -> Self {
        let dir = CLIENT_DIR;
        assert!(
            std::path::Path::new(dir).join("node_modules").exists(),
            "run `npm ci --prefix {dir}` first (scripts/test.sh does)"
        );
        let mut child = Command::new("node")
            .arg(format!("{dir}/client.js"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node runs (Node.js is needed by the socket.io tests)");
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                match serde_json::from_str::<Value>(&line) {
                    Ok(v) => {
                        if tx.send(v).is_err() {
                            break;
                        }
                    }
                    Err(_) => eprintln!("client.js: {line}"),
                }
            }
        });
        let mut client = Self { child, stdin, rx };
        client.expect("ready").await;
        client
    }

    /// A client connected (or refused) with `auth` to `app`: the connect or connect_error.
    pub async fn connect(app: &TestApp, auth: Value) -> (Self, Value) {
        Self::connect_to(app, auth, "/").await
    }

    /// A client connected (or refused) with `auth` to `namespace` of `app`.
    pub async fn connect_to(app: &TestApp, auth: Value, namespace: &str) -> (Self, Value) {
        let mut client = Self::start().await;
        client.send(
            json!({"op": "connect", "url": app.address, "auth": auth, "namespace": namespace}),
        );
        let outcome = client.expect_one_of(&["connect", "connect_error"]).await;
        (client, outcome)
    }

    /// Sends one command to client.js.
    pub fn send(&mut self, command: Value) {
        writeln!(self.stdin, "{command}").expect("client.js reads commands");
        self.stdin.flush().expect("client.js reads commands");
    }

    /// The next observation within `within`.
    pub async fn next(&mut self, within: Duration) -> Option<Value> {
        tokio::time::timeout(within, self.rx.recv())
            .await
            .ok()
            .flatten()
    }

    /// The next observation of type `kind`; others on the way are skipped.
    pub async fn expect(&mut self, kind: &str) -> Value {
        self.expect_one_of(&[kind]).await
    }

    /// The next observation of one of `kinds`; others on the way are skipped.
    pub async fn expect_one_of(&mut self, kinds: &[&str]) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Some(v) if kinds.contains(&v["type"].as_str().unwrap_or("")) => return v,
                Some(v) => seen.push(v),
                None => panic!("no {kinds:?} within {WAIT:?}; saw {seen:?}"),
            }
        }
    }

    /// Every observation within `within`.
    pub async fn drain(&mut self, within: Duration) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + within;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Some(v) => seen.push(v),
                None => return seen,
            }
        }
    }

    /// Disconnects and waits for the client to see it.
    pub async fn disconnect(mut self) {
        self.send(json!({"op": "disconnect"}));
        self.expect("disconnect").await;
    }
}

impl Drop for SocketClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A session of `user_id` as a login makes it: (access token, session uuid).
pub async fn socket_session(app: &TestApp, user_id: i64) -> (String, String) {
    let token = app.token_for(user_id).await;
    let session = app
        .security
        .jwt
        .decode(&token)
        .expect("a token the app made")
        .session_uuid;
    (token, session)
}

/// The `auth` object FBA's UI sends.
pub fn socket_auth(token: &str, session: &str) -> Value {
    json!({"token": token, "session_uuid": session})
}
