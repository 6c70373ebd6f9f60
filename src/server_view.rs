//! The page as a viewer of a native mock server (`?server=`): its event
//! stream (an `EventSource`) read by `app_core::server::ServerFeed`, the
//! trace shown at most every [`SHOW_EVERY_MS`] (a busy server sends
//! thousands of events a second; the page redraws ten times).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use app_core::server::{events_url, ServerFeed};
use flaky::protocol::native::{EVENT_RESET, EVENT_SERVED};
use gloo_timers::callback::Timeout;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast as _;
use web_sys::{EventSource, MessageEvent};
use yew::UseReducerDispatcher;

use crate::state::{Action, State};

const SHOW_EVERY_MS: u32 = 100;

/// An open stream; dropping it closes it.
pub struct Watch {
    source: EventSource,
    _closures: Vec<Closure<dyn FnMut(MessageEvent)>>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.source.close();
    }
}

/// Opens `origin`'s event stream; each event goes into one feed whose trace
/// is shown. A stream that reconnects starts its feed anew (the server
/// sends its kept trace again).
pub fn watch(origin: &str, dispatcher: UseReducerDispatcher<State>) -> Result<Watch, String> {
    let url = events_url(origin);
    let source = EventSource::new(&url).map_err(|e| format!("cannot watch {url}: {e:?}"))?;
    let feed = Rc::new(RefCell::new(ServerFeed::default()));
    let pending = Rc::new(Cell::new(false));
    let show = {
        let (feed, pending, dispatcher) = (feed.clone(), pending.clone(), dispatcher.clone());
        Rc::new(move |problem: Option<String>| {
            if problem.is_none() && pending.replace(true) {
                return;
            }
            let (feed, pending, dispatcher) = (feed.clone(), pending.clone(), dispatcher.clone());
            Timeout::new(SHOW_EVERY_MS, move || {
                pending.set(false);
                let trace = Rc::new(feed.borrow().trace());
                dispatcher.dispatch(Action::ShowServer { trace, problem });
            })
            .forget();
        })
    };
    let mut closures = Vec::new();
    for name in [EVENT_SERVED, EVENT_RESET] {
        let (feed, show) = (feed.clone(), show.clone());
        let on_event = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let data = e.data().as_string().unwrap_or_default();
            let applied = feed.borrow_mut().apply(name, &data);
            show(applied.err());
        });
        source
            .add_event_listener_with_callback(name, on_event.as_ref().unchecked_ref())
            .map_err(|e| format!("cannot listen to {url}: {e:?}"))?;
        closures.push(on_event);
    }
    let on_open = {
        let feed = feed.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |_: MessageEvent| {
            *feed.borrow_mut() = ServerFeed::default();
        })
    };
    source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    closures.push(on_open);
    let on_error = {
        let origin = origin.to_string();
        Closure::<dyn FnMut(MessageEvent)>::new(move |_: MessageEvent| {
            show(Some(format!(
                "cannot reach the mock server at {origin} (is `playground mock-server` running? \
                 it lets pages on 127.0.0.1 and localhost read it unless told otherwise with \
                 --allow-origin); retrying"
            )));
        })
    };
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    closures.push(on_error);
    Ok(Watch {
        source,
        _closures: closures,
    })
}
