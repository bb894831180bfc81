//! Number formatting as the original's display strings print it (Python's `repr` and
//! `format` mini-language), so traceable text states the same figures the original showed.

use std::fmt::{self, Write};

use serde_json::ser::{CompactFormatter, Formatter};

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

/// A small byte buffer on the stack for ASCII number text: formatting writes that do not fit
/// fail (with `fmt::Error`) instead of moving to the heap.
struct Ascii<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> Ascii<N> {
    fn new() -> Self {
        Ascii {
            bytes: [0; N],
            len: 0,
        }
    }

    fn push(&mut self, b: u8) -> fmt::Result {
        let slot = self.bytes.get_mut(self.len).ok_or(fmt::Error)?;
        *slot = b;
        self.len += 1;
        Ok(())
    }

    fn extend(&mut self, bs: &[u8]) -> fmt::Result {
        let room = self
            .bytes
            .get_mut(self.len..self.len + bs.len())
            .ok_or(fmt::Error)?;
        room.copy_from_slice(bs);
        self.len += bs.len();
        Ok(())
    }

    fn repeat(&mut self, b: u8, n: usize) -> fmt::Result {
        let room = self
            .bytes
            .get_mut(self.len..self.len + n)
            .ok_or(fmt::Error)?;
        room.fill(b);
        self.len += n;
        Ok(())
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// Hands the text to `out` in one piece (only ASCII is ever pushed).
    fn write_to(&self, out: &mut impl Write) -> fmt::Result {
        out.write_str(std::str::from_utf8(self.as_bytes()).map_err(|_| fmt::Error)?)
    }
}

impl<const N: usize> Write for Ascii<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.extend(s.as_bytes())
    }
}

/// The shortest decimal digits that round-trip to a finite, non-zero `|x|` (closest to the
/// exact value among the shortest), as ASCII digits without trailing zeros, and the position
/// of the decimal point: `|x| ≈ 0.d₁d₂…dₖ × 10^point`.
struct Shortest {
    digits: Ascii<24>,
    point: i32,
}

fn shortest(x: f64) -> Result<Shortest, fmt::Error> {
    // `serde_json` writes floats with the shortest round-trip digits (closest to the exact
    // value among the shortest, as Rust's `{:e}` and Python's `repr` choose them), several
    // times faster than `{:e}`: `123.45`, `0.0001`, `1e16`, `1.5e-7`.
    let mut raw = [0u8; 40];
    let len = {
        let mut w: &mut [u8] = &mut raw;
        CompactFormatter
            .write_f64(&mut w, x.abs())
            .map_err(|_| fmt::Error)?;
        40 - w.len()
    };
    let text = &raw[..len];
    let (mantissa, exp) = match text.iter().position(|&b| b == b'e') {
        Some(at) => (&text[..at], &text[at + 1..]),
        None => (text, &b""[..]),
    };
    let (negative, exp) = match exp {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        rest => (false, rest),
    };
    let mut e: i32 = 0;
    for &b in exp {
        e = e * 10 + i32::from(b.wrapping_sub(b'0'));
    }
    let e = if negative { -e } else { e };
    let int_len = mantissa
        .iter()
        .position(|&b| b == b'.')
        .unwrap_or(mantissa.len());
    let mut point = int_len as i32 + e;
    let mut digits = Ascii::<24>::new();
    for &b in mantissa {
        if b == b'.' {
            continue;
        }
        if b == b'0' && digits.len == 0 {
            point -= 1;
        } else {
            digits.push(b)?;
        }
    }
    while digits.len > 1 && digits.bytes[digits.len - 1] == b'0' {
        digits.len -= 1;
    }
    if digits.len == 0 {
        return Err(fmt::Error);
    }
    Ok(Shortest { digits, point })
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
    let Shortest { digits, point } = shortest(x)?;
    let digits = digits.as_bytes();
    let exp = point - 1;
    let mut o = Ascii::<48>::new();
    if x.is_sign_negative() {
        o.push(b'-')?;
    }
    if (-4..16).contains(&exp) {
        if exp < 0 {
            o.extend(b"0.")?;
            o.repeat(b'0', (-exp - 1) as usize)?;
            o.extend(digits)?;
        } else {
            let int_len = point as usize;
            if digits.len() <= int_len {
                o.extend(digits)?;
                o.repeat(b'0', int_len - digits.len())?;
                o.extend(b".0")?;
            } else {
                o.extend(&digits[..int_len])?;
                o.push(b'.')?;
                o.extend(&digits[int_len..])?;
            }
        }
    } else {
        o.push(digits[0])?;
        if digits.len() > 1 {
            o.push(b'.')?;
            o.extend(&digits[1..])?;
        }
        let sign = if exp < 0 { '-' } else { '+' };
        write!(o, "e{sign}{:02}", exp.unsigned_abs())?;
    }
    o.write_to(out)
}

