//! Real lines, damaged at random (bits flipped, cut, JSON and ALB punctuation and odd times put
//! in, pieces of other lines spliced in), through each shipped source: no batch fails, every
//! event is accounted for, every dead letter says why, and what is written passes the OCSF
//! check. The damage is seeded, so a failure repeats.

use std::io::Read;
use std::path::Path;

use ocsf_transform::engine::Batch;

use super::support::*;

/// xorshift64: a fixed sequence from a seed, without a crate.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        if n == 0 {
            0
        } else {
            (self.0 % n as u64) as usize
        }
    }
}

/// What is put into a line: structure, escapes, numbers and times at their limits, bytes that
/// are not UTF-8, ALB's absent request.
const PIECES: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b",",
    b":",
    b"\\",
    b"\\u",
    b"\\ud800",
    b"null",
    b"-",
    b"-1",
    b"1e999",
    b"99999999999999999999",
    b"\r\n",
    b"\t",
    b"\xff",
    b"\xc3",
    b"\x00",
    b"\"- - - \"",
    b"-2021-03-16",
    b"10000-01-01",
    b"0000-01-01",
    b"+25:00",
    b"EventID",
];

fn damage(r: &mut Rng, corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..1 + r.below(4) {
        let mut l = corpus[r.below(corpus.len())].clone();
        for _ in 0..1 + r.below(6) {
            if l.is_empty() {
                l.push(b'x');
            }
            let at = r.below(l.len() + 1);
            match r.below(7) {
                0 => {
                    let i = r.below(l.len());
                    l[i] ^= 1 << r.below(8);
                }
                1 => l.truncate(at),
                2 => {
                    let p = PIECES[r.below(PIECES.len())];
                    l.splice(at..at, p.iter().copied());
                }
                3 => {
                    let end = (at + r.below(20)).min(l.len());
                    l.drain(at..end);
                }
                4 => {
                    let o = &corpus[r.below(corpus.len())];
                    let s = r.below(o.len() + 1);
                    let e = (s + r.below(80)).min(o.len());
                    l.splice(at..at, o[s..e].iter().copied());
                }
                5 => {
                    let end = (at + r.below(30)).min(l.len());
                    let copy = l[at..end].to_vec();
                    l.splice(at..at, copy);
                }
                _ => {
                    let p = PIECES[r.below(PIECES.len())];
                    let i = r.below(l.len());
                    let end = (i + p.len()).min(l.len());
                    l.splice(i..end, p.iter().copied());
                }
            }
        }
        out.extend_from_slice(&l);
        out.push(b'\n');
    }
    out
}

/// The lines of every file under `dir`, decompressed.
fn lines_under(dir: &Path) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    for p in files_under(dir) {
        let (_, mut r) =
            ocsf_transform::input::open_decoded(std::fs::File::open(&p).unwrap(), 1 << 30).unwrap();
        let mut text = Vec::new();
        r.read_to_end(&mut text).unwrap();
        lines.extend(
            text.split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .map(<[u8]>::to_vec),
        );
    }
    lines
}

