//! FBA's page-number pagination: `?page=1&size=20` in, `{items, total, page, size, total_pages,
//! links}` out.
//!
//! `page >= 1` and `1 <= size <= 200` (else 422); a page past the end, however large, is an empty
//! page (never a 500). Links are relative and rebuilt the way Starlette rebuilds them: other
//! query parameters kept in order, then `page` and `size`.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::Serialize;
use serde_json::Value;

use crate::error::{AppError, FieldError};

/// Default page size.
pub const DEFAULT_SIZE: u64 = 20;
/// Largest page size.
pub const MAX_SIZE: u64 = 200;

/// Validated `page` and `size`, plus the request's path and query for the links.
#[derive(Debug, Clone)]
pub struct PageParams {
    /// 1-based page number.
    pub page: u64,
    /// Items per page.
    pub size: u64,
    path: String,
    query: String,
}

impl PageParams {
    /// Parses `page`/`size` from a query string.
    ///
    /// # Errors
    /// 422 naming `page` or `size` when not an integer or out of range.
    pub fn parse(path: &str, query: &str) -> Result<Self, AppError> {
        let mut page = 1u64;
        let mut size = DEFAULT_SIZE;
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            match k.as_ref() {
                "page" => page = parse_bound("page", &v, 1, None)?,
                "size" => size = parse_bound("size", &v, 1, Some(MAX_SIZE))?,
                _ => {}
            }
        }
        Ok(Self {
            page,
            size,
            path: path.to_owned(),
            query: query.to_owned(),
        })
    }

    /// Params without a request (services, tests): links use `path` and no extra query.
    pub fn new(page: u64, size: u64, path: &str) -> Self {
        Self {
            page: page.max(1),
            size: size.clamp(1, MAX_SIZE),
            path: path.to_owned(),
            query: format!("page={page}&size={size}"),
        }
    }

    /// SQL `OFFSET`, or `None` when the page lies beyond any table (empty page).
    pub fn offset(&self) -> Option<u64> {
        self.page
            .checked_sub(1)?
            .checked_mul(self.size)
            .filter(|o| *o <= i64::MAX as u64)
    }

    /// SQL `LIMIT`.
    pub fn limit(&self) -> u64 {
        self.size
    }

    fn link(&self, page: u64) -> String {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in url::form_urlencoded::parse(self.query.as_bytes()) {
            if k != "page" && k != "size" {
                ser.append_pair(&k, &v);
            }
        }
        ser.append_pair("page", &page.to_string());
        ser.append_pair("size", &self.size.to_string());
        format!("{}?{}", self.path, ser.finish())
    }
}

fn parse_bound(name: &str, raw: &str, min: u64, max: Option<u64>) -> Result<u64, AppError> {
    let loc = vec![Value::from("query"), Value::from(name)];
    let trimmed = raw.trim();
    let n = match trimmed.parse::<u64>() {
        Ok(n) => n,
        // An all-digit number beyond u64 is simply "very large": an empty page.
        Err(_) if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) => u64::MAX,
        Err(_) => {
            let negative = trimmed
                .strip_prefix('-')
                .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
            return Err(if negative {
                AppError::validation(FieldError::new(
                    "greater_than_equal",
                    loc,
                    raw.into(),
                    Some(serde_json::json!({ "ge": min })),
                ))
            } else {
                AppError::validation(FieldError::new("int_parsing", loc, raw.into(), None))
            });
        }
    };
    if n < min {
        return Err(AppError::validation(FieldError::new(
            "greater_than_equal",
            loc,
            raw.into(),
            Some(serde_json::json!({ "ge": min })),
        )));
    }
    if let Some(max) = max.filter(|m| n > *m) {
        return Err(AppError::validation(FieldError::new(
            "less_than_equal",
            loc,
            raw.into(),
            Some(serde_json::json!({ "le": max })),
        )));
    }
    Ok(n)
}

impl FromRequest for PageParams {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Self::parse(req.path(), req.query_string()))
    }
}

