//! `safapac-api [serve]` runs the HTTP API; `safapac-api migrate` applies migrations and the
//! master-data seed, then exits.

use std::process::ExitCode;

use safapac_api::config::Config;

const USAGE: &str = "usage: safapac-api [serve | migrate]";

// Multi-threaded runtime: the migration harness blocks on a worker thread.
#[tokio::main]
async fn main() -> ExitCode {
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        eprintln!("configuration error: .env: {e}");
        return ExitCode::from(2);
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();

    let command = std::env::args().nth(1);
    if !matches!(command.as_deref(), None | Some("serve" | "migrate")) {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let outcome = match command.as_deref() {
        Some("migrate") => safapac_api::migrate(&config).await,
        _ => safapac_api::serve(config).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "stopped");
            ExitCode::FAILURE
        }
    }
}
