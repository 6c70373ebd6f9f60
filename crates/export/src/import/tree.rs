//! A parsed document (JSON, or YAML turned into the same tree) walked with
//! the path of every field, so that each error names its field and line.

use serde_json::Value;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};
use yaml_rust2::Yaml;

use super::ImportError;

/// The text and its tree.
pub struct Doc<'t> {
    text: &'t str,
    root: Value,
}

/// A field of a [`Doc`]: its value, its dotted path and the line it was found on.
#[derive(Clone)]
pub struct Node<'d> {
    doc: &'d Doc<'d>,
    pub value: &'d Value,
    path: String,
    line: Option<u32>,
}

/// The most characters of input read (a pasted config is kilobytes).
pub const INPUT_CHARS_MAX: usize = 1_000_000;

fn too_big(text: &str) -> Result<(), ImportError> {
    if text.len() > INPUT_CHARS_MAX {
        return Err(ImportError::new(
            None,
            "",
            format!(
                "the file has {} bytes; at most {INPUT_CHARS_MAX} are read",
                text.len()
            ),
        ));
    }
    Ok(())
}

impl<'t> Doc<'t> {
    pub fn json(text: &'t str) -> Result<Doc<'t>, ImportError> {
        too_big(text)?;
        let root = serde_json::from_str(text).map_err(|e| {
            let line = u32::try_from(e.line()).ok().filter(|&l| l > 0);
            ImportError::new(line, "", format!("not JSON: {e}"))
        })?;
        Ok(Doc { text, root })
    }

    pub fn yaml(text: &'t str) -> Result<Doc<'t>, ImportError> {
        too_big(text)?;
        // Events straight into the JSON tree: no intermediate YAML tree (and
        // none of its hash map code in the run worker's wasm).
        let mut builder = Builder::default();
        Parser::new_from_str(text)
            .load(&mut builder, false)
            .map_err(|e| {
                let line = u32::try_from(e.marker().line()).ok().filter(|&l| l > 0);
                ImportError::new(line, "", format!("not YAML: {}", e.info()))
            })?;
        let root = builder
            .finish()
            .map_err(|(line, message)| ImportError::new(line, "", message))?;
        Ok(Doc { text, root })
    }

    pub fn root(&'t self) -> Node<'t> {
        Node {
            doc: self,
            value: &self.root,
            path: String::new(),
            line: None,
        }
    }

    /// The line (1-based) of the first mention of `key` at or after line `from`.
    fn line_of(&self, key: &str, from: Option<u32>) -> Option<u32> {
        let from = from.unwrap_or(1);
        self.text
            .lines()
            .enumerate()
            .skip(from.saturating_sub(1) as usize)
            .find(|(_, l)| l.contains(key))
            .and_then(|(i, _)| u32::try_from(i + 1).ok())
    }
}

/// Builds the JSON tree from the parser's events: a stack of open
/// sequences and mappings (a mapping keeps its pending key).
#[derive(Default)]
struct Builder {
    stack: Vec<(Value, Option<String>)>,
    root: Option<Value>,
    /// The first problem, with its line (keys that are not text, aliases).
    problem: Option<(Option<u32>, String)>,
}

impl Builder {
    fn finish(self) -> Result<Value, (Option<u32>, String)> {
        match self.problem {
            Some(p) => Err(p),
            None => Ok(self.root.unwrap_or(Value::Null)),
        }
    }

    fn push_value(&mut self, value: Value, line: Option<u32>) {
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(value);
                }
            }
            Some((Value::Array(items), _)) => items.push(value),
            Some((Value::Object(map), key)) => match key.take() {
                Some(k) => {
                    map.insert(k, value);
                }
                None => match value {
                    Value::String(k) => *key = Some(k),
                    Value::Number(n) => *key = Some(n.to_string()),
                    Value::Bool(b) => *key = Some(b.to_string()),
                    other => self.fail(line, format!("a mapping key is not text: {other}")),
                },
            },
            Some(_) => {}
        }
    }

