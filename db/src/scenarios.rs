//! Scenarios, reached only through a project the caller owns. `parent`, when given, must be
//! the scenario's project (nested routes): a mismatch reads as "not found".

use chrono::Utc;
use diesel::dsl::min;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::models::*;
use crate::schema::{countries, feedstocks, process_technologies, projects, scenarios};
use crate::status::ScenarioStatus;
use crate::{DbError, projects as project_queries, retry};

/// Highest scenario order; together with the unique (project, order) pair and the CHECK in
/// the schema it caps a project at three scenarios.
pub const MAX_SCENARIOS: i32 = 3;

#[derive(Debug, Clone, Default)]
pub struct NewScenario {
    /// Absent or empty: `Scenario <n+1>`.
    pub name: Option<String>,
    /// Absent: the lowest free order. Must be 1..=3 when given.
    pub order: Option<i32>,
}

#[derive(Debug, Clone, Default)]
pub struct ScenarioChanges {
    pub name: Option<String>,
    pub order: Option<i32>,
}

/// A draft save: top-level input keys (camelCase, the stored casing) to replace, and master
/// references.
#[derive(Debug, Clone, Default)]
pub struct DraftChanges {
    pub process_id: Option<i32>,
    pub feedstock_id: Option<i32>,
    pub country_id: Option<i32>,
    pub inputs: Map<String, Value>,
}

/// Which scenario(s) to load.
enum Selection {
    One { id: Uuid, parent: Option<Uuid> },
    OfProject(Uuid),
}

pub async fn list(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    project_id: Uuid,
) -> Result<Option<Vec<Scenario>>, DbError> {
    if project_queries::find(conn, user_id, project_id)
        .await?
        .is_none()
    {
        return Ok(None);
    }
    load(conn, user_id, Selection::OfProject(project_id))
        .await
        .map(Some)
}

/// An owned project with the heads of its scenarios, by order, and the ids of the master
/// rows each refers to: what a project's page shows, for a caller that holds the master
/// data already (the API's cache), read from two tables in one statement. `None`: no such
/// project for this user.
pub async fn project_with_heads(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    project_id: Uuid,
) -> Result<Option<(Project, Vec<(ScenarioHead, MasterIds)>)>, DbError> {
    let rows: Vec<(ScenarioHead, MasterIds, Project)> = scenarios::table
        .inner_join(projects::table)
        .filter(projects::user_id.eq(user_id))
        .filter(scenarios::project_id.eq(project_id))
        .select((
            ScenarioHead::as_select(),
            MasterIds::as_select(),
            Project::as_select(),
        ))
        .order(scenarios::scenario_order)
        .load(conn)
        .await?;
    split_project(conn, user_id, project_id, rows, |(head, ids, project)| {
        (project, (head, ids))
    })
    .await
}

/// Splits rows that each carry the project into the project and the rest of each row. With
/// no rows (a project without scenarios, or none of the user's) the project is read alone.
async fn split_project<R, H>(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    project_id: Uuid,
    rows: Vec<R>,
    split: impl Fn(R) -> (Project, H),
) -> Result<Option<(Project, Vec<H>)>, DbError> {
    let mut project = None;
    let heads = rows
        .into_iter()
        .map(|row| {
            let (p, head) = split(row);
            project.get_or_insert(p);
            head
        })
        .collect();
    match project {
        Some(project) => Ok(Some((project, heads))),
        None => Ok(project_queries::find(conn, user_id, project_id)
            .await?
            .map(|project| (project, Vec::new()))),
    }
}

pub async fn get(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    scenario_id: Uuid,
    parent: Option<Uuid>,
) -> Result<Option<Scenario>, DbError> {
    let found = load(
        conn,
        user_id,
        Selection::One {
            id: scenario_id,
            parent,
        },
    )
    .await?;
    Ok(found.into_iter().next())
}

async fn load(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    selection: Selection,
) -> Result<Vec<Scenario>, DbError> {
    let mut query = scenarios::table
        .inner_join(projects::table)
        .filter(projects::user_id.eq(user_id))
        .select(Scenario::as_select())
        .order(scenarios::scenario_order)
        .into_boxed();
    match selection {
        Selection::One { id, parent } => {
            query = query.filter(scenarios::id.eq(id));
            if let Some(parent) = parent {
                query = query.filter(scenarios::project_id.eq(parent));
            }
        }
        Selection::OfProject(project_id) => {
            query = query.filter(scenarios::project_id.eq(project_id));
        }
    }
    Ok(query.load(conn).await?)
}

