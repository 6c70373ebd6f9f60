//! Knobs: every user-settable field of a config has a dotted name.
//!
//! The same names are used by the CLI's `--set key=value`, the web app's URL
//! query and the `data-testid` of each control, so a shared link, a script and
//! a test all speak of one knob the same way.
//!
//! Each config keeps one table of [`Knob`]s: an entry holds the knob's name,
//! kind and range, unit and help ([`KnobSpec`]), how to read and write its
//! field, and when it matters. Everything that lists, reads, writes, checks
//! or draws knobs (`get`/`set`, validation, the CLI's list, the URL, the
//! page's controls) walks a table, so a knob's name is written once. The
//! choices of a choice knob are an enum that knows its names ([`Choice`],
//! declared with [`choices!`](crate::choices)).
//!
//! ```
//! use policy::knob::{self, Knob};
//!
//! #[derive(Default)]
//! struct Pool { size: u64, warm: bool }
//!
//! static KNOBS: &[Knob<Pool>] = &[
//!     Knob::int("pool.size", 1, 64, "", "connections", |c| c.size, |c, v| c.size = v),
//!     Knob::<Pool>::boolean("pool.warm", "open them at start", |c| c.warm, |c, v| c.warm = v)
//!         .active_when(|c| c.size > 1),
//! ];
//!
//! let mut pool = Pool::default();
//! knob::set(KNOBS, &mut pool, "pool.size", "8").unwrap();
//! assert_eq!(knob::get(KNOBS, &pool, "pool.size").as_deref(), Some("8"));
//! let err = knob::set(KNOBS, &mut pool, "pool.size", "65").unwrap_err();
//! assert_eq!(err.to_string(), "bad value `65` for `pool.size`: expected an integer from 1 to 64");
//! assert!(KNOBS[1].is_active(&pool));
//! ```

use std::fmt;
use std::ops::Deref;

mod choice;

pub use choice::Choice;

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
    /// Free text in a grammar of its own (`syntax` says it, e.g. a
    /// script of replies), or empty for none. The owner of the knob parses
    /// it and names the bad part.
    Text { syntax: &'static str },
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
            KnobKind::Text { syntax } => format!("{syntax} (empty for none)"),
        }
    }

    /// The error for a refused value: the knob, the value, what would be valid.
    pub fn bad(&self, value: &str) -> KnobError {
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

    /// Parses a choice, returning the listed name it matches.
    pub fn parse_choice(&self, value: &str) -> Result<&'static str, KnobError> {
        match self.kind {
            KnobKind::Choice(names) => names
                .iter()
                .copied()
                .find(|n| *n == value.trim())
                .ok_or_else(|| self.bad(value)),
            _ => Err(self.bad(value)),
        }
    }
}

/// How a [`Knob`] reads and writes its field in a config `C`, by kind.
pub enum Access<C: 'static> {
    Int {
        get: fn(&C) -> u64,
        set: fn(&mut C, u64),
    },
    Float {
        get: fn(&C) -> f64,
        set: fn(&mut C, f64),
    },
    Bool {
        get: fn(&C) -> bool,
        set: fn(&mut C, bool),
    },
    /// By name; `set` gets one of the knob's names and says whether it took it.
    Choice {
        get: fn(&C) -> &'static str,
        set: fn(&mut C, &str) -> bool,
    },
    /// Text the owner parses and checks itself (lists, a status or `reset`,
    /// rules across fields); its errors name the bad part.
    Text {
        get: fn(&C) -> String,
        set: fn(&mut C, &KnobSpec, &str) -> Result<(), KnobError>,
    },
}

impl<C> Clone for Access<C> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<C> Copy for Access<C> {}

/// One knob of a config `C`: its description, how to read and write it,
/// and when it matters. Dereferences to its [`KnobSpec`].
pub struct Knob<C: 'static> {
    pub spec: KnobSpec,
    pub access: Access<C>,
    /// Whether the knob matters under a config (e.g. `jitter.ratio` only with
    /// a ratio jitter); the page dims it otherwise.
    pub active: fn(&C) -> bool,
    /// Only the simulator reads it (a live run's requests take the real path).
    pub simulated_only: bool,
}

impl<C> Clone for Knob<C> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<C> Copy for Knob<C> {}

impl<C> Deref for Knob<C> {
    type Target = KnobSpec;
    fn deref(&self) -> &KnobSpec {
        &self.spec
    }
}

impl<C> fmt::Debug for Knob<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Knob").field(&self.spec).finish()
    }
}

fn always<C>(_: &C) -> bool {
    true
}

