//! Browser tests of the app: mount it in headless Chromium and read what it shows.
#![cfg(target_arch = "wasm32")]

use resilience_playground::components::app::App;
use resilience_playground::state::{Action, State};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

fn mount() -> Element {
    let document = web_sys::window().and_then(|w| w.document()).expect("a document");
    let root = document.create_element("div").expect("a div");
    document.body().expect("a body").append_child(&root).expect("appended");
    yew::Renderer::<App>::with_root(root.clone()).render();
    root
}

async fn settle() {
    gloo_timers::future::TimeoutFuture::new(20).await;
}

fn rows(root: &Element) -> u32 {
    root.query_selector_all("[data-testid=schedule-row]").expect("query").length()
}

#[wasm_bindgen_test]
async fn default_policy_plans_two_retries_and_a_changed_knob_replans() {
    let root = mount();
    settle().await;
    assert_eq!(rows(&root), 2, "seed default: 3 attempts means 2 planned retries");

    let input: HtmlInputElement =
        root.query_selector("[data-testid='attempts.max']").expect("query").expect("attempts.max control").dyn_into().expect("an input");
    input.set_value("5");
    let event = web_sys::Event::new("change").expect("event");
    input.dispatch_event(&event).expect("dispatched");
    settle().await;
    assert_eq!(rows(&root), 4);
    root.remove();
}

#[wasm_bindgen_test]
fn a_bad_knob_value_is_refused_with_a_message_and_keeps_the_config() {
    let state = State::default();
    let next = state.apply(Action::SetKnob { name: "attempts.max".into(), value: "lots".into() });
    assert_eq!(next.policy, state.policy);
    let message = next.error.expect("an error message");
    assert!(message.contains("attempts.max"), "{message}");
}
