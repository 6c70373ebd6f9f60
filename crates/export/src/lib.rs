//! The client policy, taken home: written out as code or config for the
//! libraries and proxies people use, and the data formats read back.
//!
//! Contract: pure and deterministic, like `policy`: no I/O, no clock, no
//! entropy, and nothing that does not build for `wasm32-unknown-unknown`.
//! The CLI (`playground export`, `playground import`) and the page use it.
//!
//! - [`export`]: one [`Document`] for one [`Target`]: ONE document in ONE
//!   language, which its own parser or compiler takes as is (attempts vs
//!   retries converted, durations in the target's unit and format). Every
//!   knob the target cannot express is named, with what the target does
//!   instead, in a comment block in the target's comment syntax (JSON has no
//!   comments: there the notes are the string array of a top-level
//!   `"_playground_notes"` field, which gRPC's and .NET's configuration
//!   readers ignore), and in [`Document::notes`] (the CLI prints them to stderr).
//! - [`import`]: the data formats (gRPC service config JSON, Envoy route
//!   YAML, resilience4j Spring Boot YAML, Polly options JSON) read back into
//!   knob assignments; a bad file gives an error naming its line and field.
//!
//! Which knobs each target expresses exactly, approximately or not at all is
//! the table in this crate's README.
//!
//! ```
//! use export::{export, Target};
//! use policy::PolicyConfig;
//!
//! let doc = export(Target::Grpc, &PolicyConfig::default());
//! let json: serde_json::Value = serde_json::from_str(&doc.text).unwrap();
//! // 3 attempts, the first included: gRPC counts them the same way.
//! assert_eq!(json["methodConfig"][0]["retryPolicy"]["maxAttempts"], 3);
//! assert_eq!(json["methodConfig"][0]["retryPolicy"]["initialBackoff"], "1s");
//! let back = export::import::import(export::import::Format::Grpc, &doc.text).unwrap();
//! assert!(back.assignments.contains(&("backoff.base_ms".to_string(), "1000".to_string())));
//! ```

mod aws;
mod backon;
mod common;
mod envoy;
mod formula;
mod go;
mod grpc;
pub mod import;
mod ky;
mod polly;
mod polly_csharp;
mod resilience4j;
mod resilience4j_java;
mod tenacity;
mod urllib3;

use policy::PolicyConfig;

pub use common::retryable_statuses;

/// Where a policy can be exported to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// Python: requests + tenacity.
    Tenacity,
    /// Python: urllib3's `Retry`.
    Urllib3,
    /// .NET: the `appsettings.json` section `AddStandardResilienceHandler` binds (JSON).
    Polly,
    /// .NET: a resilience pipeline built in C# (Microsoft.Extensions.Http.Resilience, Polly v8).
    PollyCsharp,
    /// Java: Spring Boot `application.yml` for resilience4j.
    Resilience4j,
    /// Java: resilience4j's builders.
    Resilience4jJava,
    /// gRPC service config (JSON): `methodConfig[].retryPolicy`, `retryThrottling`.
    Grpc,
    /// Envoy: a route's `timeout` and `retry_policy`, and the cluster's budget and outlier detection (YAML).
    Envoy,
    /// AWS SDKs: the shared config file (`~/.aws/config`), the environment in comments.
    Aws,
    /// JavaScript: ky.
    Ky,
    /// Go: github.com/cenkalti/backoff/v5.
    GoCenkalti,
    /// Rust: backon.
    Backon,
}

/// A target's comment syntax.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    Python,
    Json,
    Yaml,
    Ini,
    CSharp,
    Java,
    Go,
    Rust,
    JavaScript,
}

impl Target {
    /// Every target, in the order the page's select lists them.
    pub const ALL: [Target; 12] = [
        Target::Tenacity,
        Target::Urllib3,
        Target::Polly,
        Target::PollyCsharp,
        Target::Resilience4j,
        Target::Resilience4jJava,
        Target::Grpc,
        Target::Envoy,
        Target::Aws,
        Target::Ky,
        Target::GoCenkalti,
        Target::Backon,
    ];

    /// The name `--target` takes.
    pub fn name(self) -> &'static str {
        match self {
            Target::Tenacity => "tenacity",
            Target::Urllib3 => "urllib3",
            Target::Polly => "polly",
            Target::PollyCsharp => "polly-csharp",
            Target::Resilience4j => "resilience4j",
            Target::Resilience4jJava => "resilience4j-java",
            Target::Grpc => "grpc",
            Target::Envoy => "envoy",
            Target::Aws => "aws",
            Target::Ky => "ky",
            Target::GoCenkalti => "go-cenkalti",
            Target::Backon => "backon",
        }
    }

    /// What a user reads in a select.
    pub fn title(self) -> &'static str {
        match self {
            Target::Tenacity => "Python: requests + tenacity",
            Target::Urllib3 => "Python: urllib3 Retry",
            Target::Polly => ".NET: Polly standard handler (appsettings.json)",
            Target::PollyCsharp => ".NET: Polly pipeline (C#)",
            Target::Resilience4j => "Java: resilience4j (Spring Boot YAML)",
            Target::Resilience4jJava => "Java: resilience4j (builders)",
            Target::Grpc => "gRPC service config (JSON)",
            Target::Envoy => "Envoy route retry policy (YAML)",
            Target::Aws => "AWS SDK config file",
            Target::Ky => "JavaScript: ky",
            Target::GoCenkalti => "Go: cenkalti/backoff v5",
            Target::Backon => "Rust: backon",
        }
    }

    pub fn language(self) -> Language {
        match self {
            Target::Tenacity | Target::Urllib3 => Language::Python,
            Target::Polly | Target::Grpc => Language::Json,
            Target::Resilience4j | Target::Envoy => Language::Yaml,
            Target::Aws => Language::Ini,
            Target::PollyCsharp => Language::CSharp,
            Target::Resilience4jJava => Language::Java,
            Target::Ky => Language::JavaScript,
            Target::GoCenkalti => Language::Go,
            Target::Backon => Language::Rust,
        }
    }

    /// The target named `name`, or what would have been valid.
    pub fn parse(name: &str) -> Result<Target, String> {
        let name = name.trim();
        Target::ALL
            .into_iter()
            .find(|t| t.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Target::ALL.iter().map(|t| t.name()).collect();
                format!(
                    "unknown target `{}`; valid targets: {}",
                    common::quoted(name),
                    names.join(", ")
                )
            })
    }
}

