//! Number formatting as the original's display strings print it (Python's `repr` and
//! `format` mini-language), so traceable text states the same figures the original showed.

use std::fmt::{self, Write};

/// A text buffer on the stack that moves to the heap only past its capacity: formatting a
/// number or a whole display string without allocating, to hand it on in one piece.
pub struct StackBuf<const N: usize> {
    bytes: [u8; N],
    len: usize,
    spilled: Option<String>,
}

impl<const N: usize> StackBuf<N> {
    pub fn new() -> Self {
        StackBuf {
            bytes: [0; N],
            len: 0,
            spilled: None,
        }
    }

    pub fn as_str(&self) -> &str {
        match &self.spilled {
            Some(s) => s,
            // Only whole `&str`s are ever copied in, so the bytes are valid UTF-8.
            None => std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default(),
        }
    }
}

impl<const N: usize> Default for StackBuf<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Write for StackBuf<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if let Some(spilled) = &mut self.spilled {
            spilled.push_str(s);
            return Ok(());
        }
        match self.bytes.get_mut(self.len..self.len + s.len()) {
            Some(room) => {
                room.copy_from_slice(s.as_bytes());
                self.len += s.len();
            }
            None => {
                let mut spilled = String::with_capacity(2 * N);
                spilled.push_str(self.as_str());
                spilled.push_str(s);
                self.spilled = Some(spilled);
            }
        }
        Ok(())
    }
}

/// Python `repr(float)` / `str(float)`: shortest round-trip digits, fixed notation for
/// exponents in `-4..16` (always with a fractional part), scientific (`1e+16`, `1.5e-05`) outside.
pub fn write_repr(out: &mut impl Write, x: f64) -> fmt::Result {
    if let Some(special) = non_finite(x) {
        return out.write_str(special);
    }
    if x == 0.0 {
        return out.write_str(if x.is_sign_negative() { "-0.0" } else { "0.0" });
    }
    // `{:e}` yields the shortest round-trip digits as `d.ddde<exp>`.
    let mut sci = StackBuf::<40>::new();
    write!(sci, "{x:e}")?;
    let (mantissa, exp) = sci.as_str().split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let mut digits_buf = StackBuf::<40>::new();
    for c in mantissa.chars().filter(char::is_ascii_digit) {
        digits_buf.write_char(c)?;
    }
    let digits = digits_buf.as_str();
    if negative {
        out.write_char('-')?;
    }
    if (-4..16).contains(&exp) {
        if exp < 0 {
            out.write_str("0.")?;
            for _ in 0..(-exp - 1) {
                out.write_char('0')?;
            }
            out.write_str(digits)
        } else {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.write_str(digits)?;
                for _ in digits.len()..int_len {
                    out.write_char('0')?;
                }
                out.write_str(".0")
            } else {
                out.write_str(&digits[..int_len])?;
                out.write_char('.')?;
                out.write_str(&digits[int_len..])
            }
        }
    } else {
        out.write_str(&digits[..1])?;
        if digits.len() > 1 {
            out.write_char('.')?;
            out.write_str(&digits[1..])?;
        }
        let sign = if exp < 0 { '-' } else { '+' };
        write!(out, "e{sign}{:02}", exp.unsigned_abs())
    }
}

/// Python `format(x, ".{prec}f")`, or `",.{prec}f"` with `thousands` set.
pub fn write_fixed(out: &mut impl Write, x: f64, prec: usize, thousands: bool) -> fmt::Result {
    if let Some(special) = non_finite(x) {
        return out.write_str(special);
    }
    let mut buf = StackBuf::<64>::new();
    // Whole numbers (most amounts here) are exact: print them as integers, which is much
    // faster than the general exact float formatting and gives the same text.
    if x.fract() == 0.0 && x.abs() < 9_007_199_254_740_992.0 {
        if x.is_sign_negative() {
            buf.write_char('-')?;
        }
        write!(buf, "{}", x.abs() as u64)?;
        if prec > 0 {
            buf.write_char('.')?;
            for _ in 0..prec {
                buf.write_char('0')?;
            }
        }
    } else {
        write!(buf, "{x:.prec$}")?;
    }
    let plain = buf.as_str();
    if !thousands {
        return out.write_str(plain);
    }
    let (sign, body) = match plain.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", plain),
    };
    let (int_part, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    out.write_str(sign)?;
    write_grouped(out, int_part)?;
    if let Some(frac) = frac {
        out.write_char('.')?;
        out.write_str(frac)?;
    }
    Ok(())
}

