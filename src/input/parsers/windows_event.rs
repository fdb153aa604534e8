//! Windows event log records as JSON, normalised to the Kinesis Agent for Windows shape:
//! `EventId` plus `Description` as an object of the rendered message's `Key: Value` lines.
//! Also accepts the other common shapes of the same events (NXLog/Winlogbeat-style `Message`,
//! Azure `WindowsEvent` with `EventData` as a JSON string, EVTX-as-JSON).

use bumpalo::Bump;

use crate::event::{Members, Node, cmp_keys, finish_object, parse_json};

/// Split a rendered event message into its `Key: Value` lines. The first line (the task title,
/// e.g. `Process Create:`) is kept as `_title`; lines that are not `Key: Value` continue the
/// previous value. Sysmon event 1 has its own `Description:` line: it becomes a member like any.
/// Keys and values borrow from `text`; a repeated key keeps its last value.
pub fn parse_description<'a>(bump: &'a Bump, text: &'a str) -> Node<'a> {
    let mut members = Members::with_capacity_in(32, bump);
    for (i, raw) in lines(text).enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some((k, v)) = split_key_value(line) {
            members.push((k, Node::Str(v)));
        } else if i == 0 {
            let title = line.trim().trim_end_matches(':');
            if !title.is_empty() {
                members.push(("_title", Node::Str(title)));
            }
        } else if let Some((_, Node::Str(prev))) =
            members.last_mut().filter(|(k, _)| *k != "_title")
        {
            let mut joined =
                bumpalo::collections::String::with_capacity_in(prev.len() + 1 + line.len(), bump);
            joined.push_str(prev);
            joined.push('\n');
            joined.push_str(line);
            *prev = joined.into_bump_str();
        }
    }
    finish_object(members)
}

/// The `\n`-separated lines of `text` (found with memchr).
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let r = rest?;
        match memchr::memchr(b'\n', r.as_bytes()) {
            Some(i) => {
                rest = Some(&r[i + 1..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

fn split_key_value(line: &str) -> Option<(&str, &str)> {
    let idx = memchr::memchr(b':', line.as_bytes())?;
    let key = &line[..idx];
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    let rest = &line[idx + 1..];
    let value = rest.strip_prefix(' ').unwrap_or(rest);
    if rest.is_empty() && idx + 1 == line.len() {
        return Some((key, ""));
    }
    if !rest.starts_with(' ') {
        return None;
    }
    Some((key, value))
}

fn id_value<'a>(v: Node<'a>) -> Option<Node<'a>> {
    match v {
        Node::U64(_) | Node::I64(_) | Node::F64(_) => Some(v),
        Node::Str(s) => Some(Node::Str(s.trim())),
        Node::Object(_) => v.get("#text").or_else(|| v.get("value")).and_then(id_value),
        _ => None,
    }
}

/// The `Id` of a record as PowerShell writes it (`Get-WinEvent | ConvertTo-Json`): taken only
/// when the record also has the provider or log name, so that an unrelated `Id` is not read as
/// an event id.
fn get_win_event_id<'a>(v: Node<'a>) -> Option<Node<'a>> {
    if v.get("ProviderName").is_none() && v.get("LogName").is_none() {
        return None;
    }
    v.get("Id").and_then(id_value)
}

/// A scalar as it is, or the `Value` of an object (a SecurityIdentifier as ConvertTo-Json
/// writes it: `{"Value": "S-1-5-18", ...}`).
fn sid_or_scalar<'a>(v: Node<'a>) -> Option<Node<'a>> {
    match v {
        Node::Object(_) => v.get("Value").filter(|x| !x.is_object()),
        Node::Null => None,
        _ => Some(v),
    }
}

/// `/a/b` of nested objects.
fn at<'a>(v: Node<'a>, path: &[&str]) -> Option<Node<'a>> {
    path.iter().try_fold(v, |cur, k| cur.get(k))
}

