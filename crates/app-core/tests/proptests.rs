//! Properties of the URL codec (native only: proptest does not build for wasm32):
//! any settings survive a link, and no link panics or fails without naming
//! its bad part.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use app_core::settings::{ProfileAxes, Sweep, SweepRange, SWEEP_MEASURES, SWEEP_SEEDS_MAX};
use app_core::state::{LaneOrder, Mode, Settings, State, Theme};
use app_core::url::{self, QUOTED_CHARS_MAX};
use flaky::presets;
use flaky::scenario::RunKnobs;
use flaky::sim::RunConfig;
use flaky::sweep::Scale;
use policy::knob::{KnobKind, KnobSpec};
use proptest::prelude::*;
use proptest::sample::Index;

/// One knob set to one valid value: which knob, an integer draw, a fraction.
type Assignment = (Index, u64, f64);

fn assignment() -> impl Strategy<Value = Assignment> {
    let fraction = prop_oneof![Just(0.0), Just(1.0), 0.0..1.0];
    (any::<Index>(), any::<u64>(), fraction)
}

/// A valid value for `spec`: small and huge integers, range ends, any choice.
fn value_for(spec: &KnobSpec, draw: u64, fraction: f64) -> String {
    match spec.kind {
        KnobKind::Int { min, max } => {
            let span = max - min;
            // Half the draws near the minimum, where the interesting values are.
            let offset = if draw % 2 == 0 {
                (draw >> 1) % 1000
            } else {
                draw
            };
            match span.checked_add(1) {
                Some(count) => (min + offset % count).to_string(),
                None => offset.to_string(),
            }
        }
        KnobKind::Float { min, max } => (min + (max - min) * fraction).clamp(min, max).to_string(),
        KnobKind::Bool => (draw % 2 == 0).to_string(),
        KnobKind::Choice(names) => names[(draw % names.len() as u64) as usize].to_string(),
        // Windows at small times, one or two of them (`,` must survive a link).
        // Scripts of a few replies (`;`, `,` and `+` must survive a link).
        KnobKind::Text { .. } => match draw % 3 {
            0 => "none".to_string(),
            1 => format!("{},200", 500 + draw % 100),
            _ => format!("429+retry-after={};reset,hang", draw % 10),
        },
        KnobKind::List { .. } => {
            let window = |d: u64| format!("{}+{}", d % 60_000, (d >> 16) % 10_000);
            match (draw % 3, spec.name.starts_with("sim.")) {
                (0, _) => "none".to_string(),
                (1, false) => window(draw >> 2),
                (_, false) => format!("{},{}", window(draw >> 2), window(draw >> 20)),
                (_, true) => format!("{}*{}", window(draw >> 2), 1.0 + fraction * 9.0),
            }
        }
    }
}

/// `retry.status.NNN`: the per-status overrides outside the static knob list.
fn status_override() -> impl Strategy<Value = (String, String)> {
    let value = prop_oneof![Just("true"), Just("false"), Just("default")];
    (100u16..=599, value).prop_map(|(status, v)| (format!("retry.status.{status}"), v.into()))
}

/// Sets each knob whose value the config accepts as a whole; skips the rest
/// (e.g. a fault probability that would push the mix past 1).
fn apply(config: &mut RunConfig, name: &str, value: &str) {
    let mut next = config.clone();
    if next.set(name, value).is_ok() && next.validate().is_ok() {
        *config = next;
    }
}

fn mode() -> impl Strategy<Value = Mode> {
    prop_oneof![Just(Mode::Live), Just(Mode::Simulated)]
}

fn theme() -> impl Strategy<Value = Theme> {
    prop_oneof![Just(Theme::Auto), Just(Theme::Light), Just(Theme::Dark)]
}

