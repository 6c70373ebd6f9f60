//! The page's shortcuts: Space fires, R resets, P plays the replay, T the
//! talk stage, digits pick the deck's lessons, →/← and a clicker's
//! PageDown/PageUp walk the deck. They work whatever has focus except text
//! entry, and a control clicked with the mouse gives the focus back.

use std::rc::Rc;

use flaky::presets::Preset;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::live::Fire;
use crate::state::{Action, State};

/// Installs the page's key listener once; it reaches the latest callbacks
/// and settings through a ref, so it never reads a stale state handle.
#[hook]
pub fn use_shortcuts(
    state: &UseReducerHandle<State>,
    presets: Rc<Vec<Rc<Preset>>>,
    fire: Callback<Fire>,
    reset: Callback<()>,
) {
    // Keyboard: Space fires, R resets, digits pick presets, T toggles talk mode.
    // The listener lives for the page; it reaches this render's callbacks
    // through `latest` and dispatches without reading a (stale) state handle.
    let latest = use_mut_ref(|| (fire.clone(), reset.clone(), state.settings.clone()));
    *latest.borrow_mut() = (fire, reset, state.settings.clone());
    {
        let dispatcher = state.dispatcher();
        let presets = presets.clone();
        use_effect_with((), move |_| {
            let listener =
                Closure::<dyn Fn(web_sys::KeyboardEvent)>::new(move |e: web_sys::KeyboardEvent| {
                    if e.ctrl_key() || e.meta_key() || e.alt_key() || typing_in_a_field(&e) {
                        return;
                    }
                    // A select or a slider keeps its own arrows and page keys.
                    let navigation = matches!(
                        e.key().as_str(),
                        "ArrowLeft"
                            | "ArrowRight"
                            | "ArrowUp"
                            | "ArrowDown"
                            | "PageUp"
                            | "PageDown"
                    );
                    if navigation && adjusting_a_control(&e) {
                        return;
                    }
                    match e.key().as_str() {
                        " " => {
                            e.prevent_default();
                            latest.borrow().0.emit(Fire::Scenario);
                        }
                        "r" | "R" => latest.borrow().1.emit(()),
                        "t" | "T" => dispatcher.dispatch(Action::ToggleTalk),
                        "p" | "P" => dispatcher.dispatch(Action::ReplayToggle),
                        // A presentation clicker sends PageDown/PageUp (or arrows).
                        "PageDown" | "ArrowRight" => {
                            e.prevent_default();
                            dispatcher.dispatch(Action::StepPreset(1));
                        }
                        "PageUp" | "ArrowLeft" => {
                            e.prevent_default();
                            dispatcher.dispatch(Action::StepPreset(-1));
                        }
                        key => {
                            // Digits pick the deck's first ten lessons.
                            if let Some(index) = preset_index_for_key(key) {
                                let deck = crate::state::deck_ids(&latest.borrow().2);
                                if let Some(p) = deck
                                    .get(index)
                                    .and_then(|id| presets.iter().find(|p| &p.id == id))
                                {
                                    dispatcher.dispatch(Action::PickPreset(p.clone()));
                                }
                            }
                        }
                    }
                });
            // A control clicked with the mouse gives the focus back, so the
            // shortcuts keep working (a keyboard user's focus stays put).
            let unfocus = Closure::<dyn Fn(web_sys::Event)>::new(move |e: web_sys::Event| {
                let pointer = e
                    .dyn_ref::<web_sys::MouseEvent>()
                    .is_some_and(|m| m.detail() > 0);
                let changed_by_pointer = e.type_() == "change" && POINTER_DOWN.with(|p| p.get());
                if !(pointer || changed_by_pointer) {
                    return;
                }
                if let Some(el) = e
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
                    .filter(gives_focus_back)
                {
                    let _ = el.blur();
                }
            });
            let track_pointer = Closure::<dyn Fn(web_sys::Event)>::new(move |e: web_sys::Event| {
                POINTER_DOWN.with(|p| p.set(e.type_() == "pointerdown"));
            });
            let document = web_sys::window().and_then(|w| w.document());
            let listeners: [(&str, &js_sys::Function); 5] = [
                ("keydown", listener.as_ref().unchecked_ref()),
                ("click", unfocus.as_ref().unchecked_ref()),
                ("change", unfocus.as_ref().unchecked_ref()),
                ("pointerdown", track_pointer.as_ref().unchecked_ref()),
                ("keydown", track_pointer.as_ref().unchecked_ref()),
            ];
            if let Some(d) = &document {
                for (kind, f) in listeners {
                    let _ = d.add_event_listener_with_callback(kind, f);
                }
            }
            move || {
                if let Some(d) = document {
                    let listeners: [(&str, &js_sys::Function); 5] = [
                        ("keydown", listener.as_ref().unchecked_ref()),
                        ("click", unfocus.as_ref().unchecked_ref()),
                        ("change", unfocus.as_ref().unchecked_ref()),
                        ("pointerdown", track_pointer.as_ref().unchecked_ref()),
                        ("keydown", track_pointer.as_ref().unchecked_ref()),
                    ];
                    for (kind, f) in listeners {
                        let _ = d.remove_event_listener_with_callback(kind, f);
                    }
                }
            }
        });
    }
}

/// Digits 1–9 pick presets 1–9; 0 picks the tenth.
pub fn preset_index_for_key(key: &str) -> Option<usize> {
    match key {
        "0" => Some(9),
        k if k.len() == 1 => k.parse::<usize>().ok().filter(|d| *d >= 1).map(|d| d - 1),
        _ => None,
    }
}

thread_local! {
    /// Whether the last pointer or key event was a pointer press: a select
    /// changed right after one was changed with the mouse.
    static POINTER_DOWN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Buttons, checkboxes and selects give the focus back after a mouse click;
/// text and number fields keep it (the user is typing).
fn gives_focus_back(el: &web_sys::HtmlElement) -> bool {
    match el.tag_name().as_str() {
        "BUTTON" | "SELECT" => true,
        "INPUT" => matches!(
            el.get_attribute("type").as_deref(),
            Some("checkbox" | "radio" | "button" | "submit" | "range")
        ),
        _ => false,
    }
}

fn key_target(e: &web_sys::KeyboardEvent) -> Option<web_sys::Element> {
    e.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
}

/// Text entry keeps every key; every other control leaves the shortcuts on.
fn typing_in_a_field(e: &web_sys::KeyboardEvent) -> bool {
    let Some(target) = key_target(e) else {
        return false;
    };
    if target.get_attribute("contenteditable").is_some() {
        return true;
    }
    match target.tag_name().as_str() {
        "TEXTAREA" => true,
        "INPUT" => !matches!(
            target.get_attribute("type").as_deref(),
            Some("checkbox" | "radio" | "button" | "submit" | "range" | "reset")
        ),
        _ => false,
    }
}

/// A focused select or slider, whose arrow and page keys change its value.
fn adjusting_a_control(e: &web_sys::KeyboardEvent) -> bool {
    key_target(e).is_some_and(|t| {
        t.tag_name() == "SELECT"
            || (t.tag_name() == "INPUT" && t.get_attribute("type").as_deref() == Some("range"))
    })
}
