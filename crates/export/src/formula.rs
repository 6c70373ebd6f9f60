//! The delay before retry `n` as an expression in a target's language, for
//! the code targets whose own backoff builders cannot express a kind: the
//! exact formula of `policy::jitter::draw_ms`, written once here in a neutral
//! syntax (`MIN(`, `FLOOR(`, `POW(`, `RAND()`) and spelled per language.
//!
//! `d(n)` (`policy::backoff::delay_ms`): `constant` `min(cap, base)`,
//! `linear` `min(cap, base·n)`, `exponential` `min(cap, round(base·m^(n−1)))`;
//! then the jitter's `U(lo, hi) = lo + u·(hi − lo)`, floored to whole ms and
//! clamped to `[0, cap]`. `decorrelated` needs the previous delay: see
//! [`decorrelated`].

use policy::backoff::is_decorrelated;
use policy::{BackoffKind, JitterKind, PolicyConfig};

use crate::common::num;

/// How a language spells the neutral syntax.
pub struct Spelling {
    pub min: &'static str,
    pub floor: &'static str,
    pub pow: &'static str,
    /// A uniform draw in `[0, 1)`.
    pub rand: &'static str,
}

pub const PYTHON: Spelling = Spelling {
    min: "min(",
    floor: "math.floor(",
    pow: "math.pow(",
    rand: "random.random()",
};
pub const CSHARP: Spelling = Spelling {
    min: "Math.Min(",
    floor: "Math.Floor(",
    pow: "Math.Pow(",
    rand: "Random.Shared.NextDouble()",
};
pub const JAVA: Spelling = Spelling {
    min: "Math.min(",
    floor: "Math.floor(",
    pow: "Math.pow(",
    rand: "ThreadLocalRandom.current().nextDouble()",
};
pub const JAVASCRIPT: Spelling = Spelling {
    min: "Math.min(",
    floor: "Math.floor(",
    pow: "Math.pow(",
    rand: "Math.random()",
};
pub const GO: Spelling = Spelling {
    min: "math.Min(",
    floor: "math.Floor(",
    pow: "math.Pow(",
    rand: "rand.Float64()",
};
pub const RUST: Spelling = Spelling {
    min: "f64::min(",
    floor: "f64::floor(",
    pow: "f64::powf(",
    rand: "fastrand::f64()",
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

/// The neutral expression of the delay in ms before retry `n` (a float
/// variable named `n`), or `None` for the decorrelated kinds.
fn neutral(p: &PolicyConfig) -> Option<String> {
    if is_decorrelated(p) {
        return None;
    }
    let b = &p.backoff;
    let (base, cap) = (b.base_ms as f64, b.cap_ms as f64);
    let d = match b.kind {
        BackoffKind::Constant => lit(base.min(cap)),
        BackoffKind::Linear => format!("MIN({}, {} * n)", lit(cap), lit(base)),
        _ => format!(
            "MIN({}, FLOOR({} * POW({}, n - 1.0) + 0.5))",
            lit(cap),
            lit(base),
            lit(b.multiplier)
        ),
    };
    let r = p.jitter.ratio.clamp(0.0, 1.0);
    let draw = match p.jitter.kind {
        JitterKind::None | JitterKind::Decorrelated => return Some(d),
        JitterKind::Full => format!("RAND() * ({d})"),
        JitterKind::Equal => format!("({d}) / 2.0 + RAND() * ({d}) / 2.0"),
        JitterKind::Ratio => format!(
            "({d}) * {} + RAND() * ({d}) * {}",
            lit(1.0 - r),
            lit(2.0 * r)
        ),
        JitterKind::Additive => format!("({d}) + RAND() * {}", lit(p.jitter.additive_ms as f64)),
    };
    Some(format!("MIN({}, FLOOR({draw}))", lit(cap)))
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
    neutral
        .replace("MIN(", s.min)
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
