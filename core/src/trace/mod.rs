//! The 24 traceable breakdowns (docs/engine.md §11): each reported metric with the formula, inputs,
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
use std::sync::Arc;

use model::{Pool, Traceable};
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
    // Measured over the golden cases: about 390 text pieces and 190 object entries, plus 110 and
    // 12 per product and 21 and 4 per year the payback breakdown walks through.
    let products = figures.products.len();
    let walked = (figures.financial.payback_period.saturating_add(2))
        .min(figures.lifetime_years)
        .clamp(0, 100);
    let years = usize::try_from(walked).unwrap_or(0);
    let mut pool_storage = Pool::with_capacity(
        400 + 120 * products + 24 * years,
        200 + 14 * products + 5 * years,
        products,
    );
    let pool = &mut pool_storage;
    let cx = Ctx::new(request, figures, pool);
    let techno = vec![
        (
            "total_capital_investment_traceable",
            capital::total_capital_investment(&cx, pool),
        ),
        ("total_opex_traceable", opex::total_opex(&cx, pool)),
        ("LCOP_traceable", lcop::lcop(&cx, pool, lcop::Variant::Base)),
        (
            "total_revenue_traceable",
            products::total_revenue(&cx, pool),
        ),
        ("production_traceable", products::production(&cx, pool)),
        (
            "carbon_intensity_traceable",
            carbon::carbon_intensity(&cx, pool),
        ),
        (
            "total_emissions_traceable",
            carbon::total_emissions(&cx, pool),
        ),
        (
            "feedstock_consumption_traceable",
            consumption::feedstock(&cx, pool),
        ),
        (
            "hydrogen_consumption_traceable",
            consumption::hydrogen(&cx, pool),
        ),
        (
            "electricity_consumption_traceable",
            consumption::electricity(&cx, pool),
        ),
        (
            "carbon_conversion_efficiency_traceable",
            carbon::conversion_efficiency(&cx, pool),
        ),
        (
            "fuel_energy_content_traceable",
            products::fuel_energy_content(&cx, pool),
        ),
        ("indirect_opex_traceable", opex::indirect(&cx, pool)),
        ("feedstock_cost_traceable", opex::feedstock_cost(&cx, pool)),
        ("hydrogen_cost_traceable", opex::hydrogen_cost(&cx, pool)),
        (
            "electricity_cost_traceable",
            opex::electricity_cost(&cx, pool),
        ),
        ("direct_opex_traceable", opex::direct(&cx, pool)),
        (
            "weighted_carbon_intensity_traceable",
            carbon::weighted(&cx, pool),
        ),
        (
            "total_opex_enhanced_traceable",
            opex::total_opex_enhanced(&cx, pool),
        ),
        (
            "lcop_enhanced_traceable",
            lcop::lcop(&cx, pool, lcop::Variant::Enhanced),
        ),
        (
            "total_emissions_enhanced_traceable",
            carbon::total_emissions_enhanced(&cx, pool),
        ),
    ];
    let financial = vec![
        ("npv_traceable", financial::npv(&cx, pool)),
        ("irr_traceable", financial::irr(&cx, pool)),
        (
            "payback_period_traceable",
            financial::payback_period(&cx, pool),
        ),
    ];
    let arena = Arc::new(pool_storage.into_arena());
    let mut traceables = Traceables { techno, financial };
    for (_, t) in traceables
        .techno
        .iter_mut()
        .chain(&mut traceables.financial)
    {
        t.arena = Some(Arc::clone(&arena));
    }
    traceables
}

#[cfg(test)]
mod tests;
