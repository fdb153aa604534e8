//! The in-memory form of one event: a JSON tree whose strings borrow from the input line where
//! they can and whose arrays, objects and unescaped strings live in an arena (`bumpalo::Bump`)
//! that is reset between events. Building and dropping a `serde_json::Value` (a `String` per
//! string, a B-tree per object) costs more than everything after it; this form costs a pointer
//! bump per node and nothing to drop.
//!
//! Object members are sorted by key (bytewise, as `serde_json::Map` orders them) with repeated
//! keys reduced to the last, as `serde_json` does, so lookups can search or merge-join.

use std::cmp::Ordering;
use std::fmt;

use bumpalo::Bump;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;

/// One JSON node of an event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Node<'a> {
    Null,
    Bool(bool),
    /// A non-negative integer.
    U64(u64),
    /// A negative integer.
    I64(i64),
    F64(f64),
    Str(&'a str),
    Array(&'a [Node<'a>]),
    /// Members sorted by key, keys unique.
    Object(&'a [(&'a str, Node<'a>)]),
}

/// Members of an object being built, sorted and made unique by `finish_object`.
pub type Members<'a> = bumpalo::collections::Vec<'a, (&'a str, Node<'a>)>;

impl<'a> Node<'a> {
    pub fn is_null(&self) -> bool {
        matches!(self, Node::Null)
    }

    pub fn is_object(&self) -> bool {
        matches!(self, Node::Object(_))
    }

    pub fn as_str(&self) -> Option<&'a str> {
        match self {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&'a [(&'a str, Node<'a>)]> {
        match self {
            Node::Object(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&'a [Node<'a>]> {
        match self {
            Node::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<Node<'a>> {
        let m = self.as_object()?;
        member(m, key)
    }

    /// An integer value as i64 (floats only when whole, as serde_json's `as_i64` does not).
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Node::U64(u) => i64::try_from(u).ok(),
            Node::I64(i) => Some(i),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Node::U64(u) => Some(u as f64),
            Node::I64(i) => Some(i as f64),
            Node::F64(f) => Some(f),
            _ => None,
        }
    }

    pub fn is_number(&self) -> bool {
        matches!(self, Node::U64(_) | Node::I64(_) | Node::F64(_))
    }

    /// A number as serde_json writes it.
    pub fn number(&self) -> Option<serde_json::Number> {
        match *self {
            Node::U64(u) => Some(u.into()),
            Node::I64(i) => Some(i.into()),
            Node::F64(f) => serde_json::Number::from_f64(f),
            _ => None,
        }
    }

    /// The same tree as a `serde_json::Value` (for RFC 9535 queries and messages).
    pub fn to_value(&self) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::U64(_) | Node::I64(_) | Node::F64(_) => {
                self.number().map_or(Value::Null, Value::Number)
            }
            Node::Str(s) => Value::String((*s).to_string()),
            Node::Array(a) => Value::Array(a.iter().map(Node::to_value).collect()),
            Node::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| ((*k).to_string(), v.to_value()))
                    .collect(),
            ),
        }
    }

    /// A copy of `v` in `bump`.
    pub fn from_value(bump: &'a Bump, v: &Value) -> Node<'a> {
        match v {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(*b),
            Value::Number(n) => number_node(n),
            Value::String(s) => Node::Str(bump.alloc_str(s)),
            Value::Array(a) => {
                Node::Array(bump.alloc_slice_fill_iter(a.iter().map(|x| Node::from_value(bump, x))))
            }
            Value::Object(m) => {
                let mut members = Members::with_capacity_in(m.len(), bump);
                for (k, x) in m {
                    members.push((bump.alloc_str(k), Node::from_value(bump, x)));
                }
                finish_object(members)
            }
        }
    }

    /// A copy of `v` that lives as long as the process: for the constants of a compiled
    /// mapping, which is built once and kept (a few hundred bytes per mapping).
    pub fn leak_value(v: &Value) -> Node<'static> {
        let bump: &'static Bump = Box::leak(Box::new(Bump::new()));
        Node::from_value(bump, v)
    }
}

fn number_node<'a>(n: &serde_json::Number) -> Node<'a> {
    if let Some(u) = n.as_u64() {
        Node::U64(u)
    } else if let Some(i) = n.as_i64() {
        Node::I64(i)
    } else {
        Node::F64(n.as_f64().unwrap_or(f64::NAN))
    }
}

/// The member `key` of sorted members: a short scan that compares first bytes, or a binary
/// search for large objects.
#[inline]
pub fn member<'a>(m: &[(&'a str, Node<'a>)], key: &str) -> Option<Node<'a>> {
    if m.len() > 16 {
        return m
            .binary_search_by(|(k, _)| cmp_keys(k, key))
            .ok()
            .map(|i| m[i].1);
    }
    let kb = key.as_bytes();
    let first = *kb.first()?;
    for (k, v) in m {
        match k.as_bytes().first() {
            Some(&f) if f > first => return None,
            Some(&f) if f == first && k.as_bytes() == kb => return Some(*v),
            _ => {}
        }
    }
    None
}