/// Adds a scenario to an owned project. The project row is locked while the free orders are
/// counted, so concurrent creates queue up instead of racing for the same order.
pub async fn create(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    project_id: Uuid,
    new: NewScenario,
) -> Result<Option<Scenario>, DbError> {
    let created = retry::on_conflict(conn, async |conn| {
        let new = new.clone();
        conn.transaction::<_, DbError, _>(async move |conn| {
            let project: Option<Uuid> = projects::table
                .filter(projects::id.eq(project_id))
                .filter(projects::user_id.eq(user_id))
                .select(projects::id)
                .for_update()
                .first(conn)
                .await
                .optional()?;
            if project.is_none() {
                return Ok(None);
            }
            let taken: Vec<i32> = scenarios::table
                .filter(scenarios::project_id.eq(project_id))
                .select(scenarios::scenario_order)
                .load(conn)
                .await?;
            if taken.len() >= MAX_SCENARIOS as usize {
                return Err(DbError::ScenarioLimitReached);
            }
            let order = match new.order {
                Some(order) if taken.contains(&order) => return Err(DbError::ScenarioOrderTaken),
                Some(order) => order,
                None => (1..=MAX_SCENARIOS)
                    .find(|o| !taken.contains(o))
                    .ok_or(DbError::ScenarioLimitReached)?,
            };
            let name = new
                .name
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| format!("Scenario {}", taken.len() + 1));
            let id = insert_placeholder(conn, project_id, &name, order).await?;
            project_queries::touch(conn, project_id).await?;
            Ok(Some(id))
        })
        .await
    })
    .await?;
    match created {
        Some(id) => get(conn, user_id, id, None).await,
        None => Ok(None),
    }
}

/// Inserts a draft scenario with empty inputs and the first row of each master table as
/// placeholder references. Returns its id.
pub(crate) async fn insert_placeholder(
    conn: &mut AsyncPgConnection,
    project_id: Uuid,
    name: &str,
    order: i32,
) -> Result<Uuid, DbError> {
    let process: Option<i32> = process_technologies::table
        .select(min(process_technologies::id))
        .get_result(conn)
        .await?;
    let feedstock: Option<i32> = feedstocks::table
        .select(min(feedstocks::id))
        .get_result(conn)
        .await?;
    let country: Option<i32> = countries::table
        .select(min(countries::id))
        .get_result(conn)
        .await?;
    let (Some(process), Some(feedstock), Some(country)) = (process, feedstock, country) else {
        return Err(DbError::MasterDataMissing);
    };
    let now = Utc::now();
    let id = Uuid::new_v4();
    diesel::insert_into(scenarios::table)
        .values((
            scenarios::id.eq(id),
            scenarios::project_id.eq(project_id),
            scenarios::scenario_name.eq(name),
            scenarios::scenario_order.eq(order),
            scenarios::process_id.eq(process),
            scenarios::feedstock_id.eq(feedstock),
            scenarios::country_id.eq(country),
            scenarios::user_inputs.eq(Value::Object(Map::new())),
            scenarios::created_at.eq(now),
            scenarios::updated_at.eq(now),
        ))
        .execute(conn)
        .await?;
    Ok(id)
}

