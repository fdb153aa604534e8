//! AWS Application Load Balancer access-log lines: space-separated fields, some quoted, `-` for
//! absent. Every field of the current format is named, including `classification`,
//! `classification_reason`, `conn_trace_id` and the 2025 transform fields; older lines simply
//! end earlier.

use std::borrow::Cow;

use bumpalo::Bump;

use crate::event::{Members, Node, cmp_keys, finish_object};

use super::delimited::split_delimited;

const FIELDS: &[&str] = &[
    "type",
    "time",
    "elb",
    "client:port",
    "target:port",
    "request_processing_time",
    "target_processing_time",
    "response_processing_time",
    "elb_status_code",
    "target_status_code",
    "received_bytes",
    "sent_bytes",
    "request",
    "user_agent",
    "ssl_cipher",
    "ssl_protocol",
    "target_group_arn",
    "trace_id",
    "domain_name",
    "chosen_cert_arn",
    "matched_rule_priority",
    "request_creation_time",
    "actions_executed",
    "redirect_url",
    "error_reason",
    "target_port_list",
    "target_status_code_list",
    "classification",
    "classification_reason",
    "conn_trace_id",
    "transformed_host",
    "transformed_uri",
    "request_transform_status",
];

/// ALB writes -1 for processing times it could not measure.
const TIMINGS: &[&str] = &[
    "request_processing_time",
    "target_processing_time",
    "response_processing_time",
];

fn split_host_port(s: &str) -> Option<(&str, &str)> {
    let (h, p) = s.rsplit_once(':')?;
    let h = h.trim_start_matches('[').trim_end_matches(']');
    p.parse::<u16>().ok().map(|_| (h, p))
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Plain,
    /// `ip:port`, split into two members.
    HostPort,
    /// `"METHOD URL PROTOCOL"`, kept whole and split into three more members.
    Request,
    /// A processing time, absent when -1.
    Timing,
}

/// The members a line can have, worked out once from `FIELDS`: each field's kind and the slot
/// of its first member, and the slots in the order of their names, so that an event is built
/// already sorted.
struct Layout {
    names: Vec<&'static str>,
    fields: Vec<(Kind, usize)>,
    sorted: Vec<usize>,
}

