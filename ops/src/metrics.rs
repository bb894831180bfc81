//! The Prometheus registry of one process (or of one in-process test app). Every series the
//! API and the worker export is declared here, so the README's metrics list has one source.
//!
//! Recording is a method call on [`Metrics`]; gauges that mirror state held elsewhere (the
//! connection pool, the job table) are refreshed when `/metrics` is scraped.

use std::time::Duration;

use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};
use safapac_db::DbPool;
use safapac_db::jobs::Depth;

/// Request latency buckets (seconds): sub-millisecond reads up to slow argon2-bound logins.
const HTTP_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Job run and pickup buckets (seconds): a calculation takes microseconds, the database steps
/// around it milliseconds; pickup waits up to the sweeper's requeue delay.
const JOB_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// Label of requests that matched no route: raw paths would make one series per URL.
pub const UNMATCHED_ROUTE: &str = "unmatched";

#[derive(Debug, thiserror::Error)]
#[error("metrics: {0}")]
pub struct MetricsError(#[from] prometheus::Error);

pub struct Metrics {
    registry: Registry,
    http_duration: HistogramVec,
    http_in_flight: IntGauge,
    db_pool: IntGaugeVec,
    db_pool_waiting: IntGauge,
    queue_jobs: IntGaugeVec,
    job_duration: HistogramVec,
    job_pickup: Histogram,
    cache_events: IntCounterVec,
    status_cache_events: IntCounterVec,
    rate_limit_rejections: IntCounterVec,
    rate_limit_fallbacks: IntCounter,
    password_hashes_waiting: IntGauge,
    log_lines_dropped: IntCounter,
    db_conflicts_retried: IntCounter,
    mirroring: std::sync::Mutex<()>,
}

impl Metrics {
    /// A fresh registry with every series declared (counters at zero).
    pub fn new() -> Metrics {
        Metrics::build().unwrap_or_else(|e| unreachable!("constant metric definitions: {e}"))
    }

    fn build() -> Result<Metrics, MetricsError> {
        let registry = Registry::new_custom(Some("safapac".into()), None)?;
        let http_duration = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by method, route pattern and status",
            )
            .buckets(HTTP_BUCKETS.to_vec()),
            &["method", "route", "status"],
        )?;
        let http_in_flight =
            IntGauge::new("http_requests_in_flight", "HTTP requests being served")?;
        let db_pool = IntGaugeVec::new(
            Opts::new(
                "db_pool_connections",
                "Database pool connections: max, open (size), in_use, idle",
            ),
            &["state"],
        )?;
        let db_pool_waiting =
            IntGauge::new("db_pool_waiting", "Tasks waiting for a database connection")?;
        let queue_jobs = IntGaugeVec::new(
            Opts::new(
                "queue_jobs",
                "Calculation jobs by status (queued, running, failed), from the job table",
            ),
            &["status"],
        )?;
        let job_duration = HistogramVec::new(
            HistogramOpts::new(
                "job_duration_seconds",
                "Time one delivery of a calculation job took, by outcome",
            )
            .buckets(JOB_BUCKETS.to_vec()),
            &["outcome"],
        )?;
        let job_pickup = Histogram::with_opts(
            HistogramOpts::new(
                "job_pickup_seconds",
                "Time from a job's submission to its first claim by a worker",
            )
            .buckets(JOB_BUCKETS.to_vec()),
        )?;
        let cache_events = IntCounterVec::new(
            Opts::new(
                "cache_events_total",
                "Master-data cache events: hit, miss, invalidation",
            ),
            &["event"],
        )?;
        let status_cache_events = IntCounterVec::new(
            Opts::new(
                "status_cache_events_total",
                "Calculation-status answers: hit (from memory), miss (from PostgreSQL), \
                 announce_failure (a revision bump not published)",
            ),
            &["event"],
        )?;
        let rate_limit_rejections = IntCounterVec::new(
            Opts::new(
                "rate_limit_rejections_total",
                "Requests answered 429, by rate-limit policy",
            ),
            &["policy"],
        )?;
        let rate_limit_fallbacks = IntCounter::new(
            "rate_limit_fallbacks_total",
            "Times the rate limiter lost Redis and fell back to per-process counting",
        )?;
        let password_hashes_waiting = IntGauge::new(
            "password_hashes_waiting",
            "Password hashes (argon2) waiting for a free hashing slot",
        )?;

        registry.register(Box::new(http_duration.clone()))?;
        registry.register(Box::new(http_in_flight.clone()))?;
        registry.register(Box::new(db_pool.clone()))?;
        registry.register(Box::new(db_pool_waiting.clone()))?;
        registry.register(Box::new(queue_jobs.clone()))?;
        registry.register(Box::new(job_duration.clone()))?;
        registry.register(Box::new(job_pickup.clone()))?;
        registry.register(Box::new(cache_events.clone()))?;
        registry.register(Box::new(status_cache_events.clone()))?;
        let log_lines_dropped = IntCounter::new(
            "log_lines_dropped_total",
            "Log lines dropped because the log writer's queue was full (standard error too slow)",
        )?;
        registry.register(Box::new(rate_limit_rejections.clone()))?;
        registry.register(Box::new(rate_limit_fallbacks.clone()))?;
        registry.register(Box::new(password_hashes_waiting.clone()))?;
        registry.register(Box::new(log_lines_dropped.clone()))?;
        let db_conflicts_retried = IntCounter::new(
            "db_conflicts_retried_total",
            "Statements or transactions run again after a deadlock or serialization failure",
        )?;
        registry.register(Box::new(db_conflicts_retried.clone()))?;

        // Labelled series appear only once touched; these start at zero so dashboards and
        // alerts see them from the first scrape.
        for event in ["hit", "miss", "invalidation"] {
            cache_events.with_label_values(&[event]);
        }
        for event in ["hit", "miss", "announce_failure"] {
            status_cache_events.with_label_values(&[event]);
        }
        for status in ["queued", "running", "failed"] {
            queue_jobs.with_label_values(&[status]);
        }

        Ok(Metrics {
            registry,
            http_duration,
            http_in_flight,
            db_pool,
            db_pool_waiting,
            queue_jobs,
            job_duration,
            job_pickup,
            cache_events,
            status_cache_events,
            rate_limit_rejections,
            rate_limit_fallbacks,
            password_hashes_waiting,
            log_lines_dropped,
            db_conflicts_retried,
            mirroring: std::sync::Mutex::new(()),
        })
    }

    /// The Prometheus text exposition of every series.
    pub fn render(&self) -> String {
        // The log writer and the database's conflict retries count for themselves (each
        // serves the whole process, whichever registry scrapes it).
        {
            let _one_at_a_time = self.mirroring.lock();
            catch_up(&self.log_lines_dropped, crate::logging::dropped_lines());
            catch_up(
                &self.db_conflicts_retried,
                safapac_db::retry::conflicts_retried(),
            );
        }
        TextEncoder::new()
            .encode_to_string(&self.registry.gather())
            .unwrap_or_else(|e| unreachable!("text encoding of valid families: {e}"))
    }

    /// Counts a request in flight until the returned guard is dropped.
    pub fn request_started(&self) -> InFlight {
        self.http_in_flight.inc();
        InFlight(self.http_in_flight.clone())
    }

    /// `route` is the matched pattern (`/api/v1/projects/{project_id}`), never the raw path.
    pub fn request_finished(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        self.http_duration
            .with_label_values(&[method, route, status_label(status)])
            .observe(elapsed.as_secs_f64());
    }

    /// `outcome` is a job handler outcome label, or `retried` when the delivery errored.
    pub fn job_finished(&self, outcome: &str, elapsed: Duration) {
        self.job_duration
            .with_label_values(&[outcome])
            .observe(elapsed.as_secs_f64());
    }

    pub fn job_picked_up(&self, waited: Duration) {
        self.job_pickup.observe(waited.as_secs_f64());
    }

    /// Brings totals the cache and the rate limiters count themselves (cumulative, since
    /// start) into the registry; called on scrape.
    pub fn mirror_totals(&self, totals: &Totals<'_>) {
        // Two scrapes at once must not both add the same difference.
        let _one_at_a_time = self.mirroring.lock();
        for (event, total) in [
            ("hit", totals.cache_hits),
            ("miss", totals.cache_misses),
            ("invalidation", totals.cache_invalidations),
        ] {
            catch_up(&self.cache_events.with_label_values(&[event]), total);
        }
        for (policy, total) in totals.rate_limited {
            catch_up(
                &self.rate_limit_rejections.with_label_values(&[policy]),
                *total,
            );
        }
        catch_up(&self.rate_limit_fallbacks, totals.rate_limit_fallbacks);
        for (event, total) in totals.status_cache {
            catch_up(
                &self.status_cache_events.with_label_values(&[event]),
                *total,
            );
        }
    }

    /// Counts a password hash waiting for a slot until the returned guard is dropped (also
    /// when the waiting request is cancelled).
    pub fn password_hash_waiting(&self) -> Waiting {
        self.password_hashes_waiting.inc();
        Waiting(self.password_hashes_waiting.clone())
    }

    pub fn observe_pool(&self, pool: &DbPool) {
        let status = pool.status();
        let in_use = status.size.saturating_sub(status.available);
        for (state, value) in [
            ("max", status.max_size),
            ("open", status.size),
            ("in_use", in_use),
            ("idle", status.available),
        ] {
            self.db_pool.with_label_values(&[state]).set(gauge(value));
        }
        self.db_pool_waiting.set(gauge(status.waiting));
    }

    pub fn observe_queue(&self, depth: Depth) {
        for (status, value) in [
            ("queued", depth.queued),
            ("running", depth.running),
            ("failed", depth.failed),
        ] {
            self.queue_jobs.with_label_values(&[status]).set(value);
        }
    }
}

