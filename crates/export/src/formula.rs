//! The delay before retry `n` as an expression in a target's language, for
//! the code targets whose own backoff builders cannot express a kind: the
//! exact formula of `policy::jitter::draw_ms`, written once here in a neutral
//! syntax (`MIN(`, `FLOOR(`, `POW(`, `RAND()`) and spelled per language.
//!
//! `d(n)` (`policy::backoff::delay_ms`): `constant` `min(cap, base)`,
//! `linear` `min(cap, base·n)`, `exponential` `min(cap, round(base·m^(n−1)))`;
//! then the jitter's `U(lo, hi) = lo + u·(hi − lo)`, floored to whole ms and
//! clamped to `[0, cap]` (`policy::jitter::draw`: `ratio_after_cap` is not
//! clamped, `randomized` works on the uncapped curve). `decorrelated` needs
//! the previous delay: see [`decorrelated`]. Two kinds are approximated (see
//! [`approximation`]): `exponential_floor`'s step-by-step floor is written in
//! closed form, and Polly's `decorrelated_v2` as its median curve.

use policy::backoff::is_decorrelated;
use policy::{BackoffKind, JitterKind, PolicyConfig};

use crate::common::num;

/// How a language spells the neutral syntax.
pub struct Spelling {
    pub min: &'static str,
    pub max: &'static str,
    pub floor: &'static str,
    pub pow: &'static str,
    /// A uniform draw in `[0, 1)`.
    pub rand: &'static str,
    /// `if n <= 1 then 0 else x`, with `{x}` for x.
    pub first_zero: &'static str,
}

pub const PYTHON: Spelling = Spelling {
    min: "min(",
    max: "max(",
    floor: "math.floor(",
    pow: "math.pow(",
    rand: "random.random()",
    first_zero: "(0.0 if n <= 1 else {x})",
};
pub const CSHARP: Spelling = Spelling {
    min: "Math.Min(",
    max: "Math.Max(",
    floor: "Math.Floor(",
    pow: "Math.Pow(",
    rand: "Random.Shared.NextDouble()",
    first_zero: "(n <= 1.0 ? 0.0 : {x})",
};
pub const JAVA: Spelling = Spelling {
    min: "Math.min(",
    max: "Math.max(",
    floor: "Math.floor(",
    pow: "Math.pow(",
    rand: "ThreadLocalRandom.current().nextDouble()",
    first_zero: "(n <= 1.0 ? 0.0 : {x})",
};
pub const JAVASCRIPT: Spelling = Spelling {
    min: "Math.min(",
    max: "Math.max(",
    floor: "Math.floor(",
    pow: "Math.pow(",
    rand: "Math.random()",
    first_zero: "(n <= 1 ? 0 : {x})",
};
pub const GO: Spelling = Spelling {
    min: "math.Min(",
    max: "math.Max(",
    floor: "math.Floor(",
    pow: "math.Pow(",
    rand: "rand.Float64()",
    first_zero: "func() float64 { if n <= 1 { return 0 }; return {x} }()",
};
pub const RUST: Spelling = Spelling {
    min: "f64::min(",
    max: "f64::max(",
    floor: "f64::floor(",
    pow: "f64::powf(",
    rand: "fastrand::f64()",
    first_zero: "if n <= 1.0 { 0.0 } else { {x} }",
};

/// A float literal every target parses as a float (`1000.0`, `0.2`).
pub fn lit(x: f64) -> String {
    let s = num(x);
    if s.contains('.') {
        s
    } else {
        format!("{s}.0")
    }
}

/// What the written formula approximates, if anything (a note for the document).
pub fn approximation(p: &PolicyConfig) -> Option<(&'static str, String)> {
    if is_decorrelated(p) {
        return None;
    }
    if p.jitter.kind == JitterKind::DecorrelatedV2 {
        return Some((
            "jitter.kind=decorrelated_v2",
            format!(
                "Polly's decorrelated jitter V2 is written as its median curve min(cap, {}·2^(n-1)), without jitter",
                p.backoff.base_ms
            ),
        ));
    }
    if p.backoff.kind == BackoffKind::ExponentialFloor {
        return Some((
            "backoff.kind=exponential_floor",
            "resilience4j's step-by-step floor is written as floor(base·multiplier^(n-1)), up to a few ms longer".to_string(),
        ));
    }
    None
}

