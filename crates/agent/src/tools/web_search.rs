//! `tavily_search`: the research subagent's web search, over the Tavily Search API.
//!
//! The model sees only `query`; the result count and the topic are fixed when the tool is built
//! (upstream's injected `max_results=1`, `topic="general"`). The tool POSTs `{base}/search` with
//! `Authorization: Bearer <key>` (what the `tavily-python` client sends) and answers in
//! upstream's format:
//!
//! ```text
//! Found N result(s) for '<query>':
//!
//! ## <title>
//! **URL:** <url>
//!
//! <page as markdown>
//!
//! ---
//! ```
//!
//! (each result ends with `---` and a newline; results are joined with a blank line, as
//! upstream). Upstream fetched every result page itself with httpx and converted the HTML with
//! markdownify; this port asks Tavily for the page content instead (`include_raw_content:
//! "markdown"`), so no page is fetched from here. Each result's content is capped
//! ([`DEFAULT_MAX_CONTENT_CHARS`], with a note when cut). API failures (HTTP status, network,
//! timeout, an answer that is not JSON) are `ERROR: Search failed - …` answers, never panics.

use std::time::Duration;

use async_trait::async_trait;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use serde_json::{Value, json};

use super::{Tool, ToolCx, ToolOutput};
use crate::AgentError;
use crate::config::EnvMap;
use crate::llm::ToolSpec;

/// The tool's name, as upstream.
pub const NAME: &str = "tavily_search";
/// The environment variable holding the Tavily API key (upstream's).
pub const API_KEY_ENV: &str = "TAVILY_API_KEY";
/// The environment variable overriding the API's base URL (ours: tests and proxies).
pub const BASE_URL_ENV: &str = "TAVILY_BASE_URL";
/// The Tavily API.
pub const DEFAULT_BASE_URL: &str = "https://api.tavily.com";
/// Results per search (upstream's injected default).
pub const DEFAULT_MAX_RESULTS: u32 = 1;
/// The time one search may take.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The characters of one result's content the answer keeps.
pub const DEFAULT_MAX_CONTENT_CHARS: usize = 20_000;

/// Upstream's description (the docstring without its `Args`/`Returns` sections), its second
/// sentence adjusted: the page content comes from Tavily, not from a fetch of our own.
const DESCRIPTION: &str = "Search the web for information on a given query.

Uses Tavily to discover relevant pages and returns their full content as markdown.";

/// Tavily's search topic (upstream's injected `topic`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Topic {
    /// Broad web search (the default).
    #[default]
    General,
    /// Recent news.
    News,
    /// Financial sources.
    Finance,
}

impl Topic {
    /// The API's name of the topic.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::General => "general",
            Self::News => "news",
            Self::Finance => "finance",
        }
    }
}

impl std::str::FromStr for Topic {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "general" => Ok(Self::General),
            "news" => Ok(Self::News),
            "finance" => Ok(Self::Finance),
            other => Err(format!(
                "unknown search topic {other:?} (general, news or finance)"
            )),
        }
    }
}

/// Searches the web with the Tavily API.
pub struct TavilySearchTool {
    client: reqwest::Client,
    /// `Bearer <key>`, marked sensitive.
    auth: HeaderValue,
    base_url: String,
    max_results: u32,
    topic: Topic,
    timeout: Duration,
    max_content_chars: usize,
}

