//! Request and response shapes of the dict API, with FBA's JSON field names; requests are
//! validated here, at the edge, into `Valid*` types (a 422 names every invalid field). No
//! queries, no business rules.
//!
//! Text limits are the column sizes (`VARCHAR(32)` for names, codes, labels, values and
//! colours; remarks unbounded); text with a NUL character is refused.

pub mod dict_data;
pub mod dict_type;

use fba_common::AppError;
use fba_common::validate::{body_loc, check_text};
use serde_json::Value;

/// Longest name, code, label, value or colour (`VARCHAR(32)`).
pub const TEXT_MAX_CHARS: usize = 32;

/// Checks the body field `field`: at most `max` characters, no NUL.
fn check_field(field: &str, value: &str, max: Option<usize>) -> Result<(), AppError> {
    check_text(&body_loc(field), value, max)
}

/// Checks the query parameter `name` (no NUL); `""` means no filter.
fn query_text(name: &str, raw: Option<String>) -> Result<Option<String>, AppError> {
    let value = fba_common::validate::text_filter(raw);
    if let Some(v) = &value {
        check_text(&[Value::from("query"), Value::from(name)], v, None)?;
    }
    Ok(value)
}