/// A sweep the page can make: a numeric knob over part of its range (log
/// from above 0), or a choice knob's choices; any seeds and measure.
fn sweep() -> impl Strategy<Value = Sweep> {
    let ends = (0.0..=1.0f64, 0.0..=1.0f64);
    (
        any::<Index>(),
        ends,
        1u32..=40,
        any::<bool>(),
        1..=SWEEP_SEEDS_MAX,
        any::<Index>(),
    )
        .prop_map(|(knob, (f1, f2), steps, log, seeds, measure)| {
            let knobs = RunKnobs::STANDARD;
            let names: Vec<&str> = knobs
                .iter()
                .filter(|k| !matches!(k.spec().kind, KnobKind::List { .. } | KnobKind::Text { .. }))
                .map(|k| k.spec().name)
                .collect();
            let name = *knob.get(&names);
            let mut sweep = Sweep::of_knob(&knobs, name).expect("a sweepable knob");
            sweep.seeds = seeds;
            sweep.measure = measure.get(&SWEEP_MEASURES).0.to_string();
            if let Some(range) = sweep.range {
                let (lo, hi) = (f1.min(f2), f1.max(f2));
                let at = |f: f64| {
                    let v = range.from + (range.to - range.from) * f;
                    if matches!(
                        knobs.find(name).map(|k| k.spec().kind),
                        Some(KnobKind::Int { .. })
                    ) {
                        v.round()
                    } else {
                        v
                    }
                };
                let from = at(lo);
                sweep.range = Some(SweepRange {
                    from,
                    to: at(hi),
                    steps,
                    scale: if log && from > 0.0 {
                        Scale::Log
                    } else {
                        Scale::Linear
                    },
                });
            }
            sweep
        })
}

/// Any settings a user can reach: a preset or none, then knobs changed.
fn settings() -> impl Strategy<Value = Settings> {
    let knobs = (
        prop::collection::vec(assignment(), 0..24),
        prop::collection::vec(status_override(), 0..3),
    );
    let flags = (any::<bool>(), any::<bool>(), theme(), any::<bool>());
    let preset = prop::option::of(any::<Index>());
    // B: none, or A's policy with some policy knobs changed; a deck of some presets.
    let b = prop::option::of(prop::collection::vec(assignment(), 0..6));
    let deck = prop::option::of(prop::collection::vec(any::<Index>(), 1..5));
    let sweep = prop::option::of(sweep());
    let axes = (any::<Index>(), any::<Index>());
    (
        knobs,
        any::<u64>(),
        mode(),
        preset,
        flags,
        (b, deck, sweep, axes),
    )
        .prop_map(
            |(
                (assignments, overrides),
                seed,
                mode,
                preset,
                (talk, slow, theme, slowest),
                (b, deck, sweep, (x, y)),
            )| {
                let all = presets::all().expect("the presets parse");
                let preset = preset.map(|i| i.get(&all).clone());
                let mut config = preset
                    .as_ref()
                    .map(|p| p.config.clone())
                    .unwrap_or_default();
                let specs: Vec<&KnobSpec> = RunConfig::knobs().collect();
                for (index, draw, fraction) in assignments {
                    let spec = index.get(&specs);
                    apply(&mut config, spec.name, &value_for(spec, draw, fraction));
                }
                for (name, value) in overrides {
                    apply(&mut config, &name, &value);
                }
                let b = b.map(|assignments| {
                    let mut with_b = config.clone();
                    let specs = policy::PolicyConfig::knobs();
                    for (index, draw, fraction) in assignments {
                        let spec = index.get(specs);
                        apply(&mut with_b, spec.name, &value_for(spec, draw, fraction));
                    }
                    with_b.policy
                });
                let deck = deck.map(|picks| picks.iter().map(|i| i.get(&all).id.clone()).collect());
                Settings {
                    config,
                    seed,
                    mode,
                    preset: preset.map(|p| p.id),
                    talk,
                    slow,
                    theme,
                    b,
                    deck,
                    server: None,
                    lanes: if slowest {
                        LaneOrder::Slowest
                    } else {
                        LaneOrder::Start
                    },
                    sweep,
                    profile_axes: ProfileAxes {
                        x: x.get(&SWEEP_MEASURES).0,
                        y: y.get(&SWEEP_MEASURES).0,
                    },
                }
            },
        )
}

/// A parameter name: a real one, something knob-like, or anything at all.
fn name() -> impl Strategy<Value = String> {
    let real: Vec<String> = RunConfig::knobs()
        .map(|k| k.name.to_string())
        .chain(
            [
                "seed",
                "mode",
                "preset",
                "theme",
                "talk",
                "slow",
                "lanes",
                "sweep",
                "sweep.seeds",
                "sweep.measure",
                "profiles.x",
                "profiles.y",
            ]
            .map(String::from),
        )
        .chain(["retry.status.503".into(), "retry.status.99".into()])
        .collect();
    prop_oneof![
        4 => prop::sample::select(real),
        1 => "[a-z_]{0,8}(\\.[a-z0-9_]{0,8}){0,3}",
        1 => ".{0,12}",
        1 => "(%[0-9A-Fa-fZz]{0,2}|[=&+#?]){0,6}",
    ]
}

