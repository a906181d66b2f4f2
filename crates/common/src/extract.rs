//! Request extractors that answer bad input with FBA's 422 body, naming the field.
//!
//! [`Json`] and [`Query`] deserialise with the path of the failing field
//! (`serde_path_to_error`) and map serde's complaints to pydantic's error types. The handlers
//! for actix's own `Path`, `Query`, `Json` and `Form` extractors ([`configure_extractors`]) do the
//! same for code that uses those.
//!
//! Like pydantic, a JSON body's 422 lists every invalid field, in the order the body's struct
//! declares them: [`Json`] goes on past each field serde refuses (a stand-in of the right type
//! takes its place), and [`ValidJson`] adds the errors of the body's own checks ([`Validate`],
//! written with [`FieldErrors`] so they too go on after a failure) for the other fields.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, PathError, PayloadError, QueryPayloadError};
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::{DeserializeOwned, Visitor};
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
        let body = json_body(req, payload);
        Box::pin(async move { parse_json(&body.await?).map(Json) })
    }
}

/// A request body that checks itself into a validated value (FBA's pydantic model with its
/// field constraints): "parse, don't validate" at the edge.
pub trait Validate: Sized {
    /// What a body that passed every check becomes.
    type Valid;

    /// Checks every field, in the order the struct declares them.
    ///
    /// # Errors
    /// [`AppError::Validation`] naming every invalid field, not only the first (see
    /// [`FieldErrors`]).
    fn validate(self) -> Result<Self::Valid, AppError>;
}

/// Implements [`Validate`] for request bodies through their own
/// `fn parse(self) -> Result<Valid, AppError>`: `validate_by_parse!(Body => ValidBody, ...)`.
#[macro_export]
macro_rules! validate_by_parse {
    ($($body:ty => $valid:ty),+ $(,)?) => {
        $(
            impl $crate::extract::Validate for $body {
                type Valid = $valid;

                fn validate(self) -> Result<$valid, $crate::AppError> {
                    self.parse()
                }
            }
        )+
    };
}

/// A JSON body deserialised into `T` and checked into `T::Valid`; any failure is a 422 that
/// names every invalid field, as pydantic's does: the fields serde refuses (missing, wrong
/// type) and those `T`'s own checks refuse, in the order `T` declares its fields.
pub struct ValidJson<T: Validate>(pub T::Valid);

impl<T: Validate> ValidJson<T> {
    /// The validated value.
    pub fn into_inner(self) -> T::Valid {
        self.0
    }
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ValidJson<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = json_body(req, payload);
        Box::pin(async move { parse_valid_json::<T>(&body.await?).map(ValidJson) })
    }
}

/// The bytes of a request body sent as JSON (`application/json` or `application/*+json`);
/// another content type is a 422 `model_attributes_type`.
fn json_body(
    req: &HttpRequest,
    payload: &mut Payload,
) -> impl Future<Output = Result<web::Bytes, AppError>> + 'static {
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
    async move {
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
        Ok(bytes)
    }
}

/// Parses a JSON document into `T` with pydantic-style errors.
///
/// # Errors
/// [`AppError::Validation`] with `json_invalid` for malformed JSON, or every field serde
/// refuses, in the order `T` declares them.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let value = json_value(bytes)?;
    let mut attempt = deserialize_all::<T>("body", &value);
    match attempt.value {
        Some(v) if attempt.errors.is_empty() => Ok(v),
        _ => {
            sort_by_fields(&mut attempt.errors, declared_fields::<T>());
            Err(AppError::Validation(attempt.errors))
        }
    }
}

/// Parses a JSON document into `T` and checks it into `T::Valid` with pydantic-style errors.
///
/// # Errors
/// [`AppError::Validation`] with `json_invalid` for malformed JSON, or every invalid field
/// (those serde refuses, then those [`Validate::validate`] refuses among the others) in the
/// order `T` declares them.
pub fn parse_valid_json<T: DeserializeOwned + Validate>(
    bytes: &[u8],
) -> Result<T::Valid, AppError> {
    let value = json_value(bytes)?;
    let attempt = deserialize_all::<T>("body", &value);
    let mut errors = attempt.errors;
    let checked = attempt.value.map(Validate::validate);
    match checked {
        Some(Ok(valid)) if errors.is_empty() => return Ok(valid),
        Some(Err(AppError::Validation(more))) => {
            // A field serde refused holds a stand-in: what the checks say of it is moot.
            errors.extend(more.into_iter().filter(|e| {
                !attempt
                    .failed
                    .iter()
                    .any(|f| top_field(e).is_some_and(|t| t == f.as_str()))
            }));
        }
        Some(Err(other)) if errors.is_empty() => return Err(other),
        _ => {}
    }
    sort_by_fields(&mut errors, declared_fields::<T>());
    Err(AppError::Validation(errors))
}

