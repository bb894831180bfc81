//! Migrations, seed and the constraints the schema itself must enforce, on a real database.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use safapac_core::master::MasterData;
use safapac_db::migrate::run_migrations;
use safapac_db::schema::*;
use safapac_testkit::TestDatabase;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn count(conn: &mut AsyncPgConnection, table: &str) -> i64 {
    let row: Count = diesel::sql_query(format!("SELECT count(*) AS n FROM {table}"))
        .get_result(conn)
        .await
        .unwrap();
    row.n
}

#[tokio::test(flavor = "multi_thread")]
async fn seed_matches_the_core_master_data_and_rerunning_is_a_no_op() {
    let db = TestDatabase::create().await.unwrap();
    let mut conn = AsyncPgConnection::establish(db.url()).await.unwrap();
    let data = MasterData::builtin();

    let processes: Vec<(i32, String)> = process_technologies::table
        .order(process_technologies::id)
        .load(&mut conn)
        .await
        .unwrap();
    let expected: Vec<(i32, String)> = data
        .process_technologies
        .iter()
        .map(|p| (p.id, p.name.clone()))
        .collect();
    assert_eq!(processes, expected);
    let unit_names: Vec<(i32, String)> = units_of_measure::table
        .select((units_of_measure::id, units_of_measure::name))
        .order(units_of_measure::id)
        .load(&mut conn)
        .await
        .unwrap();
    assert_eq!(unit_names.len(), data.units_of_measure.len());
    assert_eq!(unit_names[2], (3, "kta".to_owned()));
    assert_eq!(
        count(&mut conn, "feedstocks").await,
        data.feedstocks.len() as i64
    );
    assert_eq!(
        count(&mut conn, "default_parameter_sets").await,
        data.default_parameter_sets.len() as i64
    );

    let report = run_migrations(db.url()).await.unwrap();
    assert!(report.applied.is_empty(), "schema was current: {report:?}");
    assert_eq!(count(&mut conn, "process_technologies").await, 10);

    // Sequences were moved past the seeded ids.
    let id: i32 = diesel::insert_into(countries::table)
        .values(countries::name.eq("Brazil"))
        .returning(countries::id)
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(id, data.countries.len() as i32 + 1);
}

async fn insert_user_and_project(conn: &mut AsyncPgConnection) -> uuid::Uuid {
    diesel::sql_query(
        "INSERT INTO users (id, name, email, password_hash) \
         VALUES ('00000000-0000-0000-0000-000000000001', 'A', 'a@example.org', 'x');
         ",
    )
    .execute(conn)
    .await
    .unwrap();
    let project = uuid::Uuid::new_v4();
    diesel::sql_query(
        "INSERT INTO projects (id, user_id, project_name) \
         VALUES ($1::uuid, '00000000-0000-0000-0000-000000000001', 'P')",
    )
    .bind::<Text, _>(project.to_string())
    .execute(conn)
    .await
    .unwrap();
    project
}

