//! Means with 95% confidence intervals over seeds, for `playground compare`,
//! `sweep`, `profiles` and the page's sweep ([`crate::compare`]).
//!
//! | quantity | formula |
//! |---|---|
//! | mean | x̄ = Σxᵢ / n |
//! | standard deviation | s = √(Σ(xᵢ − x̄)² / (n − 1)) |
//! | 95% interval | x̄ ± t₀.₉₇₅(n − 1) · s / √n |
//! | n = 1 | the interval is x̄ itself |
//!
//! t₀.₉₇₅(ν) is Student's t quantile for ν degrees of freedom: a table for
//! ν = 1..=30, beyond it the Cornish–Fisher expansion (Abramowitz & Stegun
//! 26.7.5) around z = 1.959964, within 1e-5 of the exact value there.
//!
//! ```text
//! interval(&[1.0, 2.0, 3.0]) = { mean: 2.0, lo: 2.0 − 4.303·1/√3 ≈ −0.484, hi ≈ 4.484 }
//! ```

use serde::{Deserialize, Serialize};

/// A mean and its 95% confidence interval, `lo ≤ mean ≤ hi`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub mean: f64,
    pub lo: f64,
    pub hi: f64,
}

/// t₀.₉₇₅(ν) for ν = 1..=30 (index ν − 1).
const T_975: [f64; 30] = [
    12.706_204_736,
    4.302_652_730,
    3.182_446_305,
    2.776_445_105,
    2.570_581_836,
    2.446_911_851,
    2.364_624_252,
    2.306_004_135,
    2.262_157_163,
    2.228_138_852,
    2.200_985_160,
    2.178_812_830,
    2.160_368_656,
    2.144_786_688,
    2.131_449_546,
    2.119_905_299,
    2.109_815_578,
    2.100_922_040,
    2.093_024_054,
    2.085_963_447,
    2.079_613_845,
    2.073_873_068,
    2.068_657_610,
    2.063_898_562,
    2.059_538_553,
    2.055_529_439,
    2.051_830_516,
    2.048_407_142,
    2.045_229_642,
    2.042_272_456,
];

/// z₀.₉₇₅, the standard normal's 97.5% quantile.
const Z_975: f64 = 1.959_963_984_540_054;

/// Student's t quantile t₀.₉₇₅(ν) for `df` = ν ≥ 1 degrees of freedom: the
/// table up to 30, then t ≈ z + g₁(z)/ν + g₂(z)/ν² + g₃(z)/ν³ with
/// g₁ = (z³ + z)/4, g₂ = (5z⁵ + 16z³ + 3z)/96, g₃ = (3z⁷ + 19z⁵ + 17z³ − 15z)/384.
/// `df = 0` (a single value) has no spread to scale: it gives 0.
pub fn t_975(df: u32) -> f64 {
    match df {
        0 => 0.0,
        1..=30 => T_975[df as usize - 1],
        _ => {
            let (z, v) = (Z_975, f64::from(df));
            // Products, not `powi`: the same bits on native and wasm.
            let (z3, z5, z7) = (z * z * z, z * z * z * z * z, z * z * z * z * z * z * z);
            let g1 = (z3 + z) / 4.0;
            let g2 = (5.0 * z5 + 16.0 * z3 + 3.0 * z) / 96.0;
            let g3 = (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / 384.0;
            z + g1 / v + g2 / (v * v) + g3 / (v * v * v)
        }
    }
}

/// The mean of `values` and its 95% interval (see the module's formulas).
/// All values equal (0 in every seed, say) give `lo = mean = hi` exactly.
/// An empty slice gives zeros.
pub fn interval(values: &[f64]) -> Interval {
    let n = values.len();
    if n == 0 {
        return Interval {
            mean: 0.0,
            lo: 0.0,
            hi: 0.0,
        };
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    // With every value equal the spread is exactly 0, whatever the rounding of the mean.
    let all_equal = values.iter().all(|&x| x == values[0]);
    let half = if n == 1 || all_equal {
        0.0
    } else {
        let ss: f64 = values.iter().map(|x| (x - mean) * (x - mean)).sum();
        let sd = (ss / (n - 1) as f64).sqrt();
        t_975(n as u32 - 1) * sd / (n as f64).sqrt()
    };
    let mean = if all_equal { values[0] } else { mean };
    Interval {
        mean,
        lo: mean - half,
        hi: mean + half,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expansion_meets_the_table_at_30_and_tends_to_z() {
        let (table, expansion) = (T_975[29], {
            let (z, v) = (Z_975, 30.0_f64);
            let (z3, z5, z7) = (z.powi(3), z.powi(5), z.powi(7));
            z + (z3 + z) / 4.0 / v
                + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / 96.0 / (v * v)
                + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / 384.0 / (v * v * v)
        });
        assert!((table - expansion).abs() < 1e-5, "{table} vs {expansion}");
        // Exact values: t(40) = 2.021075, t(60) = 2.000298, t(120) = 1.979930.
        for (df, exact) in [(40, 2.021_075), (60, 2.000_298), (120, 1.979_930)] {
            assert!((t_975(df) - exact).abs() < 1e-5, "t({df}) = {}", t_975(df));
        }
        let mut previous = f64::INFINITY;
        for df in 1..=10_000 {
            let t = t_975(df);
            assert!(t < previous && t > Z_975, "t({df}) = {t}");
            previous = t;
        }
    }

    #[test]
    fn intervals_follow_the_formula() {
        let i = interval(&[1.0, 2.0, 3.0]);
        assert_eq!(i.mean, 2.0);
        let half = 4.302_652_730 / 3.0_f64.sqrt();
        assert!((i.lo - (2.0 - half)).abs() < 1e-12 && (i.hi - (2.0 + half)).abs() < 1e-12);
        assert_eq!(
            interval(&[7.5]),
            Interval {
                mean: 7.5,
                lo: 7.5,
                hi: 7.5
            }
        );
        // 0.1 summed ten times is not 1.0, but equal values keep their value exactly.
        let equal = interval(&[0.1; 10]);
        assert_eq!((equal.mean, equal.lo, equal.hi), (0.1, 0.1, 0.1));
        let zero = interval(&[0.0; 20]);
        assert_eq!((zero.mean, zero.lo, zero.hi), (0.0, 0.0, 0.0));
    }
}
