//! Layers 1–4 (docs/engine.md §6–§8). Every formula keeps the original's evaluation order, since the
//! order of floating-point operations decides the last bits that parity depends on.

use crate::reference::ReferenceRecord;
use crate::request::{CalcRequest, UtilityKind, percent_or_ratio};

use super::figures::ProductFigures;

/// The original hard-codes this exponent and ignores the user's (bug B3).
const TCI_SCALING_EXPONENT: f64 = 0.6;
/// Added to denominators by the original (quirk Q5); it perturbs the last bits, so it stays.
const EPSILON: f64 = 1e-12;

pub(super) struct Layer1 {
    pub capacity: f64,
    pub feedstock_yield: f64,
    pub hydrogen_yield: f64,
    pub electricity_yield: f64,
    pub tci: f64,
    pub feedstock_consumption: f64,
    pub hydrogen_consumption: f64,
    pub electricity_consumption: f64,
    pub production: f64,
    pub fuel_energy_content: f64,
}

pub(super) fn layer1(req: &CalcRequest, reference: &ReferenceRecord) -> Layer1 {
    let capacity = req.conversion_plant.plant_capacity.base;
    let feedstock_yield = req
        .feedstock_data
        .first()
        .map_or(0.0, |f| percent_or_ratio(f.yield_percent));
    let hydrogen_yield = req
        .matched_utility(UtilityKind::Hydrogen)
        .map_or(reference.yield_h2, |u| percent_or_ratio(u.yield_percent));
    let electricity_yield = req
        .matched_utility(UtilityKind::Electricity)
        .map_or(reference.yield_kwh, |u| percent_or_ratio(u.yield_percent));

    let tci = reference.tci_ref
        * (capacity / (reference.capacity_ref * 1000.0)).powf(TCI_SCALING_EXPONENT);

    let mut production = 0.0;
    let mut fuel_energy_content = 0.0;
    for p in &req.product_data {
        let y = percent_or_ratio(p.yield_percent);
        production += capacity * y;
        fuel_energy_content += p.energy_content * mass_fraction(y);
    }
    if fuel_energy_content <= 0.0 {
        // Quirk Q4: without energy content the CI parts become per-kg figures.
        fuel_energy_content = 1.0;
    }

    Layer1 {
        capacity,
        feedstock_yield,
        hydrogen_yield,
        electricity_yield,
        tci,
        feedstock_consumption: capacity * feedstock_yield,
        hydrogen_consumption: capacity * hydrogen_yield,
        electricity_consumption: capacity * electricity_yield,
        production,
        fuel_energy_content,
    }
}

/// Quirk Q3: the mass fraction is the yield ratio, divided by 100 once more when above 1.
fn mass_fraction(yield_ratio: f64) -> f64 {
    if yield_ratio > 1.0 {
        yield_ratio / 100.0
    } else {
        yield_ratio
    }
}

pub(super) struct Layer2 {
    pub feedstock_price: f64,
    pub hydrogen_price: f64,
    pub electricity_price: f64,
    pub feedstock_carbon_content: f64,
    pub indirect_opex: f64,
    pub feedstock_cost: f64,
    pub hydrogen_cost: f64,
    pub electricity_cost: f64,
    pub ci_feedstock: f64,
    pub ci_hydrogen: f64,
    pub ci_electricity: f64,
    pub ci_process: f64,
    pub mass_fraction_sum: f64,
    pub ci_total: f64,
    pub ci_total_per_tonne: f64,
    pub products: Vec<ProductFigures>,
    pub total_revenue: f64,
}

