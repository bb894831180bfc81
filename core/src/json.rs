//! Compact JSON output, byte for byte what `serde_json::to_vec` writes, but faster for the
//! result documents: strings are checked for characters to escape many bytes at a time (most
//! of a result is display text that needs no escaping) and the output is written into one
//! pre-sized buffer. Numbers and escapes are written by `serde_json`'s own formatter.

use std::io;

use serde::Serialize;
use serde::ser::{self, Error as _};
use serde_json::ser::{CharEscape, CompactFormatter, Formatter};

/// Room for a typical result document (about 50 KB) without growing the buffer.
pub const RESULT_CAPACITY: usize = 64 * 1024;

/// `value` as compact JSON, identical to `serde_json::to_vec(value)`.
///
/// # Errors
/// Where `serde_json` fails too: a map key that is not a string, number, bool or char, or a
/// `Serialize` implementation that reports an error.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::with_capacity(RESULT_CAPACITY);
    to_writer_vec(&mut out, value)?;
    Ok(out)
}

/// `value` as compact JSON text, identical to `serde_json::to_string(value)`.
///
/// # Errors
/// As [`to_vec`].
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, serde_json::Error> {
    let bytes = to_vec(value)?;
    // Only whole `&str`s and ASCII are written, so this never fails.
    String::from_utf8(bytes).map_err(serde_json::Error::custom)
}

/// Appends `value` as compact JSON to `out`.
///
/// # Errors
/// As [`to_vec`]; `out` may then hold part of the document.
pub fn to_writer_vec<T: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    value: &T,
) -> Result<(), serde_json::Error> {
    value.serialize(&mut Json { out })
}

/// The serializer: compact JSON appended to a byte vector.
pub struct Json<'a> {
    out: &'a mut Vec<u8>,
}

fn io_error(e: io::Error) -> serde_json::Error {
    serde_json::Error::io(e)
}

