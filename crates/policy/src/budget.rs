//! The retry budget, shared by all calls of one client: a limit on retries
//! across calls, so that when a server is down a client retries a little,
//! not `attempts.max − 1` times per call (the amplification that turns an
//! outage into a storm).
//!
//! - `token_bucket`, like the AWS SDK standard retry mode: the bucket starts
//!   with `budget.capacity` tokens (500); a retry takes `budget.retry_cost`
//!   (5), a retry after a timeout `budget.timeout_cost` (10); every successful
//!   attempt gives back `budget.success_refill` (1), up to the capacity. A
//!   retry that would take more tokens than are left is refused. (The AWS SDK
//!   gives back the retry cost when a retried call succeeds; here every
//!   success refills the same amount, which is simpler to read on a chart;
//!   the AWS behaviour is `token_bucket_refund`.)
//! - `token_bucket_refund`, the AWS SDKs' retry quota (botocore
//!   `botocore/retries/standard.py` `RetryQuotaChecker`, `botocore/retries/quota.py`):
//!   the same bucket, but a retry after a throttling failure
//!   ([`crate::classify::is_throttling`]) takes `budget.throttle_cost`, and a
//!   call that succeeds **after retries gives back what its last retry
//!   took**; one that succeeds at its first attempt gives `success_refill`
//!   (botocore's `_NO_RETRY_INCREMENT` = 1). Before 2026: cost 5, timeout 10;
//!   the 2026 standard mode: cost 14, throttling 5.
//! - `ratio`, like Finagle's and tower's budgets: a retry is allowed while
//!   `retries + 1 ≤ budget.min_retries + budget.ratio × calls`, counting the
//!   calls started and retries made in the last `budget.window_ms` (ten
//!   slots of `window_ms / 10`, so the window moves in steps of a tenth), or
//!   since the start when `budget.window_ms = 0`.
//!
//! - `grpc_throttling`, gRPC's retry throttling (grpc-go `clientconn.go`
//!   `retryThrottler`, grpc-java `RetriableStream.Throttle`): the bucket
//!   holds `budget.capacity` tokens (`maxTokens`); every failed attempt
//!   whose status is retryable takes 1 ([`Budget::on_failed_attempt`], checked
//!   before `attempts.max`: the last attempt's failure counts too), every
//!   successful call gives back `budget.token_ratio`, and a retry is allowed
//!   only while the tokens left are above half the capacity (a hedge too:
//!   [`Budget::try_retry`] asks without taking). Tokens are
//!   kept in thousandths, as grpc-java does (`THREE_DECIMAL_PLACES_SCALE_UP`).
//!
//! Every bucket starts with `budget.initial` tokens (the capacity unless set).
//! The budget is charged when a retry is scheduled, before its sleep.
//!
//! ```
//! use policy::budget::Budget;
//! use policy::{BudgetKind, PolicyConfig};
//!
//! let mut config = PolicyConfig::default().budget;
//! config.kind = BudgetKind::TokenBucket; // 500 tokens, 5 per retry
//! let mut budget = Budget::new(&config);
//! let retries = (0..1000).take_while(|_| budget.try_retry(0, false)).count();
//! assert_eq!(retries, 100);
//! assert_eq!(budget.tokens(), Some(0));
//! budget.on_success(0);
//! assert_eq!(budget.tokens(), Some(1));
//! ```

use std::sync::Arc;

use crate::config::{BudgetConfig, BudgetKind};

/// What failed before a retry: it picks the token price.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryCause {
    /// A network error or a retryable status that is not throttling.
    Failure,
    /// The attempt timed out.
    Timeout,
    /// Throttling (see [`crate::classify::is_throttling`]).
    Throttling,
}

const SLOTS: usize = 10;
/// `grpc_throttling` keeps thousandths of a token.
const MILLI: u64 = 1000;

/// One slot of the ratio window: calls and retries counted in it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Slot {
    index: u64,
    calls: u64,
    retries: u64,
}

/// A retry budget. Time is passed in.
#[derive(Clone, Debug)]
pub struct Budget {
    /// Shared by every client of a run ([`Budget::shared`]).
    config: Arc<BudgetConfig>,
    tokens: u64,
    /// `SLOTS` slots for a `ratio` budget, none otherwise (never read then).
    slots: Box<[Slot]>,
    last_level: Option<f64>,
    levels: Vec<(u64, f64)>,
}

impl Budget {
    /// A full budget.
    pub fn new(config: &BudgetConfig) -> Budget {
        Budget::shared(Arc::new(config.clone()))
    }

