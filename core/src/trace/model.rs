//! The traceable breakdown document: numbers are kept as numbers and display text is
//! rendered only when the document is serialised, so computing a result formats nothing.

use std::borrow::Cow;
use std::fmt::{self, Write};
use std::sync::Arc;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use super::pyfmt;

/// A JSON number as the original emitted it: a float, or an integer where it produced one.
/// Non-finite floats serialise as `0.0` (spec §8.5).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    F(f64),
    I(i64),
}

impl Num {
    pub fn as_f64(self) -> f64 {
        match self {
            Num::F(x) => x,
            Num::I(n) => n as f64,
        }
    }
}

impl From<f64> for Num {
    fn from(x: f64) -> Self {
        Num::F(x)
    }
}

impl From<i64> for Num {
    fn from(n: i64) -> Self {
        Num::I(n)
    }
}

impl From<i32> for Num {
    fn from(n: i32) -> Self {
        Num::I(i64::from(n))
    }
}

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Num::F(x) if x.is_finite() => s.serialize_f64(x),
            Num::F(_) => s.serialize_f64(0.0),
            Num::I(n) => s.serialize_i64(n),
        }
    }
}

/// One piece of display text.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Str(&'static str),
    Owned(String),
    /// Python `str(x)` of a float.
    Repr(f64),
    /// Python `format(x, ".Nf")`.
    Fixed(f64, u8),
    /// Python `format(x, ",.Nf")`.
    Comma(f64, u8),
    /// A plain integer.
    Int(i64),
    /// Python `format(n, ",")` of an integer.
    CommaInt(i64),
    /// Text shared by many pieces (a product name), written as is.
    Shared(Arc<str>),
    /// Python `s.upper()` of shared text (full Unicode case mapping: `ß` → `SS`).
    Upper(Arc<str>),
}

impl From<&'static str> for Piece {
    fn from(s: &'static str) -> Self {
        Piece::Str(s)
    }
}

impl From<String> for Piece {
    fn from(s: String) -> Self {
        Piece::Owned(s)
    }
}

impl From<Arc<str>> for Piece {
    fn from(s: Arc<str>) -> Self {
        Piece::Shared(s)
    }
}

impl From<&Arc<str>> for Piece {
    fn from(s: &Arc<str>) -> Self {
        Piece::Shared(Arc::clone(s))
    }
}

impl From<&String> for Piece {
    fn from(s: &String) -> Self {
        Piece::Owned(s.clone())
    }
}

pub fn repr(x: f64) -> Piece {
    Piece::Repr(x)
}

pub fn fixed(x: f64, decimals: u8) -> Piece {
    Piece::Fixed(x, decimals)
}

pub fn comma(x: f64, decimals: u8) -> Piece {
    Piece::Comma(x, decimals)
}

pub fn int(n: i64) -> Piece {
    Piece::Int(n)
}

pub fn comma_int(n: i64) -> Piece {
    Piece::CommaInt(n)
}

pub fn upper(s: &Arc<str>) -> Piece {
    Piece::Upper(Arc::clone(s))
}

impl fmt::Display for Piece {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Piece::Str(s) => f.write_str(s),
            Piece::Owned(s) => f.write_str(s),
            Piece::Repr(x) => pyfmt::write_repr(f, *x),
            Piece::Fixed(x, d) => pyfmt::write_fixed(f, *x, usize::from(*d), false),
            Piece::Comma(x, d) => pyfmt::write_fixed(f, *x, usize::from(*d), true),
            Piece::Int(n) => pyfmt::write_int(f, *n, false),
            Piece::CommaInt(n) => pyfmt::write_int(f, *n, true),
            Piece::Shared(s) => f.write_str(s),
            Piece::Upper(s) => s
                .chars()
                .flat_map(char::to_uppercase)
                .try_for_each(|c| f.write_char(c)),
        }
    }
}

/// Display text made of pieces, rendered lazily. A single piece (most labels) is held inline,
/// so building it allocates nothing; the pieces of a longer text sit either in their own vector
/// or, inside a [`Traceable`], in the traceable's shared piece pool (one allocation for all its
/// texts).
#[derive(Debug, Clone, PartialEq)]
pub enum Text {
    One(Piece),
    Many(Vec<Piece>),
    /// Pieces `start..end` of the owning traceable's [`Traceable::pieces`].
    Span {
        start: u32,
        end: u32,
    },
}

