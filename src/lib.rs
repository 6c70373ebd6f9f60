//! Resilience Playground: the Yew app.
//!
//! A thin shell: it renders a view of `policy`'s plans and traces and turns
//! user input into knob changes. Nothing here decides a retry.

pub mod components;
pub mod state;

/// Mounts the app on the page's `<body>`.
pub fn run() {
    yew::Renderer::<components::app::App>::new().render();
}