impl std::fmt::Debug for TavilySearchTool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TavilySearchTool")
            .field("base_url", &self.base_url)
            .field("max_results", &self.max_results)
            .field("topic", &self.topic)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl TavilySearchTool {
    /// A tool using `api_key` against [`DEFAULT_BASE_URL`], with upstream's defaults.
    ///
    /// # Errors
    /// The key is empty or holds characters a header cannot carry, or the HTTP client cannot
    /// be built.
    pub fn new(api_key: &str) -> Result<Self, AgentError> {
        let key = api_key.trim();
        if key.is_empty() {
            return Err(AgentError::Config(format!("{API_KEY_ENV} is empty")));
        }
        let mut auth = HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| {
            AgentError::Config(format!("{API_KEY_ENV} has characters a header cannot hold"))
        })?;
        auth.set_sensitive(true);
        Ok(Self {
            client: http_client()?,
            auth,
            base_url: DEFAULT_BASE_URL.to_owned(),
            max_results: DEFAULT_MAX_RESULTS,
            topic: Topic::default(),
            timeout: DEFAULT_TIMEOUT,
            max_content_chars: DEFAULT_MAX_CONTENT_CHARS,
        })
    }

    /// The tool configured by `env`: the key from [`API_KEY_ENV`], the base URL from
    /// [`BASE_URL_ENV`] when set; `None` when there is no key (or it is empty).
    ///
    /// # Errors
    /// As [`TavilySearchTool::new`].
    pub fn from_env(env: &EnvMap) -> Result<Option<Self>, AgentError> {
        let Some(key) = env.get(API_KEY_ENV).filter(|k| !k.trim().is_empty()) else {
            return Ok(None);
        };
        let mut tool = Self::new(key)?;
        if let Some(base) = env.get(BASE_URL_ENV).filter(|b| !b.trim().is_empty()) {
            tool = tool.with_base_url(base);
        }
        Ok(Some(tool))
    }

    /// Another API base URL (the tool appends `/search`).
    pub fn with_base_url(mut self, base_url: &str) -> Self {
        self.base_url = base_url.trim().trim_end_matches('/').to_owned();
        self
    }

    /// Results per search (at least 1).
    pub fn with_max_results(mut self, max_results: u32) -> Self {
        self.max_results = max_results.max(1);
        self
    }

    /// The search topic.
    pub fn with_topic(mut self, topic: Topic) -> Self {
        self.topic = topic;
        self
    }

    /// The time one search may take.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The characters of one result's content the answer keeps.
    pub fn with_max_content_chars(mut self, max: usize) -> Self {
        self.max_content_chars = max;
        self
    }

    /// The API base URL in use.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// One search: the formatted answer, or what went wrong (without the `ERROR` prefix).
    async fn search(&self, query: &str) -> Result<String, String> {
        let url = format!("{}/search", self.base_url);
        let body = json!({
            "query": query,
            "max_results": self.max_results,
            "topic": self.topic.as_str(),
            // Tavily returns each page's content as markdown, so nothing is fetched from here
            // (upstream fetched every page with httpx and converted it with markdownify).
            "include_raw_content": "markdown",
        });
        let response = self
            .client
            .post(&url)
            .header(AUTHORIZATION, self.auth.clone())
            .header("X-Client-Source", "fba-agent")
            .timeout(self.timeout)
            .json(&body)
            .send()
            .await
            .map_err(|e| self.transport_error(&url, &e))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| self.transport_error(&url, &e))?;
        if !status.is_success() {
            return Err(status_error(status, &text));
        }
        let answer: Value = serde_json::from_str(&text)
            .map_err(|e| format!("the Tavily API answered with invalid JSON: {e}"))?;
        format_results(query, &answer, self.max_content_chars)
    }

    fn transport_error(&self, url: &str, error: &reqwest::Error) -> String {
        if error.is_timeout() {
            format!("the request timed out after {}", seconds(self.timeout))
        } else {
            format!("could not reach {url}: {}", error_chain(error))
        }
    }
}

#[async_trait]
impl Tool for TavilySearchTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: NAME.to_owned(),
            description: DESCRIPTION.to_owned(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "query": {"type": "string", "description": "Search query to execute"}
                },
                "required": ["query"]
            }),
        }
    }

    async fn call(&self, args: Value, cx: &ToolCx) -> ToolOutput {
        let Some(query) = args.get("query").and_then(Value::as_str) else {
            return ToolOutput::error("ERROR: missing required argument 'query' (a string)");
        };
        if query.trim().is_empty() {
            return ToolOutput::error("ERROR: the search query is empty");
        }
        tokio::select! {
            biased;
            () = cx.cancel.cancelled() => ToolOutput::error("ERROR: Search was cancelled"),
            result = self.search(query) => match result {
                Ok(text) => ToolOutput::ok(text),
                Err(e) => ToolOutput::error(format!("ERROR: Search failed - {e}")),
            },
        }
    }
}

/// Upstream's answer for the API's `results`: results without a URL are left out, a missing
/// title is `Untitled`; the content is the page's markdown, else Tavily's snippet.
fn format_results(query: &str, answer: &Value, max_chars: usize) -> Result<String, String> {
    if !answer.is_object() {
        return Err("the Tavily API answer is not a JSON object".into());
    }
    let results = match answer.get("results") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(items)) => items.as_slice(),
        Some(_) => return Err("the Tavily API answer's `results` is not a list".into()),
    };
    let mut blocks = Vec::new();
    for result in results {
        let url = result.get("url").and_then(Value::as_str).unwrap_or("");
        if url.is_empty() {
            continue;
        }
        let title = result
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or("Untitled");
        let content = ["raw_content", "content"]
            .iter()
            .filter_map(|key| result.get(*key).and_then(Value::as_str))
            .find(|text| !text.trim().is_empty())
            .unwrap_or("(no content returned for this page)");
        let content = cap(content, max_chars);
        blocks.push(format!("## {title}\n**URL:** {url}\n\n{content}\n\n---\n"));
    }
    Ok(format!(
        "Found {} result(s) for '{query}':\n\n{}",
        blocks.len(),
        blocks.join("\n")
    ))
}

