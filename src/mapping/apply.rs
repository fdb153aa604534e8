//! Run a compiled mapping on one event: select the plan by the matched value, build the typed
//! record, derive what the schema determines, keep what could not be typed under `unmapped`,
//! and validate the result against OCSF requirements.

use bumpalo::Bump;

use super::compile::{CompiledClass, CompiledMapping, Plan, ValueSource, match_key};
use super::convert::{Entries, Rejects, convert, flatten_entries, is_absent, raw_text_in};
use super::path::CompiledPath;
use super::shape::{Field, Shape, StructShape};
use super::time::TimeFormat;
use super::value::Val;
use crate::event::Node;

/// Why an event is not written to the lake.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadReason {
    /// Stable kind for counting: `parse_error`, `missing_matched_field`, `no_mapping`,
    /// `missing_time`, `missing_required`.
    pub kind: &'static str,
    pub message: String,
}

impl DeadReason {
    pub fn new(kind: &'static str, message: impl Into<String>) -> DeadReason {
        DeadReason {
            kind,
            message: message.into(),
        }
    }
}

/// Counts of what was adjusted in a written record.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Warnings {
    /// Values that could not be given their OCSF type (kept under `unmapped`).
    pub unconvertible: u32,
    /// Mapped values replaced by what OCSF determines (class, category and type ids, version).
    pub overridden: u32,
    /// Objects the class does not require that lacked what OCSF requires of them, taken out
    /// (their values kept under `unmapped`).
    pub incomplete: u32,
}

/// A record built from one event, in the event's arena.
#[derive(Debug, Clone)]
pub struct MappedRecord<'a> {
    pub class: usize,
    pub time: i64,
    pub root: &'a [Val<'a>],
    pub warnings: Warnings,
}

#[derive(Debug)]
pub enum MapOutcome<'a> {
    Mapped(MappedRecord<'a>),
    Ignored,
    Dead(DeadReason),
}

impl CompiledMapping {
    /// Map one event. `uid` becomes `metadata.uid`; `bump` (where the event lives) takes what
    /// RFC 9535 queries select.
    pub fn map_event<'a>(
        &'a self,
        event: Node<'a>,
        uid: &'a str,
        bump: &'a Bump,
    ) -> MapOutcome<'a> {
        let Some(key) = self
            .matched_field
            .eval(event, bump)
            .and_then(|k| match_key(k, bump))
        else {
            if let Some(i) = self.default_plan {
                return match self.map_with(i, event, uid, bump, "<absent>") {
                    MapOutcome::Dead(r) => MapOutcome::Dead(DeadReason::new(
                        r.kind,
                        format!(
                            "matched field `{}` is absent, and with the default mapping: {}",
                            self.matched_field.as_str(),
                            r.message
                        ),
                    )),
                    other => other,
                };
            }
            return MapOutcome::Dead(DeadReason::new(
                "missing_matched_field",
                format!(
                    "matched field `{}` is absent or not a scalar (is this a record of this source?)",
                    self.matched_field.as_str()
                ),
            ));
        };
        let plan_idx = match self.entries.get(key) {
            Some(i) => *i,
            None if self.ignore.contains(key) => return MapOutcome::Ignored,
            None if self.unmappable.contains_key(key) => {
                return MapOutcome::Dead(DeadReason::new(
                    "unmappable",
                    format!(
                        "`{}` = \"{key}\": {}",
                        self.matched_field.as_str(),
                        self.unmappable[key]
                    ),
                ));
            }
            None => match self.default_plan {
                Some(i) => i,
                None => {
                    return MapOutcome::Dead(DeadReason::new(
                        "no_mapping",
                        format!(
                            "no mapping for `{}` = \"{key}\" in {}",
                            self.matched_field.as_str(),
                            self.file
                        ),
                    ));
                }
            },
        };
        self.map_with(plan_idx, event, uid, bump, key)
    }

    fn map_with<'a>(
        &'a self,
        plan_idx: usize,
        event: Node<'a>,
        uid: &'a str,
        bump: &'a Bump,
        key: &str,
    ) -> MapOutcome<'a> {
        let plan = &self.plans[plan_idx];
        let class = &self.classes[plan.class];
        let mut rejects: Rejects = Vec::new();
        let mut extras = Entries::new_in(bump);
        let root = Val::nulls(bump, class.shape.fields.len());
        let ev = Eval {
            event,
            bump,
            tf: &self.time_format,
            slots: plan.paths.resolve(event, bump),
        };
        for (i, p) in &plan.members {
            if *i == usize::MAX {
                if let Plan::MapEntries(entries) = p {
                    ev.map_entries(entries, &mut extras);
                }
                continue;
            }
            root[*i] = ev.member(p, &class.shape.fields[*i], &mut rejects);
        }
        let mut warnings = Warnings {
            unconvertible: rejects.len() as u32,
            ..Warnings::default()
        };
        let time = match root[class.idx.time] {
            Val::Int(t) => t,
            _ => {
                let what = match rejects.iter().find(|(k, _)| k == "time") {
                    Some((_, v)) => format!(
                        "`time` \"{v}\" is not a time this mapping reads ({})",
                        self.time_format.describe()
                    ),
                    None => "`time` is absent".to_string(),
                };
                return MapOutcome::Dead(DeadReason::new(
                    "missing_time",
                    format!("{what} (class {}, matched value \"{key}\")", class.name),
                ));
            }
        };
        let profiles = derive(class, root, uid, &rejects, extras, &mut warnings, bump);
        let mut problems = Vec::new();
        validate_struct(&class.shape, root, None, profiles, &mut problems);
        if !problems.is_empty()
            && self.demote_incomplete(class, root, profiles, &mut warnings, bump)
        {
            problems.clear();
        }
        if !problems.is_empty() {
            return MapOutcome::Dead(DeadReason::new(
                "missing_required",
                format!(
                    "not valid {} (matched value \"{key}\"): {}{}",
                    class.name,
                    problems.join("; "),
                    untyped_causes(&problems, &rejects)
                ),
            ));
        }
        MapOutcome::Mapped(MappedRecord {
            class: plan.class,
            time,
            root,
            warnings,
        })
    }
}

