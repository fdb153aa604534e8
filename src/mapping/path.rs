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

/// `$.a.b[0]['c d']` as plain segments, or `None` when the path needs the query engine.
fn direct_segments(text: &str) -> Option<Vec<Seg>> {
    let mut rest = text.strip_prefix('$')?;
    let mut segs = Vec::new();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let name = &r[..end];
            if name.is_empty()
                || !name.chars().all(|c| c.is_alphanumeric() || c == '_')
                || name == "*"
            {
                return None;
            }
            segs.push(Seg::Key(name.to_string()));
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix("['") {
            let end = r.find("']")?;
            let name = &r[..end];
            if name.contains(['\\', '\'']) {
                return None;
            }
            segs.push(Seg::Key(name.to_string()));
            rest = &r[end + 2..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            let idx: usize = r[..end].parse().ok()?;
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
