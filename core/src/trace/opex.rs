//! Operating expenses: the total, its direct and indirect parts, and each direct cost.

use super::model::{
    Component, Key, Pool, Text, Traceable, Value, comma, quantity, quantity_with_note, repr,
};
use super::parts::{Ctx, component, fields, step, t, tons_per_year, usd_per_year};

fn cost_components(cx: &Ctx) -> [Component; 3] {
    let f = cx.fig;
    [
        component(
            "Feedstock Cost",
            f.feedstock_cost,
            "USD/year",
            "Annual feedstock procurement cost",
        ),
        component(
            "Hydrogen Cost",
            f.hydrogen_cost,
            "USD/year",
            "Annual hydrogen utility cost",
        ),
        component(
            "Electricity Cost",
            f.electricity_cost,
            "USD/year",
            "Annual electricity utility cost",
        ),
    ]
}

fn indirect_component(cx: &Ctx) -> Component {
    component(
        "Indirect OPEX",
        cx.fig.indirect_opex,
        "USD/year",
        "Indirect operating expenses (maintenance, labor, overhead)",
    )
}

/// `a + b + c = sum` with thousands separators, the direct OPEX sum as printed.
fn direct_sum_text(cx: &Ctx, pool: &mut Pool, direct: f64) -> Text {
    let f = cx.fig;
    t!(pool;
        comma(f.feedstock_cost, 0),
        " + ",
        comma(f.hydrogen_cost, 0),
        " + ",
        comma(f.electricity_cost, 0),
        " = ",
        comma(direct, 0),
    )
}

fn total_sum_text(cx: &Ctx, pool: &mut Pool, direct: f64) -> Text {
    t!(pool;
        comma(direct, 0),
        " + ",
        comma(cx.fig.indirect_opex, 0),
        " = ",
        comma(cx.fig.total_opex, 0)
    )
}

pub(super) fn total_opex(cx: &Ctx, pool: &mut Pool) -> Traceable {
    let f = cx.fig;
    let direct = cx.direct_opex();
    let [feedstock, hydrogen, electricity] = cost_components(cx);
    Traceable {
        name: "Total Operating Expenses",
        value: f.total_opex.into(),
        unit: "USD/year",
        formula: Text::from(
            "Total OPEX = Feedstock_cost + Hydrogen_cost + Electricity_cost + Indirect_OPEX",
        ),
        inputs: fields!(pool;
            "feedstock_cost" => usd_per_year(f.feedstock_cost),
            "hydrogen_cost" => usd_per_year(f.hydrogen_cost),
            "electricity_cost" => usd_per_year(f.electricity_cost),
            "indirect_opex" => usd_per_year(f.indirect_opex),
        ),
        components: vec![feedstock, hydrogen, electricity, indirect_component(cx)],
        calculation_steps: vec![
            step(
                1,
                "Sum all direct operating costs",
                "direct_opex = feedstock + hydrogen + electricity",
                direct_sum_text(cx, pool, direct),
                direct,
                "USD/year",
            ),
            step(
                2,
                "Add indirect operating expenses",
                "total_opex = direct_opex + indirect_opex",
                total_sum_text(cx, pool, direct),
                f.total_opex,
                "USD/year",
            ),
        ],
        metadata: fields!(pool;
            "indirect_opex_ratio" => cx.req.economic_parameters.indirect_opex_tci_ratio,
            "annual_load_hours" => cx.req.conversion_plant.annual_load_hours,
        ),
        arena: None,
    }
}

/// The layer-4 variant: same value, with direct OPEX as a component of its own.
pub(super) fn total_opex_enhanced(cx: &Ctx, pool: &mut Pool) -> Traceable {
    let f = cx.fig;
    let direct = cx.direct_opex();
    let [feedstock, hydrogen, electricity] = cost_components(cx);
    Traceable {
        name: "Total Operating Expenses",
        value: f.total_opex.into(),
        unit: "USD/year",
        formula: Text::from(
            "Total_OPEX = Direct_OPEX + Indirect_OPEX = (Feedstock + H2 + Electricity) + Indirect",
        ),
        inputs: fields!(pool;
            "direct_opex" => usd_per_year(direct),
            "feedstock_cost" => usd_per_year(f.feedstock_cost),
            "hydrogen_cost" => usd_per_year(f.hydrogen_cost),
            "electricity_cost" => usd_per_year(f.electricity_cost),
            "indirect_opex" => usd_per_year(f.indirect_opex),
        ),
        components: vec![
            component(
                "Direct OPEX",
                direct,
                "USD/year",
                "Sum of feedstock, hydrogen, and electricity costs",
            ),
            feedstock,
            hydrogen,
            electricity,
            indirect_component(cx),
        ],
        calculation_steps: vec![
            step(
                1,
                "Calculate Direct OPEX (sum of variable costs)",
                "direct_opex = feedstock_cost + hydrogen_cost + electricity_cost",
                direct_sum_text(cx, pool, direct),
                direct,
                "USD/year",
            ),
            step(
                2,
                "Add Indirect OPEX (fixed costs)",
                "total_opex = direct_opex + indirect_opex",
                total_sum_text(cx, pool, direct),
                f.total_opex,
                "USD/year",
            ),
        ],
        metadata: fields!(pool;
            "direct_opex_usd_year" => direct,
            "indirect_opex_usd_year" => f.indirect_opex,
            "indirect_opex_ratio" => cx.req.economic_parameters.indirect_opex_tci_ratio,
            "annual_load_hours" => cx.req.conversion_plant.annual_load_hours,
            "note" => "Direct OPEX represents variable costs, Indirect OPEX represents fixed costs",
        ),
        arena: None,
    }
}