/// An exported policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    /// The document: code or config in the target's language, comments included.
    pub text: String,
    /// Every knob the target cannot express exactly, `knob: what it does
    /// instead`, in knob order (the same lines as the document's comment block).
    pub notes: Vec<String>,
}

/// The knobs a target cannot express, with what the target does instead.
#[derive(Clone, Debug, Default)]
pub(crate) struct Notes(Vec<String>);

impl Notes {
    /// `knob` cannot be expressed exactly; `instead` says what happens.
    pub(crate) fn add(&mut self, knob: &str, instead: impl AsRef<str>) {
        self.0.push(format!("{knob}: {}", instead.as_ref()));
    }
}

/// The policy as `target` writes it. Never panics: every config the knobs
/// allow has a document (an extreme value is written as the nearest the
/// target accepts, and named in the notes).
pub fn export(target: Target, policy: &PolicyConfig) -> Document {
    let mut notes = Notes::default();
    let body = match target {
        Target::Tenacity => tenacity::write(policy, &mut notes),
        Target::Urllib3 => urllib3::write(policy, &mut notes),
        Target::Polly => {
            let mut value = polly::json(policy, &mut notes);
            common::beyond(policy, &mut notes, target.name());
            return json_document(&mut value, notes);
        }
        Target::PollyCsharp => polly::csharp(policy, &mut notes),
        Target::Resilience4j => resilience4j::yaml(policy, &mut notes),
        Target::Resilience4jJava => resilience4j::java(policy, &mut notes),
        Target::Grpc => {
            let mut value = grpc::json(policy, &mut notes);
            common::beyond(policy, &mut notes, target.name());
            return json_document(&mut value, notes);
        }
        Target::Envoy => envoy::yaml(policy, &mut notes),
        Target::Aws => aws::ini(policy, &mut notes),
        Target::Ky => ky::write(policy, &mut notes),
        Target::GoCenkalti => go::write(policy, &mut notes),
        Target::Backon => backon::write(policy, &mut notes),
    };
    common::beyond(policy, &mut notes, target.name());
    let prefix = match target.language() {
        Language::Python | Language::Yaml | Language::Ini => "#",
        _ => "//",
    };
    let mut text = String::new();
    text.push_str(&format!(
        "{prefix} Resilience Playground: `playground export --target {}`\n",
        target.name()
    ));
    if notes.0.is_empty() {
        text.push_str(&format!(
            "{prefix} Every knob of the policy is expressed below.\n"
        ));
    } else {
        text.push_str(&format!(
            "{prefix} Not expressible here (knob: what this target does instead):\n"
        ));
        for note in &notes.0 {
            text.push_str(&format!("{prefix} - {note}\n"));
        }
    }
    text.push('\n');
    text.push_str(&body);
    Document {
        text,
        notes: notes.0,
    }
}

/// A JSON document with the notes as its `_playground_notes` field.
fn json_document(value: &mut serde_json::Value, notes: Notes) -> Document {
    if let Some(object) = value.as_object_mut() {
        let lines: Vec<serde_json::Value> = std::iter::once(
            "Resilience Playground: not expressible here (knob: what this target does instead)"
                .to_string(),
        )
        .chain(notes.0.iter().cloned())
        .map(serde_json::Value::String)
        .collect();
        if !notes.0.is_empty() {
            object.insert(NOTES_FIELD.to_string(), serde_json::Value::Array(lines));
        }
    }
    let mut text = String::new();
    pretty(value, 0, &mut text);
    text.push('\n');
    Document {
        text,
        notes: notes.0,
    }
}

/// `serde_json::to_string_pretty`'s layout (two spaces), written by hand:
/// the run worker then needs only the compact writer it has anyway.
fn pretty(value: &serde_json::Value, depth: usize, out: &mut String) {
    use serde_json::Value;
    let pad = |out: &mut String, depth: usize| out.push_str(&"  ".repeat(depth));
    match value {
        Value::Array(items) if !items.is_empty() => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                pad(out, depth + 1);
                pretty(item, depth + 1, out);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            pad(out, depth);
            out.push(']');
        }
        Value::Object(map) if !map.is_empty() => {
            out.push_str("{\n");
            for (i, (key, item)) in map.iter().enumerate() {
                pad(out, depth + 1);
                out.push_str(&Value::String(key.clone()).to_string());
                out.push_str(": ");
                pretty(item, depth + 1, out);
                out.push_str(if i + 1 < map.len() { ",\n" } else { "\n" });
            }
            pad(out, depth);
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The field of a JSON document that carries its notes.
pub const NOTES_FIELD: &str = "_playground_notes";

#[cfg(test)]
mod tests {
    #[test]
    fn the_hand_written_layout_is_serde_jsons_pretty_one() {
        let value = serde_json::json!({"a": [1, 2.5, {"b": "x\"y", "c": []}], "d": {}, "e": null, "f": true});
        let mut text = String::new();
        super::pretty(&value, 0, &mut text);
        assert_eq!(
            text,
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
    }
}
