//! Parsers from raw records to JSON events, one per input format.

mod alb;
mod delimited;
mod windows_event;

use bumpalo::Bump;
use regex::Regex;

use crate::event::{Members, Node, finish_object, parse_json};

use crate::config::FormatConfig;

pub use alb::parse_alb_line;
pub use delimited::{UNTERMINATED, split_delimited};
pub use windows_event::{normalize_windows_event, parse_description};

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
pub enum LineResult<'a> {
    Event(Node<'a>),
    /// A header, comment or blank line.
    Skip,
    Error(String),
    /// The line opens a quoted field that it does not close: the record goes on in the next
    /// lines (CSV/TSV; never for a space delimiter, where a stray quote is a broken line).
    /// Join lines until `Parser::closes` and parse them as one.
    Open,
    /// Several JSON documents one after another on the line (as Firehose writes records
    /// without a delimiter, `{…}{…}`): each is parsed on its own, placed by its number on the
    /// line. What follows a document that cannot be read is one piece.
    Several(Vec<&'a [u8]>),
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

    /// Whether inputs are JSON documents (else one record per line).
    pub fn is_document(&self) -> bool {
        matches!(self, Parser::Json { .. })
    }

    /// The key whose array holds a document's events (`None`: the document is the event).
    pub fn records_key(&self) -> Option<&str> {
        match self {
            Parser::Json { records_key } => records_key.as_deref(),
            _ => None,
        }
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

    /// Whether `line`, following lines that gave `LineResult::Open`, ends that record.
    pub fn closes(&self, line: &[u8]) -> bool {
        match self {
            Parser::Delimited { delimiter, .. } => match std::str::from_utf8(line) {
                Ok(s) => delimited::closes_open_field(s, *delimiter),
                // Not text: end the record here; parsing it reports the bytes.
                Err(_) => true,
            },
            _ => true,
        }
    }

    /// Per-input line state (a delimited header is read from each input).
    pub fn lines(&self) -> LineParser<'_> {
        LineParser {
            parser: self,
            header: None,
        }
    }

    /// Events of a whole JSON document, built in `bump`.
    pub fn document_events<'a>(
        &self,
        bump: &'a Bump,
        bytes: &'a [u8],
    ) -> Result<Vec<Node<'a>>, String> {
        let doc = parse_json(bump, bytes).map_err(|e| format!("invalid JSON document: {e}"))?;
        let Parser::Json { records_key } = self else {
            return Ok(vec![doc]);
        };
        let node = match records_key {
            Some(k) => match doc {
                Node::Object(_) => doc
                    .get(k)
                    .ok_or_else(|| format!("document has no `{k}` key"))?,
                _ => return Err(format!("document is not an object with `{k}`")),
            },
            None => doc,
        };
        Ok(match node {
            Node::Array(items) => items.to_vec(),
            other => vec![other],
        })
    }
}

pub struct LineParser<'a> {
    parser: &'a Parser,
    header: Option<Vec<String>>,
}

impl LineParser<'_> {
    /// Parse one line into an event in `bump` (its strings may borrow from `line`).
    pub fn parse<'a>(&mut self, bump: &'a Bump, line: &'a [u8]) -> LineResult<'a> {
        if line.iter().all(|b| b.is_ascii_whitespace()) {
            return LineResult::Skip;
        }
        match self.parser {
            Parser::JsonLines | Parser::Json { .. } => json_line(bump, line),
            Parser::WindowsEvent => match json_line(bump, line) {
                LineResult::Event(v) => normalize_windows_event(bump, v)
                    .map_or_else(LineResult::Error, LineResult::Event),
                other => other,
            },
            Parser::Alb => match text(line) {
                Ok(s) => parse_alb_line(bump, s).map_or_else(LineResult::Error, LineResult::Event),
                Err(e) => LineResult::Error(e),
            },
            Parser::Regex(re) => match text(line) {
                Ok(s) => match re.captures(s) {
                    Some(c) => {
                        let mut m = Members::new_in(bump);
                        for name in re.capture_names().flatten() {
                            if let Some(v) = c.name(name) {
                                m.push((bump.alloc_str(name), Node::Str(v.as_str())));
                            }
                        }
                        LineResult::Event(finish_object(m))
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
                    Err(e) if e == UNTERMINATED && *delimiter != ' ' => return LineResult::Open,
                    Err(e) => return LineResult::Error(e),
                };
                if *header {
                    match &self.header {
                        None => {
                            self.header =
                                Some(fields.into_iter().map(|f| f.into_owned()).collect());
                            return LineResult::Skip;
                        }
                        // The header again: files joined end to end (`cat a.csv b.csv`).
                        Some(h)
                            if h.len() == fields.len()
                                && h.iter().zip(&fields).all(|(a, b)| a == b) =>
                        {
                            return LineResult::Skip;
                        }
                        Some(_) => {}
                    }
                }
                let names = self.header.as_ref().unwrap_or(columns);
                let mut m = Members::with_capacity_in(fields.len(), bump);
                for (i, v) in fields.into_iter().enumerate() {
                    if null_values.iter().any(|n| *n == v) {
                        continue;
                    }
                    let key: &'a str = match names.get(i) {
                        Some(k) => bump.alloc_str(k),
                        None => bump.alloc_str(&format!("column_{}", i + 1)),
                    };
                    let v: &'a str = match v {
                        std::borrow::Cow::Borrowed(b) => b,
                        std::borrow::Cow::Owned(o) => bump.alloc_str(&o),
                    };
                    m.push((key, Node::Str(v)));
                }
                LineResult::Event(finish_object(m))
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

fn json_line<'a>(bump: &'a Bump, line: &'a [u8]) -> LineResult<'a> {
    match parse_json(bump, line) {
        Ok(v @ Node::Object(_)) => LineResult::Event(v),
        Ok(_) => LineResult::Error("JSON line is not an object".into()),
        Err(e) if e.to_string().starts_with("trailing characters") => match split_documents(line) {
            Some(pieces) => LineResult::Several(pieces),
            None => LineResult::Error(format!("invalid JSON: {e}")),
        },
        Err(e) => LineResult::Error(format!("invalid JSON: {e}")),
    }
}

/// The JSON documents one after another in `line` (blanks between them dropped), when there
/// are several; what follows the last readable one is one more piece.
fn split_documents(line: &[u8]) -> Option<Vec<&[u8]>> {
    let mut docs = serde_json::Deserializer::from_slice(line).into_iter::<serde::de::IgnoredAny>();
    let mut pieces = Vec::new();
    let mut start = 0;
    loop {
        match docs.next() {
            None => break,
            Some(Ok(_)) => {
                let end = docs.byte_offset();
                pieces.push(line[start..end].trim_ascii());
                start = end;
            }
            Some(Err(_)) => {
                pieces.push(line[start..].trim_ascii());
                break;
            }
        }
    }
    (pieces.len() > 1).then_some(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_one_after_another_on_a_line() {
        let pieces = split_documents(br#"{"a":1}{"b":[1,"}{"]} {"c":2}"#).unwrap();
        assert_eq!(
            pieces,
            [&br#"{"a":1}"#[..], br#"{"b":[1,"}{"]}"#, br#"{"c":2}"#]
        );
        // What cannot be read after a good document is one piece, kept as it is.
        let pieces = split_documents(br#"{"a":1} oops {"c":2}"#).unwrap();
        assert_eq!(pieces, [&br#"{"a":1}"#[..], br#"oops {"c":2}"#]);
        assert!(split_documents(br#"{"a":1}"#).is_none());
        assert!(split_documents(br#"{"a":"#).is_none());
    }
}
