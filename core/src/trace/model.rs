//! The traceable breakdown document: numbers are kept as numbers and display text is
//! rendered only when the document is serialised, so computing a result formats nothing.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt::{self, Write};
use std::sync::Arc;

use serde::ser::{Error as _, SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use super::pyfmt;

/// A JSON number as the original emitted it: a float, or an integer where it produced one.
/// Non-finite floats serialise as `0.0` (docs/engine.md §10.4).
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

/// One piece of display text. Pieces hold no heap data (names are kept in the [`Arena`]), so
/// the many thousands a result has cost nothing to drop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Piece {
    Str(&'static str),
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
    /// A name stored in the arena, written as is.
    Name(Name),
    /// Python `s.upper()` of a name (full Unicode case mapping: `ß` → `SS`).
    Upper(Name),
}

/// A name (a product's, the feedstock's) stored once in the result's [`Arena`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Name(pub u32);

impl From<&'static str> for Piece {
    fn from(s: &'static str) -> Self {
        Piece::Str(s)
    }
}

impl From<Name> for Piece {
    fn from(n: Name) -> Self {
        Piece::Name(n)
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

pub fn upper(name: Name) -> Piece {
    Piece::Upper(name)
}

impl Piece {
    /// Writes the piece; names are looked up in `arena` (empty if not there).
    pub fn write(&self, f: &mut impl Write, arena: &Arena) -> fmt::Result {
        match *self {
            Piece::Str(s) => f.write_str(s),
            Piece::Repr(x) => pyfmt::write_repr(f, x),
            Piece::Fixed(x, d) => pyfmt::write_fixed(f, x, usize::from(d), false),
            Piece::Comma(x, d) => pyfmt::write_fixed(f, x, usize::from(d), true),
            Piece::Int(n) => pyfmt::write_int(f, n, false),
            Piece::CommaInt(n) => pyfmt::write_int(f, n, true),
            Piece::Name(n) => f.write_str(arena.name(n)),
            Piece::Upper(n) => arena
                .name(n)
                .chars()
                .flat_map(char::to_uppercase)
                .try_for_each(|c| f.write_char(c)),
        }
    }
}

/// A piece on its own: names render empty (they need their arena).
impl fmt::Display for Piece {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, &EMPTY_ARENA)
    }
}

/// Storage shared by all the traceables of one result: the pieces of their longer texts, the
/// entries of their objects and the items of their lists. Building a result this way costs a
/// handful of allocations instead of one per text, object and list.
#[derive(Debug, Default, PartialEq)]
pub struct Arena {
    pub pieces: Vec<Piece>,
    pub entries: Vec<(Key, Value)>,
    pub items: Vec<Value>,
    pub names: Vec<Box<str>>,
}

static EMPTY_ARENA: Arena = Arena {
    pieces: Vec::new(),
    entries: Vec::new(),
    items: Vec::new(),
    names: Vec::new(),
};

impl Arena {
    pub fn name(&self, n: Name) -> &str {
        self.names.get(n.0 as usize).map_or("", |s| s)
    }
}

/// A range of one of the [`Arena`] vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    /// The span's part of `all` (empty if outside: only a part moved between results could be).
    fn of<T>(self, all: &[T]) -> &[T] {
        all.get(self.start as usize..self.end as usize)
            .unwrap_or_default()
    }
}

/// The arena being filled while the traceables of one result are built.
#[derive(Debug, Default)]
pub struct Pool(Arena);

impl Pool {
    pub fn with_capacity(pieces: usize, entries: usize, items: usize) -> Self {
        Pool(Arena {
            pieces: Vec::with_capacity(pieces),
            entries: Vec::with_capacity(entries),
            items: Vec::with_capacity(items),
            names: Vec::new(),
        })
    }

    /// Stores a name for [`Piece::Name`] and [`Piece::Upper`].
    pub fn name(&mut self, name: &str) -> Name {
        let n = Name(u32::try_from(self.0.names.len()).unwrap_or(u32::MAX));
        self.0.names.push(Box::from(name));
        n
    }

