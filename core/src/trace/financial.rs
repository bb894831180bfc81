//! NPV, IRR and payback period.
//!
//! The original looked for a `cash_flows` list the result does not have, so every breakdown
//! here is built from the **pre-tax** flow `A_pre = revenue − OPEX` and `r = discount rate
//! percent / 100` (not rule R1); only the reported values are the engine's after-tax figures.

use std::sync::OnceLock;

use super::model::{Fields, Pool, Step, Text, Traceable, comma, fixed, int, quantity, repr};
use super::parts::{Ctx, component, fields, step, t, with_details};

/// The years whose discounted flow the NPV breakdown shows (those within the lifetime).
const NPV_SAMPLE_YEARS: [i64; 6] = [1, 5, 10, 15, 20, 25];
/// The IRR breakdown sums flows for at most this many years.
const IRR_MAX_YEARS: i64 = 25;

struct Flows {
    /// `TCI × 1e6`, USD.
    investment: f64,
    /// The year-0 flow, `−investment`.
    year0: f64,
    /// `A_pre`, USD/yr.
    annual: f64,
    lifetime: i64,
}

impl Flows {
    fn new(cx: &Ctx) -> Self {
        let investment = cx.fig.tci * 1_000_000.0;
        Flows {
            investment,
            year0: -investment,
            annual: cx.fig.total_revenue - cx.fig.total_opex,
            lifetime: cx.lifetime(),
        }
    }

    fn inputs(&self, pool: &mut Pool) -> Fields {
        fields!(pool;
            "initial_investment" => quantity(self.investment, "USD"),
            "annual_net_cash_flow" => quantity(self.annual, "USD/year"),
            "project_lifetime" => quantity(self.lifetime, "years"),
        )
    }
}

/// `(1 + r)^t` as Python's `float ** int`.
fn growth(rate: f64, year: i64) -> f64 {
    (1.0 + rate).powf(year as f64)
}

/// The fixed discount rates at which the IRR breakdown shows the NPV.
const IRR_TEST_RATES: [f64; 3] = [0.05, 0.10, 0.15];

/// `growth(IRR_TEST_RATES[i], t)` for t = 0..=25: the same for every result, so computed once
/// (by the same `pow`, hence the same bits) instead of 75 times per result.
fn test_rate_growth() -> &'static [[f64; IRR_MAX_YEARS as usize + 1]; 3] {
    static TABLE: OnceLock<[[f64; IRR_MAX_YEARS as usize + 1]; 3]> = OnceLock::new();
    TABLE.get_or_init(|| IRR_TEST_RATES.map(|rate| std::array::from_fn(|t| growth(rate, t as i64))))
}

/// NPV of `year0` then `annual` for years 1..=last_year at `rate`, summed in year order.
fn npv_at(rate: f64, year0: f64, annual: f64, last_year: i64, table: Option<&[f64]>) -> f64 {
    let factor = |year: i64| match table.and_then(|t| t.get(usize::try_from(year).ok()?)) {
        Some(&g) => g,
        None => growth(rate, year),
    };
    let mut npv = year0 / factor(0);
    for year in 1..=last_year {
        npv += annual / factor(year);
    }
    npv
}

