//! Browser tests of the app: mount it in headless Chromium and read what it
//! shows; and the URL and state logic it runs on.
#![cfg(target_arch = "wasm32")]

use resilience_playground::components::app::{fire_config, preset_index_for_key, App};
use resilience_playground::live::Fire;
use resilience_playground::state::{Action, Mode, State, Theme};
use resilience_playground::url;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

/// Mounts a fresh app. The app mirrors its settings into the URL, so each
/// test starts from an empty query (tests share one page).
fn mount() -> Element {
    let window = web_sys::window().expect("a window");
    let path = window.location().pathname().expect("a path");
    window
        .history()
        .expect("history")
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path))
        .expect("url reset");
    let document = window.document().expect("a document");
    let root = document.create_element("div").expect("a div");
    document
        .body()
        .expect("a body")
        .append_child(&root)
        .expect("appended");
    yew::Renderer::<App>::with_root(root.clone()).render();
    root
}

async fn settle() {
    gloo_timers::future::TimeoutFuture::new(30).await;
}

fn count(root: &Element, selector: &str) -> u32 {
    root.query_selector_all(selector).expect("query").length()
}

fn find(root: &Element, selector: &str) -> Element {
    root.query_selector(selector)
        .expect("query")
        .unwrap_or_else(|| panic!("no {selector}"))
}

fn set_input(root: &Element, testid: &str, value: &str) {
    let input: HtmlInputElement = find(root, &format!("[data-testid='{testid}']"))
        .dyn_into()
        .expect("an input");
    input.set_value(value);
    input
        .dispatch_event(&web_sys::Event::new("change").expect("event"))
        .expect("dispatched");
}

#[wasm_bindgen_test]
async fn a_changed_knob_replans_the_backoff_schedule() {
    let root = mount();
    settle().await;
    assert_eq!(
        count(&root, "[data-testid=schedule-row]"),
        2,
        "seed default: 3 attempts means 2 planned retries"
    );
    set_input(&root, "attempts.max", "5");
    settle().await;
    assert_eq!(count(&root, "[data-testid=schedule-row]"), 4);
    root.remove();
}

#[wasm_bindgen_test]
async fn a_bad_knob_value_shows_the_banner_and_keeps_the_value() {
    let root = mount();
    settle().await;
    set_input(&root, "backoff.base_ms", "-5");
    settle().await;
    let banner = find(&root, "[data-testid=error-banner]")
        .text_content()
        .unwrap_or_default();
    assert!(banner.contains("backoff.base_ms"), "{banner}");
    assert_eq!(count(&root, "[data-testid=schedule-row]"), 2);
    root.remove();
}

#[wasm_bindgen_test]
async fn simulated_fire_draws_a_lane_per_call_and_a_bar_per_attempt() {
    let root = mount();
    settle().await;
    let select: web_sys::HtmlSelectElement = find(&root, "[data-testid=mode]")
        .dyn_into()
        .expect("select");
    select.set_value("simulated");
    select
        .dispatch_event(&web_sys::Event::new("change").expect("event"))
        .expect("dispatched");
    settle().await;
    set_input(&root, "endpoint.fault.503", "0.5");
    settle().await;
    let fire: HtmlElement = find(&root, "[data-testid=fire-many]")
        .dyn_into()
        .expect("button");
    fire.click();
    settle().await;
    assert_eq!(
        find(&root, "[data-testid=run-status]")
            .text_content()
            .as_deref(),
        Some("done")
    );
    assert_eq!(
        count(&root, "[data-testid=timeline-lane]"),
        10,
        "10 clients × 1 call"
    );
    let bars = count(&root, "[data-testid=attempt-bar]");
    let requests: u32 = find(&root, "[data-testid=server-requests]")
        .text_content()
        .unwrap_or_default()
        .parse()
        .expect("a number");
    assert_eq!(bars, requests, "one bar per server request for reads");
    assert!(bars > 10, "with 50% 503s some calls retried");
    root.remove();
}

#[wasm_bindgen_test]
fn a_bad_knob_value_is_refused_with_a_message_and_keeps_the_config() {
    let state = State::default();
    let next = state.apply(Action::SetKnob {
        name: "attempts.max".into(),
        value: "lots".into(),
    });
    assert_eq!(next.settings.config, state.settings.config);
    let message = next.knob_error.expect("an error message");
    assert!(message.contains("attempts.max"), "{message}");
}

#[wasm_bindgen_test]
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
    settings.theme = Theme::Dark;
    let query = url::to_query(&settings);
    let (back, errors) = url::parse(&query);
    assert!(errors.is_empty(), "{query}: {errors:?}");
    assert_eq!(back, settings, "{query}");
}

#[wasm_bindgen_test]
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
}

#[wasm_bindgen_test]
fn firing_one_call_runs_one_client_once_and_digits_pick_presets() {
    let mut config = flaky::sim::RunConfig::default();
    config.set("sim.clients", "40").expect("set");
    let one = fire_config(&config, Fire::One);
    assert_eq!(
        (one.scenario.clients, one.scenario.calls_per_client),
        (1, 1)
    );
    assert_eq!(fire_config(&config, Fire::Scenario), config);
    assert_eq!(preset_index_for_key("1"), Some(0));
    assert_eq!(preset_index_for_key("0"), Some(9));
    assert_eq!(preset_index_for_key("x"), None);
}

#[wasm_bindgen_test]
fn a_panic_shows_an_overlay_with_a_way_back() {
    resilience_playground::panic::show_overlay("index out of bounds <script>");
    let document = web_sys::window()
        .and_then(|w| w.document())
        .expect("a document");
    let overlay = document
        .query_selector("[data-testid=panic-overlay]")
        .expect("query")
        .expect("the overlay");
    let text = overlay.text_content().unwrap_or_default();
    assert!(
        text.contains("index out of bounds <script>"),
        "the message is shown as text: {text}"
    );
    assert_eq!(
        overlay
            .query_selector_all("a.button")
            .expect("query")
            .length(),
        2,
        "reload and reset links"
    );
    assert!(
        overlay.query_selector("script").expect("query").is_none(),
        "the message is escaped"
    );
    overlay.remove();
}

#[wasm_bindgen_test]
fn the_cli_export_reproduces_the_config_and_python_states_the_policy() {
    let (mut settings, _) = url::parse("?preset=circuit-breaker");
    settings.config.set("jitter.kind", "full").expect("set");
    let cli = resilience_playground::export::cli_command(&settings.config, 9);
    assert!(cli.contains("--seed 9"), "{cli}");
    let mut rebuilt = flaky::sim::RunConfig::default();
    for line in cli.split("--set ").skip(1) {
        let pair = line.trim_end_matches([' ', '\\', '\n']);
        let (k, v) = pair.split_once('=').expect("k=v");
        rebuilt.set(k, v).expect("a valid knob");
    }
    assert_eq!(
        rebuilt, settings.config,
        "the command's --set list rebuilds the config"
    );

    let python = resilience_playground::export::python(&settings.config.policy);
    assert!(python.contains("stop_after_attempt(2)"), "{python}");
    assert!(
        python.contains("wait_random_exponential(multiplier=0.1, exp_base=2, max=60)"),
        "{python}"
    );
    assert!(
        python.contains("pybreaker.CircuitBreaker(fail_max=4, reset_timeout=2)"),
        "{python}"
    );
    let default = resilience_playground::export::python(&policy::PolicyConfig::default());
    assert!(
        default.contains("wait_exponential(multiplier=1, exp_base=2, max=60)"),
        "the seed's 2 ** attempt: {default}"
    );
    assert!(default.contains("timeout=5,"), "{default}");
}
