//! Internal rate of return (docs/engine.md §9.3).
//!
//! The original takes the real positive roots of the cash-flow polynomial. Every operating
//! year has the same cash flow `A`, so with the investment `T` the IRR is the unique `r > -1`
//! with `Σ_{t=1..n} A / (1 + r)^t = T`, which exists exactly when `T` and `A` are non-zero and
//! of the same sign. The left side falls strictly as `r` grows, so a bracket that always holds
//! the root, narrowed by Newton steps that fall back to bisection, cannot diverge.

/// The IRR as a ratio, or 0.0 where none exists (quirk Q7).
pub(super) fn internal_rate_of_return(capital: f64, annual: f64, years: i64) -> f64 {
    if years < 1 || capital == 0.0 || annual == 0.0 || (capital > 0.0) != (annual > 0.0) {
        return 0.0;
    }
    let target = capital / annual;
    // f(r) = annuity(r) - T/A falls from +inf (r -> -1) to -T/A (r -> inf).
    let f = |r: f64| -> (f64, f64) {
        let v = 1.0 / (1.0 + r);
        // Horner sums of Σ v^t and of its derivative with respect to r, -Σ t·v^(t+1).
        let mut sum = 0.0;
        let mut dsum = 0.0;
        for t in (1..=years).rev() {
            sum = (sum + 1.0) * v;
            dsum = dsum * v + t as f64 * v;
        }
        (sum - target, -dsum * v)
    };

    let mut lo = -1.0 + f64::EPSILON;
    let mut hi = 1.0;
    while f(hi).0 > 0.0 {
        lo = hi;
        hi *= 2.0;
        if hi > 1e12 {
            return 0.0;
        }
    }
    // The perpetuity rate A/T is close for long lifetimes and a fair start otherwise.
    let mut r = (1.0 / target).clamp(lo, hi);
    for _ in 0..200 {
        let (value, slope) = f(r);
        if value == 0.0 {
            return r;
        }
        if value > 0.0 {
            lo = r;
        } else {
            hi = r;
        }
        let newton = r - value / slope;
        let next = if newton.is_finite() && newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
        if (next - r).abs() <= 4.0 * f64::EPSILON * next.abs().max(1e-300)
            || hi - lo <= f64::EPSILON * hi.abs()
        {
            return next;
        }
        r = next;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npv(capital: f64, annual: f64, years: i64, r: f64) -> f64 {
        -capital
            + (1..=years)
                .map(|t| annual / (1.0 + r).powf(t as f64))
                .sum::<f64>()
    }

    #[test]
    fn root_zeroes_the_npv() {
        for (t, a, n) in [
            (400e6, 342.092e6, 20),
            (2363.875e6, 250e6, 25),
            (100.0, 10.0, 30),
            (100.0, 1.0, 5),
            (1e9, 1e6, 100),
        ] {
            let r = internal_rate_of_return(t, a, n);
            assert!(r > -1.0);
            assert!(npv(t, a, n, r).abs() <= 1e-6 * t, "T={t} A={a} n={n} r={r}");
        }
    }

    #[test]
    fn no_root_gives_zero() {
        assert_eq!(internal_rate_of_return(100.0, -5.0, 10), 0.0);
        assert_eq!(internal_rate_of_return(0.0, 5.0, 10), 0.0);
        assert_eq!(internal_rate_of_return(100.0, 0.0, 10), 0.0);
    }

    #[test]
    fn negative_irr_when_cash_never_repays() {
        let r = internal_rate_of_return(100.0, 1.0, 5);
        assert!(r < 0.0 && r > -1.0);
    }
}
