//! `$.` paths: full RFC 9535 JSONPath through serde_json_path, with a fast direct walk for the
//! common plain member/index paths, and the reference's `$.UserDefined.x` (agent decorations).

use bumpalo::Bump;
use serde_json_path::JsonPath;

use crate::event::{Node, member};

#[derive(Debug, Clone)]
pub struct CompiledPath {
    text: String,
    kind: Kind,
    /// Where a plan's `PathIndex` puts this path's value, when the path is plain.
    slot: Option<usize>,
}

#[derive(Debug, Clone)]
enum Kind {
    Direct(Vec<Seg>),
    Query(JsonPath),
    /// `$.UserDefined.x`: `$.UserDefined.x` if present, else the top-level decoration `$.x`.
    UserDefined(Box<CompiledPath>, Box<CompiledPath>),
}

#[derive(Debug, Clone)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

impl CompiledPath {
    pub fn parse(text: &str) -> Result<CompiledPath, String> {
        // A plain path needs no query engine (whose parser is most of what loading a
        // mapping costs at a cold start).
        if let Some(segs) = direct_segments(text)
            && !text.starts_with("$.UserDefined.")
        {
            return Ok(CompiledPath {
                text: text.to_string(),
                kind: Kind::Direct(segs),
                slot: None,
            });
        }
        let query = JsonPath::parse(text).map_err(|e| {
            let hint = if text.contains(['-', ' ', ':', '@']) {
                "; a name with characters other than letters, digits and `_` goes in brackets, \
                 e.g. `$['log-status']`"
            } else {
                ""
            };
            format!("invalid JSONPath `{text}`: {e}{hint}")
        })?;
        if let Some(rest) = text.strip_prefix("$.UserDefined.") {
            let primary = CompiledPath {
                text: text.to_string(),
                kind: direct_or(text, query),
                slot: None,
            };
            let fallback = CompiledPath::parse(&format!("$.{rest}"))?;
            return Ok(CompiledPath {
                text: text.to_string(),
                kind: Kind::UserDefined(Box::new(primary), Box::new(fallback)),
                slot: None,
            });
        }
        Ok(CompiledPath {
            text: text.to_string(),
            kind: direct_or(text, query),
            slot: None,
        })
    }

    /// The segments of a plain member/index path (`None` for queries and `$.UserDefined.x`).
    pub(crate) fn direct_segments(&self) -> Option<&[Seg]> {
        match &self.kind {
            Kind::Direct(segs) => Some(segs),
            _ => None,
        }
    }

    pub(crate) fn set_slot(&mut self, slot: usize) {
        self.slot = Some(slot);
    }

