//! Splitting delimited text: a delimiter character, `"`-quoted fields (a doubled `""` is a
//! quote), and runs of spaces counted as one separator when the delimiter is a space. A quoted
//! field may hold line breaks (RFC 4180, as spreadsheets and Event Viewer export messages):
//! `closes_open_field` tells whether a further line ends such a record.

use std::borrow::Cow;

/// The fields of `s`. A field borrows from `s` unless it has a doubled quote to undo.
pub fn split_delimited(s: &str, delim: char) -> Result<Vec<Cow<'_, str>>, String> {
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        if delim == ' ' {
            rest = rest.trim_start_matches(' ');
            if rest.is_empty() {
                break;
            }
        }
        let (field, after) = match rest.strip_prefix('"') {
            Some(q) => quoted(q, delim)?,
            None => match rest.find(delim) {
                Some(i) => (Cow::Borrowed(&rest[..i]), &rest[i..]),
                None => (Cow::Borrowed(rest), ""),
            },
        };
        out.push(field);
        // A field ends at a delimiter or at the end of the line.
        match after.strip_prefix(delim) {
            Some(r) if delim != ' ' && r.is_empty() => {
                out.push(Cow::Borrowed(""));
                break;
            }
            Some(r) => rest = r,
            None => break,
        }
    }
    Ok(out)
}

/// A quoted field (the text after its opening quote) and what follows its closing quote. A
/// doubled quote is one quote; a quote not followed by the delimiter or the end is kept.
fn quoted(q: &str, delim: char) -> Result<(Cow<'_, str>, &str), String> {
    let bytes = q.as_bytes();
    let mut owned: Option<String> = None;
    let (mut from, mut i) = (0, 0);
    while let Some(off) = memchr::memchr(b'"', &bytes[i..]) {
        let at = i + off;
        let next = &q[at + 1..];
        if next.starts_with('"') {
            owned
                .get_or_insert_with(String::new)
                .push_str(&q[from..=at]);
            i = at + 2;
            from = i;
            continue;
        }
        if next.is_empty() || next.starts_with(delim) {
            let field = match owned {
                Some(mut o) => {
                    o.push_str(&q[from..at]);
                    Cow::Owned(o)
                }
                None => Cow::Borrowed(&q[..at]),
            };
            return Ok((field, next));
        }
        i = at + 1;
    }
    Err(UNTERMINATED.into())
}

/// What `split_delimited` reports for a quoted field that the text does not close.
pub const UNTERMINATED: &str = "unterminated quoted field";

/// Whether `line`, read inside a quoted field that an earlier line opened, closes that field
/// and every quoted field it opens itself: the record ends on this line. Looks at the new line
/// only, so joining a long record costs one pass over each of its lines.
pub fn closes_open_field(line: &str, delim: char) -> bool {
    // A doubled quote cannot span lines (a quote at a line's end closes), so the field's
    // earlier lines do not matter.
    match quoted(line, delim) {
        Err(_) => false,
        Ok((_, after)) => match after.strip_prefix(delim) {
            Some(rest) => split_delimited(rest, delim).is_ok(),
            None => true,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quoted_field_closes_on_a_later_line() {
        // `1,"first` opened a field: these lines go on with it.
        assert!(!closes_open_field("second line", ','));
        assert!(!closes_open_field("has \"\"doubled\"\" quotes", ','));
        assert!(closes_open_field("last\",2", ','));
        assert!(closes_open_field("\"", ','));
        // It closes, and the line opens another field that stays open.
        assert!(!closes_open_field("end\",\"next", ','));
        assert!(closes_open_field("end\",\"next\",3", ','));
        // Joined, the record splits as one.
        let joined = "1,\"first\nsecond line\nlast\",2";
        assert_eq!(
            split_delimited(joined, ',').unwrap(),
            vec!["1", "first\nsecond line\nlast", "2"]
        );
    }

    #[test]
    fn quoted_and_empty_fields() {
        assert_eq!(
            split_delimited(r#"a "b c" d"#, ' ').unwrap(),
            vec!["a", "b c", "d"]
        );
        assert_eq!(
            split_delimited(r#"1,"x,""y""",,z,"#, ',').unwrap(),
            vec!["1", "x,\"y\"", "", "z", ""]
        );
        assert_eq!(split_delimited("a\tb", '\t').unwrap(), vec!["a", "b"]);
        assert!(split_delimited(r#"a "b"#, ' ').is_err());
        assert_eq!(
            split_delimited(r#"  x  "in"side" "" y "#, ' ').unwrap(),
            vec!["x", "in\"side", "", "y"]
        );
    }
}
