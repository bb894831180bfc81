//! The result document (docs/engine.md §10): `technoEconomics`, `financials` and `resolvedInputs`, as the
//! synchronous calculate endpoint returns it. Serialised straight from the figures, so no
//! intermediate JSON tree is built; every non-finite float is written as 0.0 (docs/engine.md §10.4).

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::engine::{CashFlowRow, Figures};
use crate::request::CalcRequest;
use crate::trace::Traceables;
use crate::trace::model::Traceable;

/// One complete calculation: the validated request, its figures and their breakdowns.
#[derive(Debug, Clone, PartialEq)]
pub struct Calculation {
    pub request: CalcRequest,
    pub figures: Figures,
    pub traceables: Traceables,
}

impl Calculation {
    pub fn techno_economics(&self) -> TechnoEconomics<'_> {
        TechnoEconomics(self)
    }

    pub fn financials(&self) -> Financials<'_> {
        Financials(self)
    }

    /// The result document as compact JSON, as `serde_json::to_vec(self)` writes it, but
    /// faster (see [`crate::json`]): for the CLI and anything that sends results on.
    pub fn to_json_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(crate::json::RESULT_CAPACITY);
        self.write_json(&mut out);
        out
    }

    /// Appends the result document as compact JSON to `out` (a reused buffer).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        // Every part serialises without error: string keys only, no failing implementation.
        let _ = crate::json::to_writer_vec(out, self);
    }

    /// `technoEconomics` as JSON text, as `serde_json::to_string(&self.techno_economics())`
    /// writes it, but faster.
    pub fn techno_economics_json(&self) -> String {
        crate::json::to_string(&self.techno_economics()).unwrap_or_default()
    }

    /// `financials` as JSON text, as `serde_json::to_string(&self.financials())` writes it,
    /// but faster.
    pub fn financials_json(&self) -> String {
        crate::json::to_string(&self.financials()).unwrap_or_default()
    }
}

impl Serialize for Calculation {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(3))?;
        map.serialize_entry("technoEconomics", &self.techno_economics())?;
        map.serialize_entry("financials", &self.financials())?;
        map.serialize_entry("resolvedInputs", &self.request)?;
        map.end()
    }
}

fn finite(x: f64) -> f64 {
    if x.is_finite() { x } else { 0.0 }
}

/// An object of fixed keys and float values.
struct Floats<'a>(&'a [(&'static str, f64)]);

impl Serialize for Floats<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k, &finite(*v))?;
        }
        map.end()
    }
}

/// An object keyed by lower-cased product name.
struct PerProduct<'a>(&'a Figures, fn(&crate::engine::ProductFigures) -> f64);

impl Serialize for PerProduct<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.products.len()))?;
        for p in &self.0.products {
            map.serialize_entry(&p.key, &finite((self.1)(p)))?;
        }
        map.end()
    }
}

