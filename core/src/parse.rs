//! Reads a request document into a [`CalcRequest`], checking every field on the way.
//!
//! The walk never stops at the first problem: it records each one with its field path and
//! carries on, so a client sees everything wrong with its document at once. Keys are accepted
//! in lowerCamelCase or snake_case; unknown keys are ignored; numbers may be sent as numeric
//! strings (the original's lax validation accepted them).

use serde_json::{Map, Value};

use crate::error::{ErrorKind, FieldError, FieldPath, Segment, ValidationErrors};
use crate::master::MasterData;
use crate::reference;
use crate::request::{
    CalcRequest, ConversionPlant, EconomicParameters, Material, ProductInput, Quantity,
    percent_or_ratio,
};
use crate::units::{self, QuantityKind, UnitProblem};
use crate::validate::{self, Range};

/// A field location built on the stack; turned into a [`FieldPath`] only when reporting.
#[derive(Clone, Copy)]
pub(crate) enum Loc<'a> {
    Root,
    Key(&'a Loc<'a>, &'a str),
    Index(&'a Loc<'a>, usize),
}

impl Loc<'_> {
    pub(crate) fn path(&self) -> FieldPath {
        let mut segs = Vec::new();
        let mut cur = self;
        loop {
            match cur {
                Loc::Root => break,
                Loc::Key(parent, k) => {
                    segs.push(Segment::Key((*k).to_owned()));
                    cur = parent;
                }
                Loc::Index(parent, i) => {
                    segs.push(Segment::Index(*i));
                    cur = parent;
                }
            }
        }
        segs.reverse();
        FieldPath(segs)
    }
}

pub(crate) struct Walker<'m> {
    pub(crate) master: &'m MasterData,
    pub(crate) errors: Vec<FieldError>,
}

