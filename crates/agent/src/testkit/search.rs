//! [`FakeTavily`]: a scripted fake of the Tavily Search API for offline tests. `POST /search`
//! gets the next scripted [`SearchAnswer`] (results, an error status, or any raw body), after an
//! optional delay; every request is recorded. A request without `Authorization: Bearer
//! <FAKE_TAVILY_KEY>` gets a 401 like the real API's and does not use up an answer; running
//! out of answers is a 500 "script exhausted"; other paths are 404. The server runs on its own
//! thread (its own actix runtime) on `127.0.0.1:0` and stops when dropped.
//!
//! ```no_run
//! # fn demo() -> std::io::Result<()> {
//! use fba_agent::testkit::search::{FakeResult, FakeTavily, SearchAnswer};
//! let fake = FakeTavily::start([SearchAnswer::results([FakeResult::new(
//!     "Rust", "https://www.rust-lang.org", "# Rust\n\nA language.",
//! )])])?;
//! let base_url = fake.url(); // TAVILY_BASE_URL
//! # Ok(()) }
//! ```

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use super::server::ThreadServer;
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use serde_json::{Value, json};

pub use super::llm::RecordedRequest;

/// The only API key the fake accepts.
pub const FAKE_TAVILY_KEY: &str = "tvly-fake-test-key";

/// One result of a scripted search.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeResult {
    /// The page title.
    pub title: String,
    /// The page URL.
    pub url: String,
    /// Tavily's short snippet.
    pub content: String,
    /// The page as markdown (`null` in the answer when `None`).
    pub raw_content: Option<String>,
}

impl FakeResult {
    /// A result whose page is `markdown`; the snippet is its first 80 characters.
    pub fn new(
        title: impl Into<String>,
        url: impl Into<String>,
        markdown: impl Into<String>,
    ) -> Self {
        let markdown = markdown.into();
        Self {
            title: title.into(),
            url: url.into(),
            content: markdown.chars().take(80).collect(),
            raw_content: Some(markdown),
        }
    }

    /// Without the page content (Tavily could not extract it): only the snippet.
    pub fn without_raw_content(mut self) -> Self {
        self.raw_content = None;
        self
    }

    fn to_json(&self) -> Value {
        json!({
            "title": self.title,
            "url": self.url,
            "content": self.content,
            "score": 0.9,
            "raw_content": self.raw_content,
        })
    }
}

/// One scripted answer.
#[derive(Debug, Clone)]
pub struct SearchAnswer {
    kind: AnswerKind,
    delay: Duration,
}

#[derive(Debug, Clone)]
enum AnswerKind {
    Results(Vec<FakeResult>),
    Status { status: u16, message: String },
    Raw { status: u16, body: String },
}

impl SearchAnswer {
    fn of(kind: AnswerKind) -> Self {
        Self {
            kind,
            delay: Duration::ZERO,
        }
    }

    /// A 200 with these results, in Tavily's shape (`query`, `results`, `response_time`…).
    pub fn results(results: impl IntoIterator<Item = FakeResult>) -> Self {
        Self::of(AnswerKind::Results(results.into_iter().collect()))
    }

    /// An error status with Tavily's body `{"detail": {"error": message}}`.
    pub fn status(status: u16, message: impl Into<String>) -> Self {
        Self::of(AnswerKind::Status {
            status,
            message: message.into(),
        })
    }

    /// Any status with this body as it is (such as JSON that is cut off).
    pub fn raw(status: u16, body: impl Into<String>) -> Self {
        Self::of(AnswerKind::Raw {
            status,
            body: body.into(),
        })
    }

    /// Waits this long before answering.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

#[derive(Default)]
struct Script {
    answers: VecDeque<SearchAnswer>,
    requests: Vec<RecordedRequest>,
}

type Shared = Arc<Mutex<Script>>;

fn lock(shared: &Shared) -> MutexGuard<'_, Script> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running fake Tavily API; it stops when dropped.
pub struct FakeTavily {
    server: ThreadServer,
    shared: Shared,
}

impl FakeTavily {
    /// Starts a server on `127.0.0.1:0` serving `answers` in order.
    ///
    /// # Errors
    /// When the socket or the server thread cannot be set up.
    pub fn start(answers: impl IntoIterator<Item = SearchAnswer>) -> std::io::Result<Self> {
        let shared: Shared = Arc::new(Mutex::new(Script {
            answers: answers.into_iter().collect(),
            requests: Vec::new(),
        }));
        let data = web::Data::new(Arc::clone(&shared));
        let server = ThreadServer::start("fake Tavily", move |cfg: &mut web::ServiceConfig| {
            cfg.app_data(data.clone()).default_service(web::to(answer));
        })?;
        Ok(Self { server, shared })
    }

    /// The base URL, `http://127.0.0.1:<port>` (the tool appends `/search`).
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Adds answers at the end of the script.
    pub fn push(&self, answers: impl IntoIterator<Item = SearchAnswer>) {
        lock(&self.shared).answers.extend(answers);
    }

    /// The answers not served yet.
    pub fn remaining(&self) -> usize {
        lock(&self.shared).answers.len()
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared).requests.clone()
    }
}

impl fmt::Debug for FakeTavily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeTavily")
            .field("url", &self.server.url())
            .finish_non_exhaustive()
    }
}

fn error_body(status: u16, message: &str) -> HttpResponse {
    HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .json(json!({"detail": {"error": message}}))
}

/// Serves one request.
async fn answer(request: HttpRequest, body: Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let path = request.path().to_owned();
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in request.headers() {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers
            .entry(name.as_str().to_ascii_lowercase())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert(value);
    }
    let body = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    let authorized = headers.get("authorization").map(String::as_str)
        == Some(&format!("Bearer {FAKE_TAVILY_KEY}"));
    let query = body.get("query").cloned().unwrap_or(Value::Null);
    let next = {
        let mut script = lock(&shared);
        script.requests.push(RecordedRequest {
            path: path.clone(),
            headers,
            body,
        });
        if path != "/search" || request.method() != actix_web::http::Method::POST {
            None
        } else if !authorized {
            Some(None)
        } else {
            Some(script.answers.pop_front())
        }
    };
    let answer = match next {
        None => return error_body(404, &format!("no endpoint at {path}")),
        Some(None) if !authorized => {
            return error_body(401, "Unauthorized: missing or invalid API key.");
        }
        Some(None) => return error_body(500, "script exhausted"),
        Some(Some(answer)) => answer,
    };
    if !answer.delay.is_zero() {
        actix_web::rt::time::sleep(answer.delay).await;
    }
    match answer.kind {
        AnswerKind::Results(results) => HttpResponse::Ok().json(json!({
            "query": query,
            "follow_up_questions": null,
            "answer": null,
            "images": [],
            "results": results.iter().map(FakeResult::to_json).collect::<Vec<_>>(),
            "response_time": 0.42,
        })),
        AnswerKind::Status { status, message } => error_body(status, &message),
        AnswerKind::Raw { status, body } => {
            HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
                .content_type("application/json")
                .body(body)
        }
    }
}