impl CompiledMapping {
    /// A record that failed validation: take out, bottom up, every object the class does not
    /// require (and every item of a list of objects) that lacks what OCSF requires of it, its
    /// values kept in `unmapped` under their OCSF paths and counted as warnings. Whether the
    /// record is valid then (the class's own requirements are never given up: those fail it).
    fn demote_incomplete<'a>(
        &self,
        class: &CompiledClass,
        root: &mut [Val<'a>],
        profiles: &[&str],
        warnings: &mut Warnings,
        bump: &'a Bump,
    ) -> bool {
        let mut demoted = Entries::new_in(bump);
        let n = demote_in(&class.shape, root, "", profiles, bump, &mut demoted);
        if n == 0 || !is_complete(&class.shape, root, profiles) {
            return false;
        }
        let idx = class.idx.unmapped;
        let mut entries = Entries::new_in(bump);
        if let Val::Map(e) = root[idx] {
            entries.extend_from_slice(e);
        }
        for (k, v) in demoted {
            push_unique(&mut entries, k, v, bump);
        }
        root[idx] = Val::map(entries).normalize_empty();
        warnings.incomplete += n;
        true
    }
}

fn is_complete(st: &StructShape, members: &[Val<'_>], profiles: &[&str]) -> bool {
    let mut problems = Vec::new();
    validate_struct(st, members, None, profiles, &mut problems);
    problems.is_empty()
}

/// See `demote_incomplete`: the objects taken out of `members` (at OCSF path `path`).
fn demote_in<'a>(
    st: &StructShape,
    members: &mut [Val<'a>],
    path: &str,
    profiles: &[&str],
    bump: &'a Bump,
    out: &mut Entries<'a>,
) -> u32 {
    let mut n = 0;
    for &i in &st.check_fields {
        let f = &st.fields[i];
        let here = if path.is_empty() {
            f.name.clone()
        } else {
            format!("{path}.{}", f.name)
        };
        let required = f.required && profile_active(f, profiles);
        match (&f.shape, members[i]) {
            (Shape::Struct(child), Val::Struct(m)) => {
                let m: &'a mut [Val<'a>] = bump.alloc_slice_copy(m);
                n += demote_in(child, m, &here, profiles, bump, out);
                members[i] = Val::Struct(m).normalize_empty();
                if !required && !members[i].is_null() && !is_complete(child, m, profiles) {
                    flatten_val(bump, &here, members[i], &f.shape, out);
                    members[i] = Val::Null;
                    n += 1;
                }
            }
            (Shape::List(item), Val::List(items)) => {
                let Shape::Struct(child) = item.as_ref() else {
                    continue;
                };
                let mut kept = bumpalo::collections::Vec::with_capacity_in(items.len(), bump);
                for (j, it) in items.iter().enumerate() {
                    let Val::Struct(m) = it else {
                        kept.push(*it);
                        continue;
                    };
                    let at = format!("{here}[{j}]");
                    let m: &'a mut [Val<'a>] = bump.alloc_slice_copy(m);
                    n += demote_in(child, m, &at, profiles, bump, out);
                    let v = Val::Struct(m).normalize_empty();
                    if v.is_null() {
                        continue;
                    }
                    if is_complete(child, m, profiles) {
                        kept.push(v);
                    } else {
                        flatten_val(bump, &at, v, item, out);
                        n += 1;
                    }
                }
                members[i] = Val::List(kept.into_bump_slice()).normalize_empty();
            }
            _ => {}
        }
    }
    n
}