    /// A full budget (or `budget.initial` tokens) whose settings are `config`, not a copy of them.
    pub fn shared(config: Arc<BudgetConfig>) -> Budget {
        let start = config
            .initial
            .unwrap_or(config.capacity)
            .min(config.capacity);
        let tokens = match config.kind {
            BudgetKind::GrpcThrottling => start.saturating_mul(MILLI),
            _ => start,
        };
        let slots = if config.kind == BudgetKind::Ratio {
            SLOTS
        } else {
            0
        };
        let mut budget = Budget {
            tokens,
            config,
            slots: vec![Slot::default(); slots].into_boxed_slice(),
            last_level: None,
            levels: Vec::new(),
        };
        budget.last_level = budget.level();
        budget
    }

    /// Tokens left (`token_bucket` only).
    pub fn tokens(&self) -> Option<u64> {
        self.is_bucket().then_some(self.tokens)
    }

    /// Tokens left in any bucket, `grpc_throttling`'s fractions included;
    /// `None` for budgets without tokens.
    pub fn token_count(&self) -> Option<f64> {
        match self.config.kind {
            BudgetKind::GrpcThrottling => Some(self.tokens as f64 / MILLI as f64),
            _ => self.tokens().map(|t| t as f64),
        }
    }

    /// `grpc_throttling`: a failed attempt whose status is retryable takes
    /// one token; `false` means retries are throttled now (tokens at or
    /// below half the capacity). Other budgets: always `true`.
    pub fn on_failed_attempt(&mut self, now_ms: u64) -> bool {
        if self.config.kind != BudgetKind::GrpcThrottling {
            return true;
        }
        self.tokens = self.tokens.saturating_sub(MILLI);
        self.note_level(now_ms);
        self.above_threshold()
    }

    /// `grpc_throttling`: tokens > max / 2, in thousandths: 2·tokens > max·1000.
    fn above_threshold(&self) -> bool {
        self.tokens.saturating_mul(2) > self.config.capacity.saturating_mul(MILLI)
    }

    fn is_bucket(&self) -> bool {
        matches!(
            self.config.kind,
            BudgetKind::TokenBucket | BudgetKind::TokenBucketRefund
        )
    }

    fn slot_ms(&self) -> u64 {
        (self.config.window_ms / SLOTS as u64).max(1)
    }

    /// The slot for `now_ms`, emptied if it held an older period.
    fn slot(&mut self, now_ms: u64) -> &mut Slot {
        // window 0: one slot forever, so everything since the start counts.
        let index = if self.config.window_ms == 0 {
            0
        } else {
            now_ms / self.slot_ms()
        };
        let slot = &mut self.slots[(index % SLOTS as u64) as usize];
        if slot.index != index {
            *slot = Slot {
                index,
                calls: 0,
                retries: 0,
            };
        }
        slot
    }

    /// (calls, retries) in the window ending at the last slot touched.
    fn window_counts(&self, now_ms: u64) -> (u64, u64) {
        let current = if self.config.window_ms == 0 {
            0
        } else {
            now_ms / self.slot_ms()
        };
        let oldest = current.saturating_sub(SLOTS as u64 - 1);
        self.slots
            .iter()
            .filter(|s| s.index >= oldest && s.index <= current)
            .fold((0, 0), |(c, r), s| {
                (c.saturating_add(s.calls), r.saturating_add(s.retries))
            })
    }

    fn ratio_allowance(&self, calls: u64) -> f64 {
        let ratio = if self.config.ratio.is_finite() {
            self.config.ratio.max(0.0)
        } else {
            0.0
        };
        self.config.min_retries as f64 + ratio * calls as f64
    }

    /// The fraction of the budget left, in `[0, 1]`; `None` without a budget.
    /// For `ratio` it is the share of the window's allowance not yet used.
    pub fn level(&self) -> Option<f64> {
        match self.config.kind {
            BudgetKind::None => None,
            BudgetKind::TokenBucket | BudgetKind::TokenBucketRefund => {
                Some(if self.config.capacity == 0 {
                    0.0
                } else {
                    (self.tokens as f64 / self.config.capacity as f64).min(1.0)
                })
            }
            BudgetKind::GrpcThrottling => Some(if self.config.capacity == 0 {
                0.0
            } else {
                (self.tokens as f64 / (self.config.capacity as f64 * MILLI as f64)).min(1.0)
            }),
            BudgetKind::Ratio => {
                let latest = self.slots.iter().map(|s| s.index).max().unwrap_or(0);
                let (calls, retries) = self.window_counts(latest.saturating_mul(self.slot_ms()));
                let allowance = self.ratio_allowance(calls);
                Some(if allowance <= 0.0 {
                    0.0
                } else {
                    ((allowance - retries as f64) / allowance).clamp(0.0, 1.0)
                })
            }
        }
    }

