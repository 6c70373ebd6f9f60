//! Browser tests of the app: mount it in headless Chromium and read what it
//! shows. The pure logic it runs on (reducer, URL codec, view model, export)
//! is tested natively in `crates/app-core/tests`.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use app_core::keys::preset_index_for_key;
use app_core::run::{fire_config, Fire};
use resilience_playground::components::app::App;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, HtmlElement, HtmlInputElement};
use yew::prelude::*;

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

/// Yew renders after the event that changed the state, and a loaded CI
/// machine can take longer than one `settle()`: these poll (every 20 ms, up
/// to 5 s) for what the test waits for, then fail naming it.
async fn wait_for(root: &Element, selector: &str) -> Element {
    for _ in 0..250 {
        if let Ok(Some(el)) = root.query_selector(selector) {
            return el;
        }
        gloo_timers::future::TimeoutFuture::new(20).await;
    }
    panic!("no {selector} after 5 s")
}

async fn wait_count(root: &Element, selector: &str, want: u32) {
    let mut seen = count(root, selector);
    for _ in 0..250 {
        if seen == want {
            return;
        }
        gloo_timers::future::TimeoutFuture::new(20).await;
        seen = count(root, selector);
    }
    panic!("{seen} of {selector} after 5 s, expected {want}")
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
    // The default: 3 attempts means 2 planned retries.
    wait_count(&root, "[data-testid=schedule-row]", 2).await;
    set_input(&root, "attempts.max", "5");
    wait_count(&root, "[data-testid=schedule-row]", 4).await;
    root.remove();
}

#[wasm_bindgen_test]
async fn a_bad_knob_value_shows_the_banner_and_keeps_the_value() {
    let root = mount();
    wait_for(&root, "[data-testid='backoff.base_ms']").await;
    set_input(&root, "backoff.base_ms", "-5");
    let banner = wait_for(&root, "[data-testid=error-banner]")
        .await
        .text_content()
        .unwrap_or_default();
    assert!(banner.contains("backoff.base_ms"), "{banner}");
    assert_eq!(count(&root, "[data-testid=schedule-row]"), 2);
    root.remove();
}

