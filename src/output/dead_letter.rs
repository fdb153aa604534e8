//! Dead letters: events that cannot be written to the lake, kept with their raw form, origin and
//! reason as JSON lines beside the lake.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct DeadLetter {
    pub source: String,
    pub origin: Origin,
    pub reason: Reason,
    /// The raw record (lossy UTF-8 when it was not valid UTF-8).
    pub raw: String,
}

impl DeadLetter {
    pub fn new(
        source: &str,
        input: &str,
        position: u64,
        kind: &str,
        message: String,
        raw: String,
    ) -> DeadLetter {
        DeadLetter {
            source: source.to_string(),
            origin: Origin {
                input: input.to_string(),
                position,
            },
            reason: Reason {
                kind: kind.to_string(),
                message,
            },
            raw,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Origin {
    pub input: String,
    /// Line number (1-based) or record index within the input.
    pub position: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Reason {
    pub kind: String,
    pub message: String,
}

pub fn dead_letter_key(prefix: &str, source: &str, name: &str) -> String {
    let p = super::lake::folder(prefix);
    format!(
        "{p}{}/{}.jsonl",
        super::lake::sanitize(source),
        super::lake::sanitize(name)
    )
}

pub fn encode_lines(letters: &[DeadLetter]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in letters {
        serde_json::to_writer(&mut out, l).expect("dead letters serialise");
        out.push(b'\n');
    }
    out
}