async fn insert_scenario(
    conn: &mut AsyncPgConnection,
    project: uuid::Uuid,
    order: i32,
) -> QueryResult<usize> {
    diesel::sql_query(format!(
        "INSERT INTO scenarios (id, project_id, scenario_name, scenario_order, process_id, \
         feedstock_id, country_id) VALUES (gen_random_uuid(), '{project}', 'S', {order}, 1, 1, 1)"
    ))
    .execute(conn)
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_database_caps_a_project_at_three_scenarios_and_cascades_deletes() {
    let db = TestDatabase::create().await.unwrap();
    let mut conn = AsyncPgConnection::establish(db.url()).await.unwrap();
    let project = insert_user_and_project(&mut conn).await;
    for order in 1..=3 {
        insert_scenario(&mut conn, project, order).await.unwrap();
    }
    assert!(
        insert_scenario(&mut conn, project, 4).await.is_err(),
        "order 4 is out of range"
    );
    assert!(
        insert_scenario(&mut conn, project, 2).await.is_err(),
        "order 2 is taken"
    );
    diesel::sql_query(format!(
        "INSERT INTO calculation_jobs (id, scenario_id, revision) \
         SELECT gen_random_uuid(), id, 0 FROM scenarios WHERE project_id = '{project}'"
    ))
    .execute(&mut conn)
    .await
    .unwrap();

    // Case variants of an email collide.
    let duplicate = diesel::sql_query(
        "INSERT INTO users (id, name, email, password_hash) \
         VALUES (gen_random_uuid(), 'B', 'A@Example.org', 'x')",
    )
    .execute(&mut conn)
    .await;
    assert!(duplicate.is_err());

    diesel::delete(projects::table.find(project))
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(count(&mut conn, "scenarios").await, 0);
    assert_eq!(count(&mut conn, "calculation_jobs").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_migrate_runs_take_turns_under_the_advisory_lock() {
    let db = TestDatabase::empty().await.unwrap();
    assert!(
        !safapac_db::migrate::ensure_database_exists(db.url())
            .await
            .unwrap(),
        "the database exists now"
    );
    let (a, b, c) = tokio::join!(
        run_migrations(db.url()),
        run_migrations(db.url()),
        run_migrations(db.url())
    );
    let mut applied: Vec<usize> = [a, b, c]
        .into_iter()
        .map(|report| report.unwrap().applied.len())
        .collect();
    applied.sort();
    let total = diesel::migration::MigrationSource::<diesel::pg::Pg>::migrations(
        &safapac_db::migrate::MIGRATIONS,
    )
    .unwrap()
    .len();
    assert_eq!(applied, [0, 0, total]);
    let mut conn = AsyncPgConnection::establish(db.url()).await.unwrap();
    assert_eq!(count(&mut conn, "process_technologies").await, 10);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_engine_reads_back_exactly_the_seeded_master_data() {
    let db = TestDatabase::create().await.unwrap();
    let mut conn = AsyncPgConnection::establish(db.url()).await.unwrap();
    let loaded = safapac_db::master::engine_master_data(&mut conn)
        .await
        .unwrap();
    assert_eq!(&loaded, MasterData::builtin());

    // An operator's edit is what the engine sees next.
    diesel::update(default_parameter_sets::table.filter(default_parameter_sets::id.eq(1)))
        .set(default_parameter_sets::tci_ref_musd.eq(1234.5))
        .execute(&mut conn)
        .await
        .unwrap();
    let edited = safapac_db::master::engine_master_data(&mut conn)
        .await
        .unwrap();
    assert_eq!(edited.default_parameter_sets[0].tci_ref_musd, 1234.5);
}

/// Runs the last migration's `down.sql` (`revert`) or the pending `up.sql`s.
async fn migrate_last(url: &str, revert: bool) {
    use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
    use diesel_migrations::MigrationHarness;
    let conn = AsyncPgConnection::establish(url).await.unwrap();
    tokio::task::spawn_blocking(move || {
        let mut conn: AsyncConnectionWrapper<AsyncPgConnection> = conn.into();
        if revert {
            conn.revert_last_migration(safapac_db::migrate::MIGRATIONS)
                .unwrap();
        } else {
            conn.run_pending_migrations(safapac_db::migrate::MIGRATIONS)
                .unwrap();
        }
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn stored_inputs_move_to_camel_case_and_back() {
    let db = TestDatabase::create().await.unwrap();
    let mut conn = AsyncPgConnection::establish(db.url()).await.unwrap();
    let snake = serde_json::json!({
        "process_id": 1,
        "conversion_plant": {"plant_capacity": {"value": 500, "unit_id": 3}},
        "feedstock_data": [{"name": "UCO", "yield_percent": 90, "ci_value": 20.5}],
        "product_data": [],
    });
    let camel = serde_json::json!({
        "processId": 1,
        "conversionPlant": {"plantCapacity": {"value": 500, "unitId": 3}},
        "feedstockData": [{"name": "UCO", "yieldPercent": 90, "ciValue": 20.5}],
        "productData": [],
    });
    diesel::sql_query(
        "WITH u AS (INSERT INTO users (id, name, email, password_hash, occupation)
                    VALUES (gen_random_uuid(), 'A', 'a@example.com', 'x', 'researcher')
                    RETURNING id),
              p AS (INSERT INTO projects (id, user_id, project_name)
                    SELECT gen_random_uuid(), id, 'p' FROM u RETURNING id)
         INSERT INTO scenarios (id, project_id, scenario_name, scenario_order, process_id,
                                feedstock_id, country_id, user_inputs)
         SELECT gen_random_uuid(), p.id, 's', 1, 1, 1, 1, '{}' FROM p",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let stored = async |conn: &mut AsyncPgConnection| -> serde_json::Value {
        scenarios::table
            .select(scenarios::user_inputs)
            .first(conn)
            .await
            .unwrap()
    };

    // As an older version stored them: snake_case. Reverting the casing migration keeps them.
    migrate_last(db.url(), true).await;
    diesel::update(scenarios::table)
        .set(scenarios::user_inputs.eq(&snake))
        .execute(&mut conn)
        .await
        .unwrap();
    migrate_last(db.url(), false).await;
    assert_eq!(stored(&mut conn).await, camel);
    migrate_last(db.url(), true).await;
    assert_eq!(stored(&mut conn).await, snake);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_schema_allows_exactly_the_statuses_the_code_knows() {
    use safapac_db::status::{JobStatus, ScenarioStatus};
    #[derive(QueryableByName)]
    struct Check {
        #[diesel(sql_type = Text)]
        definition: String,
    }
    let db = TestDatabase::create().await.unwrap();
    let mut conn = AsyncPgConnection::establish(db.url()).await.unwrap();
    let words = async |conn: &mut AsyncPgConnection, constraint: &str| -> Vec<String> {
        let check: Check = diesel::sql_query(
            "SELECT pg_get_constraintdef(oid) AS definition FROM pg_constraint WHERE conname = $1",
        )
        .bind::<Text, _>(constraint)
        .get_result(conn)
        .await
        .unwrap();
        let mut words: Vec<String> = check
            .definition
            .split('\'')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect();
        words.sort();
        words
    };
    let sorted = |all: Vec<&str>| {
        let mut all: Vec<String> = all.into_iter().map(str::to_owned).collect();
        all.sort();
        all
    };
    assert_eq!(
        words(&mut conn, "scenarios_status_check").await,
        sorted(ScenarioStatus::ALL.iter().map(|s| s.as_str()).collect())
    );
    assert_eq!(
        words(&mut conn, "calculation_jobs_status_check").await,
        sorted(JobStatus::ALL.iter().map(|s| s.as_str()).collect())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_project_needs_seeded_master_data_and_is_created_whole_or_not_at_all() {
    let db = TestDatabase::create().await.unwrap();
    let mut conn = AsyncPgConnection::establish(db.url()).await.unwrap();
    let user = uuid::Uuid::new_v4();
    diesel::sql_query(
        "INSERT INTO users (id, name, email, password_hash, occupation)
         VALUES ($1, 'A', 'a@example.com', 'x', 'researcher')",
    )
    .bind::<diesel::sql_types::Uuid, _>(user)
    .execute(&mut conn)
    .await
    .unwrap();
    let created = safapac_db::projects::create(&mut conn, user, "P")
        .await
        .unwrap();
    assert_eq!(created.scenario_count, 1);
    assert_eq!(count(&mut conn, "scenarios").await, 1);

    diesel::sql_query("TRUNCATE countries CASCADE")
        .execute(&mut conn)
        .await
        .unwrap();
    let refused = safapac_db::projects::create(&mut conn, user, "Q").await;
    assert!(
        matches!(refused, Err(safapac_db::DbError::MasterDataMissing)),
        "{refused:?}"
    );
    // P stays (the cascade took only its scenario); Q left nothing behind.
    assert_eq!(count(&mut conn, "projects").await, 1);
}
