//! The page's shortcuts: Space fires, R resets, P plays the replay, T the
//! talk stage, digits pick the deck's lessons, →/← and a clicker's
//! PageDown/PageUp walk the deck. They work whatever has focus except text
//! entry, and a control clicked with the mouse gives the focus back.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::state::State;

/// Installs the page's key listener once; which key does what is
/// `app_core::keys::shortcut`, dispatched as an action (so it never reads a
/// stale state).
#[hook]
pub fn use_shortcuts(dispatcher: UseReducerDispatcher<State>) {
    {
        use_effect_with((), move |_| {
            let listener =
                Closure::<dyn Fn(web_sys::KeyboardEvent)>::new(move |e: web_sys::KeyboardEvent| {
                    if e.ctrl_key() || e.meta_key() || e.alt_key() || typing_in_a_field(&e) {
                        return;
                    }
                    let key = e.key();
                    // A select or a slider keeps its own arrows and page keys.
                    if app_core::keys::is_navigation_key(&key) && adjusting_a_control(&e) {
                        return;
                    }
                    if let Some(shortcut) = app_core::keys::shortcut(&key) {
                        if shortcut.prevent_default {
                            e.prevent_default();
                        }
                        dispatcher.dispatch(shortcut.action);
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
