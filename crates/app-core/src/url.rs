//! The URL query: every setting a user changed, by the same dotted knob names
//! the CLI's `--set` takes, so a link reproduces the screen.
//!
//! Knobs are written relative to a base: the picked preset's config
//! (`preset=ID`), or the defaults. A bad parameter is named in the returned
//! errors; the base's value is used for it and the rest is kept. Errors
//! quote at most [`QUOTED_CHARS_MAX`] characters of a name or value, so a
//! pasted megabyte does not end up in a banner.

use std::collections::HashSet;

use flaky::presets::Preset;
use flaky::scenario::RunKnobs;
use flaky::sim::RunConfig;
use policy::knob::KnobError;

pub use crate::settings::all_presets;
use crate::settings::{
    sweep_measure, LaneOrder, Mode, ProfileAxes, Settings, Sweep, Theme, DEFAULT_SEED,
    SWEEP_MEASURES, SWEEP_SEEDS_DEFAULT, SWEEP_SEEDS_MAX,
};

/// How much of a bad name or value an error message quotes.
pub const QUOTED_CHARS_MAX: usize = 60;

/// Reads settings from a query string (with or without the leading `?`).
pub fn parse(query: &str) -> (Settings, Vec<String>) {
    parse_with(query, &RunKnobs::STANDARD)
}

/// [`parse`] with the knobs of `knobs`.
pub fn parse_with(query: &str, knobs: &RunKnobs) -> (Settings, Vec<String>) {
    let mut settings = Settings::default();
    let mut errors = Vec::new();
    let query = query.strip_prefix('?').unwrap_or(query);
    let table = knobs;
    let mut knobs: Vec<(String, String)> = Vec::new();
    let mut b_knobs: Vec<(String, String)> = Vec::new();
    let mut mode = None;
    let mut compare = None;
    let mut lanes = None;
    let mut sweep_extras: Vec<(String, String)> = Vec::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let (name, value) = (name.into_owned(), value.into_owned());
        let pair = || format!("`{}={}`", quoted(&name), quoted(&value));
        match name.as_str() {
            "" => {}
            "seed" => match value.trim().parse::<u64>() {
                Ok(seed) => settings.seed = seed,
                Err(_) => errors.push(format!(
                    "{}: expected a whole number from 0 to {}; using {DEFAULT_SEED}",
                    pair(),
                    u64::MAX
                )),
            },
            "mode" => match Mode::parse(&value) {
                Some(m) => mode = Some(m),
                None => errors.push(format!("{}: expected live or simulated", pair())),
            },
            "compare" => match parse_flag(&value) {
                Some(on) => compare = Some(on),
                None => errors.push(format!("{}: expected 1 or 0", pair())),
            },
            "deck" => match parse_deck(&value) {
                Ok(ids) => settings.deck = Some(ids),
                Err(problem) => errors.push(format!("{}: {problem}", pair())),
            },
            "lanes" => match LaneOrder::parse(&value) {
                Some(order) => lanes = Some(order),
                None => errors.push(format!("{}: expected start or slowest", pair())),
            },
            "theme" => match Theme::parse(&value) {
                Some(theme) => settings.theme = theme,
                None => errors.push(format!("{}: expected auto, light or dark", pair())),
            },
            "talk" | "slow" => match parse_flag(&value) {
                Some(on) if name == "talk" => settings.talk = on,
                Some(on) => settings.slow = on,
                None => errors.push(format!("{}: expected 1 or 0", pair())),
            },
            "server" => match crate::server::parse_origin(&value) {
                Ok(origin) => settings.server = Some(origin),
                Err(problem) => errors.push(format!("{}: {problem}", pair())),
            },
            "sweep" => match Sweep::parse(&value, table) {
                Ok(sweep) => settings.sweep = Some(sweep),
                Err(problem) => errors.push(format!("{}: {problem}", pair())),
            },
            "sweep.seeds" | "sweep.measure" => sweep_extras.push((name, value)),
            "profiles.x" | "profiles.y" => match sweep_measure(&value) {
                Ok(m) if name == "profiles.x" => settings.profile_axes.x = m,
                Ok(m) => settings.profile_axes.y = m,
                Err(problem) => errors.push(format!("{}: {problem}", pair())),
            },
            "preset" => match find_preset(&value) {
                Ok(p) => settings.preset = Some(p.id.clone()),
                Err(expected) => errors.push(format!("{}: {expected}", pair())),
            },
            _ => match name.strip_prefix("b.") {
                Some(b_name) => b_knobs.push((b_name.to_string(), value)),
                None => knobs.push((name, value)),
            },
        }
    }
    for (name, value) in sweep_extras {
        if let Err(problem) = sweep_extra(settings.sweep.as_mut(), &name, &value) {
            errors.push(format!("`{}={}`: {problem}", quoted(&name), quoted(&value)));
        }
    }
    let preset = settings
        .preset
        .as_deref()
        .and_then(|id| find_preset(id).ok());
    settings.mode = mode.unwrap_or_else(|| preset.map_or(Mode::default(), |p| p.mode.into()));
    settings.lanes = lanes.unwrap_or_else(|| lesson_lanes(preset));
    let base = base_config(settings.preset.as_deref());
    let mut config = base.clone();
    set_knobs(table, &mut config, last_of_each(knobs), &mut errors);
    // Cross-knob rules: fall back to the defaults as a whole, and say so.
    if let Err(e) = table.validate(&config) {
        errors.push(format!(
            "the linked config is inconsistent ({e}); using the preset or the defaults"
        ));
        config = base;
    }
    settings.config = config;
    settings.b = if !b_knobs.is_empty() {
        Some(b_policy(table, &settings.config, b_knobs, &mut errors))
    } else {
        match compare {
            Some(true) => Some(settings.config.policy.clone()),
            Some(false) => None,
            None => preset.and_then(|p| p.config_b.clone()),
        }
    };
    (settings, errors)
}

