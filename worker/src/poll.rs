//! When an idle worker looks for new jobs.
//!
//! apalis-redis only fetches again after a heartbeat or after one of the worker's own jobs
//! finishes, and its interval strategy re-arms its timer without polling it, so no wake-up is
//! ever registered: a lone job would wait for the next heartbeat (seconds). `Tick` re-arms
//! *and* polls its timer, so the worker is woken every `every` and picks new jobs up promptly.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use apalis::prelude::{PollSnapshot, PollStrategy};
use tokio::time::Sleep;

pub struct Tick {
    every: Duration,
    timer: Option<Pin<Box<Sleep>>>,
}

impl Tick {
    pub fn new(every: Duration) -> Self {
        Tick { every, timer: None }
    }
}

impl PollStrategy for Tick {
    fn poll_drive(&mut self, cx: &mut Context<'_>, _: &PollSnapshot) -> Poll<Option<()>> {
        loop {
            let every = self.every;
            let timer = self
                .timer
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(every)));
            match timer.as_mut().poll(cx) {
                // Fired: arm the next tick and poll it at once, which registers the waker.
                Poll::Ready(()) => self.timer = None,
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