#[test]
fn damaged_lines_never_fail_a_batch_and_what_is_written_is_valid_ocsf() {
    const INPUTS: usize = 1000;
    let catalog = shipped();
    let lake = tempfile::tempdir().unwrap();
    let mut written = 0;
    for (k, src) in catalog.sources.iter().enumerate() {
        let source = src.name.as_str();
        let mut corpus = lines_under(&repo().join("tests/fixtures").join(source));
        let samples = shared().join("samples").join(source);
        if samples.is_dir() {
            corpus.extend(lines_under(&samples));
        }
        let mut r = Rng(0x9e37_79b9_7f4a_7c15 ^ k as u64);
        let (mut events, mut dead) = (0, 0);
        for i in 0..INPUTS {
            let input = damage(&mut r, &corpus);
            let mut batch = Batch::new(src, format!("damaged-{i}"), defaults());
            if let Err(e) = batch.add_input("damaged.log", None, &input[..]) {
                batch.dead_letter_input(&e);
            }
            let out = batch.finish().expect("a damaged input still encodes");
            let s = &out.stats;
            assert_eq!(
                s.events_in,
                s.written() + s.dead() + s.ignored,
                "{source} input {i}: {s:?}"
            );
            for d in dead_letters(&out) {
                // (`damaged.log#<line>` for a line that held several documents)
                let input = d["origin"]["input"].as_str().unwrap_or_default();
                assert!(input.starts_with("damaged.log"), "{d}");
                let message = d["reason"]["message"].as_str().unwrap_or_default();
                assert!(
                    d["reason"]["kind"].is_string() && !message.is_empty(),
                    "{source} input {i}: a dead letter without a reason: {d}"
                );
            }
            write(lake.path(), &out);
            events += s.events_in;
            dead += s.dead();
            written += s.written();
        }
        // Both outcomes occur: the damage is neither all fatal nor all harmless.
        assert!(dead > 0 && dead < events, "{source}: {dead} of {events}");
    }
    let summary = ocsf_check(lake.path());
    assert_eq!(summary["rows"].as_u64().unwrap(), written);
}

/// Compressed bytes damaged: cut, bits flipped, a stray gzip header, a piece taken out.
fn damage_bytes(r: &mut Rng, mut b: Vec<u8>) -> Vec<u8> {
    match r.below(5) {
        0 => {}
        1 => b.truncate(r.below(b.len() + 1)),
        2 => {
            for _ in 0..1 + r.below(3) {
                let i = r.below(b.len());
                b[i] ^= 1 << r.below(8);
            }
        }
        3 => {
            let at = r.below(b.len() + 1);
            b.splice(at..at, [0x1f, 0x8b, 8, 0]);
        }
        _ => {
            let at = r.below(b.len() + 1);
            let end = (at + r.below(64)).min(b.len());
            b.drain(at..end);
        }
    }
    b
}

/// A CloudWatch Logs subscription envelope (now and then a control message) of `lines`.
fn envelope(r: &mut Rng, lines: &[Vec<u8>]) -> Vec<u8> {
    let events: Vec<serde_json::Value> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            serde_json::json!({"id": i.to_string(), "timestamp": 1_709_633_700_000i64,
                "message": String::from_utf8_lossy(l)})
        })
        .collect();
    let kind = if r.below(8) == 0 {
        "CONTROL_MESSAGE"
    } else {
        "DATA_MESSAGE"
    };
    serde_json::to_vec(
        &serde_json::json!({"messageType": kind, "owner": "111122223333",
        "logGroup": "g", "logStream": "s", "subscriptionFilters": ["f"], "logEvents": events}),
    )
    .unwrap()
}

