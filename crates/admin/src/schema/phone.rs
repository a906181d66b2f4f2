//! FBA's phone-number rule (`CustomPhoneNumber`), shared by the user and department schemas.

use fba_common::{AppError, FieldError};
use serde_json::{Value, json};

/// FBA's `CustomPhoneNumber` pattern.
pub const PHONE_PATTERN: &str = r"^1[3-9]\d{9}$";

/// 422 `string_pattern_mismatch` unless `phone` matches `^1[3-9]\d{9}$` (ASCII digits).
pub(crate) fn check_phone(phone: &str) -> Result<(), AppError> {
    let b = phone.as_bytes();
    let ok = b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b[2..].iter().all(u8::is_ascii_digit);
    if ok {
        Ok(())
    } else {
        Err(AppError::validation(FieldError::body(
            "string_pattern_mismatch",
            "phone",
            Value::String(phone.to_owned()),
            Some(json!({ "pattern": PHONE_PATTERN })),
        )))
    }
}
