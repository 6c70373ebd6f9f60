//! Tooltips on demand: the timeline writes an attempt's, a sleep's or a
//! call's words into a `<title>` when the pointer comes over it, and takes
//! it away when the pointer leaves. A title per element up front was half of
//! a timeline's elements and most of the text the page sent to the DOM on
//! every run; the words are the same.

use flaky::sim::{AttemptTrace, CallTrace, SleepTrace, Trace};
use wasm_bindgen::JsCast;
use web_sys::Element;

use crate::view::{self, ms_label};

const SVG_NS: &str = "http://www.w3.org/2000/svg";
/// What gets a tooltip, innermost first.
const TIPPED: &str = "[data-testid=attempt-bar], [data-testid=sleep], [data-testid=timeline-lane]";

/// An attempt's words: its times, outcome, timeout, and the duplicate it made.
pub fn attempt_words(call: &CallTrace, a: &AttemptTrace, hung: bool) -> String {
    format!(
        "attempt {}{}{}: {} → {}: {}{}{}",
        a.attempt,
        if a.probe { " (half-open probe)" } else { "" },
        if a.hedge { " (hedge)" } else { "" },
        ms_label(a.start_ms),
        a.end_ms.map(ms_label).unwrap_or_else(|| if hung {
            "still waiting at the horizon".into()
        } else {
            "…".into()
        }),
        view::outcome_words(a.outcome),
        a.timeout_ms
            .map(|t| format!(" · timeout {}", ms_label(t)))
            .unwrap_or_else(|| " · no timeout".into()),
        if a.duplicate {
            format!(" · created a duplicate of item {}", call.target)
        } else {
            String::new()
        },
    )
}

/// A sleep's words: when, and why (the planned backoff or the server's hint).
pub fn sleep_words(s: &SleepTrace) -> String {
    format!(
        "sleep {} → {}: {}",
        ms_label(s.from_ms),
        ms_label(s.until_ms),
        view::sleep_label(&s.reason)
    )
}

/// A call's words: its id, client, item and how it ended.
pub fn call_words(call: &CallTrace) -> String {
    format!(
        "call {} (client {}) {}: {}",
        call.id,
        call.client,
        call.target,
        view::done_words(call.result.as_ref())
    )
}

/// The words for `el` (an attempt bar, a sleep or a lane) read from `trace`.
fn words_for(el: &Element, trace: &Trace, finished: bool) -> Option<String> {
    let lane = el.closest("[data-testid=timeline-lane]").ok()??;
    let id: u32 = lane.get_attribute("data-call")?.parse().ok()?;
    let call = trace.calls.iter().find(|c| c.id == id)?;
    let number = |name: &str| -> Option<u64> { el.get_attribute(name)?.parse().ok() };
    match el.get_attribute("data-testid")?.as_str() {
        "attempt-bar" => {
            let attempt = number("data-attempt")?;
            let a = call
                .attempts
                .iter()
                .find(|a| u64::from(a.attempt) == attempt)?;
            Some(attempt_words(call, a, call.end_ms.is_none() && finished))
        }
        "sleep" => {
            let from = number("data-from-ms")?;
            call.sleeps
                .iter()
                .find(|s| s.from_ms == from)
                .map(sleep_words)
        }
        _ => Some(call_words(call)),
    }
}

/// Takes away the tooltips written so far in `svg`.
fn clear(svg: &Element) {
    while let Ok(Some(old)) = svg.query_selector("title.tip") {
        old.remove();
    }
}

/// The pointer came over `target` in `svg`: its tooltip, written now.
pub fn show(svg: &Element, target: Option<web_sys::EventTarget>, trace: &Trace, finished: bool) {
    clear(svg);
    let Some(el) = target
        .and_then(|t| t.dyn_into::<Element>().ok())
        .and_then(|t| t.closest(TIPPED).ok().flatten())
    else {
        return;
    };
    let (Some(words), Some(document)) = (words_for(&el, trace, finished), el.owner_document())
    else {
        return;
    };
    if let Ok(title) = document.create_element_ns(Some(SVG_NS), "title") {
        title.set_attribute("class", "tip").ok();
        title.set_text_content(Some(&words));
        let _ = el.prepend_with_node_1(&title);
    }
}

/// The pointer left the timeline: no tooltip stays behind.
pub fn hide(svg: &Element) {
    clear(svg);
}
