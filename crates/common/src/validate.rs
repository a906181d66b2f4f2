//! Request validators shaped like pydantic's lax mode: each checks one raw JSON value (or query
//! string) and answers FBA's 422 body for it ([`AppError::Validation`] with one [`FieldError`]
//! naming the field's `loc`). Request schemas call them while parsing a body into a validated
//! type; deeper code never re-checks. No I/O, no business rules.

use serde_json::{Value, json};

use crate::extract::FieldErrors;
use crate::{AppError, FieldError};

/// Checks a text field: at most `max` characters (when a maximum applies), no NUL character.
///
/// # Errors
/// 422 `string_too_long` / `value_error` at `loc`.
pub fn check_text(loc: &[Value], value: &str, max: Option<usize>) -> Result<(), AppError> {
    if let Some(max) = max.filter(|m| value.chars().count() > *m) {
        return Err(AppError::validation(FieldError::new(
            "string_too_long",
            loc.to_vec(),
            Value::String(value.to_owned()),
            Some(json!({ "max_length": max })),
        )));
    }
    if value.contains('\0') {
        return Err(AppError::validation(FieldError::new(
            "value_error",
            loc.to_vec(),
            Value::String(value.to_owned()),
            Some(json!({ "error": "the text must not contain a NUL character" })),
        )));
    }
    Ok(())
}

/// The `loc` of body field `field`: `["body", field]`.
pub fn body_loc(field: &str) -> Vec<Value> {
    vec![Value::from("body"), Value::from(field)]
}

/// An integer as pydantic's lax mode reads it: a JSON integer, a float without fraction, or a
/// numeric string; the result is checked against `min..=max`.
///
/// # Errors
/// 422 `int_type` / `int_parsing` / `greater_than_equal` / `less_than_equal` at `loc`.
pub fn lax_int(loc: &[Value], input: &Value, min: i64, max: i64) -> Result<i64, AppError> {
    let err = |kind: &str, ctx: Option<Value>| {
        AppError::validation(FieldError::new(kind, loc.to_vec(), input.clone(), ctx))
    };
    let wide: i128 = match input {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i128::from(i)
            } else if let Some(u) = n.as_u64() {
                i128::from(u)
            } else {
                match n.as_f64() {
                    // Saturating cast: anything beyond i128 is out of range anyway.
                    Some(f) if f.is_finite() && f.fract() == 0.0 => f as i128,
                    _ => return Err(err("int_type", None)),
                }
            }
        }
        Value::String(s) => {
            let t = s.trim();
            let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err("int_parsing", None));
            }
            // An all-digit text too long for i128 is simply out of range.
            t.parse::<i128>().unwrap_or(if t.starts_with('-') {
                i128::MIN
            } else {
                i128::MAX
            })
        }
        _ => return Err(err("int_type", None)),
    };
    if wide < i128::from(min) {
        return Err(err("greater_than_equal", Some(json!({ "ge": min }))));
    }
    if wide > i128::from(max) {
        return Err(err("less_than_equal", Some(json!({ "le": max }))));
    }
    // In range of i64 by the checks above.
    i64::try_from(wide).map_err(|_| err("int_parsing", None))
}

/// An id (any 64-bit integer).
///
/// # Errors
/// As [`lax_int`].
pub fn lax_id(loc: &[Value], input: &Value) -> Result<i64, AppError> {
    lax_int(loc, input, i64::MIN, i64::MAX)
}

/// An optional id: absent or `null` is `None`.
///
/// # Errors
/// As [`lax_int`].
pub fn lax_opt_id(loc: &[Value], input: Option<&Value>) -> Result<Option<i64>, AppError> {
    match input {
        None | Some(Value::Null) => Ok(None),
        Some(v) => lax_id(loc, v).map(Some),
    }
}

/// An int enum (`StatusType`, `MenuType`): an integer among `allowed`, else 422 `enum` with
/// pydantic's `expected` text.
///
/// # Errors
/// 422 naming the field.
pub fn int_enum(
    loc: &[Value],
    input: &Value,
    allowed: &[i32],
    expected: &str,
) -> Result<i32, AppError> {
    let enum_err = || {
        AppError::validation(FieldError::new(
            "enum",
            loc.to_vec(),
            input.clone(),
            Some(json!({ "expected": expected })),
        ))
    };
    let n = lax_int(loc, input, i64::MIN, i64::MAX).map_err(|_| enum_err())?;
    i32::try_from(n)
        .ok()
        .filter(|v| allowed.contains(v))
        .ok_or_else(enum_err)
}

/// `StatusType` (0 or 1).
///
/// # Errors
/// 422 `enum` naming the field.
pub fn status_type(loc: &[Value], input: &Value) -> Result<i32, AppError> {
    int_enum(loc, input, &[0, 1], "0 or 1")
}

/// Most ids one request may name (`pks` of a batch delete, `menus` of a role, ...): far above
/// what FBA's UI sends (a page of at most 200 rows), far below the 32 766 / 65 535 bound
/// parameters SQLite and PostgreSQL accept in one statement.
pub const MAX_IDS: usize = 10_000;

