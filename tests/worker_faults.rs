//! The pipeline under faults, with real worker processes (`safapac-worker run`), the real
//! PostgreSQL, and Redis: many jobs from many clients over two workers, `kill -9` of a
//! worker, SIGTERM during work, and a Redis server restarted empty (the test's own server on
//! a free port, so the shared one is never touched).

#![allow(clippy::unwrap_used)] // test helpers may panic on malformed fixtures

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::sql_types::{BigInt, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use safapac_db::jobs::{self, Submission};
use safapac_db::{DbPool, projects};
use safapac_queue::JobQueue;
use safapac_testkit::{OwnRedis, RedisKeys, TestDatabase};
use safapac_worker::WorkerSettings;
use uuid::Uuid;

struct World {
    db: TestDatabase,
    pool: DbPool,
    settings: WorkerSettings,
    queue: JobQueue,
    user: Uuid,
}

impl World {
    async fn new(redis_url: &str) -> World {
        let db = TestDatabase::create().await.unwrap();
        let pool = db.pool(16).unwrap();
        let mut settings = WorkerSettings::from_lookup(|_| None).unwrap();
        settings.queue.redis_url = redis_url.to_owned();
        settings.queue.queue = format!("test_{}", Uuid::new_v4().simple());
        // The master-data cache's keys too: never the shared `safapac:` ones.
        settings.queue.redis_prefix = settings.queue.queue.clone();
        // Submitting clients must not wait long on a Redis that is down.
        settings.queue.redis_timeout = Duration::from_millis(300);
        let conn = safapac_queue::connect(&settings.queue, true).await.unwrap();
        let queue = JobQueue::new(safapac_queue::storage(
            conn,
            &settings.queue,
            settings.tuning(),
        ));
        let user = Uuid::new_v4();
        let mut conn = pool.get().await.unwrap();
        diesel::sql_query(
            "INSERT INTO users (id, name, email, password_hash, email_verified) VALUES ($1, 'T', $2, 'x', true)",
        )
        .bind::<SqlUuid, _>(user)
        .bind::<Text, _>(format!("{user}@example.test"))
        .execute(&mut conn)
        .await
        .unwrap();
        World {
            db,
            pool,
            settings,
            queue,
            user,
        }
    }

    /// `n` scenarios, each in its own project.
    async fn scenarios(&self, n: usize) -> Vec<Uuid> {
        let mut conn = self.pool.get().await.unwrap();
        let mut ids = Vec::with_capacity(n);
        for i in 0..n {
            let p = projects::create(&mut conn, self.user, &format!("p{i}"))
                .await
                .unwrap();
            let s = safapac_db::scenarios::list(&mut conn, self.user, p.project.id)
                .await
                .unwrap()
                .unwrap();
            ids.push(s[0].id);
        }
        ids
    }

    /// Submits and pushes one job per scenario from `clients` concurrent tasks.
    async fn submit_all(&self, scenarios: &[Uuid], clients: usize) -> Vec<Uuid> {
        let inputs = safapac_testkit::golden::inputs(0);
        let chunks: Vec<Vec<Uuid>> = scenarios
            .chunks(scenarios.len().div_ceil(clients))
            .map(<[Uuid]>::to_vec)
            .collect();
        let mut tasks = Vec::new();
        for chunk in chunks {
            let (pool, queue, user, inputs) = (
                self.pool.clone(),
                self.queue.clone(),
                self.user,
                inputs.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let mut ids = Vec::new();
                for scenario in chunk {
                    let job = {
                        let mut conn = pool.get().await.unwrap();
                        let submission = Submission {
                            process_id: 1,
                            feedstock_id: 1,
                            country_id: 1,
                            inputs: inputs.clone(),
                            synchronous: false,
                        };
                        jobs::submit(&mut conn, user, scenario, None, submission)
                            .await
                            .unwrap()
                            .unwrap()
                            .job_id
                    };
                    // A failed push is the sweeper's to repair.
                    let _ = queue.push(job, 0).await;
                    ids.push(job);
                }
                ids
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        all
    }

    async fn count(&self, sql: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        let mut conn = self.pool.get().await.unwrap();
        diesel::sql_query(sql)
            .get_result::<N>(&mut conn)
            .await
            .unwrap()
            .n
    }

    async fn wait_all_succeeded(&self, total: i64, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let done = self
                .count("SELECT count(*) AS n FROM calculation_jobs WHERE status = 'succeeded'")
                .await;
            if done == total {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{done} of {total} jobs succeeded in time"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Every job ended `succeeded`, every scenario `calculated` with a result, none left
    /// `calculating`.
    async fn assert_consistent(&self, total: i64) {
        assert_eq!(
            self.count("SELECT count(*) AS n FROM calculation_jobs WHERE status <> 'succeeded'")
                .await,
            0
        );
        assert_eq!(
            self.count("SELECT count(*) AS n FROM scenarios WHERE status = 'calculated' AND techno_economics IS NOT NULL")
                .await,
            total
        );
        assert_eq!(
            self.count("SELECT count(*) AS n FROM scenarios WHERE status = 'calculating'")
                .await,
            0
        );
    }

    fn spawn_worker(&self, extra: &[(&str, &str)]) -> Child {
        let mut cmd = Command::new(safapac_testkit::binary("safapac-worker", "safapac-worker"));
        cmd.arg("run")
            .env("DATABASE_URL", self.db.url())
            .env("REDIS_URL", &self.settings.queue.redis_url)
            .env("SAFAPAC_QUEUE", &self.settings.queue.queue)
            .env("SAFAPAC_REDIS_PREFIX", &self.settings.queue.redis_prefix)
            .env("SAFAPAC_WORKER_CONCURRENCY", "8")
            .env("SAFAPAC_HEARTBEAT_SECS", "1")
            .env("SAFAPAC_JOB_TIMEOUT_SECS", "3")
            .env("SAFAPAC_REQUEUE_AFTER_SECS", "2")
            .env("SAFAPAC_SWEEP_INTERVAL_SECS", "1")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in extra {
            cmd.env(k, v);
        }
        cmd.spawn().unwrap()
    }

    async fn cleanup_redis(&self) {
        let keys = RedisKeys::starting_with(
            &self.settings.queue.redis_url,
            &[&self.settings.queue.queue],
        );
        let _ = keys.delete().await;
    }
}

fn signal(child: &Child, sig: &str) {
    let status = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

fn wait_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "worker did not exit");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_and_fifty_clients_run_every_job_exactly_once() {
    let world = World::new("redis://127.0.0.1:6379").await;
    let scenarios = world.scenarios(500).await;
    let mut a = world.spawn_worker(&[]);
    let mut b = world.spawn_worker(&[]);
    world.submit_all(&scenarios, 50).await;
    world.wait_all_succeeded(500, Duration::from_secs(60)).await;
    world.assert_consistent(500).await;
    // Each job ran its calculation once: no delivery needed a second attempt.
    assert_eq!(
        world
            .count("SELECT coalesce(max(attempts), 0)::bigint AS n FROM calculation_jobs")
            .await,
        1
    );
    for w in [&mut a, &mut b] {
        signal(w, "TERM");
        assert!(wait_exit(w, Duration::from_secs(20)).success());
    }
    world.cleanup_redis().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_worker_s_jobs_are_finished_by_the_other() {
    let world = World::new("redis://127.0.0.1:6379").await;
    let scenarios = world.scenarios(300).await;
    let mut doomed = world.spawn_worker(&[]);
    world.submit_all(&scenarios, 10).await;
    // Let it get going, then kill it without warning.
    let deadline = Instant::now() + Duration::from_secs(30);
    while world
        .count("SELECT count(*) AS n FROM calculation_jobs WHERE status = 'succeeded'")
        .await
        < 20
    {
        assert!(Instant::now() < deadline, "the first worker never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    signal(&doomed, "KILL");
    let _ = wait_exit(&mut doomed, Duration::from_secs(5));
    let mut survivor = world.spawn_worker(&[]);
    world.wait_all_succeeded(300, Duration::from_secs(60)).await;
    world.assert_consistent(300).await;
    signal(&survivor, "TERM");
    assert!(wait_exit(&mut survivor, Duration::from_secs(20)).success());
    world.cleanup_redis().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_lets_in_flight_jobs_finish_and_exits_zero() {
    let world = World::new("redis://127.0.0.1:6379").await;
    let scenarios = world.scenarios(200).await;
    let mut worker = world.spawn_worker(&[]);
    world.submit_all(&scenarios, 10).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while world
        .count("SELECT count(*) AS n FROM calculation_jobs WHERE status = 'succeeded'")
        .await
        < 10
    {
        assert!(Instant::now() < deadline, "the worker never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    signal(&worker, "TERM");
    let status = wait_exit(&mut worker, Duration::from_secs(40));
    assert!(status.success(), "clean exit: {status:?}");
    // Nothing was abandoned mid-way: every job is finished or still waiting to be picked up.
    assert_eq!(
        world
            .count("SELECT count(*) AS n FROM calculation_jobs WHERE status = 'running'")
            .await,
        0
    );
    let mut next = world.spawn_worker(&[]);
    world.wait_all_succeeded(200, Duration::from_secs(60)).await;
    world.assert_consistent(200).await;
    signal(&next, "TERM");
    assert!(wait_exit(&mut next, Duration::from_secs(20)).success());
    world.cleanup_redis().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_job_completes_after_redis_restarts_with_the_queue_lost() {
    let mut redis_server = OwnRedis::start();
    let world = World::new(&redis_server.url()).await;
    let scenarios = world.scenarios(200).await;
    let mut worker = world.spawn_worker(&[]);
    world.submit_all(&scenarios[..100], 10).await;
    // Redis dies with whatever the queue held, and comes back empty.
    redis_server.stop();
    // Submissions while Redis is away still succeed: the rows wait for the sweeper.
    world.submit_all(&scenarios[100..], 10).await;
    let _redis_server = OwnRedis::start_on(redis_server.port());
    world.wait_all_succeeded(200, Duration::from_secs(90)).await;
    world.assert_consistent(200).await;
    signal(&worker, "TERM");
    assert!(wait_exit(&mut worker, Duration::from_secs(20)).success());
}