    fn note_level(&mut self, now_ms: u64) {
        let level = self.level();
        if level != self.last_level {
            self.last_level = level;
            if let Some(level) = level {
                self.levels.push((now_ms, level));
            }
        }
    }

    /// A new call starts (its first attempt is sent).
    pub fn on_call(&mut self, now_ms: u64) {
        if self.config.kind == BudgetKind::Ratio {
            let slot = self.slot(now_ms);
            slot.calls = slot.calls.saturating_add(1);
            self.note_level(now_ms);
        }
    }

    /// An attempt succeeded.
    pub fn on_success(&mut self, now_ms: u64) {
        self.on_call_success(now_ms, None);
    }

    /// A call succeeded; `last_retry_cost` is what its last retry took (None
    /// if it succeeded at once). `token_bucket` refills `success_refill`
    /// either way; `token_bucket_refund` gives back the last retry's cost.
    pub fn on_call_success(&mut self, now_ms: u64, last_retry_cost: Option<u64>) {
        let refill = match (self.config.kind, last_retry_cost) {
            (BudgetKind::TokenBucket, _) | (BudgetKind::TokenBucketRefund, None) => {
                self.config.success_refill
            }
            (BudgetKind::TokenBucketRefund, Some(cost)) => cost,
            (BudgetKind::GrpcThrottling, _) => {
                // gRPC keeps the ratio to 3 decimals (grpc-java scales it by 1000).
                let ratio = self.config.token_ratio;
                let refill = if ratio.is_finite() && ratio > 0.0 {
                    libm::round(ratio * MILLI as f64) as u64
                } else {
                    0
                };
                let max = self.config.capacity.saturating_mul(MILLI);
                self.tokens = self.tokens.saturating_add(refill).min(max);
                self.note_level(now_ms);
                return;
            }
            _ => return,
        };
        self.tokens = self.tokens.saturating_add(refill).min(self.config.capacity);
        self.note_level(now_ms);
    }

    /// Asks for one retry and pays for it; `after_timeout` picks the timeout
    /// cost. `false` means refused (nothing is taken). `grpc_throttling`
    /// takes nothing here and refuses while tokens ≤ capacity / 2 (what a
    /// hedge asks: A6 sends one only above the threshold).
    pub fn try_retry(&mut self, now_ms: u64, after_timeout: bool) -> bool {
        if self.config.kind == BudgetKind::GrpcThrottling {
            return self.above_threshold();
        }
        let cause = if after_timeout {
            RetryCause::Timeout
        } else {
            RetryCause::Failure
        };
        self.charge(now_ms, cause).is_some()
    }

    /// Asks for one retry after `cause` and pays for it: the tokens taken
    /// (0 for budgets without tokens), or `None` if refused (nothing taken).
    pub fn charge(&mut self, now_ms: u64, cause: RetryCause) -> Option<u64> {
        let c = &self.config;
        let cost = match (c.kind, cause) {
            // gRPC's tokens are taken per failed attempt (`on_failed_attempt`), not per retry.
            (BudgetKind::None | BudgetKind::GrpcThrottling, _) => return Some(0),
            (_, RetryCause::Timeout) => c.timeout_cost,
            (BudgetKind::TokenBucketRefund, RetryCause::Throttling) => c.throttle_cost,
            _ => c.retry_cost,
        };
        let allowed = match self.config.kind {
            BudgetKind::None | BudgetKind::GrpcThrottling => return Some(0),
            BudgetKind::TokenBucket | BudgetKind::TokenBucketRefund => {
                match self.tokens.checked_sub(cost) {
                    Some(left) => {
                        self.tokens = left;
                        true
                    }
                    None => false,
                }
            }
            BudgetKind::Ratio => {
                self.slot(now_ms);
                let (calls, retries) = self.window_counts(now_ms);
                let ok = retries.saturating_add(1) as f64 <= self.ratio_allowance(calls);
                if ok {
                    let slot = self.slot(now_ms);
                    slot.retries = slot.retries.saturating_add(1);
                }
                ok
            }
        };
        self.note_level(now_ms);
        let taken = if self.is_bucket() { cost } else { 0 };
        allowed.then_some(taken)
    }

    /// Whether a level change was recorded since the last [`Budget::take_changes`].
    pub fn has_changes(&self) -> bool {
        !self.levels.is_empty()
    }

    /// Takes the level changes recorded since the last call, oldest first.
    pub fn take_changes(&mut self) -> Vec<(u64, f64)> {
        std::mem::take(&mut self.levels)
    }
}