    fn span<T>(all: &mut Vec<T>, new: impl IntoIterator<Item = T>) -> Span {
        let start = u32::try_from(all.len()).unwrap_or(u32::MAX);
        all.extend(new);
        let end = u32::try_from(all.len()).unwrap_or(u32::MAX);
        Span { start, end }
    }

    /// A text of these pieces.
    pub fn text<const N: usize>(&mut self, pieces: [Piece; N]) -> Text {
        Text::Pooled(Self::span(&mut self.0.pieces, pieces))
    }

    /// An object of these entries, in this order.
    pub fn fields<const N: usize>(&mut self, entries: [(Key, Value); N]) -> Fields {
        Fields::Pooled(Self::span(&mut self.0.entries, entries))
    }

    /// An object of entries known only at run time.
    pub fn fields_from(&mut self, entries: impl IntoIterator<Item = (Key, Value)>) -> Fields {
        Fields::Pooled(Self::span(&mut self.0.entries, entries))
    }

    /// A list of these items.
    pub fn list(&mut self, items: impl IntoIterator<Item = Value>) -> Value {
        Value::PooledList(Self::span(&mut self.0.items, items))
    }

    pub fn into_arena(self) -> Arena {
        self.0
    }
}

thread_local! {
    /// The buffer multi-piece texts are rendered into while serialising.
    static RENDER_BUF: RefCell<String> = RefCell::new(String::with_capacity(256));
}

/// Display text made of pieces, rendered lazily. A single piece (most labels) is held inline;
/// the pieces of a longer text sit in their own vector or in the result's [`Arena`].
#[derive(Debug, Clone, PartialEq)]
pub enum Text {
    One(Piece),
    Many(Vec<Piece>),
    /// Pieces of the owning traceable's arena.
    Pooled(Span),
    Owned(String),
}

impl Default for Text {
    fn default() -> Self {
        Text::One(Piece::Str(""))
    }
}

impl Text {
    /// The text rendered; a pooled text needs [`Traceable::render`].
    pub fn render(&self) -> String {
        self.render_in(&EMPTY_ARENA)
    }

    /// The pieces of the text (none for an owned string).
    pub fn pieces<'a>(&'a self, arena: &'a Arena) -> &'a [Piece] {
        match self {
            Text::One(p) => std::slice::from_ref(p),
            Text::Many(v) => v,
            Text::Pooled(span) => span.of(&arena.pieces),
            Text::Owned(_) => &[],
        }
    }

    pub fn render_in(&self, arena: &Arena) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = self.write(&mut out, arena);
        out
    }

    fn write(&self, f: &mut impl Write, arena: &Arena) -> fmt::Result {
        if let Text::Owned(s) = self {
            return f.write_str(s);
        }
        self.pieces(arena)
            .iter()
            .try_for_each(|p| p.write(f, arena))
    }

    fn serialize_in<S: Serializer>(&self, arena: &Arena, s: S) -> Result<S::Ok, S::Error> {
        match (self, self.pieces(arena)) {
            (Text::Owned(one), _) => s.serialize_str(one),
            (_, [Piece::Str(one)]) => s.serialize_str(one),
            (_, [Piece::Name(n)]) => s.serialize_str(arena.name(*n)),
            _ => {
                // Rendered whole into a buffer reused from text to text (no allocation, no
                // UTF-8 check), then handed to the serializer as one string.
                RENDER_BUF.with(|cell| match cell.try_borrow_mut() {
                    Ok(mut buf) => {
                        buf.clear();
                        self.write(&mut *buf, arena).map_err(S::Error::custom)?;
                        s.serialize_str(&buf)
                    }
                    // Only a serializer that serialises texts while handed one gets here.
                    Err(_) => s.serialize_str(&self.render_in(arena)),
                })
            }
        }
    }
}

impl From<&'static str> for Text {
    fn from(s: &'static str) -> Self {
        Text::One(Piece::Str(s))
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text::Owned(s)
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

/// A pooled text renders as nothing on its own: use [`Traceable::render`].
impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, &EMPTY_ARENA)
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.serialize_in(&EMPTY_ARENA, s)
    }
}