    /// This path's slot in its plan's `PathIndex`, if it has one.
    pub fn slot(&self) -> Option<usize> {
        self.slot
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The value at this path; `None` when absent or null. A query selecting several nodes
    /// gives them as an array. Queries run on a `serde_json::Value` copy of the event, and what
    /// they select is copied back into `bump`.
    pub fn eval<'a>(&self, root: Node<'a>, bump: &'a Bump) -> Option<Node<'a>> {
        match &self.kind {
            Kind::Direct(segs) => {
                let mut cur = root;
                for s in segs {
                    cur = match s {
                        Seg::Key(k) => member(cur.as_object()?, k)?,
                        Seg::Index(i) => *cur.as_array()?.get(*i)?,
                    };
                }
                (!cur.is_null()).then_some(cur)
            }
            Kind::Query(q) => {
                let value = root.to_value();
                let nodes = q.query(&value).all();
                match nodes.len() {
                    0 => None,
                    1 => (!nodes[0].is_null()).then(|| Node::from_value(bump, nodes[0])),
                    _ => Some(Node::Array(bump.alloc_slice_fill_iter(
                        nodes.into_iter().map(|n| Node::from_value(bump, n)),
                    ))),
                }
            }
            Kind::UserDefined(primary, fallback) => primary
                .eval(root, bump)
                .or_else(|| fallback.eval(root, bump)),
        }
    }
}

fn direct_or(text: &str, query: JsonPath) -> Kind {
    match direct_segments(text) {
        Some(segs) => Kind::Direct(segs),
        None => Kind::Query(query),
    }
}

/// `$.a.b[0]['c d']` as plain segments, or `None` when the path needs the query engine (or is
/// not valid RFC 9535, which the query engine then says). What is taken here is valid RFC
/// 9535 with the same meaning: a shorthand name starts with a letter, `_` or a non-ASCII
/// character; a quoted name holds no escape and no control character; an index is a
/// non-negative integer without leading zeros within I-JSON's range.
fn direct_segments(text: &str) -> Option<Vec<Seg>> {
    /// The largest index RFC 9535 allows (2^53 - 1).
    const MAX_INDEX: usize = (1 << 53) - 1;
    let mut rest = text.strip_prefix('$')?;
    let mut segs = Vec::new();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let name = &r[..end];
            let first = name.chars().next()?;
            if !(first == '_' || first.is_ascii_alphabetic() || !first.is_ascii())
                || !name
                    .chars()
                    .all(|c| c == '_' || c.is_ascii_alphanumeric() || !c.is_ascii())
            {
                return None;
            }
            segs.push(Seg::Key(name.to_string()));
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix("['") {
            let end = r.find("']")?;
            let name = &r[..end];
            if name.contains(['\\', '\'']) || name.chars().any(|c| c < ' ') {
                return None;
            }
            segs.push(Seg::Key(name.to_string()));
            rest = &r[end + 2..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            let digits = &r[..end];
            if digits.is_empty()
                || !digits.bytes().all(|b| b.is_ascii_digit())
                || (digits.len() > 1 && digits.starts_with('0'))
            {
                return None;
            }
            let idx: usize = digits.parse().ok().filter(|&i| i <= MAX_INDEX)?;
            segs.push(Seg::Index(idx));
            rest = &r[end + 1..];
        } else {
            return None;
        }
    }
    Some(segs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn eval(p: &CompiledPath, v: &Value) -> Option<Value> {
        let bump = Bump::new();
        p.eval(Node::from_value(&bump, v), &bump)
            .map(|n| n.to_value())
    }

    #[test]
    fn a_name_with_a_hyphen_is_read_in_brackets() {
        let err = CompiledPath::parse("$.log-status").unwrap_err();
        assert!(err.contains("`$['log-status']`"), "{err}");
        let p = CompiledPath::parse("$['log-status']").unwrap();
        assert!(p.direct_segments().is_some());
        assert_eq!(eval(&p, &json!({"log-status": "OK"})), Some(json!("OK")));
        assert!(crate::mapping::is_path("$['log-status']") && !crate::mapping::is_path("$ 5"));
    }

    #[test]
    fn direct_and_query_paths_agree() {
        let v = json!({"a": {"b": [1, {"c d": "x"}]}, "n": null, "list": [{"k": 1}, {"k": 2}]});
        let p = CompiledPath::parse("$.a.b[1]['c d']").unwrap();
        assert!(matches!(p.kind, Kind::Direct(_)));
        assert_eq!(eval(&p, &v), Some(json!("x")));
        assert!(eval(&CompiledPath::parse("$.n").unwrap(), &v).is_none());
        let q = CompiledPath::parse("$.list[*].k").unwrap();
        assert!(matches!(q.kind, Kind::Query(_)));
        assert_eq!(eval(&q, &v), Some(json!([1, 2])));
        assert!(CompiledPath::parse("$.a[").is_err());
    }

    /// Every path taken without the query engine is one it accepts, and both read the same.
    #[test]
    fn plain_paths_are_what_the_query_engine_reads() {
        let v = json!({"a": {"b": [1, {"c d": "x", "é": 2}]}, "_k": {"x1": 3}, "0a": 4,
            "é": {"ü": 5}, "k\u{1}": 6, "list": [[7]]});
        let paths = [
            "$",
            "$.a",
            "$.a.b",
            "$.a.b[1]",
            "$.a.b[1]['c d']",
            "$.a.b[1].é",
            "$._k.x1",
            "$.0a",
            "$['0a']",
            "$.é.ü",
            "$['k\u{1}']",
            "$.list[0][0]",
            "$.a.b[01]",
            "$.a.b[-1]",
            "$.a.b[ 1]",
            "$.a.b[9007199254740992]",
            "$.a.b[9007199254740991]",
            "$.a-b",
            "$.a.",
            "$..a",
            "$.a.b[*]",
            "$['a']['b'][0]",
            "$[\"a\"]",
            "$.a['b\\'']",
            "$.x y",
            "$.ab$",
            "$.a[]",
            "$.true",
            "$.null",
            "$.a.length",
            "$.a\u{a0}b",
            "$.\u{2028}",
            "$.a\u{ffff}",
        ];
        for text in paths {
            let engine = JsonPath::parse(text);
            match direct_segments(text) {
                Some(_) => {
                    let engine = engine.unwrap_or_else(|e| panic!("{text}: {e}"));
                    let plain = CompiledPath::parse(text).unwrap();
                    assert!(matches!(plain.kind, Kind::Direct(_)), "{text}");
                    let bump = Bump::new();
                    let by_engine = engine.query(&v).all();
                    let by_plain = plain.eval(Node::from_value(&bump, &v), &bump);
                    assert_eq!(
                        by_plain.map(|n| n.to_value()),
                        by_engine.first().map(|n| (*n).clone()),
                        "{text}"
                    );
                }
                None => assert_eq!(CompiledPath::parse(text).is_ok(), engine.is_ok(), "{text}"),
            }
        }
    }

    #[test]
    fn user_defined_falls_back_to_top_level_decoration() {
        let p = CompiledPath::parse("$.UserDefined.source_instance_id").unwrap();
        assert_eq!(
            eval(&p, &json!({"source_instance_id": "i-1"})),
            Some(json!("i-1"))
        );
        let nested =
            json!({"UserDefined": {"source_instance_id": "i-2"}, "source_instance_id": "i-1"});
        assert_eq!(eval(&p, &nested), Some(json!("i-2")));
    }
}