/// B's policy: A's, with the link's `b.` knobs set (only client-policy
/// knobs; a refused one is named with its `b.` prefix and A's value kept).
fn b_policy(
    table: &RunKnobs,
    a: &RunConfig,
    knobs: Vec<(String, String)>,
    errors: &mut Vec<String>,
) -> policy::PolicyConfig {
    let (policy_knobs, others): (Vec<_>, Vec<_>) = last_of_each(knobs)
        .into_iter()
        .partition(|(n, _)| table.is_policy_knob(n));
    for (name, _) in others {
        errors.push(format!(
            "`b.{}`: B differs from A only in the client policy (attempts, backoff, jitter, budget, breaker, ...)",
            quoted(&name)
        ));
    }
    let mut config = a.clone();
    let mut b_errors = Vec::new();
    set_knobs(table, &mut config, policy_knobs, &mut b_errors);
    errors.extend(b_errors.into_iter().map(|e| match e.strip_prefix('`') {
        Some(rest) => format!("`b.{rest}"),
        None => e,
    }));
    if let Err(e) = table.validate(&config) {
        errors.push(format!(
            "`b.*`: B's linked policy is inconsistent ({e}); B is a copy of A"
        ));
        return a.policy.clone();
    }
    config.policy
}

/// `sweep.seeds` or `sweep.measure`, set on the sweep.
fn sweep_extra(sweep: Option<&mut Sweep>, name: &str, value: &str) -> Result<(), String> {
    let Some(sweep) = sweep else {
        return Err("there is no sweep (`sweep=KNOB:FROM..TO:log:STEPS`) to apply it to".into());
    };
    if name == "sweep.seeds" {
        match value.trim().parse::<u32>() {
            Ok(n) if (1..=SWEEP_SEEDS_MAX).contains(&n) => sweep.seeds = n,
            _ => {
                return Err(format!(
                    "expected a number of seeds from 1 to {SWEEP_SEEDS_MAX}"
                ))
            }
        }
    } else {
        sweep.measure = sweep_measure(value)?.to_string();
    }
    Ok(())
}

/// A deck: comma-separated preset ids, each known.
fn parse_deck(value: &str) -> Result<Vec<String>, String> {
    let mut ids = Vec::new();
    for id in value.split(',').map(str::trim) {
        if id.is_empty() {
            continue;
        }
        find_preset(id).map_err(|expected| format!("`{}` in the deck: {expected}", quoted(id)))?;
        ids.push(id.to_string());
    }
    if ids.is_empty() {
        return Err("expected preset ids separated by commas".into());
    }
    Ok(ids)
}

/// The config a link's knobs are relative to.
fn base_config(preset: Option<&str>) -> RunConfig {
    preset
        .and_then(|id| find_preset(id).ok())
        .map(|p| p.config.clone())
        .unwrap_or_default()
}

/// The preset with this id, or what would have been valid. The presets are
/// parsed once: the URL is written on every change of the settings.
fn find_preset(id: &str) -> Result<&'static Preset, String> {
    let all = all_presets()?;
    all.iter().find(|p| p.id == id).ok_or_else(|| {
        // The lessons by name; the library profiles as one group, so the message stays readable.
        let ids: Vec<&str> = all
            .iter()
            .filter(|p| !p.id.starts_with("lib-"))
            .map(|p| p.id.as_str())
            .collect();
        format!(
            "unknown preset; valid presets: {}, and the library profiles lib-* (`playground presets` lists them)",
            ids.join(", ")
        )
    })
}

/// The knobs with a repeated name dropped but for its last value (the one a
/// left-to-right reading would leave).
fn last_of_each(knobs: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut seen = HashSet::new();
    let mut kept: Vec<_> = knobs
        .into_iter()
        .rev()
        .filter(|(name, _)| seen.insert(name.clone()))
        .collect();
    kept.reverse();
    kept
}

