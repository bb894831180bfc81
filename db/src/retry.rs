//! Transient conflicts, retried where they happen.
//!
//! With one lock order (see the crate documentation) the request and job paths cannot
//! deadlock with each other, but PostgreSQL may still abort a statement for a reason that goes
//! away when it runs again: a deadlock with a statement outside those paths (a sweep that
//! touches many scenarios against a cascading project delete), or a serialization failure.
//! Such a statement or transaction did nothing, so running it again is safe. Only when it
//! keeps failing does the caller see [`DbError::Conflict`], which the HTTP edge answers with
//! 503 and `Retry-After`, and which a worker treats like any transient failure.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use diesel::result::Error;
use diesel_async::AsyncPgConnection;

use crate::DbError;

/// Runs of an operation before its conflict is given to the caller.
pub const ATTEMPTS: u32 = 4;

/// Retries since the process started, for the metrics endpoint.
static RETRIED: AtomicU64 = AtomicU64::new(0);

/// How many times an operation was run again after a conflict, since the process started.
pub fn conflicts_retried() -> u64 {
    RETRIED.load(Ordering::Relaxed)
}

/// Runs `op` (one statement, or one whole transaction) until it does not fail with a
/// deadlock or serialization failure, at most [`ATTEMPTS`] times, waiting a short random
/// time between runs so the two sides of a deadlock do not collide again in step.
pub async fn on_conflict<T, F>(conn: &mut AsyncPgConnection, mut op: F) -> Result<T, DbError>
where
    for<'r> F: AsyncFnMut(&'r mut AsyncPgConnection) -> Result<T, DbError> + Attempt<'r, T>,
{
    let mut attempt = 1;
    loop {
        match op(conn).await {
            Err(e) if e.is_conflict() => {
                if attempt == ATTEMPTS {
                    tracing::warn!(attempts = attempt, error = %error_text(&e), "conflict persisted");
                    return Err(DbError::Conflict {
                        attempts: attempt,
                        source: Box::new(e),
                    });
                }
                RETRIED.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(attempt, error = %error_text(&e), "conflict, running again");
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
            }
            outcome => return outcome,
        }
    }
}

/// An [`on_conflict`] operation whose future is `Send`. `AsyncFnMut` alone cannot say so for
/// every borrow of the connection, and the futures of request handlers and worker jobs must
/// be `Send`; the `AsyncFnMut` bound is kept so `async |conn| …` closures infer.
pub trait Attempt<'r, T>:
    FnMut(&'r mut AsyncPgConnection) -> <Self as Attempt<'r, T>>::Fut
{
    type Fut: Future<Output = Result<T, DbError>> + Send;
}

impl<'r, T, F, Fut> Attempt<'r, T> for F
where
    F: FnMut(&'r mut AsyncPgConnection) -> Fut,
    Fut: Future<Output = Result<T, DbError>> + Send,
{
    type Fut = Fut;
}

fn error_text(error: &DbError) -> String {
    match error {
        DbError::Query(Error::DatabaseError(_, info)) => info.message().to_owned(),
        other => other.to_string(),
    }
}

/// 5–40 ms for the first retry, doubling after: long enough for the other transaction of a
/// deadlock (usually a few statements) to commit.
fn backoff(attempt: u32) -> Duration {
    let base = 5u64 << (attempt - 1).min(4);
    let mut bytes = [0u8; 8];
    // Without randomness, a fixed wait still retries correctly, only less evenly spread.
    let spread = match getrandom::fill(&mut bytes) {
        Ok(()) => u64::from_le_bytes(bytes) % (base * 7 + 1),
        Err(_) => base * 3,
    };
    Duration::from_millis(base + spread)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_and_stay_short() {
        for attempt in 1..ATTEMPTS {
            let wait = backoff(attempt);
            let base = 5u64 << (attempt - 1);
            assert!(wait >= Duration::from_millis(base), "{wait:?}");
            assert!(wait <= Duration::from_millis(base * 8), "{wait:?}");
        }
    }
}
