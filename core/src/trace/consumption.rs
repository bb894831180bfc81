//! Feedstock, hydrogen and electricity consumption. All three take total production as the
//! plant capacity.

use super::model::{Pool, Text, Traceable, comma, quantity, repr};
use super::parts::{Ctx, fields, step, t, tons_per_year};
use crate::request::percent_or_ratio;

/// The original read a `feedstock_yield` key the result does not have and fell back to this
/// constant, whatever the request says (bug B9).
pub(super) const FEEDSTOCK_YIELD_SHOWN: f64 = 1.21;

/// Hydrogen yield shown when no utility is named exactly "hydrogen".
const DEFAULT_HYDROGEN_YIELD: f64 = 0.042;
/// Electricity yield (kWh/t) shown when production is not positive and no utility is named
/// exactly "electricity".
const DEFAULT_ELECTRICITY_YIELD_KWH: f64 = 120.0;

/// Rule R2 as the traceables wrote it (`v if v <= 1 else v / 100`): the same as the engine's.
fn yield_of(yield_percent: f64) -> f64 {
    percent_or_ratio(yield_percent)
}

pub(super) fn feedstock(cx: &Ctx, pool: &mut Pool) -> Traceable {
    let capacity = cx.fig.production;
    let consumption = cx.fig.feedstock_consumption;
    let shown_yield = FEEDSTOCK_YIELD_SHOWN;
    Traceable {
        name: "Feedstock Consumption",
        value: consumption.into(),
        unit: "tons/year",
        formula: Text::from("Feedstock_Consumption = Plant_Capacity × Feedstock_Yield"),
        inputs: fields!(pool;
            "plant_capacity" => tons_per_year(capacity),
            "feedstock_yield" => quantity(shown_yield, "kg feedstock/kg fuel"),
        ),
        components: Vec::new(),
        calculation_steps: vec![step(
            1,
            "Calculate feedstock consumption",
            "consumption = plant_capacity × feedstock_yield",
            t!(pool;
                comma(capacity, 0),
                " × ",
                repr(shown_yield),
                " = ",
                comma(consumption, 0)
            ),
            consumption,
            "tons/year",
        )],
        metadata: fields!(pool;
            "feedstock_yield_kg_per_kg" => shown_yield,
            "plant_capacity_tons_year" => capacity,
        ),
        arena: None,
    }
}

pub(super) fn hydrogen(cx: &Ctx, pool: &mut Pool) -> Traceable {
    let capacity = cx.fig.production;
    let consumption = cx.fig.hydrogen_consumption;
    let yield_h2 = cx
        .utility_named("hydrogen")
        .map_or(DEFAULT_HYDROGEN_YIELD, |u| yield_of(u.yield_percent));
    Traceable {
        name: "Hydrogen Consumption",
        value: consumption.into(),
        unit: "tons/year",
        formula: Text::from("Hydrogen_Consumption = Plant_Capacity × Yield_H2"),
        inputs: fields!(pool;
            "plant_capacity" => tons_per_year(capacity),
            "yield_h2" => quantity(yield_h2, "t H2/t fuel"),
        ),
        components: Vec::new(),
        calculation_steps: vec![step(
            1,
            "Calculate hydrogen consumption",
            "consumption = plant_capacity × yield_h2",
            t!(pool;
                comma(capacity, 0),
                " × ",
                repr(yield_h2),
                " = ",
                comma(consumption, 0)
            ),
            consumption,
            "tons/year",
        )],
        metadata: fields!(pool;
            "yield_h2_t_per_t" => yield_h2,
            "plant_capacity_tons_year" => capacity,
        ),
        arena: None,
    }
}

/// Reported in MWh (the engine works in kWh). The yield is re-derived as E / P whenever
/// production is positive; the utility lookup only matters otherwise.
pub(super) fn electricity(cx: &Ctx, pool: &mut Pool) -> Traceable {
    let capacity = cx.fig.production;
    let consumption_kwh = cx.fig.electricity_consumption;
    let consumption_mwh = consumption_kwh / 1000.0;
    let yield_kwh = if capacity > 0.0 {
        consumption_kwh / capacity
    } else {
        cx.utility_named("electricity")
            .map_or(DEFAULT_ELECTRICITY_YIELD_KWH, |u| yield_of(u.yield_percent))
    };
    let yield_mwh = yield_kwh / 1000.0;
    Traceable {
        name: "Electricity Consumption",
        value: consumption_mwh.into(),
        unit: "MWh/year",
        formula: Text::from("Electricity_Consumption = Plant_Capacity × Yield_MWh"),
        inputs: fields!(pool;
            "plant_capacity" => tons_per_year(capacity),
            "yield_mwh" => quantity(yield_mwh, "MWh/t fuel"),
        ),
        components: Vec::new(),
        calculation_steps: vec![step(
            1,
            "Calculate electricity consumption",
            "consumption = plant_capacity × yield_mwh",
            t!(pool;
                comma(capacity, 0),
                " × ",
                repr(yield_mwh),
                " = ",
                comma(consumption_mwh, 0)
            ),
            consumption_mwh,
            "MWh/year",
        )],
        metadata: fields!(pool;
            "yield_kwh_per_t" => yield_kwh,
            "yield_mwh_per_t" => yield_mwh,
            "plant_capacity_tons_year" => capacity,
            "note" => "Backend internally calculates in kWh but converts to MWh for user-facing output",
        ),
        arena: None,
    }
}