/// A typed value as `unmapped` entries: objects by dotted OCSF path, other values as text
/// (lists as JSON).
fn flatten_val<'a>(bump: &'a Bump, key: &str, v: Val<'a>, shape: &Shape, out: &mut Entries<'a>) {
    match (v, shape) {
        (Val::Null, _) => {}
        (Val::Struct(m), Shape::Struct(st)) => {
            for (val, f) in m.iter().zip(&st.fields) {
                flatten_val(bump, &format!("{key}.{}", f.name), *val, &f.shape, out);
            }
        }
        (Val::Str(s), _) => out.push((bump.alloc_str(key), s)),
        (other, _) => {
            let text = other.to_json(shape).to_string();
            out.push((bump.alloc_str(key), bump.alloc_str(&text)));
        }
    }
}

/// The values that could not be typed at or below an attribute the problems name: often why
/// a required attribute is absent (an IP address with a zone, a word where a port belongs).
fn untyped_causes(problems: &[String], rejects: &Rejects) -> String {
    let named = |path: &str| problems.iter().any(|p| p.contains(&format!("`{path}`")));
    let causes: Vec<String> = rejects
        .iter()
        .filter(|(k, _)| {
            named(k)
                || k.char_indices()
                    .filter(|(_, c)| *c == '.')
                    .any(|(i, _)| named(&k[..i]))
        })
        .map(|(k, v)| format!("`{k}` \"{v}\""))
        .collect();
    if causes.is_empty() {
        String::new()
    } else {
        format!(" (values that could not be typed: {})", causes.join(", "))
    }
}

struct Eval<'a> {
    event: Node<'a>,
    bump: &'a Bump,
    tf: &'a TimeFormat,
    /// The plan's plain paths, resolved once for this event.
    slots: &'a [Option<Node<'a>>],
}

