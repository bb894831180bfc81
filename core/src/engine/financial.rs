//! The financial analysis (docs/engine.md §9): a 28 % tax with straight-line depreciation, no
//! working capital, no loss carry-forward (quirk Q12); NPV, IRR and payback from the schedule.

use super::figures::{CashFlowRow, FinancialFigures};
use super::irr;

const TAX_RATE: f64 = 0.28;

/// `capital` is `T` (USD), `revenue` `R` and `opex` `M` (USD/yr), `rate` the discount ratio.
pub(super) fn analyse(
    capital: f64,
    revenue: f64,
    opex: f64,
    rate: f64,
    years: i64,
) -> FinancialFigures {
    let depreciation = capital / years as f64;
    let gross_profit = revenue - opex;
    let taxable = (gross_profit - depreciation).max(0.0);
    let tax = taxable * TAX_RATE;
    let annual = gross_profit - tax;

    let rows = usize::try_from(years).map_or(1, |n| n + 1);
    let mut table = Vec::with_capacity(rows);
    let mut discounted = Vec::with_capacity(rows);
    let mut cumulative = 0.0;
    let mut cumulative_discounted = 0.0;
    let mut payback = None;
    for t in 0..rows {
        let year = t as i64;
        let (capital_cell, revenue_cell, opex_cell, cash_flow) = if t == 0 {
            (-capital, 0.0, 0.0, -capital)
        } else {
            (0.0, revenue, opex, annual)
        };
        cumulative += cash_flow;
        // Quirk Q6: payback is the first year whose cumulative cash flow is not negative.
        if payback.is_none() && cumulative >= 0.0 {
            payback = Some(year);
        }
        let factor = (1.0 + rate).powf(-(t as f64));
        let dcf = cash_flow * factor;
        cumulative_discounted += dcf;
        discounted.push(cash_flow / (1.0 + rate).powf(t as f64));
        table.push(CashFlowRow {
            year,
            capital_investment: capital_cell,
            revenue: revenue_cell,
            manufacturing_cost: opex_cell,
            after_tax_cash_flow: cash_flow,
            cumulative_cash_flow: cumulative,
            discount_factor: factor,
            discounted_cash_flow: dcf,
            cumulative_discounted_cash_flow: cumulative_discounted,
        });
    }

    FinancialFigures {
        capital,
        depreciation,
        gross_profit,
        tax,
        annual_cash_flow: annual,
        npv: pairwise_sum(&discounted),
        irr: irr::internal_rate_of_return(capital, annual, years),
        payback_period: payback.unwrap_or(years + 1),
        cash_flow_table: table,
    }
}

/// numpy's pairwise summation, which the original's NPV uses: for up to 128 terms, eight
/// interleaved partial sums combined as a tree, the remainder added in order.
fn pairwise_sum(values: &[f64]) -> f64 {
    const BLOCK: usize = 128;
    let n = values.len();
    if n < 8 {
        return values.iter().fold(0.0, |acc, x| acc + x);
    }
    if n > BLOCK {
        let mut half = n / 2;
        half -= half % 8;
        return pairwise_sum(&values[..half]) + pairwise_sum(&values[half..]);
    }
    let mut r = [0.0; 8];
    r.copy_from_slice(&values[..8]);
    let whole = n - n % 8;
    for chunk in values[8..whole].chunks_exact(8) {
        for (acc, x) in r.iter_mut().zip(chunk) {
            *acc += x;
        }
    }
    let mut sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for x in &values[whole..] {
        sum += x;
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_sum_adds_like_numpy() {
        assert_eq!(pairwise_sum(&[]), 0.0);
        assert_eq!(pairwise_sum(&[1.0, 2.0, 3.0]), 6.0);
        let v: Vec<f64> = (0..21).map(|i| 0.1 * f64::from(i)).collect();
        let r: Vec<f64> = (0..8).map(|j| v[j] + v[j + 8]).collect();
        let expected = ((r[0] + r[1]) + (r[2] + r[3]))
            + ((r[4] + r[5]) + (r[6] + r[7]))
            + v[16]
            + v[17]
            + v[18]
            + v[19]
            + v[20];
        assert_eq!(pairwise_sum(&v), expected);
    }

    #[test]
    fn worked_example_from_the_spec() {
        // T = 400 MUSD, R = 1 177 500 000, M = 710 150 000, r = 7 %, n = 20.
        let f = analyse(400_000_000.0, 1_177_500_000.0, 710_150_000.0, 0.07, 20);
        assert_eq!(f.annual_cash_flow, 342_092_000.0);
        assert_eq!(f.npv, 3_224_127_521.277_113_4);
        assert_eq!(f.payback_period, 2);
        assert_eq!(f.cash_flow_table.len(), 21);
        assert_eq!(f.cash_flow_table[20].cumulative_cash_flow, 6_441_840_000.0);
        assert!((f.irr - 0.855_226_334_401_285_4).abs() < 1e-15);
    }

    #[test]
    fn loss_making_plant_never_pays_back() {
        let f = analyse(400e6, 100e6, 700e6, 0.1, 20);
        assert_eq!(f.payback_period, 21);
        assert_eq!(f.irr, 0.0);
        assert_eq!(f.tax, 0.0);
    }
}
