//! The connection soak: many keep-alive connections held open at once, each sending a request
//! now and then, over plain HTTP/1.1 on its own socket (a client pool would share sockets).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub struct Plan {
    pub connections: usize,
    pub interval: Duration,
    pub hold: Duration,
    /// Connections opened per second.
    pub ramp: usize,
    pub path: String,
}

#[derive(Default)]
struct Tally {
    open: AtomicUsize,
    peak_open: AtomicUsize,
    connect_errors: AtomicU64,
    io_errors: AtomicU64,
    non_2xx: AtomicU64,
}

pub async fn run(base_url: &str, token: &str, plan: Plan) -> anyhow::Result<()> {
    let address = base_url
        .strip_prefix("http://")
        .context("soak: the base URL must be http://host:port")?
        .trim_end_matches('/')
        .to_owned();
    let request = Arc::new(
        format!(
            "GET {} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\r\n",
            plan.path
        )
        .into_bytes(),
    );
    let tally = Arc::new(Tally::default());
    let started = Instant::now();
    let ramp_time = Duration::from_secs_f64(plan.connections as f64 / plan.ramp.max(1) as f64);
    let end = started + ramp_time + plan.hold;
    let mut tasks = Vec::with_capacity(plan.connections);
    for i in 0..plan.connections {
        let opens_at = started + ramp_time.mul_f64(i as f64 / plan.connections as f64);
        let (address, request, tally) = (address.clone(), request.clone(), tally.clone());
        let interval = plan.interval;
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep_until(opens_at.into()).await;
            connection(&address, &request, interval, end, &tally).await
        }));
    }
    let mut latencies = crate::histogram();
    for task in tasks {
        latencies.add(task.await?)?;
    }
    println!(
        "soak: {} connections (peak {} open at once), a request each every {} ms, held {} s: \
         {} requests, {} connect errors, {} I/O errors, {} non-2xx",
        plan.connections,
        tally.peak_open.load(Ordering::Relaxed),
        plan.interval.as_millis(),
        plan.hold.as_secs(),
        latencies.len(),
        tally.connect_errors.load(Ordering::Relaxed),
        tally.io_errors.load(Ordering::Relaxed),
        tally.non_2xx.load(Ordering::Relaxed),
    );
    crate::report("  request", &latencies);
    Ok(())
}

async fn connection(
    address: &str,
    request: &[u8],
    interval: Duration,
    end: Instant,
    tally: &Tally,
) -> hdrhistogram::Histogram<u64> {
    let mut latencies = crate::histogram();
    let Ok(mut stream) = TcpStream::connect(address).await else {
        tally.connect_errors.fetch_add(1, Ordering::Relaxed);
        return latencies;
    };
    let open = tally.open.fetch_add(1, Ordering::Relaxed) + 1;
    tally.peak_open.fetch_max(open, Ordering::Relaxed);
    let mut buffer = Vec::with_capacity(64 * 1024);
    let mut next = Instant::now();
    while next < end {
        tokio::time::sleep_until(next.into()).await;
        let sent = Instant::now();
        match exchange(&mut stream, request, &mut buffer).await {
            Ok(status) => {
                let _ = latencies.record(sent.elapsed().as_micros() as u64);
                if !(200..300).contains(&status) {
                    tally.non_2xx.fetch_add(1, Ordering::Relaxed);
                }
            }
            Err(_) => {
                tally.io_errors.fetch_add(1, Ordering::Relaxed);
                break;
            }
        }
        next += interval;
    }
    tally.open.fetch_sub(1, Ordering::Relaxed);
    latencies
}

/// Sends one request and reads its whole response; returns the status code.
async fn exchange(
    stream: &mut TcpStream,
    request: &[u8],
    buffer: &mut Vec<u8>,
) -> anyhow::Result<u16> {
    stream.write_all(request).await?;
    buffer.clear();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        let n = stream.read(&mut chunk).await?;
        anyhow::ensure!(n > 0, "connection closed");
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = std::str::from_utf8(&buffer[..head_end])?;
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .context("no status code")?;
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .context("no Content-Length")?;
    while buffer.len() < head_end + length {
        let n = stream.read(&mut chunk).await?;
        anyhow::ensure!(n > 0, "connection closed mid-body");
        buffer.extend_from_slice(&chunk[..n]);
    }
    Ok(status)
}
