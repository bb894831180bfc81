//! Log set-up shared by both binaries: `RUST_LOG` picks levels (default `info`),
//! `SAFAPAC_LOG_FORMAT` picks human text (default) or JSON lines. Spans' fields (the request
//! id of a request) are written on every line inside them.

use tracing::{Level, Metadata, Subscriber};
use tracing_subscriber::filter::{EnvFilter, FilterExt, filter_fn};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{Layer, Registry};

/// Every variable this module reads.
pub const ENV_VARS: &[&str] = &["RUST_LOG", "SAFAPAC_LOG_FORMAT"];

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
        Ok(LogSettings {
            format,
            filter,
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

/// Installs the process-wide logger on standard error; `log` records (from dependencies)
/// are forwarded to it.
pub fn init(settings: &LogSettings) -> Result<(), LogError> {
    subscriber(settings, std::io::stderr)?.try_init()?;
    Ok(())
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
    fn json_lines_carry_the_fields_of_the_enclosing_span() {
        let out = safapac_testkit::logs::Capture::default();
        let s = LogSettings {
            format: LogFormat::Json,
            filter: "trace".into(),
            ansi: false,
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
