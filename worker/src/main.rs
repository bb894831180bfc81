use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use safapac_db::PoolSettings;
use safapac_worker::WorkerSettings;
use safapac_worker::calc_cmd::{self, Outcome};

/// SAFAPAC worker: runs calculation jobs from the queue (`run`, the default) or one
/// calculation from a file (`calc`).
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Consume the calculation queue until SIGTERM or Ctrl-C (the default).
    ///
    /// Reads DATABASE_URL, REDIS_URL and the SAFAPAC_* pipeline settings (see the README).
    /// Exits 0 after a clean shutdown, 1 if it cannot start or its consumer keeps dying.
    Run,
    /// Calculate one request (the calculate endpoint's JSON body) and print the result.
    ///
    /// Exit status: 0 on success, 2 when the input is invalid (one line per problem on
    /// stderr; with --batch, when any line was invalid), 1 when the input cannot be read.
    Calc {
        /// Request file; `-` or nothing reads standard input.
        file: Option<PathBuf>,
        /// Read JSON Lines and write one result (or `{"error": …}`) line per request.
        #[arg(long)]
        batch: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Run) {
        Command::Run => run_worker(),
        Command::Calc { file, batch } => match run_calc(file, batch) {
            Ok(Outcome::Ok) => ExitCode::SUCCESS,
            Ok(Outcome::Invalid) => ExitCode::from(2),
            Err(e) => {
                let _ = writeln!(io::stderr(), "safapac-worker calc: {e}");
                ExitCode::from(1)
            }
        },
    }
}

fn run_calc(file: Option<PathBuf>, batch: bool) -> io::Result<Outcome> {
    let input: Box<dyn io::Read> = match file {
        Some(path) if path.as_os_str() != "-" => Box::new(
            File::open(&path)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?,
        ),
        _ => Box::new(io::stdin().lock()),
    };
    let out = BufWriter::new(io::stdout().lock());
    if batch {
        calc_cmd::batch(BufReader::with_capacity(64 * 1024, input), out)
    } else {
        calc_cmd::single(input, out, io::stderr().lock())
    }
}

fn run_worker() -> ExitCode {
    let _ = dotenvy::dotenv();
    // Declared first, dropped last: after the runtime has stopped on SIGTERM and the final
    // lines are queued, dropping it writes them out.
    let _log = match safapac_ops::logging::LogSettings::from_env()
        .and_then(|logs| safapac_ops::logging::init(&logs))
    {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("safapac-worker: {e}");
            return ExitCode::from(1);
        }
    };
    let settings = match WorkerSettings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("safapac-worker: {e}");
            return ExitCode::from(1);
        }
    };
    let ops_addr = match safapac_worker::ops::listen_addr(|name| std::env::var(name).ok()) {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("safapac-worker: {e}");
            return ExitCode::from(1);
        }
    };
    let database_url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/safapac".to_owned());
    let mut pool_settings = PoolSettings::new(database_url);
    // Each concurrent job holds a connection only around its database steps.
    pool_settings.max_size = settings.concurrency.min(32) + 2;
    // The worker only writes what it can redo: a result lost in a crash leaves its job
    // `running`, and the sweeper has it computed again. Not waiting for each commit's disk
    // flush is what lets one worker record hundreds of results a second.
    pool_settings.synchronous_commit = false;
    let pool = match safapac_db::build_pool(&pool_settings) {
        Ok(pool) => pool,
        Err(e) => {
            eprintln!("safapac-worker: DATABASE_URL: {e}");
            return ExitCode::from(1);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("safapac-worker: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run_with_ops_port(pool, settings, ops_addr)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "worker stopped");
            ExitCode::from(1)
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum WorkerError {
    #[error("REDIS_URL: {0}")]
    Redis(#[from] safapac_queue::QueueError),
    #[error("SAFAPAC_WORKER_HTTP_ADDR: cannot listen on {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
        source: io::Error,
    },
    #[error(transparent)]
    Run(#[from] safapac_worker::run::RunError),
}

/// The consumer and sweeper, with the operator port (`/health`, `/ready`, `/metrics`) open
/// until they have stopped.
async fn run_with_ops_port(
    pool: safapac_db::DbPool,
    settings: WorkerSettings,
    listen: safapac_worker::ops::ListenAddr,
) -> Result<(), WorkerError> {
    let shared = safapac_worker::run::Shared::own(&pool, &settings)?;
    let probe = safapac_ops::Probe {
        pool: pool.clone(),
        redis: Some(safapac_queue::connect(&settings.queue, true).await?),
    };
    let ops = safapac_ops::Ops {
        probe,
        metrics: shared.metrics.clone(),
    };
    let (server, bound) =
        safapac_worker::ops::serve(listen, ops).map_err(|source| WorkerError::Listen {
            addr: listen.addr,
            source,
        })?;
    tracing::info!(addr = %bound, "operator port: /health, /ready, /metrics");
    let handle = server.handle();
    let serving = tokio::spawn(server);
    let outcome = safapac_worker::run::run_sharing(pool, settings, shared, shutdown_signal()).await;
    handle.stop(true).await;
    let _ = serving.await;
    Ok(outcome?)
}

/// SIGTERM (orchestrators) or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
