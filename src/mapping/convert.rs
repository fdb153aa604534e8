//! Converting a JSON value from an event to the OCSF type of the attribute it is mapped to.

use bumpalo::Bump;

use crate::event::Node;

use super::shape::{Scalar, Shape, StructShape};
use super::time::{TimeFormat, epoch_number_to_ms, parse_time_str};
use super::value::Val;
use crate::ocsf::Primitive;

/// Why a value could not be given its OCSF type.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvertError(pub String);

/// Collects what could not be typed: `(OCSF path, raw value as text)`.
pub type Rejects = Vec<(String, String)>;

/// Placeholders that mean "absent" in log formats (ALB's `-`); applied to strings of typed fields.
fn is_absent_placeholder(s: &str) -> bool {
    s.is_empty() || s == "-"
}

/// A value as text: a string as it is, anything else as JSON.
pub fn raw_text(v: &Node) -> String {
    match v {
        Node::Str(s) => (*s).to_string(),
        Node::Bool(b) => b.to_string(),
        n @ (Node::U64(_) | Node::I64(_) | Node::F64(_)) => {
            n.number().map_or_else(|| "null".into(), |n| n.to_string())
        }
        other => other.to_string(),
    }
}

/// `raw_text` kept in `bump`: strings are borrowed, integers are written there directly (no
/// heap string per value), anything else is copied there.
pub fn raw_text_in<'a>(bump: &'a Bump, v: &Node<'a>) -> &'a str {
    match *v {
        Node::Str(s) => s,
        Node::U64(u) => bump.alloc_str(itoa::Buffer::new().format(u)),
        Node::I64(i) => bump.alloc_str(itoa::Buffer::new().format(i)),
        _ => bump.alloc_str(&raw_text(v)),
    }
}

/// Convert `v` to `shape`, building lists, structs and maps in `bump`. Parts that cannot be
/// typed are left null and reported in `rejects` under their OCSF path.
pub fn convert<'v>(
    v: Node<'v>,
    shape: &Shape,
    path: &str,
    tf: &TimeFormat,
    rejects: &mut Rejects,
    bump: &'v Bump,
) -> Val<'v> {
    match shape {
        Shape::Scalar(sc) => match convert_scalar(v, sc, tf, bump) {
            Ok(val) => val,
            Err(_) => {
                rejects.push((path.to_string(), raw_text(&v)));
                Val::Null
            }
        },
        Shape::List(inner) => {
            let mut out = bumpalo::collections::Vec::new_in(bump);
            let mut push = |val: Val<'v>| {
                if !val.is_null() {
                    out.push(val)
                }
            };
            match v {
                Node::Array(a) => a
                    .iter()
                    .filter(|i| !i.is_null())
                    .for_each(|i| push(convert(*i, inner, path, tf, rejects, bump))),
                Node::Str(s) if matches!(**inner, Shape::Scalar(_)) && s.contains(',') => {
                    for p in s.split(',') {
                        push(convert(Node::Str(p.trim()), inner, path, tf, rejects, bump));
                    }
                }
                other => push(convert(other, inner, path, tf, rejects, bump)),
            };
            Val::List(out.into_bump_slice()).normalize_empty()
        }
        Shape::Struct(st) => match v {
            Node::Object(m) => convert_object(m, st, path, tf, rejects, bump),
            other => {
                rejects.push((path.to_string(), raw_text(&other)));
                Val::Null
            }
        },
        Shape::Map => match v {
            Node::Object(m) => {
                let mut entries = Entries::with_capacity_in(m.len(), bump);
                flatten_entries(bump, "", v, &mut entries);
                Val::map(entries).normalize_empty()
            }
            other => Val::Map(bump.alloc_slice_copy(&[("", raw_text_in(bump, &other))])),
        },
    }
}

