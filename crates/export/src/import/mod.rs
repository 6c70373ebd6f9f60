//! The data formats read back into knobs: gRPC service config JSON, Envoy
//! route YAML, resilience4j Spring Boot YAML and Polly options JSON — what
//! [`crate::export`] writes for them, and the same formats written by hand
//! (defaults filled in as each library documents them).
//!
//! The result is the list of knob assignments that reproduce the file
//! (every knob the format determines, in knob order), checked by applying
//! them to the default policy. A file that cannot be read gives an
//! [`ImportError`] naming the line (when known) and the field; never a panic.
//!
//! ```
//! use export::import::{import, Format};
//!
//! let grpc = r#"{"methodConfig": [{"name": [{}], "retryPolicy": {
//!     "maxAttempts": 4, "initialBackoff": "0.1s", "maxBackoff": "1s",
//!     "backoffMultiplier": 2, "retryableStatusCodes": ["UNAVAILABLE"]}}]}"#;
//! let imported = import(Format::Grpc, grpc).unwrap();
//! assert!(imported.assignments.contains(&("attempts.max".into(), "4".into())));
//! assert!(imported.assignments.contains(&("backoff.base_ms".into(), "100".into())));
//!
//! let err = import(Format::Grpc, r#"{"methodConfig": [{"retryPolicy": {"maxAttempts": "x"}}]}"#).unwrap_err();
//! assert!(err.to_string().contains("methodConfig[0].retryPolicy.maxAttempts"), "{err}");
//! ```

mod envoy;
mod grpc;
mod polly;
mod resilience4j;
mod tree;

use std::fmt;

use policy::PolicyConfig;

use tree::Node;
pub use tree::INPUT_CHARS_MAX;

/// A format [`import`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Grpc,
    Envoy,
    Resilience4j,
    Polly,
}

impl Format {
    pub const ALL: [Format; 4] = [
        Format::Grpc,
        Format::Envoy,
        Format::Resilience4j,
        Format::Polly,
    ];

    /// The name `--from` takes (the export target of the same format).
    pub fn name(self) -> &'static str {
        match self {
            Format::Grpc => "grpc",
            Format::Envoy => "envoy",
            Format::Resilience4j => "resilience4j",
            Format::Polly => "polly",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Format::Grpc => "gRPC service config (JSON)",
            Format::Envoy => "Envoy route retry policy (YAML)",
            Format::Resilience4j => "resilience4j Spring Boot YAML",
            Format::Polly => "Polly standard handler options (JSON)",
        }
    }

    pub fn parse(name: &str) -> Result<Format, String> {
        let name = name.trim();
        Format::ALL
            .into_iter()
            .find(|f| f.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
                format!(
                    "unknown format `{}`; valid formats: {}",
                    crate::common::quoted(name),
                    names.join(", ")
                )
            })
    }
}

/// What a file says, as knobs.
#[derive(Clone, Debug, PartialEq)]
pub struct Imported {
    /// `(knob, value)` in the order to apply them.
    pub assignments: Vec<(String, String)>,
    /// What was read only approximately or not at all.
    pub notes: Vec<String>,
    /// The default policy with the assignments applied.
    pub policy: PolicyConfig,
}

/// Why a file could not be read: where, and what was wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportError {
    /// 1-based, when known.
    pub line: Option<u32>,
    /// The dotted path of the field (`methodConfig[0].retryPolicy.maxAttempts`), or empty.
    pub field: String,
    pub message: String,
}

impl ImportError {
    pub(crate) fn new(line: Option<u32>, field: &str, message: String) -> ImportError {
        ImportError {
            line,
            field: field.to_string(),
            message,
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.field.is_empty()) {
            (Some(line), false) => {
                write!(f, "line {line}, field `{}`: {}", self.field, self.message)
            }
            (Some(line), true) => write!(f, "line {line}: {}", self.message),
            (None, false) => write!(f, "field `{}`: {}", self.field, self.message),
            (None, true) => write!(f, "{}", self.message),
        }
    }
}

impl std::error::Error for ImportError {}

