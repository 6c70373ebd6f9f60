//! The URL codec: links reproduce the screen, and bad links name what is bad.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use app_core::state::{LaneOrder, Mode, Settings, Theme, DEFAULT_SEED};
use app_core::url::{self, QUOTED_CHARS_MAX};
use flaky::presets;

#[test]
fn the_defaults_make_an_empty_query_and_an_empty_query_the_defaults() {
    assert_eq!(url::to_query(&Settings::default()), "");
    for query in ["", "?", "?&&", "&"] {
        let (settings, errors) = url::parse(query);
        assert!(errors.is_empty(), "{query}: {errors:?}");
        assert_eq!(settings, Settings::default(), "{query}");
    }
}

#[test]
fn the_url_round_trips_every_setting() {
    let (mut settings, errors) = url::parse("?preset=circuit-breaker");
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        settings.config.get("breaker.kind").as_deref(),
        Some("consecutive"),
        "a preset link loads the preset"
    );
    settings.config.set("breaker.open_ms", "1234").expect("set");
    settings
        .config
        .set("retry.status.503", "false")
        .expect("set");
    settings
        .config
        .set("endpoint.fault.429", "0.2")
        .expect("set");
    settings.seed = 7;
    settings.mode = Mode::Simulated;
    settings.talk = true;
    settings.slow = true;
    settings.theme = Theme::Dark;
    settings.lanes = LaneOrder::Slowest;
    let query = url::to_query(&settings);
    assert!(query.contains("lanes=slowest"), "{query}");
    let (back, errors) = url::parse(&query);
    assert!(errors.is_empty(), "{query}: {errors:?}");
    assert_eq!(back, settings, "{query}");
}

#[test]
fn knobs_are_written_relative_to_the_preset() {
    let preset = presets::find("circuit-breaker").expect("a preset");
    let mut settings = Settings {
        config: preset.config.clone(),
        preset: Some(preset.id.clone()),
        mode: preset.mode.into(),
        b: preset.config_b.clone(),
        ..Settings::default()
    };
    assert_eq!(url::to_query(&settings), "?preset=circuit-breaker");
    settings.config.set("attempts.max", "7").expect("set");
    assert_eq!(
        url::to_query(&settings),
        "?preset=circuit-breaker&attempts.max=7"
    );
}

#[test]
fn a_malformed_url_names_each_bad_parameter_and_keeps_the_rest() {
    let (settings, errors) = url::parse(
        "?attempts.max=lots&bogus=1&seed=x&mode=warp&backoff.base_ms=250&endpoint.fault.503=2",
    );
    assert_eq!(errors.len(), 5, "{errors:?}");
    for bad in [
        "attempts.max",
        "bogus",
        "seed",
        "mode",
        "endpoint.fault.503",
    ] {
        assert!(
            errors.iter().any(|e| e.contains(bad)),
            "{bad} not named in {errors:?}"
        );
    }
    assert_eq!(
        settings.config.get("backoff.base_ms").as_deref(),
        Some("250"),
        "good parameters are kept"
    );
    assert_eq!(
        settings.config.get("attempts.max").as_deref(),
        Some("3"),
        "bad ones fall back to the default"
    );
    assert_eq!(settings.seed, DEFAULT_SEED);
    assert_eq!(settings.mode, Mode::default());
}

#[test]
fn bad_flags_themes_and_presets_are_named() {
    let (settings, errors) = url::parse("?talk=maybe&slow=2&theme=neon&preset=nope&lanes=fastest");
    assert_eq!(errors.len(), 5, "{errors:?}");
    for bad in [
        "`talk=maybe`",
        "`slow=2`",
        "`theme=neon`",
        "`preset=nope`",
        "`lanes=fastest`",
    ] {
        assert!(
            errors.iter().any(|e| e.starts_with(bad)),
            "{bad}: {errors:?}"
        );
    }
    assert_eq!(settings, Settings::default());
}

#[test]
fn flags_take_the_usual_spellings() {
    let (settings, errors) = url::parse("talk=on&slow=true&mode=sim&theme=light");
    assert!(errors.is_empty(), "{errors:?}");
    assert!(settings.talk && settings.slow);
    assert_eq!(settings.mode, Mode::Simulated);
    assert_eq!(settings.theme, Theme::Light);
    let (settings, _) = url::parse("talk=0&slow=off");
    assert!(!settings.talk && !settings.slow);
}

#[test]
fn a_knob_before_the_preset_is_still_relative_to_it() {
    let (settings, errors) = url::parse("?attempts.max=7&preset=circuit-breaker");
    assert!(errors.is_empty(), "{errors:?}");
    let mut expected = presets::find("circuit-breaker").expect("a preset").config;
    expected.set("attempts.max", "7").expect("set");
    assert_eq!(settings.config, expected);
}

#[test]
fn an_over_full_fault_mix_names_the_refused_knob_and_keeps_the_other() {
    let (settings, errors) = url::parse("?endpoint.fault.500=0.7&endpoint.fault.503=0.7");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("`endpoint.fault.503=0.7`"),
        "{errors:?}"
    );
    assert_eq!(
        settings.config.get("endpoint.fault.500").as_deref(),
        Some("0.7")
    );
}

#[test]
fn fault_knobs_apply_in_any_order() {
    // The preset hangs 30% of requests: 0.9 more only fits once hang is 0.
    let (settings, errors) =
        url::parse("?preset=no-timeout&endpoint.fault.500=0.9&endpoint.fault.hang=0");
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        settings.config.get("endpoint.fault.500").as_deref(),
        Some("0.9")
    );
    assert_eq!(url::parse(&url::to_query(&settings)).0, settings);
}

