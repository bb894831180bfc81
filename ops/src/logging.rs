//! Log set-up shared by both binaries: `RUST_LOG` picks levels (default `info`),
//! `SAFAPAC_LOG_FORMAT` picks human text (default) or JSON lines. Spans' fields (the request
//! id of a request) are written on every line inside them. The binaries write through
//! [`writer::NonBlocking`]: a bounded queue and a thread of its own, so no request waits for
//! standard error; lines that do not fit are dropped and counted ([`dropped_lines`], exported
//! as `safapac_log_lines_dropped_total`).

pub mod writer;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use tracing::{Level, Metadata, Subscriber};
use tracing_subscriber::filter::{EnvFilter, FilterExt, filter_fn};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{Layer, Registry};

/// Every variable this module reads.
pub const ENV_VARS: &[&str] = &["RUST_LOG", "SAFAPAC_LOG_FORMAT", "SAFAPAC_LOG_BUFFER_LINES"];

/// About 2 MiB of typical lines: seconds of a busy server's access log, enough to ride out
/// a slow disk without dropping, small enough to be no memory concern.
pub const DEFAULT_BUFFER_LINES: usize = 8192;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("SAFAPAC_LOG_FORMAT: expected text or json, got {0:?}")]
    Format(String),
    #[error("RUST_LOG: {0}")]
    Filter(#[from] tracing_subscriber::filter::ParseError),
    #[error("SAFAPAC_LOG_BUFFER_LINES: expected a number of lines of at least 1, got {0:?}")]
    BufferLines(String),
    #[error(transparent)]
    Writer(#[from] writer::SpawnError),
    #[error("a global logger is already installed")]
    AlreadyInstalled(#[from] tracing_subscriber::util::TryInitError),
}

#[derive(Debug, Clone)]
pub struct LogSettings {
    pub format: LogFormat,
    /// An `EnvFilter` directive string (`info`, `safapac_api=debug,info`, …).
    pub filter: String,
    /// Colours in text lines: only when standard error is a terminal, never in files.
    pub ansi: bool,
    /// Lines the writer queues for standard error before it drops new ones.
    pub buffer_lines: usize,
}

impl LogSettings {
    pub fn from_env() -> Result<LogSettings, LogError> {
        LogSettings::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<LogSettings, LogError> {
        let format = match lookup("SAFAPAC_LOG_FORMAT")
            .map(|v| v.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("" | "text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => return Err(LogError::Format(other.to_owned())),
        };
        let filter = lookup("RUST_LOG")
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| "info".to_owned());
        let buffer_lines = match lookup("SAFAPAC_LOG_BUFFER_LINES")
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
        {
            None => DEFAULT_BUFFER_LINES,
            Some(raw) => match raw.parse::<usize>() {
                Ok(lines) if lines > 0 => lines,
                _ => return Err(LogError::BufferLines(raw)),
            },
        };
        Ok(LogSettings {
            format,
            filter,
            buffer_lines,
            ansi: std::io::IsTerminal::is_terminal(&std::io::stderr()),
        })
    }
}

/// Crates that write secrets in their debug output whatever `RUST_LOG` says: tokio-postgres
/// logs every bound query parameter (password hashes, token digests) at debug level.
const SECRET_BEARING_TARGETS: &[&str] = &["tokio_postgres"];

fn safe_to_write(meta: &Metadata<'_>) -> bool {
    *meta.level() <= Level::INFO
        || !SECRET_BEARING_TARGETS
            .iter()
            .any(|t| meta.target().starts_with(t))
}

/// A subscriber writing to `writer` with these settings (the binaries use standard error;
/// tests capture the output).
pub fn subscriber<W>(
    settings: &LogSettings,
    writer: W,
) -> Result<impl Subscriber + Send + Sync + 'static, LogError>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::builder().parse(&settings.filter)?;
    let filter = filter.and(filter_fn(safe_to_write));
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(settings.ansi);
    let layer = match settings.format {
        LogFormat::Text => layer.boxed(),
        LogFormat::Json => layer
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .boxed(),
    };
    Ok(Registry::default().with(layer.with_filter(filter)))
}

/// The drop counter of the process-wide writer, once [`init`] has installed it.
static DROPPED: OnceLock<Arc<AtomicU64>> = OnceLock::new();

/// Lines the process-wide writer has dropped since start (0 before [`init`], and in tests
/// that capture logs their own way).
pub fn dropped_lines() -> u64 {
    DROPPED.get().map_or(0, |d| d.load(Ordering::Relaxed))
}

/// Keeps the log writer running; dropping it writes out the queued lines. Hold it until the
/// process ends, so the last lines (shutdown, the error that stopped it) are not lost.
#[must_use = "dropping the guard stops the log writer"]
pub struct LogGuard(#[allow(dead_code)] writer::FlushGuard);

/// Installs the process-wide logger on standard error, through the non-blocking writer;
/// `log` records (from dependencies) are forwarded to it.
pub fn init(settings: &LogSettings) -> Result<LogGuard, LogError> {
    let (writer, guard) = writer::NonBlocking::new(std::io::stderr(), settings.buffer_lines)?;
    let dropped = writer.dropped_counter();
    subscriber(settings, writer)?.try_init()?;
    let _ = DROPPED.set(dropped);
    Ok(LogGuard(guard))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<LogSettings, LogError> {
        LogSettings::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn text_by_default_json_on_request() {
        assert_eq!(settings(&[]).unwrap().format, LogFormat::Text);
        assert_eq!(settings(&[]).unwrap().filter, "info");
        let json = settings(&[("SAFAPAC_LOG_FORMAT", "JSON")]).unwrap();
        assert_eq!(json.format, LogFormat::Json);
        let bad = settings(&[("SAFAPAC_LOG_FORMAT", "xml")]).unwrap_err();
        assert!(bad.to_string().starts_with("SAFAPAC_LOG_FORMAT"));
    }

    #[test]
    fn the_buffer_holds_a_positive_number_of_lines() {
        assert_eq!(settings(&[]).unwrap().buffer_lines, DEFAULT_BUFFER_LINES);
        let set = settings(&[("SAFAPAC_LOG_BUFFER_LINES", " 100 ")]).unwrap();
        assert_eq!(set.buffer_lines, 100);
        for bad in ["0", "-1", "lots"] {
            let err = settings(&[("SAFAPAC_LOG_BUFFER_LINES", bad)]).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "SAFAPAC_LOG_BUFFER_LINES: expected a number of lines of at least 1, got {bad:?}"
                )
            );
        }
    }

    #[test]
    fn json_lines_carry_the_fields_of_the_enclosing_span() {
        let out = safapac_testkit::logs::Capture::default();
        let s = LogSettings {
            format: LogFormat::Json,
            filter: "trace".into(),
            ansi: false,
            buffer_lines: DEFAULT_BUFFER_LINES,
        };
        let subscriber = subscriber(&s, out.clone()).unwrap();
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("request", request_id = "r-42");
            span.in_scope(|| tracing::info!(status = 200, "request finished"));
            tracing::debug!(target: "tokio_postgres::query", "executing statement with parameters: [secret]");
        });
        let text = out.text();
        let line: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(line["span"]["request_id"], "r-42");
        assert_eq!(line["fields"]["message"], "request finished");
        assert!(!text.contains("secret"), "{text}");
    }
}
