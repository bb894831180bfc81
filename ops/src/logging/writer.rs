//! A log writer that never makes the logging thread wait for the disk, nor pay a system
//! call per line: lines are appended to a shared buffer of bounded size, which a thread of
//! its own writes out in batches, every [`FLUSH_EVERY`] or as soon as [`FLUSH_AT`] bytes are
//! waiting. When the buffer is full (standard error is a slow disk, a stalled pipe, a paused
//! terminal) the line is dropped and counted, so a request is never held up by its log line.
//!
//! The first version handed each line to a channel and woke the writing thread for it: on
//! one core that was a context switch and a `write` per request, and the default request log
//! cost 40 % of the cached reads' throughput (a synchronous `write` cost 20 %).

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How long shutdown waits for the buffer to be written before giving up on the rest: a sink
/// that never accepts another byte must not keep the process from exiting.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(2);
/// The longest a line waits in the buffer: a quiet process still shows its last line soon.
pub const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// Bytes that make the writing thread start at once instead of at its next tick.
const FLUSH_AT: usize = 64 * 1024;

#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    lines: usize,
    /// The writing thread was told to start early and has not yet.
    woken: bool,
}

struct Shared {
    pending: Mutex<Pending>,
    wake: Condvar,
    /// Lines the buffer holds at most.
    capacity: usize,
    closing: AtomicBool,
    dropped: Arc<AtomicU64>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        // A panic while holding the lock leaves plain bytes behind: still usable.
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The logging side: cheap to clone, one per `MakeWriter` call.
#[derive(Clone)]
pub struct NonBlocking {
    shared: Arc<Shared>,
}

/// Held until the process ends: dropping it writes out what is buffered (within
/// [`SHUTDOWN_WAIT`]) and stops the writing thread.
#[must_use = "dropping the guard stops the log writer"]
pub struct FlushGuard {
    shared: Arc<Shared>,
    done: std::sync::mpsc::Receiver<()>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot start the log writer thread: {0}")]
pub struct SpawnError(#[from] io::Error);

impl NonBlocking {
    /// A writer buffering up to `capacity` lines for `sink` (at least one).
    pub fn new<W>(sink: W, capacity: usize) -> Result<(NonBlocking, FlushGuard), SpawnError>
    where
        W: Write + Send + 'static,
    {
        let shared = Arc::new(Shared {
            pending: Mutex::new(Pending::default()),
            wake: Condvar::new(),
            capacity: capacity.max(1),
            closing: AtomicBool::new(false),
            dropped: Arc::new(AtomicU64::new(0)),
        });
        let (finished, done) = std::sync::mpsc::sync_channel(1);
        let writing = shared.clone();
        let thread = std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || {
                drain(&writing, sink);
                let _ = finished.send(());
            })?;
        let guard = FlushGuard {
            shared: shared.clone(),
            done,
            thread: Some(thread),
        };
        Ok((NonBlocking { shared }, guard))
    }

    /// Lines dropped so far because the buffer was full (or the writer had stopped).
    pub fn dropped_lines(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// The counter itself, for a registry that reads it later.
    pub fn dropped_counter(&self) -> Arc<AtomicU64> {
        self.shared.dropped.clone()
    }
}

/// Takes what is buffered, every tick or when woken, and writes it in one go outside the lock.
fn drain<W: Write>(shared: &Shared, mut sink: W) {
    let mut batch = Vec::new();
    loop {
        let closing = {
            let mut pending = shared.lock();
            if !pending.woken && !shared.closing.load(Ordering::Acquire) {
                pending = shared
                    .wake
                    .wait_timeout(pending, FLUSH_EVERY)
                    .map(|(guard, _)| guard)
                    .unwrap_or_else(|e| e.into_inner().0);
            }
            pending.woken = false;
            pending.lines = 0;
            std::mem::swap(&mut pending.bytes, &mut batch);
            shared.closing.load(Ordering::Acquire)
        };
        // Write errors are ignored: there is nowhere left to report them.
        if !batch.is_empty() {
            let _ = sink.write_all(&batch);
            let _ = sink.flush();
            batch.clear();
        }
        if closing && shared.lock().bytes.is_empty() {
            return;
        }
    }
}

impl Write for NonBlocking {
    /// The formatter hands over one whole line per call.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let shared = &self.shared;
        if shared.closing.load(Ordering::Relaxed) {
            shared.dropped.fetch_add(1, Ordering::Relaxed);
            return Ok(buf.len());
        }
        let mut pending = shared.lock();
        if pending.lines >= shared.capacity {
            drop(pending);
            shared.dropped.fetch_add(1, Ordering::Relaxed);
            return Ok(buf.len());
        }
        pending.bytes.extend_from_slice(buf);
        pending.lines += 1;
        if pending.bytes.len() >= FLUSH_AT && !pending.woken {
            pending.woken = true;
            drop(pending);
            shared.wake.notify_one();
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'w> MakeWriter<'w> for NonBlocking {
    type Writer = NonBlocking;

    fn make_writer(&'w self) -> NonBlocking {
        self.clone()
    }
}

impl Drop for FlushGuard {
    fn drop(&mut self) {
        self.shared.closing.store(true, Ordering::Release);
        self.shared.wake.notify_one();
        if self.done.recv_timeout(SHUTDOWN_WAIT).is_ok()
            && let Some(thread) = self.thread.take()
        {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::{Condvar, Mutex};
    use std::time::Instant;

    use super::*;

    /// A sink that accepts nothing until it is opened, then keeps every byte.
    #[derive(Clone, Default)]
    struct Gate(Arc<(Mutex<GateState>, Condvar)>);

    #[derive(Default)]
    struct GateState {
        open: bool,
        waiting: bool,
        written: Vec<u8>,
    }

    impl Gate {
        fn open(&self) {
            self.0.0.lock().unwrap().open = true;
            self.0.1.notify_all();
        }

        fn has_a_writer_waiting(&self) -> bool {
            self.0.0.lock().unwrap().waiting
        }

        fn text(&self) -> String {
            String::from_utf8(self.0.0.lock().unwrap().written.clone()).unwrap()
        }
    }

    impl Write for Gate {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let (lock, opened) = &*self.0;
            let mut state = lock.lock().unwrap();
            state.waiting = true;
            let mut state = opened.wait_while(state, |s| !s.open).unwrap();
            state.written.extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn log(writer: &NonBlocking, line: &str) {
        writer.make_writer().write_all(line.as_bytes()).unwrap();
    }

    #[test]
    fn a_full_queue_drops_and_counts_instead_of_blocking() {
        let gate = Gate::default();
        let (writer, guard) = NonBlocking::new(gate.clone(), 2).unwrap();
        log(&writer, "first\n");
        let waiting_since = Instant::now();
        while !gate.has_a_writer_waiting() {
            assert!(waiting_since.elapsed() < Duration::from_secs(5));
            std::thread::sleep(Duration::from_millis(1));
        }
        // The writing thread is stuck in the sink: two lines fit in the queue, the rest are
        // dropped, and none of the calls waits.
        let started = Instant::now();
        for i in 0..1000 {
            log(&writer, &format!("line {i}\n"));
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(writer.dropped_lines(), 998);
        assert_eq!(gate.text(), "");

        gate.open();
        drop(guard);
        assert_eq!(gate.text(), "first\nline 0\nline 1\n");
    }

    #[test]
    fn the_guard_writes_out_what_is_queued() {
        let gate = Gate::default();
        gate.open();
        let (writer, guard) = NonBlocking::new(gate.clone(), 64).unwrap();
        for i in 0..50 {
            log(&writer, &format!("line {i}\n"));
        }
        drop(guard);
        assert_eq!(gate.text().lines().count(), 50);
        assert_eq!(writer.dropped_lines(), 0);
        // After shutdown a line has nowhere to go: counted, not blocking.
        log(&writer, "late\n");
        assert_eq!(writer.dropped_lines(), 1);
    }
}