/// Bring one record to the canonical shape, or say why it is not a Windows event.
pub fn normalize_windows_event<'a>(bump: &'a Bump, v: Node<'a>) -> Result<Node<'a>, String> {
    let Node::Object(m) = v else {
        return Err("Windows event is not a JSON object".into());
    };
    // EVTX as JSON: {"Event": {"System": {...}, "EventData": {...}}}
    if let Some(ev @ Node::Object(_)) = v.get("Event")
        && let Some(sys @ Node::Object(_)) = ev.get("System")
    {
        let mut out = Members::with_capacity_in(m.len() + 8, bump);
        if let Some(id) = sys.get("EventID").and_then(id_value) {
            out.push(("EventId", id));
        }
        let mut desc = Members::new_in(bump);
        if let Some(Node::Object(d)) = ev.get("EventData") {
            desc.extend(d.iter().filter(|(_, x)| !x.is_null()).copied());
        }
        out.push(("Description", finish_object(desc)));
        let copies: [(&str, &[&str]); 6] = [
            ("MachineName", &["Computer"]),
            ("LogName", &["Channel"]),
            ("ProviderName", &["Provider", "#attributes", "Name"]),
            ("TimeCreated", &["TimeCreated", "#attributes", "SystemTime"]),
            ("Index", &["EventRecordID"]),
            ("UserName", &["Security", "#attributes", "UserID"]),
        ];
        for (name, path) in copies {
            if let Some(x) = at(sys, path) {
                out.push((name, x));
            }
        }
        // Decorations beside `Event` (agent fields) win over what was taken from it.
        out.extend(m.iter().filter(|(k, _)| *k != "Event").copied());
        return Ok(finish_object(out));
    }
    // `m` is sorted: each normalised member replaces its namesake or goes where it sorts, so
    // the result needs no sorting.
    let mut out = Members::with_capacity_in(m.len() + 2, bump);
    out.extend(m.iter().copied());
    match v.get("EventId") {
        None => match v.get("EventID").and_then(id_value) {
            Some(id) => set_member(&mut out, "EventId", id),
            None => match get_win_event_id(v) {
                Some(id) => set_member(&mut out, "EventId", id),
                None => return Err("Windows event has no EventId/EventID".into()),
            },
        },
        Some(Node::Str(s)) if s.trim().len() != s.len() => {
            set_member(&mut out, "EventId", Node::Str(s.trim()));
        }
        Some(id @ Node::Object(_)) => {
            if let Some(id) = id_value(id) {
                set_member(&mut out, "EventId", id);
            }
        }
        Some(_) => {}
    }
    // PowerShell's EventLogRecord names two members differently from Kinesis Agent for Windows
    // (whose names come from the same record): `RecordId` for `Index`, `UserId` for `UserName`.
    for (ours, theirs) in [("Index", "RecordId"), ("UserName", "UserId")] {
        if v.get(ours).is_none()
            && let Some(x) = v.get(theirs).and_then(sid_or_scalar)
        {
            set_member(&mut out, ours, x);
        }
    }
    // NXLog-style records have both the rendered `Message` and Sysmon's own `Description`
    // data field (the image's file description) at the top level: the message wins.
    let desc = match (v.get("Message"), v.get("Description")) {
        (Some(Node::Str(s)), _) => Some(parse_description(bump, s)),
        (_, Some(Node::Str(s))) => Some(parse_description(bump, s)),
        (_, Some(Node::Object(_))) => None,
        _ => match (v.get("Message"), v.get("EventData")) {
            (Some(Node::Str(s)), _) => Some(parse_description(bump, s)),
            (_, Some(Node::Str(s))) if s.trim_start().starts_with('{') => {
                match parse_json(bump, s.as_bytes()) {
                    Ok(o @ Node::Object(_)) => Some(o),
                    _ => return Err("EventData is a string but not a JSON object".into()),
                }
            }
            (_, Some(o @ Node::Object(_))) => Some(o),
            // Shippers that flatten the event data to the top level (taken with the EventId
            // as normalised above).
            _ => {
                let mut flat = Members::with_capacity_in(out.len(), bump);
                flat.extend(out.iter().filter(|(_, x)| !x.is_object()).copied());
                Some(finish_object(flat))
            }
        },
    };
    if let Some(d) = desc {
        set_member(&mut out, "Description", d);
    }
    Ok(Node::Object(out.into_bump_slice()))
}