/// Documents `page` and `size` as the optional query parameters every paged route takes
/// (`params(PageParams)` in `#[utoipa::path]`).
impl utoipa::IntoParams for PageParams {
    fn into_params(
        _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::{ObjectBuilder, Required, Type};
        let param = |name: &str, description: &str, max: Option<u64>| {
            let schema = ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(max);
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Query)
                .required(Required::False)
                .description(Some(description))
                .schema(Some(schema))
                .build()
        };
        vec![
            param("page", "页码", None),
            param("size", "每页数量", Some(MAX_SIZE)),
        ]
    }
}

/// Page links (relative URLs).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PageLinks {
    /// Page 1.
    pub first: String,
    /// The last page (page 1 when empty).
    pub last: String,
    /// This request as received.
    #[serde(rename = "self")]
    pub self_: String,
    /// The next page, or `null`.
    pub next: Option<String>,
    /// The previous page, or `null`.
    pub prev: Option<String>,
}

/// One page of `T`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Items in all pages.
    pub total: u64,
    /// This page's number.
    pub page: u64,
    /// Page size.
    pub size: u64,
    /// `ceil(total / size)`.
    pub total_pages: u64,
    /// Navigation links.
    pub links: PageLinks,
}

impl<T> Page<T> {
    /// Builds the page from its items and the total count.
    pub fn new(items: Vec<T>, total: u64, params: &PageParams) -> Self {
        let total_pages = total.div_ceil(params.size);
        let last = total_pages.max(1);
        let self_ = if params.query.is_empty() {
            params.path.clone()
        } else {
            format!("{}?{}", params.path, params.query)
        };
        Self {
            items,
            total,
            page: params.page,
            size: params.size,
            total_pages,
            links: PageLinks {
                first: params.link(1),
                last: params.link(last),
                self_,
                next: params
                    .page
                    .checked_add(1)
                    .filter(|n| *n <= total_pages)
                    .map(|n| params.link(n)),
                prev: params
                    .page
                    .checked_sub(1)
                    .filter(|p| *p >= 1)
                    .map(|p| params.link(p)),
            },
        }
    }

    /// Maps the items, keeping the page data.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            page: self.page,
            size: self.size,
            total_pages: self.total_pages,
            links: self.links,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_follow_starlette_order_and_edges() {
        let p = PageParams::parse("/api/v1/sys/users", "size=20&username=a%20b&page=2").unwrap();
        let page = Page::new(vec![1, 2], 57, &p);
        assert_eq!(page.total_pages, 3);
        assert_eq!(
            page.links.first,
            "/api/v1/sys/users?username=a+b&page=1&size=20"
        );
        assert_eq!(
            page.links.last,
            "/api/v1/sys/users?username=a+b&page=3&size=20"
        );
        assert_eq!(
            page.links.self_,
            "/api/v1/sys/users?size=20&username=a%20b&page=2"
        );
        assert_eq!(
            page.links.next.as_deref(),
            Some("/api/v1/sys/users?username=a+b&page=3&size=20")
        );
        assert_eq!(
            page.links.prev.as_deref(),
            Some("/api/v1/sys/users?username=a+b&page=1&size=20")
        );
        let empty = Page::<u8>::new(vec![], 0, &PageParams::parse("/x", "").unwrap());
        assert_eq!(empty.total_pages, 0);
        assert_eq!(empty.links.last, "/x?page=1&size=20");
        assert_eq!(empty.links.self_, "/x");
        assert!(empty.links.next.is_none() && empty.links.prev.is_none());
    }

    #[test]
    fn bounds_are_422_and_huge_pages_are_empty() {
        assert!(matches!(
            PageParams::parse("/x", "page=0"),
            Err(AppError::Validation(_))
        ));
        assert!(matches!(
            PageParams::parse("/x", "size=201"),
            Err(AppError::Validation(_))
        ));
        assert!(matches!(
            PageParams::parse("/x", "size=0"),
            Err(AppError::Validation(_))
        ));
        assert!(matches!(
            PageParams::parse("/x", "page=-1"),
            Err(AppError::Validation(_))
        ));
        assert!(matches!(
            PageParams::parse("/x", "page=abc"),
            Err(AppError::Validation(_))
        ));
        let huge = PageParams::parse("/x", "page=99999999999999999999999").unwrap();
        assert_eq!(huge.offset(), None);
        assert_eq!(
            PageParams::parse("/x", "page=3&size=10").unwrap().offset(),
            Some(20)
        );
    }
}