pub(super) fn direct(cx: &Ctx, pool: &mut Pool) -> Traceable {
    let f = cx.fig;
    let direct = cx.direct_opex();
    Traceable {
        name: "Total Direct OPEX",
        value: direct.into(),
        unit: "USD/year",
        formula: Text::from(
            "Total_Direct_OPEX = Feedstock_Cost + Hydrogen_Cost + Electricity_Cost",
        ),
        inputs: fields!(pool;
            "feedstock_cost" => usd_per_year(f.feedstock_cost),
            "hydrogen_cost" => usd_per_year(f.hydrogen_cost),
            "electricity_cost" => usd_per_year(f.electricity_cost),
        ),
        components: cost_components(cx).into(),
        calculation_steps: vec![step(
            1,
            "Sum all direct operating costs",
            "direct_opex = feedstock_cost + hydrogen_cost + electricity_cost",
            direct_sum_text(cx, pool, direct),
            direct,
            "USD/year",
        )],
        metadata: fields!(pool;
            "feedstock_cost_usd_year" => f.feedstock_cost,
            "hydrogen_cost_usd_year" => f.hydrogen_cost,
            "electricity_cost_usd_year" => f.electricity_cost,
            "note" => "Direct OPEX represents variable costs that scale with production",
        ),
        arena: None,
    }
}

/// The steps recompute `ratio × TCI × 1e6` in that order for display; the reported value is
/// the engine's `(ratio × TCI) × 1e6`, which can differ in the last bits.
pub(super) fn indirect(cx: &Ctx, pool: &mut Pool) -> Traceable {
    let tci = cx.fig.tci;
    let ratio = cx.req.economic_parameters.indirect_opex_tci_ratio;
    let tci_usd = tci * 1_000_000.0;
    let recomputed = ratio * tci_usd;
    Traceable {
        name: "Total Indirect OPEX",
        value: cx.fig.indirect_opex.into(),
        unit: "USD/year",
        formula: Text::from("Total_Indirect_OPEX = Indirect_OPEX_Ratio × TCI × 1,000,000"),
        inputs: fields!(pool;
            "indirect_opex_ratio" => quantity(ratio, "dimensionless"),
            "tci" => quantity(tci, "MUSD"),
        ),
        components: Vec::new(),
        calculation_steps: vec![
            step(
                1,
                "Convert TCI to USD",
                "tci_usd = tci × 1,000,000",
                t!(pool; repr(tci), " × 1,000,000 = ", comma(tci_usd, 0)),
                tci_usd,
                "USD",
            ),
            step(
                2,
                "Calculate indirect OPEX",
                "indirect_opex = ratio × tci_usd",
                t!(pool;
                    repr(ratio),
                    " × ",
                    comma(tci_usd, 0),
                    " = ",
                    comma(recomputed, 0)
                ),
                cx.fig.indirect_opex,
                "USD/year",
            ),
        ],
        metadata: fields!(pool;
            "indirect_opex_ratio" => ratio,
            "tci_musd" => tci,
            "note" => "Indirect OPEX includes maintenance, labor, overhead, and other fixed costs",
        ),
        arena: None,
    }
}