/// The JSON document of a body; 422 `json_invalid` when it is not one.
fn json_value(bytes: &[u8]) -> Result<Value, AppError> {
    serde_json::from_slice(bytes).map_err(|e| {
        AppError::validation(FieldError::new(
            "json_invalid",
            vec!["body".into(), e.column().into()],
            Value::Object(Default::default()),
            Some(serde_json::json!({ "error": e.to_string() })),
        ))
    })
}

/// Collects the field errors of a body's checks so that one 422 names every invalid field, in
/// the order the checks ran; a check that failed does not stop the next.
///
/// ```
/// # use fba_common::extract::FieldErrors;
/// # use fba_common::{AppError, FieldError};
/// # fn check(field: &str, ok: bool) -> Result<i32, AppError> {
/// #     if ok { Ok(1) } else {
/// #         Err(AppError::validation(FieldError::body("missing", field, serde_json::Value::Null, None)))
/// #     }
/// # }
/// let mut errors = FieldErrors::new();
/// let a = errors.take(check("a", false));
/// let b = errors.take(check("b", false));
/// let Err(AppError::Validation(all)) = errors.finish() else { unreachable!() };
/// assert_eq!(all.len(), 2);
/// # let _ = (a, b);
/// ```
#[derive(Debug, Default)]
pub struct FieldErrors {
    errors: Vec<FieldError>,
    other: Option<AppError>,
}

impl FieldErrors {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value of a check that passed. A failed check's field errors are kept and
    /// `T::default()` stands in for its value, which [`FieldErrors::finish`] then never lets
    /// through.
    pub fn take<T: Default>(&mut self, result: Result<T, AppError>) -> T {
        match result {
            Ok(v) => v,
            Err(AppError::Validation(errors)) => {
                self.errors.extend(errors);
                T::default()
            }
            Err(other) => {
                self.other.get_or_insert(other);
                T::default()
            }
        }
    }

    /// Records one field error.
    pub fn push(&mut self, error: FieldError) {
        self.errors.push(error);
    }

    /// Whether every check so far passed.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty() && self.other.is_none()
    }

    /// `Ok` when every check passed.
    ///
    /// # Errors
    /// The first error that is not a field error, else [`AppError::Validation`] with every
    /// field error in the order met.
    pub fn finish(self) -> Result<(), AppError> {
        match (self.other, self.errors.is_empty()) {
            (Some(other), _) => Err(other),
            (None, true) => Ok(()),
            (None, false) => Err(AppError::Validation(self.errors)),
        }
    }
}

/// What [`deserialize_all`] made of a body.
struct Attempt<T> {
    /// `T`, with stand-ins for the refused fields; `None` when no stand-in fitted.
    value: Option<T>,
    /// One error per refused field, in the order serde met them.
    errors: Vec<FieldError>,
    /// The refused top-level fields.
    failed: Vec<String>,
}

/// Values tried in place of a field serde refused, until one fits its type.
fn stand_ins() -> [Value; 6] {
    [
        Value::Null,
        Value::String(String::new()),
        Value::from(0),
        Value::Bool(false),
        Value::Array(Vec::new()),
        Value::Object(serde_json::Map::new()),
    ]
}

