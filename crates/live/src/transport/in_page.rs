//! The in-page fallback: the worker's own [`Mock`] in the page, with real
//! timers. A request is served by [`Mock::serve`], the worker's own request
//! handling, with what its mock headers would say (typed: nothing to parse);
//! only the waiting is done here. The mock is borrowed for one call at a
//! time, never across an `await`.

use std::cell::RefCell;
use std::rc::Rc;

use flaky::protocol::{self, RunStart};
use flaky::{Counters, Reply};
use mock_sw::{EndpointRequest, Mock, Now, Served};

use super::{idempotency_key, Outgoing, Received, SendError};
use crate::time::{perf_now, sleep_ms};

fn now() -> Now {
    Now {
        mono_ms: perf_now(),
        epoch_ms: js_sys::Date::now(),
    }
}

pub(super) fn start_run(mock: &Rc<RefCell<Mock>>, start: RunStart) -> Result<(), String> {
    let mut mock = mock.borrow_mut();
    mock.start_run(now(), start)
        .map(drop)
        .map_err(|e| format!("the in-page server refused to start the run: {e}"))
}

pub(super) fn counters(mock: &Rc<RefCell<Mock>>, run_id: &str) -> Result<Counters, (bool, String)> {
    let mut mock = mock.borrow_mut();
    mock.counters(run_id)
        .ok_or_else(|| (true, protocol::RUN_LOST_TEXT.to_string()))
}

pub(super) async fn send(
    mock: &Rc<RefCell<Mock>>,
    out: &Outgoing<'_>,
) -> Result<Received, SendError> {
    let request = EndpointRequest {
        method: out.request.method,
        path: &out.request.path,
        run_id: out.run_id,
        idempotency_key: idempotency_key(out.request),
        request_id: Some(out.request_id),
        call: Some(out.identity),
        sent_epoch_ms: Some(out.sent_epoch_ms),
        body: &out.request.body,
    };
    let served = mock.borrow_mut().serve(now(), &request);
    let Some(Served {
        request_id,
        delay_ms,
        reply,
    }) = served
    else {
        return Err(SendError::RunLost(protocol::RUN_LOST_TEXT.to_string()));
    };
    let mut cancel = CancelOnDrop {
        mock: mock.clone(),
        run_id: out.run_id.to_string(),
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
            let hints = policy::hints::ReplyHints::from_headers(
                headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            );
            Ok(Received {
                status,
                retry_after,
                hints,
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
        self.mock
            .borrow_mut()
            .cancel(now(), &self.run_id, self.request_id);
    }
}
