//! The live driver: one task per run owns its [`LiveRun`] (the engine and
//! the run's books) and is fed by events over a channel, as quinn's endpoint
//! driver is: a reply, the server's start or counters, a stop (cancel,
//! superseded, a problem). Its own timer (the engine's next deadline or the
//! next update) is the other thing it waits on. Requests, the start and the
//! counters reads are small tasks that only send events; they never touch
//! the run, so nothing is ever found busy and no event is dropped while the
//! run goes.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::rc::Rc;

use flaky::engine::Transmit;
use flaky::sim::{AttemptOutcome, RunConfig};
use futures::channel::mpsc::{unbounded, UnboundedReceiver, UnboundedSender};
use futures::future::{self, Either};
use futures::StreamExt;
use wasm_bindgen_futures::spawn_local;

use super::live_run::{Effect, Input, LiveRun, Stop};
use super::time::{perf_now, race, since, sleep_ms, sleep_until, Raced, Signal};
use super::transport::{SendError, Transport};
use super::LiveUpdate;

/// What the caller holds: the run's id, its mailbox and whether it goes on.
pub(crate) struct Shared {
    pub run_id: String,
    events: UnboundedSender<Input>,
    /// Written by the run's task only.
    running: Rc<Cell<bool>>,
}

impl Shared {
    /// Stops the run (the final update follows, except when superseded).
    pub(crate) fn stop(&self, why: Stop) {
        // Refused only once the run's task has ended: the run is over already.
        let _ = self.events.unbounded_send(Input::Stop(why));
    }

    pub(crate) fn is_running(&self) -> bool {
        self.running.get()
    }
}

/// Starts a run of `config` on `seed` in its own task.
pub(crate) fn start(
    transport: Transport,
    config: RunConfig,
    seed: u64,
    on_update: Rc<dyn Fn(LiveUpdate)>,
) -> Rc<Shared> {
    let (events, inbox) = unbounded();
    let running = Rc::new(Cell::new(true));
    let shared = Rc::new(Shared {
        run_id: super::transport::new_run_id(),
        events: events.clone(),
        running: running.clone(),
    });
    let driver = Driver {
        run: LiveRun::new(config, seed),
        seed,
        run_id: shared.run_id.clone(),
        transport,
        on_update,
        events,
        running,
        origin: perf_now(),
        stop: Signal::default(),
        aborts: BTreeMap::new(),
    };
    spawn_local(driver.drive(inbox));
    shared
}

/// The run's task: the run, and what carries out its effects.
struct Driver {
    run: LiveRun,
    seed: u64,
    run_id: String,
    transport: Transport,
    on_update: Rc<dyn Fn(LiveUpdate)>,
    /// For the tasks it starts.
    events: UnboundedSender<Input>,
    running: Rc<Cell<bool>>,
    /// `perf_now()` at the run's 0 ms (when the server started it).
    origin: f64,
    /// Fired at the stop: ends the start and the counters reads.
    stop: Signal,
    /// Requests in flight → the signal that abandons them.
    aborts: BTreeMap<u64, Signal>,
}

impl Driver {
    async fn drive(mut self, mut inbox: UnboundedReceiver<Input>) {
        self.carry_out();
        while !self.run.is_finished() {
            let input = match self.run.poll_timeout() {
                None => inbox.next().await,
                Some(at_ms) => {
                    let wait = sleep_ms(at_ms.saturating_sub(since(self.origin)));
                    match future::select(inbox.next(), Box::pin(wait)).await {
                        Either::Left((input, _)) => input,
                        Either::Right(((), _)) => Some(Input::Timeout),
                    }
                }
            };
            // The driver holds a sender itself: the mailbox cannot close.
            let input = input.unwrap_or_else(|| unreachable!("a live run's mailbox closed"));
            if matches!(input, Input::Started(Ok(()))) {
                self.origin = perf_now();
            }
            self.run.handle(since(self.origin), input);
            self.carry_out();
        }
    }

