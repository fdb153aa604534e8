//! A typed OCSF value, built per record against the class shape. Strings borrow from the event
//! or the compiled mapping where they can, so building a record copies little.

use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq)]
pub enum Val<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Cow<'a, str>),
    List(Vec<Val<'a>>),
    /// Members in the order of the struct shape's fields.
    Struct(Vec<Val<'a>>),
    Map(Vec<(Cow<'a, str>, Cow<'a, str>)>),
}

impl<'a> Val<'a> {
    /// `n` nulls (the members of a struct before they are filled).
    pub fn nulls(n: usize) -> Vec<Val<'a>> {
        let mut v = Vec::with_capacity(n);
        v.resize_with(n, || Val::Null);
        v
    }

    /// A string value that borrows.
    pub fn text(s: &'a str) -> Val<'a> {
        Val::Str(Cow::Borrowed(s))
    }

    /// A string value that owns.
    pub fn owned(s: String) -> Val<'a> {
        Val::Str(Cow::Owned(s))
    }

    /// The same value, its strings borrowed from `self` (cheap copy of a mapping constant).
    pub fn borrowed(&self) -> Val<'_> {
        match self {
            Val::Null => Val::Null,
            Val::Bool(b) => Val::Bool(*b),
            Val::Int(i) => Val::Int(*i),
            Val::Float(f) => Val::Float(*f),
            Val::Str(s) => Val::Str(Cow::Borrowed(s)),
            Val::List(l) => Val::List(l.iter().map(Val::borrowed).collect()),
            Val::Struct(m) => Val::Struct(m.iter().map(Val::borrowed).collect()),
            Val::Map(e) => Val::Map(
                e.iter()
                    .map(|(k, v)| (Cow::Borrowed(k.as_ref()), Cow::Borrowed(v.as_ref())))
                    .collect(),
            ),
        }
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

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The same value owning all its strings.
    pub fn into_owned(self) -> Val<'static> {
        match self {
            Val::Null => Val::Null,
            Val::Bool(b) => Val::Bool(b),
            Val::Int(i) => Val::Int(i),
            Val::Float(f) => Val::Float(f),
            Val::Str(s) => Val::Str(Cow::Owned(s.into_owned())),
            Val::List(l) => Val::List(l.into_iter().map(Val::into_owned).collect()),
            Val::Struct(m) => Val::Struct(m.into_iter().map(Val::into_owned).collect()),
            Val::Map(e) => Val::Map(
                e.into_iter()
                    .map(|(k, v)| (Cow::Owned(k.into_owned()), Cow::Owned(v.into_owned())))
                    .collect(),
            ),
        }
    }

    /// An empty struct, list or map counts as absent.
    pub fn normalize_empty(self) -> Val<'a> {
        match self {
            Val::Struct(ref m) if m.iter().all(Val::is_null) => Val::Null,
            Val::List(ref l) if l.is_empty() => Val::Null,
            Val::Map(ref m) if m.is_empty() => Val::Null,
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
            (Val::Str(s), _) => Value::String(s.to_string()),
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
