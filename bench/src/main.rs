//! Load generator for the calculation pipeline of a running SAFAPAC API.
//!
//! Setup (creating projects) is excluded from every figure. See BENCHMARKS.md for the
//! commands behind each published number.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use hdrhistogram::Histogram;
use serde_json::{Value, json};

mod soak;

#[derive(Parser)]
#[command(about = "Load generator for the SAFAPAC calculation pipeline")]
struct Cli {
    /// Base URL of the API.
    #[arg(long, default_value = "http://127.0.0.1:8000")]
    base_url: String,
    /// A verified account to run as.
    #[arg(long)]
    email: String,
    /// Its password; read from SAFAPAC_BENCH_PASSWORD when not given (keeps it out of `ps`).
    #[arg(long)]
    password: Option<String>,
    #[command(subcommand)]
    workload: Workload,
}

#[derive(Subcommand)]
enum Workload {
    /// Submit one calculation per scenario from `clients` concurrent clients, then wait
    /// until every job has succeeded: drain capacity.
    Drain {
        #[arg(long, default_value_t = 5000)]
        scenarios: usize,
        #[arg(long, default_value_t = 50)]
        clients: usize,
    },
    /// The dashboard's pattern: each user submits, polls the status every `poll_ms` until
    /// `calculated`, and starts over, for `seconds`.
    Dashboard {
        #[arg(long, default_value_t = 50)]
        users: usize,
        #[arg(long, default_value_t = 200)]
        poll_ms: u64,
        #[arg(long, default_value_t = 25)]
        seconds: u64,
        /// Warm-up excluded from the figures.
        #[arg(long, default_value_t = 3)]
        warmup_seconds: u64,
    },
    /// Setup for the read workloads (`bench/reads.sh`): a project whose first scenario is
    /// `calculated`; prints `export` lines with an access token and the ids.
    Prepare,
    /// Holds `connections` keep-alive connections open (opened at `ramp` per second), each
    /// sending GET `path` every `interval_ms`, for `seconds` after the last one opened.
    Soak {
        #[arg(long, default_value_t = 10_000)]
        connections: usize,
        #[arg(long, default_value_t = 2_000)]
        interval_ms: u64,
        #[arg(long, default_value_t = 30)]
        seconds: u64,
        #[arg(long, default_value_t = 2_000)]
        ramp: usize,
        #[arg(long, default_value = "/api/v1/master-data")]
        path: String,
    },
    /// One job at a time on an idle system: submit-to-`succeeded` latency.
    Pickup {
        #[arg(long, default_value_t = 30)]
        samples: usize,
    },
}

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
    inputs: Value,
}

impl Client {
    async fn login(base: &str, email: &str, password: &str) -> anyhow::Result<Client> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .timeout(Duration::from_secs(30))
            .build()?;
        let response = http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .context("login request")?;
        if !response.status().is_success() {
            bail!(
                "login failed: {} {}",
                response.status(),
                response.text().await.unwrap_or_default()
            );
        }
        let body: Value = response.json().await?;
        let token = body["accessToken"]
            .as_str()
            .context("no accessToken in the login answer")?
            .to_owned();
        let cases: Vec<Value> =
            serde_json::from_str(include_str!("../../core/tests/data/cases.json"))?;
        Ok(Client {
            http,
            base: base.to_owned(),
            token,
            inputs: cases[0]["inputs"].clone(),
        })
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        Ok((status, body))
    }

    /// A new project; returns its scenario id.
    async fn new_scenario(&self) -> anyhow::Result<String> {
        Ok(self.new_project().await?.1)
    }

    /// A new project; returns its id and its first scenario's.
    async fn new_project(&self) -> anyhow::Result<(String, String)> {
        let (status, project) = self
            .send(
                reqwest::Method::POST,
                "/api/v1/projects",
                Some(&json!({"project_name": "bench"})),
            )
            .await?;
        if status != 201 {
            bail!("project create: {status} {project}");
        }
        let id = project["id"].as_str().context("project id")?;
        let (_, scenarios) = self
            .send(
                reqwest::Method::GET,
                &format!("/api/v1/projects/{id}/scenarios"),
                None,
            )
            .await?;
        let scenario = scenarios[0]["id"].as_str().context("scenario id")?;
        Ok((id.to_owned(), scenario.to_owned()))
    }

    async fn submit(&self, scenario: &str) -> anyhow::Result<String> {
        let (status, body) = self
            .send(
                reqwest::Method::POST,
                &format!("/api/v1/scenarios/{scenario}/calculate"),
                Some(&self.inputs),
            )
            .await?;
        if status != 202 {
            bail!("submit: {status} {body}");
        }
        Ok(body["jobId"].as_str().context("jobId")?.to_owned())
    }

    async fn job_status(&self, job: &str) -> anyhow::Result<String> {
        let (status, body) = self
            .send(reqwest::Method::GET, &format!("/api/v1/jobs/{job}"), None)
            .await?;
        if status != 200 {
            bail!("job status: {status} {body}");
        }
        Ok(body["status"].as_str().unwrap_or_default().to_owned())
    }

    async fn scenario_status(&self, scenario: &str) -> anyhow::Result<String> {
        let (status, body) = self
            .send(
                reqwest::Method::GET,
                &format!("/api/v1/scenarios/{scenario}/calculate/status"),
                None,
            )
            .await?;
        if status != 200 {
            bail!("status poll: {status}");
        }
        Ok(body["status"].as_str().unwrap_or_default().to_owned())
    }
}