/// `u64` to `u32`, saturating (a knob's range already bounds it).
pub fn to_u32(value: u64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

impl<C> Knob<C> {
    const fn new(
        name: &'static str,
        kind: KnobKind,
        unit: &'static str,
        help: &'static str,
        access: Access<C>,
    ) -> Self {
        Knob {
            spec: KnobSpec {
                name,
                kind,
                unit,
                help,
            },
            access,
            active: always::<C>,
            simulated_only: false,
        }
    }

    /// An integer knob in `min..=max`.
    pub const fn int(
        name: &'static str,
        min: u64,
        max: u64,
        unit: &'static str,
        help: &'static str,
        get: fn(&C) -> u64,
        set: fn(&mut C, u64),
    ) -> Self {
        Self::new(
            name,
            KnobKind::Int { min, max },
            unit,
            help,
            Access::Int { get, set },
        )
    }

    /// A real knob in `min..=max`.
    pub const fn float(
        name: &'static str,
        min: f64,
        max: f64,
        unit: &'static str,
        help: &'static str,
        get: fn(&C) -> f64,
        set: fn(&mut C, f64),
    ) -> Self {
        Self::new(
            name,
            KnobKind::Float { min, max },
            unit,
            help,
            Access::Float { get, set },
        )
    }

    /// A `true`/`false` knob.
    pub const fn boolean(
        name: &'static str,
        help: &'static str,
        get: fn(&C) -> bool,
        set: fn(&mut C, bool),
    ) -> Self {
        Self::new(name, KnobKind::Bool, "", help, Access::Bool { get, set })
    }

    /// A choice among `names`, read and written by name. For a field of a
    /// [`Choice`] enum, [`choice_knob!`](crate::choice_knob) writes this.
    pub const fn choice(
        name: &'static str,
        help: &'static str,
        names: &'static [&'static str],
        get: fn(&C) -> &'static str,
        set: fn(&mut C, &str) -> bool,
    ) -> Self {
        Self::new(
            name,
            KnobKind::Choice(names),
            "",
            help,
            Access::Choice { get, set },
        )
    }

    /// A knob whose text its owner parses (`kind` is what the CLI and the
    /// page show: a list, or a choice of spellings).
    pub const fn text(
        name: &'static str,
        kind: KnobKind,
        unit: &'static str,
        help: &'static str,
        get: fn(&C) -> String,
        set: fn(&mut C, &KnobSpec, &str) -> Result<(), KnobError>,
    ) -> Self {
        Self::new(name, kind, unit, help, Access::Text { get, set })
    }

    /// The knob matters only when `active` says so.
    pub const fn active_when(mut self, active: fn(&C) -> bool) -> Self {
        self.active = active;
        self
    }

    /// Only the simulator reads this knob.
    pub const fn simulated_only(mut self) -> Self {
        self.simulated_only = true;
        self
    }

    /// The knob's value in `config`, as text [`Knob::set`] accepts.
    pub fn get(&self, config: &C) -> String {
        match self.access {
            Access::Int { get, .. } => get(config).to_string(),
            Access::Float { get, .. } => get(config).to_string(),
            Access::Bool { get, .. } => get(config).to_string(),
            Access::Choice { get, .. } => get(config).to_string(),
            Access::Text { get, .. } => get(config),
        }
    }

    /// Sets the knob from text, checking its kind and range; on error the
    /// config is unchanged and the error names the knob and what is valid.
    pub fn set(&self, config: &mut C, value: &str) -> Result<(), KnobError> {
        let spec = &self.spec;
        match self.access {
            Access::Int { set, .. } => set(config, spec.parse_int(value)?),
            Access::Float { set, .. } => set(config, spec.parse_float(value)?),
            Access::Bool { set, .. } => set(config, spec.parse_bool(value)?),
            Access::Choice { set, .. } => {
                if !set(config, spec.parse_choice(value)?) {
                    return Err(spec.bad(value));
                }
            }
            Access::Text { set, .. } => set(config, spec, value)?,
        }
        Ok(())
    }

    /// Whether the knob matters under `config`.
    pub fn is_active(&self, config: &C) -> bool {
        (self.active)(config)
    }

    /// The knob's value in a config built without [`Knob::set`] (say, read
    /// from JSON), if it is outside the knob's range. Lists and the
    /// spellings of text choices are checked by their owners.
    pub fn out_of_range(&self, config: &C) -> Option<KnobError> {
        let value = self.get(config);
        let ok = match (self.spec.kind, self.access) {
            (KnobKind::Int { .. }, _) => self.spec.parse_int(&value).is_ok(),
            (KnobKind::Float { .. }, _) => self.spec.parse_float(&value).is_ok(),
            (KnobKind::Choice(_), Access::Choice { .. }) => self.spec.parse_choice(&value).is_ok(),
            _ => true,
        };
        (!ok).then(|| self.spec.bad(&value))
    }

    /// The knob's value in `C`'s default config.
    pub fn default_value(&self) -> String
    where
        C: Default,
    {
        self.get(&C::default())
    }
}

/// Finds a knob by name in a table, or an error listing the valid names.
pub fn find<'t, C>(table: &'t [Knob<C>], name: &str) -> Result<&'t Knob<C>, KnobError> {
    table
        .iter()
        .find(|k| k.name == name)
        .ok_or_else(|| KnobError::UnknownName {
            name: name.to_string(),
            valid: names(table),
        })
}

/// Every knob name of a table, in order.
pub fn names<C>(table: &[Knob<C>]) -> Vec<&'static str> {
    table.iter().map(|k| k.name).collect()
}

/// A knob's value by name, `None` for a name not in the table.
pub fn get<C>(table: &[Knob<C>], config: &C, name: &str) -> Option<String> {
    find(table, name).ok().map(|k| k.get(config))
}

/// Sets a knob by name (see [`Knob::set`]); an unknown name's error lists the table.
pub fn set<C>(table: &[Knob<C>], config: &mut C, name: &str, value: &str) -> Result<(), KnobError> {
    find(table, name)?.set(config, value)
}

/// Every knob of the table whose value in `config` is out of its range.
pub fn out_of_range<C>(table: &[Knob<C>], config: &C) -> Vec<KnobError> {
    table
        .iter()
        .filter_map(|k| k.out_of_range(config))
        .collect()
}
