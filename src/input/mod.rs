//! Raw input to events: decompression by magic bytes, line framing with caps, and parsers.

pub mod cloudwatch_logs;
pub mod decompress;
pub mod document;
pub mod framing;
pub mod held;
pub mod parsers;

pub use decompress::open_decoded;
pub use framing::{Frame, LineReader};
pub use parsers::Parser;
