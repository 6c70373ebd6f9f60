//! Resilience Playground: the Yew app.
//!
//! A thin shell: it renders configs and traces, and turns user input into
//! knob changes and runs. Nothing here decides a retry: `policy::Call` does,
//! driven by the simulator (`flaky::sim`) or by the live driver (`live`).
//! Everything that is not DOM (reducer, URL codec, view model, export) lives
//! in `app_core`; it is re-exported here so component paths stay short.

pub mod components;
pub mod context;
pub mod effects;
pub mod in_page;
pub mod panic;
pub mod run_worker;
pub mod same;
pub mod server_view;
pub mod state;
pub mod sweep_pool;

pub use app_core::{export, url, view};
/// The live half (its runs happen in the run worker; the page registers the mock service worker).
pub use live;

/// Mounts the app on the page's `<body>`.
pub fn run() {
    panic::install_hook();
    yew::Renderer::<components::app::App>::new().render();
}
