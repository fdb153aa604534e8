//! Parsers from raw records to JSON events, one per input format.

mod alb;
mod delimited;
mod windows_event;

use regex::Regex;
use serde_json::{Map, Value};

use crate::config::FormatConfig;

pub use alb::parse_alb_line;
pub use delimited::split_delimited;
pub use windows_event::{normalize_windows_event, parse_description};

/// One raw record that became (or failed to become) an event.
#[derive(Debug)]
pub struct RawEvent {
    pub position: u64,
    pub raw: String,
    pub parsed: Result<Value, String>,
}

/// A compiled input format.
#[derive(Debug, Clone)]
pub enum Parser {
    JsonLines,
    Json {
        records_key: Option<String>,
    },
    WindowsEvent,
    Alb,
    Delimited {
        delimiter: char,
        columns: Vec<String>,
        header: bool,
        null_values: Vec<String>,
        comment: Option<String>,
    },
    Regex(Regex),
}

/// What one line gave.
pub enum LineResult {
    Event(Value),
    /// A header, comment or blank line.
    Skip,
    Error(String),
}

impl Parser {
    pub fn from_config(f: Option<&FormatConfig>) -> Result<Parser, String> {
        Ok(match f {
            None | Some(FormatConfig::JsonLines) => Parser::JsonLines,
            Some(FormatConfig::Json { records_key }) => Parser::Json {
                records_key: records_key.clone(),
            },
            Some(FormatConfig::WindowsEvent) => Parser::WindowsEvent,
            Some(FormatConfig::Alb) => Parser::Alb,
            Some(FormatConfig::Delimited {
                delimiter,
                columns,
                header,
                null_values,
                comment,
            }) => {
                let d = match delimiter.as_str() {
                    "tab" | "\\t" => '\t',
                    "space" => ' ',
                    "comma" => ',',
                    s if s.chars().count() == 1 => s.chars().next().unwrap_or(' '),
                    other => {
                        return Err(format!(
                            "delimiter must be one character (or tab/space/comma), got `{other}`"
                        ));
                    }
                };
                if columns.is_empty() && !header {
                    return Err("delimited format needs `columns` or `header: true`".into());
                }
                Parser::Delimited {
                    delimiter: d,
                    columns: columns.clone(),
                    header: *header,
                    null_values: null_values
                        .clone()
                        .unwrap_or_else(|| vec!["-".into(), String::new()]),
                    comment: comment.clone(),
                }
            }
            Some(FormatConfig::Regex { pattern }) => {
                let re = Regex::new(pattern).map_err(|e| format!("invalid regex: {e}"))?;
                if re.capture_names().flatten().next().is_none() {
                    return Err("regex format needs named captures, e.g. (?P<src_ip>\\S+)".into());
                }
                Parser::Regex(re)
            }
        })
    }

    /// Whether the whole input is one document (else one record per line).
    pub fn is_document(&self) -> bool {
        matches!(self, Parser::Json { .. })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Parser::JsonLines => "json_lines",
            Parser::Json { .. } => "json",
            Parser::WindowsEvent => "windows_event",
            Parser::Alb => "alb",
            Parser::Delimited { .. } => "delimited",
            Parser::Regex(_) => "regex",
        }
    }

    /// Per-input line state (a delimited header is read from each input).
    pub fn lines(&self) -> LineParser<'_> {
        LineParser {
            parser: self,
            header: None,
        }
    }

    /// Events of a whole JSON document.
    pub fn document_events(&self, bytes: &[u8]) -> Result<Vec<Value>, String> {
        let doc: Value =
            serde_json::from_slice(bytes).map_err(|e| format!("invalid JSON document: {e}"))?;
        let Parser::Json { records_key } = self else {
            return Ok(vec![doc]);
        };
        let node = match records_key {
            Some(k) => match doc {
                Value::Object(mut m) => m
                    .remove(k)
                    .ok_or_else(|| format!("document has no `{k}` key"))?,
                _ => return Err(format!("document is not an object with `{k}`")),
            },
            None => doc,
        };
        Ok(match node {
            Value::Array(items) => items,
            other => vec![other],
        })
    }
}

pub struct LineParser<'a> {
    parser: &'a Parser,
    header: Option<Vec<String>>,
}

impl LineParser<'_> {
    pub fn parse(&mut self, line: &[u8]) -> LineResult {
        if line.iter().all(|b| b.is_ascii_whitespace()) {
            return LineResult::Skip;
        }
        match self.parser {
            Parser::JsonLines => json_line(line),
            Parser::WindowsEvent => match json_line(line) {
                LineResult::Event(v) => {
                    normalize_windows_event(v).map_or_else(LineResult::Error, LineResult::Event)
                }
                other => other,
            },
            Parser::Json { .. } => json_line(line),
            Parser::Alb => match text(line) {
                Ok(s) => parse_alb_line(s).map_or_else(LineResult::Error, LineResult::Event),
                Err(e) => LineResult::Error(e),
            },
            Parser::Regex(re) => match text(line) {
                Ok(s) => match re.captures(s) {
                    Some(c) => {
                        let mut m = Map::new();
                        for name in re.capture_names().flatten() {
                            if let Some(v) = c.name(name) {
                                m.insert(name.to_string(), Value::String(v.as_str().to_string()));
                            }
                        }
                        LineResult::Event(Value::Object(m))
                    }
                    None => LineResult::Error("line does not match the format's regex".into()),
                },
                Err(e) => LineResult::Error(e),
            },
            Parser::Delimited {
                delimiter,
                columns,
                header,
                null_values,
                comment,
            } => {
                let s = match text(line) {
                    Ok(s) => s,
                    Err(e) => return LineResult::Error(e),
                };
                if comment.as_deref().is_some_and(|c| s.starts_with(c)) {
                    return LineResult::Skip;
                }
                let fields = match split_delimited(s, *delimiter) {
                    Ok(f) => f,
                    Err(e) => return LineResult::Error(e),
                };
                if *header && self.header.is_none() {
                    self.header = Some(fields);
                    return LineResult::Skip;
                }
                let names = self.header.as_ref().unwrap_or(columns);
                let mut m = Map::new();
                for (i, v) in fields.into_iter().enumerate() {
                    if null_values.contains(&v) {
                        continue;
                    }
                    let key = names
                        .get(i)
                        .cloned()
                        .unwrap_or_else(|| format!("column_{}", i + 1));
                    m.insert(key, Value::String(v));
                }
                LineResult::Event(Value::Object(m))
            }
        }
    }
}

fn text(line: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(line).map_err(|e| {
        format!(
            "line is not UTF-8 (invalid byte at offset {})",
            e.valid_up_to()
        )
    })
}

fn json_line(line: &[u8]) -> LineResult {
    match serde_json::from_slice::<Value>(line) {
        Ok(v @ Value::Object(_)) => LineResult::Event(v),
        Ok(_) => LineResult::Error("JSON line is not an object".into()),
        Err(e) => LineResult::Error(format!("invalid JSON: {e}")),
    }
}