/// Cumulative counts kept outside the registry.
pub struct Totals<'a> {
    pub cache_hits: u64,
    pub cache_misses: u64,
    pub cache_invalidations: u64,
    /// 429 answers by policy name.
    pub rate_limited: &'a [(&'a str, u64)],
    pub rate_limit_fallbacks: u64,
    /// Calculation-status cache events by name (API only; empty in a worker).
    pub status_cache: &'a [(&'a str, u64)],
}

fn catch_up(counter: &IntCounter, total: u64) {
    let seen = counter.get();
    if total > seen {
        counter.inc_by(total - seen);
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// Codes the API answers with, labelled as themselves; any other code a handler or a client
/// produces is labelled by its class, so the label set stays bounded.
const STATUS_LABELS: &[(u16, &str)] = &[
    (200, "200"),
    (201, "201"),
    (202, "202"),
    (204, "204"),
    (304, "304"),
    (400, "400"),
    (401, "401"),
    (403, "403"),
    (404, "404"),
    (405, "405"),
    (409, "409"),
    (413, "413"),
    (415, "415"),
    (422, "422"),
    (429, "429"),
    (500, "500"),
    (502, "502"),
    (503, "503"),
    (504, "504"),
];

fn status_label(status: u16) -> &'static str {
    if let Some((_, label)) = STATUS_LABELS.iter().find(|(code, _)| *code == status) {
        return label;
    }
    match status / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    }
}