/// A list of ids (`{"menus": [..]}`, `{"pks": [..]}`): each element as [`lax_id`], the error
/// naming its index.
///
/// # Errors
/// 422 `list_type` when not a list, `too_long` beyond [`MAX_IDS`], or every bad element (as
/// pydantic lists them).
pub fn id_list(field: &str, input: &Value) -> Result<Vec<i64>, AppError> {
    let Value::Array(items) = input else {
        return Err(AppError::validation(FieldError::body(
            "list_type",
            field,
            input.clone(),
            None,
        )));
    };
    if items.len() > MAX_IDS {
        // pydantic's `too_long`; the input is not echoed back (it can be 10 000 numbers).
        return Err(AppError::validation(FieldError::body(
            "too_long",
            field,
            Value::Null,
            Some(json!({
                "field_type": "List",
                "max_length": MAX_IDS,
                "actual_length": items.len(),
            })),
        )));
    }
    let mut errors = FieldErrors::new();
    let ids = items
        .iter()
        .enumerate()
        .map(|(i, v)| {
            errors.take(lax_id(
                &[Value::from("body"), Value::from(field), Value::from(i)],
                v,
            ))
        })
        .collect();
    errors.finish()?;
    Ok(ids)
}

/// A boolean as pydantic's lax mode reads one: `true`/`false`, `0`/`1`, or one of the texts
/// `true false 1 0 yes no y n on off t f` in any case.
///
/// # Errors
/// 422 `bool_type` for anything else.
pub fn lax_bool(loc: &[Value], input: &Value) -> Result<bool, AppError> {
    let parsed = match input {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_f64() {
            Some(0.0) => Some(false),
            Some(1.0) => Some(true),
            _ => None,
        },
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "y" | "on" | "t" => Some(true),
            "0" | "false" | "no" | "n" | "off" | "f" => Some(false),
            _ => None,
        },
        _ => None,
    };
    parsed.ok_or_else(|| {
        AppError::validation(FieldError::new(
            "bool_type",
            loc.to_vec(),
            input.clone(),
            None,
        ))
    })
}

/// Optional text filter of a list query: absent or empty (`title=`, what the UI sends for an
/// emptied field) means no filter.
pub fn text_filter(raw: Option<String>) -> Option<String> {
    raw.filter(|s| !s.is_empty())
}

/// Optional integer filter of a list query (`status`): absent or empty means no filter.
///
/// # Errors
/// 422 `int_parsing` naming the parameter.
pub fn int_filter(name: &str, raw: Option<String>) -> Result<Option<i32>, AppError> {
    let Some(raw) = raw.filter(|s| !s.trim().is_empty()) else {
        return Ok(None);
    };
    let loc = vec![Value::from("query"), Value::from(name)];
    let n = lax_int(
        &loc,
        &Value::String(raw),
        i64::from(i32::MIN),
        i64::from(i32::MAX),
    )?;
    // In range by the bounds above.
    Ok(i32::try_from(n).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(e: AppError) -> (String, Vec<Value>) {
        match e {
            AppError::Validation(errs) => (errs[0].kind.clone(), errs[0].loc.clone()),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn lax_ints_follow_pydantic() {
        let loc = body_loc("x");
        assert_eq!(lax_id(&loc, &json!(5)).unwrap(), 5);
        assert_eq!(lax_id(&loc, &json!("7")).unwrap(), 7);
        assert_eq!(lax_id(&loc, &json!(3.0)).unwrap(), 3);
        assert_eq!(kind(lax_id(&loc, &json!(3.5)).unwrap_err()).0, "int_type");
        assert_eq!(
            kind(lax_id(&loc, &json!("a")).unwrap_err()).0,
            "int_parsing"
        );
        assert_eq!(
            kind(lax_id(&loc, &json!(9_223_372_036_854_775_808u64)).unwrap_err()).0,
            "less_than_equal"
        );
        assert_eq!(
            kind(lax_id(&loc, &json!("99999999999999999999999999999999999999999")).unwrap_err()).0,
            "less_than_equal"
        );
        assert_eq!(
            kind(lax_int(&loc, &json!(-1), 0, 10).unwrap_err()).0,
            "greater_than_equal"
        );
        assert_eq!(kind(status_type(&loc, &json!(2)).unwrap_err()).0, "enum");
    }

    #[test]
    fn id_lists_name_the_bad_index() {
        assert_eq!(id_list("menus", &json!([1, "2"])).unwrap(), vec![1, 2]);
        let (k, loc) = kind(id_list("menus", &json!([1, "x"])).unwrap_err());
        assert_eq!(k, "int_parsing");
        assert_eq!(loc, vec![json!("body"), json!("menus"), json!(1)]);
        assert_eq!(
            kind(id_list("menus", &json!(null)).unwrap_err()).0,
            "list_type"
        );
    }

    #[test]
    fn empty_query_filters_mean_no_filter() {
        assert_eq!(text_filter(Some(String::new())), None);
        assert_eq!(text_filter(Some("a".into())), Some("a".into()));
        assert_eq!(int_filter("status", Some(" ".into())).unwrap(), None);
        assert_eq!(int_filter("status", Some("1".into())).unwrap(), Some(1));
        let (k, loc) = kind(int_filter("status", Some("x".into())).unwrap_err());
        assert_eq!(k, "int_parsing");
        assert_eq!(loc, vec![json!("query"), json!("status")]);
    }
}
