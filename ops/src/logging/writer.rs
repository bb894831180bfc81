//! A log writer that never makes the logging thread wait for the disk: each line is handed
//! to a bounded queue and written by a thread of its own. When the queue is full (standard
//! error is a slow disk, a stalled pipe, a paused terminal) the line is dropped and counted,
//! so a request is never held up by its log line.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tracing_subscriber::fmt::MakeWriter;

/// How long shutdown waits for the queue to drain before giving up on the rest: a sink that
/// never accepts another byte must not keep the process from exiting.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(2);

enum Message {
    Line(Vec<u8>),
    Shutdown,
}

/// The logging side: cheap to clone, one per `MakeWriter` call.
#[derive(Clone)]
pub struct NonBlocking {
    queue: SyncSender<Message>,
    dropped: Arc<AtomicU64>,
}

/// Held until the process ends: dropping it writes out what is queued (within
/// [`SHUTDOWN_WAIT`]) and stops the writing thread.
#[must_use = "dropping the guard stops the log writer"]
pub struct FlushGuard {
    queue: SyncSender<Message>,
    done: Receiver<()>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot start the log writer thread: {0}")]
pub struct SpawnError(#[from] io::Error);

impl NonBlocking {
    /// A writer queueing up to `capacity` lines for `sink` (at least one).
    pub fn new<W>(sink: W, capacity: usize) -> Result<(NonBlocking, FlushGuard), SpawnError>
    where
        W: Write + Send + 'static,
    {
        let (queue, lines) = mpsc::sync_channel(capacity.max(1));
        let (finished, done) = mpsc::sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || {
                drain(lines, sink);
                let _ = finished.send(());
            })?;
        let writer = NonBlocking {
            queue: queue.clone(),
            dropped: Arc::new(AtomicU64::new(0)),
        };
        let guard = FlushGuard {
            queue,
            done,
            thread: Some(thread),
        };
        Ok((writer, guard))
    }

    /// Lines dropped so far because the queue was full (or the writer had stopped).
    pub fn dropped_lines(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// The counter itself, for a registry that reads it later.
    pub fn dropped_counter(&self) -> Arc<AtomicU64> {
        self.dropped.clone()
    }
}

/// Writes queued lines through a buffer, flushing whenever the queue runs empty: a burst is
/// written in few system calls, and a quiet process still shows its last line at once.
fn drain<W: Write>(lines: Receiver<Message>, sink: W) {
    let mut out = io::BufWriter::with_capacity(64 * 1024, sink);
    // Write errors are ignored: there is nowhere left to report them.
    loop {
        let message = match lines.try_recv() {
            Ok(message) => message,
            Err(TryRecvError::Empty) => {
                let _ = out.flush();
                match lines.recv() {
                    Ok(message) => message,
                    Err(_) => break,
                }
            }
            Err(TryRecvError::Disconnected) => break,
        };
        match message {
            Message::Line(line) => {
                let _ = out.write_all(&line);
            }
            Message::Shutdown => break,
        }
    }
    let _ = out.flush();
}

impl Write for NonBlocking {
    /// The formatter hands over one whole line per call.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.queue.try_send(Message::Line(buf.to_vec())) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
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
        let deadline = Instant::now() + SHUTDOWN_WAIT;
        // The queue may be full: keep trying until the deadline rather than block on it.
        let mut shutdown = Message::Shutdown;
        loop {
            match self.queue.try_send(shutdown) {
                Ok(()) => break,
                Err(TrySendError::Disconnected(_)) => return,
                Err(TrySendError::Full(back)) if Instant::now() < deadline => {
                    shutdown = back;
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(TrySendError::Full(_)) => return,
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if self.done.recv_timeout(left).is_ok()
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
