//! CloudWatch Logs subscription payloads: JSON envelopes with `messageType` DATA_MESSAGE (log
//! events) or CONTROL_MESSAGE (a reachability check). They arrive gzip-compressed one per
//! Kinesis record, or one after another in an S3 object written by Firehose. Other gzip Kinesis
//! records (shippers that compress what they put, e.g. JSON lines) are given back decompressed.

use std::io::Read;

use serde::Deserialize;

#[derive(Debug)]
pub enum Payload {
    Control,
    /// The `message` of each log event, in order.
    Data(Vec<String>),
    /// Gzip data that is not a subscription payload: the record's own data, decompressed.
    Other(Vec<u8>),
}

/// One subscription envelope.
#[derive(Debug)]
pub enum Envelope {
    Control,
    /// The `message` of each log event, in order.
    Data(Vec<String>),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    message_type: String,
    #[serde(default)]
    log_events: Vec<LogEvent>,
}

#[derive(Deserialize)]
struct LogEvent {
    message: String,
}

/// Cap on a decompressed payload (Kinesis records are at most 1 MiB compressed).
const MAX_DECOMPRESSED: u64 = 64 << 20;

/// Whether the decoded text of an input starts like a subscription envelope: an object whose
/// first member is `messageType` with one of the two values CloudWatch Logs writes (a log of
/// one's own with a `messageType` field is not taken for one), or, as a tool that sorts keys
/// writes the envelope again, `logEvents` holding an array of objects.
pub fn starts_envelope(head: &[u8]) -> bool {
    let member = |rest: &[u8], name: &[u8]| -> Option<usize> {
        let r = rest.trim_ascii_start().strip_prefix(name)?;
        let r = r.trim_ascii_start().strip_prefix(b":")?;
        Some(rest.len() - r.trim_ascii_start().len())
    };
    let rest = head.trim_ascii_start();
    let Some(rest) = rest.strip_prefix(b"{") else {
        return false;
    };
    if let Some(at) = member(rest, b"\"messageType\"") {
        let value = &rest[at..];
        return value.starts_with(b"\"DATA_MESSAGE\"") || value.starts_with(b"\"CONTROL_MESSAGE\"");
    }
    match member(rest, b"\"logEvents\"") {
        Some(at) => rest[at..]
            .strip_prefix(b"[")
            .is_some_and(|r| r.trim_ascii_start().starts_with(b"{")),
        None => false,
    }
}

/// One envelope's JSON text: `Ok(None)` when it is JSON but not an envelope.
pub fn parse_envelope(json: &[u8]) -> Result<Option<Envelope>, String> {
    let Ok(env) = serde_json::from_slice::<Wire>(json) else {
        return match serde_json::from_slice::<serde::de::IgnoredAny>(json) {
            Ok(_) => Ok(None),
            Err(e) => Err(format!("invalid JSON: {e}")),
        };
    };
    match env.message_type.as_str() {
        "CONTROL_MESSAGE" => Ok(Some(Envelope::Control)),
        "DATA_MESSAGE" => Ok(Some(Envelope::Data(
            env.log_events.into_iter().map(|e| e.message).collect(),
        ))),
        other => Err(format!("unknown CloudWatch Logs messageType {other:?}")),
    }
}

/// A gzip Kinesis record: a subscription envelope, or other compressed data.
pub fn decode(gz: &[u8]) -> Result<Payload, String> {
    let mut json = Vec::new();
    flate2::read::MultiGzDecoder::new(gz)
        .take(MAX_DECOMPRESSED + 1)
        .read_to_end(&mut json)
        .map_err(|e| format!("gzip record is not valid gzip: {e}"))?;
    if json.len() as u64 > MAX_DECOMPRESSED {
        return Err(format!(
            "gzip record decompresses to more than {MAX_DECOMPRESSED} bytes"
        ));
    }
    match parse_envelope(&json) {
        Ok(Some(Envelope::Control)) => Ok(Payload::Control),
        Ok(Some(Envelope::Data(m))) => Ok(Payload::Data(m)),
        Err(e) if e.starts_with("unknown") => Err(e),
        // Not an envelope (or not JSON at all): the record's own data.
        _ => Ok(Payload::Other(json)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::decompress::gz;

    #[test]
    fn inputs_that_start_with_an_envelope() {
        assert!(starts_envelope(
            br#"{"messageType":"DATA_MESSAGE","owner":"x"#
        ));
        assert!(starts_envelope(
            b"\n{ \"messageType\" : \"CONTROL_MESSAGE\", \"logEvents\": []}"
        ));
        // A log of one's own with such a field, or the field elsewhere, is not an envelope.
        assert!(!starts_envelope(br#"{"messageType":"login","user":"a"}"#));
        assert!(!starts_envelope(
            br#"{"owner":"x","messageType":"DATA_MESSAGE"}"#
        ));
        assert!(!starts_envelope(br#"[{"messageType":"DATA_MESSAGE"}]"#));
        assert!(!starts_envelope(b""));
        // Keys sorted (written again by another tool): `logEvents` comes first.
        assert!(starts_envelope(
            br#"{"logEvents": [ {"id":"1","message":"m"}],"messageType":"DATA_MESSAGE"}"#
        ));
        assert!(!starts_envelope(br#"{"logEvents":"none"}"#));
        assert!(!starts_envelope(br#"{"logEvents":[1]}"#));
    }

    #[test]
    fn envelope_documents() {
        let data = br#"{"messageType":"DATA_MESSAGE","logEvents":[{"id":"1","timestamp":1,"message":"a\nb"}]}"#;
        assert!(matches!(parse_envelope(data), Ok(Some(Envelope::Data(m))) if m == ["a\nb"]));
        assert!(matches!(parse_envelope(br#"{"other":1}"#), Ok(None)));
        assert!(
            parse_envelope(b"{")
                .unwrap_err()
                .starts_with("invalid JSON")
        );
    }

    #[test]
    fn subscription_payloads_and_other_gzip_records() {
        let data =
            gz(br#"{"messageType":"DATA_MESSAGE","logEvents":[{"message":"a"},{"message":"b"}]}"#);
        assert!(matches!(decode(&data), Ok(Payload::Data(m)) if m == ["a", "b"]));
        let control = gz(br#"{"messageType":"CONTROL_MESSAGE","logEvents":[]}"#);
        assert!(matches!(decode(&control), Ok(Payload::Control)));
        let lines = b"{\"EventId\":1}\n{\"EventId\":3}\n";
        assert!(matches!(decode(&gz(lines)), Ok(Payload::Other(d)) if d == lines));
        let odd = gz(br#"{"messageType":"SOMETHING_ELSE"}"#);
        assert!(decode(&odd).unwrap_err().contains("SOMETHING_ELSE"));
        let data = gz(b"x");
        assert!(decode(&data[..data.len() - 4]).is_err(), "truncated gzip");
    }
}
