//! Building blocks shared by every traceable: the context they read, and constructors for
//! steps, components and object literals.

use super::model::{Component, Fields, Key, Name, Num, Pool, Step, StepResult, Text, Value};
use crate::engine::{Figures, ProductFigures};
use crate::request::{CalcRequest, Material};

/// `fields!(pool; "a" => x, "b" => y)`: an ordered JSON object stored in the pool. The values
/// are evaluated (and may use the pool) before the entries are stored, so they stay contiguous.
macro_rules! fields {
    ($pool:expr; $($key:expr => $value:expr),* $(,)?) => {{
        let entries = [$((
            $crate::trace::model::Key::from($key),
            $crate::trace::model::Value::from($value),
        )),*];
        $pool.fields(entries)
    }};
}
pub(super) use fields;

/// `t!(pool; "TCI = ", repr(tci), " MUSD")`: a [`Text`] whose pieces go to the pool (a single
/// piece stays inline).
macro_rules! t {
    ($pool:expr; $one:expr $(,)?) => {
        $crate::trace::model::Text::One($crate::trace::model::Piece::from($one))
    };
    ($pool:expr; $($piece:expr),* $(,)?) => {
        $pool.text([$($crate::trace::model::Piece::from($piece)),*])
    };
}
pub(super) use t;

/// What the traceables read: the request, the engine's figures, and each product's output key
/// (lower-cased name) shared by the many places that print it.
pub(super) struct Ctx<'a> {
    pub req: &'a CalcRequest,
    pub fig: &'a Figures,
    /// Each product's output key (lower-cased name), stored once in the arena.
    pub names: Vec<Name>,
    /// The product keys as a (pooled) JSON list, shared by every traceable that lists them.
    name_list: Value,
}

impl<'a> Ctx<'a> {
    pub fn new(req: &'a CalcRequest, fig: &'a Figures, pool: &mut Pool) -> Self {
        let names: Vec<Name> = fig.products.iter().map(|p| pool.name(&p.key)).collect();
        let name_list = pool.list(names.iter().map(|&n| Value::from(Text::One(n.into()))));
        Ctx {
            req,
            fig,
            names,
            name_list,
        }
    }

    /// The products in output-map order, each with its key. Validation rejects duplicate
    /// names, so the original's name-keyed maps hold exactly these entries in this order.
    pub fn products(&self) -> impl Iterator<Item = (Name, &'a ProductFigures)> {
        self.names.iter().copied().zip(&self.fig.products)
    }

    /// `Q_j / P`, or the integer 0 the original used when production is not positive.
    pub fn share_of_production(&self, amount: f64) -> Num {
        let production = self.fig.production;
        if production > 0.0 {
            Num::F(amount / production)
        } else {
            Num::I(0)
        }
    }

    /// The product keys, as the original listed a map's keys in metadata.
    pub fn name_list(&self) -> Value {
        self.name_list.clone()
    }

    pub fn product_count(&self) -> Value {
        Value::from(self.names.len())
    }

    /// The traceables look utilities up by exact (case-insensitive) name and take the first
    /// match, unlike the engine's substring match where the last one wins (rule R3).
    /// None of the two names has a letter that a non-ASCII character lower-cases to, so an
    /// ASCII comparison is exactly Python's `name.lower() == …`.
    pub fn utility_named(&self, name: &str) -> Option<&'a Material> {
        self.req
            .utility_data
            .iter()
            .find(|u| u.name.eq_ignore_ascii_case(name))
    }

    /// `discount_rate_percent / 100`: the traceables always divide, whatever rule R1 says.
    pub fn rate_divided_by_100(&self) -> f64 {
        self.req.economic_parameters.discount_rate_percent / 100.0
    }

    pub fn lifetime(&self) -> i64 {
        self.req.economic_parameters.project_lifetime_years
    }

    /// Feedstock + hydrogen + electricity cost, summed left to right as the original did.
    pub fn direct_opex(&self) -> f64 {
        self.fig.feedstock_cost + self.fig.hydrogen_cost + self.fig.electricity_cost
    }
}

/// `<name><suffix>`, a per-product key such as `jet_price`.
pub(super) fn product_key(name: &str, suffix: &str) -> Key {
    let mut key = String::with_capacity(name.len() + suffix.len());
    key.push_str(name);
    key.push_str(suffix);
    Key::Owned(key)
}

pub(super) fn step(
    number: usize,
    description: impl Into<Text>,
    formula: impl Into<Text>,
    calculation: Text,
    value: impl Into<Num>,
    unit: &'static str,
) -> Step {
    Step {
        step: u32::try_from(number).unwrap_or(u32::MAX),
        description: description.into(),
        formula: formula.into(),
        calculation,
        result: StepResult {
            value: value.into(),
            unit,
        },
        details: None,
    }
}

pub(super) fn with_details(mut step: Step, details: Fields) -> Step {
    step.details = Some(details);
    step
}

pub(super) fn component(
    name: impl Into<Text>,
    value: impl Into<Num>,
    unit: &'static str,
    description: impl Into<Text>,
) -> Component {
    Component {
        name: name.into(),
        value: value.into(),
        unit,
        description: description.into(),
    }
}

/// `{"value": …, "unit": "USD/year"}`, the most common input shape.
pub(super) fn usd_per_year(value: f64) -> Value {
    super::model::quantity(value, "USD/year")
}

pub(super) fn tons_per_year(value: f64) -> Value {
    super::model::quantity(value, "tons/year")
}
