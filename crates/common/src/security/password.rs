//! bcrypt password hashing (FBA: `$2b$`, cost 12), always on the blocking thread pool so a slow
//! hash never stalls the async workers.

use crate::error::{AppError, AppResult};

/// Hashes `password` with `cost` on the blocking pool.
///
/// # Errors
/// [`AppError::Internal`] if hashing fails (a password over 72 bytes is refused earlier, by
/// the schema).
pub async fn hash_password(password: &str, cost: u32) -> AppResult<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || bcrypt::hash(password, cost))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)
}

/// Checks `password` against a stored hash on the blocking pool. A missing or malformed hash
/// never matches.
///
/// # Errors
/// [`AppError::Internal`] if the blocking pool is gone.
pub async fn verify_password(password: &str, hash: Option<&str>) -> AppResult<bool> {
    let Some(hash) = hash.filter(|h| !h.is_empty()).map(str::to_owned) else {
        return Ok(false);
    };
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash).unwrap_or(false))
        .await
        .map_err(AppError::internal)
}