/// A value: plausible, percent-encoding junk, anything, or very long.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "-?[0-9]{0,6}(\\.[0-9]{0,4})?",
        2 => prop::sample::select(vec![
            "true", "false", "default", "live", "sim", "dark", "circuit-breaker", "NaN", "inf",
            "1e308", "18446744073709551616", "ratio", "token_bucket",
        ])
        .prop_map(String::from),
        1 => "(%[0-9A-Fa-fZz]{0,2}|[=&+#?]|\\PC){0,12}",
        1 => ".{0,40}",
        1 => "[0-9a-z%]{1000,5000}",
    ]
}

/// A query of raw (not encoded) `name=value` pairs, or any string at all.
fn query() -> impl Strategy<Value = String> {
    let pairs = prop::collection::vec((name(), value()), 0..12).prop_map(|pairs| {
        let joined: Vec<String> = pairs.iter().map(|(n, v)| format!("{n}={v}")).collect();
        format!("?{}", joined.join("&"))
    });
    prop_oneof![4 => pairs, 1 => ".{0,300}", 1 => "\\PC{0,60}"]
}

/// A config as its knobs read it. A link carries knobs, so this is what it
/// must keep. (Not `RunConfig`'s `==`: `endpoint.outage.*` set to their
/// defaults leave an outage of 0 ms in `outages` that no knob tells from none.)
fn knob_values(config: &RunConfig) -> Vec<(String, String)> {
    let mut values: Vec<(String, String)> = RunConfig::knobs()
        .filter_map(|k| Some((k.name.to_string(), config.get(k.name)?)))
        .collect();
    values.extend(config.policy.knob_values());
    values.sort();
    values.dedup();
    values
}

/// What an error quotes of a name: its first [`QUOTED_CHARS_MAX`] characters.
fn quoted_start(name: &str) -> String {
    format!(
        "`{}",
        name.chars().take(QUOTED_CHARS_MAX).collect::<String>()
    )
}

proptest! {
    #[test]
    fn any_settings_survive_a_link(settings in settings()) {
        let query = url::to_query(&settings);
        let (back, errors) = url::parse(&query);
        prop_assert!(errors.is_empty(), "seed {}: {query}: {errors:?}", settings.seed);
        prop_assert_eq!(
            knob_values(&back.config),
            knob_values(&settings.config),
            "seed {}: {}",
            settings.seed,
            query
        );
        let same_but_config = Settings { config: settings.config.clone(), ..back.clone() };
        prop_assert_eq!(&same_but_config, &settings, "seed {}: {}", settings.seed, query);
        let state = State::from_url(back, errors);
        prop_assert_eq!(url::to_query(&state.settings), query);
    }

    #[test]
    fn any_query_parses_or_names_its_bad_parts(query in query()) {
        let (settings, errors) = url::parse(&query);
        prop_assert!(settings.config.validate().is_ok(), "{query}: an invalid config was kept");
        let names: Vec<String> = form_urlencoded::parse(query.strip_prefix('?').unwrap_or(&query).as_bytes())
            .map(|(name, _)| name.into_owned())
            .collect();
        prop_assert!(errors.len() <= names.len() + 1, "{query}: {errors:?}");
        for error in &errors {
            let named = names.iter().any(|n| !n.is_empty() && error.starts_with(&quoted_start(n)));
            prop_assert!(
                named || error.contains("inconsistent"),
                "{query}: `{error}` names no parameter of the query"
            );
            prop_assert!(error.chars().count() < 2 * QUOTED_CHARS_MAX + 600, "{error}");
        }
        if errors.is_empty() {
            // What was read writes back to a link that reads the same.
            let again = url::to_query(&settings);
            let (back, errors) = url::parse(&again);
            prop_assert!(errors.is_empty(), "{query} → {again}: {errors:?}");
            prop_assert_eq!(knob_values(&back.config), knob_values(&settings.config), "{} → {}", query, again);
        }
    }
}
