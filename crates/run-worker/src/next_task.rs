//! Yielding to the event loop between slices without the browsers' 4 ms
//! clamp: a `setTimeout(0)` set from a timer's own callback is nested, and
//! from the fifth nesting on the HTML standard makes it wait at least 4 ms.
//! A run's slices are each other's timers, so a 30,000-call run of 12
//! slices spent 7 × 4 ms waiting (`node tests/e2e/bench/phases.mjs 30000`
//! showed the gaps). A message on a `MessageChannel` is a task of its own
//! with no clamp (what React's scheduler yields with), queued behind the
//! messages already waiting, so a newer run from the page is still read
//! before the next slice.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    type MessageChannel;
    #[wasm_bindgen(constructor, catch)]
    fn new() -> Result<MessageChannel, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn port1(this: &MessageChannel) -> MessagePort;
    #[wasm_bindgen(method, getter)]
    fn port2(this: &MessageChannel) -> MessagePort;

    type MessagePort;
    #[wasm_bindgen(method, setter)]
    fn set_onmessage(this: &MessagePort, handler: &js_sys::Function);
    #[wasm_bindgen(method, js_name = postMessage)]
    fn post_message(this: &MessagePort, message: &JsValue);
}

/// One channel per thread: its port1 wakes the waiting yields in order.
struct Channel {
    /// Kept so the ports live as long as the thread.
    channel: MessageChannel,
    /// The resolvers of the yields waiting, first posted first.
    waiting: Rc<RefCell<VecDeque<js_sys::Function>>>,
    _on_message: Closure<dyn FnMut()>,
}

thread_local! {
    /// Opened at the first yield; `None` where there is no `MessageChannel`.
    static CHANNEL: Option<Channel> = open();
}

fn open() -> Option<Channel> {
    let channel = MessageChannel::new().ok()?;
    let waiting: Rc<RefCell<VecDeque<js_sys::Function>>> = Rc::default();
    let on_message = Closure::<dyn FnMut()>::new({
        let waiting = Rc::clone(&waiting);
        move || {
            let next = waiting.borrow_mut().pop_front();
            if let Some(resolve) = next {
                let _ = resolve.call0(&JsValue::UNDEFINED);
            }
        }
    });
    channel
        .port1()
        .set_onmessage(on_message.as_ref().unchecked_ref());
    Some(Channel {
        channel,
        waiting,
        _on_message: on_message,
    })
}

/// Resolves in a task of its own, after the tasks already queued: a
/// `MessageChannel` message, or a `setTimeout(0)` where there is none.
pub async fn next_task() {
    let mut posted = None;
    CHANNEL.with(|channel| {
        if let Some(channel) = channel {
            let promise = js_sys::Promise::new(&mut |resolve, _reject| {
                channel.waiting.borrow_mut().push_back(resolve);
            });
            channel.channel.port2().post_message(&JsValue::UNDEFINED);
            posted = Some(JsFuture::from(promise));
        }
    });
    match posted {
        Some(future) => {
            let _ = future.await;
        }
        None => TimeoutFuture::new(0).await,
    }
}
