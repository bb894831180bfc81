//! Every number the engine computes for one request, before the output document is assembled.
//! The traceable breakdowns are built from these figures and the request alone.

/// One product, in request order.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductFigures {
    /// Trimmed name as sent (`"JET"`).
    pub name: String,
    /// Lower-cased trimmed name: the key of every per-product output map (`"jet"`).
    pub key: String,
    /// `y_j`: product yield as a ratio (rule R2).
    pub yield_ratio: f64,
    /// `m_j`: mass fraction (`y_j`, divided by 100 again when above 1.0: quirk Q3).
    pub mass_fraction: f64,
    /// `Q_j = C × y_j`, t/yr.
    pub amount: f64,
    pub energy_content: f64,
    pub carbon_content: f64,
    /// Normalised price, USD/t.
    pub price: f64,
    /// `Rev_j`, USD/yr.
    pub revenue: f64,
    /// `CI_j`, kgCO2e/t.
    pub carbon_intensity: f64,
    /// `CO2_j`, t CO2e/yr.
    pub co2_emissions: f64,
    /// `CCE_j`, percent.
    pub carbon_conversion_efficiency: f64,
}

/// One row of the cash-flow table (docs/engine.md §9.5).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CashFlowRow {
    pub year: i64,
    pub capital_investment: f64,
    pub revenue: f64,
    pub manufacturing_cost: f64,
    pub after_tax_cash_flow: f64,
    pub cumulative_cash_flow: f64,
    pub discount_factor: f64,
    pub discounted_cash_flow: f64,
    pub cumulative_discounted_cash_flow: f64,
}

/// Financial analysis (docs/engine.md §9.1–§9.4).
#[derive(Debug, Clone, PartialEq)]
pub struct FinancialFigures {
    /// `T = TCI × 1e6`, USD.
    pub capital: f64,
    /// `D = T / n`, USD/yr.
    pub depreciation: f64,
    /// `G = R − M`, USD/yr (pre-tax operating cash flow).
    pub gross_profit: f64,
    /// `max(0, G − D) × 0.28`, USD/yr.
    pub tax: f64,
    /// `A = CF_t` for t ≥ 1, USD/yr.
    pub annual_cash_flow: f64,
    pub npv: f64,
    /// Ratio; 0.0 where no IRR exists.
    pub irr: f64,
    /// First year with a non-negative cumulative cash flow; `n + 1` if never.
    pub payback_period: i64,
    pub cash_flow_table: Vec<CashFlowRow>,
}

/// Layers 1–4 and the financial analysis for one request (docs/engine.md §6–§9).
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub process_id: i32,
    pub feedstock_id: i32,
    pub country_id: i32,

    // Resolved inputs.
    /// `C`, t/yr.
    pub capacity: f64,
    /// `r` (rule R1).
    pub discount_rate: f64,
    /// `n`.
    pub lifetime_years: i64,
    /// `k_ind`.
    pub indirect_opex_ratio: f64,
    /// `y_fs`, `y_h2`, `y_el` (t/t, t/t, kWh/t).
    pub feedstock_yield: f64,
    pub hydrogen_yield: f64,
    pub electricity_yield: f64,
    /// `p_fs` USD/t, `p_h2` USD/t, `p_el` USD/kWh.
    pub feedstock_price: f64,
    pub hydrogen_price: f64,
    pub electricity_price: f64,
    /// `cc_fs`, kg C/kg.
    pub feedstock_carbon_content: f64,

    // Reference record.
    /// Reference TCI, MUSD.
    pub tci_ref: f64,
    /// Reference capacity, kt/yr.
    pub capacity_ref: f64,

    // Layer 1.
    /// TCI, MUSD.
    pub tci: f64,
    /// `F`, t/yr.
    pub feedstock_consumption: f64,
    /// `H`, t/yr.
    pub hydrogen_consumption: f64,
    /// `E`, kWh/yr.
    pub electricity_consumption: f64,
    /// `P`, t/yr.
    pub production: f64,
    /// Weighted fuel energy content `FEC`, MJ/kg (1.0 when the weighted sum is ≤ 0).
    pub fuel_energy_content: f64,
    pub products: Vec<ProductFigures>,

    // Layer 2.
    pub indirect_opex: f64,
    pub feedstock_cost: f64,
    pub hydrogen_cost: f64,
    pub electricity_cost: f64,
    /// CI parts, gCO2e/MJ.
    pub ci_feedstock: f64,
    pub ci_hydrogen: f64,
    pub ci_electricity: f64,
    pub ci_process: f64,
    /// `EC = Σ m_j`.
    pub mass_fraction_sum: f64,
    /// `CI_tot`, gCO2e/MJ.
    pub ci_total: f64,
    /// `CI_tot_t = CI_tot × FEC`, kgCO2e/t.
    pub ci_total_per_tonne: f64,
    /// `Σ Rev_j`, USD/yr.
    pub total_revenue: f64,

    // Layers 3–4.
    pub direct_opex: f64,
    pub total_opex: f64,
    /// Capital recovery factor.
    pub crf: f64,
    /// `TCI × 1e6 × CRF`, USD/yr.
    pub annualized_capital: f64,
    /// USD/t.
    pub lcop: f64,
    /// `Σ CO2_j`, t/yr.
    pub total_co2_emissions: f64,
    /// `Σ CI_j`, kgCO2e/t.
    pub carbon_intensity: f64,
    /// `Σ CCE_j`, percent.
    pub carbon_conversion_efficiency: f64,

    pub financial: FinancialFigures,
}
