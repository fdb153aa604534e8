//! Dead letters: events that cannot be written to the lake, kept with their raw form, origin and
//! reason as JSON lines beside the lake.

use base64::Engine as _;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct DeadLetter {
    pub source: String,
    pub origin: Origin,
    pub reason: Reason,
    /// The raw record as text; when its bytes are not UTF-8, a rendering with U+FFFD in place
    /// of the invalid bytes, and `raw_base64` holds the bytes exactly.
    pub raw: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_base64: Option<String>,
}

/// The raw form of a record as a dead letter keeps it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Raw {
    text: String,
    base64: Option<String>,
}

impl Raw {
    /// Bytes as read: text when they are UTF-8, else a readable rendering plus the exact bytes
    /// in base64, so that nothing of the record is lost.
    pub fn bytes(b: &[u8]) -> Raw {
        match std::str::from_utf8(b) {
            Ok(s) => Raw {
                text: s.to_owned(),
                base64: None,
            },
            Err(_) => Raw {
                text: String::from_utf8_lossy(b).into_owned(),
                base64: Some(base64::engine::general_purpose::STANDARD.encode(b)),
            },
        }
    }

    /// Bytes this raw form takes (for memory accounting).
    pub fn len(&self) -> usize {
        self.text.len() + self.base64.as_ref().map_or(0, String::len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl From<String> for Raw {
    fn from(text: String) -> Raw {
        Raw { text, base64: None }
    }
}

impl DeadLetter {
    pub fn new(
        source: &str,
        input: &str,
        position: u64,
        kind: &str,
        message: String,
        raw: impl Into<Raw>,
    ) -> DeadLetter {
        let raw = raw.into();
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
            raw: raw.text,
            raw_base64: raw.base64,
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