/// The page starts its run worker once it is up, and this test page does
/// not serve the worker's loader (the end-to-end tests fire real runs
/// against the built app). A run fired before the worker's failure is known
/// is computed in the page; once it is known, a fire must say why nothing
/// ran, not stay "running".
#[wasm_bindgen_test]
async fn a_run_worker_that_cannot_load_is_reported_not_left_running() {
    let root = mount();
    let select: web_sys::HtmlSelectElement = wait_for(&root, "[data-testid=mode]")
        .await
        .dyn_into()
        .expect("select");
    select.set_value("simulated");
    select
        .dispatch_event(&web_sys::Event::new("change").expect("event"))
        .expect("dispatched");
    settle().await;
    let fire: HtmlElement = find(&root, "[data-testid=fire-many]")
        .dyn_into()
        .expect("button");
    let banner = || {
        root.query_selector("[data-testid=error-banner]")
            .ok()
            .flatten()
            .and_then(|b| b.text_content())
    };
    let mut waited_ms = 0;
    while !banner().is_some_and(|b| b.contains("run worker")) {
        assert!(
            waited_ms < 10_000,
            "no run worker failure after 10 s: {:?}",
            banner()
        );
        fire.click();
        gloo_timers::future::TimeoutFuture::new(200).await;
        waited_ms += 200;
    }
    let mut waited_ms = 0;
    while find(&root, "[data-testid=run-status]")
        .text_content()
        .as_deref()
        == Some("running")
    {
        assert!(waited_ms < 10_000, "still running after 10 s");
        gloo_timers::future::TimeoutFuture::new(50).await;
        waited_ms += 50;
    }
    // Once broken, a fire is refused at once with the same reason.
    fire.click();
    settle().await;
    assert_ne!(
        find(&root, "[data-testid=run-status]")
            .text_content()
            .as_deref(),
        Some("running")
    );
    assert!(
        banner().is_some_and(|b| b.contains("run worker")),
        "{:?}",
        banner()
    );
    root.remove();
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

/// Props holding a trace compare it by identity (`resilience_playground::same`).
#[wasm_bindgen_test]
fn a_prop_trace_is_equal_to_itself_not_to_an_equal_copy() {
    use std::rc::Rc;

    use flaky::sim::Trace;
    use resilience_playground::same::Same;
    use yew::html::IntoPropValue;

    let same = |t: Option<Rc<Trace>>| -> Same<Option<Rc<Trace>>> { t.into_prop_value() };
    let trace = Rc::new(Trace::default());
    let copy = Rc::new((*trace).clone());
    assert!(same(Some(trace.clone())) == same(Some(trace.clone())));
    assert!(same(Some(trace.clone())) != same(Some(copy)));
    assert!(same(None) == same(None));
    assert!(same(Some(trace.clone())) != same(None));
}

thread_local! {
    /// Sets the trace `TwoRuns` passes to its timeline.
    static SHOW: std::cell::RefCell<Option<Callback<std::rc::Rc<flaky::sim::Trace>>>> =
        const { std::cell::RefCell::new(None) };
}

/// A timeline whose trace the test sets (`SHOW`), as a run's updates set the page's.
#[component(TwoRuns)]
fn two_runs() -> Html {
    let trace = use_state(|| None::<std::rc::Rc<flaky::sim::Trace>>);
    {
        let trace = trace.clone();
        SHOW.with(|s| *s.borrow_mut() = Some(Callback::from(move |t| trace.set(Some(t)))));
    }
    html! {
        <resilience_playground::components::timeline::Timeline trace={(*trace).clone()} finished=true />
    }
}

/// A run replaced within 100 ms of the one before it: the timeline goes to
/// the new run and stays there (a late callback of the old run once drew the
/// old lanes over it, a finished live run's timeline showing pending attempts).
#[wasm_bindgen_test]
async fn a_timeline_never_goes_back_to_a_run_it_was_replaced_by() {
    use std::rc::Rc;

    let run = |clients: &str| {
        let mut config = flaky::sim::RunConfig::default();
        config.set("sim.clients", clients).expect("set");
        config.set("sim.calls", "1").expect("set");
        Rc::new(flaky::sim::run(&config, 7))
    };
    let (old, new) = (run("3"), run("5"));
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<TwoRuns>::with_root(root.clone()).render();
    let show = |trace: &Rc<flaky::sim::Trace>| {
        let set = SHOW.with(|s| s.borrow().clone()).expect("mounted");
        set.emit(trace.clone());
    };
    // Every drawing the timeline shows, as lane counts: a flash of the old
    // run lasts until the next frame, too short to poll for.
    let drawn = Rc::new(std::cell::RefCell::new(Vec::new()));
    let on_change = {
        let (drawn, root) = (drawn.clone(), root.clone());
        wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
            let lanes = count(&root, "[data-testid=timeline-lane]");
            let mut drawn = drawn.borrow_mut();
            if drawn.last() != Some(&lanes) {
                drawn.push(lanes);
            }
        })
    };
    let observer = web_sys::MutationObserver::new(on_change.as_ref().unchecked_ref()).unwrap();
    let options = web_sys::MutationObserverInit::new();
    options.set_child_list(true);
    options.set_subtree(true);
    observer.observe_with_options(&root, &options).unwrap();
    settle().await;
    // Old run, new run 20 ms later, then past the old run's 100 ms timeout.
    show(&old);
    gloo_timers::future::TimeoutFuture::new(20).await;
    show(&new);
    gloo_timers::future::TimeoutFuture::new(300).await;
    observer.disconnect();
    let drawn = drawn.borrow().clone();
    let first_new = drawn.iter().position(|&n| n == 5);
    assert!(
        first_new.is_some(),
        "the new run's 5 lanes were never drawn: {drawn:?}"
    );
    assert!(
        drawn[first_new.unwrap_or(0)..].iter().all(|&n| n == 5),
        "once the new run was drawn, the old one came back: lane counts {drawn:?}"
    );
    root.remove();
}

/// The run worker's yield between slices (`run_worker::next_task`: a
/// `MessageChannel` message, no 4 ms clamp however deep the nesting) wakes
/// its waiters one task each, first come first: an older run waiting beside
/// a newer one resumes (and stops) in its turn.
#[wasm_bindgen_test]
async fn next_task_wakes_waiters_in_order() {
    use run_worker::next_task::next_task;
    use std::cell::RefCell;
    use std::rc::Rc;

    let order = Rc::new(RefCell::new(Vec::new()));
    for i in 0..3 {
        let order = Rc::clone(&order);
        wasm_bindgen_futures::spawn_local(async move {
            next_task().await;
            order.borrow_mut().push(i);
            next_task().await;
            order.borrow_mut().push(10 + i);
        });
    }
    for _ in 0..200 {
        next_task().await;
        if order.borrow().len() == 6 {
            break;
        }
    }
    assert_eq!(*order.borrow(), vec![0, 1, 2, 10, 11, 12]);
}

/// The address bar says a change 150 ms later (`Effect::WriteUrl`); a
/// panic meanwhile writes it first (`effects::write_pending_url`, from the
/// panic hook), so the overlay's "Reload with the same settings" keeps it.
#[wasm_bindgen_test]
async fn a_pending_url_is_written_at_once_when_asked() {
    let root = mount();
    wait_for(&root, "[data-testid='attempts.max']").await;
    let search = || {
        web_sys::window()
            .and_then(|w| w.location().search().ok())
            .unwrap_or_default()
    };
    set_input(&root, "attempts.max", "5");
    // The change's effects run in a microtask the dispatch queued: after
    // it, not after the 150 ms timer.
    let _ = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(
        &wasm_bindgen::JsValue::NULL,
    ))
    .await;
    assert!(
        !search().contains("attempts.max=5"),
        "not yet: {}",
        search()
    );
    resilience_playground::effects::write_pending_url();
    assert!(search().contains("attempts.max=5"), "{}", search());
    root.remove();
}