fn convert_object<'v>(
    m: &'v [(&'v str, Node<'v>)],
    st: &StructShape,
    path: &str,
    tf: &TimeFormat,
    rejects: &mut Rejects,
    bump: &'v Bump,
) -> Val<'v> {
    let members = Val::nulls(bump, st.fields.len());
    for (k, v) in m {
        if v.is_null() {
            continue;
        }
        let child = bumpalo::format!(in bump, "{}.{}", path, k);
        match st.index(k) {
            Some(i) => members[i] = convert(*v, &st.fields[i].shape, &child, tf, rejects, bump),
            None => flatten_rejects(&child, v, rejects),
        }
    }
    Val::Struct(members).normalize_empty()
}

fn flatten_rejects(path: &str, v: &Node, rejects: &mut Rejects) {
    let mut entries = Vec::new();
    flatten_into(path, v, &mut entries);
    rejects.extend(entries);
}

/// Entries of a map value (`unmapped`): dotted key → text.
pub type Entries<'a> = bumpalo::collections::Vec<'a, (&'a str, &'a str)>;

/// Flatten nested objects into dotted keys; arrays and scalars become text. Keys are `prefix`
/// or built in `bump`; string values borrow from the event.
pub fn flatten_entries<'a>(bump: &'a Bump, prefix: &'a str, v: Node<'a>, out: &mut Entries<'a>) {
    match v {
        Node::Object(m) => {
            for (k, child) in m {
                let key: &'a str = if prefix.is_empty() {
                    k
                } else {
                    let mut s = bumpalo::collections::String::with_capacity_in(
                        prefix.len() + 1 + k.len(),
                        bump,
                    );
                    s.push_str(prefix);
                    s.push('.');
                    s.push_str(k);
                    s.into_bump_str()
                };
                flatten_entries(bump, key, *child, out);
            }
        }
        Node::Null => {}
        Node::Str(s) => out.push((prefix, s)),
        other => out.push((prefix, raw_text_in(bump, &other))),
    }
}

/// `flatten_entries` with owned text (for the rarer paths that keep what they flatten).
pub fn flatten_into(prefix: &str, v: &Node, out: &mut Vec<(String, String)>) {
    let bump = Bump::new();
    let mut entries = Entries::new_in(&bump);
    flatten_entries(&bump, bump.alloc_str(prefix), *v, &mut entries);
    out.extend(entries.iter().map(|(k, v)| (k.to_string(), v.to_string())));
}

