//! Windows event log records as JSON, normalised to the Kinesis Agent for Windows shape:
//! `EventId` plus `Description` as an object of the rendered message's `Key: Value` lines.
//! Also accepts the other common shapes of the same events (NXLog/Winlogbeat-style `Message`,
//! Azure `WindowsEvent` with `EventData` as a JSON string, EVTX-as-JSON).

use serde_json::{Map, Value};

/// Split a rendered event message into its `Key: Value` lines. The first line (the task title,
/// e.g. `Process Create:`) is kept as `_title`; lines that are not `Key: Value` continue the
/// previous value. Sysmon event 1 has its own `Description:` line: it becomes a member like any.
pub fn parse_description(text: &str) -> Map<String, Value> {
    // Collected in order and built into the map at once (a sorted bulk build is cheaper than
    // one insert per line); a repeated key keeps its last value, as inserting would.
    let mut members: Vec<(String, String)> = Vec::with_capacity(32);
    for (i, raw) in lines(text).enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some((k, v)) = split_key_value(line) {
            members.push((k.to_string(), v.to_string()));
        } else if i == 0 {
            let title = line.trim().trim_end_matches(':');
            if !title.is_empty() {
                members.push(("_title".into(), title.to_string()));
            }
        } else if let Some((_, prev)) = members.last_mut().filter(|(k, _)| k != "_title") {
            prev.push('\n');
            prev.push_str(line);
        }
    }
    members
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect()
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

fn id_value(v: &Value) -> Option<Value> {
    match v {
        Value::Number(_) => Some(v.clone()),
        Value::String(s) => Some(Value::String(s.trim().to_string())),
        Value::Object(m) => m.get("#text").or_else(|| m.get("value")).and_then(id_value),
        _ => None,
    }
}

/// Bring one record to the canonical shape, or say why it is not a Windows event.
pub fn normalize_windows_event(v: Value) -> Result<Value, String> {
    let Value::Object(mut m) = v else {
        return Err("Windows event is not a JSON object".into());
    };
    // EVTX as JSON: {"Event": {"System": {...}, "EventData": {...}}}
    if let Some(Value::Object(ev)) = m.get("Event").cloned()
        && let Some(Value::Object(sys)) = ev.get("System")
    {
        let mut out = Map::new();
        if let Some(id) = sys.get("EventID").and_then(id_value) {
            out.insert("EventId".into(), id);
        }
        let mut desc = match ev.get("EventData") {
            Some(Value::Object(d)) => d.clone(),
            _ => Map::new(),
        };
        desc.retain(|_, v| !v.is_null());
        out.insert("Description".into(), Value::Object(desc));
        if let Some(c) = sys.get("Computer") {
            out.insert("MachineName".into(), c.clone());
        }
        if let Some(c) = sys.get("Channel") {
            out.insert("LogName".into(), c.clone());
        }
        if let Some(p) = sys
            .get("Provider")
            .and_then(|p| p.pointer("/#attributes/Name"))
        {
            out.insert("ProviderName".into(), p.clone());
        }
        if let Some(t) = sys
            .get("TimeCreated")
            .and_then(|t| t.pointer("/#attributes/SystemTime"))
        {
            out.insert("TimeCreated".into(), t.clone());
        }
        if let Some(r) = sys.get("EventRecordID") {
            out.insert("Index".into(), r.clone());
        }
        if let Some(u) = sys
            .get("Security")
            .and_then(|s| s.pointer("/#attributes/UserID"))
        {
            out.insert("UserName".into(), u.clone());
        }
        for (k, v) in m {
            if k != "Event" {
                out.insert(k, v);
            }
        }
        return Ok(Value::Object(out));
    }
    if !m.contains_key("EventId") {
        match m.get("EventID").and_then(id_value) {
            Some(id) => {
                m.insert("EventId".into(), id);
            }
            None => return Err("Windows event has no EventId/EventID".into()),
        }
    } else if let Some(Value::String(s)) = m.get_mut("EventId")
        && s.trim().len() != s.len()
    {
        *s = s.trim().to_string();
    } else if let Some(Value::Object(_)) = m.get("EventId")
        && let Some(id) = m.get("EventId").and_then(id_value)
    {
        m.insert("EventId".into(), id);
    }
    // NXLog-style records have both the rendered `Message` and Sysmon's own `Description`
    // data field (the image's file description) at the top level: the message wins.
    let desc = match (m.get("Message"), m.get("Description")) {
        (Some(Value::String(s)), _) => Some(parse_description(s)),
        (_, Some(Value::String(s))) => Some(parse_description(s)),
        (_, Some(Value::Object(_))) => None,
        _ => match (m.get("Message"), m.get("EventData")) {
            (Some(Value::String(s)), _) => Some(parse_description(s)),
            (_, Some(Value::String(s))) if s.trim_start().starts_with('{') => {
                match serde_json::from_str::<Value>(s) {
                    Ok(Value::Object(o)) => Some(o),
                    _ => return Err("EventData is a string but not a JSON object".into()),
                }
            }
            (_, Some(Value::Object(o))) => Some(o.clone()),
            // Shippers that flatten the event data to the top level.
            _ => Some(
                m.iter()
                    .filter(|(_, v)| !v.is_object())
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
        },
    };
    if let Some(d) = desc {
        m.insert("Description".into(), Value::Object(d));
    }
    Ok(Value::Object(m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn description_lines_with_inner_description() {
        let d = parse_description(
            "Process Create:\r\nRuleName: -\r\nUtcTime: 2023-10-03 23:50:22.438\r\nImage: C:\\x.exe\r\nDescription: Windows Command Processor\r\nCommandLine: a\r\nsecond line\r\nUser: NT AUTHORITY\\SYSTEM\r\nParentUser: ",
        );
        assert_eq!(d["_title"], json!("Process Create"));
        assert_eq!(d["Description"], json!("Windows Command Processor"));
        assert_eq!(d["CommandLine"], json!("a\nsecond line"));
        assert_eq!(d["UtcTime"], json!("2023-10-03 23:50:22.438"));
        assert_eq!(d["ParentUser"], json!(""));
    }

    #[test]
    fn event_id_string_or_number_and_other_shapes() {
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
    }
}
