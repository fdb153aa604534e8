//! Line framing with a cap on line length: an overlong line is reported (and skipped), never
//! buffered whole.

use std::io::{self, BufRead};

pub struct LineReader<R> {
    inner: R,
    max_line: usize,
    /// 1-based number of the last line returned.
    pub line_no: u64,
    /// Bytes of the reader's buffer that the last line (returned in place) still occupies.
    pending: usize,
}

pub enum Frame {
    Line,
    /// The line exceeded the cap; the text returned is its first `max_line` bytes.
    TooLong {
        len: u64,
    },
}

impl<R: BufRead> LineReader<R> {
    pub fn new(inner: R, max_line: usize) -> Self {
        LineReader {
            inner,
            max_line,
            line_no: 0,
            pending: 0,
        }
    }

    /// The next line, without its `\n` / `\r\n`. A line that lies whole in the reader's buffer
    /// is returned in place; one that spans reads is gathered in `buf`.
    pub fn next<'s>(&'s mut self, buf: &'s mut Vec<u8>) -> io::Result<Option<(Frame, &'s [u8])>> {
        self.inner.consume(std::mem::take(&mut self.pending));
        let found = memchr(self.inner.fill_buf()?);
        if let Some(i) = found {
            self.line_no += 1;
            self.pending = i + 1;
            // The buffer is not empty: this returns it again without reading.
            let line = &self.inner.fill_buf()?[..i];
            if i > self.max_line {
                let len = i as u64;
                return Ok(Some((Frame::TooLong { len }, &line[..self.max_line])));
            }
            return Ok(Some((
                Frame::Line,
                line.strip_suffix(b"\r").unwrap_or(line),
            )));
        }
        buf.clear();
        let mut total: u64 = 0;
        let mut saw_any = false;
        loop {
            let chunk = self.inner.fill_buf()?;
            if chunk.is_empty() {
                break;
            }
            saw_any = true;
            let (take, done) = match memchr(chunk) {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            let content = if done {
                &chunk[..take - 1]
            } else {
                &chunk[..take]
            };
            let room = self.max_line.saturating_sub(buf.len());
            buf.extend_from_slice(&content[..content.len().min(room)]);
            total += content.len() as u64;
            self.inner.consume(take);
            if done {
                break;
            }
        }
        if !saw_any {
            return Ok(None);
        }
        self.line_no += 1;
        if total > self.max_line as u64 {
            return Ok(Some((Frame::TooLong { len: total }, buf.as_slice())));
        }
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
        Ok(Some((Frame::Line, buf.as_slice())))
    }
}

fn memchr(b: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_crlf_and_caps() {
        let data = b"ab\r\ncdefgh\nij";
        let mut r = LineReader::new(&data[..], 4);
        let mut buf = Vec::new();
        assert!(matches!(
            r.next(&mut buf).unwrap(),
            Some((Frame::Line, b"ab"))
        ));
        assert!(matches!(
            r.next(&mut buf).unwrap(),
            Some((Frame::TooLong { len: 6 }, b"cdef"))
        ));
        assert!(matches!(
            r.next(&mut buf).unwrap(),
            Some((Frame::Line, b"ij"))
        ));
        assert_eq!(r.line_no, 3);
        assert!(r.next(&mut buf).unwrap().is_none());
    }

    /// Lines that span the reader's buffer are gathered; the others are returned in place.
    #[test]
    fn lines_across_reads() {
        let text: Vec<u8> = (0..200)
            .map(|i| format!("line {i} {}\r\n", "x".repeat(i % 37)))
            .collect::<String>()
            .into_bytes();
        let mut r = LineReader::new(std::io::BufReader::with_capacity(64, &text[..]), 1 << 20);
        let mut buf = Vec::new();
        let mut got = Vec::new();
        while let Some((Frame::Line, line)) = r.next(&mut buf).unwrap() {
            got.push(String::from_utf8(line.to_vec()).unwrap());
        }
        let want: Vec<String> = (0..200)
            .map(|i| format!("line {i} {}", "x".repeat(i % 37)))
            .collect();
        assert_eq!(got, want);
    }
}