/// Reads `text` as `format`.
pub fn import(format: Format, text: &str) -> Result<Imported, ImportError> {
    let mut out = Knobs::default();
    match format {
        Format::Grpc => grpc::read(&tree::Doc::json(text)?, &mut out)?,
        Format::Envoy => envoy::read(&tree::Doc::yaml(text)?, &mut out)?,
        Format::Resilience4j => resilience4j::read(&tree::Doc::yaml(text)?, &mut out)?,
        Format::Polly => polly::read(&tree::Doc::json(text)?, &mut out)?,
    }
    Ok(Imported {
        assignments: out.assignments,
        notes: out.notes,
        policy: out.policy,
    })
}

/// The assignments being collected, each checked as it is made.
#[derive(Default)]
pub(crate) struct Knobs {
    assignments: Vec<(String, String)>,
    notes: Vec<String>,
    policy: PolicyConfig,
}

impl Knobs {
    /// Sets `knob` to `value`, read from `node` (named in the error if the knob refuses it).
    pub fn set(
        &mut self,
        knob: &str,
        value: impl ToString,
        node: Option<&Node>,
    ) -> Result<(), ImportError> {
        let value = value.to_string();
        if let Err(e) = self.policy.set(knob, &value) {
            let message = format!("gives {knob}={value}, which the playground refuses: {e}");
            return Err(match node {
                Some(node) => node.error(message),
                None => ImportError::new(None, "", message),
            });
        }
        self.assignments.retain(|(k, _)| k != knob);
        self.assignments.push((knob.to_string(), value));
        Ok(())
    }

    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// The status rules for exactly `statuses` (400..=599).
    pub fn statuses(&mut self, statuses: &[u16], node: Option<&Node>) -> Result<(), ImportError> {
        for (k, v) in crate::common::status_knobs(statuses) {
            self.set(&k, v, node)?;
        }
        Ok(())
    }
}

/// `"1.5s"`, `"0.1s"` (protobuf JSON durations, Envoy's too) in ms.
pub(crate) fn proto_ms(text: &str) -> Option<f64> {
    let seconds: f64 = text.strip_suffix('s')?.parse().ok()?;
    Some(seconds * 1000.0)
}

/// Spring Boot durations in ms: `500ms`, `5s`, `2m`, `1h`, `1d`, ISO-8601 `PT5S`, a plain number (ms).
pub(crate) fn spring_ms(text: &str) -> Option<f64> {
    if let Ok(ms) = text.parse::<f64>() {
        return Some(ms);
    }
    if let Some(iso) = text.strip_prefix("PT").or_else(|| text.strip_prefix("pt")) {
        let mut total = 0.0;
        let mut number = String::new();
        for c in iso.chars() {
            match c.to_ascii_uppercase() {
                'H' => total += number.parse::<f64>().ok()? * 3_600_000.0,
                'M' => total += number.parse::<f64>().ok()? * 60_000.0,
                'S' => total += number.parse::<f64>().ok()? * 1000.0,
                c if c.is_ascii_digit() || c == '.' => {
                    number.push(c);
                    continue;
                }
                _ => return None,
            }
            number.clear();
        }
        return number.is_empty().then_some(total);
    }
    let units = [
        ("ms", 1.0),
        ("s", 1000.0),
        ("m", 60_000.0),
        ("h", 3_600_000.0),
        ("d", 86_400_000.0),
    ];
    units.iter().find_map(|(unit, scale)| {
        let n = text.strip_suffix(unit)?.trim();
        // "5ms" must not read as 5m + "s".
        if n.ends_with('m') {
            return None;
        }
        n.parse::<f64>().ok().map(|n| n * scale)
    })
}

/// .NET TimeSpan text in ms: `[d.]hh:mm:ss[.fffffff]`.
pub(crate) fn timespan_ms(text: &str) -> Option<f64> {
    let (days, rest) = match text.split_once('.') {
        Some((d, rest)) if !d.contains(':') => (d.parse::<f64>().ok()?, rest),
        _ => (0.0, text),
    };
    let parts: Vec<&str> = rest.split(':').collect();
    let [h, m, s] = parts.as_slice() else {
        return None;
    };
    let (h, m): (f64, f64) = (h.parse().ok()?, m.parse().ok()?);
    let s: f64 = s.parse().ok()?;
    if !(0.0..24.0).contains(&h) || !(0.0..60.0).contains(&m) || !(0.0..60.0).contains(&s) {
        return None;
    }
    Some(((days * 24.0 + h) * 60.0 + m) * 60_000.0 + s * 1000.0)
}
