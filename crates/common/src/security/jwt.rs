//! FBA's access and refresh tokens: HS256 JWTs with exactly the claims
//! `{"session_uuid", "exp", "sub"}` (`exp` a float of epoch seconds, `sub` the user id as text).

use chrono::{DateTime, Utc};
use fba_core_conf::{ExposeSecret, TokenAlgorithm, TokenSettings};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The claims FBA puts in both token kinds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TokenClaims {
    /// The session id (uuid4 with dashes); a new one per login and per refresh.
    pub session_uuid: String,
    /// Expiry, epoch seconds with a fraction (Python's `datetime.timestamp()`).
    pub exp: f64,
    /// The user id as a string.
    pub sub: String,
}

impl TokenClaims {
    /// The user id of `sub`.
    ///
    /// # Errors
    /// [`TokenError::Invalid`] when `sub` is not an integer.
    pub fn user_id(&self) -> Result<i64, TokenError> {
        self.sub.parse().map_err(|_| TokenError::Invalid)
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Past its `exp`: 401 `Token 已过期`.
    #[error("Token 已过期")]
    Expired,
    /// Bad signature, shape or claims: 401 `Token 无效`.
    #[error("Token 无效")]
    Invalid,
}

impl TokenError {
    /// The message in the current request's language (the `Display` text is FBA's zh-CN one).
    #[must_use]
    pub fn message(self) -> String {
        crate::i18n::t(match self {
            TokenError::Expired => "error-token-expired",
            TokenError::Invalid => "error-token-invalid",
        })
    }
}

impl From<TokenError> for AppError {
    fn from(e: TokenError) -> Self {
        AppError::TokenRejected(e.message())
    }
}

/// A signed token and when it expires.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The JWT.
    pub token: String,
    /// Its expiry.
    pub expires_at: DateTime<Utc>,
}

/// Signs and verifies tokens with the configured key and algorithm.
#[derive(Clone)]
pub struct JwtCodec {
    encoding: EncodingKey,
    decoding: DecodingKey,
    algorithm: Algorithm,
    validation: Validation,
}

impl std::fmt::Debug for JwtCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtCodec")
            .field("algorithm", &self.algorithm)
            .finish()
    }
}

impl JwtCodec {
    /// A codec for `TOKEN_SECRET_KEY` / `TOKEN_ALGORITHM`.
    pub fn new(settings: &TokenSettings) -> Self {
        super::jwt_crypto::install();
        let secret = settings.secret_key.expose_secret().as_bytes();
        let algorithm = match settings.algorithm {
            TokenAlgorithm::Hs256 => Algorithm::HS256,
            TokenAlgorithm::Hs384 => Algorithm::HS384,
            TokenAlgorithm::Hs512 => Algorithm::HS512,
        };
        let mut validation = Validation::new(algorithm);
        // `exp` is a float (FBA); it is checked here instead of by jsonwebtoken.
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            algorithm,
            validation,
        }
    }

    /// Signs a token for `user_id` / `session_uuid` valid for `ttl_secs` from now.
    ///
    /// # Errors
    /// [`AppError::Internal`] if signing fails (it cannot with an HMAC key).
    pub fn issue(
        &self,
        user_id: i64,
        session_uuid: &str,
        ttl_secs: u64,
    ) -> Result<IssuedToken, AppError> {
        let expires_at =
            Utc::now() + chrono::Duration::seconds(i64::try_from(ttl_secs).unwrap_or(i64::MAX / 2));
        let claims = TokenClaims {
            session_uuid: session_uuid.to_owned(),
            exp: expires_at.timestamp_micros() as f64 / 1_000_000.0,
            sub: user_id.to_string(),
        };
        let token = jsonwebtoken::encode(&Header::new(self.algorithm), &claims, &self.encoding)
            .map_err(AppError::internal)?;
        Ok(IssuedToken { token, expires_at })
    }

    /// Verifies the signature and expiry and returns the claims.
    ///
    /// # Errors
    /// [`TokenError::Expired`] past `exp`, [`TokenError::Invalid`] for anything else wrong.
    pub fn decode(&self, token: &str) -> Result<TokenClaims, TokenError> {
        let data = jsonwebtoken::decode::<TokenClaims>(token, &self.decoding, &self.validation)
            .map_err(|_| TokenError::Invalid)?;
        let claims = data.claims;
        if claims.session_uuid.is_empty() || claims.sub.is_empty() || !claims.exp.is_finite() {
            return Err(TokenError::Invalid);
        }
        let now = Utc::now().timestamp_micros() as f64 / 1_000_000.0;
        if claims.exp <= now {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fba_core_conf::{Settings, Source};

    fn codec(secret: &str) -> JwtCodec {
        let s = Settings::from_source(&Source::from_pairs([("TOKEN_SECRET_KEY", secret)])).unwrap();
        JwtCodec::new(&s.token)
    }

    #[test]
    fn round_trip_with_fba_claims() {
        let c = codec("a-secret-key-for-tests-only-123");
        let issued = c
            .issue(7, "3f0c6f9e-1111-4222-8333-444455556666", 60)
            .unwrap();
        let claims = c.decode(&issued.token).unwrap();
        assert_eq!(claims.sub, "7");
        assert_eq!(claims.user_id().unwrap(), 7);
        assert!(claims.exp.fract() >= 0.0);
        let payload = issued.token.split('.').nth(1).unwrap();
        let json = String::from_utf8(
            base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
                .unwrap(),
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let mut keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, ["exp", "session_uuid", "sub"]);
    }

    #[test]
    fn tampered_wrong_key_and_expired_are_refused() {
        let c = codec("a-secret-key-for-tests-only-123");
        let t = c.issue(1, "s", 60).unwrap().token;
        let mut tampered = t.clone();
        tampered.pop();
        tampered.push(if t.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(c.decode(&tampered), Err(TokenError::Invalid));
        assert_eq!(
            codec("another-secret-key-for-tests-99").decode(&t),
            Err(TokenError::Invalid)
        );
        assert_eq!(c.decode("garbage"), Err(TokenError::Invalid));
        let expired = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &TokenClaims {
                session_uuid: "s".into(),
                exp: 1_000_000.5,
                sub: "1".into(),
            },
            &EncodingKey::from_secret(b"a-secret-key-for-tests-only-123"),
        )
        .unwrap();
        assert_eq!(c.decode(&expired), Err(TokenError::Expired));
    }
}