/// `10^-n` for the precisions the fast path of [`write_fixed`] takes.
const NEG_POW10: [f64; 18] = [
    1.0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12, 1e-13, 1e-14,
    1e-15, 1e-16, 1e-17,
];

/// The digits of `|x|` rounded to `prec` decimals as a whole number (`round(|x| × 10^prec)`,
/// no leading zeros, empty for zero), from the shortest round-trip digits, or `None` where
/// those do not decide the exact rounding.
///
/// Exact: the shortest digits `D` lie within half an ulp of the exact value `v`, and no number
/// strictly between `v` and `D` is as short as `D` and closer to `v`. So where `D` has digits
/// past the rounding position and they are not exactly `5` (a tie of `D`, which may not be one
/// of `v`), the rounding midpoint cannot lie between `v` and `D` (it would be a shorter or closer
/// candidate), and `v` rounds the way `D` does. Where `D` has no digits past the position, `v`
/// rounds to `D` itself when half an ulp is less than half a unit of the last decimal.
fn fixed_digits(x: f64, prec: usize) -> Option<Ascii<48>> {
    let pow = *NEG_POW10.get(prec)?;
    let Shortest { digits, point } = shortest(x).ok()?;
    let d = digits.as_bytes();
    let k = d.len() as i32;
    let keep = point + prec as i32;
    let mut s = Ascii::<48>::new();
    if k <= keep {
        // |x| < 2^53 has ulp(x) = 2^(exponent - 52) ≤ |x| × 2^-52; require it below 10^-prec
        // with a margin, so v = D ± ulp/2 rounds to D.
        let ulp_bound = x.abs() * f64::EPSILON;
        if ulp_bound >= 0.5 * pow {
            return None;
        }
        s.extend(d).ok()?;
        s.repeat(b'0', (keep - k) as usize).ok()?;
        return Some(s);
    }
    if keep < 0 {
        // |x| < 10^-(prec + 1): rounds to zero.
        return Some(s);
    }
    let keep = keep as usize;
    let first = d[keep];
    if first == b'5' && d.len() == keep + 1 {
        return None;
    }
    s.extend(&d[..keep]).ok()?;
    if first >= b'5' {
        let mut carry = true;
        for b in s.bytes[..s.len].iter_mut().rev() {
            if *b == b'9' {
                *b = b'0';
            } else {
                *b += 1;
                carry = false;
                break;
            }
        }
        if carry {
            // All nines (or nothing kept): one more digit, a leading 1.
            let mut up = Ascii::<48>::new();
            up.push(b'1').ok()?;
            up.extend(s.as_bytes()).ok()?;
            s = up;
        }
    }
    Some(s)
}

/// Writes `sign`, the whole-number digits `scaled` (the value × 10^prec) with a decimal point
/// before the last `prec`, grouped in thousands if asked.
fn write_scaled(
    out: &mut impl Write,
    negative: bool,
    scaled: &[u8],
    prec: usize,
    thousands: bool,
) -> fmt::Result {
    let mut o = Ascii::<96>::new();
    if negative {
        o.push(b'-')?;
    }
    if scaled.len() <= prec {
        o.push(b'0')?;
        if prec > 0 {
            o.push(b'.')?;
            o.repeat(b'0', prec - scaled.len())?;
            o.extend(scaled)?;
        }
    } else {
        let (int_part, frac) = scaled.split_at(scaled.len() - prec);
        push_grouped(&mut o, int_part, thousands)?;
        if prec > 0 {
            o.push(b'.')?;
            o.extend(frac)?;
        }
    }
    o.write_to(out)
}

fn push_grouped<const N: usize>(o: &mut Ascii<N>, digits: &[u8], thousands: bool) -> fmt::Result {
    if !thousands {
        return o.extend(digits);
    }
    let head = match digits.len() % 3 {
        0 => 3.min(digits.len()),
        r => r,
    };
    o.extend(&digits[..head])?;
    for group in digits[head..].chunks(3) {
        o.push(b',')?;
        o.extend(group)?;
    }
    Ok(())
}

