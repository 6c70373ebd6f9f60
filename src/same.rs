//! Props that hold a run's trace compare it by identity, not field by field.
//!
//! `Rc<Trace>`'s own `==` walks both traces (a `Trace` is not `Eq`, so the
//! standard library cannot check the pointer first): every render of the
//! page compared each chart's trace with itself, call by call, to find it
//! unchanged. A trace never changes once shown (a new run, a live update or
//! a replay makes a new one), so the same `Rc` is the same trace and a
//! different one is new.

use std::ops::Deref;
use std::rc::Rc;

use flaky::sim::Trace;
use yew::html::IntoPropValue;

/// A prop's value, equal when it is the very same trace (or both none).
#[derive(Clone, Debug, Default)]
pub struct Same<T>(T);

impl PartialEq for Same<Option<Rc<Trace>>> {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => Rc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }
}

impl PartialEq for Same<Rc<Trace>> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> Deref for Same<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl IntoPropValue<Same<Option<Rc<Trace>>>> for Option<Rc<Trace>> {
    fn into_prop_value(self) -> Same<Option<Rc<Trace>>> {
        Same(self)
    }
}

impl IntoPropValue<Same<Rc<Trace>>> for Rc<Trace> {
    fn into_prop_value(self) -> Same<Rc<Trace>> {
        Same(self)
    }
}
