//! Projects, always scoped to their owner: a project of another user is indistinguishable
//! from a missing one.

use std::collections::HashMap;

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::models::{Project, ProjectWithCount};
use crate::prepared::{Prepared, Statement, bind};
use crate::schema::{projects, scenarios};
use crate::{DbError, retry};

/// Creates a project together with its first scenario (`Scenario 1`, order 1, the first row
/// of each master table as placeholder references): one statement, so one round trip, where
/// a transaction of six statements took seven. An empty master table leaves the scenario's
/// reference null, which the schema refuses, so nothing is created.
pub async fn create(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    name: &str,
) -> Result<ProjectWithCount, DbError> {
    struct Sql;
    impl Statement for Sql {
        const SQL: &'static str = "WITH p AS (
            INSERT INTO projects (id, user_id, project_name, created_at, updated_at)
            VALUES ($1, $2, $3, now(), now())
            RETURNING id, user_id, project_name, created_at, updated_at),
         s AS (
            INSERT INTO scenarios (id, project_id, scenario_name, scenario_order, process_id,
                                   feedstock_id, country_id, user_inputs, created_at, updated_at)
            SELECT $4, p.id, 'Scenario 1', 1,
                   (SELECT min(id) FROM process_technologies),
                   (SELECT min(id) FROM feedstocks),
                   (SELECT min(id) FROM countries),
                   '{}'::jsonb, now(), now()
              FROM p)
         SELECT id, user_id, project_name, created_at, updated_at FROM p";
        type Row = (
            diesel::sql_types::Uuid,
            diesel::sql_types::Uuid,
            diesel::sql_types::Text,
            diesel::sql_types::Timestamptz,
            diesel::sql_types::Timestamptz,
        );
    }
    let created: Result<Project, _> = Prepared::<Sql, _>::new((
        bind::<diesel::sql_types::Uuid, _>(Uuid::new_v4()),
        bind::<diesel::sql_types::Uuid, _>(user_id),
        bind::<diesel::sql_types::Text, _>(name),
        bind::<diesel::sql_types::Uuid, _>(Uuid::new_v4()),
    ))
    .get_result(conn)
    .await;
    let project = match created {
        Ok(project) => project,
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::NotNullViolation,
            _,
        )) => return Err(DbError::MasterDataMissing),
        Err(e) => return Err(e.into()),
    };
    Ok(ProjectWithCount {
        project,
        scenario_count: 1,
    })
}

/// The caller's projects, most recently changed first.
pub async fn list(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
) -> Result<Vec<ProjectWithCount>, DbError> {
    let rows: Vec<Project> = projects::table
        .filter(projects::user_id.eq(user_id))
        .order((projects::updated_at.desc(), projects::id))
        .select(Project::as_select())
        .load(conn)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|p| p.id).collect();
    let counts: HashMap<Uuid, i64> = scenarios::table
        .filter(scenarios::project_id.eq_any(&ids))
        .group_by(scenarios::project_id)
        .select((scenarios::project_id, diesel::dsl::count_star()))
        .load::<(Uuid, i64)>(conn)
        .await?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|project| ProjectWithCount {
            scenario_count: counts.get(&project.id).copied().unwrap_or(0),
            project,
        })
        .collect())
}

pub async fn find(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    project_id: Uuid,
) -> Result<Option<Project>, DbError> {
    Ok(projects::table
        .filter(projects::id.eq(project_id))
        .filter(projects::user_id.eq(user_id))
        .select(Project::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn rename(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    project_id: Uuid,
    name: &str,
) -> Result<Option<ProjectWithCount>, DbError> {
    let project: Option<Project> = diesel::update(
        projects::table
            .filter(projects::id.eq(project_id))
            .filter(projects::user_id.eq(user_id)),
    )
    .set((
        projects::project_name.eq(name),
        projects::updated_at.eq(Utc::now()),
    ))
    .returning(Project::as_returning())
    .get_result(conn)
    .await
    .optional()?;
    match project {
        Some(project) => {
            let scenario_count = scenario_count(conn, project.id).await?;
            Ok(Some(ProjectWithCount {
                project,
                scenario_count,
            }))
        }
        None => Ok(None),
    }
}

/// Deletes the project; its scenarios and calculation jobs go with it (ON DELETE CASCADE).
pub async fn delete(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    project_id: Uuid,
) -> Result<bool, DbError> {
    // The cascade locks the project, then its scenarios, then their jobs: the crate's lock
    // order, though across several scenarios, so it is retried like the orphan sweep.
    let deleted = retry::on_conflict(conn, async |conn| {
        Ok(diesel::delete(
            projects::table
                .filter(projects::id.eq(project_id))
                .filter(projects::user_id.eq(user_id)),
        )
        .execute(conn)
        .await?)
    })
    .await?;
    Ok(deleted > 0)
}

pub async fn scenario_count(
    conn: &mut AsyncPgConnection,
    project_id: Uuid,
) -> Result<i64, DbError> {
    Ok(scenarios::table
        .filter(scenarios::project_id.eq(project_id))
        .count()
        .get_result(conn)
        .await?)
}

/// Records that something inside the project changed (the project list sorts by it).
pub(crate) async fn touch(conn: &mut AsyncPgConnection, project_id: Uuid) -> Result<(), DbError> {
    diesel::update(projects::table.find(project_id))
        .set(projects::updated_at.eq(Utc::now()))
        .execute(conn)
        .await?;
    Ok(())
}
