//! Carbon metrics: carbon intensity (total and weighted), CO2 emissions and carbon conversion
//! efficiency.
//!
//! The original labelled the kgCO2e/t intensity sum as gCO2e/MJ and the t/yr emissions as
//! gCO2e/year, and read a `fuel_energy_content` key the result does not have (so it shows the
//! integer 0 and multiplies by it); all of that is reproduced (bug B9).

use super::consumption::FEEDSTOCK_YIELD_SHOWN;
use super::model::{
    Component, Fields, Num, Pool, Text, Traceable, Value, comma, fixed, labelled, quantity, repr,
    upper,
};
use super::parts::{Ctx, component, fields, step, t, tons_per_year};
use super::products::{carbon_content_of, carbon_content_table};

/// The fuel energy content the traceables saw: the missing key's default.
const FEC_SHOWN: i64 = 0;

fn gco2_per_mj(value: impl Into<Num>) -> Value {
    quantity(value, "gCO2e/MJ")
}

pub(super) fn carbon_intensity(cx: &Ctx, pool: &mut Pool) -> Traceable {
    let f = cx.fig;
    let (feedstock, hydrogen, electricity, process) = (
        f.ci_feedstock,
        f.ci_hydrogen,
        f.ci_electricity,
        f.ci_process,
    );
    let sum = feedstock + hydrogen + electricity + process;
    Traceable {
        name: "Total Carbon Intensity",
        value: f.carbon_intensity.into(),
        unit: "gCO2e/MJ",
        formula: Text::from(
            "CI_total = (CI_feedstock + CI_hydrogen + CI_electricity + CI_process)",
        ),
        inputs: fields!(pool;
            "ci_feedstock" => gco2_per_mj(feedstock),
            "ci_hydrogen" => gco2_per_mj(hydrogen),
            "ci_electricity" => gco2_per_mj(electricity),
            "ci_process" => gco2_per_mj(process),
            "fuel_energy_content" => quantity(FEC_SHOWN, "MJ/kg"),
        ),
        components: vec![
            component(
                "Feedstock Carbon Intensity",
                feedstock,
                "gCO2e/MJ",
                "Carbon intensity contribution from feedstock",
            ),
            component(
                "Hydrogen Carbon Intensity",
                hydrogen,
                "gCO2e/MJ",
                "Carbon intensity contribution from hydrogen utility",
            ),
            component(
                "Electricity Carbon Intensity",
                electricity,
                "gCO2e/MJ",
                "Carbon intensity contribution from electricity utility",
            ),
            component(
                "Process Carbon Intensity",
                process,
                "gCO2e/MJ",
                "Carbon intensity from conversion process",
            ),
        ],
        calculation_steps: vec![step(
            1,
            "Sum all CI components",
            "ci_total = ci_feedstock + ci_hydrogen + ci_electricity + ci_process",
            parts_sum_text(cx, pool, sum),
            f.carbon_intensity,
            "gCO2e/MJ",
        )],
        metadata: fields!(pool;
            "fuel_energy_content_mj_kg" => FEC_SHOWN,
            "total_ci_kgco2_ton" => f.ci_total_per_tonne,
            "conversion_formula" => "CI_component = (Component_CI × Component_Yield) / Fuel_Energy_Content",
        ),
        arena: None,
    }
}

/// `f + h + e + p = total` with four decimals.
fn parts_sum_text(cx: &Ctx, pool: &mut Pool, total: f64) -> Text {
    let f = cx.fig;
    t!(pool;
        fixed(f.ci_feedstock, 4),
        " + ",
        fixed(f.ci_hydrogen, 4),
        " + ",
        fixed(f.ci_electricity, 4),
        " + ",
        fixed(f.ci_process, 4),
        " = ",
        fixed(total, 4),
    )
}

fn emission_components(cx: &Ctx, pool: &mut Pool) -> Vec<Component> {
    cx.products()
        .map(|(name, p)| {
            component(
                t!(pool; upper(name), " Emissions"),
                p.co2_emissions,
                "tons CO2e/year",
                t!(pool; "Annual CO2 emissions from ", name, " production"),
            )
        })
        .collect()
}

/// `carbon_intensity × 0 × production_kg`: the recomputation with the missing FEC, which is 0
/// (or −0, or NaN) whatever the figures.
fn emissions_recomputed(carbon_intensity: f64, production_kg: f64) -> f64 {
    carbon_intensity * FEC_SHOWN as f64 * production_kg
}

