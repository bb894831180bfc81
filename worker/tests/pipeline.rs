//! The calculation pipeline against the real PostgreSQL and Redis: a fresh database, queue
//! name and key prefix per test.

#![allow(clippy::unwrap_used)] // test helpers may panic on malformed fixtures

use safapac_db::status::{JobStatus, ScenarioStatus};
use std::time::Duration;

use diesel::sql_types::Uuid as SqlUuid;
use diesel_async::RunQueryDsl;
use safapac_db::jobs::{self, CalculationJob, Submission};
use safapac_db::{DbPool, projects};
use safapac_queue::JobQueue;
use safapac_testkit::{RedisKeys, TestDatabase};
use safapac_worker::WorkerSettings;
use serde_json::{Value, json};
use tokio::sync::oneshot;
use uuid::Uuid;

struct Fixture {
    _db: TestDatabase,
    pool: DbPool,
    settings: WorkerSettings,
    queue: JobQueue,
    user: Uuid,
    scenario: Uuid,
}

impl Fixture {
    async fn new(tweak: impl FnOnce(&mut WorkerSettings)) -> Fixture {
        let db = TestDatabase::create().await.unwrap();
        let pool = db.pool(8).unwrap();
        let mut settings = WorkerSettings::from_lookup(|_| None).unwrap();
        settings.queue.queue = format!("test_{}", Uuid::new_v4().simple());
        // The master-data cache's keys too: never the shared `safapac:` ones.
        settings.queue.redis_prefix = settings.queue.queue.clone();
        settings.concurrency = 4;
        tweak(&mut settings);
        let conn = safapac_queue::connect(&settings.queue, false)
            .await
            .unwrap();
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
        .bind::<diesel::sql_types::Text, _>(format!("{user}@example.test"))
        .execute(&mut conn)
        .await
        .unwrap();
        let project = projects::create(&mut conn, user, "pipeline").await.unwrap();
        let scenario = safapac_db::scenarios::list(&mut conn, user, project.project.id)
            .await
            .unwrap()
            .unwrap()[0]
            .id;
        drop(conn);
        Fixture {
            _db: db,
            pool,
            settings,
            queue,
            user,
            scenario,
        }
    }

    /// Stores `inputs` on the scenario and records a queued job, without pushing it.
    async fn submit(&self, inputs: &Value) -> Uuid {
        let mut conn = self.pool.get().await.unwrap();
        let submitted = jobs::submit(
            &mut conn,
            self.user,
            self.scenario,
            None,
            Submission {
                process_id: inputs["processId"].as_i64().unwrap() as i32,
                feedstock_id: inputs["feedstockId"].as_i64().unwrap() as i32,
                country_id: inputs["countryId"].as_i64().unwrap() as i32,
                inputs: inputs.clone(),
                synchronous: false,
            },
        )
        .await
        .unwrap()
        .unwrap();
        submitted.job_id
    }

    async fn job(&self, id: Uuid) -> CalculationJob {
        let mut conn = self.pool.get().await.unwrap();
        jobs::find(&mut conn, id).await.unwrap().unwrap()
    }

    async fn scenario(&self) -> safapac_db::models::Scenario {
        let mut conn = self.pool.get().await.unwrap();
        safapac_db::scenarios::get(&mut conn, self.user, self.scenario, None)
            .await
            .unwrap()
            .unwrap()
    }

