//! JSON documents read as a stream: the events of a document are the elements of the array
//! under its records key (`Records`, as in CloudTrail), or the document itself without a key.
//! Documents may follow one another (concatenated, as Firehose writes them to S3, or one per
//! line). Only one event's bytes are held at a time, so a document of any size runs in bounded
//! memory; each event is parsed on its own, so a broken one costs only itself.

use std::io::{self, BufRead};

/// What the reader found next.
pub enum Piece<'b> {
    /// One event's JSON text.
    Event(&'b [u8]),
    /// An event longer than the cap: its first bytes and its length.
    TooLong { head: &'b [u8], len: u64 },
    /// A document without the records key (or not an object): why, and its first bytes.
    NoRecords { message: String, raw: &'b [u8] },
}

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The text is not JSON where the structure around the events is read; the reader cannot
    /// find the next event after this.
    #[error("invalid JSON document at byte {offset}: {message}")]
    Syntax { offset: u64, message: String },
}

enum State {
    /// Between documents.
    Between,
    /// In a document's top-level object, looking for the records key.
    Members { found: bool, first: bool },
    /// In an array of events; `top`: the document itself is the array.
    Elements { top: bool, first: bool },
}

pub struct DocumentReader<R> {
    r: R,
    key: Option<String>,
    max: usize,
    state: State,
    /// Bytes consumed so far.
    offset: u64,
    /// The value being read (up to `max` bytes).
    buf: Vec<u8>,
    /// While a document is searched for its records key: its bytes so far (up to `max`), for
    /// a dead letter when it has none.
    tap: Option<Vec<u8>>,
    /// A value is being read: after an error, `buf` holds its beginning.
    in_value: bool,
    value_start: u64,
}

impl<R: BufRead> DocumentReader<R> {
    pub fn new(r: R, key: Option<&str>, max: usize) -> Self {
        DocumentReader {
            r,
            key: key.map(str::to_string),
            max,
            state: State::Between,
            offset: 0,
            buf: Vec::new(),
            tap: None,
            in_value: false,
            value_start: 0,
        }
    }

    /// After an error: the rest of the input, from the value that was being read (if any),
    /// its first `max` bytes into `out`. Returns how many bytes the rest had.
    pub fn rest(&mut self, out: &mut Vec<u8>) -> io::Result<u64> {
        out.clear();
        let mut total = 0;
        if self.in_value {
            out.extend_from_slice(&self.buf);
            total = self.offset - self.value_start;
        }
        loop {
            let chunk = self.r.fill_buf()?;
            if chunk.is_empty() {
                return Ok(total);
            }
            let n = chunk.len();
            let room = self.max.saturating_sub(out.len());
            out.extend_from_slice(&chunk[..n.min(room)]);
            total += n as u64;
            self.r.consume(n);
            self.offset += n as u64;
        }
    }

    /// Bytes read so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    pub fn next_piece(&mut self) -> Result<Option<Piece<'_>>, DocumentError> {
        loop {
            match self.state {
                State::Between => {
                    let Some(c) = self.skip_ws()? else {
                        return Ok(None);
                    };
                    match (c, self.key.is_some()) {
                        (b'[', false) => {
                            self.consume(1)?;
                            self.state = State::Elements {
                                top: true,
                                first: true,
                            };
                        }
                        (b'{', true) => {
                            self.consume(1)?;
                            self.tap = Some(b"{".to_vec());
                            self.state = State::Members {
                                found: false,
                                first: true,
                            };
                        }
                        (_, false) => return self.value_piece(),
                        (_, true) => {
                            self.value(true)?;
                            let message = format!(
                                "document is not an object with `{}`",
                                self.key.as_deref().unwrap_or_default()
                            );
                            return Ok(Some(self.no_records(message)));
                        }
                    }
                }
                State::Members { found, first } => {
                    let c = self.expect_more("`}` or a member")?;
                    if c == b'}' {
                        self.consume(1)?;
                        self.state = State::Between;
                        let tap = self.tap.take();
                        if !found {
                            self.buf = tap.unwrap_or_default();
                            let message = format!(
                                "document has no `{}` key",
                                self.key.as_deref().unwrap_or_default()
                            );
                            return Ok(Some(self.no_records(message)));
                        }
                        continue;
                    }
                    if !first {
                        self.separator(c, "`,` or `}` after a member")?;
                    }
                    self.state = State::Members {
                        found,
                        first: false,
                    };
                    if self.expect_more("a member name")? != b'"' {
                        return Err(self.syntax("expected a member name"));
                    }
                    self.value(true)?;
                    let name: String = serde_json::from_slice(&self.buf)
                        .map_err(|e| self.syntax(&format!("member name: {e}")))?;
                    if self.expect_more("`:`")? != b':' {
                        return Err(self.syntax("expected `:` after a member name"));
                    }
                    self.consume(1)?;
                    let c = self.expect_more("a value")?;
                    if !found && Some(name.as_str()) == self.key.as_deref() {
                        self.tap = None;
                        self.state = State::Members {
                            found: true,
                            first: false,
                        };
                        if c == b'[' {
                            self.consume(1)?;
                            self.state = State::Elements {
                                top: false,
                                first: true,
                            };
                            continue;
                        }
                        // A single record under the key is the one event.
                        return self.value_piece();
                    }
                    self.value(false)?;
                }
                State::Elements { top, first } => {
                    let c = self.expect_more("`]` or an event")?;
                    if c == b']' {
                        self.consume(1)?;
                        self.state = if top {
                            State::Between
                        } else {
                            State::Members {
                                found: true,
                                first: false,
                            }
                        };
                        continue;
                    }
                    if !first {
                        self.separator(c, "`,` or `]` after an event")?;
                        if self.expect_more("an event")? == b']' {
                            return Err(self.syntax("`,` before `]`"));
                        }
                    }
                    self.state = State::Elements { top, first: false };
                    return self.value_piece();
                }
            }
        }
    }

    /// The next value as an event (or too long for one).
    fn value_piece(&mut self) -> Result<Option<Piece<'_>>, DocumentError> {
        let len = self.value(true)?;
        Ok(Some(if len > self.max as u64 {
            Piece::TooLong {
                head: &self.buf,
                len,
            }
        } else {
            Piece::Event(&self.buf)
        }))
    }

    fn no_records(&self, message: String) -> Piece<'_> {
        Piece::NoRecords {
            message,
            raw: &self.buf,
        }
    }

    fn syntax(&self, message: &str) -> DocumentError {
        DocumentError::Syntax {
            offset: self.offset,
            message: message.to_string(),
        }
    }

    /// A `,` between members or events; anything else is an error.
    fn separator(&mut self, c: u8, what: &str) -> Result<(), DocumentError> {
        if c != b',' {
            return Err(self.syntax(&format!("expected {what}")));
        }
        self.consume(1)?;
        Ok(())
    }

    /// The next byte that is not white space, not consumed; the input must go on.
    fn expect_more(&mut self, what: &str) -> Result<u8, DocumentError> {
        match self.skip_ws()? {
            Some(c) => Ok(c),
            None => Err(self.syntax(&format!("the input ends where {what} belongs"))),
        }
    }

    fn skip_ws(&mut self) -> io::Result<Option<u8>> {
        loop {
            let chunk = self.r.fill_buf()?;
            if chunk.is_empty() {
                return Ok(None);
            }
            match chunk.iter().position(|b| !b.is_ascii_whitespace()) {
                Some(i) => {
                    let c = chunk[i];
                    self.consume(i)?;
                    return Ok(Some(c));
                }
                None => {
                    let n = chunk.len();
                    self.consume(n)?;
                }
            }
        }
    }

    fn consume(&mut self, n: usize) -> io::Result<()> {
        if let Some(tap) = &mut self.tap {
            let chunk = self.r.fill_buf()?;
            let room = self.max.saturating_sub(tap.len());
            tap.extend_from_slice(&chunk[..n.min(room)]);
        }
        self.r.consume(n);
        self.offset += n as u64;
        Ok(())
    }

    /// The bytes up to the end of the line (its `\n` consumed too) as a value, so that the
    /// event parser reports them.
    fn rest_of_line(&mut self, keep: bool, start: u64) -> Result<u64, DocumentError> {
        loop {
            let chunk = self.r.fill_buf()?;
            if chunk.is_empty() {
                break;
            }
            let (n, end) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            if keep {
                let room = self.max.saturating_sub(self.buf.len());
                self.buf.extend_from_slice(&chunk[..n.min(room)]);
            }
            self.consume(n)?;
            if end {
                break;
            }
        }
        self.in_value = false;
        Ok(self.offset - start)
    }

    /// Read one value (an object, array, string or scalar) from the next byte, which is not
    /// white space. `keep`: its first `max` bytes go to `buf`. Returns its length. Brackets are
    /// only counted here; the event's parser checks what is inside.
    fn value(&mut self, keep: bool) -> Result<u64, DocumentError> {
        self.buf.clear();
        let start = self.offset;
        (self.in_value, self.value_start) = (true, start);
        let (mut depth, mut in_str, mut escaped) = (0usize, false, false);
        let first = self.r.fill_buf()?.first().copied();
        let scalar = !matches!(first, Some(b'{' | b'[' | b'"'));
        // A document on its own (no records key) that a line starting with `{` interrupts was
        // cut short (a writer stopped mid-line, then appended more): it ends there, to be a
        // dead letter of its own, and the next document is read from that line. Inside a whole
        // document a `{` can only follow `[`, `,` or `:` (a pretty-printer without indentation
        // puts it at the start of a line), and such a pretty-printer puts nothing after it on
        // its line (or only `}`). So a line that starts with `{` opens a new document when it
        // follows anything else, or a string (which cannot hold a raw line end), or when the
        // line goes on after the `{` (a compact document, as JSON lines have them). Only a cut
        // just after one of the three, followed by a bare `{` line, is not told apart.
        let documents_by_line = self.key.is_none() && matches!(self.state, State::Between);
        if matches!(first, Some(b'}' | b']' | b',' | b':')) {
            if documents_by_line {
                // What is left of a document cut short: up to the line's end, a dead letter.
                return self.rest_of_line(keep, start);
            }
            self.in_value = false;
            return Err(self.syntax("expected a value"));
        }
        // The byte before this one, and the last one that is not white space.
        let (mut prev, mut last_sig) = (0u8, 0u8);
        loop {
            let chunk = self.r.fill_buf()?;
            if chunk.is_empty() {
                if scalar && self.offset > start {
                    self.in_value = false;
                    return Ok(self.offset - start);
                }
                return Err(self.syntax("the input ends inside a value"));
            }
            let mut done = false;
            let mut i = 0;
            while i < chunk.len() {
                let c = chunk[i];
                if documents_by_line
                    && c == b'{'
                    && prev == b'\n'
                    && !scalar
                    && (in_str
                        || !matches!(last_sig, b'[' | b',' | b':')
                        || line_goes_on(&chunk[i + 1..]))
                {
                    done = true;
                    break;
                }
                prev = c;
                if !c.is_ascii_whitespace() {
                    last_sig = c;
                }
                if in_str {
                    if escaped {
                        escaped = false;
                    } else if c == b'\\' {
                        escaped = true;
                    } else if c == b'"' {
                        in_str = false;
                        if depth == 0 {
                            i += 1;
                            done = true;
                            break;
                        }
                    }
                } else if scalar {
                    if matches!(c, b',' | b']' | b'}' | b'{' | b'[' | b'"')
                        || c.is_ascii_whitespace()
                    {
                        done = true;
                        break;
                    }
                } else {
                    match c {
                        b'"' => in_str = true,
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                i += 1;
                                done = true;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                i += 1;
            }
            if keep {
                let room = self.max.saturating_sub(self.buf.len());
                self.buf.extend_from_slice(&chunk[..i.min(room)]);
            }
            self.consume(i)?;
            if done {
                self.in_value = false;
                return Ok(self.offset - start);
            }
        }
    }
}

/// Whether the line after a `{` that starts it holds more than a pretty-printer puts there
/// (white space, or the `}` of an empty object). Unknown when the line goes on beyond what
/// is buffered: then no.
fn line_goes_on(after: &[u8]) -> bool {
    for &b in after {
        if b == b'\n' {
            return false;
        }
        if !b.is_ascii_whitespace() {
            return b != b'}';
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Everything the reader gives, as text, with a small buffer so values span reads.
    fn pieces(text: &str, key: Option<&str>, max: usize) -> Vec<String> {
        pieces_read_by(7, text, key, max)
    }

    fn pieces_read_by(capacity: usize, text: &str, key: Option<&str>, max: usize) -> Vec<String> {
        let r = std::io::BufReader::with_capacity(capacity, text.as_bytes());
        let mut d = DocumentReader::new(r, key, max);
        let mut out = Vec::new();
        loop {
            match d.next_piece() {
                Ok(None) => break,
                Ok(Some(Piece::Event(b))) => out.push(String::from_utf8_lossy(b).into_owned()),
                Ok(Some(Piece::TooLong { head, len })) => {
                    out.push(format!("too long {len}: {}", String::from_utf8_lossy(head)))
                }
                Ok(Some(Piece::NoRecords { message, raw })) => {
                    out.push(format!("{message}: {}", String::from_utf8_lossy(raw)))
                }
                Err(e) => {
                    out.push(e.to_string());
                    break;
                }
            }
        }
        out
    }

    #[test]
    fn events_under_the_key_of_each_document() {
        let text = r#" {"Records": [{"a": "x]}"}, {"b": [1, {"c": "\"}"}]}], "n": 2}
            {"other": {"Records": 1}, "Records": []}{"Records":[ 3 ,"s"]} "#;
        assert_eq!(
            pieces(text, Some("Records"), 1 << 20),
            vec![
                r#"{"a": "x]}"}"#,
                r#"{"b": [1, {"c": "\"}"}]}"#,
                "3",
                r#""s""#
            ]
        );
    }

    #[test]
    fn concatenated_documents_and_top_level_arrays() {
        let text = "{\"a\":1}{\"a\":2}\n{\"a\":3}\n[{\"a\":4},{\"a\":5}] 6";
        assert_eq!(
            pieces(text, None, 1 << 20),
            vec![
                r#"{"a":1}"#,
                r#"{"a":2}"#,
                r#"{"a":3}"#,
                r#"{"a":4}"#,
                r#"{"a":5}"#,
                "6"
            ]
        );
    }

    #[test]
    fn a_document_cut_short_ends_at_the_next_line_that_opens_one() {
        let text = concat!(
            "{\"a\":1}\n",
            // Cut inside a string, then inside a number of a nested object.
            "{\"a\":\"cut\n",
            "{\"a\":3}\n",
            "{\"b\": {\"c\": 5\n",
            "{\"d\": 1}\n",
            "}\n}\n",
            // Pretty-printed without indentation (Python's `indent=0`): its `{` that start a line
            // follow `[` or `,`, so it is one document.
            "{\n\"x\": [\n{\n\"d\": 1\n},\n{\n\"d\": 2\n}\n]\n}\n",
            "{\"e\":\n",
        );
        assert_eq!(
            pieces(text, None, 1 << 20),
            vec![
                r#"{"a":1}"#,
                "{\"a\":\"cut\n",
                r#"{"a":3}"#,
                "{\"b\": {\"c\": 5\n",
                r#"{"d": 1}"#,
                // What is left of the cut document, line by line, up to the next document.
                "}\n",
                "}\n",
                "{\n\"x\": [\n{\n\"d\": 1\n},\n{\n\"d\": 2\n}\n]\n}",
                // Cut at the end: the error keeps it (see `rest`).
                "invalid JSON document at byte 95: the input ends inside a value",
            ]
        );
        // Cut just after `,`, `:` or `[`: the next line goes on after its `{`, so it is a
        // document of its own, not a member of the cut one.
        let text =
            "{\"a\":1,\n{\"a\":2}\n{\"b\":\n{\"a\":3}\n{\"c\":[\n{\"a\":4}\n{\"z\":[\n{}\n]}\n";
        assert_eq!(
            pieces_read_by(4096, text, None, 1 << 20),
            vec![
                "{\"a\":1,\n",
                r#"{"a":2}"#,
                "{\"b\":\n",
                r#"{"a":3}"#,
                "{\"c\":[\n",
                r#"{"a":4}"#,
                "{\"z\":[\n{}\n]}",
            ]
        );
        let pretty = "{\n  \"b\": {\n    \"c\": 1\n  }\n}\n{\"e\":2}";
        assert_eq!(
            pieces(pretty, None, 1 << 20),
            vec!["{\n  \"b\": {\n    \"c\": 1\n  }\n}", r#"{"e":2}"#]
        );
        // Under a records key the structure is read, not lines.
        let text = "{\"Records\":[\n{\"a\":1},\n{\"a\":2}]}";
        assert_eq!(
            pieces(text, Some("Records"), 1 << 20),
            vec![r#"{"a":1}"#, r#"{"a":2}"#]
        );
    }

    #[test]
    fn documents_without_the_key_and_long_events() {
        let text = r#"{"x": 1} [1] {"Records": [{"big": "0123456789"}, {"s": 1}]}"#;
        assert_eq!(
            pieces(text, Some("Records"), 12),
            vec![
                "document has no `Records` key: {\"x\": 1}",
                "document is not an object with `Records`: [1]",
                r#"too long 21: {"big": "012"#,
                r#"{"s": 1}"#,
            ]
        );
    }

    #[test]
    fn broken_structure_stops_with_the_offset() {
        let got = pieces(r#"{"Records": [{"a": 1} {"a": 2}]}"#, Some("Records"), 100);
        assert_eq!(got[0], r#"{"a": 1}"#);
        assert_eq!(
            got[1],
            "invalid JSON document at byte 22: expected `,` or `]` after an event"
        );
        let got = pieces(r#"{"Records": [{"a": 1}, {"a": "#, Some("Records"), 100);
        assert_eq!(got[0], r#"{"a": 1}"#);
        assert!(got[1].contains("the input ends inside a value"), "{got:?}");
        let got = pieces(r#"{"Records": [{"a": 1},]}"#, Some("Records"), 100);
        assert!(got[1].contains("`,` before `]`"), "{got:?}");
    }
}
