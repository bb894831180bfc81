//! `safapac-api [serve] [--with-worker]` runs the HTTP API (with `--with-worker`, also the
//! calculation worker); `safapac-api migrate` applies migrations and the master-data seed,
//! then exits; `safapac-api create-admin --email <email> [--name <name>]` makes or promotes an
//! administrator (password from `SAFAPAC_ADMIN_PASSWORD` or standard input).

use std::process::ExitCode;

use safapac_api::config::Config;

const USAGE: &str = "usage: safapac-api [serve] [--with-worker] | safapac-api migrate \
                     | safapac-api create-admin --email <email> [--name <name>]";

// Multi-threaded runtime: the migration harness blocks on a worker thread.
#[tokio::main]
async fn main() -> ExitCode {
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        eprintln!("configuration error: .env: {e}");
        return ExitCode::from(2);
    }
    // Held to the end of `main`, also on SIGTERM (actix stops the server and `serve`
    // returns): dropping it writes out the lines still queued.
    let _log = match safapac_ops::logging::LogSettings::from_env()
        .and_then(|logs| safapac_ops::logging::init(&logs))
    {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    safapac_api::heap::return_large_blocks_to_the_system();

    let args: Vec<String> = std::env::args().skip(1).collect();
    let with_worker = args.iter().any(|a| a == "--with-worker");
    let words: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| *a != "--with-worker")
        .collect();
    let mut admin = None;
    let command = match words.as_slice() {
        [] | ["serve"] => "serve",
        ["migrate"] if !with_worker => "migrate",
        ["create-admin", "--email", email] if !with_worker => {
            admin = Some((email.to_string(), "Administrator".to_owned()));
            "create-admin"
        }
        ["create-admin", "--email", email, "--name", name]
        | ["create-admin", "--name", name, "--email", email]
            if !with_worker =>
        {
            admin = Some((email.to_string(), name.to_string()));
            "create-admin"
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let config = match Config::from_env() {
        Ok(mut config) => {
            config.embedded_worker |= with_worker;
            config
        }
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let outcome = match (command, admin) {
        ("create-admin", Some((email, name))) => create_admin(&config, &email, &name).await,
        ("migrate", _) => safapac_api::migrate(&config).await,
        _ => safapac_api::serve(config, embedded_worker).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "stopped");
            ExitCode::FAILURE
        }
    }
}

async fn create_admin(config: &Config, email: &str, name: &str) -> anyhow::Result<()> {
    use anyhow::Context as _;
    use safapac_api::admin::{AdminOutcome, read_password};

    let pool = safapac_db::build_pool(&config.database).context("building the database pool")?;
    let hasher = safapac_api::auth::password::PasswordHasher::new(1);
    let outcome =
        safapac_api::admin::create_admin(&pool, &hasher, email, name, read_password).await?;
    match outcome {
        AdminOutcome::Created => println!("created administrator {email}"),
        AdminOutcome::Promoted => println!("{email} is now an administrator"),
    }
    Ok(())
}

/// The calculation worker inside this process (`--with-worker`): it shares the API's
/// database pool, metrics registry (its jobs appear on the API's `/metrics`) and copy of the
/// reference data.
#[cfg(feature = "embedded-worker")]
fn embedded_worker(
    state: &safapac_api::AppState,
    server_stopped: tokio::sync::oneshot::Receiver<()>,
) -> anyhow::Result<Option<safapac_api::Companion>> {
    use anyhow::Context as _;

    if !state.config.embedded_worker {
        return Ok(None);
    }
    let settings = safapac_worker::WorkerSettings::from_env().context("worker settings")?;
    let shared = safapac_worker::run::Shared {
        metrics: state.metrics.clone(),
        master: state.master_cache.engine.clone(),
    };
    tracing::info!("running the calculation worker in this process");
    Ok(Some(tokio::spawn({
        let pool = state.pool.clone();
        async move {
            safapac_worker::run::run_sharing(pool, settings, shared, async {
                let _ = server_stopped.await;
            })
            .await
            .map_err(anyhow::Error::from)
        }
    })))
}

#[cfg(not(feature = "embedded-worker"))]
fn embedded_worker(
    state: &safapac_api::AppState,
    _: tokio::sync::oneshot::Receiver<()>,
) -> anyhow::Result<Option<safapac_api::Companion>> {
    anyhow::ensure!(
        !state.config.embedded_worker,
        "--with-worker: this binary was built without the embedded-worker feature"
    );
    Ok(None)
}