#[test]
fn damaged_compressed_inputs_envelopes_and_documents_never_fail_a_batch() {
    const INPUTS: usize = 300;
    let dir = tempfile::tempdir().unwrap();
    let nfw = std::fs::read_to_string(repo().join("mappings/aws-network-firewall.json")).unwrap();
    let records = catalog_in(
        dir.path(),
        &nfw,
        r#"{"name":"nfw-records","mapping_file":"m.json",
            "format":{"type":"json","records_key":"Records"}}"#,
    );
    let shipped = shipped();
    let mut corpus = lines_under(&repo().join("tests/fixtures/aws-network-firewall"));
    corpus.extend(lines_under(&shared().join("samples/aws-network-firewall")));
    let lake = tempfile::tempdir().unwrap();
    let mut written = 0;
    for (k, src) in [
        shipped.source("aws-network-firewall").unwrap(),
        records.source("nfw-records").unwrap(),
    ]
    .into_iter()
    .enumerate()
    {
        let mut r = Rng(0x2545_f491_4f6c_dd1d ^ k as u64);
        let mut read_errors = 0;
        for i in 0..INPUTS {
            let lines: Vec<Vec<u8>> = (0..1 + r.below(6))
                .map(|_| corpus[r.below(corpus.len())].clone())
                .collect();
            let plain = if k == 0 {
                lines
                    .iter()
                    .flat_map(|l| [&l[..], b"\n"].concat())
                    .collect()
            } else {
                let mut doc = b"{\"Records\":[".to_vec();
                doc.extend(lines.join(&b","[..]));
                doc.extend_from_slice(b"]}");
                damage(&mut r, &[doc])
            };
            let input = match r.below(5) {
                0 => damage_bytes(&mut r, gzip(&plain)),
                1 => {
                    let (a, b) = plain.split_at(plain.len() / 2);
                    damage_bytes(&mut r, [gzip(a), gzip(b)].concat())
                }
                2 => damage_bytes(&mut r, zstd::encode_all(&plain[..], 1).unwrap()),
                3 => {
                    let env = envelope(&mut r, &lines);
                    let env = damage(&mut r, &[env]);
                    damage_bytes(&mut r, gzip(&env))
                }
                _ => plain,
            };
            // As a Kinesis record, too: an answer, never a panic.
            let _ = ocsf_transform::input::cloudwatch_logs::decode(&input);
            let mut batch = Batch::new(src, format!("damaged-{k}-{i}"), defaults());
            if let Err(e) = batch.add_input("damaged.gz", None, &input[..]) {
                batch.dead_letter_input(&e);
            }
            let out = batch.finish().expect("a damaged input still encodes");
            let s = &out.stats;
            // An input that cannot be read to its end is one dead letter for the rest of it,
            // beside the events read before.
            let unread = s.dead_lettered.get("read_error").copied().unwrap_or(0);
            assert!(unread <= 1, "{s:?}");
            read_errors += unread;
            assert_eq!(
                s.events_in + unread,
                s.written() + s.dead() + s.ignored,
                "{} input {i}: {s:?}",
                src.name
            );
            for d in dead_letters(&out) {
                let message = d["reason"]["message"].as_str().unwrap_or_default();
                assert!(!message.is_empty(), "a dead letter without a reason: {d}");
            }
            write(lake.path(), &out);
            written += s.written();
        }
        assert!(
            read_errors > 0 && read_errors < INPUTS as u64,
            "{read_errors}"
        );
    }
    let summary = ocsf_check(lake.path());
    assert_eq!(summary["rows"].as_u64().unwrap(), written);
}

/// Values a damaged mapping may hold where it had another: paths good and broken, enum blocks,
/// literals of every JSON type.
fn some_value(r: &mut Rng) -> serde_json::Value {
    use serde_json::json;
    const TEXTS: &[&str] = &[
        "$.",
        "$",
        "$.a[",
        "$..x",
        "$.event.src_ip",
        "$.Description.UtcTime",
        "$[*]",
        "$.a[?@.b == 1]",
        "$.UserDefined.x",
        "",
        "-",
        "99",
        "network_activity",
        "x",
        "%Y-%m-%d",
        "epoch",
        "$['a']",
        "$.[",
        "1e999",
    ];
    let text = TEXTS[r.below(TEXTS.len())];
    match r.below(8) {
        0 => json!(text),
        1 => json!(r.below(300) as i64 - 5),
        2 => json!(null),
        3 => json!([]),
        4 => json!({}),
        5 => {
            json!({"enum": {"evaluate": text, "values": {"a": r.below(100), "": null}, "other": 99}})
        }
        6 => json!(true),
        _ => json!([text, 3]),
    }
}

