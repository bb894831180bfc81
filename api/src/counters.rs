//! Event counts of the rate limiters, kept here until the Prometheus registry
//! exports them (cheap atomics, shared by every worker thread through `AppState`).

use std::sync::atomic::{AtomicU64, Ordering};

use crate::limits::Policy;

#[derive(Debug, Default)]
pub struct Counters {
    /// 429s by policy, indexed by [`Policy::index`].
    pub rate_limited: [AtomicU64; Policy::ALL.len()],
    /// 429s of the per-process flood shield.
    pub flood_rejections: AtomicU64,
    /// Times the limiter lost Redis and fell back to per-process counting.
    pub limiter_fallbacks: AtomicU64,
}

impl Counters {
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}