/// Sort members by key and keep the last of a repeated key (as a JSON object read into a map
/// does), and make them an object node.
pub fn finish_object(mut members: Members<'_>) -> Node<'_> {
    if !members
        .windows(2)
        .all(|w| cmp_keys(w[0].0, w[1].0) == Ordering::Less)
    {
        // Stable: of equal keys the later stays later, and is the one kept.
        members.sort_by(|a, b| cmp_keys(a.0, b.0));
        let mut keep = 0;
        for i in 0..members.len() {
            if i + 1 < members.len() && members[i].0 == members[i + 1].0 {
                continue;
            }
            members[keep] = members[i];
            keep += 1;
        }
        members.truncate(keep);
    }
    Node::Object(members.into_bump_slice())
}

/// Bytewise order of two keys (the order of `str`), compared inline eight bytes at a time:
/// keys are short and often share a long prefix (`ParentProcessGuid`, `ParentProcessId`), and a
/// library call per comparison costs more than the comparison.
#[inline]
pub fn cmp_keys(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + 8 <= n {
        let x = u64::from_be_bytes(a[i..i + 8].try_into().expect("eight bytes"));
        let y = u64::from_be_bytes(b[i..i + 8].try_into().expect("eight bytes"));
        if x != y {
            return x.cmp(&y);
        }
        i += 8;
    }
    for (x, y) in a[i..n].iter().zip(&b[i..n]) {
        if x != y {
            return x.cmp(y);
        }
    }
    a.len().cmp(&b.len())
}

/// Parse one JSON text into `bump`. Strings without escapes borrow from `bytes`. Nesting is
/// limited as serde_json limits it (128 levels).
pub fn parse_json<'a>(bump: &'a Bump, bytes: &'a [u8]) -> Result<Node<'a>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let node = NodeSeed(bump).deserialize(&mut de)?;
    de.end()?;
    Ok(node)
}

struct NodeSeed<'b>(&'b Bump);

impl<'de: 'b, 'b> DeserializeSeed<'de> for NodeSeed<'b> {
    type Value = Node<'b>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Node<'b>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de: 'b, 'b> Visitor<'de> for NodeSeed<'b> {
    type Value = Node<'b>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Node<'b>, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node<'b>, E> {
        Ok(Node::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node<'b>, E> {
        Ok(Node::Bool(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node<'b>, E> {
        Ok(Node::U64(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node<'b>, E> {
        Ok(if v >= 0 {
            Node::U64(v as u64)
        } else {
            Node::I64(v)
        })
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node<'b>, E> {
        Ok(Node::F64(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Node<'b>, E> {
        Ok(Node::Str(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node<'b>, E> {
        Ok(Node::Str(self.0.alloc_str(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Node<'b>, A::Error> {
        let mut items = bumpalo::collections::Vec::new_in(self.0);
        while let Some(x) = a.next_element_seed(NodeSeed(self.0))? {
            items.push(x);
        }
        Ok(Node::Array(items.into_bump_slice()))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Node<'b>, A::Error> {
        let mut members = Members::new_in(self.0);
        while let Some(k) = a.next_key_seed(KeySeed(self.0))? {
            let v = a.next_value_seed(NodeSeed(self.0))?;
            members.push((k, v));
        }
        Ok(finish_object(members))
    }
}

struct KeySeed<'b>(&'b Bump);

impl<'de: 'b, 'b> DeserializeSeed<'de> for KeySeed<'b> {
    type Value = &'b str;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<&'b str, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de: 'b, 'b> Visitor<'de> for KeySeed<'b> {
    type Value = &'b str;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<&'b str, E> {
        Ok(v)
    }
    fn visit_str<E>(self, v: &str) -> Result<&'b str, E> {
        Ok(self.0.alloc_str(v))
    }
}

impl Serialize for Node<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Node::Null => s.serialize_unit(),
            Node::Bool(b) => s.serialize_bool(b),
            Node::U64(u) => s.serialize_u64(u),
            Node::I64(i) => s.serialize_i64(i),
            Node::F64(f) => s.serialize_f64(f),
            Node::Str(v) => s.serialize_str(v),
            Node::Array(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for x in a {
                    seq.serialize_element(x)?;
                }
                seq.end()
            }
            Node::Object(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl fmt::Display for Node<'_> {
    /// Compact JSON, as `serde_json::Value` displays.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = serde_json::to_string(self).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_like_serde_json() {
        let text = br#"{"b": [1, -2, 2.5, "x\ny", null, true], "a": {"z": 1, "y": "s"}, "b": "last", "e\u0041": 0}"#;
        let bump = Bump::new();
        let node = parse_json(&bump, text).unwrap();
        let value: Value = serde_json::from_slice(text).unwrap();
        assert_eq!(node.to_value(), value);
        assert_eq!(node.to_string(), value.to_string());
        assert_eq!(node.get("b"), Some(Node::Str("last")));
        assert_eq!(node.get("eA"), Some(Node::U64(0)));
        assert_eq!(Node::from_value(&bump, &value), node);
        assert!(parse_json(&bump, b"{\"a\": 1} x").is_err());
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(parse_json(&bump, deep.as_bytes()).is_err());
    }

    #[test]
    fn keys_order_as_str() {
        let keys = [
            "",
            "a",
            "ab",
            "ParentProcessGuid",
            "ParentProcessId",
            "ParentProcessGuiD",
            "ParentProcess",
            "ParentProcessGuidX",
            "zz",
            "\u{e9}t\u{e9}",
            "A",
        ];
        for a in keys {
            for b in keys {
                assert_eq!(cmp_keys(a, b), a.cmp(b), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn member_lookup_small_and_large() {
        let bump = Bump::new();
        let mut big = serde_json::Map::new();
        for i in 0..40 {
            big.insert(format!("k{i:02}"), json!(i));
        }
        let node = Node::from_value(&bump, &Value::Object(big));
        assert_eq!(node.get("k07"), Some(Node::U64(7)));
        assert_eq!(node.get("k40"), None);
        let small = Node::from_value(&bump, &json!({"ab": 1, "b": 2, "ac": 3}));
        assert_eq!(small.get("ac"), Some(Node::U64(3)));
        assert_eq!(small.get("a"), None);
        assert_eq!(small.get(""), None);
    }
}
