//! Throughput benchmark, one core: for each shipped source, transform + Parquet encode of an
//! input made by repeating real lines (see `corpora`), printed beside parsing the same bytes
//! alone (serde_json for JSON sources, the format's line parser for text), and the ratio of
//! the two.
//!
//!     cargo run --release --bin ocsf-bench -- [MEGABYTES] [SOURCE] [INPUT]
//!
//! `INPUT` is `samples` or `fixtures` (see `corpora`); without it both run.
//! `OCSF_BENCH_ROUNDS` (default 3) sets how many alternating rounds run; the fastest of each
//! side counts. `OCSF_CONFIG` names a sources config to use instead of the shipped one.
//! `OCSF_BENCH_PHASES=1` adds the time of each stage, run stage by stage, as a
//! multiple of parse-only, and the ratio that parsing and encoding alone allow.

use std::io::Read;
use std::time::Instant;

use ocsf_transform::catalog::{Catalog, Source};
use ocsf_transform::engine::{Batch, PartitionDefaults};
use ocsf_transform::input::parsers::LineResult;

/// Where the input's lines come from, and the lines. Each source runs on two inputs:
/// - `samples`: its public samples in `../shared/samples` (when they sit beside the repo): real,
///   varied events (1,522 Sysmon lines in several shapes, 1,110 Network Firewall lines, 44 ALB
///   lines). They span years, so every part is split into many objects (one per class and
///   day), more than a real batch, whose events are minutes apart, would give.
/// - `fixtures`: the repo's own fixtures: a handful of lines from one or two days, so every
///   column is nearly constant and a part is about one object per class.
///
/// Raw Suricata EVE is left out of the samples: it is not a Network Firewall shape and only
/// becomes dead letters.
fn corpora(source: &str) -> Vec<(&'static str, Vec<Vec<u8>>)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared/samples").join(source);
    let mut out = Vec::new();
    if shared.is_dir() {
        out.push(("samples", lines_under(&shared)));
    }
    out.push((
        "fixtures",
        lines_under(&root.join("tests/fixtures").join(source)),
    ));
    out
}

/// The non-empty lines of every file under `dir` (decompressed), in path order.
fn lines_under(dir: &std::path::Path) -> Vec<Vec<u8>> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).expect("corpus folder") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != "suricata-eve-raw") {
                    dirs.push(p);
                }
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut lines = Vec::new();
    for p in files {
        let f = std::fs::File::open(&p).expect("corpus file");
        let (_, mut r) = ocsf_transform::input::open_decoded(f, 1 << 30).expect("decode");
        let mut s = Vec::new();
        r.read_to_end(&mut s).expect("read");
        lines.extend(
            s.split(|b| *b == b'\n')
                .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
                .filter(|l| !l.is_empty())
                .map(<[u8]>::to_vec),
        );
    }
    lines
}

/// The lines of `input`, split with memchr (as the engine's line reader does).
fn lines_of(input: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    let mut ends = memchr::memchr_iter(b'\n', input);
    std::iter::from_fn(move || {
        if start > input.len() {
            return None;
        }
        let end = ends.next().unwrap_or(input.len());
        let line = &input[start..end];
        start = end + 1;
        Some(line)
    })
}

fn main() {
    // As the product runs (see `allocator`).
    ocsf_transform::allocator::tune();
    let mb: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(64);
    let only = std::env::args().nth(2);
    let only_input = std::env::args().nth(3);
    // The shipped config, or another (`OCSF_CONFIG`, as the Lambda reads it) to measure a
    // change to a mapping without rebuilding.
    let catalog = match std::env::var_os("OCSF_CONFIG") {
        Some(p) => Catalog::load(std::path::Path::new(&p)).expect("config"),
        None => Catalog::embedded().expect("embedded config"),
    };
    println!(
        "{:<22} {:<9} {:>8} {:>11} {:>10} {:>10} {:>9} {:>6} {:>7} {:>7}",
        "source",
        "input",
        "events",
        "parse ev/s",
        "parse MB/s",
        "e2e ev/s",
        "e2e MB/s",
        "ratio",
        "objects",
        "out MB"
    );
    for source in ["windows-sysmon", "aws-network-firewall", "aws-alb"] {
        if only.as_deref().is_some_and(|o| o != source) {
            continue;
        }
        let src = catalog.source(source).expect("source");
        for (corpus, lines) in corpora(source) {
            if only_input.as_deref().is_some_and(|o| o != corpus) {
                continue;
            }
            run(src, source, corpus, &lines, mb);
        }
    }
}

