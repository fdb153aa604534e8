//! All plain `$.` paths of one plan, resolved in a single walk of the event. The paths form a
//! tree of their segments, so a shared prefix (`$.event`, `$.Description`) is looked up once,
//! and the members an object needs are found by one pass over its sorted keys beside the
//! needed names in the same order, rather than by one search per path.

use std::cmp::Ordering;

use bumpalo::Bump;

use super::compile::{Plan, ValueSource};
use super::path::{CompiledPath, Seg};
use crate::event::{Node as Ev, cmp_keys as cmp, member};

#[derive(Debug, Clone, Default)]
pub struct PathIndex {
    nodes: Vec<Node>,
    slots: usize,
}

#[derive(Debug, Clone, Default)]
struct Node {
    slot: Option<usize>,
    /// Member children, sorted by name (bytewise, the order of an object's keys).
    keys: Vec<(String, usize)>,
    indexes: Vec<(usize, usize)>,
}

/// Above this many members an object is searched per name instead of scanned.
const SCAN_LIMIT: usize = 64;

impl PathIndex {
    /// Index the plain paths of `members`, giving each its slot.
    pub fn build(members: &mut [(usize, Plan)]) -> PathIndex {
        let mut idx = PathIndex {
            nodes: vec![Node::default()],
            slots: 0,
        };
        for (_, p) in members.iter_mut() {
            idx.visit_plan(p);
        }
        idx
    }

    pub fn slots(&self) -> usize {
        self.slots
    }

    fn visit_plan(&mut self, p: &mut Plan) {
        match p {
            Plan::Struct(members, ..) => members.iter_mut().for_each(|(_, m)| self.visit_plan(m)),
            Plan::Leaf(src, _) => self.visit_source(src),
            Plan::Const(_) => {}
            Plan::List(items) => items.iter_mut().for_each(|p| self.visit_plan(p)),
            Plan::MapEntries(entries) => entries.iter_mut().for_each(|(_, s)| self.visit_source(s)),
        }
    }

    fn visit_source(&mut self, src: &mut ValueSource) {
        match src {
            ValueSource::Literal(_) => {}
            ValueSource::Path(p) => self.add(p),
            ValueSource::Enum { evaluate, .. } => self.add(evaluate),
            ValueSource::Coalesce(items) => items.iter_mut().for_each(|s| self.visit_source(s)),
            ValueSource::Hex(inner)
            | ValueSource::Lower(inner)
            | ValueSource::Basename(inner)
            | ValueSource::Pair { inner, .. } => self.visit_source(inner),
        }
    }

    fn add(&mut self, p: &mut CompiledPath) {
        let Some(segs) = p.direct_segments() else {
            return;
        };
        let mut node = 0;
        for seg in segs {
            node = self.child(node, seg);
        }
        let slot = match self.nodes[node].slot {
            Some(s) => s,
            None => {
                self.slots += 1;
                self.nodes[node].slot = Some(self.slots - 1);
                self.slots - 1
            }
        };
        p.set_slot(slot);
    }

    fn child(&mut self, node: usize, seg: &Seg) -> usize {
        let next = self.nodes.len();
        let n = &mut self.nodes[node];
        let found = match seg {
            Seg::Key(k) => match n.keys.binary_search_by(|(name, _)| cmp(name, k)) {
                Ok(i) => Some(n.keys[i].1),
                Err(i) => {
                    n.keys.insert(i, (k.clone(), next));
                    None
                }
            },
            Seg::Index(ix) => match n.indexes.iter().find(|(i, _)| i == ix) {
                Some((_, c)) => Some(*c),
                None => {
                    n.indexes.push((*ix, next));
                    None
                }
            },
        };
        found.unwrap_or_else(|| {
            self.nodes.push(Node::default());
            next
        })
    }

    /// The value of every indexed path in `event` (absent or null: `None`), by slot, in `bump`.
    pub fn resolve<'a>(&self, event: Ev<'a>, bump: &'a Bump) -> &'a [Option<Ev<'a>>] {
        let out = bump.alloc_slice_fill_copy(self.slots, None);
        if self.slots > 0 {
            self.walk(0, event, out);
        }
        out
    }

    fn walk<'a>(&self, node: usize, v: Ev<'a>, out: &mut [Option<Ev<'a>>]) {
        let n = &self.nodes[node];
        if let Some(s) = n.slot {
            out[s] = (!v.is_null()).then_some(v);
        }
        match v {
            Ev::Object(m) if !n.keys.is_empty() => {
                let keys = &n.keys;
                if m.len() > SCAN_LIMIT {
                    for (k, c) in keys {
                        if let Some(cv) = member(m, k) {
                            self.visit(*c, cv, out);
                        }
                    }
                    return;
                }
                // Both sides are sorted: one pass over the object's members.
                let mut j = 0;
                for (k, cv) in m {
                    while j < keys.len() {
                        match cmp(&keys[j].0, k) {
                            Ordering::Less => j += 1,
                            Ordering::Equal => {
                                self.visit(keys[j].1, *cv, out);
                                j += 1;
                                break;
                            }
                            Ordering::Greater => break,
                        }
                    }
                    if j == keys.len() {
                        break;
                    }
                }
            }
            Ev::Array(a) => {
                for (i, c) in &n.indexes {
                    if let Some(cv) = a.get(*i) {
                        self.visit(*c, *cv, out);
                    }
                }
            }
            _ => {}
        }
    }

    /// A child: most are leaves (a slot and nothing below), set without a call.
    #[inline]
    fn visit<'a>(&self, node: usize, v: Ev<'a>, out: &mut [Option<Ev<'a>>]) {
        let n = &self.nodes[node];
        if n.keys.is_empty() && n.indexes.is_empty() {
            if let Some(s) = n.slot {
                out[s] = (!v.is_null()).then_some(v);
            }
        } else {
            self.walk(node, v, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn leaf(path: &str) -> (usize, Plan) {
        (
            0,
            Plan::Leaf(
                ValueSource::Path(CompiledPath::parse(path).unwrap()),
                String::new(),
            ),
        )
    }

    #[test]
    fn resolves_like_each_path_alone() {
        let texts = [
            "$.event.src_ip",
            "$.event.dest_port",
            "$.event.tcp.tcp_flags",
            "$.event.missing",
            "$.a[1].b",
            "$.event.src_ip",
            "$.n",
            "$.list[*].k",
        ];
        let mut members: Vec<(usize, Plan)> = texts.iter().map(|t| leaf(t)).collect();
        let idx = PathIndex::build(&mut members);
        // Seven plain paths, one repeated: six slots; the wildcard query has none.
        assert_eq!(idx.slots(), 6);
        let event = json!({
            "a": [{"b": 1}, {"b": 2}],
            "event": {"dest_port": 443, "src_ip": "10.0.0.1", "tcp": {"tcp_flags": "1b"}, "zz": 0},
            "n": null,
            "list": [{"k": 1}],
        });
        let bump = Bump::new();
        let event = Ev::from_value(&bump, &event);
        let slots = idx.resolve(event, &bump);
        for (_, m) in &members {
            let Plan::Leaf(ValueSource::Path(p), _) = m else {
                unreachable!()
            };
            let alone = p.eval(event, &bump);
            match p.slot() {
                Some(s) => assert_eq!(slots[s], alone, "{}", p.as_str()),
                None => assert_eq!(p.as_str(), "$.list[*].k"),
            }
        }
    }
}