impl<'a> Eval<'a> {
    fn path(&self, p: &'a CompiledPath) -> Option<Node<'a>> {
        match p.slot() {
            Some(s) => self.slots[s],
            None => p.eval(self.event, self.bump),
        }
    }

    fn source(&self, src: &'a ValueSource) -> Option<Node<'a>> {
        match src {
            ValueSource::Literal(v) => Some(*v),
            ValueSource::Path(p) => self.path(p),
            ValueSource::Enum {
                evaluate,
                values,
                other,
                absent,
            } => match self.path(evaluate) {
                None => absent.or(*other),
                Some(k) => match match_key(k, self.bump).and_then(|k| values.get(k)) {
                    Some(v) => Some(*v),
                    None => *other,
                },
            },
            ValueSource::Coalesce(items) => items
                .iter()
                .find_map(|s| self.source(s).filter(|v| !is_absent(v))),
            // Not hexadecimal: the value goes on as it is, to be typed (or kept in `unmapped`).
            ValueSource::Hex(inner) => {
                self.source(inner)
                    .map(|v| match v.as_str().and_then(parse_hex) {
                        Some(n) if n >= 0 => Node::U64(n as u64),
                        Some(n) => Node::I64(n),
                        None => v,
                    })
            }
            // Only strings have a case; any other value goes on as it is.
            ValueSource::Lower(inner) => self.source(inner).map(|v| match v {
                Node::Str(s) => Node::Str(lower_in(self.bump, s)),
                other => other,
            }),
            // Only strings are paths; any other value goes on as it is.
            ValueSource::Basename(inner) => self.source(inner).map(|v| match v {
                Node::Str(s) => Node::Str(basename(s)),
                other => other,
            }),
            ValueSource::Pair { inner, key } => self
                .source(inner)
                .and_then(|v| v.as_str())
                .and_then(|s| pair_value(s, key))
                .map(Node::Str),
        }
    }

    /// A member of an object. An object whose constants sit beside values read from the event
    /// (a fingerprint's `algorithm_id` beside its `value`), where nothing was found in the
    /// event and the constants alone are not a valid object, is absent, unless OCSF requires
    /// it: there is nothing of the event to keep (as a list's object template is left out).
    #[inline(always)]
    fn member(&self, p: &'a Plan, f: &Field, rejects: &mut Rejects) -> Val<'a> {
        match p {
            Plan::Struct(_, _, info) if info.templated && !f.required => {
                self.templated_member(p, f, rejects)
            }
            _ => self.eval(p, &f.shape, rejects),
        }
    }

    /// `member` for an optional object of constants beside values read from the event.
    fn templated_member(&self, p: &'a Plan, f: &Field, rejects: &mut Rejects) -> Val<'a> {
        // Nothing of the event in it: its constants alone, judged once.
        if let (Plan::Struct(_, _, info), Shape::Struct(st)) = (p, &f.shape)
            && let Some(slots) = &info.event_slots
            && slots.iter().all(|&s| self.slots[s].is_none())
        {
            let valid = *info.consts_valid.get_or_init(|| {
                let mut none = Rejects::new();
                match self.eval(p, &f.shape, &mut none) {
                    Val::Struct(m) => self.complete_once_filled(st, m),
                    _ => true,
                }
            });
            if !valid {
                return Val::Null;
            }
        }
        let v = self.eval(p, &f.shape, rejects);
        match (v, &f.shape) {
            (Val::Struct(m), Shape::Struct(st))
                if !found_in_event(p, &v) && !self.complete_once_filled(st, m) =>
            {
                Val::Null
            }
            _ => v,
        }
    }

    /// Whether an object's members make a valid object once its required enums get their
    /// defaults (checked on a copy: the record is filled later, once).
    fn complete_once_filled(&self, st: &'a StructShape, m: &[Val<'a>]) -> bool {
        let copy: &'a mut [Val<'a>] = self.bump.alloc_slice_copy(m);
        let mut replaced = Entries::new_in(self.bump);
        let mut fill = Fill {
            profiles: &[],
            replaced: &mut replaced,
            bump: self.bump,
        };
        fill_struct(st, copy, None, &mut fill);
        is_complete(st, copy, &[])
    }

    fn eval(&self, p: &'a Plan, shape: &Shape, rejects: &mut Rejects) -> Val<'a> {
        match p {
            Plan::Const(v) => *v,
            Plan::Leaf(src, path) => match self.source(src) {
                Some(v) if !is_absent(&v) => convert(v, shape, path, self.tf, rejects, self.bump),
                _ => Val::Null,
            },
            Plan::Struct(members, width, info) => {
                let Shape::Struct(st) = shape else {
                    return Val::Null;
                };
                // Nothing it reads is in the event: absent, without building it.
                if let Some(q) = &info.quiet
                    && q.iter().all(|&s| self.slots[s].is_none())
                {
                    return Val::Null;
                }
                let vals = Val::nulls(self.bump, *width);
                for (i, m) in members {
                    vals[*i] = self.member(m, &st.fields[*i], rejects);
                }
                Val::Struct(vals).normalize_empty()
            }
            Plan::List(items) => {
                let Shape::List(item) = shape else {
                    return Val::Null;
                };
                let mut out = bumpalo::collections::Vec::with_capacity_in(items.len(), self.bump);
                for p in items {
                    match self.eval(p, item, rejects) {
                        Val::Null => {}
                        // A template that reads the event but found nothing there is left out,
                        // whatever constants it sets (a fingerprint of an absent hash).
                        v if p.reads_event() && !found_in_event(p, &v) => {}
                        v => out.push(v),
                    }
                }
                if out.is_empty() {
                    Val::Null
                } else {
                    Val::List(out.into_bump_slice())
                }
            }
            Plan::MapEntries(entries) => {
                let mut out = Entries::with_capacity_in(entries.len(), self.bump);
                self.map_entries(entries, &mut out);
                Val::map(out).normalize_empty()
            }
        }
    }

    fn map_entries(&self, entries: &'a [(String, ValueSource)], out: &mut Entries<'a>) {
        for (k, src) in entries {
            match self.source(src) {
                None | Some(Node::Null) => {}
                Some(Node::Str(s)) => out.push((k, s)),
                Some(v @ Node::Object(_)) => flatten_entries(self.bump, k, v, out),
                Some(other) => out.push((k, raw_text_in(self.bump, &other))),
            }
        }
    }
}

fn set_int(slot: &mut Val<'_>, value: i64, warnings: &mut Warnings) {
    if let Val::Int(old) = slot
        && *old != value
    {
        warnings.overridden += 1;
    }
    *slot = Val::Int(value);
}

fn derive<'a>(
    class: &'a CompiledClass,
    root: &mut [Val<'a>],
    uid: &'a str,
    rejects: &Rejects,
    extras: Entries<'a>,
    warnings: &mut Warnings,
    bump: &'a Bump,
) -> &'a [&'static str] {
    let idx = &class.idx;
    set_int(&mut root[idx.class_uid], class.uid, warnings);
    set_int(&mut root[idx.category_uid], class.category_uid, warnings);
    if root[idx.activity_id].is_null() {
        root[idx.activity_id] = Val::Int(0);
    }
    if root[idx.severity_id].is_null() {
        root[idx.severity_id] = Val::Int(0);
    }
    let activity = root[idx.activity_id].as_int().unwrap_or(0);
    set_int(
        &mut root[idx.type_uid],
        class.uid * 100 + activity,
        warnings,
    );

    let meta_shape = class.shape.fields[idx.metadata]
        .shape
        .as_struct()
        .expect("metadata struct");
    let mut unmapped_extra = Entries::new_in(bump);
    let meta: &'a mut [Val<'a>] = match root[idx.metadata] {
        Val::Struct(m) => bump.alloc_slice_copy(m),
        _ => Val::nulls(bump, meta_shape.fields.len()),
    };
    if let Val::Str(v) = meta[idx.meta_version]
        && v != crate::ocsf::OCSF_VERSION
    {
        warnings.overridden += 1;
    }
    meta[idx.meta_version] = Val::Str(crate::ocsf::OCSF_VERSION);
    // The source's own event id, when the mapping reads one, is the better id.
    if meta[idx.meta_uid].is_null() {
        meta[idx.meta_uid] = Val::Str(uid);
    }
    let pi = idx.meta_profiles;
    if let Val::List(items) = meta[pi] {
        let known = &crate::ocsf::Schema::get().profiles;
        let mut kept = bumpalo::collections::Vec::with_capacity_in(items.len(), bump);
        for p in items {
            match p.as_str() {
                Some(s) if known.iter().any(|k| k == s) => kept.push(*p),
                other => unmapped_extra.push(("metadata.profiles", other.unwrap_or_default())),
            }
        }
        meta[pi] = Val::List(kept.into_bump_slice()).normalize_empty();
    }
    add_implied_profiles(class, root, &mut meta[pi], bump);
    root[idx.metadata] = Val::Struct(meta);
    warnings.unconvertible += unmapped_extra.len() as u32;

    let profiles = active_profiles(class, root, bump);
    let mut fill = Fill {
        profiles,
        replaced: &mut unmapped_extra,
        bump,
    };
    fill_struct(&class.shape, root, None, &mut fill);

    // unmapped = mapped entries + unknown attributes + values that could not be typed.
    if !extras.is_empty() || !rejects.is_empty() || !unmapped_extra.is_empty() {
        let mut entries = Entries::new_in(bump);
        if let Val::Map(e) = root[idx.unmapped] {
            entries.extend_from_slice(e);
        }
        let rejects = rejects
            .iter()
            .map(|(k, v)| (&*bump.alloc_str(k), &*bump.alloc_str(v)));
        for (k, v) in extras.into_iter().chain(rejects).chain(unmapped_extra) {
            push_unique(&mut entries, k, v, bump);
        }
        root[idx.unmapped] = Val::map(entries);
    }
    root[idx.unmapped] = root[idx.unmapped].normalize_empty();
    profiles
}

/// A class attribute of a profile (`cloud`, `action_id` of `security_control`) is valid OCSF
/// only with its profile listed. `compile` adds the profile to a literal list; a list read from
/// the event gets it here, for each such attribute that holds a value. (`datetime` attributes
/// are left to the lint, as in `compile`.)
fn add_implied_profiles<'a>(
    class: &'a CompiledClass,
    root: &[Val<'a>],
    list: &mut Val<'a>,
    bump: &'a Bump,
) {
    let listed: &[Val<'a>] = match *list {
        Val::List(items) => items,
        _ => &[],
    };
    let mut out: Option<bumpalo::collections::Vec<'a, Val<'a>>> = None;
    for (i, p) in &class.idx.profiled {
        if root[*i].is_null() {
            continue;
        }
        let has = |items: &[Val<'a>]| items.iter().any(|x| x.as_str() == Some(p));
        if has(listed) || out.as_deref().is_some_and(has) {
            continue;
        }
        out.get_or_insert_with(|| {
            bumpalo::collections::Vec::from_iter_in(listed.iter().copied(), bump)
        })
        .push(Val::Str(p));
    }
    if let Some(items) = out {
        *list = Val::List(items.into_bump_slice());
    }
}

fn push_unique<'a>(entries: &mut Entries<'a>, k: &'a str, v: &'a str, bump: &'a Bump) {
    if entries.iter().any(|(ek, ev)| *ek == k && *ev == v) {
        return;
    }
    if !entries.iter().any(|(ek, _)| *ek == k) {
        entries.push((k, v));
        return;
    }
    // The first free `key#n`, each candidate formatted once (not once per entry compared).
    let mut n = 2;
    let key = loop {
        let candidate = bumpalo::format!(in bump, "{}#{}", k, n).into_bump_str();
        if !entries.iter().any(|(ek, _)| *ek == candidate) {
            break candidate;
        }
        n += 1;
    };
    entries.push((key, v));
}

/// The record's OCSF profiles (those `metadata.profiles` names that OCSF defines).
fn active_profiles<'a>(
    class: &CompiledClass,
    root: &[Val<'_>],
    bump: &'a Bump,
) -> &'a [&'static str] {
    let Val::Struct(meta) = &root[class.idx.metadata] else {
        return &[];
    };
    let pi = class.idx.meta_profiles;
    let known = &crate::ocsf::Schema::get().profiles;
    match &meta[pi] {
        Val::List(items) => bumpalo::collections::Vec::from_iter_in(
            items.iter().filter_map(|v| {
                let s = v.as_str()?;
                known.iter().find(|k| *k == s).map(String::as_str)
            }),
            bump,
        )
        .into_bump_slice(),
        _ => &[],
    }
}

