//! Per-product breakdowns: revenue, production and the weighted fuel energy content, plus the
//! product property tables the original hard-coded for display.

use super::model::{
    Fields, Num, Pool, Text, Traceable, Value, comma, fixed, quantity, repr, upper,
};
use super::parts::{Ctx, component, fields, product_key, step, t, tons_per_year};

/// Product energy contents (MJ/kg) the original used instead of the request's.
const ENERGY_CONTENT: [(&str, f64); 4] = [
    ("jet", 43.8),
    ("diesel", 42.6),
    ("naphtha", 43.4),
    ("gasoline", 43.5),
];
const DEFAULT_ENERGY_CONTENT: f64 = 43.0;

/// Product carbon contents (kg C/kg) the original used instead of the request's.
const CARBON_CONTENT: [(&str, f64); 4] = [
    ("jet", 0.847),
    ("diesel", 0.857),
    ("naphtha", 0.837),
    ("gasoline", 0.847),
];
const DEFAULT_CARBON_CONTENT: f64 = 0.847;

fn look_up(table: &[(&str, f64)], name: &str, default: f64) -> f64 {
    table
        .iter()
        .find(|(k, _)| *k == name)
        .map_or(default, |&(_, v)| v)
}

pub(super) fn carbon_content_of(name: &str) -> f64 {
    look_up(&CARBON_CONTENT, name, DEFAULT_CARBON_CONTENT)
}

pub(super) fn carbon_content_table() -> Value {
    table_value(&CARBON_CONTENT)
}

