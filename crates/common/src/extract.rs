//! Request extractors that answer bad input with FBA's 422 body, naming the field.
//!
//! [`Json`] and [`Query`] deserialise with the path of the failing field
//! (`serde_path_to_error`) and map serde's complaints to pydantic's error types. The handlers
//! for actix's own `Path`, `Query`, `Json` and `Form` extractors ([`configure_extractors`]) do the
//! same for code that uses those.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, PathError, PayloadError, QueryPayloadError};
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{AppError, FieldError};

/// Largest JSON body accepted by [`Json`] (bytes).
pub const JSON_LIMIT: usize = 2 * 1024 * 1024;

/// A JSON body deserialised into `T`; any failure is a 422 naming the field.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    /// The inner value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|ct| {
                let ct = ct.to_ascii_lowercase();
                ct.starts_with("application/json")
                    || (ct.starts_with("application/") && ct.contains("+json"))
            })
            .unwrap_or(false);
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = body.await.map_err(|e| payload_error(&e))?;
            if !is_json {
                let input = Value::String(String::from_utf8_lossy(&bytes).into_owned());
                return Err(AppError::validation(FieldError::new(
                    "model_attributes_type",
                    vec!["body".into()],
                    input,
                    None,
                )));
            }
            parse_json(&bytes).map(Json)
        })
    }
}

/// Parses a JSON document into `T` with pydantic-style errors.
///
/// # Errors
/// [`AppError::Validation`] with `json_invalid` for malformed JSON, or the failing field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        AppError::validation(FieldError::new(
            "json_invalid",
            vec!["body".into(), e.column().into()],
            Value::Object(Default::default()),
            Some(serde_json::json!({ "error": e.to_string() })),
        ))
    })?;
    serde_path_to_error::deserialize::<_, T>(&value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        AppError::validation(field_error_from_serde(
            "body",
            &path,
            &inner.to_string(),
            &value,
        ))
    })
}

/// Query-string parameters deserialised into `T`; any failure is a 422 naming the parameter.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T> Query<T> {
    /// The inner value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(Query))
    }
}

/// Parses a query string into `T` with pydantic-style errors.
///
/// # Errors
/// [`AppError::Validation`] naming the parameter.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, AppError> {
    // No backend stores a NUL in text (PostgreSQL refuses the whole statement), so a filter
    // holding one is a 422 here, for every query of every route.
    if let Some((name, value)) = url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, v)| k.contains('\0') || v.contains('\0'))
    {
        return Err(AppError::validation(nul_error(
            vec![Value::from("query"), Value::from(name.into_owned())],
            Value::String(value.into_owned()),
        )));
    }
    let de = serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize::<_, T>(de).map_err(|e| {
        let path = e.path().to_string();
        let pairs: serde_json::Map<String, Value> = url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect();
        AppError::validation(field_error_from_serde(
            "query",
            &path,
            &e.into_inner().to_string(),
            &Value::Object(pairs),
        ))
    })
}

/// The 422 for text holding a NUL character at `loc`.
fn nul_error(loc: Vec<Value>, input: Value) -> FieldError {
    FieldError::new(
        "value_error",
        loc,
        input,
        Some(serde_json::json!({ "error": "the text must not contain a NUL character" })),
    )
}

/// Turns a serde message at `path` into a pydantic-style [`FieldError`].
fn field_error_from_serde(section: &str, path: &str, message: &str, root: &Value) -> FieldError {
    let mut loc: Vec<Value> = vec![section.into()];
    let parent_path: Vec<&str> = path
        .split('.')
        .filter(|p| !p.is_empty() && *p != "?")
        .collect();
    for p in &parent_path {
        loc.push(
            p.parse::<u64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::from(*p)),
        );
    }
    let at = |segments: &[&str]| -> Value {
        let mut cur = root;
        for s in segments {
            cur = match cur {
                Value::Object(m) => m.get(*s).unwrap_or(&Value::Null),
                Value::Array(a) => s
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| a.get(i))
                    .unwrap_or(&Value::Null),
                _ => &Value::Null,
            };
        }
        cur.clone()
    };
    if let Some(field) = between(message, "missing field `", "`") {
        // serde reports a missing field at its parent; pydantic shows the parent as input.
        let input = at(&parent_path);
        loc.push(field.into());
        return FieldError::new("missing", loc, input, None);
    }
    if let Some(field) = between(message, "unknown field `", "`") {
        loc.push(field.into());
        return FieldError::new("extra_forbidden", loc, Value::Null, None);
    }
    let input = at(&parent_path);
    let expected = message
        .split("expected ")
        .nth(1)
        .unwrap_or("")
        .to_ascii_lowercase();
    let kind = if message.starts_with("unknown variant") {
        let choices = expected.replace('`', "'");
        return FieldError::new(
            "enum",
            loc,
            input,
            Some(serde_json::json!({ "expected": choices })),
        );
    } else if message.starts_with("invalid digit") || message.contains("invalid digit") {
        "int_parsing"
    } else if expected.contains("i64")
        || expected.contains("u64")
        || expected.contains("i32")
        || expected.contains("u32")
        || expected.contains("integer")
        || expected.contains("u16")
        || expected.contains("u8")
        || expected.contains("i16")
        || expected.contains("i8")
    {
        if input.is_string() {
            "int_parsing"
        } else {
            "int_type"
        }
    } else if expected.contains("string") || expected.contains("str") {
        "string_type"
    } else if expected.contains("bool") {
        "bool_type"
    } else if expected.contains("f64") || expected.contains("f32") || expected.contains("float") {
        "float_type"
    } else if expected.contains("sequence") {
        "list_type"
    } else if expected.contains("map") || expected.contains("struct") {
        "model_attributes_type"
    } else {
        return FieldError::new(
            "value_error",
            loc,
            input,
            Some(serde_json::json!({ "error": message })),
        );
    };
    FieldError::new(kind, loc, input, None)
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = &s[s.find(start)? + start.len()..];
    Some(&rest[..rest.find(end)?])
}

