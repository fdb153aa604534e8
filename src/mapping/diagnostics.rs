//! Findings about a mapping file, each naming the file, the matched value and the JSON pointer.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// The mapping cannot be used (bad JSONPath, unknown class, malformed block).
    Fatal,
    /// Output would not be valid OCSF as written; the engine still keeps the data (`unmapped`,
    /// derived values) but `check` fails.
    Error,
    /// Advisory: what the engine fills in or overrides.
    Warning,
}

#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub level: Level,
    pub file: String,
    /// The matched value (entry of `ocsf_mapping`), if the finding is inside one.
    pub entry: Option<String>,
    /// JSON pointer into the mapping file.
    pub pointer: String,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            Level::Fatal => "fatal",
            Level::Error => "error",
            Level::Warning => "warning",
        };
        write!(f, "{level}: {}", self.file)?;
        if let Some(e) = &self.entry {
            write!(f, " [matched value \"{e}\"]")?;
        }
        write!(
            f,
            " at {}: {}",
            if self.pointer.is_empty() {
                "/"
            } else {
                &self.pointer
            },
            self.message
        )
    }
}

/// Escape one JSON-pointer token.
pub fn ptr_token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}
