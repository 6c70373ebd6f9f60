//! Real time for the live driver: the page's monotonic clock, sleeps, a
//! stop signal, and racing a future against a timeout and the stop signal.

use std::cell::RefCell;
use std::future::Future;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use futures::future::{self, Either};
use wasm_bindgen::JsCast;

/// The monotonic clock of the page or worker this runs in, ms
/// (`performance.now()`, or `Date.now()` without it).
pub(crate) fn perf_now() -> f64 {
    js_sys::Reflect::get(
        &js_sys::global(),
        &wasm_bindgen::JsValue::from_str("performance"),
    )
    .ok()
    .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
    .map(|p| p.now())
    .unwrap_or_else(js_sys::Date::now)
}

/// Whole ms since `origin` (a [`perf_now`] reading), never negative.
pub(crate) fn since(origin: f64) -> u64 {
    let t = perf_now() - origin;
    if t.is_finite() && t > 0.0 {
        t as u64
    } else {
        0
    }
}

/// Sleeps `ms` (one `setTimeout`, clamped to what it accepts).
pub(crate) async fn sleep_ms(ms: u64) {
    // setTimeout takes an i32: larger values would fire at once.
    let ms = ms.min(i32::MAX as u64) as u32;
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

/// Sleeps until `since(origin) >= until_ms`, or until `stop` fires (then `false`).
pub(crate) async fn sleep_until(origin: f64, until_ms: u64, stop: &Signal) -> bool {
    loop {
        if stop.fired() {
            return false;
        }
        let now = since(origin);
        if now >= until_ms {
            return true;
        }
        if let Raced::Stopped = race(sleep_ms(until_ms - now), None, stop).await {
            return false;
        }
    }
}

/// A one-shot signal many tasks can wait on (a run's stop).
#[derive(Clone, Default)]
pub(crate) struct Signal(Rc<RefCell<SignalState>>);

#[derive(Default)]
struct SignalState {
    fired: bool,
    wakers: Vec<Waker>,
}

impl Signal {
    pub(crate) fn fire(&self) {
        // Borrowed only here and in `fired`/`Wait::poll`, never across a call out.
        let wakers = {
            let mut s = self.0.borrow_mut();
            s.fired = true;
            std::mem::take(&mut s.wakers)
        };
        for w in wakers {
            w.wake();
        }
    }

    pub(crate) fn fired(&self) -> bool {
        self.0.borrow().fired
    }

    /// Resolves once the signal has fired.
    pub(crate) fn wait(&self) -> Wait {
        Wait(self.0.clone())
    }
}

pub(crate) struct Wait(Rc<RefCell<SignalState>>);

impl Future for Wait {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut s = self.0.borrow_mut();
        if s.fired {
            return Poll::Ready(());
        }
        if !s.wakers.iter().any(|w| w.will_wake(cx.waker())) {
            s.wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }
}

/// How a [`race`] ended.
pub(crate) enum Raced<T> {
    Done(T),
    TimedOut,
    Stopped,
}

/// Runs `f` until it finishes, `timeout_ms` passes (`None`: never) or `stop`
/// fires. The loser is dropped (a dropped fetch aborts, see the transports).
pub(crate) async fn race<F: Future>(
    f: F,
    timeout_ms: Option<u64>,
    stop: &Signal,
) -> Raced<F::Output> {
    if stop.fired() {
        return Raced::Stopped;
    }
    let timeout = async move {
        match timeout_ms {
            Some(ms) => sleep_ms(ms).await,
            None => future::pending::<()>().await,
        }
    };
    let (f, timeout) = (pin!(f), pin!(timeout));
    match future::select(f, future::select(timeout, stop.wait())).await {
        Either::Left((value, _)) => Raced::Done(value),
        Either::Right((Either::Left(_), _)) => Raced::TimedOut,
        Either::Right((Either::Right(_), _)) => Raced::Stopped,
    }
}
