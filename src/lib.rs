//! Resilience Playground: the Yew app.
//!
//! A thin shell: it renders configs and traces, and turns user input into
//! knob changes and runs. Nothing here decides a retry: `policy::Call` does,
//! driven by the simulator (`flaky::sim`) or by the live driver (`live`).

pub mod components;
pub mod export;
pub mod live;
pub mod panic;
pub mod state;
pub mod url;
pub mod view;

/// Mounts the app on the page's `<body>`.
pub fn run() {
    panic::install_hook();
    yew::Renderer::<components::app::App>::new().render();
}
