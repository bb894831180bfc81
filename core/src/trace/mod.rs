//! The 24 traceable breakdowns (spec §9): each reported metric with the formula, inputs,
//! components and calculation steps behind it, as the original presented them.
//!
//! Every traceable reports the engine's figure as its `value`, but its inputs and steps
//! reproduce the original's presentation, quirks included (bug B9): keys it read that the
//! result never had (fuel energy content shown as 0, feedstock yield as 1.21), pre-tax flows
//! in the financial breakdowns, `discount_rate_percent / 100` instead of rule R1, hard-coded
//! product property tables, exact-name utility lookups and price rescaling for display.

pub mod model;
pub mod pyfmt;

mod capital;
mod carbon;
mod consumption;
mod financial;
mod lcop;
mod opex;
mod parts;
mod products;

use crate::engine::Figures;
use crate::request::CalcRequest;
use model::Traceable;
use parts::Ctx;

/// Traceables keyed by their output key, in output order.
#[derive(Debug, Clone, PartialEq)]
pub struct Traceables {
    /// The 21 `*_traceable` keys of `technoEconomics`.
    pub techno: Vec<(&'static str, Traceable)>,
    /// `npv_traceable`, `irr_traceable`, `payback_period_traceable` of `financials`.
    pub financial: Vec<(&'static str, Traceable)>,
}

pub fn build(request: &CalcRequest, figures: &Figures) -> Traceables {
    let cx = Ctx::new(request, figures);
    let techno = vec![
        (
            "total_capital_investment_traceable",
            capital::total_capital_investment(&cx),
        ),
        ("total_opex_traceable", opex::total_opex(&cx)),
        ("LCOP_traceable", lcop::lcop(&cx, lcop::Variant::Base)),
        ("total_revenue_traceable", products::total_revenue(&cx)),
        ("production_traceable", products::production(&cx)),
        ("carbon_intensity_traceable", carbon::carbon_intensity(&cx)),
        ("total_emissions_traceable", carbon::total_emissions(&cx)),
        (
            "feedstock_consumption_traceable",
            consumption::feedstock(&cx),
        ),
        ("hydrogen_consumption_traceable", consumption::hydrogen(&cx)),
        (
            "electricity_consumption_traceable",
            consumption::electricity(&cx),
        ),
        (
            "carbon_conversion_efficiency_traceable",
            carbon::conversion_efficiency(&cx),
        ),
        (
            "fuel_energy_content_traceable",
            products::fuel_energy_content(&cx),
        ),
        ("indirect_opex_traceable", opex::indirect(&cx)),
        ("feedstock_cost_traceable", opex::feedstock_cost(&cx)),
        ("hydrogen_cost_traceable", opex::hydrogen_cost(&cx)),
        ("electricity_cost_traceable", opex::electricity_cost(&cx)),
        ("direct_opex_traceable", opex::direct(&cx)),
        ("weighted_carbon_intensity_traceable", carbon::weighted(&cx)),
        (
            "total_opex_enhanced_traceable",
            opex::total_opex_enhanced(&cx),
        ),
        (
            "lcop_enhanced_traceable",
            lcop::lcop(&cx, lcop::Variant::Enhanced),
        ),
        (
            "total_emissions_enhanced_traceable",
            carbon::total_emissions_enhanced(&cx),
        ),
    ];
    let financial = vec![
        ("npv_traceable", financial::npv(&cx)),
        ("irr_traceable", financial::irr(&cx)),
        ("payback_period_traceable", financial::payback_period(&cx)),
    ];
    Traceables { techno, financial }
}

#[cfg(test)]
mod tests;