fn emissions_inputs(cx: &Ctx, pool: &mut Pool) -> Fields {
    fields!(pool;
        "carbon_intensity" => gco2_per_mj(cx.fig.carbon_intensity),
        "fuel_energy_content" => quantity(FEC_SHOWN, "MJ/kg"),
        "production" => tons_per_year(cx.fig.production),
    )
}

fn production_kg_step(pool: &mut Pool, production: f64, production_kg: f64) -> super::model::Step {
    step(
        1,
        "Convert production to kg",
        "production_kg = production × 1000",
        t!(pool; comma(production, 0), " × 1000 = ", comma(production_kg, 0)),
        production_kg,
        "kg/year",
    )
}

fn recomputation_text(
    pool: &mut Pool,
    carbon_intensity: f64,
    production_kg: f64,
    recomputed: f64,
) -> Text {
    t!(pool;
        fixed(carbon_intensity, 4),
        " × ",
        fixed(FEC_SHOWN as f64, 3),
        " × ",
        comma(production_kg, 0),
        " = ",
        comma(recomputed, 0),
    )
}

/// The steps' text recomputes emissions as 0, yet step 2's result is the engine's total
/// (t/yr, labelled g/yr) and step 3 divides that by 1e6.
pub(super) fn total_emissions(cx: &Ctx, pool: &mut Pool) -> Traceable {
    let f = cx.fig;
    let (total, production, ci) = (f.total_co2_emissions, f.production, f.carbon_intensity);
    let production_kg = production * 1000.0;
    let recomputed = emissions_recomputed(ci, production_kg);
    let in_tons = total / 1_000_000.0;
    Traceable {
        name: "Total CO2 Emissions",
        value: total.into(),
        unit: "gCO2e/year",
        formula: Text::from("Total_CO2 = Carbon_Intensity × Fuel_Energy_Content × Production"),
        inputs: emissions_inputs(cx, pool),
        components: emission_components(cx, pool),
        calculation_steps: vec![
            production_kg_step(pool, production, production_kg),
            step(
                2,
                "Calculate total CO2 emissions",
                "total_co2 = carbon_intensity × fuel_energy_content × production_kg",
                recomputation_text(pool, ci, production_kg, recomputed),
                total,
                "gCO2e/year",
            ),
            step(
                3,
                "Convert to tons CO2e/year (optional)",
                "total_co2_tons = total_co2_g / 1,000,000",
                t!(pool; comma(total, 0), " / 1,000,000 = ", comma(in_tons, 2)),
                in_tons,
                "tons CO2e/year",
            ),
        ],
        metadata: fields!(pool;
            "carbon_intensity_gco2_mj" => ci,
            "fuel_energy_content_mj_kg" => FEC_SHOWN,
            "total_production_tons_year" => production,
            "calculation_detail" => t!(pool;
                fixed(ci, 4),
                " gCO2e/MJ × ",
                fixed(FEC_SHOWN as f64, 3),
                " MJ/kg × ",
                fixed(production, 0),
                " kg/year",
            ),
        ),
        arena: None,
    }
}

/// The layer-4 variant carries the zero recomputation through to the step results and
/// `total_emissions_tons_year`.
pub(super) fn total_emissions_enhanced(cx: &Ctx, pool: &mut Pool) -> Traceable {
    let f = cx.fig;
    let (total, production, ci) = (f.total_co2_emissions, f.production, f.carbon_intensity);
    let production_kg = production * 1000.0;
    let recomputed = emissions_recomputed(ci, production_kg);
    let recomputed_tons = recomputed / 1_000_000.0;
    Traceable {
        name: "Total CO2 Emissions",
        value: total.into(),
        unit: "gCO2e/year",
        formula: Text::from("Total_CO2 = Carbon_Intensity × Fuel_Energy_Content × Production"),
        inputs: emissions_inputs(cx, pool),
        components: emission_components(cx, pool),
        calculation_steps: vec![
            production_kg_step(pool, production, production_kg),
            step(
                2,
                "Calculate total CO2 emissions in grams",
                "total_co2_g = carbon_intensity × fuel_energy_content × production_kg",
                recomputation_text(pool, ci, production_kg, recomputed),
                recomputed,
                "gCO2e/year",
            ),
            step(
                3,
                "Convert to tons CO2e/year",
                "total_co2_tons = total_co2_g / 1,000,000",
                t!(pool;
                    comma(recomputed, 0),
                    " / 1,000,000 = ",
                    comma(recomputed_tons, 2)
                ),
                recomputed_tons,
                "tons CO2e/year",
            ),
        ],
        metadata: fields!(pool;
            "carbon_intensity_gco2_mj" => ci,
            "fuel_energy_content_mj_kg" => FEC_SHOWN,
            "total_production_tons_year" => production,
            "total_emissions_gco2e_year" => total,
            "total_emissions_tons_year" => recomputed_tons,
            "calculation_detail" => t!(pool;
                fixed(ci, 4),
                " gCO2e/MJ × ",
                fixed(FEC_SHOWN as f64, 3),
                " MJ/kg × ",
                comma(production_kg, 0),
                " kg/year",
            ),
        ),
        arena: None,
    }
}

