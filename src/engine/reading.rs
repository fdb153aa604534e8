//! Reading into a batch: an input's bytes (any compression) framed into lines, or one stream
//! record, parsed by the source's format into events; a record whose quoted field spans lines
//! is held until it closes; a spill is checked every few events.

use std::collections::VecDeque;
use std::io::Read;

use bumpalo::Bump;

use super::{Batch, InputError, SinkError};
use crate::event::parse_json;
use crate::input::cloudwatch_logs::{Envelope, parse_envelope, starts_envelope};
use crate::input::decompress::open_decoded_peek;
use crate::input::document::{DocumentError, DocumentReader, Piece};
use crate::input::held::{HeldRecord, NumberedLine};
use crate::input::parsers::{LineResult, UNTERMINATED};
use crate::input::{Frame, LineReader};

/// Cap on one CloudWatch Logs envelope's text (a subscription payload holds at most about
/// 1 MB of log events, escaped in JSON), unless the source's line cap is larger.
const ENVELOPE_MAX_BYTES: usize = 16 << 20;

/// How often (in events) the buffered size is measured.
const MEASURE_EVERY: u64 = 256;

/// The lines of a stream record with their numbers (from 1), each without its `\n` or `\r\n`
/// (shippers such as Kinesis Agent end a one-line record with one): the record's one line,
/// else each non-blank line; a record of blank lines as it is.
fn record_lines(record: &[u8]) -> Vec<(u64, &[u8])> {
    let body = record.strip_suffix(b"\n").unwrap_or(record);
    let body = body.strip_suffix(b"\r").unwrap_or(body);
    if memchr::memchr(b'\n', body).is_none() {
        return vec![(1, body)];
    }
    let lines: Vec<(u64, &[u8])> = body
        .split(|b| *b == b'\n')
        .enumerate()
        .map(|(i, l)| (i as u64 + 1, l.strip_suffix(b"\r").unwrap_or(l)))
        .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
        .collect();
    // A record of blank lines is still a record: the parser says what is wrong with it.
    if lines.is_empty() {
        vec![(1, record)]
    } else {
        lines
    }
}