/// Builds a standalone [`Text`] from pieces: `text!["TCI = ", repr(tci), " MUSD"]`.
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
    /// Items of the owning traceable's arena.
    PooledList(Span),
    Map(Fields),
    /// `{"value": …, "unit": …}`, the usual shape of a traceable input, without building a map.
    Quantity(Num, &'static str),
}

pub type Key = Cow<'static, str>;

/// An ordered JSON object: its own entries, or entries of the result's [`Arena`].
#[derive(Debug, Clone, PartialEq)]
pub enum Fields {
    Own(Vec<(Key, Value)>),
    Pooled(Span),
}

impl Default for Fields {
    fn default() -> Self {
        Fields::Own(Vec::new())
    }
}

impl Fields {
    pub fn new() -> Self {
        Fields::Own(Vec::new())
    }

    pub fn with_capacity(n: usize) -> Self {
        Fields::Own(Vec::with_capacity(n))
    }

    /// Appends an entry to an object of its own; a pooled object is complete when made and
    /// stays unchanged.
    pub fn push(&mut self, key: impl Into<Key>, value: impl Into<Value>) -> &mut Self {
        if let Fields::Own(entries) = self {
            entries.push((key.into(), value.into()));
        }
        self
    }

    pub fn entries<'a>(&'a self, arena: &'a Arena) -> &'a [(Key, Value)] {
        match self {
            Fields::Own(entries) => entries,
            Fields::Pooled(span) => span.of(&arena.entries),
        }
    }

    /// The value of `key` in an object of its own (see [`Traceable::field`] for pooled ones).
    pub fn get(&self, key: &str) -> Option<&Value> {
        find(self.entries(&EMPTY_ARENA), key)
    }
}

fn find<'a>(entries: &'a [(Key, Value)], key: &str) -> Option<&'a Value> {
    entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
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
        In(self, &EMPTY_ARENA).serialize(s)
    }
}

impl Serialize for Fields {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        In(self, &EMPTY_ARENA).serialize(s)
    }
}

/// A part of a traceable serialised with its arena at hand.
struct In<'a, T: ?Sized>(&'a T, &'a Arena);

impl Serialize for In<'_, Text> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_in(self.1, s)
    }
}

impl Serialize for In<'_, Fields> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let entries = self.0.entries(self.1);
        let mut map = s.serialize_map(Some(entries.len()))?;
        for (k, v) in entries {
            map.serialize_entry(k.as_ref(), &In(v, self.1))?;
        }
        map.end()
    }
}

impl Serialize for In<'_, Value> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let arena = self.1;
        match self.0 {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Num(n) => n.serialize(s),
            Value::Text(t) => t.serialize_in(arena, s),
            Value::List(items) => In(items.as_slice(), arena).serialize(s),
            Value::PooledList(span) => In(span.of(&arena.items), arena).serialize(s),
            Value::Map(fields) => In(fields, arena).serialize(s),
            Value::Quantity(value, unit) => {
                let mut map = s.serialize_map(Some(2))?;
                map.serialize_entry("value", value)?;
                map.serialize_entry("unit", unit)?;
                map.end()
            }
        }
    }
}

impl<T> Serialize for In<'_, [T]>
where
    for<'b> In<'b, T>: Serialize,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for item in self.0 {
            seq.serialize_element(&In(item, self.1))?;
        }
        seq.end()
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
    /// Where the pooled parts of this traceable live (shared by all traceables of a result);
    /// `None` while it is being built.
    pub arena: Option<Arc<Arena>>,
}

impl Traceable {
    fn arena(&self) -> &Arena {
        self.arena.as_deref().unwrap_or(&EMPTY_ARENA)
    }

    /// One of this traceable's texts, rendered.
    pub fn render(&self, text: &Text) -> String {
        text.render_in(self.arena())
    }

    /// The entries of one of this traceable's objects.
    pub fn entries<'a>(&'a self, fields: &'a Fields) -> &'a [(Key, Value)] {
        fields.entries(self.arena())
    }

