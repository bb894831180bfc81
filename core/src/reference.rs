//! The reference record for a (process, feedstock, country) combination (docs/engine.md §5): the
//! reference TCI and capacity for capital scaling, the conversion-process carbon intensity,
//! and the reference hydrogen consumption used when the request names no hydrogen utility.

use serde_json::{Map, Value};

use crate::error::ErrorKind;
use crate::master::MasterData;
use crate::parse::{Loc, Walker};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReferenceRecord {
    /// MUSD.
    pub tci_ref: f64,
    /// kt/yr.
    pub capacity_ref: f64,
    /// gCO2e/MJ.
    pub conversion_process_ci: f64,
    /// t H2 per t fuel, or 0.0 when the process has no hydrogen reference (quirk Q15).
    pub yield_h2: f64,
    /// Always 0.0: the original looks the electricity reference up under a key that never
    /// matches (bug B1), and parity requires the same fallback.
    pub yield_kwh: f64,
}

impl ReferenceRecord {
    /// What the original falls back to when a key of the record is absent: zeros.
    pub const MISSING: ReferenceRecord = ReferenceRecord {
        tci_ref: 0.0,
        capacity_ref: 0.0,
        conversion_process_ci: 0.0,
        yield_h2: 0.0,
        yield_kwh: 0.0,
    };

    pub fn lookup(
        master: &MasterData,
        process_id: i32,
        feedstock_id: i32,
        country_id: i32,
    ) -> Option<Self> {
        let dps = master.default_parameter_sets.iter().find(|d| {
            d.process_id == process_id
                && d.feedstock_id == feedstock_id
                && d.country_id == country_id
        })?;
        let pf = master
            .process_feedstock_refs
            .iter()
            .find(|r| r.process_id == process_id && r.feedstock_id == feedstock_id)?;
        let hydrogen_id = master
            .utilities
            .iter()
            .find(|u| u.name == "Hydrogen")
            .map(|u| u.id);
        let yield_h2 = master
            .process_utility_consumption_refs
            .iter()
            .find(|c| c.ref_id == pf.id && Some(c.utility_id) == hydrogen_id)
            .map_or(0.0, |c| c.consumption_ratio_ref_unit_per_kg_fuel);
        Some(ReferenceRecord {
            tci_ref: dps.tci_ref_musd,
            capacity_ref: dps.plant_capacity_ktpa_ref,
            conversion_process_ci: dps.ci_process_default_gco2_mj,
            yield_h2,
            yield_kwh: 0.0,
        })
    }
}

/// Checks that each given id exists and that the combination has reference data.
pub(crate) fn check_ids(
    w: &mut Walker<'_>,
    obj: &Map<String, Value>,
    process_id: Option<i32>,
    feedstock_id: Option<i32>,
    country_id: Option<i32>,
) -> Option<(i32, i32, i32)> {
    let key = |camel: &'static str, snake: &'static str| {
        if obj.contains_key(camel) {
            camel
        } else {
            snake
        }
    };
    let master = w.master;
    let mut known = |id: Option<i32>,
                     (camel, snake): (&'static str, &'static str),
                     what: &str,
                     exists: bool| {
        if let Some(id) = id.filter(|_| !exists) {
            w.report(
                &Loc::Key(&Loc::Root, key(camel, snake)),
                ErrorKind::UnknownReference,
                format!("unknown {what} id {id}"),
            );
        }
    };
    let process = process_id.and_then(|id| master.process(id));
    let feedstock = feedstock_id.and_then(|id| master.feedstock(id));
    let country = country_id.and_then(|id| master.country(id));
    known(
        process_id,
        ("processId", "process_id"),
        "process technology",
        process.is_some(),
    );
    known(
        feedstock_id,
        ("feedstockId", "feedstock_id"),
        "feedstock",
        feedstock.is_some(),
    );
    known(
        country_id,
        ("countryId", "country_id"),
        "country",
        country.is_some(),
    );
    let (process, feedstock, country) = (process?, feedstock?, country?);
    let (process_id, feedstock_id, country_id) = (process.id, feedstock.id, country.id);
    if ReferenceRecord::lookup(master, process_id, feedstock_id, country_id).is_none() {
        w.report(
            &Loc::Key(&Loc::Root, key("processId", "process_id")),
            ErrorKind::UnknownReference,
            format!(
                "no reference data for process {process_id} ({}) with feedstock {feedstock_id} ({}) in country \
                 {country_id} ({}); reference data exists for: {}",
                process.name,
                feedstock.name,
                country.name,
                available_combinations(master)
            ),
        );
        return None;
    }
    Some((process_id, feedstock_id, country_id))
}

fn available_combinations(master: &MasterData) -> String {
    let name = |found: Option<&str>, id: i32| found.map_or_else(|| id.to_string(), str::to_owned);
    master
        .default_parameter_sets
        .iter()
        .map(|d| {
            format!(
                "{} + {} in {}",
                name(
                    master.process(d.process_id).map(|p| p.name.as_str()),
                    d.process_id
                ),
                name(
                    master.feedstock(d.feedstock_id).map(|f| f.name.as_str()),
                    d.feedstock_id
                ),
                name(
                    master.country(d.country_id).map(|c| c.name.as_str()),
                    d.country_id
                ),
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}