fn table_value(table: &[(&'static str, f64)]) -> Value {
    let mut f = Fields::with_capacity(table.len());
    for &(k, v) in table {
        f.push(k, v);
    }
    Value::Map(f)
}

/// Each product's price is re-derived as revenue / production for display.
pub(super) fn total_revenue(cx: &Ctx, pool: &mut Pool) -> Traceable {
    let n = cx.names.len();
    let mut inputs = Fields::with_capacity(2 * n);
    let mut components = Vec::with_capacity(n);
    let mut steps = Vec::with_capacity(n + 1);
    for (i, (name, p)) in cx.products().enumerate() {
        let production = p.amount;
        let price = if production > 0.0 {
            Num::F(p.revenue / production)
        } else {
            Num::I(0)
        };
        components.push(component(
            t!(pool; upper(name), " Revenue"),
            p.revenue,
            "USD/year",
            t!(pool; "Annual revenue from ", name, " sales"),
        ));
        inputs.push(
            product_key(&p.key, "_production"),
            tons_per_year(production),
        );
        inputs.push(product_key(&p.key, "_price"), quantity(price, "USD/t"));
        steps.push(step(
            i + 1,
            t!(pool; "Calculate ", upper(name), " revenue"),
            t!(pool; "revenue_", name, " = production × price"),
            t!(pool;
                comma(production, 0),
                " × ",
                comma(price.as_f64(), 2),
                " = ",
                comma(p.revenue, 0)
            ),
            p.revenue,
            "USD/year",
        ));
    }
    let total = cx.fig.total_revenue;
    steps.push(step(
        n + 1,
        "Sum all product revenues",
        "total_revenue = Σ(product_revenues)",
        t!(pool; "Sum of all products = ", comma(total, 0)),
        total,
        "USD/year",
    ));
    Traceable {
        name: "Total Revenue",
        value: total.into(),
        unit: "USD/year",
        formula: Text::from("Total_Revenue = Σ(Product_i_Production × Product_i_Price)"),
        inputs,
        components,
        calculation_steps: steps,
        metadata: fields!(pool;
            "product_count" => cx.product_count(),
            "products" => cx.name_list(),
        ),
        arena: None,
    }
}

/// Total production stands in for the plant capacity, and each yield is re-derived as
/// Q_j / P.
pub(super) fn production(cx: &Ctx, pool: &mut Pool) -> Traceable {
    let total = cx.fig.production;
    let n = cx.names.len();
    let mut inputs = Fields::with_capacity(n + 1);
    inputs.push("plant_capacity", tons_per_year(total));
    let mut components = Vec::with_capacity(n);
    let mut steps = Vec::with_capacity(n);
    for (i, (name, p)) in cx.products().enumerate() {
        let share = cx.share_of_production(p.amount);
        components.push(component(
            t!(pool; upper(name), " Production"),
            p.amount,
            "tons/year",
            t!(pool;
                "Annual ",
                name,
                " production (CCE: ",
                fixed(p.carbon_conversion_efficiency, 2),
                "%)"
            ),
        ));
        inputs.push(
            product_key(&p.key, "_yield"),
            quantity(share, "dimensionless"),
        );
        steps.push(step(
            i + 1,
            t!(pool; "Calculate ", upper(name), " production"),
            t!(pool; "production_", name, " = plant_capacity × yield"),
            t!(pool;
                comma(total, 0),
                " × ",
                fixed(share.as_f64(), 4),
                " = ",
                comma(p.amount, 0)
            ),
            p.amount,
            "tons/year",
        ));
    }
    Traceable {
        name: "Total Production",
        value: total.into(),
        unit: "tons/year",
        formula: Text::from("Product_Production = Plant_Capacity × Product_Yield"),
        inputs,
        components,
        calculation_steps: steps,
        metadata: fields!(pool;
            "total_production_tons_year" => total,
            "product_count" => cx.product_count(),
            "products" => cx.name_list(),
        ),
        arena: None,
    }
}

/// The original read a `fuel_energy_content` key the result does not have, so the value (and
/// the final step's result) is the integer 0; the contributions use the hard-coded energy
/// table and Q_j / P as mass fraction, not the request's values.
pub(super) fn fuel_energy_content(cx: &Ctx, pool: &mut Pool) -> Traceable {
    let n = cx.names.len();
    let mut products = Vec::with_capacity(n);
    let mut components = Vec::with_capacity(n);
    let mut steps = Vec::with_capacity(n + 1);
    let mut cumulative = 0.0;
    for (i, (name, p)) in cx.products().enumerate() {
        let mass_fraction = cx.share_of_production(p.amount);
        let energy_content = look_up(&ENERGY_CONTENT, &p.key, DEFAULT_ENERGY_CONTENT);
        let contribution = energy_content * mass_fraction.as_f64();
        cumulative += contribution;
        products.push(Value::from(fields!(pool;
            "name" => Text::from(upper(name)),
            "energy_content" => quantity(energy_content, "MJ/kg"),
            "mass_fraction" => quantity(mass_fraction, "dimensionless"),
        )));
        components.push(component(
            t!(pool; upper(name), " Contribution"),
            contribution,
            "MJ/kg",
            t!(pool;
                "Energy contribution from ",
                name,
                " (",
                fixed(mass_fraction.as_f64() * 100.0, 1),
                "% by mass)"
            ),
        ));
        steps.push(step(
            i + 1,
            t!(pool; "Calculate contribution from ", upper(name)),
            t!(pool; "contribution_", name, " = EC_", name, " × MF_", name),
            t!(pool;
                repr(energy_content),
                " × ",
                fixed(mass_fraction.as_f64(), 4),
                " = ",
                fixed(contribution, 3)
            ),
            contribution,
            "MJ/kg",
        ));
    }
    steps.push(step(
        n + 1,
        "Sum all contributions",
        "fuel_energy_content = Σ(contributions)",
        t!(pool; "Sum of all products = ", fixed(cumulative, 3)),
        0,
        "MJ/kg",
    ));
    Traceable {
        name: "Weighted Fuel Energy Content",
        value: Num::I(0),
        unit: "MJ/kg",
        formula: Text::from("Fuel_Energy_Content = Σ(Energy_Content_i × Mass_Fraction_i)"),
        inputs: fields!(pool;  "products" => Value::List(products) ),
        components,
        calculation_steps: steps,
        metadata: fields!(pool;
            "product_count" => cx.product_count(),
            "products" => cx.name_list(),
            "energy_content_map" => table_value(&ENERGY_CONTENT),
        ),
        arena: None,
    }
}