/// The value is the **mean** of the product CCEs (the result reports their sum). The steps
/// recompute each CCE from the hard-coded product carbon contents, Q_j / P as yield and the
/// constant feedstock yield 1.21; step results show the engine's CCE.
pub(super) fn conversion_efficiency(cx: &Ctx, pool: &mut Pool) -> Traceable {
    let n = cx.names.len();
    // Validation guarantees a first feedstock; 0.78 is the original's fallback.
    let feedstock_carbon = cx
        .req
        .feedstock_data
        .first()
        .map_or(0.78, |f| f.carbon_content);
    let feedstock_yield = FEEDSTOCK_YIELD_SHOWN;
    let denominator = feedstock_carbon * feedstock_yield;

    let mut components = Vec::with_capacity(n);
    let mut steps = Vec::with_capacity(3 * n);
    let mut sum = 0.0;
    for (i, (name, p)) in cx.products().enumerate() {
        let cce = p.carbon_conversion_efficiency;
        sum += cce;
        let share = cx.share_of_production(p.amount).as_f64();
        let product_carbon = carbon_content_of(&p.key);
        let numerator = product_carbon * share;
        let recomputed = if denominator > 0.0 {
            numerator / denominator * 100.0
        } else {
            0.0
        };

        components.push(component(
            t!(pool; upper(name), " CCE"),
            cce,
            "percent",
            t!(pool; "Carbon conversion efficiency for ", name),
        ));
        steps.push(step(
            3 * i + 1,
            t!(pool; "Calculate numerator (carbon in ", name, ")"),
            "numerator = CC_product × Yield_product",
            t!(pool;
                repr(product_carbon),
                " × ",
                fixed(share, 4),
                " = ",
                fixed(numerator, 5)
            ),
            numerator,
            "kg C",
        ));
        steps.push(step(
            3 * i + 2,
            "Calculate denominator (carbon in feedstock)",
            "denominator = CC_feedstock × Yield_feedstock",
            t!(pool;
                repr(feedstock_carbon),
                " × ",
                repr(feedstock_yield),
                " = ",
                fixed(denominator, 4)
            ),
            denominator,
            "kg C",
        ));
        steps.push(step(
            3 * i + 3,
            t!(pool; "Calculate ", upper(name), " CCE percentage"),
            "CCE = (numerator / denominator) × 100",
            t!(pool;
                "(",
                fixed(numerator, 5),
                " / ",
                fixed(denominator, 4),
                ") × 100 = ",
                fixed(recomputed, 3)
            ),
            cce,
            "percent",
        ));
    }
    let average = if n > 0 {
        Num::F(sum / n as f64)
    } else {
        Num::I(0)
    };

    Traceable {
        name: "Carbon Conversion Efficiency",
        value: average,
        unit: "percent",
        formula: Text::from(
            "CCE (%) = (CC_product × Yield_product) / (CC_feedstock × Yield_feedstock) × 100",
        ),
        inputs: fields!(pool;
            "carbon_content_feedstock" => quantity(feedstock_carbon, "kg C/kg"),
            "yield_feedstock" => quantity(feedstock_yield, "kg feedstock/kg fuel"),
        ),
        components,
        calculation_steps: steps,
        metadata: fields!(pool;
            "products" => cx.name_list(),
            "average_cce_percent" => average,
            "product_carbon_content_map" => carbon_content_table(),
        ),
        arena: None,
    }
}

