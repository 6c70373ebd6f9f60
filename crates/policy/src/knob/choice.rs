//! Choices: enums whose variants are a knob's values, each variant's name
//! written once beside it ([`choices!`](crate::choices)), and the table entry
//! of a choice knob stored in one field ([`choice_knob!`](crate::choice_knob)).

#[cfg(doc)]
use super::{Knob, KnobKind};

/// A closed set of named values (an enum whose variants are a knob's
/// choices), declared with [`choices!`](crate::choices) so each variant's
/// name is written once, next to it.
pub trait Choice: Copy + PartialEq + 'static {
    /// Every value, in display order.
    const ALL: &'static [Self];
    /// Every value's name, in display order (what [`KnobKind::Choice`] lists).
    const NAMES: &'static [&'static str];
    /// This value's name, as knobs, URLs and JSON spell it.
    fn name(self) -> &'static str;
    /// The value with this name, if any.
    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.name() == name)
    }
}

/// Declares an enum whose variants each carry their knob name
/// (`Variant = "name"`) and implements [`Choice`] for it. Attributes and
/// doc comments pass through, so serde's `rename_all` can sit beside it (a
/// test checks the two spell every name the same).
///
/// ```
/// policy::choices! {
///     /// How a pool grows.
///     #[derive(Clone, Copy, Debug, PartialEq)]
///     pub enum Growth {
///         /// One at a time.
///         Linear = "linear",
///         Doubling = "doubling",
///     }
/// }
/// use policy::knob::Choice;
/// assert_eq!(Growth::NAMES, ["linear", "doubling"]);
/// assert_eq!(Growth::from_name("doubling"), Some(Growth::Doubling));
/// assert_eq!(Growth::Linear.name(), "linear");
/// ```
#[macro_export]
macro_rules! choices {
    (
        $(#[$meta:meta])*
        $vis:vis enum $ty:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $name:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $ty {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $crate::knob::Choice for $ty {
            const ALL: &'static [Self] = &[$($ty::$variant),+];
            const NAMES: &'static [&'static str] = &[$($name),+];
            fn name(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }
        }
    };
}

/// A table entry for a choice knob stored in one field:
/// `choice_knob!(Knob<Config>, name, help, Type, |c| c.field)`. The field's
/// type must be `Type`, a [`Choice`].
#[macro_export]
macro_rules! choice_knob {
    ($knob:ty, $name:expr, $help:expr, $ty:ty, |$c:ident| $field:expr) => {
        <$knob>::choice(
            $name,
            $help,
            <$ty as $crate::knob::Choice>::NAMES,
            |$c| $crate::knob::Choice::name($field),
            |$c, name| match <$ty as $crate::knob::Choice>::from_name(name) {
                Some(value) => {
                    $field = value;
                    true
                }
                None => false,
            },
        )
    };
}
