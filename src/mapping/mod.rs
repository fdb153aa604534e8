//! The compiled, runtime form of mappings and its evaluation.

pub mod apply;
mod class_shape;
pub mod compile;
pub mod convert;
pub mod diagnostics;
mod lint;
pub mod path;
pub mod path_index;
pub mod shape;
pub mod time;
pub mod value;

pub use apply::{DeadReason, MapOutcome, MappedRecord, Warnings};
pub(crate) use compile::is_path;
pub use compile::{CompiledClass, CompiledMapping, compile};
pub use diagnostics::{Diagnostic, Level};
pub use shape::{Shape, StructShape};
pub use value::Val;