/// Whether a byte must be escaped in a JSON string (as `serde_json` escapes: control
/// characters, `"` and `\`).
#[inline]
fn escaped(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// Whether any byte of the word must be escaped, tested on all eight at once (exact for "any":
/// a borrow can only mark bytes above a byte that does match).
#[inline]
fn word_needs_escape(w: u64) -> bool {
    let below_space = w.wrapping_sub(ONES * 0x20) & !w;
    let q = w ^ (ONES * u64::from(b'"'));
    let quote = q.wrapping_sub(ONES) & !q;
    let b = w ^ (ONES * u64::from(b'\\'));
    let backslash = b.wrapping_sub(ONES) & !b;
    (below_space | quote | backslash) & HIGH_BITS != 0
}

/// The position of the first byte to escape, checking eight bytes at a time.
#[inline]
fn first_escape(bytes: &[u8]) -> Option<usize> {
    let position = |from: usize| {
        bytes[from..]
            .iter()
            .position(|&b| escaped(b))
            .map(|i| from + i)
    };
    if bytes.len() < 8 {
        return position(0);
    }
    let word_at = |at: usize| {
        let mut word = [0; 8];
        word.copy_from_slice(&bytes[at..at + 8]);
        word_needs_escape(u64::from_le_bytes(word))
    };
    let mut at = 0;
    while at + 8 <= bytes.len() {
        if word_at(at) {
            return position(at);
        }
        at += 8;
    }
    // The last (partial) word, tested as the last eight bytes.
    if at < bytes.len() && word_at(bytes.len() - 8) {
        return position(at);
    }
    None
}

/// Writes `s` as a JSON string with `serde_json`'s escapes.
fn write_str(out: &mut Vec<u8>, s: &str) -> io::Result<()> {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let Some(mut i) = first_escape(bytes) else {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return Ok(());
    };
    let mut rest = bytes;
    loop {
        out.extend_from_slice(&rest[..i]);
        let b = rest[i];
        let escape = match b {
            b'"' => CharEscape::Quote,
            b'\\' => CharEscape::ReverseSolidus,
            b'\x08' => CharEscape::Backspace,
            b'\x0c' => CharEscape::FormFeed,
            b'\n' => CharEscape::LineFeed,
            b'\r' => CharEscape::CarriageReturn,
            b'\t' => CharEscape::Tab,
            _ => CharEscape::AsciiControl(b),
        };
        CompactFormatter.write_char_escape(out, escape)?;
        rest = &rest[i + 1..];
        match first_escape(rest) {
            Some(next) => i = next,
            None => break,
        }
    }
    out.extend_from_slice(rest);
    out.push(b'"');
    Ok(())
}

impl<'b> ser::Serializer for &'b mut Json<'_> {
    type Ok = ();
    type Error = serde_json::Error;
    type SerializeSeq = Compound<'b>;
    type SerializeTuple = Compound<'b>;
    type SerializeTupleStruct = Compound<'b>;
    type SerializeTupleVariant = Compound<'b>;
    type SerializeMap = Compound<'b>;
    type SerializeStruct = Compound<'b>;
    type SerializeStructVariant = Compound<'b>;

    fn serialize_bool(self, v: bool) -> Result<(), Self::Error> {
        CompactFormatter.write_bool(self.out, v).map_err(io_error)
    }

    fn serialize_i8(self, v: i8) -> Result<(), Self::Error> {
        CompactFormatter.write_i8(self.out, v).map_err(io_error)
    }

    fn serialize_i16(self, v: i16) -> Result<(), Self::Error> {
        CompactFormatter.write_i16(self.out, v).map_err(io_error)
    }

    fn serialize_i32(self, v: i32) -> Result<(), Self::Error> {
        CompactFormatter.write_i32(self.out, v).map_err(io_error)
    }

    fn serialize_i64(self, v: i64) -> Result<(), Self::Error> {
        CompactFormatter.write_i64(self.out, v).map_err(io_error)
    }

    fn serialize_i128(self, v: i128) -> Result<(), Self::Error> {
        CompactFormatter.write_i128(self.out, v).map_err(io_error)
    }

    fn serialize_u8(self, v: u8) -> Result<(), Self::Error> {
        CompactFormatter.write_u8(self.out, v).map_err(io_error)
    }

    fn serialize_u16(self, v: u16) -> Result<(), Self::Error> {
        CompactFormatter.write_u16(self.out, v).map_err(io_error)
    }

    fn serialize_u32(self, v: u32) -> Result<(), Self::Error> {
        CompactFormatter.write_u32(self.out, v).map_err(io_error)
    }

    fn serialize_u64(self, v: u64) -> Result<(), Self::Error> {
        CompactFormatter.write_u64(self.out, v).map_err(io_error)
    }

    fn serialize_u128(self, v: u128) -> Result<(), Self::Error> {
        CompactFormatter.write_u128(self.out, v).map_err(io_error)
    }

    fn serialize_f32(self, v: f32) -> Result<(), Self::Error> {
        if v.is_finite() {
            CompactFormatter.write_f32(self.out, v).map_err(io_error)
        } else {
            self.serialize_unit()
        }
    }

    fn serialize_f64(self, v: f64) -> Result<(), Self::Error> {
        if v.is_finite() {
            CompactFormatter.write_f64(self.out, v).map_err(io_error)
        } else {
            self.serialize_unit()
        }
    }

    fn serialize_char(self, v: char) -> Result<(), Self::Error> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, v: &str) -> Result<(), Self::Error> {
        write_str(self.out, v).map_err(io_error)
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), Self::Error> {
        use ser::SerializeSeq;
        let mut seq = self.serialize_seq(Some(v.len()))?;
        for b in v {
            seq.serialize_element(b)?;
        }
        seq.end()
    }

    fn serialize_none(self) -> Result<(), Self::Error> {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Self::Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Self::Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Self::Error> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Self::Error> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Self::Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Self::Error> {
        self.out.push(b'{');
        self.serialize_str(variant)?;
        self.out.push(b':');
        value.serialize(&mut *self)?;
        self.out.push(b'}');
        Ok(())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'b>, Self::Error> {
        self.out.push(b'[');
        Ok(Compound::new(self.out, b"]"))
    }

    fn serialize_tuple(self, len: usize) -> Result<Compound<'b>, Self::Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'b>, Self::Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'b>, Self::Error> {
        self.out.push(b'{');
        write_str(self.out, variant).map_err(io_error)?;
        self.out.extend_from_slice(b":[");
        Ok(Compound::new(self.out, b"]}"))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'b>, Self::Error> {
        self.out.push(b'{');
        Ok(Compound::new(self.out, b"}"))
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'b>, Self::Error> {
        self.serialize_map(Some(len))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'b>, Self::Error> {
        self.out.push(b'{');
        write_str(self.out, variant).map_err(io_error)?;
        self.out.extend_from_slice(b":{");
        Ok(Compound::new(self.out, b"}}"))
    }
}

