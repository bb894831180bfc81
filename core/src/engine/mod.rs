//! The calculation: layers 1–4 and the financial analysis, from a validated request.

mod figures;
mod financial;
mod irr;
mod layers;

pub use figures::{CashFlowRow, Figures, FinancialFigures, ProductFigures};

use crate::reference::ReferenceRecord;
use crate::request::CalcRequest;

/// Runs layers 1–4 and the financial analysis for a validated request.
pub fn compute(request: &CalcRequest, reference: &ReferenceRecord) -> Figures {
    let rate = request.discount_rate();
    let years = request.economic_parameters.project_lifetime_years;
    let l1 = layers::layer1(request, reference);
    let l2 = layers::layer2(request, reference, &l1);
    let l4 = layers::layer4(&l1, &l2, rate, years);
    let financial = financial::analyse(
        l1.tci * 1_000_000.0,
        l2.total_revenue,
        l4.total_opex,
        rate,
        years,
    );

    let sum = |f: fn(&ProductFigures) -> f64| l2.products.iter().fold(0.0, |acc, p| acc + f(p));
    Figures {
        process_id: request.process_id,
        feedstock_id: request.feedstock_id,
        country_id: request.country_id,
        capacity: l1.capacity,
        discount_rate: rate,
        lifetime_years: years,
        indirect_opex_ratio: request.economic_parameters.indirect_opex_tci_ratio,
        feedstock_yield: l1.feedstock_yield,
        hydrogen_yield: l1.hydrogen_yield,
        electricity_yield: l1.electricity_yield,
        feedstock_price: l2.feedstock_price,
        hydrogen_price: l2.hydrogen_price,
        electricity_price: l2.electricity_price,
        feedstock_carbon_content: l2.feedstock_carbon_content,
        tci_ref: reference.tci_ref,
        capacity_ref: reference.capacity_ref,
        tci: l1.tci,
        feedstock_consumption: l1.feedstock_consumption,
        hydrogen_consumption: l1.hydrogen_consumption,
        electricity_consumption: l1.electricity_consumption,
        production: l1.production,
        fuel_energy_content: l1.fuel_energy_content,
        total_co2_emissions: sum(|p| p.co2_emissions),
        carbon_intensity: sum(|p| p.carbon_intensity),
        carbon_conversion_efficiency: sum(|p| p.carbon_conversion_efficiency),
        products: l2.products,
        indirect_opex: l2.indirect_opex,
        feedstock_cost: l2.feedstock_cost,
        hydrogen_cost: l2.hydrogen_cost,
        electricity_cost: l2.electricity_cost,
        ci_feedstock: l2.ci_feedstock,
        ci_hydrogen: l2.ci_hydrogen,
        ci_electricity: l2.ci_electricity,
        ci_process: l2.ci_process,
        mass_fraction_sum: l2.mass_fraction_sum,
        ci_total: l2.ci_total,
        ci_total_per_tonne: l2.ci_total_per_tonne,
        total_revenue: l2.total_revenue,
        direct_opex: l4.direct_opex,
        total_opex: l4.total_opex,
        crf: l4.crf,
        annualized_capital: l4.annualized_capital,
        lcop: l4.lcop,
        financial,
    }
}