/// An owned scenario, read after locking its project row and then the scenario row itself
/// (the crate's lock order), so order changes, deletes, creates, submits and recorded
/// results in one project are serialised.
async fn lock_owned(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    scenario_id: Uuid,
    parent: Option<Uuid>,
) -> Result<Option<Scenario>, DbError> {
    let mut query = scenarios::table
        .filter(scenarios::id.eq(scenario_id))
        .filter(
            scenarios::project_id.eq_any(
                projects::table
                    .filter(projects::user_id.eq(user_id))
                    .select(projects::id),
            ),
        )
        .select(Scenario::as_select())
        .into_boxed();
    if let Some(parent) = parent {
        query = query.filter(scenarios::project_id.eq(parent));
    }
    let Some(scenario) = query.first(conn).await.optional()? else {
        return Ok(None);
    };
    diesel::sql_query("SELECT 1 FROM projects WHERE id = $1 FOR UPDATE")
        .bind::<diesel::sql_types::Uuid, _>(scenario.project_id)
        .execute(conn)
        .await?;
    // Re-read under the lock: a concurrent change may have landed meanwhile.
    Ok(scenarios::table
        .find(scenario.id)
        .select(Scenario::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?)
}

/// Renames and/or reorders a scenario. Inputs and results are not writable here.
pub async fn update(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    scenario_id: Uuid,
    parent: Option<Uuid>,
    changes: ScenarioChanges,
) -> Result<Option<Scenario>, DbError> {
    let updated = retry::on_conflict(conn, async |conn| {
        let changes = changes.clone();
        conn.transaction::<_, DbError, _>(async move |conn| {
            let Some(scenario) = lock_owned(conn, user_id, scenario_id, parent).await? else {
                return Ok(false);
            };
            if let Some(order) = changes.order.filter(|o| *o != scenario.scenario_order) {
                let clash: i64 = scenarios::table
                    .filter(scenarios::project_id.eq(scenario.project_id))
                    .filter(scenarios::scenario_order.eq(order))
                    .count()
                    .get_result(conn)
                    .await?;
                if clash > 0 {
                    return Err(DbError::ScenarioOrderTaken);
                }
            }
            diesel::update(scenarios::table.find(scenario.id))
                .set((
                    scenarios::scenario_name.eq(changes.name.unwrap_or(scenario.scenario_name)),
                    scenarios::scenario_order.eq(changes.order.unwrap_or(scenario.scenario_order)),
                    scenarios::updated_at.eq(Utc::now()),
                ))
                .execute(conn)
                .await?;
            project_queries::touch(conn, scenario.project_id).await?;
            Ok(true)
        })
        .await
    })
    .await?;
    if updated {
        get(conn, user_id, scenario_id, None).await
    } else {
        Ok(None)
    }
}

pub async fn delete(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    scenario_id: Uuid,
    parent: Option<Uuid>,
) -> Result<bool, DbError> {
    retry::on_conflict(conn, async |conn| {
        conn.transaction::<_, DbError, _>(async move |conn| {
            let Some(scenario) = lock_owned(conn, user_id, scenario_id, parent).await? else {
                return Ok(false);
            };
            diesel::delete(scenarios::table.find(scenario.id))
                .execute(conn)
                .await?;
            project_queries::touch(conn, scenario.project_id).await?;
            Ok(true)
        })
        .await
    })
    .await
}

/// Saves a draft: each supplied top-level input replaces the stored one wholesale, absent
/// ones are kept, nothing is deleted. The merged document is written back (the original
/// merged into a copy it then discarded), the revision is bumped and the status returns to
/// `draft`. Refused while a calculation runs: its result would silently overwrite the draft.
pub async fn save_draft(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    scenario_id: Uuid,
    parent: Option<Uuid>,
    changes: DraftChanges,
) -> Result<Option<Scenario>, DbError> {
    retry::on_conflict(conn, async |conn| {
        let changes = changes.clone();
        conn.transaction::<_, DbError, _>(async move |conn| {
            let Some(scenario) = lock_owned(conn, user_id, scenario_id, parent).await? else {
                return Ok(None);
            };
            if scenario.status == ScenarioStatus::Calculating {
                return Err(DbError::CalculationInProgress);
            }
            let mut merged = match scenario.user_inputs {
                Value::Object(map) => map,
                _ => Map::new(),
            };
            merged.extend(changes.inputs);
            let updated: Scenario = diesel::update(scenarios::table.find(scenario.id))
                .set((
                    scenarios::user_inputs.eq(Value::Object(merged)),
                    scenarios::status.eq(ScenarioStatus::Draft),
                    scenarios::revision.eq(scenarios::revision + 1),
                    scenarios::process_id.eq(changes.process_id.unwrap_or(scenario.process_id)),
                    scenarios::feedstock_id
                        .eq(changes.feedstock_id.unwrap_or(scenario.feedstock_id)),
                    scenarios::country_id.eq(changes.country_id.unwrap_or(scenario.country_id)),
                    scenarios::updated_at.eq(Utc::now()),
                ))
                .returning(Scenario::as_returning())
                .get_result(conn)
                .await?;
            project_queries::touch(conn, scenario.project_id).await?;
            Ok(Some(updated))
        })
        .await
    })
    .await
}