impl Batch<'_> {
    /// Read one input (any compression) and add its events. `key` is the S3 key, for partition
    /// values captured from it.
    pub fn add_input<R: Read>(
        &mut self,
        input: &str,
        key: Option<&str>,
        reader: R,
    ) -> Result<(), InputError> {
        let limits = self.source.limits.clone();
        let fail = |position: u64, e: std::io::Error| InputError {
            input: input.to_string(),
            position,
            retryable: matches!(
                e.kind(),
                std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::TimedOut
                    | std::io::ErrorKind::Interrupted
                    | std::io::ErrorKind::BrokenPipe
                    | std::io::ErrorKind::Other
            ),
            message: e.to_string(),
        };
        let (_, head, r) =
            open_decoded_peek(reader, limits.max_decompressed_bytes).map_err(|e| fail(0, e))?;
        // Firehose writes a CloudWatch Logs subscription's envelopes one after another into
        // S3; their log events are the input's records, whatever the source's format.
        let envelopes = starts_envelope(&head);
        let spill_fail = |position: u64, e: SinkError| InputError {
            input: input.to_string(),
            position,
            retryable: e.retryable,
            message: format!("storing output: {}", e.message),
        };
        if envelopes {
            return self.add_envelopes(input, key, r, &fail, &spill_fail);
        }
        if self.source.parser.is_document() {
            return self.add_documents(input, key, r, &fail, &spill_fail);
        }
        let mut lines = LineReader::new(r, limits.max_line_bytes);
        let mut parser = self.source.parser.lines();
        let mut buf = Vec::with_capacity(4096);
        let mut arena = std::mem::take(&mut self.arena);
        // A record whose quoted field spans lines, and lines to read again after giving one up.
        let mut held = HeldRecord::default();
        let mut again: VecDeque<NumberedLine> = VecDeque::new();
        let mut replayed: Vec<u8>;
        let result = loop {
            arena.reset();
            let (pos, frame, line) = if let Some((p, l)) = again.pop_front() {
                replayed = l;
                (p, Frame::Line, replayed.as_slice())
            } else {
                let pos = lines.line_no + 1;
                match lines.next(&mut buf) {
                    Ok(Some((frame, line))) => {
                        self.stats.bytes_in += match frame {
                            Frame::TooLong { len } => len,
                            Frame::Line => line.len() as u64,
                        } + 1;
                        (pos, frame, line)
                    }
                    Ok(None) if held.is_open() => {
                        self.give_up_held(
                            &mut held,
                            &mut again,
                            "before the input ends",
                            input,
                            key,
                        );
                        continue;
                    }
                    Ok(None) => break Ok(()),
                    Err(e) => break Err(fail(pos - 1, e)),
                }
            };
            if held.is_open() {
                match frame {
                    Frame::Line if self.source.parser.closes(line) => {
                        held.push(pos, line);
                        let (first, text) = held.take();
                        let text = arena.alloc_slice_copy(&text);
                        let parsed = parser.parse(&arena, text);
                        self.add_line(input, first, text, parsed, &arena, key);
                    }
                    Frame::Line if held.len() + 1 + line.len() <= limits.max_line_bytes => {
                        held.push(pos, line)
                    }
                    Frame::Line => {
                        let why = format!("within {} bytes", limits.max_line_bytes);
                        self.give_up_held(&mut held, &mut again, &why, input, key);
                        again.push_back((pos, line.to_vec()));
                    }
                    Frame::TooLong { .. } => {
                        self.give_up_held(
                            &mut held,
                            &mut again,
                            "before an overlong line",
                            input,
                            key,
                        );
                    }
                }
                if !matches!(frame, Frame::TooLong { .. }) {
                    continue;
                }
            }
            match frame {
                Frame::TooLong { len } => {
                    let msg = format!(
                        "line of {len} bytes exceeds the limit of {} bytes (the first {} kept)",
                        limits.max_line_bytes,
                        line.len()
                    );
                    let raw = line;
                    self.add_event(input, pos, Some(raw), Err(msg), &arena, key);
                }
                Frame::Line => match parser.parse(&arena, line) {
                    LineResult::Open => held.push(pos, line),
                    parsed => self.add_line(input, pos, line, parsed, &arena, key),
                },
            }
            if self.stats.events_in.is_multiple_of(MEASURE_EVERY)
                && let Err(e) = self.spill_if_over()
            {
                break Err(spill_fail(pos, e));
            }
        };
        self.arena = arena;
        result
    }

    /// The events of JSON documents read as a stream (see `DocumentReader`): each is parsed
    /// on its own, so memory stays bounded by the largest event, and a broken event costs only
    /// itself. Broken structure between events ends the input with a dead letter holding what
    /// follows (up to the line limit).
    fn add_documents(
        &mut self,
        input: &str,
        key: Option<&str>,
        r: Box<dyn std::io::BufRead + '_>,
        fail: &dyn Fn(u64, std::io::Error) -> InputError,
        spill_fail: &dyn Fn(u64, SinkError) -> InputError,
    ) -> Result<(), InputError> {
        let max = self.source.limits.max_line_bytes;
        let mut docs = DocumentReader::new(r, self.source.parser.records_key(), max);
        let mut arena = std::mem::take(&mut self.arena);
        let mut n = 0u64;
        let mut read = 0u64;
        let result = loop {
            arena.reset();
            let end = match docs.next_piece() {
                Ok(None) => Some(Ok(())),
                Ok(Some(Piece::Event(text))) => {
                    n += 1;
                    let parsed = parse_json(&arena, text).map_err(|e| format!("invalid JSON: {e}"));
                    self.add_event(input, n, Some(text), parsed, &arena, key);
                    None
                }
                Ok(Some(Piece::TooLong { head, len })) => {
                    n += 1;
                    let msg = format!(
                        "record of {len} bytes exceeds the limit of {max} bytes (the first {} kept)",
                        head.len()
                    );
                    self.add_event(input, n, Some(head), Err(msg), &arena, key);
                    None
                }
                Ok(Some(Piece::NoRecords { message, raw })) => {
                    n += 1;
                    self.add_event(input, n, Some(raw), Err(message), &arena, key);
                    None
                }
                Err(DocumentError::Io(e)) => Some(Err(fail(n, e))),
                Err(e @ DocumentError::Syntax { .. }) => {
                    n += 1;
                    Some(self.rest_is_dead(&mut docs, &e, input, n, key, fail))
                }
            };
            self.stats.bytes_in += docs.offset() - read;
            read = docs.offset();
            if let Some(end) = end {
                break end;
            }
            if self.stats.events_in.is_multiple_of(MEASURE_EVERY)
                && let Err(e) = self.spill_if_over()
            {
                break Err(spill_fail(n, e));
            }
        };
        self.arena = arena;
        result
    }

    /// Broken structure between documents: what follows cannot be split into events, and is
    /// kept as it is, as dead letter number `n`.
    fn rest_is_dead<R: std::io::BufRead>(
        &mut self,
        docs: &mut DocumentReader<R>,
        e: &DocumentError,
        input: &str,
        n: u64,
        key: Option<&str>,
        fail: &dyn Fn(u64, std::io::Error) -> InputError,
    ) -> Result<(), InputError> {
        let mut rest = Vec::new();
        let total = docs.rest(&mut rest).map_err(|io| fail(n, io))?;
        let kept = if total > rest.len() as u64 {
            format!(" (its first {} of {total} bytes kept)", rest.len())
        } else {
            String::new()
        };
        let msg = format!("{e}; the rest of the input is one dead letter{kept}");
        self.add_event(input, n, Some(&rest), Err(msg), &Bump::new(), key);
        Ok(())
    }

    /// CloudWatch Logs subscription envelopes one after another (as Firehose writes them to
    /// S3): each log event's message is one record, read with the source's format and placed
    /// as `<input>#<envelope>` and its index in the envelope. Control messages (the service
    /// checking its destination) are counted, not events. A document that is not an envelope
    /// is a dead letter placed by its number.
    fn add_envelopes(
        &mut self,
        input: &str,
        key: Option<&str>,
        r: Box<dyn std::io::BufRead + '_>,
        fail: &dyn Fn(u64, std::io::Error) -> InputError,
        spill_fail: &dyn Fn(u64, SinkError) -> InputError,
    ) -> Result<(), InputError> {
        let max = self.source.limits.max_line_bytes.max(ENVELOPE_MAX_BYTES);
        let mut docs = DocumentReader::new(r, None, max);
        let mut n = 0u64;
        loop {
            let bad = |message: String, raw: &[u8]| (message, raw.to_vec());
            let dead = match docs.next_piece() {
                Ok(None) => return Ok(()),
                Ok(Some(Piece::Event(text))) => {
                    n += 1;
                    match parse_envelope(text) {
                        Ok(Some(Envelope::Control)) => {
                            self.stats.control_messages += 1;
                            None
                        }
                        Ok(Some(Envelope::Data(messages))) => {
                            let origin = format!("{input}#{n}");
                            for (i, m) in messages.iter().enumerate() {
                                self.add_record_from(&origin, i as u64 + 1, m.as_bytes(), false, key)
                                    .map_err(|e| spill_fail(n, e))?;
                            }
                            None
                        }
                        Ok(None) => Some(bad(
                            "not a CloudWatch Logs envelope (it needs `messageType` and `logEvents` of objects with a string `message`), in an input of envelopes".into(),
                            text,
                        )),
                        Err(msg) => Some(bad(format!("CloudWatch Logs envelope: {msg}"), text)),
                    }
                }
                Ok(Some(Piece::TooLong { head, len })) => {
                    n += 1;
                    Some(bad(
                        format!(
                            "CloudWatch Logs envelope of {len} bytes exceeds the limit of {max} bytes (the first {} kept)",
                            head.len()
                        ),
                        head,
                    ))
                }
                Ok(Some(Piece::NoRecords { message, raw })) => {
                    n += 1;
                    Some(bad(message, raw))
                }
                Err(DocumentError::Io(e)) => return Err(fail(n, e)),
                Err(e @ DocumentError::Syntax { .. }) => {
                    n += 1;
                    return self.rest_is_dead(&mut docs, &e, input, n, key, fail);
                }
            };
            if let Some((msg, raw)) = dead {
                self.stats.bytes_in += raw.len() as u64;
                self.add_event(input, n, Some(&raw), Err(msg), &Bump::new(), key);
            }
        }
    }

    /// What the parser made of one line (or of the lines of one record): an event, a dead
    /// letter, or nothing for a header or blank line.
    fn add_line<'e>(
        &mut self,
        input: &str,
        position: u64,
        line: &[u8],
        parsed: LineResult<'e>,
        arena: &'e Bump,
        key: Option<&str>,
    ) {
        match parsed {
            LineResult::Skip => {}
            LineResult::Several(pieces) => {
                let origin = format!("{input}#{position}");
                let mut parser = self.source.parser.lines();
                for (i, piece) in pieces.into_iter().enumerate() {
                    let parsed = match parser.parse(arena, piece) {
                        // A piece is one document (or what could not be read): never split again.
                        LineResult::Several(_) => LineResult::Error("invalid JSON".into()),
                        other => other,
                    };
                    self.add_line(&origin, i as u64 + 1, piece, parsed, arena, key);
                }
            }
            LineResult::Event(v) => self.add_event(input, position, Some(line), Ok(v), arena, key),
            LineResult::Error(msg) => {
                self.add_event(input, position, Some(line), Err(msg), arena, key)
            }
            LineResult::Open => self.add_event(
                input,
                position,
                Some(line),
                Err(UNTERMINATED.to_string()),
                arena,
                key,
            ),
        }
    }

    /// No line closed the quoted field that `held`'s first line opened (`why`: within the
    /// limit, or before the input ends): that line is a dead letter, and the lines after it
    /// are read again on their own, ahead of any others waiting.
    fn give_up_held(
        &mut self,
        held: &mut HeldRecord,
        again: &mut VecDeque<NumberedLine>,
        why: &str,
        input: &str,
        key: Option<&str>,
    ) {
        let ((pos, first), rest) = held.give_up();
        for l in rest.into_iter().rev() {
            again.push_front(l);
        }
        let msg = format!("{UNTERMINATED}: no later line closes it {why}");
        self.add_event(input, pos, Some(&first), Err(msg), &Bump::new(), key);
    }

    /// Add one record that arrived on its own (a Kinesis record, a CloudWatch Logs event): parsed
    /// with the source's line parser (a JSON source also takes a whole document). A record the
    /// parser skips (blank) is not an event. `packed`: the record may hold several events, one
    /// per line (a Kinesis record from a shipper that packs them); otherwise it is one event
    /// whose text may span lines (a CloudWatch Logs event).
    pub fn add_record(
        &mut self,
        input: &str,
        position: u64,
        record: &[u8],
        packed: bool,
    ) -> Result<(), SinkError> {
        // A stream record has no object key to take partition values from.
        self.add_record_from(input, position, record, packed, None)
    }

    /// `add_record` for a record read from an object (`key`, for partition values).
    fn add_record_from(
        &mut self,
        input: &str,
        position: u64,
        record: &[u8],
        packed: bool,
        key: Option<&str>,
    ) -> Result<(), SinkError> {
        self.stats.bytes_in += record.len() as u64;
        let mut arena = std::mem::take(&mut self.arena);
        arena.reset();
        if self.source.parser.is_document() {
            match self.source.parser.document_events(&arena, record) {
                Ok(events) if events.len() == 1 => {
                    self.add_event(input, position, Some(record), Ok(events[0]), &arena, key)
                }
                Ok(events) => {
                    let sub = format!("{input}#{position}");
                    for (i, ev) in events.into_iter().enumerate() {
                        self.add_event(&sub, i as u64 + 1, None, Ok(ev), &arena, key);
                    }
                }
                Err(msg) => self.add_event(input, position, Some(record), Err(msg), &arena, key),
            }
        } else {
            let mut parser = self.source.parser.lines();
            let lines = if packed {
                record_lines(record)
            } else {
                // One event, whose text may span lines; only a final line end is dropped.
                let one = record.strip_suffix(b"\n").unwrap_or(record);
                vec![(1, one.strip_suffix(b"\r").unwrap_or(one))]
            };
            let sub;
            // One line keeps the record's own origin; several (shippers that put many events
            // in one record, newline-separated) are placed by their line in it.
            let several = lines.len() > 1;
            let origin = if several {
                sub = format!("{input}#{position}");
                sub.as_str()
            } else {
                input
            };
            for (line_no, line) in lines {
                let at = if several { line_no } else { position };
                let parsed = parser.parse(&arena, line);
                self.add_line(origin, at, line, parsed, &arena, key);
            }
        }
        self.arena = arena;
        if self.stats.events_in.is_multiple_of(MEASURE_EVERY) {
            self.spill_if_over()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_of_several_lines() {
        assert_eq!(record_lines(b"{\"a\":1}\n"), vec![(1, &b"{\"a\":1}"[..])]);
        assert_eq!(record_lines(b"a b\r\n"), vec![(1, &b"a b"[..])]);
        assert_eq!(record_lines(b"x"), vec![(1, &b"x"[..])]);
        assert_eq!(
            record_lines(b"a\r\n\n  \r\nb\nc\r\n"),
            vec![(1, &b"a"[..]), (4, &b"b"[..]), (5, &b"c"[..])]
        );
        assert_eq!(record_lines(b"\n \n"), vec![(1, &b"\n \n"[..])]);
    }
}