/// Damage the `n`-th node (depth first) of a mapping: replaced, a member removed or added, or
/// wrapped in an array. `n` counts down to the node; below zero, nothing more is done.
fn damage_node(r: &mut Rng, v: &mut serde_json::Value, n: &mut i64) {
    use serde_json::Value;
    if *n == 0 {
        const NAMES: &[&str] = &[
            "time",
            "activity_id",
            "class_uid",
            "metadata",
            "unmapped",
            "bogus_attr",
            "type_uid",
            "severity",
            "src_endpoint",
            "observables",
            "cloud",
            "",
        ];
        match (r.below(4), &mut *v) {
            (1, Value::Object(o)) if !o.is_empty() => {
                let k = o.keys().nth(r.below(o.len())).unwrap().clone();
                o.remove(&k);
            }
            (2, Value::Object(o)) => {
                o.insert(NAMES[r.below(NAMES.len())].into(), some_value(r));
            }
            (3, _) => *v = Value::Array(vec![v.take()]),
            _ => *v = some_value(r),
        }
    }
    *n -= 1;
    match v {
        Value::Array(items) => items.iter_mut().for_each(|x| {
            if *n >= 0 {
                damage_node(r, x, n)
            }
        }),
        Value::Object(o) => o.values_mut().for_each(|x| {
            if *n >= 0 {
                damage_node(r, x, n)
            }
        }),
        _ => {}
    }
}

fn nodes(v: &serde_json::Value) -> i64 {
    1 + match v {
        serde_json::Value::Array(a) => a.iter().map(nodes).sum(),
        serde_json::Value::Object(o) => o.values().map(nodes).sum(),
        _ => 0,
    }
}

#[test]
fn damaged_mappings_load_or_are_refused_and_never_write_invalid_ocsf() {
    const MAPPINGS: usize = 600;
    let mut cases = Vec::new();
    for (file, format, fixtures) in [
        ("windows-sysmon.json", "windows_event", "windows-sysmon"),
        (
            "aws-network-firewall.json",
            "json_lines",
            "aws-network-firewall",
        ),
        ("aws-alb.json", "alb", "aws-alb"),
    ] {
        let mapping: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(repo().join("mappings").join(file)).unwrap(),
        )
        .unwrap();
        let input = lines_under(&repo().join("tests/fixtures").join(fixtures)).join(&b'\n');
        cases.push((mapping, format, input));
    }
    let lake = tempfile::tempdir().unwrap();
    let mut r = Rng(0x853c_49e6_748f_ea9b);
    let (mut loaded, mut written) = (0, 0);
    for i in 0..MAPPINGS {
        let (mapping, format, input) = &cases[r.below(cases.len())];
        let mut m = mapping.clone();
        for _ in 0..1 + r.below(3) {
            let mut n = r.below(nodes(&m) as usize) as i64;
            damage_node(&mut r, &mut m, &mut n);
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("m.json"), m.to_string()).unwrap();
        std::fs::write(
            dir.path().join("sources.json"),
            format!(r#"{{"sources":[{{"name":"s","mapping_file":"m.json","format":{{"type":"{format}"}}}}]}}"#),
        )
        .unwrap();
        // A mapping too broken to use is refused at load, with a message; never a panic.
        let Ok(catalog) = ocsf_transform::catalog::Catalog::load(&dir.path().join("sources.json"))
        else {
            continue;
        };
        loaded += 1;
        let mut batch = Batch::new(catalog.source("s").unwrap(), format!("m{i}"), defaults());
        batch.add_input("fixtures", None, &input[..]).unwrap();
        let out = batch.finish().expect("what a loaded mapping maps encodes");
        let s = &out.stats;
        assert_eq!(
            s.events_in,
            s.written() + s.dead() + s.ignored,
            "mapping {i}: {s:?}"
        );
        // Each mapping its own lake: their schemas differ.
        write(&lake.path().join(format!("m{i}")), &out);
        written += s.written();
    }
    assert!(
        loaded > MAPPINGS / 2 && loaded < MAPPINGS,
        "{loaded} loaded"
    );
    let summary = ocsf_check(lake.path());
    assert_eq!(summary["rows"].as_u64().unwrap(), written);
}
