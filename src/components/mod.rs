//! One small component per file.

pub mod app;
pub mod backoff_chart;
pub mod knob_control;
pub mod schedule;