fn payload_error(e: &actix_web::Error) -> AppError {
    match e.as_error::<PayloadError>() {
        Some(PayloadError::Overflow) => return AppError::PayloadTooLarge { limit: JSON_LIMIT },
        Some(p) if crate::middleware::body_deadline::is_body_timeout(p) => {
            return AppError::RequestTimeout;
        }
        _ => {}
    }
    AppError::BadRequest(e.to_string())
}

/// Registers 422 error handlers for actix's own extractors and the body size limit.
pub fn configure_extractors(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::PayloadConfig::new(JSON_LIMIT))
        .app_data(
            web::JsonConfig::default()
                .limit(JSON_LIMIT)
                .error_handler(|e, _| {
                    let app = match e {
                        JsonPayloadError::Payload(p)
                            if crate::middleware::body_deadline::is_body_timeout(&p) =>
                        {
                            AppError::RequestTimeout
                        }
                        JsonPayloadError::Overflow { limit }
                        | JsonPayloadError::OverflowKnownLength { limit, .. } => {
                            AppError::PayloadTooLarge { limit }
                        }
                        JsonPayloadError::ContentType => AppError::validation(FieldError::new(
                            "model_attributes_type",
                            vec!["body".into()],
                            Value::Null,
                            None,
                        )),
                        other => AppError::validation(FieldError::new(
                            "json_invalid",
                            vec!["body".into()],
                            Value::Object(Default::default()),
                            Some(serde_json::json!({ "error": other.to_string() })),
                        )),
                    };
                    app.into()
                }),
        )
        .app_data(web::PathConfig::default().error_handler(|e, req| {
            let PathError::Deserialize(de) = &e else {
                return AppError::RouteNotFound.into();
            };
            let msg = de.to_string();
            let name = req
                .match_info()
                .iter()
                .next()
                .map(|(k, _)| k.to_owned())
                .unwrap_or_default();
            let input = req.match_info().get(&name).unwrap_or("").to_owned();
            let kind = if msg.contains("integer")
                || msg.contains("invalid digit")
                || msg.contains("number too large")
                || msg.contains("can not parse")
            {
                "int_parsing"
            } else {
                "value_error"
            };
            let ctx = (kind == "value_error").then(|| serde_json::json!({ "error": msg }));
            AppError::validation(FieldError::new(
                kind,
                vec!["path".into(), name.into()],
                input.into(),
                ctx,
            ))
            .into()
        }))
        .app_data(web::QueryConfig::default().error_handler(|e, _| {
            let QueryPayloadError::Deserialize(de) = &e else {
                return AppError::BadRequest(e.to_string()).into();
            };
            AppError::validation(FieldError::new(
                "value_error",
                vec!["query".into()],
                Value::Null,
                Some(serde_json::json!({ "error": de.to_string() })),
            ))
            .into()
        }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Login {
        username: String,
        password: String,
        age: Option<u8>,
    }

    #[test]
    fn missing_field_is_named_with_parent_as_input() {
        let Err(AppError::Validation(errs)) = parse_json::<Login>(br#"{"password":"x"}"#) else {
            panic!("expected a validation error");
        };
        assert_eq!(errs[0].kind, "missing");
        assert_eq!(
            errs[0].loc,
            vec![Value::from("body"), Value::from("username")]
        );
        assert_eq!(errs[0].input, serde_json::json!({"password": "x"}));
    }

    #[test]
    fn wrong_type_and_bad_json_are_typed() {
        let Err(AppError::Validation(errs)) =
            parse_json::<Login>(br#"{"username":1,"password":"x"}"#)
        else {
            panic!("expected a validation error");
        };
        assert_eq!(errs[0].kind, "string_type");
        assert_eq!(
            errs[0].loc,
            vec![Value::from("body"), Value::from("username")]
        );
        let Err(AppError::Validation(errs)) = parse_json::<Login>(b"{not json") else {
            panic!("expected a validation error");
        };
        assert_eq!(errs[0].kind, "json_invalid");
        let Err(AppError::Validation(errs)) =
            parse_json::<Login>(br#"{"username":"a","password":"x","age":300}"#)
        else {
            panic!("expected a validation error");
        };
        assert_eq!(errs[0].loc, vec![Value::from("body"), Value::from("age")]);
    }

    #[test]
    fn query_errors_name_the_parameter() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Q {
            page: Option<u64>,
        }
        let Err(AppError::Validation(errs)) = parse_query::<Q>("page=abc") else {
            panic!("expected a validation error");
        };
        assert_eq!(errs[0].loc, vec![Value::from("query"), Value::from("page")]);
        assert_eq!(errs[0].kind, "int_parsing");
    }
}