/// An array or object being written: its separator state and closing bytes.
pub struct Compound<'b> {
    out: &'b mut Vec<u8>,
    first: bool,
    close: &'static [u8],
}

impl<'b> Compound<'b> {
    fn new(out: &'b mut Vec<u8>, close: &'static [u8]) -> Self {
        Compound {
            out,
            first: true,
            close,
        }
    }

    fn separate(&mut self) {
        if self.first {
            self.first = false;
        } else {
            self.out.push(b',');
        }
    }

    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), serde_json::Error> {
        value.serialize(&mut Json { out: self.out })
    }

    fn key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), serde_json::Error> {
        self.separate();
        key.serialize(MapKey { out: self.out })?;
        self.out.push(b':');
        Ok(())
    }

    fn close(self) {
        self.out.extend_from_slice(self.close);
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        self.separate();
        self.value(value)
    }

    fn end(self) -> Result<(), Self::Error> {
        self.close();
        Ok(())
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        ser::SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result<(), Self::Error> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        ser::SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result<(), Self::Error> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleVariant for Compound<'_> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        ser::SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result<(), Self::Error> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Self::Error> {
        self.key(key)
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        self.value(value)
    }

    fn end(self) -> Result<(), Self::Error> {
        self.close();
        Ok(())
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Self::Error> {
        self.key(key)?;
        self.value(value)
    }

    fn end(self) -> Result<(), Self::Error> {
        self.close();
        Ok(())
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Self::Error> {
        ser::SerializeStruct::serialize_field(self, key, value)
    }

    fn end(self) -> Result<(), Self::Error> {
        self.close();
        Ok(())
    }
}

/// An object key: a string, or a number, bool or char written as a string (as `serde_json`
/// accepts them).
struct MapKey<'a> {
    out: &'a mut Vec<u8>,
}

fn key_must_be_a_string() -> serde_json::Error {
    serde_json::Error::custom("key must be a string")
}

impl MapKey<'_> {
    fn quoted(self, write: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> serde_json::Result<()> {
        self.out.push(b'"');
        write(self.out).map_err(io_error)?;
        self.out.push(b'"');
        Ok(())
    }
}

