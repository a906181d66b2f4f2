//! Titles of operation-log rows: FBA records the route's OpenAPI `summary`. [`RouteTitles`]
//! maps `(method, route pattern)` to a title; it owns nothing else.

use std::collections::HashMap;

use actix_web::http::Method;

/// Titles of routes by method and route pattern (FBA's OpenAPI `summary`).
#[derive(Debug, Clone, Default)]
pub struct RouteTitles {
    titles: HashMap<(Method, String), String>,
}

impl RouteTitles {
    /// No titles: every route is recorded with its pattern.
    pub fn new() -> Self {
        Self::default()
    }

    /// The `summary` of every operation of an OpenAPI document, by method and path template.
    pub fn from_openapi(doc: &utoipa::openapi::OpenApi) -> Self {
        let mut titles = Self::new();
        for (path, item) in &doc.paths.paths {
            let operations = [
                (Method::GET, &item.get),
                (Method::PUT, &item.put),
                (Method::POST, &item.post),
                (Method::DELETE, &item.delete),
                (Method::OPTIONS, &item.options),
                (Method::HEAD, &item.head),
                (Method::PATCH, &item.patch),
                (Method::TRACE, &item.trace),
            ];
            for (method, op) in operations {
                if let Some(summary) = op.as_ref().and_then(|o| o.summary.as_ref()) {
                    titles.insert(method, path.clone(), summary.clone());
                }
            }
        }
        titles
    }

    /// Sets the title of `method pattern` (`pattern` as actix matches it, e.g.
    /// `/api/v1/sys/users/{pk}`).
    pub fn insert(&mut self, method: Method, pattern: impl Into<String>, title: impl Into<String>) {
        self.titles.insert((method, pattern.into()), title.into());
    }

    /// Adds every title of `other` (its titles win).
    pub fn extend(&mut self, other: RouteTitles) {
        self.titles.extend(other.titles);
    }

    /// The title of a request: its registered title, else the matched pattern, else `""`.
    pub fn title(&self, method: &Method, pattern: Option<&str>) -> String {
        let Some(pattern) = pattern else {
            return String::new();
        };
        self.titles
            .get(&(method.clone(), pattern.to_owned()))
            .cloned()
            .unwrap_or_else(|| pattern.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_fall_back_to_the_pattern_then_empty() {
        let mut titles = RouteTitles::new();
        titles.insert(Method::GET, "/api/v1/logs/opera", "分页获取操作日志");
        assert_eq!(
            titles.title(&Method::GET, Some("/api/v1/logs/opera")),
            "分页获取操作日志"
        );
        assert_eq!(
            titles.title(&Method::DELETE, Some("/api/v1/logs/opera")),
            "/api/v1/logs/opera"
        );
        assert_eq!(titles.title(&Method::GET, None), "");
    }
}