/// Deserialises `root` into `T`. When a top-level field is refused (missing, wrong type,
/// unknown), its error is kept and the field is replaced by a stand-in that fits (or removed,
/// when unknown), and deserialisation goes on, so every refused field is reported. Each field
/// is retried at most once per stand-in, so the work stays bounded.
fn deserialize_all<T: DeserializeOwned>(section: &str, root: &Value) -> Attempt<T> {
    let mut err = match serde_path_to_error::deserialize::<_, T>(root) {
        Ok(value) => {
            return Attempt {
                value: Some(value),
                errors: Vec::new(),
                failed: Vec::new(),
            };
        }
        Err(e) => e,
    };
    let mut attempt = Attempt {
        value: None,
        errors: Vec::new(),
        failed: Vec::new(),
    };
    let mut work = root.clone();
    // the field being fitted with a stand-in, and the index of the next stand-in to try
    let mut fitting: Option<(String, usize)> = None;
    loop {
        let path = err.path().to_string();
        let message = err.inner().to_string();
        let key = error_field(&path, &message);
        let (Some(key), Some(object)) = (key, work.as_object_mut()) else {
            // the body as a whole is refused (not an object, ...)
            if attempt.errors.is_empty() {
                attempt
                    .errors
                    .push(field_error_from_serde(section, &path, &message, root));
            }
            return attempt;
        };
        let next = match &fitting {
            Some((field, i)) if *field == key => i + 1,
            _ => {
                if attempt.failed.contains(&key) {
                    return attempt;
                }
                attempt
                    .errors
                    .push(field_error_from_serde(section, &path, &message, root));
                attempt.failed.push(key.clone());
                0
            }
        };
        if message.starts_with("unknown field") {
            object.remove(&key);
        } else {
            let Some(stand_in) = stand_ins().into_iter().nth(next) else {
                return attempt;
            };
            object.insert(key.clone(), stand_in);
        }
        fitting = Some((key, next));
        match serde_path_to_error::deserialize::<_, T>(&work) {
            Ok(value) => {
                attempt.value = Some(value);
                return attempt;
            }
            Err(e) => err = e,
        }
    }
}

/// The top-level field a serde error is about: the first segment of its path, else the field
/// a `missing field` / `unknown field` message names.
fn error_field(path: &str, message: &str) -> Option<String> {
    path.split('.')
        .find(|p| !p.is_empty() && *p != "?")
        .or_else(|| between(message, "missing field `", "`"))
        .or_else(|| between(message, "unknown field `", "`"))
        .map(str::to_owned)
}

/// The top-level field of an error (`loc[1]`).
fn top_field(error: &FieldError) -> Option<&str> {
    error.loc.get(1).and_then(Value::as_str)
}

/// Orders errors by the declaration order of their top-level field (a stable sort: errors of
/// one field, and those of no declared field, keep their order).
fn sort_by_fields(errors: &mut [FieldError], fields: &[&str]) {
    if fields.is_empty() {
        return;
    }
    errors.sort_by_key(|e| {
        top_field(e)
            .and_then(|f| fields.iter().position(|d| *d == f))
            .unwrap_or(fields.len())
    });
}

/// The field names of struct `T` in declaration order, as serde names them (renames applied);
/// empty when `T` is not a plain struct (a map, an enum, a struct with flattened fields).
pub fn declared_fields<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(FieldProbe(&mut fields));
    fields
}

/// A deserializer that only learns the field list a derived struct passes to
/// `deserialize_struct`, then fails.
struct FieldProbe<'a>(&'a mut &'static [&'static str]);