/// Python `format(x, ".{prec}f")`, or `",.{prec}f"` with `thousands` set.
pub fn write_fixed(out: &mut impl Write, x: f64, prec: usize, thousands: bool) -> fmt::Result {
    if let Some(special) = non_finite(x) {
        return out.write_str(special);
    }
    let negative = x.is_sign_negative();
    // Whole numbers (most amounts here) are exact: their digits and `prec` zeros.
    if x.fract() == 0.0 && x.abs() < 9_007_199_254_740_992.0 && prec <= 32 {
        let mut scaled = Ascii::<48>::new();
        write!(scaled, "{}", x.abs() as u64)?;
        if x.abs() >= 1.0 {
            scaled.repeat(b'0', prec)?;
        } else {
            scaled.len = 0;
        }
        return write_scaled(out, negative, scaled.as_bytes(), prec, thousands);
    }
    match fixed_digits(x, prec) {
        Some(scaled) => write_scaled(out, negative, scaled.as_bytes(), prec, thousands),
        None => write_fixed_exact(out, x, prec, thousands),
    }
}

/// [`write_fixed`] by Rust's exact float formatting (slow, exact for any value).
fn write_fixed_exact(out: &mut impl Write, x: f64, prec: usize, thousands: bool) -> fmt::Result {
    let mut buf = StackBuf::<64>::new();
    write!(buf, "{x:.prec$}")?;
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
    let len = int_part.len();
    for (i, c) in int_part.chars().enumerate() {
        if i > 0 && (len - i).is_multiple_of(3) {
            out.write_char(',')?;
        }
        out.write_char(c)?;
    }
    if let Some(frac) = frac {
        out.write_char('.')?;
        out.write_str(frac)?;
    }
    Ok(())
}