fn serialize_traceables<M: SerializeMap>(
    map: &mut M,
    traceables: &[(&'static str, Traceable)],
) -> Result<(), M::Error> {
    for (key, t) in traceables {
        map.serialize_entry(key, t)?;
    }
    Ok(())
}

/// The `technoEconomics` object (docs/engine.md §10.1).
pub struct TechnoEconomics<'a>(&'a Calculation);

impl Serialize for TechnoEconomics<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = &self.0.figures;
        let mut map = s.serialize_map(Some(20 + self.0.traceables.techno.len()))?;
        map.serialize_entry("process_technology", &f.process_id)?;
        map.serialize_entry("feedstock", &f.feedstock_id)?;
        map.serialize_entry("LCOP", &finite(f.lcop))?;
        map.serialize_entry("total_capital_investment", &finite(f.tci))?;
        map.serialize_entry("total_revenue", &finite(f.total_revenue))?;
        map.serialize_entry("product_revenue_breakdown", &PerProduct(f, |p| p.revenue))?;
        map.serialize_entry("production", &finite(f.production))?;
        map.serialize_entry("feedstock_consumption", &finite(f.feedstock_consumption))?;
        map.serialize_entry("total_opex", &finite(f.total_opex))?;
        map.serialize_entry(
            "utility_consumption",
            &Floats(&[
                ("hydrogen", f.hydrogen_consumption),
                ("electricity", f.electricity_consumption),
            ]),
        )?;
        map.serialize_entry("product_breakdown", &PerProduct(f, |p| p.amount))?;
        map.serialize_entry(
            "opex_breakdown",
            &Floats(&[
                ("feedstock", f.feedstock_cost),
                ("hydrogen", f.hydrogen_cost),
                ("electricity", f.electricity_cost),
                ("indirect_opex", f.indirect_opex),
            ]),
        )?;
        map.serialize_entry(
            "carbon_intensity_breakdown",
            &Floats(&[
                ("feedstock", f.ci_feedstock),
                ("hydrogen", f.ci_hydrogen),
                ("electricity", f.ci_electricity),
                ("process", f.ci_process),
                ("total", f.ci_total_per_tonne),
            ]),
        )?;
        map.serialize_entry("total_co2_emissions", &finite(f.total_co2_emissions))?;
        map.serialize_entry("product_co2_emissions", &PerProduct(f, |p| p.co2_emissions))?;
        map.serialize_entry("carbon_intensity", &finite(f.carbon_intensity))?;
        map.serialize_entry(
            "product_carbon_intensity",
            &PerProduct(f, |p| p.carbon_intensity),
        )?;
        map.serialize_entry(
            "carbon_conversion_efficiency",
            &finite(f.carbon_conversion_efficiency),
        )?;
        map.serialize_entry(
            "total_carbon_conversion_efficiency",
            &finite(f.carbon_conversion_efficiency),
        )?;
        map.serialize_entry(
            "product_carbon_conversion_efficiency",
            &PerProduct(f, |p| p.carbon_conversion_efficiency),
        )?;
        serialize_traceables(&mut map, &self.0.traceables.techno)?;
        map.end()
    }
}

/// The `financials` object (docs/engine.md §10.2).
pub struct Financials<'a>(&'a Calculation);

impl Serialize for Financials<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = &self.0.figures.financial;
        let mut map = s.serialize_map(Some(4 + self.0.traceables.financial.len()))?;
        map.serialize_entry("npv", &finite(f.npv))?;
        map.serialize_entry("irr", &finite(f.irr))?;
        map.serialize_entry("payback_period", &f.payback_period)?;
        map.serialize_entry("cashFlowTable", &CashFlowTable(&f.cash_flow_table))?;
        serialize_traceables(&mut map, &self.0.traceables.financial)?;
        map.end()
    }
}

struct CashFlowTable<'a>(&'a [CashFlowRow]);

impl Serialize for CashFlowTable<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(CashFlowJson))
    }
}

struct CashFlowJson<'a>(&'a CashFlowRow);

impl Serialize for CashFlowJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let mut map = s.serialize_map(Some(9))?;
        map.serialize_entry("Year", &r.year)?;
        map.serialize_entry("Capital Investment (USD)", &finite(r.capital_investment))?;
        map.serialize_entry("Revenue (USD)", &finite(r.revenue))?;
        map.serialize_entry("Manufacturing Cost (USD)", &finite(r.manufacturing_cost))?;
        map.serialize_entry("After-Tax Cash Flow (USD)", &finite(r.after_tax_cash_flow))?;
        map.serialize_entry("CNDCF (USD)", &finite(r.cumulative_cash_flow))?;
        map.serialize_entry("Discount Factor", &finite(r.discount_factor))?;
        map.serialize_entry("DCF (USD)", &finite(r.discounted_cash_flow))?;
        map.serialize_entry(
            "Cumulative DCF (USD)",
            &finite(r.cumulative_discounted_cash_flow),
        )?;
        map.end()
    }
}
