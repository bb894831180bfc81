//! Levelized cost of production (`LCOP_traceable` and its layer-4 twin).

use super::model::{Piece, Pool, Text, Traceable, comma, fixed, int, quantity, repr};
use super::parts::{Ctx, component, fields, step, t, usd_per_year, with_details};

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Variant {
    Base,
    /// Layer 4: identical numbers, one component description differs.
    Enhanced,
}

/// The steps show the original's intended formula, not the engine's: the discount rate is
/// `discount_rate_percent / 100` (not rule R1), revenue is subtracted and the division is by
/// production. Only `value` and the last step's result are the engine's LCOP.
pub(super) fn lcop(cx: &Ctx, pool: &mut Pool, variant: Variant) -> Traceable {
    let f = cx.fig;
    let (tci, opex, revenue, production) = (f.tci, f.total_opex, f.total_revenue, f.production);
    let rate = cx.rate_divided_by_100();
    let lifetime = cx.lifetime();

    let tci_usd = tci * 1_000_000.0;
    let growth = (rate > 0.0).then(|| (1.0 + rate).powf(lifetime as f64));
    let crf = match growth {
        Some(g) => (rate * g) / (g - 1.0),
        None => 1.0 / lifetime as f64,
    };
    let tci_annual = tci_usd * crf;
    let numerator = tci_annual + opex - revenue;
    let lcop_shown = if production > 0.0 {
        numerator / production
    } else {
        0.0
    };

    let opex_description = match variant {
        Variant::Base => "Total annual operating expenses",
        Variant::Enhanced => "Total annual operating expenses (direct + indirect)",
    };
    let components = vec![
        component(
            "Annualized TCI",
            tci_annual,
            "USD/year",
            "Total capital investment annualized using capital recovery factor",
        ),
        component(
            "Total Operating Expenses",
            opex,
            "USD/year",
            opex_description,
        ),
        component(
            "Byproduct Revenue",
            revenue,
            "USD/year",
            "Revenue from byproducts (diesel, naphtha, etc.)",
        ),
        component(
            "SAF Production",
            production,
            "t/year",
            "Annual production of sustainable aviation fuel",
        ),
    ];

    let inputs = fields!(pool;
        "tci" => quantity(tci, "MUSD"),
        "total_opex" => usd_per_year(opex),
        "total_revenue" => usd_per_year(revenue),
        "production" => quantity(production, "t/year"),
        "discount_rate" => quantity(rate, "ratio"),
        "project_lifetime" => quantity(lifetime, "years"),
    );

    let not_applicable = || Text::from("N/A");
    let details = fields!(pool;
        "(1+r)^n" => growth.map_or_else(not_applicable, |g| Text::from(fixed(g, 4))),
        "numerator" => growth.map_or_else(not_applicable, |g| Text::from(fixed(rate * g, 6))),
        "denominator" => growth.map_or_else(not_applicable, |g| Text::from(fixed(g - 1.0, 4))),
        "crf" => Text::from(fixed(crf, 6)),
    );

    let r = || -> Piece { repr(rate) };
    let steps = vec![
        step(
            1,
            "Convert TCI to USD",
            "tci_usd = tci × 1,000,000",
            t!(pool; repr(tci), " × 1,000,000 = ", comma(tci_usd, 0)),
            tci_usd,
            "USD",
        ),
        with_details(
            step(
                2,
                "Calculate Capital Recovery Factor",
                "CRF = r(1+r)^n / ((1+r)^n - 1)",
                t!(pool;
                    r(),
                    "(1+",
                    r(),
                    ")^",
                    int(lifetime),
                    " / ((1+",
                    r(),
                    ")^",
                    int(lifetime),
                    " - 1) = ",
                    fixed(crf, 6),
                ),
                crf,
                "dimensionless",
            ),
            details,
        ),
        step(
            3,
            "Calculate annualized TCI",
            "tci_annual = tci_usd × CRF",
            t!(pool;
                comma(tci_usd, 0),
                " × ",
                fixed(crf, 6),
                " = ",
                comma(tci_annual, 2)
            ),
            tci_annual,
            "USD/year",
        ),
        step(
            4,
            "Calculate numerator (total annual cost)",
            "numerator = tci_annual + opex - revenue",
            t!(pool;
                comma(tci_annual, 2),
                " + ",
                comma(opex, 0),
                " - ",
                comma(revenue, 0),
                " = ",
                comma(numerator, 2),
            ),
            numerator,
            "USD/year",
        ),
        step(
            5,
            "Calculate LCOP",
            "lcop = numerator / production",
            t!(pool;
                comma(numerator, 2),
                " / ",
                comma(production, 0),
                " = ",
                fixed(lcop_shown, 2)
            ),
            f.lcop,
            "USD/t",
        ),
    ];

    let fin = &f.financial;
    let metadata = fields!(pool;
        "discount_rate_percent" => cx.req.economic_parameters.discount_rate_percent,
        "project_lifetime_years" => lifetime,
        "capital_recovery_factor" => crf,
        "npv_usd" => fin.npv,
        // Named a percentage, but the original stored the IRR ratio here.
        "irr_percent" => fin.irr,
        "payback_period_years" => fin.payback_period,
    );

    Traceable {
        name: "Levelized Cost of Production",
        value: f.lcop.into(),
        unit: "USD/t",
        formula: Text::from(
            "LCOP = (TCI_annual + OPEX_total - Revenue_byproducts) / SAF_production",
        ),
        inputs,
        components,
        calculation_steps: steps,
        metadata,
        arena: None,
    }
}