impl Default for Text {
    fn default() -> Self {
        Text::One(Piece::Str(""))
    }
}

impl Text {
    pub fn render(&self) -> String {
        self.to_string()
    }

    /// The pieces of this text; `pool` is the owning traceable's pool (a span outside it,
    /// which only a text moved between traceables could have, is empty).
    pub fn pieces<'a>(&'a self, pool: &'a [Piece]) -> &'a [Piece] {
        match self {
            Text::One(p) => std::slice::from_ref(p),
            Text::Many(v) => v,
            Text::Span { start, end } => {
                pool.get(*start as usize..*end as usize).unwrap_or_default()
            }
        }
    }

    /// The text rendered with the pieces of `pool`.
    pub fn render_in(&self, pool: &[Piece]) -> String {
        let mut out = String::new();
        for piece in self.pieces(pool) {
            // Writing to a String cannot fail.
            let _ = write!(out, "{piece}");
        }
        out
    }

    fn serialize_in<S: Serializer>(&self, pool: &[Piece], s: S) -> Result<S::Ok, S::Error> {
        match self.pieces(pool) {
            [Piece::Str(one)] => s.serialize_str(one),
            [Piece::Owned(one)] => s.serialize_str(one),
            [Piece::Shared(one)] => s.serialize_str(one),
            pieces => s.collect_str(&Joined(pieces)),
        }
    }
}

/// Pieces written one after the other.
struct Joined<'a>(&'a [Piece]);

impl fmt::Display for Joined<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|p| p.fmt(f))
    }
}

/// A piece pool being filled: the builder of a traceable's texts.
#[derive(Debug, Default)]
pub struct Pool(Vec<Piece>);

impl Pool {
    pub fn with_capacity(n: usize) -> Self {
        Pool(Vec::with_capacity(n))
    }

    /// A text of these pieces, stored in the pool.
    pub fn text<const N: usize>(&mut self, pieces: [Piece; N]) -> Text {
        let start = u32::try_from(self.0.len()).unwrap_or(u32::MAX);
        self.0.extend(pieces);
        let end = u32::try_from(self.0.len()).unwrap_or(u32::MAX);
        Text::Span { start, end }
    }

    pub fn into_pieces(self) -> Vec<Piece> {
        self.0
    }
}

impl From<&'static str> for Text {
    fn from(s: &'static str) -> Self {
        Text::One(Piece::Str(s))
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text::One(Piece::Owned(s))
    }
}

impl From<Piece> for Text {
    fn from(p: Piece) -> Self {
        Text::One(p)
    }
}

impl From<Vec<Piece>> for Text {
    fn from(pieces: Vec<Piece>) -> Self {
        Text::Many(pieces)
    }
}

/// A pooled text ([`Text::Span`]) renders as nothing on its own: use [`Text::render_in`].
impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Joined(self.pieces(&[])).fmt(f)
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.serialize_in(&[], s)
    }
}

/// `t!(pool; "TCI = ", repr(tci), " MUSD")`: a [`Text`] whose pieces go to `pool` (a single
/// piece stays inline).
#[macro_export]
macro_rules! t {
    ($pool:expr; $one:expr $(,)?) => {
        $crate::trace::model::Text::One($crate::trace::model::Piece::from($one))
    };
    ($pool:expr; $($piece:expr),* $(,)?) => {
        $pool.text([$($crate::trace::model::Piece::from($piece)),*])
    };
}

/// Builds a [`Text`] from pieces: `text!["TCI = ", repr(tci), " MUSD"]`.
#[macro_export]
macro_rules! text {
    ($one:expr $(,)?) => {
        $crate::trace::model::Text::One($crate::trace::model::Piece::from($one))
    };
    ($($piece:expr),* $(,)?) => {
        $crate::trace::model::Text::Many(vec![$($crate::trace::model::Piece::from($piece)),*])
    };
}