pub(super) fn npv(cx: &Ctx, pool: &mut Pool) -> Traceable {
    let flows = Flows::new(cx);
    let rate = cx.rate_divided_by_100();
    let npv = cx.fig.financial.npv;
    let lifetime = flows.lifetime;
    let year0 = flows.year0;
    let discounted0 = year0 / growth(rate, 0);

    let mut components = Vec::with_capacity(NPV_SAMPLE_YEARS.len() + 1);
    let mut steps: Vec<Step> = Vec::with_capacity(NPV_SAMPLE_YEARS.len() + 2);
    components.push(component(
        "Year 0 (Initial Investment)",
        year0,
        "USD",
        t!(pool;
            "Initial capital investment (discounted: ",
            comma(discounted0, 2),
            " USD)"
        ),
    ));
    steps.push(step(
        1,
        "Year 0: Initial investment",
        "dcf_0 = cash_flow_0 / (1 + r)^0",
        t!(pool;
            comma(year0, 2),
            " / (1 + ",
            repr(rate),
            ")^0 = ",
            comma(discounted0, 2)
        ),
        discounted0,
        "USD",
    ));

    let cash_flow = flows.annual;
    for year in NPV_SAMPLE_YEARS.into_iter().filter(|&y| y <= lifetime) {
        let factor = growth(rate, year);
        let discounted = cash_flow / factor;
        components.push(component(
            t!(pool; "Year ", int(year)),
            discounted,
            "USD",
            t!(pool;
                "Discounted cash flow: ",
                comma(cash_flow, 2),
                " / ",
                fixed(factor, 4)
            ),
        ));
        let details = fields!(pool;
            "cash_flow" => Text::from(comma(cash_flow, 2)),
            "discount_factor" => Text::from(fixed(factor, 4)),
            "discounted_cf" => Text::from(comma(discounted, 2)),
        );
        steps.push(with_details(
            step(
                steps.len() + 1,
                t!(pool; "Year ", int(year), ": Discount cash flow"),
                t!(pool;
                    "dcf_",
                    int(year),
                    " = cash_flow_",
                    int(year),
                    " / (1 + r)^",
                    int(year)
                ),
                t!(pool;
                    comma(cash_flow, 2),
                    " / (1 + ",
                    repr(rate),
                    ")^",
                    int(year),
                    " = ",
                    comma(discounted, 2)
                ),
                discounted,
                "USD",
            ),
            details,
        ));
    }
    steps.push(step(
        steps.len() + 1,
        "Sum all discounted cash flows",
        "npv = Σ(dcf_t) for t = 0 to n",
        t!(pool; "Sum of all ", int(lifetime), " years = ", comma(npv, 2)),
        npv,
        "USD",
    ));

    let profitable = npv > 0.0;
    Traceable {
        name: "Net Present Value",
        value: npv.into(),
        unit: "USD",
        formula: Text::from("NPV = Σ [Cash_Flow_t / (1 + r)^t] for t = 0 to n"),
        inputs: fields!(pool;
            "initial_investment" => quantity(flows.investment, "USD"),
            "annual_revenue" => quantity(cx.fig.total_revenue, "USD/year"),
            "annual_opex" => quantity(cx.fig.total_opex, "USD/year"),
            "annual_net_cash_flow" => quantity(cash_flow, "USD/year"),
            "discount_rate" => quantity(rate, "ratio"),
            "project_lifetime" => quantity(lifetime, "years"),
        ),
        components,
        calculation_steps: steps,
        metadata: fields!(pool;
            "discount_rate_percent" => cx.req.economic_parameters.discount_rate_percent,
            "project_lifetime_years" => lifetime,
            "total_cash_flows_count" => lifetime.saturating_add(1),
            "npv_positive" => profitable,
            "economic_viability" => if profitable { "Profitable" } else { "Not profitable" },
            "note" => "NPV > 0 indicates the project is expected to generate value",
        ),
        arena: None,
    }
}

/// The value is the IRR ×100 only when the ratio is below 1, so an IRR of 100 % or more is
/// reported unscaled (and compared with the discount rate percent as if it were a percentage).
pub(super) fn irr(cx: &Ctx, pool: &mut Pool) -> Traceable {
    let flows = Flows::new(cx);
    let irr = cx.fig.financial.irr;
    let irr_percent = if irr < 1.0 { irr * 100.0 } else { irr };
    let last_year = flows.lifetime.min(IRR_MAX_YEARS);
    let [r5, r10, r15] = IRR_TEST_RATES;
    let test_rates = [r5, r10, r15, irr_percent / 100.0];
    let table = test_rate_growth();

    let mut components = Vec::with_capacity(test_rates.len());
    let mut steps = Vec::with_capacity(test_rates.len() + 1);
    for (i, rate) in test_rates.into_iter().enumerate() {
        let npv = npv_at(
            rate,
            flows.year0,
            flows.annual,
            last_year,
            table.get(i).map(|t| &t[..]),
        );
        let percent = rate * 100.0;
        let is_irr = (percent - irr_percent).abs() < 0.01;
        components.push(component(
            t!(pool; "NPV at ", fixed(percent, 1), "%"),
            npv,
            "USD",
            t!(pool;
                "NPV when discount rate = ",
                fixed(percent, 1),
                "%",
                if is_irr { " (IRR)" } else { "" }
            ),
        ));
        let details = fields!(pool;
            "test_rate" => t!(pool; fixed(percent, 2), "%"),
            "npv" => Text::from(comma(npv, 2)),
            "is_irr" => is_irr,
        );
        steps.push(with_details(
            step(
                i + 1,
                t!(pool; "Calculate NPV at r = ", fixed(percent, 1), "%"),
                "npv(r) = Σ [CF_t / (1 + r)^t]",
                t!(pool; "NPV at ", fixed(percent, 1), "% = ", comma(npv, 2)),
                npv,
                "USD",
            ),
            details,
        ));
    }
    let details = fields!(pool;
        "method" => "Numerical iteration (Newton-Raphson or similar)",
        "irr_decimal" => Text::from(fixed(irr_percent / 100.0, 6)),
        "irr_percent" => t!(pool; fixed(irr_percent, 4), "%"),
    );
    steps.push(with_details(
        step(
            test_rates.len() + 1,
            "Find IRR where NPV = 0",
            "IRR = r where NPV(r) = 0",
            t!(pool; "Numerical solution: IRR = ", fixed(irr_percent, 4), "%"),
            irr_percent,
            "percent",
        ),
        details,
    ));

    let hurdle = cx.req.economic_parameters.discount_rate_percent;
    let exceeds = irr_percent > hurdle;
    Traceable {
        name: "Internal Rate of Return",
        value: irr_percent.into(),
        unit: "percent",
        formula: Text::from("IRR: Find r where NPV(r) = 0, i.e., Σ [CF_t / (1 + r)^t] = 0"),
        inputs: fields!(pool;
            "initial_investment" => quantity(flows.investment, "USD"),
            "annual_net_cash_flow" => quantity(flows.annual, "USD/year"),
            "project_lifetime" => quantity(flows.lifetime, "years"),
            "discount_rate_reference" => quantity(cx.rate_divided_by_100(), "ratio"),
        ),
        components,
        calculation_steps: steps,
        metadata: fields!(pool;
            "irr_decimal" => irr_percent / 100.0,
            "irr_percent" => irr_percent,
            "discount_rate_percent" => hurdle,
            "exceeds_discount_rate" => exceeds,
            "economic_viability" => if exceeds { "Profitable" } else { "Below hurdle rate" },
            "note" => "IRR > discount rate indicates the project meets minimum return requirements",
        ),
        arena: None,
    }
}