fn profile_active(f: &super::shape::Field, profiles: &[&str]) -> bool {
    match &f.profiles {
        None => true,
        Some(ps) => ps.iter().any(|p| profiles.contains(&p.as_str())),
    }
}

/// What filling a record's structs needs besides each struct.
struct Fill<'a, 'r> {
    profiles: &'r [&'r str],
    /// Mapped caption strings that their id's caption replaced, by OCSF path.
    replaced: &'r mut Entries<'a>,
    bump: &'a Bump,
}

/// Required enums default to 0 (Unknown); enum siblings carry the caption of their id. A mapped
/// sibling (the source's own word, as OCSF wants it for 99 Other) that differs from the caption
/// of a defined id gives way to the caption and is kept under `unmapped` by its OCSF path.
fn fill_struct<'a>(
    st: &'a StructShape,
    members: &mut [Val<'a>],
    at: Option<&At<'_>>,
    fill: &mut Fill<'a, '_>,
) {
    for &i in &st.fill_fields {
        let f = &st.fields[i];
        if let Shape::Scalar(sc) = &f.shape
            && let Some(info) = &sc.enum_info
        {
            if members[i].is_null()
                && f.required
                && profile_active(f, fill.profiles)
                && info.captions.contains_key(&0)
            {
                members[i] = Val::Int(0);
            }
            if let (Val::Int(id), Some(j)) = (members[i], st.sibling_of[i]) {
                match (id, members[j]) {
                    (99, Val::Null) => members[j] = Val::Str("Other"),
                    (99, _) => {}
                    (_, current) => {
                        if let Some(caption) = info.captions.get(&id) {
                            if let Val::Str(s) = current
                                && !s.eq_ignore_ascii_case(caption)
                            {
                                let path = At::spell(at, Some(&st.fields[j].name));
                                fill.replaced.push((fill.bump.alloc_str(&path), s));
                            }
                            members[j] = Val::Str(caption);
                        }
                    }
                }
            }
        }
        // Members already built are shared slices: a struct that filling may change is copied
        // (in the arena) first.
        let here = At {
            parent: at,
            name: &f.name,
        };
        match (&f.shape, members[i]) {
            (Shape::Struct(child), Val::Struct(m)) if !child.fill_fields.is_empty() => {
                let m = fill.bump.alloc_slice_copy(m);
                fill_struct(child, m, Some(&here), fill);
                members[i] = Val::Struct(m);
            }
            (Shape::List(item), Val::List(items)) => {
                if let Shape::Struct(child) = item.as_ref()
                    && !child.fill_fields.is_empty()
                {
                    let items = fill.bump.alloc_slice_copy(items);
                    for it in items.iter_mut() {
                        if let Val::Struct(m) = *it {
                            let m = fill.bump.alloc_slice_copy(m);
                            fill_struct(child, m, Some(&here), fill);
                            *it = Val::Struct(m);
                        }
                    }
                    members[i] = Val::List(items);
                }
            }
            _ => {}
        }
    }
}

