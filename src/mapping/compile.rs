//! Compile a mapping file against the OCSF schema: check it (with precise diagnostics), build
//! each class's output shape (the union over the file's entries; see `class_shape`) and one
//! evaluation plan per matched value. Checks that do not change what is built are in `lint`.
//! Nothing here runs per record.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

pub use super::class_shape::RootIndex;
use super::class_shape::{add_field, attr_shape, object_shape, root_index, root_shape};
use super::diagnostics::{Diagnostic, Level, ptr_token};
use super::lint::{lint_literals, lint_required_members, lint_root};
use super::path::CompiledPath;
use super::path_index::PathIndex;
use super::shape::{Shape, StructShape};
use super::time::TimeFormat;
use super::value::Val;
use crate::config::{EventMapping, MappingFile};
use crate::event::Node as Ev;
use crate::ocsf::{Node, Primitive, Requirement, Schema};

/// Where a value comes from. Literals are event nodes that live as long as the process (a
/// mapping is compiled once).
#[derive(Debug, Clone)]
pub enum ValueSource {
    Literal(Ev<'static>),
    Path(CompiledPath),
    Enum {
        evaluate: CompiledPath,
        values: HashMap<String, Ev<'static>>,
        /// For a value not in `values`, and for an absent one unless `absent` is given.
        other: Option<Ev<'static>>,
        /// For an absent (or null) value (an extension: e.g. OCSF's 0 Unknown beside 99 Other).
        absent: Option<Ev<'static>>,
    },
    Coalesce(Vec<ValueSource>),
    /// A hexadecimal string (`1b`, `0x1B`) read as an integer (e.g. TCP flags).
    Hex(Box<ValueSource>),
    /// A string in lower case (e.g. `TCP` → `tcp`, as OCSF writes protocol names).
    Lower(Box<ValueSource>),
    /// The last component of a Windows or POSIX path (`C:\\Windows\\explorer.exe` →
    /// `explorer.exe`), as OCSF's `name` attributes hold it beside the full `path`.
    Basename(Box<ValueSource>),
    /// The value of `key` (ASCII case ignored) in a string of `K=V` items separated by commas
    /// (Sysmon's `Hashes`: `SHA1=…,MD5=…,SHA256=…,IMPHASH=…`); absent when no item has the key.
    Pair {
        inner: Box<ValueSource>,
        key: String,
    },
}

impl ValueSource {
    /// The slots this source reads when it gives a value only from them (see
    /// `Plan::quiet_slots`): a path with a slot, or transforms and coalesces of such.
    fn quiet_slots(&self) -> Option<Vec<usize>> {
        match self {
            ValueSource::Path(p) => p.slot().map(|s| vec![s]),
            ValueSource::Hex(inner)
            | ValueSource::Lower(inner)
            | ValueSource::Basename(inner)
            | ValueSource::Pair { inner, .. } => inner.quiet_slots(),
            ValueSource::Coalesce(items) => items.iter().try_fold(Vec::new(), |mut a, s| {
                a.extend(s.quiet_slots()?);
                Some(a)
            }),
            ValueSource::Literal(_) | ValueSource::Enum { .. } => None,
        }
    }
}

/// How to build one member of a record, against the shape at the same position.
#[derive(Debug, Clone)]
pub enum Plan {
    /// Members (field index, plan), the struct's width, and what is known of it beforehand.
    Struct(Vec<(usize, Plan)>, usize, StructInfo),
    /// A value from the event, converted at run time; the string is its OCSF path.
    Leaf(ValueSource, String),
    Const(Val<'static>),
    /// Object templates for an array attribute: a list of the objects that are not absent.
    List(Vec<Plan>),
    /// Entries of a map attribute (`unmapped`): dotted key → value.
    MapEntries(Vec<(String, ValueSource)>),
}

/// What is known of an object's plan before any event.
#[derive(Debug, Clone, Default)]
pub struct StructInfo {
    /// Its members set constants beside values read from the event (see `Plan::templated`).
    pub templated: bool,
    /// The slots of every value it reads, when they are all it reads (no constants, no enum
    /// with an `other`, no path outside the index): when none of them holds a value, the
    /// object is absent without evaluating it. Set by `Plan::mark_quiet`.
    pub quiet: Option<Vec<usize>>,
    /// For a templated object: the slots of every value it reads from the event, when they
    /// are all it reads there. When none holds a value the object is its constants alone,
    /// the same for every event, so whether they make a valid object is found once
    /// (`consts_valid`).
    pub event_slots: Option<Vec<usize>>,
    pub consts_valid: std::sync::OnceLock<bool>,
}

impl Plan {
    /// Set `StructInfo::quiet` of every object plan in `members` (after their paths have slots).
    pub fn mark_quiet(members: &mut [(usize, Plan)]) {
        for (_, m) in members {
            m.mark(false);
        }
    }