/// The first `max` characters of `text`, with a note when it was longer.
fn cap(text: &str, max: usize) -> String {
    let total = text.chars().count();
    if total <= max {
        return text.to_owned();
    }
    let kept: String = text.chars().take(max).collect();
    format!("{kept}\n\n[Content truncated: the first {max} of {total} characters are shown]")
}

/// A non-success answer: its status, what the status means for Tavily, and the API's `detail`.
fn status_error(status: reqwest::StatusCode, body: &str) -> String {
    let meaning = match status.as_u16() {
        400 => "bad request",
        401 => "invalid API key",
        403 | 432 | 433 => "forbidden: the key's plan or limits do not allow this",
        429 => "usage limit exceeded",
        code if code >= 500 => "Tavily server error",
        _ => status.canonical_reason().unwrap_or("unexpected status"),
    };
    let detail = error_detail(body);
    if detail.is_empty() {
        format!("HTTP {} ({meaning})", status.as_u16())
    } else {
        format!("HTTP {} ({meaning}): {detail}", status.as_u16())
    }
}

/// The API's error text: `detail.error`, `detail`, `error` or `message` of a JSON body, else
/// the start of the body.
fn error_detail(body: &str) -> String {
    if let Ok(json) = serde_json::from_str::<Value>(body) {
        let found = [
            json.pointer("/detail/error"),
            json.get("detail"),
            json.get("error"),
            json.get("message"),
        ]
        .into_iter()
        .flatten()
        .find_map(Value::as_str);
        if let Some(text) = found {
            return text.trim().to_owned();
        }
    }
    let text = body.trim();
    if text.chars().count() > 300 {
        format!("{}…", text.chars().take(300).collect::<String>())
    } else {
        text.to_owned()
    }
}

/// `30 s`, or milliseconds under a second.
fn seconds(d: Duration) -> String {
    if d >= Duration::from_secs(1) && d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// An error with its causes, each once.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        let text = inner.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = inner.source();
    }
    out
}

/// The HTTP client (TLS: see [`crate::tls`]).
fn http_client() -> Result<reqwest::Client, AgentError> {
    crate::tls::install_default_provider();
    reqwest::Client::builder()
        .user_agent(concat!("fba-agent/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| AgentError::Config(format!("the web search HTTP client: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_formatted_as_upstream_and_capped() {
        let answer = json!({"results": [
            {"title": "A", "url": "https://a.example", "raw_content": "alpha", "content": "a"},
            {"title": "no url", "url": ""},
            {"url": "https://b.example", "raw_content": null, "content": "snippet"},
        ]});
        assert_eq!(
            format_results("q", &answer, 100).unwrap(),
            "Found 2 result(s) for 'q':\n\n## A\n**URL:** https://a.example\n\nalpha\n\n---\n\n## Untitled\n**URL:** https://b.example\n\nsnippet\n\n---\n"
        );
        assert_eq!(
            cap("héllo", 2),
            "hé\n\n[Content truncated: the first 2 of 5 characters are shown]"
        );
        assert_eq!(
            format_results("q", &json!({}), 10).unwrap(),
            "Found 0 result(s) for 'q':\n\n"
        );
        assert!(format_results("q", &json!([1]), 10).is_err());
        assert!(format_results("q", &json!({"results": "x"}), 10).is_err());
    }

    #[test]
    fn error_details_come_from_the_body() {
        assert_eq!(
            status_error(
                reqwest::StatusCode::UNAUTHORIZED,
                r#"{"detail":{"error":"bad key"}}"#
            ),
            "HTTP 401 (invalid API key): bad key"
        );
        assert_eq!(
            status_error(reqwest::StatusCode::BAD_GATEWAY, ""),
            "HTTP 502 (Tavily server error)"
        );
        assert_eq!(seconds(Duration::from_secs(30)), "30 s");
        assert_eq!(seconds(Duration::from_millis(250)), "250 ms");
        assert_eq!("news".parse::<Topic>(), Ok(Topic::News));
        assert!("sports".parse::<Topic>().is_err());
    }
}