pub(super) fn layer2(req: &CalcRequest, reference: &ReferenceRecord, l1: &Layer1) -> Layer2 {
    let feedstock = req.feedstock_data.first();
    let feedstock_price = feedstock.map_or(0.0, |f| f.price.base);
    let feedstock_ci = feedstock.map_or(0.0, |f| f.carbon_intensity.base);
    let feedstock_carbon_content = feedstock.map_or(0.0, |f| f.carbon_content);
    let hydrogen = req.matched_utility(UtilityKind::Hydrogen);
    let electricity = req.matched_utility(UtilityKind::Electricity);
    // Quirk Q15: without a matching utility its price and CI are zero.
    let hydrogen_price = hydrogen.map_or(0.0, |u| u.price.base);
    let hydrogen_ci = hydrogen.map_or(0.0, |u| u.carbon_intensity.base);
    let electricity_price = electricity.map_or(0.0, |u| u.price.base);
    let electricity_ci = electricity.map_or(0.0, |u| u.carbon_intensity.base);

    let indirect_opex = (req.economic_parameters.indirect_opex_tci_ratio * l1.tci) * 1e6;
    let feedstock_cost = l1.feedstock_consumption * feedstock_price;
    let hydrogen_cost = l1.hydrogen_consumption * hydrogen_price;
    let electricity_cost = l1.electricity_consumption * electricity_price;

    let fec = l1.fuel_energy_content;
    let ci_feedstock = (feedstock_ci * l1.feedstock_yield) / (fec + EPSILON);
    let ci_hydrogen = (hydrogen_ci * l1.hydrogen_yield) / (fec + EPSILON);
    let ci_electricity = (electricity_ci * (l1.electricity_yield / 1000.0)) / (fec + EPSILON);
    let ci_process = reference.conversion_process_ci;

    let mut mass_fraction_sum = 0.0;
    for p in &req.product_data {
        mass_fraction_sum += mass_fraction(percent_or_ratio(p.yield_percent));
    }
    let ci_total =
        (((ci_feedstock + ci_hydrogen) + ci_electricity) + ci_process) * mass_fraction_sum;
    let ci_total_per_tonne = ci_total * fec;

    let carbon_in = feedstock_carbon_content * l1.feedstock_yield;
    let mut total_revenue = 0.0;
    let products: Vec<ProductFigures> = req
        .product_data
        .iter()
        .map(|p| {
            let name = p.name.trim().to_owned();
            let key = name.to_lowercase();
            let yield_ratio = percent_or_ratio(p.yield_percent);
            let amount = l1.capacity * yield_ratio;
            // Quirk Q8: each product's CI is the total CI weighted by its yield.
            let carbon_intensity = ci_total_per_tonne * yield_ratio;
            let revenue = amount * p.price.base;
            total_revenue += revenue;
            let cce = if carbon_in > 0.0 {
                ((p.carbon_content * yield_ratio) / carbon_in) * 100.0
            } else {
                0.0
            };
            ProductFigures {
                name,
                key,
                yield_ratio,
                mass_fraction: mass_fraction(yield_ratio),
                amount,
                energy_content: p.energy_content,
                carbon_content: p.carbon_content,
                price: p.price.base,
                revenue,
                carbon_intensity,
                co2_emissions: (carbon_intensity * amount) / 1000.0,
                carbon_conversion_efficiency: cce,
            }
        })
        .collect();

    Layer2 {
        feedstock_price,
        hydrogen_price,
        electricity_price,
        feedstock_carbon_content,
        indirect_opex,
        feedstock_cost,
        hydrogen_cost,
        electricity_cost,
        ci_feedstock,
        ci_hydrogen,
        ci_electricity,
        ci_process,
        mass_fraction_sum,
        ci_total,
        ci_total_per_tonne,
        products,
        total_revenue,
    }
}

pub(super) struct Layer4 {
    pub direct_opex: f64,
    pub total_opex: f64,
    pub crf: f64,
    pub annualized_capital: f64,
    pub lcop: f64,
}

/// Quirk Q13: a rate at or below zero annualises capital linearly.
fn capital_recovery_factor(rate: f64, years: i64) -> f64 {
    let n = years as f64;
    if rate > 0.0 {
        let growth = (1.0 + rate).powf(n);
        (rate * growth) / (growth - 1.0)
    } else {
        1.0 / n
    }
}

pub(super) fn layer4(l1: &Layer1, l2: &Layer2, rate: f64, years: i64) -> Layer4 {
    let direct_opex = (l2.feedstock_cost + l2.hydrogen_cost) + l2.electricity_cost;
    let total_opex = direct_opex + l2.indirect_opex;
    let crf = capital_recovery_factor(rate, years);
    let annualized_capital = (l1.tci * 1_000_000.0) * crf;
    // Quirk Q11: gross cost per tonne of capacity, revenue not credited.
    let lcop = ((((l2.feedstock_cost + l2.hydrogen_cost) + l2.electricity_cost)
        + l2.indirect_opex)
        + annualized_capital)
        / (l1.capacity + EPSILON);
    Layer4 {
        direct_opex,
        total_opex,
        crf,
        annualized_capital,
        lcop,
    }
}