    /// `item`: the plan is an object template of a list that reads the event, which is left
    /// out when it finds nothing there, so its constants alone do not make it present.
    fn mark(&mut self, item: bool) {
        let quiet = self.quiet_slots(item);
        let event_slots = match self {
            Plan::Struct(_, _, info) if info.templated => self.quiet_slots(true),
            _ => None,
        };
        match self {
            Plan::Struct(members, _, info) => {
                info.quiet = quiet;
                info.event_slots = event_slots;
                for (_, m) in members.iter_mut() {
                    m.mark(false);
                }
            }
            Plan::List(items) => {
                for it in items.iter_mut() {
                    let reads = it.reads_event();
                    it.mark(reads);
                }
            }
            _ => {}
        }
    }

    /// The slots this plan reads when a value can come only from them (constants allowed
    /// where `consts_ok`); else `None`.
    fn quiet_slots(&self, consts_ok: bool) -> Option<Vec<usize>> {
        fn all(parts: impl Iterator<Item = Option<Vec<usize>>>) -> Option<Vec<usize>> {
            let mut out = Vec::new();
            for q in parts {
                out.extend(q?);
            }
            Some(out)
        }
        match self {
            Plan::Const(_) | Plan::Leaf(ValueSource::Literal(_), _) => consts_ok.then(Vec::new),
            Plan::Leaf(src, _) => src.quiet_slots(),
            Plan::MapEntries(_) => None,
            Plan::Struct(members, ..) => all(members.iter().map(|(_, m)| m.quiet_slots(consts_ok))),
            // A template that reads the event and finds nothing is left out.
            Plan::List(items) => all(items.iter().map(|it| {
                if it.reads_event() {
                    it.quiet_slots(true)
                } else {
                    None
                }
            })),
        }
    }

    /// Whether an object's members set constants beside values read from the event (a
    /// fingerprint's `algorithm_id` beside its `value`): such an object, where the class or
    /// object does not require it, is absent when nothing was found in the event.
    fn templated(members: &[(usize, Plan)]) -> bool {
        members.iter().any(|(_, m)| m.sets_constant())
            && members.iter().any(|(_, m)| m.reads_event())
    }

    fn sets_constant(&self) -> bool {
        match self {
            Plan::Const(_) | Plan::Leaf(ValueSource::Literal(_), _) => true,
            Plan::Struct(members, ..) => members.iter().any(|(_, m)| m.sets_constant()),
            Plan::Leaf(..) | Plan::List(_) | Plan::MapEntries(_) => false,
        }
    }

    /// Whether the plan takes any value from the event (not only constants).
    pub fn reads_event(&self) -> bool {
        match self {
            Plan::Const(_) => false,
            Plan::Leaf(src, _) => !matches!(src, ValueSource::Literal(_)),
            Plan::MapEntries(_) => true,
            Plan::Struct(members, ..) => members.iter().any(|(_, m)| m.reads_event()),
            Plan::List(items) => items.iter().any(Plan::reads_event),
        }
    }
}

/// The plan for one matched value.
#[derive(Debug, Clone)]
pub struct EventPlan {
    pub entry: String,
    /// Index into `CompiledMapping::classes`.
    pub class: usize,
    pub members: Vec<(usize, Plan)>,
    /// Literal `metadata.profiles` of the entry, when given as a literal.
    pub profiles: Option<Vec<String>>,
    /// The plain paths of `members`, resolved together per event.
    pub paths: PathIndex,
}

#[derive(Debug, Clone)]
pub struct CompiledClass {
    pub name: String,
    pub uid: i64,
    pub category_uid: i64,
    pub shape: StructShape,
    pub idx: RootIndex,
}

#[derive(Debug)]
pub struct CompiledMapping {
    pub file: String,
    pub source_name: String,
    pub matched_field: CompiledPath,
    pub entries: HashMap<String, usize>,
    pub default_plan: Option<usize>,
    pub ignore: HashSet<String>,
    pub unmappable: HashMap<String, String>,
    pub plans: Vec<EventPlan>,
    pub classes: Vec<CompiledClass>,
    pub time_format: TimeFormat,
}

/// The string form of a matched value: what `ocsf_mapping` keys are compared with.
pub fn match_key<'a>(v: Ev<'a>, bump: &'a bumpalo::Bump) -> Option<&'a str> {
    match v {
        Ev::Str(s) => Some(s.trim()),
        Ev::Bool(b) => Some(if b { "true" } else { "false" }),
        n => n
            .number()
            .map(|n| bumpalo::format!(in bump, "{}", n).into_bump_str()),
    }
}

pub(super) struct Ctx<'a> {
    pub(super) schema: &'a Schema,
    file: String,
    entry: Option<String>,
    diags: Vec<Diagnostic>,
    pub(super) time_format: TimeFormat,
    /// Where the mapping's literals are kept, for as long as the process runs.
    literals: &'static bumpalo::Bump,
}

impl Ctx<'_> {
    pub(super) fn diag(&mut self, level: Level, pointer: &str, message: impl Into<String>) {
        self.diags.push(Diagnostic {
            level,
            file: self.file.clone(),
            entry: self.entry.clone(),
            pointer: pointer.to_string(),
            message: message.into(),
        });
    }
}

