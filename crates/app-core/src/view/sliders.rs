//! Slider scales: linear, or logarithmic where a knob's range spans decades.

/// A knob's slider scale: linear, or logarithmic where the range spans decades.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SliderScale {
    Linear,
    /// Positions `0..=LOG_STEPS`; position 0 is the minimum (which may be 0).
    Log,
}

/// Slider positions of a log scale.
pub const LOG_STEPS: u32 = 1000;

/// Log scale where `max / max(min, 1)` is at least 1000 (three decades).
pub fn slider_scale(min: f64, max: f64) -> SliderScale {
    if max / min.max(1.0) >= 1000.0 {
        SliderScale::Log
    } else {
        SliderScale::Linear
    }
}

/// The value at a log slider position (`0..=LOG_STEPS`), rounded for integers.
pub fn log_value(min: f64, max: f64, position: u32, integer: bool) -> f64 {
    if position == 0 {
        return min;
    }
    let low = min.max(1.0);
    let f = f64::from(position.min(LOG_STEPS)) / f64::from(LOG_STEPS);
    let v = low * (max / low).powf(f);
    let v = v.clamp(min, max);
    if integer {
        v.round()
    } else {
        v
    }
}

/// The log slider position of a value.
pub fn log_position(min: f64, max: f64, value: f64) -> u32 {
    let low = min.max(1.0);
    if value <= min || value < low {
        return 0;
    }
    let f = (value / low).ln() / (max / low).ln();
    (f * f64::from(LOG_STEPS))
        .round()
        .clamp(0.0, f64::from(LOG_STEPS)) as u32
}