    /// The value of `key` in one of this traceable's objects.
    pub fn field<'a>(&'a self, fields: &'a Fields, key: &str) -> Option<&'a Value> {
        find(self.entries(fields), key)
    }
}

impl Serialize for In<'_, Component> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (c, arena) = (self.0, self.1);
        let mut map = s.serialize_map(Some(4))?;
        map.serialize_entry("name", &In(&c.name, arena))?;
        map.serialize_entry("value", &c.value)?;
        map.serialize_entry("unit", c.unit)?;
        map.serialize_entry("description", &In(&c.description, arena))?;
        map.end()
    }
}

impl Serialize for In<'_, Step> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (step, arena) = (self.0, self.1);
        let mut map = s.serialize_map(Some(6))?;
        map.serialize_entry("step", &step.step)?;
        map.serialize_entry("description", &In(&step.description, arena))?;
        map.serialize_entry("formula", &In(&step.formula, arena))?;
        map.serialize_entry("calculation", &In(&step.calculation, arena))?;
        map.serialize_entry("result", &step.result)?;
        map.serialize_entry("details", &step.details.as_ref().map(|d| In(d, arena)))?;
        map.end()
    }
}

impl Serialize for Component {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        In(self, &EMPTY_ARENA).serialize(s)
    }
}

impl Serialize for Step {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        In(self, &EMPTY_ARENA).serialize(s)
    }
}

impl Serialize for Traceable {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let arena = self.arena();
        let mut map = s.serialize_map(Some(8))?;
        map.serialize_entry("name", self.name)?;
        map.serialize_entry("value", &self.value)?;
        map.serialize_entry("unit", self.unit)?;
        map.serialize_entry("formula", &In(&self.formula, arena))?;
        map.serialize_entry("inputs", &In(&self.inputs, arena))?;
        map.serialize_entry("components", &In(self.components.as_slice(), arena))?;
        map.serialize_entry(
            "calculation_steps",
            &In(self.calculation_steps.as_slice(), arena),
        )?;
        map.serialize_entry("metadata", &In(&self.metadata, arena))?;
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
    fn names_render_as_is_or_upper_cased_like_python() {
        let mut pool = Pool::default();
        let name = pool.name("straße jet");
        let t = pool.text([upper(name), Piece::Str(" / "), Piece::from(name)]);
        let arena = pool.into_arena();
        assert_eq!(t.render_in(&arena), "STRASSE JET / straße jet");
        let json = serde_json::to_string(&In(&Text::from(Piece::from(name)), &arena)).unwrap();
        assert_eq!(json, "\"straße jet\"");
    }

    #[test]
    fn non_finite_numbers_serialise_as_zero() {
        let v = Value::List(vec![f64::NAN.into(), f64::INFINITY.into(), 2_i64.into()]);
        assert_eq!(serde_json::to_string(&v).unwrap(), "[0.0,0.0,2]");
    }

    #[test]
    fn pooled_parts_serialise_through_their_traceable() {
        let mut pool = Pool::default();
        let formula = pool.text([Piece::Str("a = "), repr(0.5)]);
        let names = pool.list([Value::from("jet"), Value::from("diesel")]);
        let inputs = pool.fields([("x".into(), quantity(1.0, "t")), ("names".into(), names)]);
        let t = Traceable {
            name: "N",
            value: Num::I(3),
            unit: "u",
            formula: formula.clone(),
            inputs: inputs.clone(),
            components: Vec::new(),
            calculation_steps: Vec::new(),
            metadata: Fields::new(),
            arena: Some(Arc::new(pool.into_arena())),
        };
        assert_eq!(t.render(&formula), "a = 0.5");
        assert_eq!(
            t.field(&inputs, "names"),
            Some(&Value::PooledList(Span { start: 0, end: 2 }))
        );
        assert_eq!(
            serde_json::to_value(&t).unwrap(),
            serde_json::json!({
                "name": "N", "value": 3, "unit": "u", "formula": "a = 0.5",
                "inputs": {"x": {"value": 1.0, "unit": "t"}, "names": ["jet", "diesel"]},
                "components": [], "calculation_steps": [], "metadata": {}
            })
        );
    }
}
