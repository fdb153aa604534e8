//! Checks of a mapping entry against OCSF that do not change what is built: literals OCSF
//! would reject, class-level values the engine derives, and required attributes left unmapped.
//! Each finding is a diagnostic naming the file, the entry and the JSON pointer.

use serde_json::{Map, Value};

use super::compile::{Ctx, ValueSource, is_path};
use super::diagnostics::{Level, ptr_token};
use super::shape::Shape;
use crate::event::Node as Ev;
use crate::ocsf::{Attribute, Class, Requirement, Schema};

/// Attributes the engine always sets on every record, so their absence in a mapping is fine.
const DERIVED_ROOT: &[&str] = &[
    "class_uid",
    "class_name",
    "category_uid",
    "category_name",
    "type_uid",
    "type_name",
    "activity_name",
    "severity",
    "metadata",
];

/// Literal results (constants, enum values) that OCSF would reject.
pub(super) fn lint_literals(
    ctx: &mut Ctx,
    src: &ValueSource,
    shape: &Shape,
    ptr: &str,
    path: &str,
    attr: &Attribute,
) {
    let lits: Vec<(String, Ev<'static>)> = match src {
        ValueSource::Literal(v) => vec![(ptr.to_string(), *v)],
        ValueSource::Enum {
            values,
            other,
            absent,
            ..
        } => values
            .iter()
            .map(|(k, v)| (format!("{ptr}/enum/values/{}", ptr_token(k)), *v))
            .chain(other.iter().map(|v| (format!("{ptr}/enum/other"), *v)))
            .chain(absent.iter().map(|v| (format!("{ptr}/enum/absent"), *v)))
            .collect(),
        ValueSource::Coalesce(items) => {
            for it in items {
                lint_literals(ctx, it, shape, ptr, path, attr);
            }
            return;
        }
        ValueSource::Path(_)
        | ValueSource::Hex(_)
        | ValueSource::Lower(_)
        | ValueSource::Basename(_)
        | ValueSource::Pair { .. } => return,
    };
    for (p, v) in lits {
        if path == "metadata.version" {
            if v.as_str() != Some(crate::ocsf::OCSF_VERSION) {
                ctx.diag(Level::Error, &p, format!("`metadata.version` is `{}` in the mapping; OCSF output here is {} (written as \"{}\")", crate::mapping::convert::raw_text(&v), ctx.schema.version, crate::ocsf::OCSF_VERSION));
            }
            continue;
        }
        if path == "metadata.profiles" {
            if v.as_str().is_some() {
                ctx.diag(
                    Level::Error,
                    &p,
                    "`metadata.profiles` is an array in OCSF; the string is split on commas",
                );
            }
            let items: Vec<String> = match v {
                Ev::Str(s) => s.split(',').map(|x| x.trim().to_string()).collect(),
                Ev::Array(a) => a.iter().map(crate::mapping::convert::raw_text).collect(),
                _ => vec![],
            };
            for it in items {
                if !ctx.schema.profiles.contains(&it) {
                    let near = Schema::did_you_mean(&it, &ctx.schema.profiles);
                    ctx.diag(
                        Level::Error,
                        &p,
                        format!(
                            "`{it}` is not an OCSF {} profile{near}; it is kept under unmapped",
                            ctx.schema.version
                        ),
                    );
                }
            }
            continue;
        }
        let mut rejects = Vec::new();
        let scratch = bumpalo::Bump::new();
        let val = super::convert::convert(v, shape, path, &ctx.time_format, &mut rejects, &scratch);
        if !rejects.is_empty() || (val.is_null() && !v.is_null()) {
            ctx.diag(
                Level::Error,
                &p,
                format!(
                    "`{}` cannot be `{path}` ({}{}); it is kept under unmapped",
                    crate::mapping::convert::raw_text(&v),
                    attr.type_name,
                    if attr.is_array() { " array" } else { "" }
                ),
            );
        } else if let (Some(info), Some(id)) = (&attr.enum_values, val.as_int())
            && !info.contains_key(&id.to_string())
        {
            ctx.diag(
                Level::Error,
                &p,
                format!(
                    "{id} is not a defined value of `{path}` (defined: {})",
                    info.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            );
        } else if let Some(n) = v.number()
            && attr
                .enum_values
                .as_ref()
                .is_some_and(|e| !e.contains_key(&n.to_string()))
        {
            ctx.diag(
                Level::Error,
                &p,
                format!("{n} is not a defined value of `{path}`; written as 99 (Other)"),
            );
        }
    }
}

/// Class-level checks of an entry: what the engine derives vs. what the mapping says.
pub(super) fn lint_root(
    ctx: &mut Ctx,
    class: &Class,
    tmpl: &Map<String, Value>,
    ptr: &str,
    profiles: Option<&[String]>,
) {
    let int = |k: &str| {
        tmpl.get(k).and_then(|v| match v {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        })
    };
    if let Some(uid) = int("class_uid")
        && uid != class.uid
    {
        ctx.diag(
            Level::Error,
            &format!("{ptr}/class_uid"),
            format!(
                "class_uid {uid} disagrees with schema `{}` ({}); written as {}",
                class.name, class.uid, class.uid
            ),
        );
    }
    if let Some(Value::String(n)) = tmpl.get("class_name") {
        let at = format!("{ptr}/class_name");
        let caption = &class.caption;
        if is_path(n) {
            ctx.diag(
                Level::Warning,
                &at,
                format!("class_name is read from `{n}`, but it is the caption of the class: written as `{caption}`"),
            );
        } else if n != caption {
            ctx.diag(
                Level::Error,
                &at,
                format!("class_name `{n}` is not the caption of class {} (`{caption}`); written as `{caption}`", class.uid),
            );
        }
    }
    if let Some(c) = int("category_uid")
        && c != class.category_uid
    {
        ctx.diag(
            Level::Error,
            &format!("{ptr}/category_uid"),
            format!(
                "category_uid {c} disagrees with class {} (category {})",
                class.uid, class.category_uid
            ),
        );
    }
    let activity = int("activity_id");
    if let Some(t) = int("type_uid") {
        match activity {
            Some(a) if t != class.uid * 100 + a => ctx.diag(
                Level::Error,
                &format!("{ptr}/type_uid"),
                format!("type_uid {t} is inconsistent with class_uid {} and activity_id {a}: it must be {} (written as derived)", class.uid, class.uid * 100 + a),
            ),
            None => ctx.diag(
                Level::Error,
                &format!("{ptr}/type_uid"),
                format!("type_uid {t} is fixed while activity_id varies; type_uid is derived as class_uid*100 + activity_id ({}xx)", class.uid),
            ),
            _ => {}
        }
    } else if match tmpl.get("type_uid") {
        Some(Value::Object(_)) => true,
        Some(Value::String(p)) => is_path(p),
        _ => false,
    } {
        ctx.diag(
            Level::Warning,
            &format!("{ptr}/type_uid"),
            "type_uid is derived as class_uid*100 + activity_id; the mapped value is replaced",
        );
    }
    for (caption_of, id_name, id) in [
        ("severity", "severity_id", int("severity_id")),
        ("activity_name", "activity_id", activity),
    ] {
        // For 99 (Other) the source's own word is the caption.
        let (Some(v), Some(id)) = (tmpl.get(caption_of), id.filter(|&i| i != 99)) else {
            continue;
        };
        let caption = class.attributes[id_name].enum_caption(id).unwrap_or("?");
        let at = format!("{ptr}/{caption_of}");
        match v {
            Value::String(p) if is_path(p) => ctx.diag(
                Level::Warning,
                &at,
                format!("{caption_of} is read from `{p}` beside a fixed {id_name} {id}: it is written as `{caption}`, and a value that differs is kept in `unmapped`"),
            ),
            Value::String(word) if word != caption => ctx.diag(
                Level::Error,
                &at,
                format!("{caption_of} `{word}` disagrees with {id_name} {id} (`{caption}`); written as `{caption}`"),
            ),
            _ => {}
        }
    }
    for (n, a) in &class.attributes {
        if a.requirement != Requirement::Required
            || tmpl.contains_key(n)
            || DERIVED_ROOT.contains(&n.as_str())
        {
            continue;
        }
        if let Some(ps) = &a.profiles
            && !profiles.is_some_and(|l| l.iter().any(|p| ps.contains(p)))
        {
            continue;
        }
        required_not_mapped(ctx, ptr, a, n, || {
            format!(
                "required attribute `{n}` of class {} is not mapped; such events go to the dead letters",
                class.name
            )
        });
    }
    lint_constraints(
        ctx,
        ptr,
        &class.name,
        &format!("class {}", class.name),
        &class.constraints,
        tmpl,
    );
    match tmpl.get("metadata").and_then(|m| m.get("product")) {
        None => ctx.diag(
            Level::Error,
            ptr,
            "required `metadata.product` is not mapped; such events go to the dead letters",
        ),
        Some(Value::Object(p)) if !p.contains_key("vendor_name") => ctx.diag(
            Level::Error,
            &format!("{ptr}/metadata/product"),
            "required `metadata.product.vendor_name` is not mapped",
        ),
        _ => {}
    }
    if let Some(ps) = profiles {
        for p in ps {
            if ctx.schema.profiles.contains(p) && !class.profiles.contains(p) {
                ctx.diag(
                    Level::Error,
                    &format!("{ptr}/metadata/profiles"),
                    format!("class {} does not accept profile `{p}`", class.name),
                );
            }
        }
    }
    for k in tmpl.keys() {
        if let Some(ps) = class.attributes.get(k).and_then(|a| a.profiles.as_ref())
            && !profiles.is_some_and(|l| l.iter().any(|p| ps.contains(p)))
            && !ps.iter().any(|p| p == "datetime")
        {
            ctx.diag(
                Level::Error,
                &format!("{ptr}/{}", ptr_token(k)),
                format!(
                    "`{k}` belongs to profile {}, which `metadata.profiles` does not list",
                    ps.join("/")
                ),
            );
        }
    }
}

pub(super) fn lint_required_members(
    ctx: &mut Ctx,
    o: &crate::ocsf::Object,
    m: &Map<String, Value>,
    ptr: &str,
    path: &str,
) {
    for (n, a) in &o.attributes {
        let derived = o.name == "metadata" && (n == "version" || n == "uid");
        if a.requirement == Requirement::Required
            && a.profiles.is_none()
            && !m.contains_key(n)
            && !derived
        {
            required_not_mapped(ctx, ptr, a, &format!("{path}.{n}"), || {
                format!(
                    "required `{path}.{n}` (object {}) is not mapped; events with `{path}` go to the dead letters",
                    o.name
                )
            });
        }
    }
    lint_constraints(
        ctx,
        ptr,
        path,
        &format!("object {}", o.name),
        &o.constraints,
        m,
    );
}

/// An `at_least_one` none of whose members is mapped, or a `just_one` mapped never or more
/// than once. Members may be dotted (`device.os.sp_name`); a member counts as mapped when the
/// mapping gives it any value (a path may still find nothing in an event).
pub(super) fn lint_constraints(
    ctx: &mut Ctx,
    ptr: &str,
    whole: &str,
    kind: &str,
    c: &crate::ocsf::Constraints,
    m: &Map<String, Value>,
) {
    let mapped = |dotted: &String| {
        let mut at = m;
        let mut names = dotted.split('.').peekable();
        while let Some(n) = names.next() {
            match (at.get(n), names.peek()) {
                (None | Some(Value::Null), _) => return false,
                (Some(_), None) => return true,
                (Some(Value::Object(inner)), Some(_)) => at = inner,
                (Some(_), Some(_)) => return false,
            }
        }
        false
    };
    if !c.at_least_one.is_empty() && !c.at_least_one.iter().any(mapped) {
        ctx.diag(
            Level::Error,
            ptr,
            format!(
                "`{whole}` needs at least one of {} ({kind}); none is mapped, so such events go to the dead letters",
                c.at_least_one.join(", "),
            ),
        );
    }
    if c.just_one.is_empty() {
        return;
    }
    let given: Vec<&String> = c.just_one.iter().filter(|n| mapped(n)).collect();
    let needs = format!(
        "`{whole}` needs exactly one of {} ({kind})",
        c.just_one.join(", ")
    );
    match given.len() {
        0 => ctx.diag(
            Level::Error,
            ptr,
            format!("{needs}; none is mapped, so such events go to the dead letters"),
        ),
        1 => {}
        n => ctx.diag(
            Level::Warning,
            ptr,
            format!(
                "{needs}; {} are mapped: an event in which more than one is present goes to the dead letters",
                if n == 2 { "both".to_string() } else { format!("{n} of them") }
            ),
        ),
    }
}

/// A required attribute the mapping leaves out: an enum with Unknown (0) is written as 0 (a
/// warning); anything else makes such events dead letters (an error, worded by `error`).
fn required_not_mapped(
    ctx: &mut Ctx,
    ptr: &str,
    a: &Attribute,
    shown: &str,
    error: impl FnOnce() -> String,
) {
    if a.enum_values.as_ref().is_some_and(|e| e.contains_key("0")) {
        ctx.diag(
            Level::Warning,
            ptr,
            format!("required `{shown}` is not mapped; written as 0 (Unknown)"),
        );
    } else {
        ctx.diag(Level::Error, ptr, error());
    }
}