impl ser::Serializer for MapKey<'_> {
    type Ok = ();
    type Error = serde_json::Error;
    type SerializeSeq = ser::Impossible<(), serde_json::Error>;
    type SerializeTuple = ser::Impossible<(), serde_json::Error>;
    type SerializeTupleStruct = ser::Impossible<(), serde_json::Error>;
    type SerializeTupleVariant = ser::Impossible<(), serde_json::Error>;
    type SerializeMap = ser::Impossible<(), serde_json::Error>;
    type SerializeStruct = ser::Impossible<(), serde_json::Error>;
    type SerializeStructVariant = ser::Impossible<(), serde_json::Error>;

    fn serialize_str(self, v: &str) -> Result<(), Self::Error> {
        write_str(self.out, v).map_err(io_error)
    }

    fn serialize_char(self, v: char) -> Result<(), Self::Error> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_bool(self, v: bool) -> Result<(), Self::Error> {
        self.quoted(|o| CompactFormatter.write_bool(o, v))
    }

    fn serialize_i8(self, v: i8) -> Result<(), Self::Error> {
        self.quoted(|o| CompactFormatter.write_i8(o, v))
    }

    fn serialize_i16(self, v: i16) -> Result<(), Self::Error> {
        self.quoted(|o| CompactFormatter.write_i16(o, v))
    }

    fn serialize_i32(self, v: i32) -> Result<(), Self::Error> {
        self.quoted(|o| CompactFormatter.write_i32(o, v))
    }

    fn serialize_i64(self, v: i64) -> Result<(), Self::Error> {
        self.quoted(|o| CompactFormatter.write_i64(o, v))
    }

    fn serialize_i128(self, v: i128) -> Result<(), Self::Error> {
        self.quoted(|o| CompactFormatter.write_i128(o, v))
    }

    fn serialize_u8(self, v: u8) -> Result<(), Self::Error> {
        self.quoted(|o| CompactFormatter.write_u8(o, v))
    }

    fn serialize_u16(self, v: u16) -> Result<(), Self::Error> {
        self.quoted(|o| CompactFormatter.write_u16(o, v))
    }

    fn serialize_u32(self, v: u32) -> Result<(), Self::Error> {
        self.quoted(|o| CompactFormatter.write_u32(o, v))
    }

    fn serialize_u64(self, v: u64) -> Result<(), Self::Error> {
        self.quoted(|o| CompactFormatter.write_u64(o, v))
    }

    fn serialize_u128(self, v: u128) -> Result<(), Self::Error> {
        self.quoted(|o| CompactFormatter.write_u128(o, v))
    }

    fn serialize_f32(self, v: f32) -> Result<(), Self::Error> {
        if !v.is_finite() {
            return Err(key_must_be_a_string());
        }
        self.quoted(|o| CompactFormatter.write_f32(o, v))
    }

    fn serialize_f64(self, v: f64) -> Result<(), Self::Error> {
        if !v.is_finite() {
            return Err(key_must_be_a_string());
        }
        self.quoted(|o| CompactFormatter.write_f64(o, v))
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Self::Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_none(self) -> Result<(), Self::Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<(), Self::Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_unit(self) -> Result<(), Self::Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Self::Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Self::Error> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Self::Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Self::Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Self::Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Self::Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Self::Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Self::Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Self::Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Self::Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Self::Error> {
        Err(key_must_be_a_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn same(value: &(impl Serialize + ?Sized)) {
        let ours = to_vec(value).unwrap();
        let theirs = serde_json::to_vec(value).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&theirs)
        );
    }

    #[test]
    fn strings_escape_like_serde_json() {
        let mut all_bytes: String = (0u8..0x80).map(char::from).collect();
        all_bytes.push_str("é×ß€😀\u{2028}\u{7f}");
        for s in [
            "",
            "plain",
            "quote \" inside",
            "back\\slash",
            "\"",
            "\\",
            "line\nbreak\ttab\r\u{8}\u{c}\u{1}\u{1f}",
            "exactly sixteen!",
            "sixteen and one\"",
            "a long run of plain text, longer than one chunk of sixteen bytes\u{0}",
            "JET Ä \"fuel\" \\ ü",
            &all_bytes,
        ] {
            same(s);
            same(&[s, s]);
            let mut map = BTreeMap::new();
            map.insert(s, s);
            same(&map);
        }
    }

    #[test]
    fn the_word_test_finds_every_byte_to_escape_at_every_position() {
        for len in 0..24 {
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut bytes = vec![b'a'; len];
                    // Neighbours that could borrow into the tested byte.
                    if at > 0 {
                        bytes[at - 1] = 0x20;
                    }
                    bytes[at] = b;
                    let expected = bytes.iter().position(|&c| escaped(c));
                    assert_eq!(first_escape(&bytes), expected, "{bytes:?}");
                }
            }
        }
    }

    #[test]
    fn values_write_like_serde_json() {
        same(&json!({
            "a": [1, -2, 3.5, 1e300, -0.0, 0.1, 1e16, 1.5e-7, null, true, false],
            "b": {"nested": {"deep": []}, "empty": {}},
            "c": "text",
            "u": u64::MAX, "i": i64::MIN,
        }));
        same(&[f64::NAN, f64::INFINITY, 2.0]);
        same(&(1_u8, 'x', Some(2.5_f32), None::<i32>, ()));
        let mut keyed = BTreeMap::new();
        keyed.insert(7_i32, "seven");
        keyed.insert(-1, "minus one");
        same(&keyed);
        let mut bool_keys = BTreeMap::new();
        bool_keys.insert(true, 1);
        same(&bool_keys);
        let bytes: &[u8] = b"\x00\xff";
        same(&serde_bytes_like(bytes));
    }

    struct Bytes<'a>(&'a [u8]);

    impl Serialize for Bytes<'_> {
        fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(self.0)
        }
    }

    fn serde_bytes_like(b: &[u8]) -> Bytes<'_> {
        Bytes(b)
    }

    #[derive(Serialize)]
    enum Shape {
        Unit,
        Newtype(i32),
        Tuple(i32, String),
        Struct { x: f64, label: &'static str },
    }

    #[test]
    fn enums_write_like_serde_json() {
        same(&[
            Shape::Unit,
            Shape::Newtype(3),
            Shape::Tuple(1, "\"q\"".into()),
            Shape::Struct { x: 0.5, label: "l" },
        ]);
    }

    #[test]
    fn unsupported_keys_fail_like_serde_json() {
        let mut map = BTreeMap::new();
        map.insert(vec![1], 2);
        assert!(to_vec(&map).is_err());
        assert!(serde_json::to_vec(&map).is_err());
    }
}
