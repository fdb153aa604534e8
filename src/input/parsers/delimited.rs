//! Splitting delimited text: a delimiter character, `"`-quoted fields (a doubled `""` is a
//! quote), and runs of spaces counted as one separator when the delimiter is a space.

pub fn split_delimited(s: &str, delim: char) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        if delim == ' ' {
            while chars.peek() == Some(&' ') {
                chars.next();
            }
            if chars.peek().is_none() {
                break;
            }
        }
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            let mut closed = false;
            while let Some(c) = chars.next() {
                if c == '"' {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        field.push('"');
                        continue;
                    }
                    match chars.peek() {
                        None => {
                            closed = true;
                            break;
                        }
                        Some(&n) if n == delim => {
                            closed = true;
                            break;
                        }
                        // A quote inside a quoted field that is not followed by the delimiter.
                        Some(_) => field.push('"'),
                    }
                } else {
                    field.push(c);
                }
            }
            if !closed {
                return Err("unterminated quoted field".into());
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == delim {
                    break;
                }
                field.push(c);
                chars.next();
            }
        }
        out.push(field);
        match chars.next() {
            Some(c) if c == delim => {
                if delim != ' ' && chars.peek().is_none() {
                    out.push(String::new());
                    break;
                }
            }
            None => break,
            Some(_) => unreachable!("fields end at a delimiter or the end"),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
