//! What the engine hands its driver: requests to send (written out now
//! for a live driver, when they arrive for the simulator) and, ahead of
//! the events to come, the client records they will read.

use super::{client_of, Engine, TimerKind, Transmit};
use crate::client;
use crate::world::Identity;

/// How many events ahead a client's record is prefetched.
pub(super) const LOOKAHEAD: usize = 4;

/// A request to send, not yet written out: what [`client::request`] makes
/// it from. [`Engine::poll_transmit`] writes it; the simulator writes it
/// only when it reaches the server, over one reused [`crate::Request`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Pending {
    pub(crate) request_id: u64,
    pub(crate) identity: Identity,
    /// The call's idempotency key, if it has one.
    pub(crate) key: Option<Box<str>>,
}

impl Engine {
    /// Prefetches what the timer will read: its client's record (unless it
    /// is a timeout of a client with nothing in flight, which reads none).
    pub(super) fn prefetch_timer(&self, timer: TimerKind) {
        let client = match timer {
            TimerKind::Start { client } | TimerKind::Wake { client, .. } => client,
            TimerKind::AttemptTimeout { client, .. } => {
                if self.flights_of.get(client as usize) == Some(&0) {
                    return;
                }
                client
            }
        };
        self.prefetch_client(client);
    }

    /// Prefetches client `client`'s record (a reply to it is coming).
    pub(crate) fn prefetch_client(&self, client: u32) {
        if let Some(record) = self.clients.get(client as usize) {
            crate::prefetch::prefetch(record);
        }
    }

    /// Prefetches the record of the client that sent request `request_id`.
    pub(crate) fn prefetch_sender(&self, request_id: u64) {
        self.prefetch_client(client_of(request_id));
    }

    /// The next request to send, if any.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        let pending = self.transmits.pop_front()?;
        let Identity {
            client, ordinal, ..
        } = pending.identity;
        let key = pending.key.as_deref();
        let mut request =
            client::request(&self.config, (client, ordinal), key, pending.identity.stage);
        request.id = pending.request_id;
        Some(Transmit {
            request_id: pending.request_id,
            identity: pending.identity,
            request,
        })
    }

    /// The next request to send, unwritten (the simulator writes it with
    /// [`client::write_request`] when it arrives).
    pub(crate) fn poll_pending(&mut self) -> Option<Pending> {
        self.transmits.pop_front()
    }
}