/// One feedstock: each product's share Q_j / P of the reported intensity. More than one
/// feedstock entry (only the first is used by the engine): the four CI parts instead.
pub(super) fn weighted(cx: &Ctx, pool: &mut Pool) -> Traceable {
    let f = cx.fig;
    let total = f.carbon_intensity;
    let multi_feedstock = cx.req.feedstock_data.len() > 1;
    let n = cx.names.len();

    let (inputs, components, steps, formula) = if multi_feedstock {
        let inputs = fields!(pool;
            "ci_feedstock" => gco2_per_mj(f.ci_feedstock),
            "ci_hydrogen" => gco2_per_mj(f.ci_hydrogen),
            "ci_electricity" => gco2_per_mj(f.ci_electricity),
            "ci_process" => gco2_per_mj(f.ci_process),
            "scenario" => labelled("multi-feedstock", "text"),
        );
        let components = vec![
            component(
                "Feedstock CI",
                f.ci_feedstock,
                "gCO2e/MJ",
                "Carbon intensity from feedstock",
            ),
            component(
                "Hydrogen CI",
                f.ci_hydrogen,
                "gCO2e/MJ",
                "Carbon intensity from hydrogen",
            ),
            component(
                "Electricity CI",
                f.ci_electricity,
                "gCO2e/MJ",
                "Carbon intensity from electricity",
            ),
            component(
                "Process CI",
                f.ci_process,
                "gCO2e/MJ",
                "Carbon intensity from process",
            ),
        ];
        let steps = vec![step(
            1,
            "Sum all CI components (multi-feedstock scenario)",
            "weighted_ci = ci_feedstock + ci_hydrogen + ci_electricity + ci_process",
            parts_sum_text(cx, pool, total),
            total,
            "gCO2e/MJ",
        )];
        let formula = "Weighted_CI = CI_feedstock + CI_hydrogen + CI_electricity + CI_process (multi-feedstock)";
        (inputs, components, steps, formula)
    } else {
        let mut products = Vec::with_capacity(n);
        let mut components = Vec::with_capacity(n);
        let mut steps = Vec::with_capacity(n + 1);
        let mut sum = 0.0;
        for (i, (name, p)) in cx.products().enumerate() {
            let share = cx.share_of_production(p.amount);
            let contribution = total * share.as_f64();
            sum += contribution;
            products.push(Value::from(fields!(pool;
                "name" => Text::from(super::model::Piece::from(name)),
                "yield" => quantity(share, "dimensionless"),
                "ci_contribution" => gco2_per_mj(contribution),
            )));
            components.push(component(
                t!(pool; upper(name), " CI Contribution"),
                contribution,
                "gCO2e/MJ",
                t!(pool;
                    "CI contribution from ",
                    name,
                    " (",
                    fixed(share.as_f64() * 100.0, 1),
                    "% yield)"
                ),
            ));
            steps.push(step(
                i + 1,
                t!(pool; "Calculate ", upper(name), " CI contribution"),
                t!(pool; "ci_contribution_", name, " = total_ci × yield_", name),
                t!(pool;
                    fixed(total, 4),
                    " × ",
                    fixed(share.as_f64(), 4),
                    " = ",
                    fixed(contribution, 4)
                ),
                contribution,
                "gCO2e/MJ",
            ));
        }
        steps.push(step(
            n + 1,
            "Sum all product CI contributions",
            "weighted_ci = Σ(ci_contribution_i)",
            t!(pool; "Sum of all products = ", fixed(sum, 4)),
            total,
            "gCO2e/MJ",
        ));
        let inputs = fields!(pool;
            "total_ci" => gco2_per_mj(total),
            "products" => Value::List(products),
        );
        (
            inputs,
            components,
            steps,
            "Weighted_CI = Σ(CI_total × Product_Yield_i)",
        )
    };

    Traceable {
        name: "Weighted Carbon Intensity",
        value: total.into(),
        unit: "gCO2e/MJ",
        formula: Text::from(formula),
        inputs,
        components,
        calculation_steps: steps,
        metadata: fields!(pool;
            "total_carbon_intensity_gco2e_mj" => total,
            "fuel_energy_content_mj_kg" => FEC_SHOWN,
            "is_multi_feedstock" => multi_feedstock,
            "product_count" => cx.product_count(),
            "products" => cx.name_list(),
        ),
        arena: None,
    }
}
