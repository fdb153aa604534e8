//! The in-memory form of one event: a JSON tree whose strings borrow from the input line where
//! they can and whose arrays, objects and unescaped strings live in an arena (`bumpalo::Bump`)
//! that is reset between events. A `serde_json::Value` costs an allocation per string and a
//! B-tree per object, each freed again after the event; this form costs a pointer bump per node
//! and nothing to free.
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

    /// A copy of `v` that lives as long as the process (for tests).
    #[cfg(test)]
    pub(crate) fn leak_value(v: &Value) -> Node<'static> {
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

/// Nesting deeper than this is an error, as it is in serde_json.
const MAX_DEPTH: usize = 128;

/// Parse one JSON text into `bump`. simd-json reads a copy of the text in the arena (it
/// unescapes strings in place, and the raw text is kept for dead letters); whatever it does not
/// take exactly as serde_json would (an error, a number beyond 64 bits, a `\uD800`-range escape,
/// nesting beyond 128 levels) is read again by serde_json, whose acceptance and messages are
/// the contract, as is a text over 1 MiB. Strings borrow from the arena copy or from `bytes`.
pub fn parse_json<'a>(bump: &'a Bump, bytes: &'a [u8]) -> Result<Node<'a>, serde_json::Error> {
    match parse_simd(bump, bytes) {
        Some(node) => Ok(node),
        None => parse_serde(bump, bytes),
    }
}

/// simd-json's working buffers and tape, kept per thread and reused from text to text.
struct SimdState {
    buffers: simd_json::Buffers,
    /// Always empty between parses (hence `'static`).
    tape: simd_json::Tape<'static>,
}

thread_local! {
    static SIMD: std::cell::RefCell<SimdState> = std::cell::RefCell::new(SimdState {
        buffers: simd_json::Buffers::new(4096),
        tape: simd_json::Tape(Vec::new()),
    });
}

/// Above this size a text goes to serde_json: simd-json's buffers (kept per thread for reuse)
/// grow to a few times the largest text read, and a whole-document input can be large.
const SIMD_MAX_BYTES: usize = 1 << 20;

/// A tape grown beyond this many nodes by one large text is not kept for the next.
const TAPE_KEEP_NODES: usize = 1 << 16;

fn parse_simd<'a>(bump: &'a Bump, bytes: &[u8]) -> Option<Node<'a>> {
    if bytes.len() > SIMD_MAX_BYTES || has_surrogate_escape(bytes) {
        return None;
    }
    let copy: &'a mut [u8] = bump.alloc_slice_copy(bytes);
    SIMD.with(|state| {
        let mut state = state.borrow_mut();
        let state = &mut *state;
        let mut tape: simd_json::Tape<'a> =
            std::mem::replace(&mut state.tape, simd_json::Tape(Vec::new())).reset();
        let node = simd_json::fill_tape(copy, &mut state.buffers, &mut tape)
            .ok()
            .and_then(|()| {
                let mut at = 0;
                let node = from_tape(bump, &tape.0, &mut at, 0)?;
                (at == tape.0.len()).then_some(node)
            });
        if tape.0.capacity() <= TAPE_KEEP_NODES {
            state.tape = tape.reset();
        }
        node
    })
}

/// Whether `bytes` may hold a `\uD800`–`\uDFFF` escape, which simd-json does not judge as
/// serde_json does.
fn has_surrogate_escape(bytes: &[u8]) -> bool {
    // Built once: a `memmem::find_iter` call builds its searcher anew for every text.
    static ESCAPE: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\\u"));
    ESCAPE.find_iter(bytes).any(|i| {
        matches!(bytes.get(i + 2), Some(b'd' | b'D'))
            && matches!(
                bytes.get(i + 3),
                Some(b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F')
            )
    })
}

fn from_tape<'a>(
    bump: &'a Bump,
    tape: &[simd_json::Node<'a>],
    at: &mut usize,
    depth: usize,
) -> Option<Node<'a>> {
    use simd_json::{Node as T, StaticNode as S};
    let node = *tape.get(*at)?;
    *at += 1;
    Some(match node {
        T::String(s) => Node::Str(s),
        T::Static(S::Null) => Node::Null,
        T::Static(S::Bool(b)) => Node::Bool(b),
        T::Static(S::U64(u)) => Node::U64(u),
        // simd-json reads `-0` as the integer 0; serde_json as the float -0.0.
        T::Static(S::I64(0)) => Node::F64(-0.0),
        T::Static(S::I64(i)) if i > 0 => Node::U64(i as u64),
        T::Static(S::I64(i)) => Node::I64(i),
        T::Static(S::F64(f)) => Node::F64(f),
        T::Array { len, .. } => {
            if depth + 1 >= MAX_DEPTH {
                return None;
            }
            let mut items = bumpalo::collections::Vec::with_capacity_in(len, bump);
            for _ in 0..len {
                items.push(from_tape(bump, tape, at, depth + 1)?);
            }
            Node::Array(items.into_bump_slice())
        }
        T::Object { len, .. } => {
            if depth + 1 >= MAX_DEPTH {
                return None;
            }
            let mut members = Members::with_capacity_in(len, bump);
            for _ in 0..len {
                let T::String(key) = *tape.get(*at)? else {
                    return None;
                };
                *at += 1;
                members.push((key, from_tape(bump, tape, at, depth + 1)?));
            }
            finish_object(members)
        }
    })
}

