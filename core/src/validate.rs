//! The rules a request must satisfy before any arithmetic (docs/engine.md §12).
//!
//! The bounds reject what the original crashed on, divided by zero with, or turned into
//! meaningless numbers, and keep every intermediate product far inside the range of `f64`, so
//! no valid request can produce NaN or infinity.

use std::collections::HashMap;

use serde_json::Value;

use crate::error::ErrorKind;
use crate::parse::{Loc, Walker};

/// An inclusive (or, where `min_exclusive`, left-open) interval with a human description.
#[derive(Debug, Clone, Copy)]
pub struct Range {
    pub min: f64,
    pub min_exclusive: bool,
    pub max: f64,
    pub what: &'static str,
}

const fn between(min: f64, max: f64, what: &'static str) -> Range {
    Range {
        min,
        min_exclusive: false,
        max,
        what,
    }
}

/// Plant capacity in t/yr: positive (zero gives an all-zero result the original reports as
/// real, negative makes it crash); at most 10 Gt/yr, many times world fuel demand.
pub const CAPACITY_T_PER_YR: Range = Range {
    min: 0.0,
    min_exclusive: true,
    max: 1e10,
    what: "greater than 0 and at most 10,000,000,000 t/yr",
};
/// Hours in a (leap) year.
pub const LOAD_HOURS: Range = between(0.0, 8784.0, "between 0 and 8784 hours per year");
/// gCO2e/MJ, gCO2e/kg or gCO2e/kWh; negative values are credits.
pub const CARBON_INTENSITY: Range = between(-1e7, 1e7, "between -10,000,000 and 10,000,000");
/// USD per base unit; negative prices are gate fees.
pub const PRICE: Range = between(
    -1e9,
    1e9,
    "between -1,000,000,000 and 1,000,000,000 in base units",
);
/// kg C per kg of material.
pub const CARBON_CONTENT: Range = between(0.0, 1.0, "between 0 and 1 kg C/kg");
/// MJ/kg.
pub const ENERGY_CONTENT: Range = between(0.0, 1000.0, "between 0 and 1000 MJ/kg");
/// Yields are percentages or ratios (rule R2); negative yields make the original crash.
pub const YIELD_PERCENT: Range = between(0.0, 1e7, "between 0 and 10,000,000");
pub const PRICE_SENSITIVITY: Range = between(-1e6, 1e6, "between -1,000,000 and 1,000,000");
/// t/m3.
pub const DENSITY: Range = between(0.0, 100.0, "between 0 and 100 t/m3");
pub const MUSD: Range = between(0.0, 1e9, "between 0 and 1,000,000,000 MUSD");
pub const REFERENCE_CAPACITY_KTPA: Range = between(0.0, 1e7, "between 0 and 10,000,000 kt/yr");
pub const SCALING_EXPONENT: Range = between(0.0, 2.0, "between 0 and 2");
/// Fractions of TCI.
pub const TCI_RATIO: Range = between(0.0, 1.0, "between 0 and 1");

/// A lifetime of 0 divides by zero in the original and a negative one yields a negative payback.
pub const LIFETIME_YEARS: (i64, i64) = (1, 100);
/// The discount rate as a ratio after rule R1. At or below -100 % the discount factors are
/// undefined; the lower bound keeps `(1 + r)^-n` finite for every allowed lifetime.
pub const DISCOUNT_RATIO: (f64, f64) = (-0.9, 1.0);

pub const MAX_NAME_CHARS: usize = 200;
/// Most entries per list (docs/api.md, "Calculations"): feedstocks, utilities, products.
pub const MAX_FEEDSTOCKS: usize = 10;
pub const MAX_UTILITIES: usize = 10;
pub const MAX_PRODUCTS: usize = 20;

pub(crate) fn check_range(w: &mut Walker<'_>, loc: &Loc<'_>, x: f64, range: Range) -> Option<f64> {
    let below = if range.min_exclusive {
        x <= range.min
    } else {
        x < range.min
    };
    if below || x > range.max || !x.is_finite() {
        w.report(
            loc,
            ErrorKind::OutOfRange,
            format!("must be {}, got {x}", range.what),
        );
        return None;
    }
    Some(x)
}

pub(crate) fn check_lifetime(w: &mut Walker<'_>, loc: &Loc<'_>, n: i64) -> Option<i64> {
    let (min, max) = LIFETIME_YEARS;
    if !(min..=max).contains(&n) {
        w.report(
            loc,
            ErrorKind::OutOfRange,
            format!("must be between {min} and {max} years, got {n}"),
        );
        return None;
    }
    Some(n)
}

pub(crate) fn check_discount_rate(
    w: &mut Walker<'_>,
    loc: &Loc<'_>,
    sent: f64,
    ratio: f64,
) -> Option<f64> {
    let (min, max) = DISCOUNT_RATIO;
    if !(min..=max).contains(&ratio) {
        w.report(
            loc,
            ErrorKind::OutOfRange,
            format!(
                "must give a rate between -90 % and 100 % (values above 1 are percentages, \
                 values up to 1 are ratios), got {sent}"
            ),
        );
        return None;
    }
    Some(sent)
}

/// Names label output keys: blank ones collide (bug B11) and huge ones bloat every result.
pub(crate) fn check_name(w: &mut Walker<'_>, loc: &Loc<'_>, name: &str) -> Option<String> {
    if name.trim().is_empty() {
        w.report(loc, ErrorKind::InvalidName, "must not be empty or blank");
        return None;
    }
    let chars = name.chars().count();
    if chars > MAX_NAME_CHARS {
        w.report(
            loc,
            ErrorKind::InvalidName,
            format!("must be at most {MAX_NAME_CHARS} characters, got {chars}"),
        );
        return None;
    }
    Some(name.to_owned())
}

pub(crate) fn check_list_len(
    w: &mut Walker<'_>,
    loc: &Loc<'_>,
    len: usize,
    (min, max): (usize, usize),
) -> Option<usize> {
    if len < min {
        w.report(loc, ErrorKind::InvalidLength, "must not be empty");
        return None;
    }
    if len > max {
        w.report(
            loc,
            ErrorKind::InvalidLength,
            format!("must have at most {max} entries, got {len}"),
        );
        return None;
    }
    Some(len)
}

/// Products whose trimmed names match case-insensitively share one output key, and the
/// original silently mixed their figures (bug B5): each repeat is reported.
pub(crate) fn check_unique_product_names(w: &mut Walker<'_>, list: &Loc<'_>, items: &[Value]) {
    let mut first_seen: HashMap<String, usize> = HashMap::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Some(name) = item.get("name").and_then(Value::as_str) else {
            continue;
        };
        let key = name.trim().to_lowercase();
        if key.is_empty() {
            continue;
        }
        if let Some(&first) = first_seen.get(&key) {
            let item_loc = Loc::Index(list, i);
            w.report(
                &Loc::Key(&item_loc, "name"),
                ErrorKind::InvalidName,
                format!(
                    "repeats the name of {}[{first}] (product names must differ ignoring case and surrounding spaces)",
                    list.path()
                ),
            );
        } else {
            first_seen.insert(key, i);
        }
    }
}
