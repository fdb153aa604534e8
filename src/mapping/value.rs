//! A typed OCSF value, built per record against the class shape.

#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Val>),
    /// Members in the order of the struct shape's fields.
    Struct(Vec<Val>),
    Map(Vec<(String, String)>),
}

impl Val {
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

    /// An empty struct, list or map counts as absent.
    pub fn normalize_empty(self) -> Val {
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
            (Val::Str(s), _) => Value::String(s.clone()),
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
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect(),
            ),
            _ => Value::Null,
        }
    }
}
