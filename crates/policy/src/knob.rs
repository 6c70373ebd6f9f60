//! Knobs: every user-settable field of a config has a dotted name.
//!
//! The same names are used by the CLI's `--set key=value`, the web app's URL
//! query and the `data-testid` of each control, so a shared link, a script and
//! a test all speak of one knob the same way.

use std::fmt;

/// What values a knob takes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum KnobKind {
    /// An integer in `min..=max`.
    Int { min: u64, max: u64 },
    /// A real number in `min..=max`.
    Float { min: f64, max: f64 },
    /// `true` or `false`.
    Bool,
    /// One of the listed names.
    Choice(&'static [&'static str]),
    /// A comma-separated list of parts shaped like `syntax` (e.g.
    /// `START+DURATION`), or empty for none. The owner of the knob parses it
    /// and names the bad part.
    List { syntax: &'static str },
}

/// The description of one knob.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KnobSpec {
    /// Dotted name, e.g. `backoff.base_ms`.
    pub name: &'static str,
    pub kind: KnobKind,
    /// Unit shown next to the value (`ms`, `×`, `%`, `` for none).
    pub unit: &'static str,
    /// One line: what it means, or its formula.
    pub help: &'static str,
}

/// Why a knob could not be set. Displays a message that names the knob and
/// what would have been valid.
#[derive(Clone, Debug, PartialEq)]
pub enum KnobError {
    UnknownName {
        name: String,
        valid: Vec<&'static str>,
    },
    BadValue {
        name: String,
        value: String,
        expected: String,
    },
}

impl fmt::Display for KnobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KnobError::UnknownName { name, valid } => {
                write!(
                    f,
                    "unknown knob `{name}`; valid knobs: {}",
                    valid.join(", ")
                )
            }
            KnobError::BadValue {
                name,
                value,
                expected,
            } => {
                write!(f, "bad value `{value}` for `{name}`: expected {expected}")
            }
        }
    }
}

impl std::error::Error for KnobError {}

impl KnobSpec {
    /// Describes the valid values, for error messages and help text.
    pub fn expected(&self) -> String {
        match self.kind {
            KnobKind::Int { min, max } => format!("an integer from {min} to {max}"),
            KnobKind::Float { min, max } => format!("a number from {min} to {max}"),
            KnobKind::Bool => "true or false".to_string(),
            KnobKind::Choice(names) => format!("one of {}", names.join(", ")),
            KnobKind::List { syntax } => {
                format!("a comma-separated list of {syntax} (empty for none)")
            }
        }
    }

    fn bad(&self, value: &str) -> KnobError {
        KnobError::BadValue {
            name: self.name.to_string(),
            value: value.to_string(),
            expected: self.expected(),
        }
    }

    /// Parses an integer knob value, checking its range.
    pub fn parse_int(&self, value: &str) -> Result<u64, KnobError> {
        match self.kind {
            KnobKind::Int { min, max } => match value.trim().parse::<u64>() {
                Ok(v) if (min..=max).contains(&v) => Ok(v),
                _ => Err(self.bad(value)),
            },
            _ => Err(self.bad(value)),
        }
    }

    /// Parses a real knob value, checking its range (NaN and infinities are refused).
    pub fn parse_float(&self, value: &str) -> Result<f64, KnobError> {
        match self.kind {
            KnobKind::Float { min, max } => match value.trim().parse::<f64>() {
                Ok(v) if v.is_finite() && v >= min && v <= max => Ok(v),
                _ => Err(self.bad(value)),
            },
            _ => Err(self.bad(value)),
        }
    }

    /// Parses `true`/`false` (also `1`/`0`, `on`/`off`).
    pub fn parse_bool(&self, value: &str) -> Result<bool, KnobError> {
        match value.trim() {
            "true" | "1" | "on" | "yes" => Ok(true),
            "false" | "0" | "off" | "no" => Ok(false),
            _ => Err(self.bad(value)),
        }
    }

    /// Parses a choice, returning its index in the list.
    pub fn parse_choice(&self, value: &str) -> Result<usize, KnobError> {
        match self.kind {
            KnobKind::Choice(names) => names
                .iter()
                .position(|n| *n == value.trim())
                .ok_or_else(|| self.bad(value)),
            _ => Err(self.bad(value)),
        }
    }
}

/// Finds a knob by name, or an error listing the valid names.
pub fn find<'a>(specs: &'a [KnobSpec], name: &str) -> Result<&'a KnobSpec, KnobError> {
    specs
        .iter()
        .find(|s| s.name == name)
        .ok_or_else(|| KnobError::UnknownName {
            name: name.to_string(),
            valid: specs.iter().map(|s| s.name).collect(),
        })
}
