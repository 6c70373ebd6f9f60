//! The few random draws this crate makes, written once so native and wasm agree.
//!
//! Only `u64` draws are taken from the generator, turned into `f64` by the
//! contract's exact formula; transcendental functions come from `libm`.

use rand_chacha::rand_core::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The seeded generator used everywhere.
pub(crate) fn seeded(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// A uniform `f64` in `[0, 1)` (53 random bits).
#[inline]
pub(crate) fn unit(rng: &mut impl Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A standard normal draw by the Box–Muller transform from two given uniforms
/// in `[0, 1)`: `sqrt(-2 ln(1 - u1)) · cos(2π u2)`.
#[inline]
pub(crate) fn box_muller(u1: f64, u2: f64) -> f64 {
    // 1 - u1 is in (0, 1], so the logarithm is finite.
    libm::sqrt(-2.0 * libm::log(1.0 - u1)) * libm::cos(core::f64::consts::TAU * u2)
}

/// Layers of the ziggurat.
const ZIG_LAYERS: usize = 256;
/// Where the ziggurat's base layer meets the tail (Marsaglia & Tsang, 2000).
const ZIG_R: f64 = 3.654_152_885_361_009;
/// The area of each layer.
const ZIG_V: f64 = 4.928_673_233_974_658e-3;

/// Standard normal draws by the ziggurat method (Marsaglia & Tsang, 2000):
/// one `u64` draw and a table lookup for ~99% of draws; the rest take the
/// wedge or tail path through `libm`. The tables are computed with `libm`
/// when built, so they are the same on native and wasm.
#[derive(Clone, Debug)]
pub(crate) struct Normals {
    /// Layer edges: `x[0] = V / f(R)` (the base strip), `x[1] = R`, ..., `x[256] = 0`.
    x: [f64; ZIG_LAYERS + 1],
    /// `f[i] = exp(-x[i]² / 2)`.
    f: [f64; ZIG_LAYERS + 1],
}

impl Default for Normals {
    fn default() -> Self {
        Normals::new()
    }
}

impl Normals {
    /// Builds the tables.
    pub(crate) fn new() -> Normals {
        let mut x = [0.0; ZIG_LAYERS + 1];
        let mut f = [0.0; ZIG_LAYERS + 1];
        x[0] = ZIG_V / pdf(ZIG_R);
        x[1] = ZIG_R;
        for i in 2..ZIG_LAYERS {
            let prev = x[i - 1];
            x[i] = libm::sqrt(-2.0 * libm::log(ZIG_V / prev + pdf(prev)));
        }
        x[ZIG_LAYERS] = 0.0;
        for i in 0..=ZIG_LAYERS {
            f[i] = pdf(x[i]);
        }
        Normals { x, f }
    }

    /// One standard normal draw.
    #[inline]
    pub(crate) fn next(&self, rng: &mut impl Rng) -> f64 {
        loop {
            let bits = rng.next_u64();
            let i = (bits & 0xff) as usize;
            // A symmetric uniform in (-1, 1) from the upper 53 bits.
            let u = ((bits >> 11) as f64 + 0.5) * (2.0 / (1u64 << 53) as f64) - 1.0;
            let (Some(&xi), Some(&xi1)) = (self.x.get(i), self.x.get(i + 1)) else {
                continue;
            };
            let x = u * xi;
            if x.abs() < xi1 {
                return x;
            }
            if i == 0 {
                return self.tail(rng, u < 0.0);
            }
            let (fi, fi1) = (
                self.f.get(i).copied().unwrap_or(0.0),
                self.f.get(i + 1).copied().unwrap_or(1.0),
            );
            if fi1 + (fi - fi1) * unit(rng) < pdf(x) {
                return x;
            }
        }
    }

    /// A draw from the tail beyond `R` (Marsaglia's method).
    #[cold]
    fn tail(&self, rng: &mut impl Rng, negative: bool) -> f64 {
        loop {
            let x = -libm::log(1.0 - unit(rng)) / ZIG_R;
            let y = -libm::log(1.0 - unit(rng));
            if 2.0 * y >= x * x {
                let z = ZIG_R + x;
                return if negative { -z } else { z };
            }
        }
    }
}

/// The unnormalised standard normal density `exp(-x²/2)`.
#[inline]
fn pdf(x: f64) -> f64 {
    libm::exp(-0.5 * x * x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn ziggurat_tables_end_where_they_should() {
        let n = Normals::new();
        assert!((n.x[0] - 3.910_757_959_537_09).abs() < 1e-9, "{}", n.x[0]);
        assert!(n.x[255] > 0.0 && n.x[255] < 0.25, "{}", n.x[255]);
        assert!(n.x.windows(2).all(|w| w[0] > w[1]));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn ziggurat_moments_look_normal() {
        let n = Normals::new();
        let mut rng = seeded(3);
        let count = 200_000;
        let (mut sum, mut sum_sq, mut beyond_2) = (0.0, 0.0, 0u32);
        for _ in 0..count {
            let z = n.next(&mut rng);
            sum += z;
            sum_sq += z * z;
            if z.abs() > 1.959_964 {
                beyond_2 += 1;
            }
        }
        let mean = sum / f64::from(count);
        let var = sum_sq / f64::from(count) - mean * mean;
        let tails = f64::from(beyond_2) / f64::from(count);
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "variance {var}");
        assert!((tails - 0.05).abs() < 0.003, "P(|z| > 1.96) = {tails}");
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn box_muller_moments_look_normal() {
        let mut rng = seeded(4);
        let count = 100_000;
        let (mut sum, mut sum_sq) = (0.0, 0.0);
        for _ in 0..count {
            let z = box_muller(unit(&mut rng), unit(&mut rng));
            sum += z;
            sum_sq += z * z;
        }
        let mean = sum / f64::from(count);
        assert!(mean.abs() < 0.02, "mean {mean}");
        assert!((sum_sq / f64::from(count) - 1.0).abs() < 0.03);
    }
}