/// Both sides on `mb` megabytes of `lines` repeated, and the line of results.
fn run(src: &Source, source: &str, corpus: &str, lines: &[Vec<u8>], mb: usize) {
    let mut input = Vec::with_capacity(mb << 20);
    let mut n = 0u64;
    while input.len() < mb << 20 {
        let l = &lines[n as usize % lines.len()];
        input.extend_from_slice(l);
        input.push(b'\n');
        n += 1;
    }
    // Each side runs `rounds` times, alternating, and the fastest round of each counts, so a
    // burst of load on a shared machine does not decide the ratio.
    let rounds: usize = std::env::var("OCSF_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let (mut parse_s, mut e2e) = (f64::MAX, None::<EndToEnd>);
    for _ in 0..rounds.max(1) {
        parse_s = parse_s.min(parse_only(src, source, &input, n));
        let run = end_to_end(src, &input, n);
        if e2e.as_ref().is_none_or(|best| run.secs < best.secs) {
            e2e = Some(run);
        }
    }
    let e2e = e2e.expect("at least one round");
    let mbs = input.len() as f64 / 1e6;
    println!(
        "{:<22} {:<9} {:>8} {:>11.0} {:>10.1} {:>10.0} {:>9.1} {:>5.0}% {:>7} {:>7.1}",
        source,
        corpus,
        n,
        n as f64 / parse_s,
        mbs / parse_s,
        n as f64 / e2e.secs,
        mbs / e2e.secs,
        100.0 * parse_s / e2e.secs,
        e2e.objects,
        e2e.bytes as f64 / 1e6
    );
    let s = &e2e.stats;
    println!(
        "  {} distinct lines; events: {} written as rows, {} dead letters, {} ignored",
        lines.len(),
        s.written(),
        s.dead(),
        s.ignored
    );
    if source == "aws-alb" {
        // ALB's baseline is its own line parser, far cheaper than serde_json. For comparison
        // with the JSON sources: serde_json on the same events written as JSON objects.
        let json = as_json_lines(src, lines);
        let mut input = Vec::with_capacity(mb << 20);
        for i in 0..n as usize {
            input.extend_from_slice(&json[i % json.len()]);
            input.push(b'\n');
        }
        let json_s = (0..rounds.max(1))
            .map(|_| parse_only(src, "json", &input, n))
            .fold(f64::MAX, f64::min);
        println!(
            "  the same events as JSON lines ({:.0} MB): serde_json parses {:.0} ev/s; end to end is {:.0}% of that",
            input.len() as f64 / 1e6,
            n as f64 / json_s,
            100.0 * json_s / e2e.secs
        );
    }
    if std::env::var_os("OCSF_BENCH_PHASES").is_some() {
        let p = phase_times(src, &input);
        println!(
            "  stages, as multiples of parse-only: read+parse {:.2}, map {:.2}, columns {:.2}, free {:.2}, sort+encode {:.2}",
            p[0] / parse_s,
            p[1] / parse_s,
            p[2] / parse_s,
            p[3] / parse_s,
            p[4] / parse_s
        );
        // What parsing and encoding alone leave: the ratio even if mapping and filling the
        // columns took no time.
        println!(
            "  ceiling with map and columns free: {:.0}%",
            100.0 * parse_s / (p[0] + p[4])
        );
    }
}

/// Each line as the JSON object its parser makes of it.
fn as_json_lines(src: &Source, lines: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut lp = src.parser.lines();
    let arena = bumpalo::Bump::new();
    lines
        .iter()
        .map(|l| match lp.parse(&arena, l) {
            LineResult::Event(v) => serde_json::to_vec(&v).expect("event as JSON"),
            _ => panic!("every corpus line parses"),
        })
        .collect()
}

/// Parse only: the same bytes, line by line, into events (seconds).
fn parse_only(src: &Source, source: &str, input: &[u8], n: u64) -> f64 {
    let t = Instant::now();
    let mut parsed = 0u64;
    let mut lp = src.parser.lines();
    let mut arena = bumpalo::Bump::new();
    for line in lines_of(input).filter(|l| !l.is_empty()) {
        let ok = if source == "aws-alb" {
            arena.reset();
            matches!(lp.parse(&arena, line), LineResult::Event(_))
        } else {
            serde_json::from_slice::<serde_json::Value>(line).is_ok()
        };
        parsed += ok as u64;
    }
    let s = t.elapsed().as_secs_f64();
    assert_eq!(parsed, n);
    s
}

/// One end-to-end run: its time, the Parquet objects (and dead-letter files) written and their
/// bytes, and the counts.
struct EndToEnd {
    secs: f64,
    objects: usize,
    bytes: usize,
    stats: ocsf_transform::engine::Stats,
}

/// End to end: parse, map, type, validate, group, sort, encode Parquet (zstd).
fn end_to_end(src: &Source, input: &[u8], n: u64) -> EndToEnd {
    let t = Instant::now();
    let defaults = PartitionDefaults {
        account: "111122223333".into(),
        region: "eu-west-1".into(),
    };
    // As the command and the Lambda run it: a 32 MiB buffer, spilling part objects (here
    // only counted) when it fills.
    let (mut spilled, mut spilled_bytes, mut spilled_rows) = (0usize, 0usize, 0u64);
    let sink: ocsf_transform::engine::Sink = Box::new(|o| {
        spilled += 1;
        spilled_bytes += o.body.len();
        if !o.class.is_empty() {
            spilled_rows += o.rows;
        }
        Ok(())
    });
    let mut batch = Batch::new(src, "bench", defaults).with_sink(32 << 20, sink);
    batch.add_input("bench", None, input).expect("input");
    let out = batch.finish().expect("encode");
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(out.stats.events_in, n);
    let rows = spilled_rows + out.objects.iter().map(|o| o.rows).sum::<u64>();
    assert_eq!(rows, out.stats.written(), "rows in objects");
    EndToEnd {
        secs,
        objects: spilled + out.objects.len(),
        bytes: spilled_bytes + out.objects.iter().map(|o| o.body.len()).sum::<usize>(),
        stats: out.stats,
    }
}

/// Seconds spent in each stage: the source's own parser, mapping to typed records, appending
/// to columns, freeing events and records (next to nothing now that both live in an arena; it
/// stays measured so that a change which allocates per record shows), and sorting + encoding
/// Parquet. Stages run in turn
/// on chunks of 512 events (so data stays in cache as in the engine), with the same 32 MiB
/// buffer.
fn phase_times(src: &Source, input: &[u8]) -> [f64; 5] {
    use ocsf_transform::mapping::MapOutcome;
    use ocsf_transform::output::RecordColumns;
    const CHUNK: usize = 512;
    let mut lp = src.parser.lines();
    let uid = "00000000-0000-0000-0000-000000000000";
    let mut cols: Vec<RecordColumns> = src
        .mapping
        .classes
        .iter()
        .map(|c| RecordColumns::new(&c.shape))
        .collect();
    let mut t = [0f64; 5];
    let encode_all = |cols: &mut Vec<RecordColumns>| {
        for c in cols.iter_mut().filter(|c| c.rows() > 0) {
            let batch = c.finish();
            let sorted = ocsf_transform::output::parquet_file::sort_by_time(batch).expect("sort");
            let body = ocsf_transform::output::parquet_file::encode(sorted.schema(), &[sorted])
                .expect("encode");
            std::hint::black_box(body.len());
            // As the engine does after a spill.
            c.presize();
        }
    };
    let mut lines = lines_of(input).filter(|l| !l.is_empty()).peekable();
    let mut arena = bumpalo::Bump::new();
    while lines.peek().is_some() {
        let clock = Instant::now();
        arena.reset();
        let events: Vec<_> = lines
            .by_ref()
            .take(CHUNK)
            .filter_map(|l| match lp.parse(&arena, l) {
                LineResult::Event(v) => Some(v),
                _ => None,
            })
            .collect();
        t[0] += clock.elapsed().as_secs_f64();
        let clock = Instant::now();
        let records: Vec<_> = events
            .iter()
            .map(|ev| src.mapping.map_event(*ev, uid, &arena))
            .collect();
        t[1] += clock.elapsed().as_secs_f64();
        let clock = Instant::now();
        for r in &records {
            if let MapOutcome::Mapped(r) = r {
                cols[r.class].append(r.root);
            }
        }
        t[2] += clock.elapsed().as_secs_f64();
        let clock = Instant::now();
        drop(records);
        drop(events);
        t[3] += clock.elapsed().as_secs_f64();
        if cols.iter().map(RecordColumns::memory).sum::<usize>() > 32 << 20 {
            let clock = Instant::now();
            encode_all(&mut cols);
            t[4] += clock.elapsed().as_secs_f64();
        }
    }
    let clock = Instant::now();
    encode_all(&mut cols);
    t[4] += clock.elapsed().as_secs_f64();
    t
}
