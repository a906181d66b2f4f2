//! `fba-server`: runs the fba-rs HTTP server with settings from the environment and `.env`.

use std::process::ExitCode;

fn main() -> ExitCode {
    // Before any thread exists: the process is replaced once with glibc's arenas capped.
    let restart_failed = fba_server::malloc_arenas::restart_with_cap();
    actix_web::rt::System::new().block_on(serve(restart_failed))
}

async fn serve(restart_failed: Option<std::io::Error>) -> ExitCode {
    // The core's settings, then every module's section: one line and exit code 2 on the first
    // invalid value.
    let settings = match fba_core_conf::Settings::load()
        .map_err(fba_server::bootstrap::BootstrapError::from)
        .and_then(fba_server::bootstrap::prepare)
    {
        Ok((s, _)) => s,
        Err(e) => {
            eprintln!("fba-server: {e}");
            return ExitCode::from(2);
        }
    };
    let telemetry = match fba_common::telemetry::init(&settings, fba_common::metrics::APP_NAME) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("fba-server: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(e) = restart_failed {
        tracing::warn!(
            "could not restart with MALLOC_ARENA_MAX={}: {e}; running with glibc's default arenas",
            fba_server::malloc_arenas::DEFAULT_ARENA_MAX
        );
    }
    let addr = settings.server.bind_addr();
    // Boxed: the start-up future (every module's migrations, seeds and services) nests too
    // deeply for the layout query of `main`'s future in release builds.
    let app = match Box::pin(fba_server::Application::build(settings)).await {
        Ok(app) => app,
        Err(e) => {
            tracing::error!("start-up failed: {e}");
            eprintln!("fba-server: {e}");
            return ExitCode::from(1);
        }
    };
    tracing::info!(
        "listening on http://{}:{}",
        addr.rsplit_once(':').map_or("127.0.0.1", |(h, _)| h),
        app.port()
    );
    let served = app.run_until_stopped().await;
    // The last spans and log lines are sent before exiting.
    telemetry.shutdown().await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fba-server: {e}");
            ExitCode::from(1)
        }
    }
}