pub(crate) fn report(label: &str, h: &Histogram<u64>) {
    let ms = |v: u64| v as f64 / 1000.0;
    println!(
        "{label}: n={} p50={:.1}ms p95={:.1}ms p99={:.1}ms max={:.1}ms",
        h.len(),
        ms(h.value_at_quantile(0.50)),
        ms(h.value_at_quantile(0.95)),
        ms(h.value_at_quantile(0.99)),
        ms(h.max())
    );
}

pub(crate) fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 120_000_000, 3).unwrap_or_else(|_| unreachable!("valid bounds"))
}

/// `n` scenarios, created by `parallel` tasks.
async fn scenarios(client: &Arc<Client>, n: usize, parallel: usize) -> anyhow::Result<Vec<String>> {
    let mut tasks = Vec::new();
    for w in 0..parallel {
        let client = client.clone();
        let count = n / parallel + usize::from(w < n % parallel);
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::with_capacity(count);
            for _ in 0..count {
                ids.push(client.new_scenario().await?);
            }
            anyhow::Ok(ids)
        }));
    }
    let mut all = Vec::with_capacity(n);
    for t in tasks {
        all.extend(t.await??);
    }
    Ok(all)
}

async fn drain(client: Arc<Client>, n: usize, clients: usize) -> anyhow::Result<()> {
    let scenarios = scenarios(&client, n, clients).await?;
    println!("setup: {n} scenarios");
    let started = Instant::now();
    let errors = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for chunk in scenarios.chunks(n.div_ceil(clients)) {
        let (client, chunk, errors) = (client.clone(), chunk.to_vec(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let mut jobs = Vec::with_capacity(chunk.len());
            for s in &chunk {
                match client.submit(s).await {
                    Ok(job) => jobs.push(job),
                    Err(_) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            jobs
        }));
    }
    let mut jobs = Vec::with_capacity(n);
    for t in tasks {
        jobs.extend(t.await?);
    }
    let submitted = started.elapsed();
    // Wait for the last job: jobs finish roughly in submission order, so check from the end.
    let mut pending: Vec<String> = jobs;
    while let Some(job) = pending.last() {
        if client.job_status(job).await? == "succeeded" {
            pending.pop();
        } else {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let drained = started.elapsed();
    println!(
        "drain: {n} calculations, submitted in {:.2}s ({:.0}/s), all calculated after {:.2}s: {:.0} calculations/s, {} errors",
        submitted.as_secs_f64(),
        n as f64 / submitted.as_secs_f64(),
        drained.as_secs_f64(),
        n as f64 / drained.as_secs_f64(),
        errors.load(Ordering::Relaxed)
    );
    Ok(())
}

async fn dashboard(
    client: Arc<Client>,
    users: usize,
    poll: Duration,
    run: Duration,
    warmup: Duration,
) -> anyhow::Result<()> {
    let scenarios = scenarios(&client, users, users.min(20)).await?;
    let start = Instant::now();
    let measure_from = start + warmup;
    let end = measure_from + run;
    let completed = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for scenario in scenarios {
        let (client, completed, errors) = (client.clone(), completed.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            // Whole cycles, and the submit and poll requests within them.
            let (mut latencies, mut submits, mut polls) = (histogram(), histogram(), histogram());
            while Instant::now() < end {
                let submitted = Instant::now();
                let measured = submitted >= measure_from;
                if client.submit(&scenario).await.is_err() {
                    errors.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(poll).await;
                    continue;
                }
                if measured {
                    let _ = submits.record(submitted.elapsed().as_micros() as u64);
                }
                loop {
                    let asked = Instant::now();
                    let status = client.scenario_status(&scenario).await;
                    if measured {
                        let _ = polls.record(asked.elapsed().as_micros() as u64);
                    }
                    match status.as_deref() {
                        Ok("calculated") => break,
                        Ok("calculating") => tokio::time::sleep(poll).await,
                        _ => {
                            errors.fetch_add(1, Ordering::Relaxed);
                            break;
                        }
                    }
                }
                let now = Instant::now();
                if measured && now <= end {
                    completed.fetch_add(1, Ordering::Relaxed);
                    let _ = latencies.record(now.duration_since(submitted).as_micros() as u64);
                }
            }
            (latencies, submits, polls)
        }));
    }
    let (mut all, mut submits, mut polls) = (histogram(), histogram(), histogram());
    for t in tasks {
        let (cycle, submit, poll) = t.await?;
        all.add(cycle)?;
        submits.add(submit)?;
        polls.add(poll)?;
    }
    let done = completed.load(Ordering::Relaxed);
    println!(
        "dashboard: {users} users polling every {}ms for {}s: {done} calculations, {:.1} completed/s, {} errors",
        poll.as_millis(),
        run.as_secs(),
        done as f64 / run.as_secs_f64(),
        errors.load(Ordering::Relaxed)
    );
    report("submit-to-calculated", &all);
    report("  submit request", &submits);
    report("  status request", &polls);
    Ok(())
}

async fn pickup(client: Arc<Client>, samples: usize) -> anyhow::Result<()> {
    let scenario = client.new_scenario().await?;
    let mut latencies = histogram();
    for _ in 0..samples {
        // An idle system: the worker has nothing to do until the job arrives.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let submitted = Instant::now();
        let job = client.submit(&scenario).await?;
        while client.job_status(&job).await? != "succeeded" {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let _ = latencies.record(submitted.elapsed().as_micros() as u64);
    }
    report("lone job submit-to-succeeded", &latencies);
    Ok(())
}

async fn prepare(client: Arc<Client>) -> anyhow::Result<()> {
    let (project, scenario) = client.new_project().await?;
    let job = client.submit(&scenario).await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while client.job_status(&job).await? != "succeeded" {
        if Instant::now() > deadline {
            bail!("job {job} did not succeed within 30 s: is a worker running?");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!("export SAFAPAC_BENCH_TOKEN={}", client.token);
    println!("export SAFAPAC_BENCH_PROJECT={project}");
    println!("export SAFAPAC_BENCH_SCENARIO={scenario}");
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let password = match cli.password {
        Some(p) => p,
        None => std::env::var("SAFAPAC_BENCH_PASSWORD")
            .context("give --password or set SAFAPAC_BENCH_PASSWORD")?,
    };
    let client = Arc::new(Client::login(&cli.base_url, &cli.email, &password).await?);
    match cli.workload {
        Workload::Drain { scenarios, clients } => drain(client, scenarios, clients).await,
        Workload::Dashboard {
            users,
            poll_ms,
            seconds,
            warmup_seconds,
        } => {
            dashboard(
                client,
                users,
                Duration::from_millis(poll_ms),
                Duration::from_secs(seconds),
                Duration::from_secs(warmup_seconds),
            )
            .await
        }
        Workload::Pickup { samples } => pickup(client, samples).await,
        Workload::Prepare => prepare(client).await,
        Workload::Soak {
            connections,
            interval_ms,
            seconds,
            ramp,
            path,
        } => {
            soak::run(
                &cli.base_url,
                &client.token,
                soak::Plan {
                    connections,
                    interval: Duration::from_millis(interval_ms),
                    hold: Duration::from_secs(seconds),
                    ramp,
                    path,
                },
            )
            .await
        }
    }
}
