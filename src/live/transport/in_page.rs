//! The in-page fallback: the worker's own [`Mock`] in the page, with real
//! timers. A request goes through [`Mock::handle`] exactly as the worker
//! gets it (same headers, same routing, same answers); only the waiting is
//! done here.

use std::cell::RefCell;
use std::rc::Rc;

use flaky::protocol::{self, header, RunStart};
use flaky::{Counters, Reply};
use mock_sw::{Answer, Incoming, Mock, Now};

use super::{idempotency_key, received, Outgoing, Received, SendError};
use crate::live::time::{perf_now, sleep_ms};

fn now() -> Now {
    Now {
        mono_ms: perf_now(),
        epoch_ms: js_sys::Date::now(),
    }
}

fn busy() -> String {
    "the in-page server is busy".to_string()
}

pub(super) fn start_run(mock: &Rc<RefCell<Mock>>, start: RunStart) -> Result<(), String> {
    let mut mock = mock.try_borrow_mut().map_err(|_| busy())?;
    mock.start_run(now(), start)
        .map(drop)
        .map_err(|e| format!("the in-page server refused to start the run: {e}"))
}

pub(super) fn counters(mock: &Rc<RefCell<Mock>>, run_id: &str) -> Result<Counters, (bool, String)> {
    let mut mock = mock.try_borrow_mut().map_err(|_| (false, busy()))?;
    mock.counters(run_id)
        .ok_or_else(|| (true, protocol::RUN_LOST_TEXT.to_string()))
}

pub(super) async fn send(
    mock: &Rc<RefCell<Mock>>,
    out: &Outgoing<'_>,
) -> Result<Received, SendError> {
    let path = out.path();
    let request_id = out.request_id.to_string();
    let incoming = Incoming {
        method: out.request.method.as_str(),
        path: &path,
        run_id: Some(out.run_id),
        idempotency_key: idempotency_key(out.request),
        request_id: Some(&request_id),
        call: Some(&out.call),
        sent: Some(&out.sent),
        body: &out.request.body,
    };
    let answer = mock
        .try_borrow_mut()
        .map_err(|_| SendError::Problem(busy()))?
        .handle(now(), &incoming);
    let (run_id, request_id, delay_ms, reply) = match answer {
        Answer::Server {
            run_id,
            request_id,
            delay_ms,
            reply,
        } => (run_id, request_id, delay_ms, reply),
        Answer::Now(plain) => {
            let error = plain.header(header::ERROR).map(str::to_string);
            let retry_after = plain.header("Retry-After").map(str::to_string);
            let body = plain.body.clone();
            return received(plain.status, error, retry_after, async move { body }).await;
        }
        Answer::Cancelled { .. } => {
            return Err(SendError::Problem(format!(
                "{path} is a control endpoint, not a mock endpoint"
            )))
        }
    };
    let mut cancel = CancelOnDrop {
        mock: mock.clone(),
        run_id,
        request_id,
        armed: true,
    };
    match reply {
        Reply::Respond {
            status, headers, ..
        } => {
            wait(delay_ms).await;
            cancel.armed = false;
            let retry_after = headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("retry-after"))
                .map(|(_, v)| v.clone());
            Ok(Received {
                status,
                retry_after,
            })
        }
        Reply::Reset { .. } => {
            wait(delay_ms).await;
            cancel.armed = false;
            Err(SendError::Network)
        }
        // Never answers: only the driver's timeout (or a stop) drops this future.
        Reply::Hang => futures::future::pending().await,
    }
}

/// Waits `ms` on the page's monotonic clock (a timer that fires early waits again).
async fn wait(ms: u64) {
    let deadline = perf_now() + ms as f64;
    loop {
        let left = deadline - perf_now();
        if left.is_nan() || left <= 0.0 {
            break;
        }
        sleep_ms(left.ceil() as u64).await;
    }
}

/// Tells the in-page server the client gave up on a request (timeout, stop).
struct CancelOnDrop {
    mock: Rc<RefCell<Mock>>,
    run_id: String,
    request_id: u64,
    armed: bool,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        if let Ok(mut mock) = self.mock.try_borrow_mut() {
            mock.cancel(now(), &self.run_id, self.request_id);
        }
    }
}
