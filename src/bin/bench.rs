//! Throughput benchmark, one core: for each shipped source, transform + Parquet encode of a
//! generated input, printed beside parsing the same bytes alone (serde_json for JSON sources,
//! the format's line parser for text), and the ratio of the two.
//!
//!     cargo run --release --bin ocsf-bench -- [MEGABYTES] [SOURCE]

use std::io::Read;
use std::time::Instant;

use ocsf_transform::catalog::Catalog;
use ocsf_transform::engine::{Batch, PartitionDefaults};
use ocsf_transform::input::parsers::LineResult;

fn fixture_lines(source: &str) -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(source);
    let mut lines = Vec::new();
    for e in std::fs::read_dir(dir).expect("fixtures folder") {
        let p = e.expect("entry").path();
        let f = std::fs::File::open(&p).expect("fixture");
        let (_, mut r) = ocsf_transform::input::open_decoded(f, 1 << 30).expect("decode");
        let mut s = Vec::new();
        r.read_to_end(&mut s).expect("read");
        lines.extend(
            s.split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .map(<[u8]>::to_vec),
        );
    }
    lines
}

fn main() {
    let mb: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(64);
    let catalog = Catalog::embedded().expect("embedded config");
    println!(
        "{:<22} {:>10} {:>12} {:>10} {:>12} {:>10} {:>7}",
        "source", "events", "parse ev/s", "parse MB/s", "e2e ev/s", "e2e MB/s", "ratio"
    );
    let only = std::env::args().nth(2);
    for source in ["windows-sysmon", "aws-network-firewall", "aws-alb"] {
        if only.as_deref().is_some_and(|o| o != source) {
            continue;
        }
        let src = catalog.source(source).expect("source");
        let lines = fixture_lines(source);
        let mut input = Vec::with_capacity(mb << 20);
        let mut n = 0u64;
        while input.len() < mb << 20 {
            let l = &lines[n as usize % lines.len()];
            input.extend_from_slice(l);
            input.push(b'\n');
            n += 1;
        }
        // Parse only: the same bytes, line by line, into events.
        let t = Instant::now();
        let mut parsed = 0u64;
        let mut lp = src.parser.lines();
        for line in input.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            let ok = if source == "aws-alb" {
                matches!(lp.parse(line), LineResult::Event(_))
            } else {
                serde_json::from_slice::<serde_json::Value>(line).is_ok()
            };
            parsed += ok as u64;
        }
        let parse_s = t.elapsed().as_secs_f64();
        // End to end: parse, map, type, validate, group, sort, encode Parquet (zstd).
        let t = Instant::now();
        let defaults = PartitionDefaults {
            account: "111122223333".into(),
            region: "eu-west-1".into(),
        };
        let mut batch = Batch::new(src, "bench", defaults);
        batch.add_input("bench", None, &input[..]).expect("input");
        let out = batch.finish().expect("encode");
        let e2e_s = t.elapsed().as_secs_f64();
        assert_eq!(parsed, n);
        assert_eq!(out.stats.events_in, n);
        let mbs = input.len() as f64 / 1e6;
        println!(
            "{:<22} {:>10} {:>12.0} {:>10.1} {:>12.0} {:>10.1} {:>6.0}%",
            source,
            n,
            n as f64 / parse_s,
            mbs / parse_s,
            n as f64 / e2e_s,
            mbs / e2e_s,
            100.0 * parse_s / e2e_s
        );
    }
}
