//! Reading the Prometheus text exposition that `/metrics` answers.

/// The value of the sample written exactly as `series` (name and labels), if present.
pub fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}
