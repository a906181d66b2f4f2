//! Who may connect: the CONNECT packet's `auth` object must carry `token` (an access token)
//! and `session_uuid` (that token's session). The token goes through exactly the check an HTTP
//! request's bearer token gets ([`crate::security::authenticate`]). Unlike FBA, there is no
//! `WS_NO_AUTH_MARKER` (`internal`) bypass — that public string would open an unauthenticated
//! socket — and the session must be the token's own, so a user cannot mark another session
//! online.

use std::sync::Arc;

use serde_json::Value;

use crate::AppState;
use crate::error::AppError;
use crate::i18n::{t, t_args};
use crate::security::{AuthContext, Security, authenticate};

/// Checks a CONNECT's `auth` object; the refusal is the message the client gets in its
/// CONNECT_ERROR.
pub(crate) async fn authenticate_connect(
    state: &AppState,
    security: &Security,
    auth: Option<&Value>,
) -> Result<Arc<AuthContext>, String> {
    let Some(Value::Object(auth)) = auth else {
        return Err(t("error-socketio-no-auth"));
    };
    let field = |name: &str| {
        auth.get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let (Some(token), Some(session_uuid)) = (field("token"), field("session_uuid")) else {
        return Err(t("error-socketio-auth-incomplete"));
    };
    let ctx = authenticate(state, security, token)
        .await
        .map_err(|e| refusal_message(&e))?;
    if ctx.session_uuid != session_uuid {
        return Err(t("error-socketio-session-mismatch"));
    }
    Ok(Arc::new(ctx))
}

/// The message of an authentication failure as a client may read it (no internal details).
fn refusal_message(e: &AppError) -> String {
    match e {
        AppError::TokenRejected(m) | AppError::Unauthorized(m) | AppError::Forbidden(m) => {
            m.clone()
        }
        AppError::Unavailable(what) => t_args(
            "error-service-unavailable",
            &[("what", what.clone().into())],
        ),
        other => {
            tracing::error!(error = %other, "socket.io authentication failed");
            t("error-internal")
        }
    }
}