/// Where a struct sits in the record: a chain on the stack, spelled out only for a message.
#[derive(Clone, Copy)]
struct At<'p> {
    parent: Option<&'p At<'p>>,
    name: &'p str,
}

impl At<'_> {
    /// The dotted OCSF path of `at`, with `leaf` after it when given.
    fn spell(at: Option<&At<'_>>, leaf: Option<&str>) -> String {
        let mut names: Vec<&str> = leaf.into_iter().collect();
        let mut cur = at;
        while let Some(a) = cur {
            names.push(a.name);
            cur = a.parent;
        }
        names.reverse();
        names.join(".")
    }
}

fn validate_struct(
    st: &StructShape,
    members: &[Val<'_>],
    at: Option<&At<'_>>,
    profiles: &[&str],
    problems: &mut Vec<String>,
) {
    for (r, in_profiles) in &st.unmapped_required {
        match in_profiles {
            None => problems.push(format!(
                "required `{}` is never mapped",
                At::spell(at, Some(r))
            )),
            Some(ps) => {
                if let Some(p) = ps.iter().find(|p| profiles.contains(&p.as_str())) {
                    problems.push(format!(
                        "required `{}` of profile {p} (in `metadata.profiles`) is never mapped",
                        At::spell(at, Some(r))
                    ));
                }
            }
        }
    }
    for &i in &st.check_fields {
        let (f, v) = (&st.fields[i], &members[i]);
        if v.is_null() {
            if f.required && profile_active(f, profiles) {
                problems.push(format!(
                    "required `{}` is absent",
                    At::spell(at, Some(&f.name))
                ));
            }
            continue;
        }
        let child = match (&f.shape, v) {
            (Shape::Struct(c), Val::Struct(_)) => c,
            (Shape::List(item), Val::List(_)) => match item.as_ref() {
                Shape::Struct(c) => c,
                _ => continue,
            },
            _ => continue,
        };
        let here = At {
            parent: at,
            name: &f.name,
        };
        match v {
            Val::Struct(m) => validate_struct(child, m, Some(&here), profiles, problems),
            Val::List(items) => {
                for it in items.iter() {
                    if let Val::Struct(m) = it {
                        validate_struct(child, m, Some(&here), profiles, problems);
                    }
                }
            }
            _ => {}
        }
    }
    let present = |p: &Option<Vec<usize>>| p.as_deref().is_some_and(|p| present_at(members, p));
    let whole = || match at {
        None => st.ocsf_name.clone(),
        Some(_) => At::spell(at, None),
    };
    if !st.at_least_one.is_empty() && !st.at_least_one_fields.iter().any(present) {
        problems.push(format!(
            "`{}` needs at least one of {}",
            whole(),
            st.at_least_one.join(", ")
        ));
    }
    if !st.just_one.is_empty() && st.just_one_fields.iter().filter(|i| present(i)).count() != 1 {
        problems.push(format!(
            "`{}` needs exactly one of {}",
            whole(),
            st.just_one.join(", ")
        ));
    }
}

/// Whether the member at field indices `path` (one per struct level) holds a value.
fn present_at(members: &[Val<'_>], path: &[usize]) -> bool {
    match path {
        [] => false,
        [last] => !members[*last].is_null(),
        [first, rest @ ..] => match members[*first] {
            Val::Struct(inner) => present_at(inner, rest),
            _ => false,
        },
    }
}

/// Whether a value built by `p` holds anything `p` took from the event.
fn found_in_event(p: &Plan, v: &Val<'_>) -> bool {
    if v.is_null() {
        return false;
    }
    match (p, v) {
        (Plan::Const(_), _) => false,
        (Plan::Leaf(src, _), _) => !matches!(src, ValueSource::Literal(_)),
        (Plan::Struct(members, ..), Val::Struct(vals)) => members
            .iter()
            .any(|(i, m)| vals.get(*i).is_some_and(|x| found_in_event(m, x))),
        (Plan::List(_), _) | (Plan::MapEntries(_), _) => true,
        (Plan::Struct(..), _) => true,
    }
}

/// The last component of a Windows or POSIX path; a path that ends in a separator is its own
/// name (nothing sensible is shorter).
fn basename(s: &str) -> &str {
    match s.rfind(['\\', '/']) {
        Some(i) if i + 1 < s.len() => &s[i + 1..],
        _ => s,
    }
}

/// The value of `key` in `K=V,K=V` (keys compared without ASCII case, blanks around items
/// and values trimmed); an empty value is absent.
fn pair_value<'s>(s: &'s str, key: &str) -> Option<&'s str> {
    s.split(',').find_map(|item| {
        let (k, v) = item.split_once('=')?;
        let v = v.trim();
        (k.trim().eq_ignore_ascii_case(key) && !v.is_empty()).then_some(v)
    })
}