    fn carry_out(&mut self) {
        while let Some(effect) = self.run.poll_effect() {
            match effect {
                Effect::StartServer => spawn_local(start_task(
                    self.transport.clone(),
                    self.run_id.clone(),
                    self.seed,
                    self.run.config().endpoint.clone(),
                    self.stop.clone(),
                    self.events.clone(),
                )),
                Effect::WatchCounters => spawn_local(counters_task(
                    self.transport.clone(),
                    self.run_id.clone(),
                    self.origin,
                    self.stop.clone(),
                    self.events.clone(),
                )),
                Effect::Send(transmit) => {
                    let abort = Signal::default();
                    self.aborts.insert(transmit.request_id, abort.clone());
                    spawn_local(send_task(
                        self.transport.clone(),
                        self.run_id.clone(),
                        transmit,
                        abort,
                        self.events.clone(),
                    ));
                }
                Effect::Abort(request_id) => {
                    if let Some(signal) = self.aborts.remove(&request_id) {
                        signal.fire();
                    }
                }
                Effect::AbortAll => {
                    for (_, signal) in std::mem::take(&mut self.aborts) {
                        signal.fire();
                    }
                    self.stop.fire();
                }
                Effect::ReadFinalCounters => spawn_local(final_counters_task(
                    self.transport.clone(),
                    self.run_id.clone(),
                    self.events.clone(),
                )),
                Effect::Update(update) => (self.on_update)(*update),
            }
        }
        self.running.set(self.run.is_running());
    }
}

/// Tells the run's task; refused only once it has ended (the run is over).
fn tell(events: &UnboundedSender<Input>, input: Input) {
    let _ = events.unbounded_send(input);
}

async fn start_task(
    transport: Transport,
    run_id: String,
    seed: u64,
    endpoint: flaky::EndpointConfig,
    stop: Signal,
    events: UnboundedSender<Input>,
) {
    let started = transport.start_run(&run_id, seed, &endpoint, &stop).await;
    tell(&events, Input::Started(started));
}

/// One request: sent, raced against its abort signal, its reply told.
async fn send_task(
    transport: Transport,
    run_id: String,
    transmit: Transmit,
    abort: Signal,
    events: UnboundedSender<Input>,
) {
    let send = transport.send(&run_id, &transmit.request, &transmit.identity);
    let result = match race(send, None, &abort).await {
        Raced::Done(result) => result,
        // The run asked for it: it knows.
        Raced::TimedOut | Raced::Stopped => return,
    };
    let input = match result {
        Ok(r) => Input::Reply {
            request_id: transmit.request_id,
            outcome: AttemptOutcome::Status(r.status),
            retry_after_ms: r
                .retry_after
                .and_then(|v| policy::retry_after::parse(&v, js_sys::Date::now() as u64).ok()),
            hints: r.hints,
        },
        Err(SendError::Network) => Input::Reply {
            request_id: transmit.request_id,
            outcome: AttemptOutcome::NetworkError,
            retry_after_ms: None,
            hints: policy::hints::ReplyHints::default(),
        },
        Err(SendError::RunLost(m) | SendError::Problem(m)) => Input::Stop(Stop::Problem(m)),
    };
    tell(&events, input);
}

/// How often a running run reads the server's counters, ms.
const COUNTERS_EVERY_MS: u64 = 400;

/// Reads the server's counters while the run goes on, so duplicates and
/// requests climb on screen as they happen. A failed read changes nothing:
/// a lost run is caught by the requests themselves.
async fn counters_task(
    transport: Transport,
    run_id: String,
    origin: f64,
    stop: Signal,
    events: UnboundedSender<Input>,
) {
    let mut next = COUNTERS_EVERY_MS;
    while sleep_until(origin, next, &stop).await {
        if let Ok(counters) = transport.counters(&run_id, &stop).await {
            tell(&events, Input::Counters(counters));
        }
        next = since(origin).saturating_add(COUNTERS_EVERY_MS);
    }
}

async fn final_counters_task(transport: Transport, run_id: String, events: UnboundedSender<Input>) {
    // The run's stop signal has fired: read without it.
    let read = transport.counters(&run_id, &Signal::default()).await;
    tell(&events, Input::FinalCounters(read.map_err(|(_, m)| m)));
}
