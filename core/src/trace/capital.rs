//! Total capital investment.

use super::model::{Piece, Pool, Text, Traceable, comma, fixed, labelled, quantity, repr};
use super::parts::{Ctx, component, fields, step, t};

/// Python's `f"{x}"` of an optional float: `None` when absent.
fn optional(x: Option<f64>) -> Piece {
    x.map_or(Piece::Str("None"), repr)
}

/// The breakdown re-derives TCI from the user's reference TCI, reference capacity and scaling
/// exponent, which the engine ignores (bug B3), and takes total production as the capacity;
/// only `value` and the last step's result are the engine's TCI. Its last step claims working
/// capital is added, which the engine never does.
pub(super) fn total_capital_investment(cx: &Ctx, pool: &mut Pool) -> Traceable {
    let eco = &cx.req.economic_parameters;
    let tci = cx.fig.tci;
    let production = cx.fig.production;
    let (tci_ref, capacity_ref_ktpa) = (eco.tci_ref_musd, eco.reference_capacity_ktpa);
    let exponent = eco.tci_scaling_exponent;
    let wc_ratio = eco.working_capital_tci_ratio;

    // Python truthiness: a missing or zero reference falls back.
    let capacity_ref_tons = match capacity_ref_ktpa {
        Some(k) if k != 0.0 => k * 1000.0,
        _ => production,
    };
    let ratio = if capacity_ref_tons > 0.0 {
        production / capacity_ref_tons
    } else {
        1.0
    };
    let scale_factor = ratio.powf(exponent);
    let tci_base = match tci_ref {
        Some(t) if t != 0.0 => t * scale_factor,
        _ => tci,
    };
    let tci_with_wc = tci_base * (1.0 + wc_ratio);

    let components = vec![
        component(
            "Base TCI",
            tci_base,
            "MUSD",
            "Capital investment before working capital",
        ),
        component(
            "Working Capital",
            tci_base * wc_ratio,
            "MUSD",
            t!(pool;
                "Working capital (",
                fixed(wc_ratio * 100.0, 1),
                "% of base TCI)"
            ),
        ),
        component(
            "Total Capital Investment",
            tci,
            "MUSD",
            "Total capital investment including working capital",
        ),
    ];

    let inputs = fields!(pool;
        "tci_ref" => labelled(tci_ref, "MUSD"),
        "capacity" => quantity(production, "tons/year"),
        "capacity_ref" => quantity(capacity_ref_tons, "tons/year"),
        "scaling_exponent" => quantity(exponent, "dimensionless"),
        "working_capital_ratio" => quantity(wc_ratio, "dimensionless"),
    );

    let steps = vec![
        step(
            1,
            "Convert capacity_ref from KTPA to tons/year",
            "capacity_ref_tons = capacity_ref × 1000",
            t!(pool;
                optional(capacity_ref_ktpa),
                " × 1000 = ",
                comma(capacity_ref_tons, 0)
            ),
            capacity_ref_tons,
            "tons/year",
        ),
        step(
            2,
            "Calculate capacity ratio",
            "ratio = capacity / capacity_ref_tons",
            t!(pool;
                comma(production, 0),
                " / ",
                comma(capacity_ref_tons, 0),
                " = ",
                fixed(ratio, 4)
            ),
            ratio,
            "dimensionless",
        ),
        step(
            3,
            "Apply economy of scale",
            "scale_factor = ratio^scaling_exponent",
            t!(pool;
                fixed(ratio, 4),
                "^",
                repr(exponent),
                " = ",
                fixed(scale_factor, 4)
            ),
            scale_factor,
            "dimensionless",
        ),
        step(
            4,
            "Calculate base TCI",
            "TCI_base = tci_ref × scale_factor",
            t!(pool;
                optional(tci_ref),
                " × ",
                fixed(scale_factor, 4),
                " = ",
                fixed(tci_base, 2)
            ),
            tci_base,
            "MUSD",
        ),
        step(
            5,
            "Add working capital",
            "TCI = TCI_base × (1 + working_capital_ratio)",
            t!(pool;
                fixed(tci_base, 2),
                " × (1 + ",
                repr(wc_ratio),
                ") = ",
                fixed(tci_with_wc, 2)
            ),
            tci,
            "MUSD",
        ),
    ];

    let metadata = fields!(pool;
        "tci_ref_musd" => tci_ref,
        "reference_capacity_ktpa" => capacity_ref_ktpa,
        "scaling_exponent" => exponent,
        "working_capital_ratio" => wc_ratio,
    );

    Traceable {
        name: "Total Capital Investment",
        value: tci.into(),
        unit: "MUSD",
        formula: Text::from(
            "TCI = TCI_ref × (Capacity / Capacity_ref)^scaling_exponent × (1 + working_capital_ratio)",
        ),
        inputs,
        components,
        calculation_steps: steps,
        metadata,
        arena: None,
    }
}