/// Python `format(n, ",")` for an integer.
pub fn write_int(out: &mut impl Write, n: i64, thousands: bool) -> fmt::Result {
    let mut digits = Ascii::<24>::new();
    write!(digits, "{}", n.unsigned_abs())?;
    let mut o = Ascii::<40>::new();
    if n < 0 {
        o.push(b'-')?;
    }
    push_grouped(&mut o, digits.as_bytes(), thousands)?;
    o.write_to(out)
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
        // A tie between two shortest candidates: Python picks the even digit.
        assert_eq!(repr(2.215_684_815_588_006_2e15), "2215684815588006.2");
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

    fn exact(x: f64, prec: usize, thousands: bool) -> String {
        if let Some(special) = non_finite(x) {
            return special.to_owned();
        }
        let mut s = String::new();
        write_fixed_exact(&mut s, x, prec, thousands).unwrap();
        s
    }

    /// The fast path of `write_fixed` against Rust's exact formatting, in both modes.
    fn check_fixed(x: f64) {
        for prec in 0..=8 {
            for thousands in [false, true] {
                assert_eq!(
                    fixed(x, prec, thousands),
                    exact(x, prec, thousands),
                    "{x:e} .{prec}f thousands={thousands}"
                );
            }
        }
    }

    /// xorshift64*: deterministic pseudo-random bits without a dependency.
    fn rng(seed: u64) -> impl FnMut() -> u64 {
        let mut s = seed;
        move || {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            s.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
    }

    /// The shortest digits by Rust's `{:e}`.
    fn shortest_std(x: f64) -> (String, i32) {
        let sci = format!("{:e}", x.abs());
        let (mantissa, exp) = sci.split_once('e').unwrap();
        let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
        (digits, exp.parse::<i32>().unwrap() + 1)
    }

    fn check_shortest(x: f64) {
        if !x.is_finite() || x == 0.0 {
            return;
        }
        let ours = shortest(x).unwrap();
        let ours = (
            std::str::from_utf8(ours.digits.as_bytes())
                .unwrap()
                .to_owned(),
            ours.point,
        );
        let std = shortest_std(x);
        if ours == std {
            return;
        }
        // Rust's `{:e}` breaks an exact tie between two shortest candidates upwards; Python's
        // `repr` and `serde_json` pick the even one.
        let (a, b) = (ours.0.as_bytes(), std.0.as_bytes());
        let k = a.len();
        assert_eq!((k, ours.1), (b.len(), std.1), "{x:e}");
        assert_eq!(a[..k - 1], b[..k - 1], "{x:e}");
        assert!(a[k - 1] % 2 == 0 && b[k - 1] == a[k - 1] + 1, "{x:e}");
        let exact = format!("{:.60e}", x.abs());
        let exact: String = exact.split('e').next().unwrap().replace('.', "");
        let tie = format!("{}5", &ours.0);
        assert!(exact.starts_with(&tie), "{x:e}: {exact}");
        assert!(
            exact[tie.len()..].bytes().all(|c| c == b'0'),
            "{x:e}: {exact}"
        );
    }

    #[test]
    fn shortest_digits_agree_with_rust_formatting() {
        for x in [
            1.0,
            0.1,
            1e16,
            1e15,
            1.5e-7,
            123.45,
            0.0001,
            1e-5,
            5e-324,
            f64::MAX,
            1e22,
            1e23,
            9007199254740993.0,
            2.675,
            100.0,
            1234567.0,
            0.3,
            2.215_684_815_588_006_2e15,
        ] {
            check_shortest(x);
        }
        let mut next = rng(0x0123_4567_89ab_cdef);
        for _ in 0..100_000 {
            check_shortest(f64::from_bits(next()));
            let n = (next() % 100_000_000) as f64;
            check_shortest(n / 10f64.powi((next() % 12) as i32));
        }
    }

    #[test]
    fn fast_fixed_agrees_with_exact_formatting_on_adversarial_values() {
        let values = [
            2.675,
            1.005,
            0.125,
            0.375,
            2.5,
            3.5,
            -2.5,
            0.5,
            1.5,
            0.05,
            0.15,
            0.25,
            0.35,
            0.045,
            1e15 + 0.125,
            1e15 + 0.5,
            4503599627370495.5,
            4503599627370497.0,
            9007199254740993.0,
            1e16,
            1e17,
            1e22,
            1e300,
            f64::MAX,
            -f64::MAX,
            1e-300,
            5e-324,
            -5e-324,
            f64::MIN_POSITIVE,
            0.0,
            -0.0,
            0.000_5,
            0.004_999_999_999_999_999,
            0.995,
            9.995,
            99.995,
            999_999.995,
            0.999_999_999,
            9.999_999_999_999_998,
            123_456_789.012_345_68,
            -429_592_829.702_697_75,
            37_757_170.297_302_27,
            0.094_393,
            1.0 / 3.0,
            2.0 / 3.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            0.1 + 0.2,
            1e-7,
            5e-7,
            4.5e-7,
            1e-9,
        ];
        // Ties of the shortest digits and large magnitudes take the exact path; others do not.
        assert!(fixed_digits(2.675, 2).is_none());
        assert!(fixed_digits(0.125, 2).is_none());
        assert!(fixed_digits(1e15 + 0.125, 2).is_none());
        assert!(fixed_digits(37_757_170.297_302_27, 2).is_some());
        assert!(fixed_digits(0.094_393, 6).is_some());
        for x in values {
            check_fixed(x);
            check_fixed(-x);
            check_fixed(x.next_up());
            check_fixed(x.next_down());
        }
    }

    #[test]
    fn fast_fixed_agrees_with_exact_formatting_on_random_values() {
        let mut next = rng(0x5afa_0ac0_u64.wrapping_add(0x9e37_79b9));
        for _ in 0..20_000 {
            // Any bit pattern (mostly huge or tiny magnitudes).
            check_fixed(f64::from_bits(next()));
        }
        for _ in 0..20_000 {
            // Short decimals, where ties and near-ties live: n / 10^d, n / 2^d.
            let n = (next() % 10_000_000) as f64;
            let d = (next() % 9) as i32;
            let sign = if next().is_multiple_of(2) { 1.0 } else { -1.0 };
            check_fixed(sign * n / 10f64.powi(d));
            check_fixed(sign * n / 2f64.powi(d + 1));
            check_fixed(sign * (n + 0.5) / 10f64.powi(d));
        }
        for _ in 0..20_000 {
            // Magnitudes of amounts and ratios, all digits random.
            let mantissa = (next() >> 11) as f64 / (1u64 << 53) as f64;
            let exp = (next() % 40) as i32 - 20;
            check_fixed(mantissa * 10f64.powi(exp));
        }
    }

    #[test]
    fn ints_group_like_python() {
        let mut s = String::new();
        write_int(&mut s, -1234567, true).unwrap();
        assert_eq!(s, "-1,234,567");
        for (n, text) in [
            (0, "0"),
            (-5, "-5"),
            (999, "999"),
            (1000, "1,000"),
            (-100_000, "-100,000"),
            (i64::MIN, "-9,223,372,036,854,775,808"),
            (i64::MAX, "9,223,372,036,854,775,807"),
        ] {
            let mut s = String::new();
            write_int(&mut s, n, true).unwrap();
            assert_eq!(s, text);
            let mut plain = String::new();
            write_int(&mut plain, n, false).unwrap();
            assert_eq!(plain, n.to_string());
        }
    }
}
