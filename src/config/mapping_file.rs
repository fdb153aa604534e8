//! Mapping files in the format of the reference transformation library, plus small extensions
//! (`common`, `default`, `ignore`; `literal` and `coalesce` value blocks).

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Deserialize)]
pub struct MappingFile {
    pub custom_source_events: SourceEvents,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SourceEvents {
    pub source_name: String,
    /// JSONPath whose value selects the entry of `ocsf_mapping`.
    pub matched_field: String,
    /// Where the event time is and how it is written (the reference uses it for `eventDay`).
    #[serde(default)]
    pub timestamp: Option<TimestampSpec>,
    pub ocsf_mapping: IndexMap<String, EventMapping>,
    /// Extension: attributes merged into every entry (an entry's own values win).
    #[serde(default)]
    pub common: Option<Map<String, Value>>,
    /// Extension: the mapping used for a matched value that has no entry.
    #[serde(default)]
    pub default: Option<EventMapping>,
    /// Extension: matched values that are deliberately not mapped (counted as ignored).
    #[serde(default)]
    pub ignore: Vec<Value>,
    /// Extension: matched values known not to fit OCSF, each with the reason written to its
    /// dead letters.
    #[serde(default)]
    pub unmappable: IndexMap<String, String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TimestampSpec {
    pub field: String,
    /// `epoch`, `epoch_ms`, or a strftime format such as `%Y-%m-%d %H:%M:%S.%f`.
    #[serde(default)]
    pub format: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EventMapping {
    /// The OCSF class name, e.g. `process_activity`.
    pub schema: String,
    #[serde(default)]
    pub schema_mapping: Map<String, Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl MappingFile {
    pub fn from_slice(bytes: &[u8]) -> Result<MappingFile, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}