/// Sets the knobs in rounds: a knob refused only because of another (fault
/// probabilities may sum to at most 1, checked on each set) is tried again
/// after the rest, so the order of a link's knobs never matters.
fn set_knobs(
    table: &RunKnobs,
    config: &mut RunConfig,
    knobs: Vec<(String, String)>,
    errors: &mut Vec<String>,
) {
    let mut pending = knobs;
    loop {
        let tried = pending.len();
        let mut refused = Vec::new();
        for (name, value) in pending {
            if let Err(e) = table.set(config, &name, &value) {
                refused.push((name, value, e));
            }
        }
        if refused.is_empty() || refused.len() == tried {
            errors.extend(refused.into_iter().map(|(n, v, e)| knob_error(&n, &v, e)));
            return;
        }
        pending = refused.into_iter().map(|(n, v, _)| (n, v)).collect();
    }
}

/// A refused knob, named; the value is quoted only as far as it helps.
fn knob_error(name: &str, value: &str, error: KnobError) -> String {
    match error {
        KnobError::UnknownName { .. } => format!("`{}`: unknown parameter", quoted(name)),
        KnobError::BadValue { expected, .. } => {
            format!("`{}={}`: expected {expected}", quoted(name), quoted(value))
        }
    }
}

/// The first [`QUOTED_CHARS_MAX`] characters of user text, `…` if cut.
fn quoted(text: &str) -> String {
    match text.char_indices().nth(QUOTED_CHARS_MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

fn parse_flag(value: &str) -> Option<bool> {
    match value {
        "1" | "true" | "on" => Some(true),
        "0" | "false" | "off" => Some(false),
        _ => None,
    }
}

/// The lane order a link with this preset (or none) opens with.
fn lesson_lanes(preset: Option<&Preset>) -> LaneOrder {
    preset.map_or(LaneOrder::default(), |p| LaneOrder::for_lesson(&p.headline))
}

/// Writes the settings as a query string (with the leading `?`, or empty
/// when everything is at its default).
pub fn to_query(settings: &Settings) -> String {
    to_query_with(settings, &RunKnobs::STANDARD)
}

/// [`to_query`] with the knobs of `knobs`.
pub fn to_query_with(settings: &Settings, knobs: &RunKnobs) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    if let Some(preset) = &settings.preset {
        out.append_pair("preset", preset);
    }
    let preset = settings
        .preset
        .as_deref()
        .and_then(|id| find_preset(id).ok());
    if settings.mode != preset.map_or(Mode::default(), |p| p.mode.into()) {
        out.append_pair("mode", settings.mode.name());
    }
    if settings.seed != DEFAULT_SEED {
        out.append_pair("seed", &settings.seed.to_string());
    }
    if let Some(server) = &settings.server {
        out.append_pair("server", server);
    }
    if settings.talk {
        out.append_pair("talk", "1");
    }
    if settings.slow {
        out.append_pair("slow", "1");
    }
    if settings.theme != Theme::default() {
        out.append_pair("theme", settings.theme.name());
    }
    if settings.lanes != lesson_lanes(preset) {
        out.append_pair("lanes", settings.lanes.name());
    }
    let base = base_config(settings.preset.as_deref());
    for (name, value) in knobs.differing(&settings.config, &base) {
        out.append_pair(&name, &value);
    }
    let preset_b = preset.and_then(|p| p.config_b.as_ref());
    match settings.config_b() {
        // The lesson's own B: the preset says it.
        Some(b) if Some(&b.policy) == preset_b => {}
        Some(b) => {
            let differs = knobs.differing(&b, &settings.config);
            if differs.is_empty() {
                out.append_pair("compare", "1");
            }
            for (name, value) in differs {
                out.append_pair(&format!("b.{name}"), &value);
            }
        }
        None if preset.is_some_and(|p| p.config_b.is_some()) => {
            out.append_pair("compare", "0");
        }
        None => {}
    }
    if let Some(deck) = &settings.deck {
        out.append_pair("deck", &deck.join(","));
    }
    if let Some(sweep) = &settings.sweep {
        out.append_pair("sweep", &sweep.text());
        if sweep.seeds != SWEEP_SEEDS_DEFAULT {
            out.append_pair("sweep.seeds", &sweep.seeds.to_string());
        }
        if sweep.measure != SWEEP_MEASURES[0].0 {
            out.append_pair("sweep.measure", &sweep.measure);
        }
    }
    let axes = &settings.profile_axes;
    let default_axes = ProfileAxes::default();
    if axes.x != default_axes.x {
        out.append_pair("profiles.x", axes.x);
    }
    if axes.y != default_axes.y {
        out.append_pair("profiles.y", axes.y);
    }
    let query = out.finish();
    if query.is_empty() {
        query
    } else {
        format!("?{query}")
    }
}