pub fn convert_scalar<'v>(
    v: Node<'v>,
    sc: &Scalar,
    tf: &TimeFormat,
    bump: &'v Bump,
) -> Result<Val<'v>, ConvertError> {
    let bad = || {
        ConvertError(format!(
            "`{}` is not a valid {}",
            raw_text(&v),
            sc.type_name
        ))
    };
    let val = match sc.prim {
        Primitive::Boolean => match v {
            Node::Bool(b) => Val::Bool(b),
            n if n.is_number() => match n.as_i64() {
                Some(0) => Val::Bool(false),
                Some(1) => Val::Bool(true),
                _ => return Err(bad()),
            },
            Node::Str(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "y" => Val::Bool(true),
                "false" | "0" | "no" | "n" => Val::Bool(false),
                _ => return Err(bad()),
            },
            _ => return Err(bad()),
        },
        Primitive::Integer | Primitive::Long => {
            let i = match v {
                n if n.is_number() => n
                    .as_i64()
                    .or_else(|| {
                        n.as_f64()
                            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e18)
                            .map(|f| f as i64)
                    })
                    .ok_or_else(bad)?,
                Node::Str(s) => parse_int(s.trim()).ok_or_else(bad)?,
                Node::Bool(b) => b as i64,
                _ => return Err(bad()),
            };
            if sc.prim == Primitive::Integer && i32::try_from(i).is_err() {
                return Err(bad());
            }
            if let Some([lo, hi]) = sc.range
                && (i < lo || i > hi)
            {
                return Err(bad());
            }
            if let Some(info) = &sc.enum_info
                && !info.captions.contains_key(&i)
            {
                // An id OCSF does not define is "Other" where the enum has it.
                if info.captions.contains_key(&99) {
                    return Ok(Val::Int(99));
                }
                return Err(bad());
            }
            Val::Int(i)
        }
        Primitive::Float => match v {
            n if n.is_number() => Val::Float(n.as_f64().ok_or_else(bad)?),
            Node::Str(s) => Val::Float(s.trim().parse::<f64>().map_err(|_| bad())?),
            _ => return Err(bad()),
        },
        Primitive::Timestamp => match v {
            n if n.is_number() => Val::Int(epoch_number_to_ms(n).ok_or_else(bad)?),
            Node::Str(s) => Val::Int(parse_time_str(s, tf).ok_or_else(bad)?),
            _ => return Err(bad()),
        },
        Primitive::String => {
            let s = match v {
                Node::Str(s) if sc.is_ip => ip_text(s).ok_or_else(bad)?,
                Node::Str(s) => s,
                Node::U64(_) | Node::I64(_) | Node::F64(_) | Node::Bool(_) if !sc.is_ip => {
                    raw_text_in(bump, &v)
                }
                _ => return Err(bad()),
            };
            // A number is held to the enum's values as its text is (`http_method`).
            if let Some(allowed) = &sc.string_values
                && !allowed.iter().any(|a| a == s)
            {
                return Err(bad());
            }
            Val::Str(s)
        }
        Primitive::Json => Val::owned(bump, &v.to_string()),
        Primitive::Object => return Err(bad()),
    };
    Ok(val)
}

/// An IP address as OCSF's `ip_t` has it, without the blanks around it: IPv4, or IPv6 with
/// an optional zone (`fe80::1%eth0`, as Windows and Linux write link-local addresses).
fn ip_text(s: &str) -> Option<&str> {
    let t = s.trim();
    if t.parse::<std::net::IpAddr>().is_ok() {
        return Some(t);
    }
    let (addr, zone) = t.split_once('%')?;
    (addr.parse::<std::net::Ipv6Addr>().is_ok()
        && !zone.is_empty()
        && !zone.contains(char::is_whitespace))
    .then_some(t)
}

/// The value for a typed field from a string placeholder: `-` and "" are absent.
pub fn is_absent(v: &Node) -> bool {
    match v {
        Node::Null => true,
        Node::Str(s) => match s.as_bytes() {
            // Starts and ends with a visible ASCII character: trimming would change nothing.
            [first, .., last] if first.is_ascii_graphic() && last.is_ascii_graphic() => false,
            _ => is_absent_placeholder(s.trim()),
        },
        _ => false,
    }
}

