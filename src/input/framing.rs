//! Line framing with a cap on line length: an overlong line is reported (and skipped), never
//! buffered whole.

use std::io::{self, BufRead};

pub struct LineReader<R> {
    inner: R,
    max_line: usize,
    /// 1-based number of the last line returned.
    pub line_no: u64,
}

pub enum Frame {
    Line,
    /// The line exceeded the cap; its first `max_line` bytes are in the buffer.
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
        }
    }

    /// Read the next line (without its `\n` / `\r\n`) into `buf`.
    pub fn next(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<Frame>> {
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
            return Ok(Some(Frame::TooLong { len: total }));
        }
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
        Ok(Some(Frame::Line))
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
        assert!(matches!(r.next(&mut buf).unwrap(), Some(Frame::Line)));
        assert_eq!(buf, b"ab");
        assert!(matches!(
            r.next(&mut buf).unwrap(),
            Some(Frame::TooLong { len: 6 })
        ));
        assert!(matches!(r.next(&mut buf).unwrap(), Some(Frame::Line)));
        assert_eq!((buf.as_slice(), r.line_no), (&b"ij"[..], 3));
        assert!(r.next(&mut buf).unwrap().is_none());
    }
}
