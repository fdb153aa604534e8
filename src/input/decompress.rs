//! Streaming decompression chosen by magic bytes (gzip with multiple members, zstd, or plain),
//! capped in decompressed size, and text encoding by byte-order mark: a UTF-8 BOM is dropped
//! and UTF-16 (as Windows PowerShell writes files) becomes UTF-8. Without a BOM the bytes pass
//! through as they are, invalid UTF-8 included, for the parsers to judge record by record.

use std::io::{self, BufRead, BufReader, Read};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

/// Reads at most `limit` bytes, then fails with a clear error instead of going on.
pub struct CapReader<R> {
    inner: R,
    read: u64,
    limit: u64,
}

impl<R: Read> Read for CapReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.limit {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "decompressed input exceeds the limit of {} bytes",
                    self.limit
                ),
            ));
        }
        Ok(n)
    }
}

/// Detect the compression of `r` and return a buffered reader of its decompressed bytes, as
/// UTF-8 when a byte-order mark says what they are (see the module's note).
pub fn open_decoded<'a, R: Read + 'a>(
    r: R,
    limit: u64,
) -> io::Result<(Compression, Box<dyn BufRead + 'a>)> {
    open_decoded_peek(r, limit).map(|(kind, _, reader)| (kind, reader))
}

/// `open_decoded`, and a copy of the first (up to 512) decompressed bytes, as they come before
/// text decoding, for telling what kind of content the input holds.
pub fn open_decoded_peek<'a, R: Read + 'a>(
    r: R,
    limit: u64,
) -> io::Result<(Compression, Vec<u8>, Box<dyn BufRead + 'a>)> {
    let mut br = BufReader::with_capacity(64 * 1024, r);
    let head = br.fill_buf()?;
    if let Some(what) = unreadable_container(head) {
        return Err(io::Error::new(io::ErrorKind::InvalidData, what));
    }
    let kind = if head.starts_with(&GZIP_MAGIC) {
        Compression::Gzip
    } else if head.starts_with(&ZSTD_MAGIC) {
        Compression::Zstd
    } else {
        Compression::None
    };
    let reader: Box<dyn Read + 'a> = match kind {
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(br)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(br)?),
        Compression::None => Box::new(br),
    };
    let mut capped = CapReader {
        inner: reader,
        read: 0,
        limit,
    };
    // A tar archive (often inside gzip) would read as lines of headers and files run together.
    let mut head = Vec::with_capacity(512);
    let rest: Box<dyn Read + 'a> = match (&mut capped).take(512).read_to_end(&mut head) {
        Ok(_) => Box::new(capped),
        // What was read comes first, as it would have without the look ahead.
        Err(e) => Box::new(Failed(Some(e))),
    };
    if head.len() >= 263 && &head[257..262] == b"ustar" {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "a tar archive: extract its files and give them as inputs",
        ));
    }
    let peek = head.clone();
    let text = encoding_rs_io::DecodeReaderBytesBuilder::new()
        .utf8_passthru(true)
        .strip_bom(true)
        .build(io::Cursor::new(head).chain(rest));
    Ok((
        kind,
        peek,
        Box::new(BufReader::with_capacity(256 * 1024, text)),
    ))
}

/// A reader whose next read fails with the error it holds (then ends).
struct Failed(Option<io::Error>);

impl Read for Failed {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        self.0.take().map_or(Ok(0), Err)
    }
}

/// What an input is when it is a format the reader does not open (an archive, or compression
/// other than gzip and zstd), by its first bytes.
fn unreadable_container(head: &[u8]) -> Option<&'static str> {
    const BZIP2_BLOCK: [u8; 6] = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59];
    if head.starts_with(b"PK\x03\x04") {
        Some("a zip archive: extract its files and give them as inputs")
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
        Some("xz compressed: only gzip and zstd are read; decompress it first")
    } else if head.len() >= 10
        && head.starts_with(b"BZh")
        && (b'1'..=b'9').contains(&head[3])
        && head[4..10] == BZIP2_BLOCK
    {
        Some("bzip2 compressed: only gzip and zstd are read; decompress it first")
    } else {
        None
    }
}

/// `data` as one gzip member, for tests.
#[cfg(test)]
pub(crate) fn gz(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).expect("write to memory");
    e.finish().expect("write to memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_member_gzip_and_zstd() {
        let mut both = gz(b"a\n");
        both.extend(gz(b"b\n"));
        let (kind, mut r) = open_decoded(&both[..], 1 << 20).unwrap();
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        assert_eq!((kind, s.as_str()), (Compression::Gzip, "a\nb\n"));
        let z = zstd::encode_all(&b"zz\n"[..], 1).unwrap();
        let (kind, mut r) = open_decoded(&z[..], 1 << 20).unwrap();
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        assert_eq!((kind, s.as_str()), (Compression::Zstd, "zz\n"));
    }

    #[test]
    fn byte_order_marks() {
        let read = |data: &[u8]| {
            let (_, mut r) = open_decoded(data, 1 << 20).unwrap();
            let mut out = Vec::new();
            r.read_to_end(&mut out).unwrap();
            out
        };
        assert_eq!(read(b"\xef\xbb\xbf{\"a\":1}\n"), b"{\"a\":1}\n");
        let mut utf16 = vec![0xff, 0xfe];
        utf16.extend("{\"é\":1}\r\n".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(read(&utf16), "{\"é\":1}\r\n".as_bytes());
        // A gzip of a file with a BOM: the BOM is seen after decompression.
        assert_eq!(read(&gz(b"\xef\xbb\xbfx\n")), b"x\n");
        // No BOM: bytes pass through, invalid UTF-8 included; a BOM inside is data.
        assert_eq!(read(b"\xff\x00a\n"), b"\xff\x00a\n");
        assert_eq!(read(b"a\xef\xbb\xbf\n"), b"a\xef\xbb\xbf\n");
    }

    #[test]
    fn archives_and_other_compressions_are_named() {
        let err = |data: &[u8]| open_decoded(data, 1 << 20).err().map(|e| e.to_string());
        assert!(
            err(b"PK\x03\x04\x14\x00rest")
                .unwrap()
                .contains("zip archive")
        );
        assert!(
            err(&[0xfd, b'7', b'z', b'X', b'Z', 0x00, 1])
                .unwrap()
                .contains("xz")
        );
        let bz = [&b"BZh9"[..], &[0x31, 0x41, 0x59, 0x26, 0x53, 0x59, 0]].concat();
        assert!(err(&bz).unwrap().contains("bzip2"));
        let mut tar = vec![0u8; 1024];
        tar[..8].copy_from_slice(b"fw.log\0\0");
        tar[257..263].copy_from_slice(b"ustar\0");
        assert!(err(&tar).unwrap().contains("tar archive"));
        assert!(err(&gz(&tar)).unwrap().contains("tar archive"));
        // Text that only begins like one is text.
        assert_eq!(err(b"BZh9 is a word\n"), None);
        assert_eq!(err(b"PK,name\n1,x\n"), None);
    }

    #[test]
    fn caps_and_truncation_are_errors() {
        let (_, mut r) = open_decoded(&b"0123456789"[..], 5).unwrap();
        let mut s = String::new();
        assert!(
            r.read_to_string(&mut s)
                .unwrap_err()
                .to_string()
                .contains("exceeds the limit")
        );
        let data = gz(b"hello world\n");
        let (_, mut r) = open_decoded(&data[..data.len() - 6], 1 << 20).unwrap();
        assert!(r.read_to_string(&mut s).is_err());
    }
}