static LAYOUT: std::sync::LazyLock<Layout> = std::sync::LazyLock::new(|| {
    let mut names = Vec::new();
    let mut fields = Vec::new();
    for &f in FIELDS {
        let (kind, members): (Kind, &[&'static str]) = match f {
            "client:port" => (Kind::HostPort, &["client_ip", "client_port"]),
            "target:port" => (Kind::HostPort, &["target_ip", "target_port"]),
            "request" => (
                Kind::Request,
                &[
                    "request",
                    "request_method",
                    "request_url",
                    "request_protocol",
                ],
            ),
            _ if TIMINGS.contains(&f) => (Kind::Timing, &[]),
            _ => (Kind::Plain, &[]),
        };
        fields.push((kind, names.len()));
        if members.is_empty() {
            names.push(f);
        } else {
            names.extend_from_slice(members);
        }
    }
    let mut sorted: Vec<usize> = (0..names.len()).collect();
    sorted.sort_by(|&a, &b| cmp_keys(names[a], names[b]));
    Layout {
        names,
        fields,
        sorted,
    }
});

/// The fields of one line as an event in `bump`; values borrow from the line.
pub fn parse_alb_line<'a>(bump: &'a Bump, line: &'a str) -> Result<Node<'a>, String> {
    let fields = split_delimited(line.trim_end(), ' ')?;
    if fields.len() < 12 {
        return Err(format!(
            "ALB log line has {} fields; at least 12 expected",
            fields.len()
        ));
    }
    let layout = &*LAYOUT;
    let slots: &mut [Option<&'a str>] = bump.alloc_slice_fill_copy(layout.names.len(), None);
    let mut set = |at: usize, v: &'a str| {
        if !v.is_empty() && v != "-" {
            slots[at] = Some(v);
        }
    };
    // Columns beyond the known ones (a newer format): named by position, and kept together
    // under `extra_fields` so that a mapping can keep them all (the shipped one puts them in
    // `unmapped`).
    let mut extra = Members::new_in(bump);
    for (i, v) in fields.into_iter().enumerate() {
        let v: &'a str = match v {
            Cow::Borrowed(b) => b,
            Cow::Owned(o) => bump.alloc_str(&o),
        };
        let Some(&(kind, at)) = layout.fields.get(i) else {
            if !v.is_empty() && v != "-" {
                extra.push((bump.alloc_str(&format!("field_{}", i + 1)), Node::Str(v)));
            }
            continue;
        };
        match kind {
            Kind::Plain => set(at, v),
            Kind::Timing if v == "-1" => {}
            Kind::Timing => set(at, v),
            Kind::HostPort => match split_host_port(v) {
                Some((h, p)) => {
                    set(at, h);
                    set(at + 1, p);
                }
                None => set(at, v),
            },
            Kind::Request => {
                set(at, v);
                let mut parts = v.splitn(3, ' ');
                set(at + 1, parts.next().unwrap_or(""));
                set(at + 2, parts.next().unwrap_or(""));
                set(at + 3, parts.next().unwrap_or(""));
            }
        }
    }
    for (required, &(_, at)) in ["type", "time"].iter().zip(&layout.fields) {
        if slots[at].is_none() {
            return Err(format!("ALB log line has no `{required}`"));
        }
    }
    let mut m = Members::with_capacity_in(slots.len() + extra.len(), bump);
    for &at in &layout.sorted {
        if let Some(v) = slots[at] {
            m.push((layout.names[at], Node::Str(v)));
        }
    }
    if extra.is_empty() {
        // Built in the order of the names, each once.
        Ok(Node::Object(m.into_bump_slice()))
    } else {
        m.push(("extra_fields", Node::Object(extra.into_bump_slice())));
        Ok(finish_object(m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_line_with_classification() {
        let line = r#"https 2018-07-02T22:23:00.186641Z app/my-lb/50dc 192.168.131.39:2817 10.0.0.1:80 0.086 0.048 -1 200 200 0 57 "GET https://www.example.com:443/a b HTTP/1.1" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:tg "Root=1-58" "www.example.com" "arn:cert" 1 2018-07-02T22:22:48.364000Z "authenticate,forward" "-" "-" "10.0.0.1:80" "200" "Acceptable" "SpaceInUri" TID_123"#;
        let bump = Bump::new();
        let v = parse_alb_line(&bump, line).unwrap().to_value();
        assert_eq!(v["client_ip"], "192.168.131.39");
        assert_eq!(v["target_port"], "80");
        assert_eq!(v["request_method"], "GET");
        assert_eq!(v["request_url"], "https://www.example.com:443/a");
        assert_eq!(v["request_protocol"], "b HTTP/1.1");
        assert!(v.get("response_processing_time").is_none());
        assert!(v.get("redirect_url").is_none());
        assert_eq!(v["classification_reason"], "SpaceInUri");
        assert_eq!(v["conn_trace_id"], "TID_123");
        assert!(parse_alb_line(&bump, "http 2018").is_err());
    }

    /// Built in name order, as `finish_object` would sort it, also with columns of a newer
    /// format and with absent fields.
    #[test]
    fn members_are_sorted_and_unique() {
        let full = r#"h2 2018-07-02T22:23:00.186641Z app/lb/1 10.0.0.9:2817 - -1 -1 -1 502 - 34 366 "GET https://x.example:443/ HTTP/2.0" "-" - - - "Root=1" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-" "-" "-" "-" "-" "-" "-" "-" "-" newcol1 newcol2"#;
        let bump = Bump::new();
        for line in [full, &full[..full.find(" \"GET").unwrap()]] {
            let ev = parse_alb_line(&bump, line).unwrap();
            let m = ev.as_object().unwrap();
            assert!(
                m.windows(2).all(|w| cmp_keys(w[0].0, w[1].0).is_lt()),
                "{:?}",
                m.iter().map(|(k, _)| *k).collect::<Vec<_>>()
            );
            assert_eq!(ev.get("type"), Some(Node::Str("h2")));
            assert_eq!(ev.get("client_port"), Some(Node::Str("2817")));
            assert!(ev.get("target_ip").is_none() && ev.get("request_processing_time").is_none());
        }
        let ev = parse_alb_line(&bump, full).unwrap();
        let extra = ev.get("extra_fields").unwrap();
        assert_eq!(extra.get("field_34"), Some(Node::Str("newcol1")));
        assert_eq!(extra.get("field_35"), Some(Node::Str("newcol2")));
        assert_eq!(ev.get("request_method"), Some(Node::Str("GET")));
    }
}
