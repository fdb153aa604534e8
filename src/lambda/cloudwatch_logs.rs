//! CloudWatch Logs subscription payloads (as delivered into Kinesis): gzip JSON with
//! `messageType` DATA_MESSAGE (log events) or CONTROL_MESSAGE (a reachability check).

use std::io::Read;

use serde::Deserialize;

pub enum Payload {
    Control,
    /// The `message` of each log event, in order.
    Data(Vec<String>),
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
        .take(MAX_DECOMPRESSED)
        .read_to_end(&mut json)
        .map_err(|e| format!("CloudWatch Logs payload is not valid gzip: {e}"))?;
    let env: Envelope = serde_json::from_slice(&json)
        .map_err(|e| format!("CloudWatch Logs payload is not the subscription JSON: {e}"))?;
    match env.message_type.as_str() {
        "CONTROL_MESSAGE" => Ok(Payload::Control),
        "DATA_MESSAGE" => Ok(Payload::Data(
            env.log_events.into_iter().map(|e| e.message).collect(),
        )),
        other => Err(format!("unknown CloudWatch Logs messageType {other:?}")),
    }
}