/// Any JSON value inside a traceable's `inputs`, `metadata` or step `details`.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Num(Num),
    Text(Text),
    List(Vec<Value>),
    Map(Fields),
    /// `{"value": …, "unit": …}`, the usual shape of a traceable input, without building a map.
    Quantity(Num, &'static str),
}

pub type Key = Cow<'static, str>;

/// An ordered JSON object.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Fields(pub Vec<(Key, Value)>);

impl Fields {
    pub fn new() -> Self {
        Fields(Vec::new())
    }

    pub fn with_capacity(n: usize) -> Self {
        Fields(Vec::with_capacity(n))
    }

    pub fn push(&mut self, key: impl Into<Key>, value: impl Into<Value>) -> &mut Self {
        self.0.push((key.into(), value.into()));
        self
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

impl From<f64> for Value {
    fn from(x: f64) -> Self {
        Value::Num(Num::F(x))
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Num(Num::I(n))
    }
}

impl From<i32> for Value {
    fn from(n: i32) -> Self {
        Value::Num(Num::I(i64::from(n)))
    }
}

impl From<usize> for Value {
    fn from(n: usize) -> Self {
        Value::Num(Num::I(i64::try_from(n).unwrap_or(i64::MAX)))
    }
}

impl From<Num> for Value {
    fn from(n: Num) -> Self {
        Value::Num(n)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<Text> for Value {
    fn from(t: Text) -> Self {
        Value::Text(t)
    }
}

impl From<&'static str> for Value {
    fn from(s: &'static str) -> Self {
        Value::Text(Text::from(s))
    }
}

impl From<Piece> for Value {
    fn from(p: Piece) -> Self {
        Value::Text(Text::from(p))
    }
}

impl From<Option<f64>> for Value {
    /// Python `None` for an absent optional input.
    fn from(x: Option<f64>) -> Self {
        x.map_or(Value::Null, Value::from)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Text(Text::from(s))
    }
}

impl From<Fields> for Value {
    fn from(f: Fields) -> Self {
        Value::Map(f)
    }
}

impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Self {
        Value::List(v)
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        InPool(self, &[]).serialize(s)
    }
}

impl Serialize for Fields {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        InPool(self, &[]).serialize(s)
    }
}

/// A part of a traceable serialised with the traceable's piece pool at hand.
struct InPool<'a, T: ?Sized>(&'a T, &'a [Piece]);

impl Serialize for InPool<'_, Text> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_in(self.1, s)
    }
}

impl Serialize for InPool<'_, Fields> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.0.len()))?;
        for (k, v) in &self.0.0 {
            map.serialize_entry(k.as_ref(), &InPool(v, self.1))?;
        }
        map.end()
    }
}

impl Serialize for InPool<'_, Value> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let pool = self.1;
        match self.0 {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Num(n) => n.serialize(s),
            Value::Text(t) => t.serialize_in(pool, s),
            Value::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&InPool(item, pool))?;
                }
                seq.end()
            }
            Value::Map(fields) => InPool(fields, pool).serialize(s),
            Value::Quantity(value, unit) => {
                let mut map = s.serialize_map(Some(2))?;
                map.serialize_entry("value", value)?;
                map.serialize_entry("unit", unit)?;
                map.end()
            }
        }
    }
}

/// `{"value": …, "unit": …}` (plus `"note"` where the original adds one): the shape of most
/// entries of a traceable's `inputs`.
pub fn quantity(value: impl Into<Num>, unit: &'static str) -> Value {
    Value::Quantity(value.into(), unit)
}

pub fn quantity_with_note(
    value: impl Into<Num>,
    unit: &'static str,
    note: impl Into<Text>,
) -> Value {
    let mut f = Fields::with_capacity(3);
    f.push("value", value.into())
        .push("unit", unit)
        .push("note", note.into());
    Value::Map(f)
}

/// `{"value": …, "unit": …}` where the value may be any JSON value (`null`, a string).
pub fn labelled(value: impl Into<Value>, unit: &'static str) -> Value {
    let mut f = Fields::with_capacity(2);
    f.push("value", value).push("unit", unit);
    Value::Map(f)
}

