//! A typed OCSF value, built per record against the class shape. It lives in the event's arena:
//! strings borrow from the event, the compiled mapping or the arena, and structs, lists and
//! maps are arena slices, so building a record allocates nothing on the heap and dropping it
//! costs nothing.

use bumpalo::Bump;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'a str),
    List(&'a [Val<'a>]),
    /// Members in the order of the struct shape's fields.
    Struct(&'a [Val<'a>]),
    Map(&'a [(&'a str, &'a str)]),
}

impl<'a> Val<'a> {
    /// `n` nulls in `bump` (the members of a struct before they are filled).
    pub fn nulls(bump: &'a Bump, n: usize) -> &'a mut [Val<'a>] {
        bump.alloc_slice_fill_copy(n, Val::Null)
    }

    /// A string value kept in `bump`.
    pub fn owned(bump: &'a Bump, s: &str) -> Val<'a> {
        Val::Str(bump.alloc_str(s))
    }

    /// A list of the given items, kept in `bump`.
    pub fn list(bump: &'a Bump, items: &[Val<'a>]) -> Val<'a> {
        Val::List(bump.alloc_slice_copy(items))
    }

    /// A map of entries built in the arena (no copy).
    pub fn map(entries: super::convert::Entries<'a>) -> Val<'a> {
        Val::Map(entries.into_bump_slice())
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Val::Null)
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Val::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&'a str> {
        match self {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }

    /// An empty struct, list or map counts as absent.
    pub fn normalize_empty(self) -> Val<'a> {
        match self {
            Val::Struct(m) if m.iter().all(Val::is_null) => Val::Null,
            Val::List([]) => Val::Null,
            Val::Map([]) => Val::Null,
            other => other,
        }
    }

    /// This value as JSON (for previews and snapshots).
    pub fn to_json(&self, shape: &super::shape::Shape) -> serde_json::Value {
        use super::shape::Shape;
        use serde_json::Value;
        match (self, shape) {
            (Val::Null, _) => Value::Null,
            (Val::Bool(b), _) => Value::Bool(*b),
            (Val::Int(i), _) => Value::from(*i),
            (Val::Float(f), _) => serde_json::Number::from_f64(*f)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            (Val::Str(s), _) => Value::String((*s).to_string()),
            (Val::List(items), Shape::List(inner)) => {
                Value::Array(items.iter().map(|v| v.to_json(inner)).collect())
            }
            (Val::Struct(members), Shape::Struct(s)) => {
                let mut m = serde_json::Map::new();
                for (v, f) in members.iter().zip(&s.fields) {
                    if !v.is_null() {
                        m.insert(f.name.clone(), v.to_json(&f.shape));
                    }
                }
                Value::Object(m)
            }
            (Val::Map(entries), _) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
                    .collect(),
            ),
            _ => Value::Null,
        }
    }
}