/// Python `format(n, ",")` for an integer.
pub fn write_int(out: &mut impl Write, n: i64, thousands: bool) -> fmt::Result {
    if !thousands {
        return write!(out, "{n}");
    }
    if n < 0 {
        out.write_char('-')?;
    }
    let mut digits = StackBuf::<24>::new();
    write!(digits, "{}", n.unsigned_abs())?;
    write_grouped(out, digits.as_str())
}

fn write_grouped(out: &mut impl Write, digits: &str) -> fmt::Result {
    let len = digits.len();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (len - i).is_multiple_of(3) {
            out.write_char(',')?;
        }
        out.write_char(c)?;
    }
    Ok(())
}

fn non_finite(x: f64) -> Option<&'static str> {
    if x.is_nan() {
        Some("nan")
    } else if x == f64::INFINITY {
        Some("inf")
    } else if x == f64::NEG_INFINITY {
        Some("-inf")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repr(x: f64) -> String {
        let mut s = String::new();
        write_repr(&mut s, x).unwrap();
        s
    }

    fn fixed(x: f64, prec: usize, thousands: bool) -> String {
        let mut s = String::new();
        write_fixed(&mut s, x, prec, thousands).unwrap();
        s
    }

    #[test]
    fn repr_matches_python() {
        assert_eq!(repr(400.0), "400.0");
        assert_eq!(repr(0.07), "0.07");
        assert_eq!(repr(-0.0), "-0.0");
        assert_eq!(repr(1e16), "1e+16");
        assert_eq!(repr(1.5e16), "1.5e+16");
        assert_eq!(repr(123456789012345.6), "123456789012345.6");
        assert_eq!(repr(1e-5), "1e-05");
        assert_eq!(repr(0.0001), "0.0001");
        assert_eq!(repr(-2.5e-7), "-2.5e-07");
        assert_eq!(repr(9.113999999999999), "9.113999999999999");
        assert_eq!(repr(f64::NAN), "nan");
        assert_eq!(repr(f64::NEG_INFINITY), "-inf");
    }

    #[test]
    fn fixed_matches_python() {
        assert_eq!(fixed(400000000.0, 0, true), "400,000,000");
        assert_eq!(fixed(-429592829.70269775, 2, true), "-429,592,829.70");
        assert_eq!(fixed(37757170.29730227, 2, true), "37,757,170.30");
        assert_eq!(fixed(999.5, 0, true), "1,000");
        assert_eq!(fixed(0.094393, 6, false), "0.094393");
        assert_eq!(fixed(12.0, 0, true), "12");
        assert_eq!(fixed(-0.4, 0, true), "-0");
        assert_eq!(fixed(f64::INFINITY, 2, true), "inf");
        assert_eq!(fixed(-0.0, 2, false), "-0.00");
        assert_eq!(fixed(-0.0, 0, true), "-0");
        assert_eq!(fixed(-562650000.0, 2, true), "-562,650,000.00");
        assert_eq!(
            fixed(9007199254740992.0, 1, true),
            "9,007,199,254,740,992.0"
        );
        assert_eq!(fixed(1e22, 0, false), "10000000000000000000000");
        assert_eq!(fixed(2.5, 0, false), "2");
    }

    #[test]
    fn stack_buffer_spills_to_the_heap_past_its_capacity() {
        let mut b = StackBuf::<4>::new();
        b.write_str("ab").unwrap();
        b.write_str("×").unwrap();
        assert_eq!(b.as_str(), "ab×");
        b.write_str("cd").unwrap();
        assert_eq!(b.as_str(), "ab×cd");
        assert_eq!(fixed(1e300, 2, true).len(), 301 + 100 + 3);
    }

    #[test]
    fn ints_group_like_python() {
        let mut s = String::new();
        write_int(&mut s, -1234567, true).unwrap();
        assert_eq!(s, "-1,234,567");
    }
}