/// Draft of a plan, by attribute name, before the class shape is final.
enum Draft {
    Struct(Vec<(String, Draft)>),
    Leaf(ValueSource, String),
    Const(Ev<'static>, String, String),
    List(Vec<Draft>),
    MapEntries(Vec<(String, ValueSource)>),
}

pub fn compile(
    file: &str,
    mf: &MappingFile,
    schema: &Schema,
) -> (Option<CompiledMapping>, Vec<Diagnostic>) {
    let ev = &mf.custom_source_events;
    let time_spec = ev.timestamp.as_ref().and_then(|t| t.format.as_deref());
    let (time_format, time_error) = match TimeFormat::from_spec(time_spec) {
        Ok(tf) => (tf, None),
        Err(e) => (TimeFormat::Auto, Some(e)),
    };
    let mut ctx = Ctx {
        schema,
        file: file.to_string(),
        entry: None,
        diags: Vec::new(),
        time_format,
        literals: Box::leak(Box::new(bumpalo::Bump::new())),
    };
    if let Some(e) = time_error {
        ctx.diag(Level::Fatal, "/custom_source_events/timestamp/format", e);
    }
    for k in mf.extra.keys() {
        ctx.diag(
            Level::Warning,
            &format!("/{}", ptr_token(k)),
            format!("unknown key `{k}` ignored"),
        );
    }
    for k in ev.extra.keys() {
        ctx.diag(
            Level::Warning,
            &format!("/custom_source_events/{}", ptr_token(k)),
            format!("unknown key `{k}` ignored (known: source_name, matched_field, timestamp, ocsf_mapping, common, default, ignore, unmappable)"),
        );
    }
    let matched_field = match CompiledPath::parse(&ev.matched_field) {
        Ok(p) => Some(p),
        Err(e) => {
            ctx.diag(Level::Fatal, "/custom_source_events/matched_field", e);
            None
        }
    };
    // The timestamp field is only checked here; it becomes the `time` mapping where one is missing.
    if let Some(t) = &ev.timestamp
        && let Err(e) = CompiledPath::parse(&t.field)
    {
        ctx.diag(Level::Fatal, "/custom_source_events/timestamp/field", e);
    }

    let mut class_names: Vec<String> = Vec::new();
    let mut class_shapes: Vec<StructShape> = Vec::new();
    let mut drafts: Vec<EntryDraft> = Vec::new();
    let mut entries = HashMap::new();
    let mut default_plan = None;

    let mut all: Vec<(Option<&String>, &EventMapping, String)> = ev
        .ocsf_mapping
        .iter()
        .map(|(k, m)| {
            (
                Some(k),
                m,
                format!("/custom_source_events/ocsf_mapping/{}", ptr_token(k)),
            )
        })
        .collect();
    if let Some(d) = &ev.default {
        all.push((None, d, "/custom_source_events/default".to_string()));
    }
    for (key, em, base) in all {
        ctx.entry = Some(key.cloned().unwrap_or_else(|| "<default>".into()));
        for k in em.extra.keys() {
            let hint = Schema::did_you_mean(k, ["schema", "schema_mapping"]);
            ctx.diag(
                Level::Warning,
                &format!("{base}/{}", ptr_token(k)),
                format!("unknown key `{k}` ignored{hint}"),
            );
        }
        let Some(class) = schema.class(&em.schema) else {
            let near = Schema::did_you_mean(&em.schema, schema.classes.keys());
            ctx.diag(
                Level::Fatal,
                &format!("{base}/schema"),
                format!("unknown OCSF class `{}`{near}", em.schema),
            );
            continue;
        };
        let mut tmpl = em.schema_mapping.clone();
        if let Some(common) = &ev.common {
            deep_merge_missing(&mut tmpl, common);
        }
        if !tmpl.contains_key("time")
            && let Some(ts) = &ev.timestamp
        {
            tmpl.insert("time".into(), Value::String(ts.field.clone()));
        }
        add_implied_profiles(
            &mut ctx,
            class,
            &mut tmpl,
            &format!("{base}/schema_mapping"),
        );
        let profiles = literal_profiles(&tmpl);
        let mut shape = root_shape(schema, class);
        let members = walk_struct(
            &mut ctx,
            Node::Class(class),
            &tmpl,
            &format!("{base}/schema_mapping"),
            "",
            &mut shape,
        );
        lint_root(
            &mut ctx,
            class,
            &tmpl,
            &format!("{base}/schema_mapping"),
            profiles.as_deref(),
        );
        let ci = match class_names.iter().position(|n| n == &class.name) {
            Some(i) => {
                class_shapes[i].merge(&shape);
                i
            }
            None => {
                class_names.push(class.name.clone());
                class_shapes.push(shape);
                class_names.len() - 1
            }
        };
        let plan_idx = drafts.len();
        drafts.push((ctx.entry.clone().unwrap_or_default(), ci, members, profiles));
        match key {
            Some(k) => {
                entries.insert(k.trim().to_string(), plan_idx);
            }
            None => default_plan = Some(plan_idx),
        }
    }
    ctx.entry = None;

    // Finalize shapes, then resolve drafts against them.
    let required_of = |name: &str| -> super::shape::RequiredAttrs {
        let node = match schema.class(name) {
            Some(c) if c.name == name => Node::Class(c),
            _ => match schema.object(name) {
                Some(o) => Node::Object(o),
                None => return Vec::new(),
            },
        };
        node.attributes()
            .iter()
            .filter(|(_, a)| a.requirement == Requirement::Required)
            .map(|(n, a)| (n.clone(), a.profiles.clone()))
            .collect()
    };
    let mut classes = Vec::new();
    for (name, mut shape) in class_names.iter().zip(class_shapes) {
        shape.finalize(&required_of);
        let class = schema.class(name).expect("class resolved above");
        let idx = root_index(&shape);
        classes.push(CompiledClass {
            name: name.clone(),
            uid: class.uid,
            category_uid: class.category_uid,
            shape,
            idx,
        });
    }
    let mut plans = Vec::new();
    for (entry, ci, members, profiles) in drafts {
        ctx.entry = Some(entry.clone());
        let shape = &classes[ci].shape;
        let mut members = resolve_members(&mut ctx, members, shape);
        let paths = PathIndex::build(&mut members);
        Plan::mark_quiet(&mut members);
        plans.push(EventPlan {
            entry,
            class: ci,
            members,
            profiles,
            paths,
        });
    }
    ctx.entry = None;

    // The ignored values are only compared as keys: read in a scratch arena, kept as text.
    let scratch = bumpalo::Bump::new();
    let ignore = ev
        .ignore
        .iter()
        .filter_map(|v| match_key(Ev::from_value(&scratch, v), &scratch).map(str::to_string))
        .collect();
    let fatal = ctx.diags.iter().any(|d| d.level == Level::Fatal);
    let compiled = match (fatal, matched_field) {
        (false, Some(matched_field)) => Some(CompiledMapping {
            file: file.to_string(),
            source_name: ev.source_name.clone(),
            matched_field,
            entries,
            default_plan,
            ignore,
            unmappable: ev
                .unmappable
                .iter()
                .map(|(k, v)| (k.trim().to_string(), v.clone()))
                .collect(),
            plans,
            classes,
            time_format: ctx.time_format.clone(),
        }),
        _ => None,
    };
    (compiled, ctx.diags)
}

fn deep_merge_missing(into: &mut Map<String, Value>, from: &Map<String, Value>) {
    for (k, v) in from {
        match (into.get_mut(k), v) {
            (None, _) => {
                into.insert(k.clone(), v.clone());
            }
            (Some(Value::Object(a)), Value::Object(b)) if !is_block(a) && !is_block(b) => {
                deep_merge_missing(a, b)
            }
            _ => {}
        }
    }
}

/// A class attribute that belongs to a profile (`cloud`, `action_id` of `security_control`)
/// is valid OCSF only with that profile in `metadata.profiles`. When the entry maps such an
/// attribute and gives `metadata.profiles` as a literal, or not at all, the profile is added to
/// it, with a warning; a profile list read from a `$.` path stays as it is, and `check` reports
/// the missing profile as an error. `datetime` attributes are left to the lint, as there.
fn add_implied_profiles(
    ctx: &mut Ctx,
    class: &crate::ocsf::Class,
    tmpl: &mut Map<String, Value>,
    ptr: &str,
) {
    if tmpl.get("metadata").is_some_and(|m| !m.is_object()) {
        return;
    }
    let listed = match tmpl.get("metadata").and_then(|m| m.get("profiles")) {
        None => Vec::new(),
        Some(_) => match literal_profiles(tmpl) {
            Some(l) => l,
            None => return,
        },
    };
    let mut added: Vec<(String, String)> = Vec::new();
    for k in tmpl.keys() {
        let Some(ps) = class.attributes.get(k).and_then(|a| a.profiles.as_ref()) else {
            continue;
        };
        let have = |p: &String| listed.contains(p) || added.iter().any(|(_, a)| a == p);
        if ps.iter().any(have) || ps.iter().any(|p| p == "datetime") {
            continue;
        }
        if let Some(p) = ps.iter().find(|p| class.profiles.contains(p)) {
            added.push((k.clone(), p.clone()));
        }
    }
    if added.is_empty() {
        return;
    }
    for (k, p) in &added {
        ctx.diag(
            Level::Warning,
            &format!("{ptr}/{}", ptr_token(k)),
            format!(
                "`{k}` belongs to profile {p}, which `metadata.profiles` does not list: it is added"
            ),
        );
    }
    let list = listed
        .into_iter()
        .chain(added.into_iter().map(|(_, p)| p))
        .map(Value::String)
        .collect();
    let meta = tmpl
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(m) = meta {
        m.insert("profiles".into(), Value::Array(list));
    }
}

fn literal_profiles(tmpl: &Map<String, Value>) -> Option<Vec<String>> {
    match tmpl.get("metadata")?.get("profiles")? {
        Value::String(s) if !is_path(s) => {
            Some(s.split(',').map(|p| p.trim().to_string()).collect())
        }
        Value::Array(a) => Some(
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
        ),
        _ => None,
    }
}

fn is_block(m: &Map<String, Value>) -> bool {
    (m.len() == 1
        && (m.contains_key("enum")
            || m.contains_key("literal")
            || m.contains_key("coalesce")
            || m.contains_key("hex")
            || m.contains_key("lower")
            || m.contains_key("basename")))
        || is_pair(m)
}

fn is_pair(m: &Map<String, Value>) -> bool {
    m.len() == 2 && m.contains_key("pair") && m.contains_key("key")
}

fn join(path: &str, k: &str) -> String {
    if path.is_empty() {
        k.to_string()
    } else {
        format!("{path}.{k}")
    }
}

fn walk_struct(
    ctx: &mut Ctx,
    node: Node,
    tmpl: &Map<String, Value>,
    ptr: &str,
    ocsf_path: &str,
    st: &mut StructShape,
) -> Vec<(String, Draft)> {
    let schema = ctx.schema;
    let attrs = node.attributes();
    let mut out: Vec<(String, Draft)> = Vec::new();
    let mut extra_unmapped: Vec<(String, ValueSource)> = Vec::new();
    for (k, v) in tmpl {
        let p = format!("{ptr}/{}", ptr_token(k));
        let path = join(ocsf_path, k);
        let Some(attr) = attrs.get(k) else {
            let near = Schema::did_you_mean(k, attrs.keys());
            ctx.diag(Level::Error, &p, format!("`{path}` is not an OCSF attribute of {}{near}; its value is kept under unmapped", node_name(&node)));
            collect_unmapped(ctx, &path, v, &p, &mut extra_unmapped);
            continue;
        };
        if attr.is_deprecated() {
            ctx.diag(
                Level::Warning,
                &p,
                format!("`{path}` is deprecated in OCSF {}", schema.version),
            );
        }
        let prim = schema.primitive(&attr.type_name);
        let is_map = prim == Primitive::Object
            && matches!(attr.object_type.as_deref(), Some("object") | None);
        match v {
            Value::Object(m) if !is_block(m) => {
                if is_map {
                    let mut entries = Vec::new();
                    collect_unmapped(ctx, "", v, &p, &mut entries);
                    add_field(schema, attrs, k, st, Some(Shape::Map));
                    out.push((k.clone(), Draft::MapEntries(entries)));
                } else if prim == Primitive::Object {
                    let obj = attr.object_type.clone().unwrap_or_default();
                    let Some(o) = schema.object(&obj) else {
                        continue;
                    };
                    let mut child = object_shape(schema, &obj);
                    let members = walk_struct(ctx, Node::Object(o), m, &p, &path, &mut child);
                    lint_required_members(ctx, o, m, &p, &path);
                    if child.fields.is_empty() {
                        left_out_empty(ctx, &p, &path, members, &mut extra_unmapped);
                        continue;
                    }
                    let shape = if attr.is_array() {
                        Shape::List(Box::new(Shape::Struct(child)))
                    } else {
                        Shape::Struct(child)
                    };
                    add_field(schema, attrs, k, st, Some(shape));
                    let d = Draft::Struct(members);
                    out.push((
                        k.clone(),
                        if attr.is_array() {
                            Draft::List(vec![d])
                        } else {
                            d
                        },
                    ));
                } else {
                    ctx.diag(Level::Error, &p, format!("`{path}` is {} in OCSF, but the mapping gives an object; its members are kept under unmapped", attr.type_name));
                    collect_unmapped(ctx, &path, v, &p, &mut extra_unmapped);
                }
            }
            // An array of object templates for an array of objects: one item per template
            // that is not absent (e.g. `file.hashes`, one fingerprint per algorithm).
            Value::Array(items)
                if attr.is_array()
                    && prim == Primitive::Object
                    && !is_map
                    && !items.is_empty()
                    && items
                        .iter()
                        .all(|it| it.as_object().is_some_and(|m| !is_block(m))) =>
            {
                let obj = attr.object_type.clone().unwrap_or_default();
                let Some(o) = schema.object(&obj) else {
                    continue;
                };
                let mut child = object_shape(schema, &obj);
                let mut drafts = Vec::new();
                for (i, it) in items.iter().enumerate() {
                    let m = it.as_object().expect("checked above");
                    let ip = format!("{p}/{i}");
                    let members = walk_struct(ctx, Node::Object(o), m, &ip, &path, &mut child);
                    lint_required_members(ctx, o, m, &ip, &path);
                    drafts.push(Draft::Struct(members));
                }
                if child.fields.is_empty() {
                    let members = drafts.into_iter().flat_map(|d| match d {
                        Draft::Struct(m) => m,
                        _ => Vec::new(),
                    });
                    left_out_empty(ctx, &p, &path, members.collect(), &mut extra_unmapped);
                    continue;
                }
                add_field(
                    schema,
                    attrs,
                    k,
                    st,
                    Some(Shape::List(Box::new(Shape::Struct(child)))),
                );
                out.push((k.clone(), Draft::List(drafts)));
            }
            _ => {
                let Some(src) = value_source(ctx, v, &p) else {
                    continue;
                };
                if prim == Primitive::Object && !is_map && matches!(src, ValueSource::Path(_)) {
                    ctx.diag(
                        Level::Warning,
                        &p,
                        format!("`{path}` is an OCSF object ({}): the path must select a JSON object, otherwise the value is kept under unmapped; map its members instead (e.g. `{path}.name`)", attr.object_type.as_deref().unwrap_or("object")),
                    );
                }
                let shape = attr_shape(schema, attr, 1);
                lint_literals(ctx, &src, &shape, &p, &path, attr);
                add_field(schema, attrs, k, st, Some(shape));
                let d = match src {
                    ValueSource::Literal(lit) => Draft::Const(lit, path.clone(), p.clone()),
                    other => Draft::Leaf(other, path.clone()),
                };
                out.push((k.clone(), d));
            }
        }
    }
    if !extra_unmapped.is_empty() {
        // Unknown attributes anywhere go to the record's `unmapped`, under their OCSF path.
        out.push(("\u{0}unmapped".into(), Draft::MapEntries(extra_unmapped)));
    }
    out
}

/// An object template that gives the object no attribute (`{}`, or only names OCSF does not
/// have) is left out: an object without members has no Parquet form. What its unknown names
/// read still goes to `unmapped`.
fn left_out_empty(
    ctx: &mut Ctx,
    ptr: &str,
    path: &str,
    members: Vec<(String, Draft)>,
    extra_unmapped: &mut Vec<(String, ValueSource)>,
) {
    ctx.diag(
        Level::Warning,
        ptr,
        format!("`{path}` sets no attribute of its object: left out"),
    );
    for (name, d) in members {
        if let ("\u{0}unmapped", Draft::MapEntries(e)) = (name.as_str(), d) {
            extra_unmapped.extend(e);
        }
    }
}

fn node_name(node: &Node) -> String {
    match node {
        Node::Class(c) => format!("class {}", c.name),
        Node::Object(o) => format!("object {}", o.name),
    }
}

fn collect_unmapped(
    ctx: &mut Ctx,
    prefix: &str,
    v: &Value,
    ptr: &str,
    out: &mut Vec<(String, ValueSource)>,
) {
    match v {
        Value::Object(m) if !is_block(m) => {
            for (k, child) in m {
                collect_unmapped(
                    ctx,
                    &join(prefix, k),
                    child,
                    &format!("{ptr}/{}", ptr_token(k)),
                    out,
                );
            }
        }
        other => {
            if let Some(src) = value_source(ctx, other, ptr) {
                out.push((prefix.to_string(), src));
            }
        }
    }
}

/// Whether a mapping string is a JSONPath (else it is a literal).
/// Whether a mapping string is a JSONPath: `$.a.b`, or `$['a-b']` for a name that is not
/// letters, digits and `_`; anything else is a literal.
pub(crate) fn is_path(s: &str) -> bool {
    s.starts_with("$.") || s.starts_with("$[") || s == "$"
}

fn value_source(ctx: &mut Ctx, v: &Value, ptr: &str) -> Option<ValueSource> {
    match v {
        Value::String(s) if is_path(s) => match CompiledPath::parse(s) {
            Ok(p) => Some(ValueSource::Path(p)),
            Err(e) => {
                ctx.diag(Level::Fatal, ptr, e);
                None
            }
        },
        Value::Object(m) if m.contains_key("literal") && m.len() == 1 => Some(
            ValueSource::Literal(Ev::from_value(ctx.literals, &m["literal"])),
        ),
        Value::Object(m) if m.contains_key("hex") && m.len() == 1 => {
            value_source(ctx, &m["hex"], &format!("{ptr}/hex"))
                .map(|s| ValueSource::Hex(Box::new(s)))
        }
        Value::Object(m) if m.contains_key("basename") && m.len() == 1 => {
            value_source(ctx, &m["basename"], &format!("{ptr}/basename"))
                .map(|s| ValueSource::Basename(Box::new(s)))
        }
        Value::Object(m) if is_pair(m) => {
            let Some(key) = m["key"].as_str().filter(|k| !k.is_empty()) else {
                ctx.diag(
                    Level::Fatal,
                    &format!("{ptr}/key"),
                    "`key` of a `pair` block is the item's name: a non-empty string",
                );
                return None;
            };
            value_source(ctx, &m["pair"], &format!("{ptr}/pair")).map(|s| ValueSource::Pair {
                inner: Box::new(s),
                key: key.to_string(),
            })
        }
        Value::Object(m) if m.contains_key("lower") && m.len() == 1 => {
            value_source(ctx, &m["lower"], &format!("{ptr}/lower"))
                .map(|s| ValueSource::Lower(Box::new(s)))
        }
        Value::Object(m) if m.contains_key("coalesce") && m.len() == 1 => {
            let Some(items) = m["coalesce"].as_array() else {
                ctx.diag(
                    Level::Fatal,
                    &format!("{ptr}/coalesce"),
                    "`coalesce` takes an array of values",
                );
                return None;
            };
            let srcs: Vec<ValueSource> = items
                .iter()
                .enumerate()
                .filter_map(|(i, it)| value_source(ctx, it, &format!("{ptr}/coalesce/{i}")))
                .collect();
            Some(ValueSource::Coalesce(srcs))
        }
        Value::Object(m) if m.contains_key("enum") && m.len() == 1 => {
            let e = &m["enum"];
            let eptr = format!("{ptr}/enum");
            let Some(evaluate) = e.get("evaluate").and_then(Value::as_str) else {
                ctx.diag(Level::Fatal, &eptr, "`enum` needs `evaluate`: a `$.` path");
                return None;
            };
            let evaluate = match CompiledPath::parse(evaluate) {
                Ok(p) => p,
                Err(err) => {
                    ctx.diag(Level::Fatal, &format!("{eptr}/evaluate"), err);
                    return None;
                }
            };
            let Some(values) = e.get("values").and_then(Value::as_object) else {
                ctx.diag(
                    Level::Fatal,
                    &eptr,
                    "`enum` needs `values`: an object from source value to result",
                );
                return None;
            };
            if let Some(obj) = e.as_object() {
                for k in obj
                    .keys()
                    .filter(|k| !["evaluate", "values", "other", "absent"].contains(&k.as_str()))
                {
                    ctx.diag(
                        Level::Warning,
                        &format!("{eptr}/{}", ptr_token(k)),
                        format!("unknown key `{k}` in enum block ignored (known: evaluate, values, other, absent)"),
                    );
                }
            }
            Some(ValueSource::Enum {
                evaluate,
                values: values
                    .iter()
                    .map(|(k, v)| (k.trim().to_string(), Ev::from_value(ctx.literals, v)))
                    .collect(),
                other: e.get("other").map(|o| Ev::from_value(ctx.literals, o)),
                absent: e.get("absent").map(|o| Ev::from_value(ctx.literals, o)),
            })
        }
        other => Some(ValueSource::Literal(Ev::from_value(ctx.literals, other))),
    }
}

/// One mapping entry before shapes are final: matched value, class index, members, profiles.
type EntryDraft = (String, usize, Vec<(String, Draft)>, Option<Vec<String>>);

fn resolve_members(
    ctx: &mut Ctx,
    members: Vec<(String, Draft)>,
    st: &StructShape,
) -> Vec<(usize, Plan)> {
    let mut out: Vec<(usize, Plan)> = Vec::new();
    let mut extra_unmapped: Vec<(String, ValueSource)> = Vec::new();
    for (name, d) in members {
        if name == "\u{0}unmapped" {
            if let Draft::MapEntries(e) = d {
                extra_unmapped.extend(e);
            }
            continue;
        }
        let i = st
            .index(&name)
            .expect("every drafted attribute is in the merged shape");
        let shape = &st.fields[i].shape;
        let plan = resolve(ctx, d, shape, &mut extra_unmapped);
        out.push((i, plan));
    }
    if !extra_unmapped.is_empty() {
        // Nested unknown attributes are surfaced to the root by the evaluator via this marker.
        out.push((usize::MAX, Plan::MapEntries(extra_unmapped)));
    }
    out
}

fn resolve(ctx: &mut Ctx, d: Draft, shape: &Shape, extra: &mut Vec<(String, ValueSource)>) -> Plan {
    match d {
        Draft::Leaf(src, path) => Plan::Leaf(src, path),
        Draft::Const(v, path, _ptr) => {
            let mut rejects = Vec::new();
            let val = super::convert::convert(
                v,
                shape,
                &path,
                &ctx.time_format,
                &mut rejects,
                ctx.literals,
            );
            if rejects.is_empty() {
                Plan::Const(val)
            } else {
                // Kept losslessly: the literal goes to unmapped at run time (already reported).
                Plan::Leaf(ValueSource::Literal(v), path)
            }
        }
        Draft::MapEntries(e) => Plan::MapEntries(e),
        Draft::List(items) => match shape {
            Shape::List(item) => Plan::List(
                items
                    .into_iter()
                    .map(|d| resolve(ctx, d, item, extra))
                    .collect(),
            ),
            _ => unreachable!("list attribute has a list shape"),
        },
        Draft::Struct(members) => match shape {
            Shape::Struct(st) => {
                let mut resolved = resolve_members(ctx, members, st);
                if let Some(pos) = resolved.iter().position(|(i, _)| *i == usize::MAX) {
                    let (_, p) = resolved.remove(pos);
                    if let Plan::MapEntries(e) = p {
                        extra.extend(e);
                    }
                }
                let info = StructInfo {
                    templated: Plan::templated(&resolved),
                    ..StructInfo::default()
                };
                Plan::Struct(resolved, st.fields.len(), info)
            }
            _ => unreachable!("object attribute has a struct shape"),
        },
    }
}
