//! CloudWatch Logs subscription payloads (as delivered into Kinesis): gzip JSON with
//! `messageType` DATA_MESSAGE (log events) or CONTROL_MESSAGE (a reachability check). Other
//! gzip records (shippers that compress what they put, e.g. JSON lines) are given back
//! decompressed.

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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
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
    let Ok(env) = serde_json::from_slice::<Envelope>(&json) else {
        return Ok(Payload::Other(json));
    };
    match env.message_type.as_str() {
        "CONTROL_MESSAGE" => Ok(Payload::Control),
        "DATA_MESSAGE" => Ok(Payload::Data(
            env.log_events.into_iter().map(|e| e.message).collect(),
        )),
        other => Err(format!("unknown CloudWatch Logs messageType {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::decompress::gz;

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