pub(super) fn feedstock_cost(cx: &Ctx, pool: &mut Pool) -> Traceable {
    let consumption = cx.fig.feedstock_consumption;
    let cost = cx.fig.feedstock_cost;
    // Validation guarantees a first feedstock; the original's fallbacks are kept regardless.
    let (price, name) = cx
        .req
        .feedstock_data
        .first()
        .map_or((0.0, Text::from("Unknown")), |f| {
            (f.price.base, Text::from(f.name.clone()))
        });
    Traceable {
        name: "Feedstock Cost",
        value: cost.into(),
        unit: "USD/year",
        formula: Text::from("Feedstock_Cost = Feedstock_Consumption × Feedstock_Price"),
        inputs: fields!(pool;
            "feedstock_consumption" => tons_per_year(consumption),
            "feedstock_price" => quantity(price, "USD/t"),
        ),
        components: Vec::new(),
        calculation_steps: vec![step(
            1,
            "Calculate feedstock cost",
            "cost = consumption × price",
            t!(pool;
                comma(consumption, 0),
                " × ",
                repr(price),
                " = ",
                comma(cost, 0)
            ),
            cost,
            "USD/year",
        )],
        metadata: fields!(pool;
            "feedstock_name" => name,
            "feedstock_consumption_tons_year" => consumption,
            "feedstock_price_usd_t" => price,
        ),
        arena: None,
    }
}

/// The price shown is that of the first utility named exactly "hydrogen" (0 if none), and a
/// price below 100 is assumed to be USD/kg and shown ×1000 with a note: display only, the
/// cost is the engine's.
pub(super) fn hydrogen_cost(cx: &Ctx, pool: &mut Pool) -> Traceable {
    let consumption = cx.fig.hydrogen_consumption;
    let cost = cx.fig.hydrogen_cost;
    let mut price = 0.0;
    let mut conversion_note = None;
    if let Some(hydrogen) = cx.utility_named("hydrogen") {
        price = hydrogen.price.base;
        if price < 100.0 {
            let converted = price * 1000.0;
            conversion_note = Some(t!(pool;
                "Original price ",
                repr(price),
                " USD/kg converted to ",
                repr(converted),
                " USD/t (× 1000)",
            ));
            price = converted;
        }
    }
    let note = conversion_note
        .clone()
        .unwrap_or_else(|| Text::from("Price in USD/t"));
    let conversion = conversion_note.map(|note| (Key::from("price_conversion"), Value::from(note)));
    let metadata = pool.fields_from(
        [
            (
                Key::from("hydrogen_consumption_tons_year"),
                Value::from(consumption),
            ),
            (Key::from("hydrogen_price_usd_t"), Value::from(price)),
        ]
        .into_iter()
        .chain(conversion),
    );
    Traceable {
        name: "Hydrogen Cost",
        value: cost.into(),
        unit: "USD/year",
        formula: Text::from("Hydrogen_Cost = Hydrogen_Consumption × Hydrogen_Price"),
        inputs: fields!(pool;
            "hydrogen_consumption" => tons_per_year(consumption),
            "hydrogen_price" => quantity_with_note(price, "USD/t", note),
        ),
        components: Vec::new(),
        calculation_steps: vec![step(
            1,
            "Calculate hydrogen cost",
            "cost = consumption × price",
            t!(pool;
                comma(consumption, 0),
                " × ",
                repr(price),
                " = ",
                comma(cost, 0)
            ),
            cost,
            "USD/year",
        )],
        metadata,
        arena: None,
    }
}

/// Consumption is shown in MWh; the rate is that of the first utility named exactly
/// "electricity" (0 if none), a rate below 1 being taken as USD/kWh and shown ×1000 as USD/MWh.
pub(super) fn electricity_cost(cx: &Ctx, pool: &mut Pool) -> Traceable {
    let consumption_kwh = cx.fig.electricity_consumption;
    let consumption_mwh = consumption_kwh / 1000.0;
    let cost = cx.fig.electricity_cost;
    let mut rate = 0.0;
    if let Some(electricity) = cx.utility_named("electricity") {
        rate = electricity.price.base;
        if rate < 1.0 {
            rate *= 1000.0;
        }
    }
    Traceable {
        name: "Electricity Cost",
        value: cost.into(),
        unit: "USD/year",
        formula: Text::from("Electricity_Cost = Electricity_Consumption × Electricity_Rate"),
        inputs: fields!(pool;
            "electricity_consumption" => quantity(consumption_mwh, "MWh/year"),
            "electricity_rate" => quantity(rate, "USD/MWh"),
        ),
        components: Vec::new(),
        calculation_steps: vec![step(
            1,
            "Calculate electricity cost",
            "cost = consumption × rate",
            t!(pool;
                comma(consumption_mwh, 0),
                " × ",
                repr(rate),
                " = ",
                comma(cost, 0)
            ),
            cost,
            "USD/year",
        )],
        metadata: fields!(pool;
            "electricity_consumption_mwh_year" => consumption_mwh,
            "electricity_consumption_kwh_year" => consumption_kwh,
            "electricity_rate_usd_mwh" => rate,
        ),
        arena: None,
    }
}
