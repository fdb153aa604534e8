//! AWS Application Load Balancer access-log lines: space-separated fields, some quoted, `-` for
//! absent. Every field of the current format is named, including `classification`,
//! `classification_reason`, `conn_trace_id` and the 2025 transform fields; older lines simply
//! end earlier.

use std::borrow::Cow;

use bumpalo::Bump;

use crate::event::{Members, Node, finish_object};

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

/// The fields of one line as an event in `bump`; values borrow from the line.
pub fn parse_alb_line<'a>(bump: &'a Bump, line: &'a str) -> Result<Node<'a>, String> {
    let fields = split_delimited(line.trim_end(), ' ')?;
    if fields.len() < 12 {
        return Err(format!(
            "ALB log line has {} fields; at least 12 expected",
            fields.len()
        ));
    }
    let mut m = Members::with_capacity_in(fields.len() + 6, bump);
    let mut put = |k: &'a str, v: &'a str| {
        if !v.is_empty() && v != "-" {
            m.push((k, Node::Str(v)));
        }
    };
    for (i, v) in fields.into_iter().enumerate() {
        let v: &'a str = match v {
            Cow::Borrowed(b) => b,
            Cow::Owned(o) => bump.alloc_str(&o),
        };
        let Some(&name) = FIELDS.get(i) else {
            put(bump.alloc_str(&format!("field_{}", i + 1)), v);
            continue;
        };
        match name {
            "client:port" | "target:port" => {
                let (ip, port) = if name == "client:port" {
                    ("client_ip", "client_port")
                } else {
                    ("target_ip", "target_port")
                };
                match split_host_port(v) {
                    Some((h, p)) => {
                        put(ip, h);
                        put(port, p);
                    }
                    None => put(ip, v),
                }
            }
            "request" => {
                put("request", v);
                let mut parts = v.splitn(3, ' ');
                put("request_method", parts.next().unwrap_or(""));
                put("request_url", parts.next().unwrap_or(""));
                put("request_protocol", parts.next().unwrap_or(""));
            }
            t if TIMINGS.contains(&t) && v == "-1" => {}
            _ => put(name, v),
        }
    }
    let event = finish_object(m);
    for required in ["type", "time"] {
        if event.get(required).is_none() {
            return Err(format!("ALB log line has no `{required}`"));
        }
    }
    Ok(event)
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
}
