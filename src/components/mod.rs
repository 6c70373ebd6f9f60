//! One small component per file. State comes from the [`crate::context::AppContext`].

pub mod app;
pub mod backoff_chart;
pub mod banners;
pub mod client_chart;
pub mod counters;
pub mod density;
pub mod export_panel;
pub mod fire_bar;
pub mod header;
pub mod keyboard;
pub mod knob_control;
pub mod knob_panel;
pub mod load_chart;
pub mod preset_note;
pub mod replay_bar;
pub mod schedule;
pub mod stage;
pub mod sweep_chart;
pub mod sweep_panel;
pub mod timeline;
