//! TEMPORARY stub of the live module's API, until src/live lands.
use flaky::sim::{RunConfig, Trace};
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fire {
    One,
    Scenario,
}
pub struct LiveUpdate {
    pub trace: Trace,
    pub running: bool,
    pub problem: Option<String>,
}
pub struct TransportStatus {
    pub kind: &'static str,
    pub detail: String,
}
#[derive(Clone)]
pub struct Transport;
impl Transport {
    pub async fn connect() -> Transport {
        Transport
    }
    pub fn status(&self) -> TransportStatus {
        TransportStatus {
            kind: "in-page",
            detail: "stub".into(),
        }
    }
}
pub struct RunHandle;
impl RunHandle {
    pub fn cancel(&self) {}
}
pub fn fire(
    _t: &Transport,
    config: &RunConfig,
    seed: u64,
    _what: Fire,
    on_update: yew::Callback<LiveUpdate>,
) -> RunHandle {
    on_update.emit(LiveUpdate {
        trace: flaky::sim::run(config, seed),
        running: false,
        problem: None,
    });
    RunHandle
}
