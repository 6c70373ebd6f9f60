//! Everything the Resilience Playground page does that is not DOM.
//!
//! Contract: pure and deterministic. No DOM, no clock, no entropy, no network,
//! and no yew/web-sys/wasm-bindgen: the root package (the Yew shell) renders
//! what this crate computes and turns clicks into [`state::Action`]s. So all
//! of it runs under a plain `cargo test` on the host.
//!
//! - [`state`]: the one [`state::State`], changed only by [`state::State::reduce`].
//! - [`url`]: the URL query ⇄ [`state::Settings`], knob names relative to the preset.
//! - [`view`]: the view model (knob groups, which knobs matter, labels, scales).
//! - [`export`]: the config as a `playground` command (the policy for libraries: the `export` crate).
//!
//! ```
//! use app_core::state::{Action, State};
//! use app_core::url;
//!
//! let (settings, errors) = url::parse("?preset=circuit-breaker&seed=7");
//! assert!(errors.is_empty());
//! let state = State::from_url(settings, errors).reduce(Action::SetKnob {
//!     name: "attempts.max".into(),
//!     value: "5".into(),
//! });
//! assert_eq!(url::to_query(&state.settings), "?preset=circuit-breaker&seed=7&attempts.max=5");
//! ```

pub mod export;
pub mod state;
pub mod url;
pub mod view;
