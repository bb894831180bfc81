//! A time limit on every request head of a connection.
//!
//! actix-http times a connection's first request head only (`client_request_timeout`); once
//! a request has been answered and the client starts the next one, the keep-alive timer is
//! cleared and nothing bounds how long that head may take to arrive. A client could send
//! one good request and then trickle the next head forever, holding a connection and a
//! slot of the server's connection limit.
//!
//! [`TimedHeads`] wraps a connection's socket and shares a [`HeadClock`] with the requests
//! served on it (through connection data). The socket sees bytes arrive; the application
//! (the [`track_requests`] middleware) sees a head become a request and its answer end. Between
//! the two, each head is timed from its first byte until it is complete:
//!
//! - after an answer is sent, the connection is *between* requests: only keep-alive bounds it;
//! - the first byte read then starts a *head*, and with it the deadline;
//! - when the head is complete, actix calls the application: the *request* stops the clock
//!   (its body has its own limit, `SAFAPAC_BODY_TIMEOUT_MS`) until its answer has been sent.
//!
//! A head still incomplete at the deadline is answered `408` and the connection closed, like
//! actix answers a slow first head. The first head is timed by both; the earlier wins.

use std::cell::Cell;
use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use crate::HoldingBody;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Between,
    Head,
    Request,
}

/// Where a connection is in its request/answer cycle.
#[derive(Debug)]
pub struct HeadClock(Cell<Phase>);

/// The answer sent when a head's deadline passes: no body, and the connection ends with it.
const TIMED_OUT: &[u8] =
    b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

/// A connection's socket whose every request head must arrive within `limit` of its first
/// byte.
pub struct TimedHeads<IO> {
    io: IO,
    clock: Rc<HeadClock>,
    limit: Duration,
    deadline: Pin<Box<Sleep>>,
    /// Set once a head ran out of time: how much of `TIMED_OUT` has been written.
    timed_out: Option<usize>,
}

impl<IO> TimedHeads<IO> {
    pub fn new(io: IO, limit: Duration) -> TimedHeads<IO> {
        TimedHeads {
            io,
            clock: Rc::new(HeadClock(Cell::new(Phase::Between))),
            limit,
            deadline: Box::pin(tokio::time::sleep(limit)),
            timed_out: None,
        }
    }

    /// For the connection's data, where [`track_requests`] finds it.
    pub fn clock(&self) -> Rc<HeadClock> {
        self.clock.clone()
    }

    /// After a timeout, the deadline bounds the rest too: a client that reads nothing must
    /// not keep the connection open by never taking the 408.
    fn closing_in_time(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        if self.timed_out.is_some() && self.deadline.as_mut().poll(cx).is_ready() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "request head timed out and the client did not take the answer",
            ));
        }
        Ok(())
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for TimedHeads<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.timed_out.is_none()
            && this.clock.0.get() == Phase::Head
            && this.deadline.as_mut().poll(cx).is_ready()
        {
            this.timed_out = Some(0);
            this.deadline.as_mut().reset(Instant::now() + this.limit);
        }
        if this.timed_out.is_some() {
            // The end of the stream: actix-http then flushes what it has to send and shuts
            // the connection down, which is where the 408 goes out (`poll_shutdown`).
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.io).poll_read(cx, buf))?;
        if buf.filled().len() > before && this.clock.0.get() == Phase::Between {
            this.clock.0.set(Phase::Head);
            this.deadline.as_mut().reset(Instant::now() + this.limit);
            // Registers the wake-up: a client that goes silent mid-head sends nothing that
            // would poll this socket again.
            let _ = this.deadline.as_mut().poll(cx);
        }
        Poll::Ready(Ok(()))
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for TimedHeads<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.closing_in_time(cx)?;
        Pin::new(&mut this.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.closing_in_time(cx)?;
        Pin::new(&mut this.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.closing_in_time(cx)?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.closing_in_time(cx)?;
        // actix-http has flushed everything it had (the previous answer ended before the
        // head began), so the 408 follows a complete answer on the wire.
        while let Some(sent) = this.timed_out.filter(|sent| *sent < TIMED_OUT.len()) {
            let n = ready!(Pin::new(&mut this.io).poll_write(cx, &TIMED_OUT[sent..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            this.timed_out = Some(sent + n);
        }
        ready!(Pin::new(&mut this.io).poll_flush(cx))?;
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}

/// Marks a connection's head as complete while its request is served, and the connection as
/// between requests once the answer has been sent (or the request failed). Outermost, so it
/// sees the request first and the answer last. Requests that did not come through a
/// [`TimedHeads`] socket (the in-process test service) pass untouched.
pub async fn track_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let Some(clock) = req.conn_data::<Rc<HeadClock>>().cloned() else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let serving = Serving::start(clock);
    let response = next.call(req).await?;
    Ok(response
        .map_body(|_, body| HoldingBody::new(body, serving))
        .map_into_right_body())
}

/// A request being served; dropped with its answer's body, once that has been sent.
struct Serving(Rc<HeadClock>);

impl Serving {
    fn start(clock: Rc<HeadClock>) -> Serving {
        clock.0.set(Phase::Request);
        Serving(clock)
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.0.0.set(Phase::Between);
    }
}