/// serde_json's reading, into `bump`.
fn parse_serde<'a>(bump: &'a Bump, bytes: &'a [u8]) -> Result<Node<'a>, serde_json::Error> {
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

    /// Whatever simd-json reads must be what serde_json reads, and what serde_json rejects
    /// stays rejected.
    #[test]
    fn reads_exactly_as_serde_json() {
        let mut cases: Vec<Vec<u8>> = [
            &br#"{"a":"x\ty","b":[1,-2,2.5,1e3,-0,0.1e1,1E5],"c":{"d":null,"e":true}}"#[..],
            br#"{"a":"\u00e9\ud83d\ude00 \/ \" \\","k\u0041":1}"#,
            br#"{"a":"\ud800"}"#,
            br#"{"a":"\\ud800"}"#,
            br#"{"a":18446744073709551615,"b":18446744073709551616,"c":-9223372036854775809}"#,
            br#"{"a":1e400}"#,
            br#"{"a":1.5e-400}"#,
            br#"{"dup":1,"dup":2,"a":[{"x":1,"x":{"y":3}}]}"#,
            b"{\"a\":\"x\ty\"}",
            b"{\"a\":\"\xff\"}",
            b"\xef\xbb\xbf{}",
            br#"{"a":1,}"#,
            br#"[1,]"#,
            br#"{"a":01}"#,
            br#"{"a":1.}"#,
            br#"{"a":NaN}"#,
            br#"{"a":tru}"#,
            br#"{} x"#,
            br#"{}{}"#,
            b"",
            b"  \t{\"a\" : [ ] }\r",
            br#""just a string""#,
            br#"12"#,
        ]
        .iter()
        .map(|c| c.to_vec())
        .collect();
        for f in [
            "0.1",
            "1.7976931348623157e308",
            "5e-324",
            "2.2250738585072014e-308",
            "0.30000000000000004",
            "123456789.123456789",
            "9007199254740993",
            "-1.5e-7",
            "3.141592653589793238462643383279",
        ] {
            cases.push(format!("{{\"f\":{f}}}").into_bytes());
        }
        // Pseudo-random decimals of up to 19 significant digits and exponents of ±30.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..3000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let digits = (x % 10_000_000_000_000_000_000).to_string();
            let point = (x >> 5) as usize % (digits.len() + 1);
            let exp = (x >> 11) as i64 % 61 - 30;
            let text = format!("0{}.{}0e{exp}", &digits[..point], &digits[point..]);
            cases.push(format!("[{text}]").into_bytes());
        }
        for depth in [126, 127, 128, 129, 300] {
            cases.push(("[".repeat(depth) + &"]".repeat(depth)).into_bytes());
            cases.push(("{\"a\":".repeat(depth) + "1" + &"}".repeat(depth)).into_bytes());
        }
        for case in &cases {
            let bump = Bump::new();
            let ours = parse_json(&bump, case).map(|n| n.to_value());
            let theirs = serde_json::from_slice::<Value>(case);
            match (ours, theirs) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{}", String::from_utf8_lossy(case)),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                (a, b) => panic!(
                    "{}: ours {a:?}, serde_json {b:?}",
                    String::from_utf8_lossy(case)
                ),
            }
        }
        // The fast path did read the common shapes itself.
        let bump = Bump::new();
        assert!(parse_simd(&bump, br#"{"a":[1,"b"]}"#).is_some());
        assert!(parse_simd(&bump, br#"{"a":"\ud800"}"#).is_none());
        let big = format!("[{}]", vec!["12345"; 200_000].join(","));
        assert!(parse_simd(&bump, big.as_bytes()).is_none());
        assert_eq!(
            parse_json(&bump, big.as_bytes())
                .unwrap()
                .as_array()
                .map(<[_]>::len),
            Some(200_000)
        );
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
    fn finish_object_sorts_and_keeps_the_last_of_a_key() {
        let keys = [
            "ParentProcessGuid",
            "ParentProcessId",
            "ParentProcess",
            "a",
            "a\u{0}",
            "a\u{0}b",
            "ab",
            "",
            "zz",
            "\u{e9}t\u{e9}",
        ];
        let bump = Bump::new();
        // Every key twice, in a scrambled order; the value is the position in the input.
        let input: Vec<&str> = (0..keys.len() * 2)
            .map(|i| keys[(i * 7) % keys.len()])
            .collect();
        let mut members = Members::new_in(&bump);
        members.extend(
            input
                .iter()
                .enumerate()
                .map(|(i, k)| (*k, Node::U64(i as u64))),
        );
        let mut expected = std::collections::BTreeMap::new();
        for (i, k) in input.iter().enumerate() {
            expected.insert(*k, i as u64);
        }
        let got: Vec<(&str, u64)> = finish_object(members)
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (*k, v.as_i64().unwrap() as u64))
            .collect();
        assert_eq!(got, expected.into_iter().collect::<Vec<_>>());
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