#[test]
fn a_repeated_knob_takes_its_last_value() {
    let (settings, errors) = url::parse("?attempts.max=lots&attempts.max=4");
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(settings.config.get("attempts.max").as_deref(), Some("4"));
}

#[test]
fn percent_encoding_is_decoded_and_junk_is_named() {
    let (settings, errors) = url::parse("?backoff.base_ms=%32%35%30&%E2%9C%93=%ZZ");
    assert_eq!(
        settings.config.get("backoff.base_ms").as_deref(),
        Some("250")
    );
    assert_eq!(errors, ["`✓`: unknown parameter"]);
}

#[test]
fn a_long_value_is_quoted_only_in_part() {
    let long = "9".repeat(100_000);
    let (_, errors) = url::parse(&format!("?seed={long}&attempts.max={long}&{long}=1"));
    assert_eq!(errors.len(), 3, "one per bad parameter");
    for error in &errors {
        assert!(error.len() < 4 * QUOTED_CHARS_MAX + 200, "{error}");
        assert!(error.contains('…'), "{error}");
    }
    assert!(errors[1].starts_with("`attempts.max="), "{}", errors[1]);
}

#[test]
fn a_comparison_link_gives_b_as_a_with_its_own_knobs() {
    let (settings, errors) = url::parse("?preset=no-jitter&b.jitter.kind=full");
    assert!(errors.is_empty(), "{errors:?}");
    let b = settings.config_b().expect("B from b.* knobs");
    assert_eq!(b.get("jitter.kind").as_deref(), Some("full"));
    assert_eq!(settings.config.get("jitter.kind").as_deref(), Some("none"));
    assert_eq!(settings.b_differs(), ["jitter.kind"]);
    assert_eq!(
        settings.mode,
        app_core::state::Mode::Simulated,
        "the preset's mode"
    );
    // That B is the lesson's own: the link says only the lesson.
    assert_eq!(url::to_query(&settings), "?preset=no-jitter");
    let (other, errors) = url::parse("?preset=no-jitter&b.jitter.kind=equal");
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        url::to_query(&other),
        "?preset=no-jitter&b.jitter.kind=equal"
    );
}

#[test]
fn b_identical_to_a_and_b_turned_off_survive_a_link() {
    let (same, errors) = url::parse("?compare=1&attempts.max=5");
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(same.b.as_ref(), Some(&same.config.policy));
    assert_eq!(url::to_query(&same), "?attempts.max=5&compare=1");
    let (off, errors) = url::parse("?compare=0");
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(off.b, None);
}

#[test]
fn b_differs_only_in_the_client_policy_and_a_bad_b_knob_is_named() {
    let (settings, errors) =
        url::parse("?b.endpoint.fault.503=0.5&b.attempts.max=oops&b.attempts.timeout_ms=300");
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("`b.endpoint.fault.503`")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("`b.attempts.max=oops`")),
        "{errors:?}"
    );
    let b = settings.config_b().expect("B");
    assert_eq!(b.get("attempts.timeout_ms").as_deref(), Some("300"));
}

#[test]
fn a_deck_is_read_and_written_and_an_unknown_lesson_named() {
    let (settings, errors) = url::parse("?deck=full-jitter,no-jitter");
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        settings.deck.as_deref(),
        Some(&["full-jitter".to_string(), "no-jitter".to_string()][..])
    );
    assert_eq!(url::to_query(&settings), "?deck=full-jitter%2Cno-jitter");
    let (settings, errors) = url::parse("?deck=full-jitter,nope");
    assert_eq!(settings.deck, None);
    assert!(errors[0].contains("`nope` in the deck"), "{errors:?}");
}

/// A lesson about a tail (p99, unfinished calls) opens with its slowest
/// calls as lanes; its link says `lanes=` only when it differs.
#[test]
fn a_lesson_about_a_tail_opens_slowest_first() {
    let (settings, errors) = url::parse("?preset=no-jitter");
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(settings.lanes, LaneOrder::Slowest);
    assert_eq!(url::to_query(&settings), "?preset=no-jitter");
    let (settings, _) = url::parse("?preset=no-jitter&lanes=start");
    assert_eq!(settings.lanes, LaneOrder::Start);
    assert_eq!(url::to_query(&settings), "?preset=no-jitter&lanes=start");
    let (settings, _) = url::parse("?preset=no-timeout");
    assert_eq!(settings.lanes, LaneOrder::Slowest);
    let (settings, _) = url::parse("?preset=circuit-breaker");
    assert_eq!(settings.lanes, LaneOrder::Start);
    assert_eq!(url::parse("").0.lanes, LaneOrder::Start);
}

#[test]
fn a_watched_server_survives_a_link_and_a_remote_one_is_refused() {
    let (settings, errors) = url::parse("?server=http%3A%2F%2F127.0.0.1%3A8080%2F&seed=3");
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(settings.server.as_deref(), Some("http://127.0.0.1:8080"));
    let query = url::to_query(&settings);
    assert_eq!(url::parse(&query).0, settings, "{query}");
    let (settings, errors) = url::parse("?server=https%3A%2F%2Fevil.example");
    assert_eq!(settings.server, None);
    assert!(
        errors.len() == 1 && errors[0].contains("server=") && errors[0].contains("on this machine"),
        "{errors:?}"
    );
}
