//! Placeholder: being written.
pub mod knob;
