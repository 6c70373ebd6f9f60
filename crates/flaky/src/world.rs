//! Common random numbers: the world a call meets is a function of the seed and
//! the call's identity, not of the order in which things happen.
//!
//! Every random draw of a run comes from a *counter-based* generator: the
//! draw is a hash of `(seed, stream, identity, index)`. So two runs of one seed
//! that differ only in client policy give each call the same arrival and each
//! of its attempts the same network delay, fault and latency draws, whatever
//! happened before it; and the streams are separate, so a knob that changes
//! how many client draws are made never reshuffles the server's.
//!
//! | stream | keyed by | draws |
//! |---|---|---|
//! | [`Stream::Arrival`] | client | the client's start (Poisson gap) |
//! | [`Stream::Client`] | client, call ordinal | the call's idempotency key, then each jitter draw (and throttle draw) in order |
//! | [`Stream::Client`] | client + layer, call ordinal + sub-call | the same for a call into a lower layer ([`World::layer_draws`]) |
//! | [`Stream::Network`] | identity, direction | one-way delay jitter |
//! | [`Stream::Server`] | identity | latency (2), overload (1), fault (1) |
//!
//! The hash is SplitMix64's finaliser applied to each word in turn (the same
//! mixer as `SplittableRandom` in Java): integer arithmetic only, so native
//! and wasm agree.
//!
//! ```
//! use flaky::world::{Identity, Stage, World, Stream};
//! let world = World::new(7);
//! let id = Identity { client: 3, ordinal: 0, attempt: 1, stage: Stage::Main };
//! assert_eq!(world.server_units(&id), World::new(7).server_units(&id));
//! assert_ne!(world.server_units(&id), world.server_units(&Identity { attempt: 2, ..id }));
//! let mut rng = world.stream(Stream::Client, [3, 0]);
//! let _ = policy::unit_f64(&mut rng);
//! ```

use std::convert::Infallible;
use std::fmt;

use policy::rand_chacha::rand_core::TryRng;
use serde::{Deserialize, Serialize};

/// Which request of an attempt is in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Check-then-create's `GET /items/{name}`.
    Check,
    /// The call's main request.
    Main,
}

impl Stage {
    /// `check` or `main`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Stage::Check => "check",
            Stage::Main => "main",
        }
    }

    fn index(self) -> u64 {
        match self {
            Stage::Check => 0,
            Stage::Main => 1,
        }
    }
}

/// Who sent a request: the key of every draw the network and the server make
/// for it. `client.ordinal` names a logical call (its client, and which of that
/// client's calls it is), `attempt` is 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Identity {
    pub client: u32,
    pub ordinal: u32,
    pub attempt: u32,
    pub stage: Stage,
}

impl fmt::Display for Identity {
    /// `client.ordinal.attempt.stage`, e.g. `3.0.2.main`: the wire form
    /// (see [`Identity::parse`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{}.{}.{}",
            self.client,
            self.ordinal,
            self.attempt,
            self.stage.as_str()
        )
    }
}

impl Identity {
    /// Parses the wire form `client.ordinal.attempt.stage`; the message names the bad part.
    pub fn parse(text: &str) -> Result<Identity, String> {
        let parts: Vec<&str> = text.trim().split('.').collect();
        let [client, ordinal, attempt, stage] = parts.as_slice() else {
            return Err(format!(
                "`{text}` is not client.ordinal.attempt.stage (e.g. 3.0.1.main)"
            ));
        };
        let number = |what: &str, v: &str| {
            v.parse::<u32>().map_err(|_| {
                format!("{what} `{v}` in `{text}` is not a whole number 0..=4294967295")
            })
        };
        let stage = match *stage {
            "check" => Stage::Check,
            "main" => Stage::Main,
            other => {
                return Err(format!(
                    "stage `{other}` in `{text}` is neither check nor main"
                ))
            }
        };
        Ok(Identity {
            client: number("client", client)?,
            ordinal: number("ordinal", ordinal)?,
            attempt: number("attempt", attempt)?,
            stage,
        })
    }

    fn words(&self) -> [u64; 2] {
        [
            (u64::from(self.client) << 32) | u64::from(self.ordinal),
            (u64::from(self.attempt) << 8) | self.stage.index(),
        ]
    }
}

/// A separate source of draws (see the [module docs](self)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Arrival,
    Client,
    Network,
    Server,
}

impl Stream {
    fn tag(self) -> u64 {
        match self {
            Stream::Arrival => 0x0A77_17A1,
            Stream::Client => 0x00C1_1EE7,
            Stream::Network => 0x07E7_0012,
            Stream::Server => 0x005E_27E2,
        }
    }
}

