//! The sweep's run workers: up to `min(4, navigator.hardwareConcurrency)`,
//! started on first use, each given one point at a time from a queue. A
//! newer batch of a chart replaces that chart's queued points (a point
//! already computing finishes; the reducer drops its answer), so a newer
//! sweep cancels the older at once. Decides nothing else: each answer goes
//! to the reducer as `WorkerEvent::Point`.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use ::run_worker::FromWorker;
use app_core::effect::{Batch, WorkerEvent};
use flaky::sweep::PointJob;
use yew::prelude::*;

use crate::run_worker::{RunWorker, WorkerKind};
use crate::state::{Action, Side, State};

/// The most workers a sweep uses.
const WORKERS_MAX: usize = 4;

/// One worker and the point it computes, if any.
struct Slot {
    worker: Rc<RunWorker>,
    busy: Option<(u64, u32)>,
}

/// The queue and the workers.
pub struct SweepPool {
    dispatcher: UseReducerDispatcher<State>,
    queue: RefCell<VecDeque<(Batch, PointJob)>>,
    slots: RefCell<Vec<Option<Slot>>>,
    me: Weak<SweepPool>,
}

/// How many workers: `min(4, hardwareConcurrency)`, at least 1.
fn workers_wanted() -> usize {
    let cores = web_sys::window().map_or(1.0, |w| w.navigator().hardware_concurrency());
    (cores as usize).clamp(1, WORKERS_MAX)
}

impl SweepPool {
    pub fn new(dispatcher: UseReducerDispatcher<State>) -> Rc<SweepPool> {
        Rc::new_cyclic(|me| SweepPool {
            dispatcher,
            queue: RefCell::default(),
            slots: RefCell::default(),
            me: me.clone(),
        })
    }

    /// `jobs` replace the queued points of `kind`'s chart.
    pub fn submit(&self, kind: Batch, jobs: Vec<PointJob>) {
        {
            let mut queue = self.queue.borrow_mut();
            queue.retain(|(k, _)| *k != kind);
            queue.extend(jobs.into_iter().map(|j| (kind, j)));
        }
        self.pump();
    }

    /// Hands queued points to idle workers, starting workers up to the limit.
    fn pump(&self) {
        let wanted = workers_wanted();
        loop {
            let Some(slot) = self.idle_slot(wanted) else {
                return;
            };
            let Some((_, job)) = self.queue.borrow_mut().pop_front() else {
                return;
            };
            let worker = self.slots.borrow()[slot].as_ref().map(|s| s.worker.clone());
            let posted = worker
                .ok_or_else(|| "no worker".to_string())
                .and_then(|w| w.point(&job));
            match posted {
                Ok(()) => {
                    if let Some(s) = self.slots.borrow_mut()[slot].as_mut() {
                        s.busy = Some((job.batch_id, job.index));
                    }
                }
                Err(message) => self.report(job.batch_id, job.index, Err(message)),
            }
        }
    }

    /// An idle worker's slot, starting one if there is room.
    fn idle_slot(&self, wanted: usize) -> Option<usize> {
        let mut slots = self.slots.borrow_mut();
        if let Some(i) = slots
            .iter()
            .position(|s| s.as_ref().is_some_and(|s| s.busy.is_none()))
        {
            return Some(i);
        }
        let free = slots.iter().position(Option::is_none);
        if free.is_none() && slots.len() >= wanted {
            return None;
        }
        let index = free.unwrap_or(slots.len());
        let me = self.me.clone();
        let worker = RunWorker::spawn(
            WorkerKind::Run,
            Callback::from(move |message| {
                if let Some(pool) = me.upgrade() {
                    pool.on_message(index, message);
                }
            }),
        )
        .ok()?;
        let slot = Some(Slot { worker, busy: None });
        if index == slots.len() {
            slots.push(slot);
        } else {
            slots[index] = slot;
        }
        Some(index)
    }

    fn report(&self, batch_id: u64, index: u32, result: Result<flaky::sweep::Point, String>) {
        self.dispatcher.dispatch(Action::Worker {
            side: Side::A,
            event: WorkerEvent::Point {
                batch_id,
                index,
                result: Rc::new(result),
            },
        });
    }

    /// A worker answered (or broke: its point fails and the worker goes).
    fn on_message(&self, slot: usize, message: FromWorker) {
        let busy = self.slots.borrow().get(slot).and_then(|s| s.as_ref()?.busy);
        match message {
            FromWorker::Point {
                batch_id,
                index,
                result,
            } => {
                if let Some(Some(s)) = self.slots.borrow_mut().get_mut(slot) {
                    s.busy = None;
                }
                self.report(batch_id, index, result);
            }
            FromWorker::Broken { message } | FromWorker::Failed { message, .. } => {
                if let Some(s) = self.slots.borrow_mut().get_mut(slot) {
                    *s = None;
                }
                if let Some((batch_id, index)) = busy {
                    self.report(batch_id, index, Err(message));
                }
            }
            _ => {}
        }
        self.pump();
    }
}
