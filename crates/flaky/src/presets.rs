//! The presets: each lesson, anti-pattern and assignment of the course chapter
//! as one click. They are data (`presets.json`): knob assignments over the
//! defaults, so a preset is exactly what a share link or a `--set` list would
//! say.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::sim::RunConfig;

/// A preset as written in `presets.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresetSource {
    pub id: String,
    pub title: String,
    /// Where in the chapter the lesson comes from.
    pub chapter: String,
    /// What it shows and what to try next.
    pub explanation: String,
    /// Knob assignments over [`RunConfig::default`].
    pub set: BTreeMap<String, String>,
    /// Which deck the preset belongs to.
    #[serde(default)]
    pub deck: Deck,
    /// The mode that shows the lesson (many clients need the simulator).
    #[serde(default)]
    pub mode: PresetMode,
    /// The summary figure that carries the lesson (a name of
    /// [`crate::trace::Summary::figures`]), shown big on the talk stage.
    pub headline: String,
    /// Policy B to compare with (the lesson's "try next"): client-policy
    /// knob assignments over the preset's own policy. Empty: no B.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub b: BTreeMap<String, String>,
}

/// A preset's deck: the chapter's lessons in order, the lessons beyond it,
/// and library profiles (which set only the client policy).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Deck {
    #[default]
    Chapter,
    Beyond,
    Profile,
}

/// The mode a preset opens in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PresetMode {
    #[default]
    Simulated,
    Live,
}

/// A preset, its config built.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Preset {
    pub id: String,
    pub title: String,
    pub chapter: String,
    pub explanation: String,
    pub deck: Deck,
    pub mode: PresetMode,
    /// The summary figure that carries the lesson.
    pub headline: String,
    pub config: RunConfig,
    /// Policy B, compared with the preset's own, if the lesson has one.
    pub config_b: Option<policy::PolicyConfig>,
}

/// `presets.json` without its whitespace (`build.rs`).
const PRESETS_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/presets.min.json"));

/// Every preset, in the chapter's order. An error names the preset and the
/// knob that is wrong (a bug in `presets.json`, caught by the tests).
pub fn all() -> Result<Vec<Preset>, String> {
    let sources: Vec<PresetSource> =
        serde_json::from_str(PRESETS_JSON).map_err(|e| format!("presets.json: {e}"))?;
    sources.into_iter().map(build).collect()
}

/// Builds one preset's config from its knob assignments.
pub fn build(source: PresetSource) -> Result<Preset, String> {
    let mut config = RunConfig::default();
    for (name, value) in &source.set {
        config
            .set(name, value)
            .map_err(|e| format!("preset `{}`: {e}", source.id))?;
    }
    config
        .validate()
        .map_err(|e| format!("preset `{}`: {e}", source.id))?;
    if !crate::trace::Summary::default().has_figure(&source.headline) {
        return Err(format!(
            "preset `{}`: headline `{}` is not a summary figure",
            source.id, source.headline
        ));
    }
    let config_b = if source.b.is_empty() {
        None
    } else {
        let mut b = config.clone();
        for (name, value) in &source.b {
            let policy_knob = policy::PolicyConfig::knobs().iter().any(|k| k.name == name)
                || name.starts_with("retry.status.");
            if !policy_knob {
                return Err(format!(
                    "preset `{}`: B's `{name}` is not a client-policy knob",
                    source.id
                ));
            }
            b.set(name, value)
                .map_err(|e| format!("preset `{}`: B: {e}", source.id))?;
        }
        b.validate()
            .map_err(|e| format!("preset `{}`: B: {e}", source.id))?;
        Some(b.policy)
    };
    Ok(Preset {
        id: source.id,
        title: source.title,
        chapter: source.chapter,
        explanation: source.explanation,
        deck: source.deck,
        mode: source.mode,
        headline: source.headline,
        config,
        config_b,
    })
}

/// The presets of one deck, in order.
pub fn deck(deck: Deck) -> Result<Vec<Preset>, String> {
    Ok(all()?.into_iter().filter(|p| p.deck == deck).collect())
}

/// The preset with this id, or an error listing the valid ids.
pub fn find(id: &str) -> Result<Preset, String> {
    let presets = all()?;
    let ids: Vec<String> = presets.iter().map(|p| p.id.clone()).collect();
    presets
        .into_iter()
        .find(|p| p.id == id)
        .ok_or_else(|| format!("unknown preset `{id}`; valid presets: {}", ids.join(", ")))
}

#[cfg(test)]
mod embedded {
    /// The copy without whitespace reads as the same JSON as `presets.json`.
    #[test]
    fn the_squeezed_presets_are_the_file() {
        let file: serde_json::Value =
            serde_json::from_str(include_str!("../presets.json")).expect("presets.json parses");
        let embedded: serde_json::Value =
            serde_json::from_str(super::PRESETS_JSON).expect("the embedded copy parses");
        assert_eq!(file, embedded);
        assert!(super::PRESETS_JSON.len() < include_str!("../presets.json").len());
    }
}