/// Which way a packet travels, for network draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    ToServer,
    ToClient,
}

/// SplitMix64's finaliser: a bijection on `u64` with full avalanche.
#[inline]
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[inline]
fn hash(seed: u64, stream: Stream, key: [u64; 2], index: u64) -> u64 {
    const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = mix(seed.wrapping_add(GOLDEN));
    for word in [stream.tag(), key[0], key[1], index] {
        h = mix(h ^ word.wrapping_add(GOLDEN));
    }
    h
}

#[inline]
fn unit(bits: u64) -> f64 {
    (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A run's random world: every draw as a function of `(seed, stream, key, index)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct World {
    seed: u64,
}

impl World {
    /// The world of `seed`.
    pub const fn new(seed: u64) -> World {
        World { seed }
    }

    /// The seed.
    pub const fn seed(&self) -> u64 {
        self.seed
    }

    /// A generator for one key of one stream: its `n`-th draw is
    /// `hash(seed, stream, key, n)`.
    pub fn stream(&self, stream: Stream, key: [u64; 2]) -> Draws {
        Draws {
            seed: self.seed,
            stream,
            key,
            index: 0,
        }
    }

    /// A uniform in `[0, 1)` for `(stream, key, index)`.
    pub fn unit(&self, stream: Stream, key: [u64; 2], index: u64) -> f64 {
        unit(hash(self.seed, stream, key, index))
    }

    /// The server's four uniforms for a request: latency (2), overload, fault.
    pub fn server_units(&self, identity: &Identity) -> [f64; 4] {
        let key = identity.words();
        [0, 1, 2, 3].map(|i| self.unit(Stream::Server, key, i))
    }

    /// The network's uniform for one packet of a request.
    pub fn network_unit(&self, identity: &Identity, direction: Direction) -> f64 {
        let index = match direction {
            Direction::ToServer => 0,
            Direction::ToClient => 1,
        };
        self.unit(Stream::Network, identity.words(), index)
    }

    /// The generator of the `sub`-th call into layer `layer` (1..=3 below
    /// the top) made for logical call `(client, ordinal)`: keyed apart from
    /// the top call's draws by the high words.
    pub fn layer_draws(&self, client: u32, ordinal: u32, layer: u32, sub: u32) -> Draws {
        let key = [
            u64::from(client) | u64::from(layer) << 32,
            u64::from(ordinal) | u64::from(sub) << 32,
        ];
        self.stream(Stream::Client, key)
    }

    /// The generator of one logical call's client draws.
    pub fn client_draws(&self, client: u32, ordinal: u32) -> Draws {
        self.stream(Stream::Client, [u64::from(client), u64::from(ordinal)])
    }
}

/// A counter-based generator: one key of one stream of a [`World`].
#[derive(Clone, Debug)]
pub struct Draws {
    seed: u64,
    stream: Stream,
    key: [u64; 2],
    index: u64,
}

impl TryRng for Draws {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok((self.try_next_u64()? >> 32) as u32)
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let bits = hash(self.seed, self.stream, self.key, self.index);
        self.index = self.index.wrapping_add(1);
        Ok(bits)
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            let bytes = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_round_trips_and_bad_text_is_named() {
        let id = Identity {
            client: 12,
            ordinal: 3,
            attempt: 4,
            stage: Stage::Check,
        };
        assert_eq!(id.to_string(), "12.3.4.check");
        assert_eq!(Identity::parse("12.3.4.check"), Ok(id));
        assert!(Identity::parse("12.3.x.main")
            .unwrap_err()
            .contains("attempt `x`"));
        assert!(Identity::parse("1.2.3")
            .unwrap_err()
            .contains("client.ordinal"));
        assert!(Identity::parse("1.2.3.post")
            .unwrap_err()
            .contains("stage `post`"));
    }

    #[test]
    fn draws_are_uniform_and_streams_independent() {
        let world = World::new(1);
        let n = 100_000u64;
        let mean = (0..n)
            .map(|i| world.unit(Stream::Server, [i, 0], 0))
            .sum::<f64>()
            / n as f64;
        assert!((mean - 0.5).abs() < 0.01, "mean {mean}");
        let same = (0..1000u64)
            .filter(|&i| {
                world.unit(Stream::Server, [i, 0], 0) == world.unit(Stream::Network, [i, 0], 0)
            })
            .count();
        assert_eq!(same, 0);
    }
}