impl<'de> serde::Deserializer<'de> for FieldProbe<'_> {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(serde::de::Error::custom("field names read"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
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
    } else if expected.contains("map") || expected.contains("struct") {
        // Before the string check: "struct" contains "str".
        "model_attributes_type"
    } else if expected.contains("string") || expected.contains("str") {
        "string_type"
    } else if expected.contains("bool") {
        "bool_type"
    } else if expected.contains("f64") || expected.contains("f32") || expected.contains("float") {
        "float_type"
    } else if expected.contains("sequence") {
        "list_type"
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
        // A model where a scalar came: pydantic's `model_attributes_type`, not `string_type`
        // ("struct" contains "str").
        let Err(AppError::Validation(errs)) = parse_json::<Vec<Login>>(br#"[5]"#) else {
            panic!("expected a validation error");
        };
        assert_eq!(errs[0].kind, "model_attributes_type");
    }

    /// `loc[1]` and `type` of every error of a 422.
    fn fields_and_kinds(result: Result<impl std::fmt::Debug, AppError>) -> Vec<(String, String)> {
        let Err(AppError::Validation(errs)) = result else {
            panic!("expected a validation error, got {result:?}");
        };
        errs.iter()
            .map(|e| (top_field(e).unwrap_or("").to_owned(), e.kind.clone()))
            .collect()
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(f, k)| ((*f).to_owned(), (*k).to_owned()))
            .collect()
    }

    #[test]
    fn every_refused_field_is_reported_in_declaration_order() {
        assert_eq!(
            fields_and_kinds(parse_json::<Login>(b"{}")),
            pairs(&[("username", "missing"), ("password", "missing")])
        );
        // serde meets `age` first (input order); pydantic lists fields as declared
        assert_eq!(
            fields_and_kinds(parse_json::<Login>(br#"{"age":"x","password":1}"#)),
            pairs(&[
                ("username", "missing"),
                ("password", "string_type"),
                ("age", "int_parsing"),
            ])
        );
        // every missing error shows the body as it was sent
        let Err(AppError::Validation(errs)) = parse_json::<Login>(br#"{"age":1}"#) else {
            panic!("expected a validation error");
        };
        assert!(
            errs.iter()
                .all(|e| e.input == serde_json::json!({"age": 1}))
        );
        // a body that is not an object is one error, about the body
        let Err(AppError::Validation(errs)) = parse_json::<Login>(br#""text""#) else {
            panic!("expected a validation error");
        };
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].loc, vec![Value::from("body")]);
    }

    #[derive(Debug, Deserialize)]
    struct Role {
        name: String,
        #[serde(rename = "type")]
        kind: Value,
        #[serde(default)]
        remark: Option<String>,
    }

    impl Validate for Role {
        type Valid = (String, i64);

        fn validate(self) -> Result<Self::Valid, AppError> {
            let mut errors = FieldErrors::new();
            if self.name.len() > 3 {
                errors.push(FieldError::body(
                    "string_too_long",
                    "name",
                    self.name.clone().into(),
                    None,
                ));
            }
            let kind = errors.take(
                self.kind
                    .as_i64()
                    .filter(|k| (0..2).contains(k))
                    .ok_or_else(|| {
                        AppError::validation(FieldError::body(
                            "enum",
                            "type",
                            self.kind.clone(),
                            None,
                        ))
                    }),
            );
            if self.remark.as_deref() == Some("bad") {
                errors.push(FieldError::body("value_error", "remark", Value::Null, None));
            }
            errors.finish()?;
            Ok((self.name, kind))
        }
    }

    #[test]
    fn declared_fields_are_serdes_names_in_order() {
        assert_eq!(declared_fields::<Role>(), ["name", "type", "remark"]);
        assert!(declared_fields::<Value>().is_empty());
    }

    #[test]
    fn valid_json_merges_serde_and_check_errors_in_declaration_order() {
        assert_eq!(
            parse_valid_json::<Role>(br#"{"name":"ab","type":1}"#).unwrap(),
            ("ab".to_owned(), 1)
        );
        // both required fields missing: the stand-ins' check errors are not reported
        assert_eq!(
            fields_and_kinds(parse_valid_json::<Role>(b"{}")),
            pairs(&[("name", "missing"), ("type", "missing")])
        );
        // one field refused by serde, the others by the checks
        assert_eq!(
            fields_and_kinds(parse_valid_json::<Role>(br#"{"remark":"bad","type":5}"#)),
            pairs(&[
                ("name", "missing"),
                ("type", "enum"),
                ("remark", "value_error"),
            ])
        );
        // only the checks fail: every field they refuse
        assert_eq!(
            fields_and_kinds(parse_valid_json::<Role>(
                br#"{"name":"abcd","type":7,"remark":"bad"}"#
            )),
            pairs(&[
                ("name", "string_too_long"),
                ("type", "enum"),
                ("remark", "value_error"),
            ])
        );
        // a wrong type on a typed field, and a check failure
        assert_eq!(
            fields_and_kinds(parse_valid_json::<Role>(br#"{"type":9,"name":[1]}"#)),
            pairs(&[("name", "string_type"), ("type", "enum")])
        );
    }

    #[test]
    fn field_errors_keep_every_failure_and_stand_in_defaults() {
        let mut errors = FieldErrors::new();
        assert!(errors.is_empty());
        let ok: i32 = errors.take(Ok(5));
        assert_eq!(ok, 5);
        assert!(errors.finish().is_ok());
        let mut errors = FieldErrors::new();
        let a: i32 = errors.take(Err(AppError::validation(FieldError::body(
            "missing",
            "a",
            Value::Null,
            None,
        ))));
        assert_eq!(a, 0);
        errors.push(FieldError::body("missing", "b", Value::Null, None));
        assert!(!errors.is_empty());
        assert_eq!(
            fields_and_kinds(errors.finish()),
            pairs(&[("a", "missing"), ("b", "missing")])
        );
        let mut errors = FieldErrors::new();
        errors.take::<()>(Err(AppError::Internal("boom".into())));
        errors.push(FieldError::body("missing", "b", Value::Null, None));
        assert!(matches!(errors.finish(), Err(AppError::Internal(_))));
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