/// Set `key` in sorted, unique members: replace its value, or insert it where it sorts.
fn set_member<'a>(members: &mut Members<'a>, key: &'a str, value: Node<'a>) {
    match members.binary_search_by(|(k, _)| cmp_keys(k, key)) {
        Ok(i) => members[i].1 = value,
        Err(i) => members.insert(i, (key, value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn description_lines_with_inner_description() {
        let bump = Bump::new();
        let d = parse_description(
            &bump,
            "Process Create:\r\nRuleName: -\r\nUtcTime: 2023-10-03 23:50:22.438\r\nImage: C:\\x.exe\r\nDescription: Windows Command Processor\r\nCommandLine: a\r\nsecond line\r\nUser: NT AUTHORITY\\SYSTEM\r\nParentUser: ",
        )
        .to_value();
        assert_eq!(d["_title"], json!("Process Create"));
        assert_eq!(d["Description"], json!("Windows Command Processor"));
        assert_eq!(d["CommandLine"], json!("a\nsecond line"));
        assert_eq!(d["UtcTime"], json!("2023-10-03 23:50:22.438"));
        assert_eq!(d["ParentUser"], json!(""));
    }

    #[test]
    fn event_id_string_or_number_and_other_shapes() {
        let bump = Bump::new();
        let normalize_windows_event = |v: serde_json::Value| {
            normalize_windows_event(&bump, Node::from_value(&bump, &v)).map(|n| n.to_value())
        };
        let kaw = normalize_windows_event(
            json!({"EventId": "1", "Description": "Process Create:\r\nProcessId: 4"}),
        )
        .unwrap();
        assert_eq!(kaw["EventId"], json!("1"));
        assert_eq!(kaw["Description"]["ProcessId"], json!("4"));
        let nx = normalize_windows_event(json!({"EventID": 3, "Description": "Edge", "Message": "Network connection detected:\r\nSourceIp: 10.0.0.1"})).unwrap();
        assert_eq!(nx["EventId"], json!(3));
        assert_eq!(nx["Description"]["SourceIp"], json!("10.0.0.1"));
        let az =
            normalize_windows_event(json!({"EventID": 3, "EventData": "{\"SourcePort\":\"5\"}"}))
                .unwrap();
        assert_eq!(az["Description"]["SourcePort"], json!("5"));
        let evtx = normalize_windows_event(json!({"Event": {"System": {"EventID": 1, "Computer": "H"}, "EventData": {"ProcessId": 9}}})).unwrap();
        assert_eq!(
            (
                evtx["EventId"].clone(),
                evtx["Description"]["ProcessId"].clone()
            ),
            (json!(1), json!(9))
        );
        assert!(normalize_windows_event(json!({"foo": 1})).is_err());
        // An `Id` alone is not an event id; beside a provider name it is (Get-WinEvent).
        assert!(normalize_windows_event(json!({"Id": 1, "Message": "x"})).is_err());
        let ps =
            normalize_windows_event(json!({"Id": 1, "ProviderName": "Microsoft-Windows-Sysmon",
            "RecordId": 77, "UserId": {"BinaryLength": 12, "Value": "S-1-5-18"},
            "TimeCreated": "/Date(1709633702114)/", "Message": "Process Create:\r\nProcessId: 4"}))
            .unwrap();
        assert_eq!(
            (&ps["EventId"], &ps["Index"], &ps["UserName"]),
            (&json!(1), &json!(77), &json!("S-1-5-18"))
        );
        assert_eq!(ps["Description"]["ProcessId"], json!("4"));
        assert_eq!(ps["Id"], json!(1), "the record's own members stay");
        // Flattened event data (no message, no Description) carries the normalised EventId.
        let flat = normalize_windows_event(json!({"EventID": " 7 ", "Image": "a.exe"})).unwrap();
        assert_eq!(flat["Description"]["EventId"], json!("7"));
        assert_eq!(flat["Description"]["Image"], json!("a.exe"));
    }
}