    fn fail(&mut self, line: Option<u32>, message: String) {
        if self.problem.is_none() {
            self.problem = Some((line, message));
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        let line = u32::try_from(mark.line()).ok().filter(|&l| l > 0);
        match event {
            Event::Scalar(text, style, _, _) => {
                let value = if style == TScalarStyle::Plain {
                    scalar(Yaml::from_str(&text), text)
                } else {
                    Value::String(text)
                };
                self.push_value(value, line);
            }
            Event::SequenceStart(..) => self.stack.push((Value::Array(Vec::new()), None)),
            Event::MappingStart(..) => self
                .stack
                .push((Value::Object(serde_json::Map::new()), None)),
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((value, _)) = self.stack.pop() {
                    self.push_value(value, line);
                }
            }
            Event::Alias(_) => self.fail(line, "YAML aliases are not read".to_string()),
            _ => {}
        }
    }
}

/// A plain scalar as YAML resolves it (`3` a number, `true` a boolean, `~` null).
fn scalar(resolved: Yaml, text: String) -> Value {
    match resolved {
        Yaml::Null => Value::Null,
        Yaml::Boolean(b) => Value::Bool(b),
        Yaml::Integer(i) => Value::from(i),
        Yaml::Real(r) => match r.parse::<f64>() {
            Ok(x) => serde_json::Number::from_f64(x).map_or(Value::String(text), Value::Number),
            Err(_) => Value::String(text),
        },
        _ => Value::String(text),
    }
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

impl<'d> Node<'d> {
    pub fn error(&self, message: impl Into<String>) -> ImportError {
        ImportError::new(self.line, &self.path, message.into())
    }

    /// The field `key` of this mapping, if there.
    pub fn get(&self, key: &str) -> Option<Node<'d>> {
        let value = self.value.as_object()?.get(key)?;
        Some(Node {
            doc: self.doc,
            value,
            path: join(&self.path, key),
            line: self.doc.line_of(key, self.line).or(self.line),
        })
    }

    /// The items of this list (a single value counts as a list of one).
    pub fn items(&self) -> Vec<Node<'d>> {
        match self.value {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, value)| Node {
                    doc: self.doc,
                    value,
                    path: format!("{}[{i}]", self.path),
                    line: self.line,
                })
                .collect(),
            _ => vec![self.clone()],
        }
    }

    pub fn is_object(&self) -> bool {
        self.value.is_object()
    }

    pub fn keys(&self) -> Vec<&'d str> {
        self.value
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    pub fn text(&self) -> Result<String, ImportError> {
        match self.value {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            _ => Err(self.error("expected a text value")),
        }
    }

    pub fn number(&self) -> Result<f64, ImportError> {
        let x = match self.value {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        x.filter(|x| x.is_finite())
            .ok_or_else(|| self.error(format!("expected a number, found {}", short(self.value))))
    }

    /// A whole number ≥ 0.
    pub fn count(&self) -> Result<u64, ImportError> {
        let x = self.number()?;
        if x < 0.0 || x.fract() != 0.0 || x > 1e15 {
            return Err(self.error(format!(
                "expected a whole number ≥ 0, found {}",
                short(self.value)
            )));
        }
        Ok(x as u64)
    }

    pub fn boolean(&self) -> Result<bool, ImportError> {
        match self.value {
            Value::Bool(b) => Ok(*b),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
            _ => Err(self.error(format!(
                "expected true or false, found {}",
                short(self.value)
            ))),
        }
    }

    /// A duration in ms read by `parse` (which says what it expected).
    pub fn duration_ms(
        &self,
        parse: fn(&str) -> Option<f64>,
        expected: &str,
    ) -> Result<u64, ImportError> {
        let text = self.text()?;
        match parse(text.trim()) {
            Some(ms) if (0.0..=1e15).contains(&ms) => Ok(ms.round() as u64),
            _ => Err(self.error(format!(
                "expected {expected}, found `{}`",
                crate::common::quoted(&text)
            ))),
        }
    }
}

fn short(value: &Value) -> String {
    crate::common::quoted(&value.to_string())
}