impl Walker<'_> {
    pub(crate) fn report(&mut self, loc: &Loc<'_>, kind: ErrorKind, message: impl Into<String>) {
        self.errors.push(FieldError {
            path: loc.path(),
            kind,
            message: message.into(),
        });
    }

    /// Looks a field up under its camelCase or snake_case name; returns the name found and
    /// the value, treating `null` as absent.
    fn lookup<'v>(
        obj: &'v Map<String, Value>,
        camel: &'static str,
        snake: &'static str,
    ) -> Option<(&'static str, &'v Value)> {
        if let Some(v) = obj.get(camel).filter(|v| !v.is_null()) {
            return Some((camel, v));
        }
        obj.get(snake).filter(|v| !v.is_null()).map(|v| (snake, v))
    }

    fn required<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        parent: &Loc<'_>,
        camel: &'static str,
        snake: &'static str,
    ) -> Option<(&'static str, &'v Value)> {
        let found = Self::lookup(obj, camel, snake);
        if found.is_none() {
            self.report(
                &Loc::Key(parent, camel),
                ErrorKind::Missing,
                "field required",
            );
        }
        found
    }

    fn object<'v>(&mut self, v: &'v Value, loc: &Loc<'_>) -> Option<&'v Map<String, Value>> {
        let obj = v.as_object();
        if obj.is_none() {
            self.report(
                loc,
                ErrorKind::WrongType,
                format!("must be an object, got {}", json_type(v)),
            );
        }
        obj
    }

    fn number(&mut self, v: &Value, loc: &Loc<'_>) -> Option<f64> {
        let x = match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => match s.trim().parse::<f64>() {
                Ok(x) => Some(x),
                Err(_) => {
                    self.report(
                        loc,
                        ErrorKind::WrongType,
                        "must be a number, got a string that is not one",
                    );
                    return None;
                }
            },
            other => {
                self.report(
                    loc,
                    ErrorKind::WrongType,
                    format!("must be a number, got {}", json_type(other)),
                );
                return None;
            }
        };
        match x {
            Some(x) if x.is_finite() => Some(x),
            _ => {
                self.report(loc, ErrorKind::OutOfRange, "must be a finite number");
                None
            }
        }
    }

    fn integer(&mut self, v: &Value, loc: &Loc<'_>) -> Option<i64> {
        if let Some(n) = v.as_i64() {
            return Some(n);
        }
        let x = self.number(v, loc)?;
        if x.fract() != 0.0 {
            self.report(
                loc,
                ErrorKind::OutOfRange,
                format!("must be a whole number, got {x}"),
            );
            return None;
        }
        if x.abs() > 1e15 {
            self.report(loc, ErrorKind::OutOfRange, "is far too large");
            return None;
        }
        Some(x as i64)
    }

    /// A required number checked against `range`.
    fn num_field(
        &mut self,
        obj: &Map<String, Value>,
        parent: &Loc<'_>,
        (camel, snake): (&'static str, &'static str),
        range: Range,
    ) -> Option<f64> {
        let (name, v) = self.required(obj, parent, camel, snake)?;
        let loc = Loc::Key(parent, name);
        let x = self.number(v, &loc)?;
        validate::check_range(self, &loc, x, range)
    }

    /// An optional number (absent or null gives `None`).
    fn optional_num_field(
        &mut self,
        obj: &Map<String, Value>,
        parent: &Loc<'_>,
        (camel, snake): (&'static str, &'static str),
        range: Range,
    ) -> Result<Option<f64>, ()> {
        let Some((name, v)) = Self::lookup(obj, camel, snake) else {
            return Ok(None);
        };
        let loc = Loc::Key(parent, name);
        let x = self.number(v, &loc).ok_or(())?;
        validate::check_range(self, &loc, x, range)
            .map(Some)
            .ok_or(())
    }

    fn id_field(
        &mut self,
        obj: &Map<String, Value>,
        (camel, snake): (&'static str, &'static str),
    ) -> Option<i32> {
        let (name, v) = self.required(obj, &Loc::Root, camel, snake)?;
        let loc = Loc::Key(&Loc::Root, name);
        let n = self.integer(v, &loc)?;
        match i32::try_from(n) {
            Ok(id) if id > 0 => Some(id),
            _ => {
                self.report(
                    &loc,
                    ErrorKind::OutOfRange,
                    format!("must be a positive id, got {n}"),
                );
                None
            }
        }
    }

    fn name_field(&mut self, obj: &Map<String, Value>, parent: &Loc<'_>) -> Option<String> {
        let (name, v) = self.required(obj, parent, "name", "name")?;
        let loc = Loc::Key(parent, name);
        match v {
            Value::String(s) => validate::check_name(self, &loc, s),
            other => {
                self.report(
                    &loc,
                    ErrorKind::WrongType,
                    format!("must be a string, got {}", json_type(other)),
                );
                None
            }
        }
    }

    /// A `{value, unitId}` quantity whose unit must suit `kind`; `range` applies to the value
    /// in base units.
    fn quantity_field(
        &mut self,
        obj: &Map<String, Value>,
        parent: &Loc<'_>,
        (camel, snake): (&'static str, &'static str),
        kind: QuantityKind,
        range: Range,
    ) -> Option<Quantity> {
        let (name, v) = self.required(obj, parent, camel, snake)?;
        let loc = Loc::Key(parent, name);
        let q = self.object(v, &loc)?;
        let value = self
            .required(q, &loc, "value", "value")
            .and_then(|(k, v)| self.number(v, &Loc::Key(&loc, k)));
        let unit = self
            .required(q, &loc, "unitId", "unit_id")
            .and_then(|(k, v)| {
                let unit_loc = Loc::Key(&loc, k);
                let id = self.integer(v, &unit_loc)?;
                let factor = i32::try_from(id)
                    .map_err(|_| UnitProblem::Unknown)
                    .and_then(|id| units::factor_for(self.master, id, kind));
                match factor {
                    Ok(f) => Some((id as i32, f)),
                    Err(UnitProblem::Unknown) => {
                        self.report(
                            &unit_loc,
                            ErrorKind::InvalidUnit,
                            format!("unknown unit id {id}"),
                        );
                        None
                    }
                    Err(UnitProblem::WrongGroup(unit)) => {
                        let expected = kind.describe();
                        self.report(
                            &unit_loc,
                            ErrorKind::InvalidUnit,
                            format!("unit {id} ({unit}) cannot be used here: expected {expected}"),
                        );
                        None
                    }
                }
            });
        let (value, (unit_id, factor)) = (value?, unit?);
        let base = value * factor;
        validate::check_range(self, &Loc::Key(&loc, "value"), base, range)?;
        Some(Quantity {
            value,
            unit_id,
            base,
        })
    }

    fn list<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        (camel, snake): (&'static str, &'static str),
        len_bounds: (usize, usize),
    ) -> Option<(&'static str, &'v Vec<Value>)> {
        let (name, v) = self.required(obj, &Loc::Root, camel, snake)?;
        let loc = Loc::Key(&Loc::Root, name);
        let Some(items) = v.as_array() else {
            self.report(
                &loc,
                ErrorKind::WrongType,
                format!("must be a list, got {}", json_type(v)),
            );
            return None;
        };
        validate::check_list_len(self, &loc, items.len(), len_bounds)?;
        Some((name, items))
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Parses and validates a request document.
pub fn parse_request(doc: &Value, master: &MasterData) -> Result<CalcRequest, ValidationErrors> {
    let mut w = Walker {
        master,
        errors: Vec::new(),
    };
    let request = walk(&mut w, doc);
    match request {
        Some(r) if w.errors.is_empty() => Ok(r),
        _ => Err(ValidationErrors(w.errors)),
    }
}

fn walk(w: &mut Walker<'_>, doc: &Value) -> Option<CalcRequest> {
    let root = Loc::Root;
    let obj = w.object(doc, &root)?;

    let process_id = w.id_field(obj, ("processId", "process_id"));
    let feedstock_id = w.id_field(obj, ("feedstockId", "feedstock_id"));
    let country_id = w.id_field(obj, ("countryId", "country_id"));
    let ids = reference::check_ids(w, obj, process_id, feedstock_id, country_id);

    let plant = w
        .required(obj, &root, "conversionPlant", "conversion_plant")
        .and_then(|(name, v)| conversion_plant(w, v, &Loc::Key(&root, name)));
    let economics = w
        .required(obj, &root, "economicParameters", "economic_parameters")
        .and_then(|(name, v)| economic_parameters(w, v, &Loc::Key(&root, name)));

    let feedstocks = w
        .list(
            obj,
            ("feedstockData", "feedstock_data"),
            (1, validate::MAX_FEEDSTOCKS),
        )
        .map(|(name, items)| materials(w, items, name, Role::Feedstock));
    let utilities = w
        .list(
            obj,
            ("utilityData", "utility_data"),
            (0, validate::MAX_UTILITIES),
        )
        .map(|(name, items)| materials(w, items, name, Role::Utility));
    let products = w
        .list(
            obj,
            ("productData", "product_data"),
            (1, validate::MAX_PRODUCTS),
        )
        .map(|(name, items)| products(w, items, name));

    let (process_id, feedstock_id, country_id) = ids?;
    Some(CalcRequest {
        process_id,
        feedstock_id,
        country_id,
        conversion_plant: plant?,
        economic_parameters: economics?,
        feedstock_data: feedstocks??,
        utility_data: utilities??,
        product_data: products??,
    })
}

fn conversion_plant(w: &mut Walker<'_>, v: &Value, loc: &Loc<'_>) -> Option<ConversionPlant> {
    let obj = w.object(v, loc)?;
    let capacity = w.quantity_field(
        obj,
        loc,
        ("plantCapacity", "plant_capacity"),
        QuantityKind::Capacity,
        validate::CAPACITY_T_PER_YR,
    );
    let hours = w.num_field(
        obj,
        loc,
        ("annualLoadHours", "annual_load_hours"),
        validate::LOAD_HOURS,
    );
    let ci = w.num_field(
        obj,
        loc,
        ("ciProcessDefault", "ci_process_default"),
        validate::CARBON_INTENSITY,
    );
    Some(ConversionPlant {
        plant_capacity: capacity?,
        annual_load_hours: hours?,
        ci_process_default: ci?,
    })
}

fn economic_parameters(w: &mut Walker<'_>, v: &Value, loc: &Loc<'_>) -> Option<EconomicParameters> {
    let obj = w.object(v, loc)?;
    let lifetime = w
        .required(obj, loc, "projectLifetimeYears", "project_lifetime_years")
        .and_then(|(name, v)| {
            let field = Loc::Key(loc, name);
            let n = w.integer(v, &field)?;
            validate::check_lifetime(w, &field, n)
        });
    let discount = w
        .required(obj, loc, "discountRatePercent", "discount_rate_percent")
        .and_then(|(name, v)| {
            let field = Loc::Key(loc, name);
            let d = w.number(v, &field)?;
            validate::check_discount_rate(w, &field, d, percent_or_ratio(d))
        });
    let tci_ref = w.optional_num_field(obj, loc, ("tciRefMusd", "tci_ref_musd"), validate::MUSD);
    let capacity_ref = w.optional_num_field(
        obj,
        loc,
        ("referenceCapacityKtpa", "reference_capacity_ktpa"),
        validate::REFERENCE_CAPACITY_KTPA,
    );
    let exponent = w.num_field(
        obj,
        loc,
        ("tciScalingExponent", "tci_scaling_exponent"),
        validate::SCALING_EXPONENT,
    );
    let working_capital = w.num_field(
        obj,
        loc,
        ("workingCapitalTciRatio", "working_capital_tci_ratio"),
        validate::TCI_RATIO,
    );
    let indirect = w.num_field(
        obj,
        loc,
        ("indirectOpexTciRatio", "indirect_opex_tci_ratio"),
        validate::TCI_RATIO,
    );
    Some(EconomicParameters {
        project_lifetime_years: lifetime?,
        discount_rate_percent: discount?,
        tci_ref_musd: tci_ref.ok()?,
        reference_capacity_ktpa: capacity_ref.ok()?,
        tci_scaling_exponent: exponent?,
        working_capital_tci_ratio: working_capital?,
        indirect_opex_tci_ratio: indirect?,
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Feedstock,
    Utility,
}

/// Feedstock or utility entries; `None` if any entry is invalid (all are still checked).
fn materials(
    w: &mut Walker<'_>,
    items: &[Value],
    list_name: &'static str,
    role: Role,
) -> Option<Vec<Material>> {
    let list_loc = Loc::Key(&Loc::Root, list_name);
    let (price_kind, ci_kind) = match role {
        Role::Feedstock => (QuantityKind::MassPrice, QuantityKind::MassCarbonIntensity),
        Role::Utility => (
            QuantityKind::UtilityPrice,
            QuantityKind::UtilityCarbonIntensity,
        ),
    };
    let mut out = Vec::with_capacity(items.len());
    let mut complete = true;
    for (i, item) in items.iter().enumerate() {
        let loc = Loc::Index(&list_loc, i);
        let Some(obj) = w.object(item, &loc) else {
            complete = false;
            continue;
        };
        let name = w.name_field(obj, &loc);
        let price = w.quantity_field(obj, &loc, ("price", "price"), price_kind, validate::PRICE);
        let carbon_content = w.num_field(
            obj,
            &loc,
            ("carbonContent", "carbon_content"),
            validate::CARBON_CONTENT,
        );
        let carbon_intensity = w.quantity_field(
            obj,
            &loc,
            ("carbonIntensity", "carbon_intensity"),
            ci_kind,
            validate::CARBON_INTENSITY,
        );
        let energy_content = w.num_field(
            obj,
            &loc,
            ("energyContent", "energy_content"),
            validate::ENERGY_CONTENT,
        );
        let yield_percent = w.num_field(
            obj,
            &loc,
            ("yieldPercent", "yield_percent"),
            validate::YIELD_PERCENT,
        );
        match (
            name,
            price,
            carbon_content,
            carbon_intensity,
            energy_content,
            yield_percent,
        ) {
            (
                Some(name),
                Some(price),
                Some(carbon_content),
                Some(carbon_intensity),
                Some(energy_content),
                Some(yp),
            ) => out.push(Material {
                name,
                price,
                carbon_content,
                carbon_intensity,
                energy_content,
                yield_percent: yp,
            }),
            _ => complete = false,
        }
    }
    complete.then_some(out)
}

fn products(
    w: &mut Walker<'_>,
    items: &[Value],
    list_name: &'static str,
) -> Option<Vec<ProductInput>> {
    let list_loc = Loc::Key(&Loc::Root, list_name);
    let mut out = Vec::with_capacity(items.len());
    let mut complete = true;
    for (i, item) in items.iter().enumerate() {
        let loc = Loc::Index(&list_loc, i);
        let Some(obj) = w.object(item, &loc) else {
            complete = false;
            continue;
        };
        let name = w.name_field(obj, &loc);
        let price = w.quantity_field(
            obj,
            &loc,
            ("price", "price"),
            QuantityKind::MassPrice,
            validate::PRICE,
        );
        let sensitivity = w.num_field(
            obj,
            &loc,
            ("priceSensitivityToCi", "price_sensitivity_to_ci"),
            validate::PRICE_SENSITIVITY,
        );
        let carbon_content = w.num_field(
            obj,
            &loc,
            ("carbonContent", "carbon_content"),
            validate::CARBON_CONTENT,
        );
        let energy_content = w.num_field(
            obj,
            &loc,
            ("energyContent", "energy_content"),
            validate::ENERGY_CONTENT,
        );
        let yield_percent = w.num_field(
            obj,
            &loc,
            ("yieldPercent", "yield_percent"),
            validate::YIELD_PERCENT,
        );
        let density = w.num_field(
            obj,
            &loc,
            ("productDensity", "product_density"),
            validate::DENSITY,
        );
        match (
            name,
            price,
            sensitivity,
            carbon_content,
            energy_content,
            yield_percent,
            density,
        ) {
            (Some(name), Some(price), Some(s), Some(cc), Some(ec), Some(yp), Some(d)) => {
                out.push(ProductInput {
                    name,
                    price,
                    price_sensitivity_to_ci: s,
                    carbon_content: cc,
                    energy_content: ec,
                    yield_percent: yp,
                    product_density: d,
                })
            }
            _ => complete = false,
        }
    }
    validate::check_unique_product_names(w, &list_loc, items);
    complete.then_some(out)
}