#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    pub name: Text,
    pub value: Num,
    pub unit: &'static str,
    pub description: Text,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepResult {
    pub value: Num,
    pub unit: &'static str,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub step: u32,
    pub description: Text,
    pub formula: Text,
    pub calculation: Text,
    pub result: StepResult,
    pub details: Option<Fields>,
}

/// One traceable metric: its value with the formula, inputs, components and steps behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct Traceable {
    pub name: &'static str,
    pub value: Num,
    pub unit: &'static str,
    pub formula: Text,
    pub inputs: Fields,
    pub components: Vec<Component>,
    pub calculation_steps: Vec<Step>,
    pub metadata: Fields,
    /// The pieces of this traceable's pooled texts ([`Text::Span`]); not serialised itself.
    pub pieces: Vec<Piece>,
}

impl Traceable {
    /// One of this traceable's texts, rendered.
    pub fn render(&self, text: &Text) -> String {
        text.render_in(&self.pieces)
    }
}

impl Serialize for InPool<'_, Component> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (c, pool) = (self.0, self.1);
        let mut map = s.serialize_map(Some(4))?;
        map.serialize_entry("name", &InPool(&c.name, pool))?;
        map.serialize_entry("value", &c.value)?;
        map.serialize_entry("unit", c.unit)?;
        map.serialize_entry("description", &InPool(&c.description, pool))?;
        map.end()
    }
}

impl Serialize for InPool<'_, Step> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (step, pool) = (self.0, self.1);
        let mut map = s.serialize_map(Some(6))?;
        map.serialize_entry("step", &step.step)?;
        map.serialize_entry("description", &InPool(&step.description, pool))?;
        map.serialize_entry("formula", &InPool(&step.formula, pool))?;
        map.serialize_entry("calculation", &InPool(&step.calculation, pool))?;
        map.serialize_entry("result", &step.result)?;
        map.serialize_entry("details", &step.details.as_ref().map(|d| InPool(d, pool)))?;
        map.end()
    }
}

/// A list of components or steps.
struct ListInPool<'a, T>(&'a [T], &'a [Piece]);

impl<'a, T> Serialize for ListInPool<'a, T>
where
    InPool<'a, T>: Serialize,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for item in self.0 {
            seq.serialize_element(&InPool(item, self.1))?;
        }
        seq.end()
    }
}

impl Serialize for Component {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        InPool(self, &[]).serialize(s)
    }
}

impl Serialize for Step {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        InPool(self, &[]).serialize(s)
    }
}

impl Serialize for Traceable {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let pool = self.pieces.as_slice();
        let mut map = s.serialize_map(Some(8))?;
        map.serialize_entry("name", self.name)?;
        map.serialize_entry("value", &self.value)?;
        map.serialize_entry("unit", self.unit)?;
        map.serialize_entry("formula", &InPool(&self.formula, pool))?;
        map.serialize_entry("inputs", &InPool(&self.inputs, pool))?;
        map.serialize_entry("components", &ListInPool(&self.components, pool))?;
        map.serialize_entry(
            "calculation_steps",
            &ListInPool(&self.calculation_steps, pool),
        )?;
        map.serialize_entry("metadata", &InPool(&self.metadata, pool))?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_renders_pieces_lazily_with_python_formatting() {
        let t = text![
            "400.0 × 1,000,000 = ",
            comma(400_000_000.0, 0),
            " (",
            repr(0.07),
            ")"
        ];
        assert_eq!(t.render(), "400.0 × 1,000,000 = 400,000,000 (0.07)");
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, "\"400.0 × 1,000,000 = 400,000,000 (0.07)\"");
    }

    #[test]
    fn shared_names_render_as_is_or_upper_cased_like_python() {
        let name: Arc<str> = Arc::from("straße jet");
        let t = text![upper(&name), " / ", &name];
        assert_eq!(t.render(), "STRASSE JET / straße jet");
        assert_eq!(
            serde_json::to_string(&Text::from(Piece::from(&name))).unwrap(),
            "\"straße jet\""
        );
    }

    #[test]
    fn non_finite_numbers_serialise_as_zero() {
        let v = Value::List(vec![f64::NAN.into(), f64::INFINITY.into(), 2_i64.into()]);
        assert_eq!(serde_json::to_string(&v).unwrap(), "[0.0,0.0,2]");
    }
}