fn gauge(value: usize) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Decrements the in-flight gauge when dropped.
pub struct InFlight(IntGauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Decrements the waiting-hashes gauge when dropped.
pub struct Waiting(IntGauge);

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of the series whose line starts with `series` (name and labels).
    fn value(text: &str, series: &str) -> Option<f64> {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
    }

    #[test]
    fn recorded_events_show_in_the_exposition() {
        let m = Metrics::new();
        m.request_finished(
            "GET",
            "/api/v1/projects/{project_id}",
            404,
            Duration::from_millis(3),
        );
        m.request_finished(
            "GET",
            "/api/v1/projects/{project_id}",
            404,
            Duration::from_millis(4),
        );
        m.mirror_totals(&Totals {
            cache_hits: 1,
            cache_misses: 0,
            cache_invalidations: 0,
            rate_limited: &[("login", 1)],
            rate_limit_fallbacks: 0,
            status_cache: &[],
        });
        // Totals are cumulative: the same totals again add nothing.
        m.mirror_totals(&Totals {
            cache_hits: 1,
            cache_misses: 0,
            cache_invalidations: 0,
            rate_limited: &[("login", 1)],
            rate_limit_fallbacks: 0,
            status_cache: &[],
        });
        m.job_finished("succeeded", Duration::from_millis(2));
        m.observe_queue(Depth {
            queued: 3,
            running: 1,
            failed: 2,
        });
        let text = m.render();
        assert_eq!(
            value(
                &text,
                r#"safapac_http_request_duration_seconds_count{method="GET",route="/api/v1/projects/{project_id}",status="404"}"#
            ),
            Some(2.0),
            "{text}"
        );
        assert_eq!(
            value(
                &text,
                r#"safapac_rate_limit_rejections_total{policy="login"}"#
            ),
            Some(1.0)
        );
        assert_eq!(
            value(&text, r#"safapac_cache_events_total{event="hit"}"#),
            Some(1.0)
        );
        assert_eq!(
            value(&text, r#"safapac_cache_events_total{event="miss"}"#),
            Some(0.0)
        );
        assert_eq!(
            value(
                &text,
                r#"safapac_job_duration_seconds_count{outcome="succeeded"}"#
            ),
            Some(1.0)
        );
        assert_eq!(
            value(&text, r#"safapac_queue_jobs{status="failed"}"#),
            Some(2.0)
        );
        // No process-wide writer in this test: nothing dropped, but the series is there.
        assert_eq!(value(&text, "safapac_log_lines_dropped_total"), Some(0.0));
        assert!(value(&text, "safapac_db_conflicts_retried_total").is_some());
    }

    #[test]
    fn guards_give_back_what_they_counted() {
        let m = Metrics::new();
        let a = m.request_started();
        let b = m.password_hash_waiting();
        assert_eq!(
            value(&m.render(), "safapac_http_requests_in_flight"),
            Some(1.0)
        );
        assert_eq!(
            value(&m.render(), "safapac_password_hashes_waiting"),
            Some(1.0)
        );
        drop((a, b));
        assert_eq!(
            value(&m.render(), "safapac_http_requests_in_flight"),
            Some(0.0)
        );
        assert_eq!(
            value(&m.render(), "safapac_password_hashes_waiting"),
            Some(0.0)
        );
    }

    #[test]
    fn odd_status_codes_share_a_class_label() {
        assert_eq!(status_label(418), "4xx");
        assert_eq!(status_label(599), "5xx");
        assert_eq!(status_label(429), "429");
    }
}