    /// Waits until every given job has left `queued`/`running`.
    async fn wait_finished(&self, ids: &[Uuid]) -> Vec<CalculationJob> {
        for _ in 0..300 {
            let mut all = Vec::new();
            for id in ids {
                all.push(self.job(*id).await);
            }
            if all.iter().all(|j| j.status.is_terminal()) {
                return all;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("jobs did not finish: {:?}", self.job(ids[0]).await);
    }

    /// Runs the worker (consumer + sweeper) until the returned sender is used or dropped.
    fn start_worker(
        &self,
    ) -> (
        oneshot::Sender<()>,
        tokio::task::JoinHandle<Result<(), safapac_worker::run::RunError>>,
    ) {
        let (stop, stopped) = oneshot::channel::<()>();
        let handle = tokio::spawn(safapac_worker::run::run(
            self.pool.clone(),
            self.settings.clone(),
            async {
                let _ = stopped.await;
            },
        ));
        (stop, handle)
    }

    async fn cleanup_redis(&self) {
        let keys = RedisKeys::starting_with(
            &self.settings.queue.redis_url,
            &[&self.settings.queue.queue],
        );
        keys.delete().await.unwrap();
    }
}

/// A stored result (JSON text) as a tree, to compare with the engine's.
fn parsed(stored: Option<String>) -> Value {
    serde_json::from_str(&stored.expect("results stored")).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pushed_job_is_calculated_with_the_engines_result() {
    let f = Fixture::new(|_| {}).await;
    let inputs = safapac_testkit::golden::inputs(0);
    let job = f.submit(&inputs).await;
    assert_eq!(f.scenario().await.status, ScenarioStatus::Calculating);
    f.queue.push(job, 0).await.unwrap();
    let (stop, worker) = f.start_worker();

    let done = f.wait_finished(&[job]).await;
    assert_eq!(done[0].status, JobStatus::Succeeded);
    assert_eq!(done[0].attempts, 1);
    let scenario = f.scenario().await;
    assert_eq!(scenario.status, ScenarioStatus::Calculated);
    let (te, fin) = safapac_testkit::golden::engine_results(&inputs);
    assert_eq!(parsed(scenario.techno_economics), te);
    assert_eq!(parsed(scenario.financial_analysis), fin);

    stop.send(()).unwrap();
    worker.await.unwrap().unwrap();
    f.cleanup_redis().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn inputs_the_engine_rejects_fail_once_with_the_reason() {
    let f = Fixture::new(|_| {}).await;
    let mut inputs = safapac_testkit::golden::inputs(0);
    inputs["productData"] = json!([]);
    let job = f.submit(&inputs).await;
    f.queue.push(job, 0).await.unwrap();
    let (stop, worker) = f.start_worker();

    let done = f.wait_finished(&[job]).await;
    assert_eq!(done[0].status, JobStatus::Failed);
    assert_eq!(done[0].attempts, 1, "an invalid input is not retried");
    assert_eq!(
        done[0].error.as_deref(),
        Some("productData: must not be empty")
    );
    assert_eq!(f.scenario().await.status, ScenarioStatus::Failed);

    stop.send(()).unwrap();
    worker.await.unwrap().unwrap();
    f.cleanup_redis().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_whose_push_was_lost_is_pushed_again_by_the_sweeper() {
    let f = Fixture::new(|s| {
        s.requeue_after = Duration::from_secs(1);
        s.sweep_interval = Duration::from_secs(1);
    })
    .await;
    let job = f.submit(&safapac_testkit::golden::inputs(3)).await; // never pushed
    let (stop, worker) = f.start_worker();

    let done = f.wait_finished(&[job]).await;
    assert_eq!(done[0].status, JobStatus::Succeeded);
    assert_eq!(done[0].pushes, 2, "the sweeper's delivery is the second");
    assert_eq!(f.scenario().await.status, ScenarioStatus::Calculated);

    stop.send(()).unwrap();
    worker.await.unwrap().unwrap();
    f.cleanup_redis().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn only_the_newest_revision_writes_results() {
    let f = Fixture::new(|_| {}).await;
    let old_inputs = safapac_testkit::golden::inputs(0);
    let new_inputs = safapac_testkit::golden::inputs(1);
    let old = f.submit(&old_inputs).await;
    let new = f.submit(&new_inputs).await;
    f.queue.push(old, 0).await.unwrap();
    f.queue.push(new, 0).await.unwrap();
    let (stop, worker) = f.start_worker();

    let done = f.wait_finished(&[old, new]).await;
    assert_eq!(done[0].status, JobStatus::Superseded);
    assert_eq!(done[1].status, JobStatus::Succeeded);
    let scenario = f.scenario().await;
    assert_eq!(scenario.status, ScenarioStatus::Calculated);
    assert_eq!(
        parsed(scenario.techno_economics),
        safapac_testkit::golden::engine_results(&new_inputs).0
    );

    stop.send(()).unwrap();
    worker.await.unwrap().unwrap();
    f.cleanup_redis().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicate_deliveries_write_once() {
    let f = Fixture::new(|_| {}).await;
    let job = f.submit(&safapac_testkit::golden::inputs(2)).await;
    // The same delivery twice (dropped by the queue) and a second delivery (a no-op claim).
    f.queue.push(job, 0).await.unwrap();
    f.queue.push(job, 0).await.unwrap();
    f.queue.push(job, 1).await.unwrap();
    let (stop, worker) = f.start_worker();

    let done = f.wait_finished(&[job]).await;
    assert_eq!(done[0].status, JobStatus::Succeeded);
    assert_eq!(
        done[0].attempts, 1,
        "exactly one delivery ran the calculation"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(f.job(job).await.attempts, 1);

    stop.send(()).unwrap();
    worker.await.unwrap().unwrap();
    f.cleanup_redis().await;
}