fn lower_in<'a>(bump: &'a Bump, s: &'a str) -> &'a str {
    if s.is_ascii() {
        if !s.bytes().any(|b| b.is_ascii_uppercase()) {
            return s;
        }
        let out = bump.alloc_str(s);
        out.make_ascii_lowercase();
        return out;
    }
    match s.to_lowercase() {
        l if l == s => s,
        l => bump.alloc_str(&l),
    }
}

/// `1b`, `0x1B` → 27.
fn parse_hex(s: &str) -> Option<i64> {
    let t = s.trim();
    let digits = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    if digits.is_empty() || digits.len() > 15 {
        return None;
    }
    i64::from_str_radix(digits, 16).ok()
}

#[cfg(test)]
mod value_block_tests {
    #[test]
    fn lower_case_copies_only_when_needed() {
        let bump = bumpalo::Bump::new();
        let tcp = "tcp";
        assert!(std::ptr::eq(super::lower_in(&bump, tcp), tcp));
        assert_eq!(super::lower_in(&bump, "IPv6-ICMP"), "ipv6-icmp");
        assert_eq!(super::lower_in(&bump, "ÉTAT"), "état");
    }

    #[test]
    fn problem_paths_are_spelled_from_the_chain() {
        use super::At;
        let actor = At {
            parent: None,
            name: "actor",
        };
        let process = At {
            parent: Some(&actor),
            name: "process",
        };
        assert_eq!(At::spell(Some(&process), Some("pid")), "actor.process.pid");
        assert_eq!(At::spell(Some(&process), None), "actor.process");
        assert_eq!(At::spell(None, Some("time")), "time");
    }

    #[test]
    fn reads_hex_strings_only() {
        assert_eq!(super::parse_hex("1b"), Some(27));
        assert_eq!(super::parse_hex("0x02"), Some(2));
        assert_eq!(super::parse_hex("syn"), None);
        assert_eq!(super::parse_hex(""), None);
    }
}

#[cfg(test)]
mod unmapped_tests {
    use super::*;

    #[test]
    fn repeated_keys_are_numbered_and_repeated_entries_dropped() {
        let bump = Bump::new();
        let mut entries = Entries::new_in(&bump);
        for (k, v) in [("a", "1"), ("a", "1"), ("a", "2"), ("b", "x"), ("a", "3")] {
            push_unique(&mut entries, k, v, &bump);
        }
        let got: Vec<(&str, &str)> = entries.iter().copied().collect();
        assert_eq!(
            got,
            vec![("a", "1"), ("a#2", "2"), ("b", "x"), ("a#3", "3")]
        );
    }
}
