//! Everything the Resilience Playground page does that is not DOM.
//!
//! Contract: pure and deterministic. No DOM, no clock, no entropy, no network,
//! and no yew/web-sys/wasm-bindgen: the root package (the Yew shell) renders
//! what this crate computes and turns clicks into [`state::Action`]s. So all
//! of it runs under a plain `cargo test` on the host.
//!
//! - [`settings`]: what the user chose ([`settings::Settings`]) and the deck of lessons;
//!   read by `state`, `url` and `view`, which import none of each other's types.
//! - [`state`]: the one [`state::State`], changed only by [`state::State::update`],
//!   which returns the [`effect::Effect`]s the shell carries out.
//! - [`run`]: what a fire runs, a trace's span.
//! - [`url`]: the URL query ⇄ [`settings::Settings`], knob names relative to the preset.
//! - [`view`]: the view model (knob groups, which knobs matter, labels, scales);
//!   [`load`]: the load chart's rebinning.
//! - [`keys`]: the keyboard shortcuts, as a key map.
//! - [`export`]: the config as a `playground` command (the policy for libraries: the `export` crate).
//!
//! ```
//! use app_core::effect::Effect;
//! use app_core::state::{Action, State};
//! use app_core::url;
//!
//! let (settings, errors) = url::parse("?preset=circuit-breaker&seed=7");
//! assert!(errors.is_empty());
//! let (state, effects) = State::from_url(settings, errors).update(Action::SetKnob {
//!     name: "attempts.max".into(),
//!     value: "5".into(),
//! });
//! let query = "?preset=circuit-breaker&seed=7&attempts.max=5";
//! assert_eq!(url::to_query(&state.settings), query);
//! assert_eq!(effects, [Effect::WriteUrl(query.into())]);
//! ```

pub mod effect;
pub mod export;
pub mod keys;
pub mod load;
pub mod run;
pub mod server;
pub mod settings;
pub mod state;
pub mod url;
pub mod view;
