//! A record whose quoted field spans lines (a CSV message with line breaks): its lines, held
//! from the one that opened the field until one closes it, so the parser sees them as one text.

/// A line and its position in the input.
pub type NumberedLine = (u64, Vec<u8>);

/// The lines of one open record, joined by `\n` as they will be parsed.
#[derive(Default)]
pub struct HeldRecord {
    text: Vec<u8>,
    /// Each line's position in the input and where it ends in `text`.
    ends: Vec<(u64, usize)>,
}

impl HeldRecord {
    pub fn is_open(&self) -> bool {
        !self.ends.is_empty()
    }

    /// Bytes held, line breaks included.
    pub fn len(&self) -> usize {
        self.text.len()
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Add the next line of the record (or its first).
    pub fn push(&mut self, position: u64, line: &[u8]) {
        if self.is_open() {
            self.text.push(b'\n');
        }
        self.text.extend_from_slice(line);
        self.ends.push((position, self.text.len()));
    }

    /// The position of the record's first line and the record's text; the record is closed.
    pub fn take(&mut self) -> (u64, Vec<u8>) {
        let first = self.ends.first().map_or(0, |e| e.0);
        self.ends.clear();
        (first, std::mem::take(&mut self.text))
    }

    /// Give up joining (no line closed the field within the limits): the first line, which
    /// opened the field, and the other lines to be read again one by one, each with its
    /// position.
    pub fn give_up(&mut self) -> (NumberedLine, Vec<NumberedLine>) {
        let mut lines = Vec::with_capacity(self.ends.len());
        let mut start = 0;
        for &(pos, end) in &self.ends {
            lines.push((pos, self.text[start..end].to_vec()));
            start = end + 1;
        }
        self.ends.clear();
        self.text.clear();
        let first = lines.remove(0);
        (first, lines)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_and_gives_back_lines() {
        let mut h = HeldRecord::default();
        assert!(!h.is_open());
        h.push(4, b"1,\"a");
        h.push(5, b"b");
        h.push(6, b"c\",2");
        assert_eq!(h.len(), 11);
        let (first, text) = h.take();
        assert_eq!((first, text.as_slice()), (4, &b"1,\"a\nb\nc\",2"[..]));
        assert!(!h.is_open());

        h.push(7, b"x,\"open");
        h.push(8, b"");
        h.push(9, b"y,z");
        let (first, rest) = h.give_up();
        assert_eq!(first, (7, b"x,\"open".to_vec()));
        assert_eq!(rest, vec![(8, Vec::new()), (9, b"y,z".to_vec())]);
        assert!(!h.is_open() && h.is_empty());
    }
}