fn parse_int(s: &str) -> Option<i64> {
    if let Ok(i) = s.parse::<i64>() {
        return Some(i);
    }
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return i64::from_str_radix(h, 16).ok();
    }
    match s.parse::<f64>() {
        Ok(f) if f.fract() == 0.0 && f.abs() < 9.0e18 => Some(f as i64),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Arc;

    fn node(v: &serde_json::Value) -> Node<'static> {
        Node::leak_value(v)
    }

    fn sc(prim: Primitive, ty: &str) -> Scalar {
        Scalar {
            prim,
            type_name: Arc::from(ty),
            range: None,
            is_ip: false,
            enum_info: None,
            string_values: None,
        }
    }

    #[test]
    fn scalars() {
        let tf = TimeFormat::Auto;
        let bump = Bump::new();
        assert_eq!(
            convert_scalar(
                node(&json!("1128")),
                &sc(Primitive::Integer, "integer_t"),
                &tf,
                &bump
            ),
            Ok(Val::Int(1128))
        );
        assert!(
            convert_scalar(
                node(&json!("abc")),
                &sc(Primitive::Integer, "integer_t"),
                &tf,
                &bump
            )
            .is_err()
        );
        let mut port = sc(Primitive::Integer, "port_t");
        port.range = Some([0, 65535]);
        assert!(convert_scalar(node(&json!(70000)), &port, &tf, &bump).is_err());
        assert_eq!(
            convert_scalar(
                node(&json!("true")),
                &sc(Primitive::Boolean, "boolean_t"),
                &tf,
                &bump
            ),
            Ok(Val::Bool(true))
        );
        assert_eq!(
            convert_scalar(
                node(&json!("2023-10-03 23:50:22.438")),
                &sc(Primitive::Timestamp, "timestamp_t"),
                &tf,
                &bump
            ),
            Ok(Val::Int(1696377022438))
        );
        let mut ip = sc(Primitive::String, "ip_t");
        ip.is_ip = true;
        assert!(convert_scalar(node(&json!("13.127.20.X")), &ip, &tf, &bump).is_err());
        assert_eq!(
            convert_scalar(node(&json!("::1")), &ip, &tf, &bump),
            Ok(Val::Str("::1"))
        );
        // OCSF's ip_t allows an IPv6 zone; blanks around an address are not written.
        for (given, written) in [
            (
                "fe80::1c3a:9e2f:a1b4:7d10%11",
                "fe80::1c3a:9e2f:a1b4:7d10%11",
            ),
            ("fe80::1%eth0", "fe80::1%eth0"),
            (" 10.0.0.1 ", "10.0.0.1"),
        ] {
            assert_eq!(
                convert_scalar(node(&json!(given)), &ip, &tf, &bump),
                Ok(Val::Str(written)),
                "{given}"
            );
        }
        // A string enum (`http_method`) takes only its values, whether text or number.
        let mut method = sc(Primitive::String, "string_t");
        method.string_values = Some(Arc::new(vec!["GET".into(), "POST".into()]));
        assert_eq!(
            convert_scalar(node(&json!("GET")), &method, &tf, &bump),
            Ok(Val::Str("GET"))
        );
        for bad in [json!("FETCH"), json!(94), json!(true)] {
            assert!(
                convert_scalar(node(&bad), &method, &tf, &bump).is_err(),
                "{bad}"
            );
        }
        for bad in [
            "10.0.0.1%eth0",
            "fe80::1%",
            "fe80::1%a b",
            "10.0.0.1:443",
            "%eth0",
        ] {
            assert!(
                convert_scalar(node(&json!(bad)), &ip, &tf, &bump).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn lists_from_scalars_and_csv() {
        let shape = Shape::List(Box::new(Shape::Scalar(sc(Primitive::String, "string_t"))));
        let bump = Bump::new();
        let mut rejects = Vec::new();
        let csv = json!("cloud, firewall");
        let v = convert(
            node(&csv),
            &shape,
            "metadata.profiles",
            &TimeFormat::Auto,
            &mut rejects,
            &bump,
        );
        assert_eq!(v, Val::List(&[Val::Str("cloud"), Val::Str("firewall")]));
        let one = json!("host");
        let v = convert(
            node(&one),
            &shape,
            "metadata.profiles",
            &TimeFormat::Auto,
            &mut rejects,
            &bump,
        );
        assert_eq!(v, Val::List(&[Val::Str("host")]));
        assert!(rejects.is_empty());
    }
}

#[cfg(test)]
mod absent_tests {
    use super::*;

    #[test]
    fn placeholders_are_absent_whatever_their_padding() {
        for s in ["", "-", " - ", "\t-", "-\u{3000}", "   "] {
            assert!(is_absent(&Node::Str(s)), "{s:?}");
        }
        for s in ["--", "a", "-1", " x ", "ab", "\u{a0}x"] {
            assert!(!is_absent(&Node::Str(s)), "{s:?}");
        }
        assert!(is_absent(&Node::Null));
        assert!(!is_absent(&Node::U64(0)));
    }
}