/// Cumulative pre-tax flows for years 0 to min(payback + 2, n). The year marked "(Payback)" is
/// the first with a cumulative flow **above** 0 under these flows, which need not be the
/// reported (after-tax, ≥ 0) payback year.
pub(super) fn payback_period(cx: &Ctx, pool: &mut Pool) -> Traceable {
    let flows = Flows::new(cx);
    let payback = cx.fig.financial.payback_period;
    let lifetime = flows.lifetime;
    let end = payback.saturating_add(3).min(lifetime.saturating_add(1));
    // A capacity hint only: the lifetime is not bounded here.
    let years = usize::try_from(end.saturating_sub(1)).unwrap_or(0).min(64);

    let mut cumulative = flows.year0;
    let mut components = Vec::with_capacity(years + 1);
    let mut steps = Vec::with_capacity(years + 2);
    components.push(component(
        "Year 0",
        cumulative,
        "USD",
        t!(pool; "Initial investment: ", comma(flows.year0, 2)),
    ));
    steps.push(step(
        1,
        "Year 0: Initial investment",
        "cumulative_cf_0 = initial_investment",
        t!(pool; comma(flows.year0, 2)),
        cumulative,
        "USD",
    ));

    let cash_flow = flows.annual;
    let mut payback_year = None;
    for year in 1..end {
        cumulative += cash_flow;
        if cumulative > 0.0 && payback_year.is_none() {
            payback_year = Some(year);
        }
        let is_payback = payback_year == Some(year);
        components.push(component(
            t!(pool;
                "Year ",
                int(year),
                if is_payback { " (Payback)" } else { "" }
            ),
            cumulative,
            "USD",
            t!(pool;
                "Cumulative CF: ",
                comma(cumulative, 2),
                if is_payback {
                    " - Investment recovered!"
                } else {
                    ""
                }
            ),
        ));
        let details = fields!(pool;
            "annual_cash_flow" => Text::from(comma(cash_flow, 2)),
            "cumulative_cf" => Text::from(comma(cumulative, 2)),
            "is_payback_year" => is_payback,
        );
        steps.push(with_details(
            step(
                steps.len() + 1,
                t!(pool; "Year ", int(year), ": Add annual cash flow"),
                t!(pool;
                    "cumulative_cf_",
                    int(year),
                    " = cumulative_cf_",
                    int(year - 1),
                    " + cash_flow_",
                    int(year)
                ),
                t!(pool;
                    comma(cumulative - cash_flow, 2),
                    " + ",
                    comma(cash_flow, 2),
                    " = ",
                    comma(cumulative, 2)
                ),
                cumulative,
                "USD",
            ),
            details,
        ));
    }
    steps.push(step(
        steps.len() + 1,
        "Determine payback period",
        "payback = year where cumulative_cf > 0",
        t!(pool;
            "First year with positive cumulative CF: Year ",
            fixed(payback as f64, 2)
        ),
        payback,
        "years",
    ));

    let simple_payback = if cash_flow > 0.0 {
        flows.investment / cash_flow
    } else {
        f64::INFINITY
    };
    let recovered = payback < lifetime;
    Traceable {
        name: "Payback Period",
        value: payback.into(),
        unit: "years",
        formula: Text::from("Payback Period = First year where Cumulative_Cash_Flow > 0"),
        inputs: flows.inputs(pool),
        components,
        calculation_steps: steps,
        metadata: fields!(pool;
            "payback_period_years" => payback,
            // Infinite when the pre-tax flow is not positive: serialised as 0.0 (docs/engine.md §10.4).
            "simple_payback_years" => simple_payback,
            "investment_recovered" => recovered,
            "years_to_recover" => payback,
            "note" => if recovered {
                t!(pool; "Investment recovered in ", fixed(payback as f64, 2), " years")
            } else {
                Text::from("Investment not recovered within project lifetime")
            },
        ),
        arena: None,
    }
}