/// The neutral expression of the delay in ms before retry `n` (a float
/// variable named `n`), or `None` for AWS decorrelated jitter.
fn neutral(p: &PolicyConfig) -> Option<String> {
    if is_decorrelated(p) {
        return None;
    }
    if p.jitter.kind == JitterKind::DecorrelatedV2 {
        let mut median = p.clone();
        median.backoff.kind = BackoffKind::Exponential;
        median.backoff.multiplier = 2.0;
        median.jitter.kind = JitterKind::None;
        return neutral(&median);
    }
    let b = &p.backoff;
    let (base, cap) = (lit(b.base_ms as f64), lit(b.cap_ms as f64));
    // The uncapped curve D(n), then d = min(cap, D).
    let curve = match b.kind {
        BackoffKind::Constant => base.clone(),
        BackoffKind::Linear => format!("{base} * n"),
        BackoffKind::Exponential => {
            format!("FLOOR({base} * POW({}, n - 1.0) + 0.5)", lit(b.multiplier))
        }
        BackoffKind::ExponentialFloor | BackoffKind::Decorrelated => {
            format!("FLOOR({base} * POW({}, n - 1.0))", lit(b.multiplier))
        }
    };
    let d = match b.kind {
        BackoffKind::Constant => lit((b.base_ms.min(b.cap_ms)) as f64),
        _ => format!("MIN({cap}, {curve})"),
    };
    let r = p.jitter.ratio.clamp(0.0, 1.0);
    let capped = |draw: String| format!("MIN({cap}, FLOOR({draw}))");
    let expr = match p.jitter.kind {
        JitterKind::None | JitterKind::Decorrelated | JitterKind::DecorrelatedV2 => d,
        JitterKind::Full => capped(format!("RAND() * ({d})")),
        JitterKind::Equal => capped(format!("({d}) / 2.0 + RAND() * ({d}) / 2.0")),
        JitterKind::Ratio => capped(format!(
            "({d}) * {} + RAND() * ({d}) * {}",
            lit(1.0 - r),
            lit(2.0 * r)
        )),
        JitterKind::Additive => capped(format!(
            "({d}) + RAND() * {}",
            lit(p.jitter.additive_ms as f64)
        )),
        // gRPC, cenkalti: the jitter comes after the cap and may pass it.
        JitterKind::RatioAfterCap => format!(
            "FLOOR(({d}) * {} + RAND() * ({d}) * {})",
            lit(1.0 - r),
            lit(2.0 * r)
        ),
        // resilience4j: on the uncapped curve, at least 1 ms, then the cap.
        JitterKind::Randomized => format!(
            "MIN({cap}, FLOOR(MAX(1.0, ({curve}) * {} + RAND() * (({curve}) * {} + 1.0))))",
            lit(1.0 - r),
            lit(2.0 * r)
        ),
    };
    Some(if b.first_retry_immediate {
        format!("FIRST_ZERO<{expr}>")
    } else {
        expr
    })
}

/// The delay in ms before retry `n` in `spelling`, or `None` for the decorrelated kinds.
pub fn delay_ms(p: &PolicyConfig, spelling: &Spelling) -> Option<String> {
    neutral(p).map(|e| spell(&e, spelling))
}

/// The decorrelated delay from the previous one (a float variable named
/// `previous`, `base` before the first retry):
/// `min(cap, floor(base + u·(max(base, 3·previous) − base)))`.
pub fn decorrelated(p: &PolicyConfig, spelling: &Spelling) -> String {
    let (base, cap) = (lit(p.backoff.base_ms as f64), lit(p.backoff.cap_ms as f64));
    // max(base, 3·previous) is previous·3 here: previous ≥ base always.
    spell(
        &format!("MIN({cap}, FLOOR({base} + RAND() * (3.0 * previous - {base})))"),
        spelling,
    )
}

fn spell(neutral: &str, s: &Spelling) -> String {
    let neutral = match neutral
        .strip_prefix("FIRST_ZERO<")
        .and_then(|e| e.strip_suffix('>'))
    {
        Some(inner) => s.first_zero.replace("{x}", inner),
        None => neutral.to_string(),
    };
    neutral
        .replace("MIN(", s.min)
        .replace("MAX(", s.max)
        .replace("FLOOR(", s.floor)
        .replace("POW(", s.pow)
        .replace("RAND()", s.rand)
}

/// Whether an expression reads the variable `n` (a constant delay does not).
pub fn uses_n(expr: &str) -> bool {
    let chars: Vec<char> = expr.chars().collect();
    let word = |c: Option<&char>| c.is_some_and(|c| c.is_alphanumeric() || *c == '_' || *c == '.');
    (0..chars.len()).any(|i| {
        chars[i] == 'n'
            && !word(i.checked_sub(1).and_then(|j| chars.get(j)))
            && !word(chars.get(i + 1))
    })
}
