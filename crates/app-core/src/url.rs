//! The URL query: every setting a user changed, by the same dotted knob names
//! the CLI's `--set` takes, so a link reproduces the screen.
//!
//! Knobs are written relative to a base: the picked preset's config
//! (`preset=ID`), or the defaults. A bad parameter is named in the returned
//! errors; the base's value is used for it and the rest is kept.

use flaky::presets;
use flaky::sim::RunConfig;

use crate::state::{Mode, Settings, Theme, DEFAULT_SEED};

/// Reads settings from a query string (with or without the leading `?`).
pub fn parse(query: &str) -> (Settings, Vec<String>) {
    let mut settings = Settings::default();
    let mut errors = Vec::new();
    let query = query.strip_prefix('?').unwrap_or(query);
    let mut knobs: Vec<(String, String)> = Vec::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let (name, value) = (name.into_owned(), value.into_owned());
        match name.as_str() {
            "" => {}
            "seed" => match value.trim().parse::<u64>() {
                Ok(seed) => settings.seed = seed,
                Err(_) => errors.push(format!(
                    "`seed={value}`: expected a whole number; using {DEFAULT_SEED}"
                )),
            },
            "mode" => match Mode::parse(&value) {
                Some(mode) => settings.mode = mode,
                None => errors.push(format!("`mode={value}`: expected live or simulated")),
            },
            "theme" => match Theme::parse(&value) {
                Some(theme) => settings.theme = theme,
                None => errors.push(format!("`theme={value}`: expected auto, light or dark")),
            },
            "talk" | "slow" => match parse_flag(&value) {
                Some(on) if name == "talk" => settings.talk = on,
                Some(on) => settings.slow = on,
                None => errors.push(format!("`{name}={value}`: expected 1 or 0")),
            },
            "preset" => match presets::find(&value) {
                Ok(p) => settings.preset = Some(p.id),
                Err(e) => errors.push(format!("`preset={value}`: {e}")),
            },
            _ => knobs.push((name, value)),
        }
    }
    let base = base_config(settings.preset.as_deref());
    let mut config = base.clone();
    for (name, value) in knobs {
        if let Err(e) = config.set(&name, &value) {
            errors.push(match e {
                policy::knob::KnobError::UnknownName { .. } => {
                    format!("`{name}`: unknown parameter")
                }
                other => format!("`{name}={value}`: {other}"),
            });
        }
    }
    // Cross-knob rules: fall back to the defaults as a whole, and say so.
    if let Err(e) = config.validate() {
        errors.push(format!(
            "the linked config is inconsistent ({e}); using the preset or the defaults"
        ));
        config = base;
    }
    settings.config = config;
    (settings, errors)
}

/// The config a link's knobs are relative to.
fn base_config(preset: Option<&str>) -> RunConfig {
    preset
        .and_then(|id| presets::find(id).ok())
        .map(|p| p.config)
        .unwrap_or_default()
}

fn parse_flag(value: &str) -> Option<bool> {
    match value {
        "1" | "true" | "on" => Some(true),
        "0" | "false" | "off" => Some(false),
        _ => None,
    }
}

/// Writes the settings as a query string (with the leading `?`, or empty
/// when everything is at its default).
pub fn to_query(settings: &Settings) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    if let Some(preset) = &settings.preset {
        out.append_pair("preset", preset);
    }
    if settings.mode != Mode::default() {
        out.append_pair("mode", settings.mode.name());
    }
    if settings.seed != DEFAULT_SEED {
        out.append_pair("seed", &settings.seed.to_string());
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
    for (name, value) in settings
        .config
        .knobs_differing_from(&base_config(settings.preset.as_deref()))
    {
        out.append_pair(&name, &value);
    }
    let query = out.finish();
    if query.is_empty() {
        query
    } else {
        format!("?{query}")
    }
}
