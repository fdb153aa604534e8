//! The sources config: which custom sources exist, where their events come from, how they are
//! parsed and where each OCSF class is written. Reads this project's format and the reference
//! library's `sources_config.json` (`input_paths`, `preprocessor_module`).

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Deserialize)]
pub struct SourcesConfig {
    pub sources: Vec<SourceConfig>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The keys a source entry knows (the fields of [`SourceConfig`]), for suggestions on a typo.
pub const SOURCE_KEYS: &[&str] = &[
    "name",
    "mapping_file",
    "format",
    "input",
    "account_id",
    "region",
    "classes",
    "limits",
    "input_paths",
    "preprocessor_module",
];

#[derive(Debug, Clone, Deserialize)]
pub struct SourceConfig {
    pub name: String,
    /// Mapping file, relative to the sources config's folder.
    #[serde(default)]
    pub mapping_file: Option<String>,
    /// How raw input is parsed into events; default JSON lines.
    #[serde(default)]
    pub format: Option<FormatConfig>,
    #[serde(default)]
    pub input: Option<InputConfig>,
    /// Partition value `accountId`; default: the running account.
    #[serde(default)]
    pub account_id: Option<PartitionValue>,
    /// Partition value `region`; default: the running region.
    #[serde(default)]
    pub region: Option<PartitionValue>,
    /// Output location per OCSF class (key: class name); default `ext/<source>/<class>/`.
    #[serde(default)]
    pub classes: IndexMap<String, ClassOutput>,
    /// Caps on one line and on the decompressed size of one input.
    #[serde(default)]
    pub limits: Limits,
    /// Reference format: `{"kinesis": {...}, "s3": {...}}`.
    #[serde(default)]
    pub input_paths: Option<Value>,
    /// Reference format: the Python preprocessor; mapped to a built-in format.
    #[serde(default)]
    pub preprocessor_module: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FormatConfig {
    /// One JSON object per line.
    JsonLines,
    /// One JSON document per input; events are the array under `records_key` (or the document).
    Json {
        #[serde(default)]
        records_key: Option<String>,
    },
    /// Windows event log records as JSON (Kinesis Agent for Windows and other shippers); the
    /// rendered `Description`/`Message` text becomes an object of its `Key: Value` lines.
    WindowsEvent,
    /// AWS Application Load Balancer access-log lines.
    Alb,
    /// Delimited text lines with named columns.
    Delimited {
        #[serde(default = "default_delimiter")]
        delimiter: String,
        #[serde(default)]
        columns: Vec<String>,
        /// Take the column names from the first line of each input.
        #[serde(default)]
        header: bool,
        /// Values that mean "absent" (default `-` and the empty string).
        #[serde(default)]
        null_values: Option<Vec<String>>,
        /// Lines starting with this are skipped (e.g. `#`).
        #[serde(default)]
        comment: Option<String>,
    },
    /// Text lines matched by a regular expression with named captures.
    Regex { pattern: String },
}

fn default_delimiter() -> String {
    " ".to_string()
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputConfig {
    #[serde(default)]
    pub kinesis: Option<KinesisInput>,
    #[serde(default)]
    pub s3: Vec<S3Input>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KinesisInput {
    /// Stream names or ARNs whose records belong to this source.
    #[serde(default)]
    pub streams: Vec<String>,
    /// A field of the payload whose value names the source (the reference's `metadata_field`).
    #[serde(default)]
    pub metadata_field: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Input {
    /// Bucket name; `*` and `?` match any characters (e.g. `ocsf-staging*`).
    pub bucket: String,
    /// Key prefix, a glob (`*`, `?`) allowed, e.g. `AWSLogs/*/network-firewall/`.
    #[serde(default)]
    pub prefix: String,
}

/// A partition value: a fixed string, a `$.` path into the event, or a regex capture from the
/// S3 key (`{"key_regex": "AWSLogs/(\\d{12})/"}`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum PartitionValue {
    Fixed(String),
    KeyRegex { key_regex: String },
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassOutput {
    /// Prefix under the lake root, e.g. `ext/sysmon-process/`.
    #[serde(default)]
    pub location: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    #[serde(default = "default_max_line")]
    pub max_line_bytes: usize,
    #[serde(default = "default_max_input")]
    pub max_decompressed_bytes: u64,
}

fn default_max_line() -> usize {
    1 << 20
}
fn default_max_input() -> u64 {
    16 << 30
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line_bytes: default_max_line(),
            max_decompressed_bytes: default_max_input(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `SOURCE_KEYS` names every field: an entry with all of them leaves nothing unknown.
    #[test]
    fn source_keys_are_the_fields() {
        let entry = serde_json::json!({
            "name": "s", "mapping_file": "m.json", "format": {"type": "json_lines"}, "input": {},
            "account_id": "external", "region": "external", "classes": {}, "limits": {},
            "input_paths": {}, "preprocessor_module": "p",
        });
        assert_eq!(entry.as_object().unwrap().len(), SOURCE_KEYS.len());
        let sc: SourceConfig = serde_json::from_value(entry).unwrap();
        assert!(sc.extra.is_empty(), "{:?}", sc.extra);
    }
}
