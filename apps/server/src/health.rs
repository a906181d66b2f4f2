//! `GET /health`: whether the database and the Kv store answer (not an FBA route; for load
//! balancers and orchestration), and what the operation log's queue and spool have done.

use actix_web::{HttpResponse, web};
use fba_common::middleware::opera_log::{OperaLogStats, OperaLogStatsHandle};
use fba_common::module::HealthReport;
use fba_common::{AppState, response};
use serde::Serialize;

/// The health report.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` or `down`.
    pub status: &'static str,
    /// `ok` or `down`.
    pub database: &'static str,
    /// `ok` or `down`.
    pub kv: &'static str,
    /// `sqlite`, `postgresql` or `mysql`.
    pub database_type: &'static str,
    /// `memory` or `redis`.
    pub kv_backend: &'static str,
    /// This server's version.
    pub version: &'static str,
    /// Rows of the operation log accepted, written, spooled (waiting in the local spool while
    /// the database is unreachable or the queue full), replayed from the spool, dropped, and
    /// pending in the spool (`null` when the server runs no operation-log queue). Informative:
    /// does not change `status`.
    pub opera_log: Option<OperaLogStats>,
    /// The modules' own health checks (`fba_common::module::Module::health`); a failing one
    /// makes `status` `down`.
    pub modules: Vec<HealthReport>,
}

/// 200 when both stores answer, else 503 with the same body shape.
#[utoipa::path(
    get,
    path = "/health",
    tag = "health",
    responses(
        (status = 200, description = "database and Kv store answer", body = fba_common::response::ResponseModel<Health>),
        (status = 503, description = "a backing store is down", body = fba_common::response::ResponseModel<Health>)
    )
)]
pub async fn health(
    state: web::Data<AppState>,
    opera_log: Option<web::Data<OperaLogStatsHandle>>,
) -> HttpResponse {
    let timeout = std::time::Duration::from_secs(3);
    let (db, kv, modules) = tokio::join!(
        tokio::time::timeout(timeout, fba_db::ping(&state.db)),
        tokio::time::timeout(timeout, state.kv.ping()),
        tokio::time::timeout(timeout, state.modules.health(&state)),
    );
    let db_ok = matches!(db, Ok(Ok(())));
    let kv_ok = matches!(kv, Ok(Ok(())));
    let modules =
        modules.unwrap_or_else(|_| vec![HealthReport::down("modules", "no answer within 3 s")]);
    let modules_ok = modules.iter().all(|r| r.ok);
    let up = |ok: bool| if ok { "ok" } else { "down" };
    let body = Health {
        status: up(db_ok && kv_ok && modules_ok),
        database: up(db_ok),
        kv: up(kv_ok),
        database_type: state.settings.database.kind.as_str(),
        kv_backend: state.kv.backend().as_str(),
        version: env!("CARGO_PKG_VERSION"),
        opera_log: opera_log.map(|stats| stats.get()),
        modules,
    };
    if db_ok && kv_ok && modules_ok {
        response::ok(body)
    } else {
        let envelope = response::ResponseModel {
            code: 503,
            msg: fba_common::i18n::t_args(
                "error-service-unavailable",
                &[("what", up_list(db_ok, kv_ok, &body.modules).into())],
            ),
            data: body,
        };
        response::json(actix_web::http::StatusCode::SERVICE_UNAVAILABLE, &envelope)
    }
}

fn up_list(db_ok: bool, kv_ok: bool, modules: &[HealthReport]) -> String {
    let mut down = Vec::new();
    if !db_ok {
        down.push("database");
    }
    if !kv_ok {
        down.push("kv");
    }
    down.extend(modules.iter().filter(|r| !r.ok).map(|r| r.name.as_str()));
    down.join(", ")
}
