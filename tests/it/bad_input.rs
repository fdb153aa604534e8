//! Bad input never crashes a batch: each bad record is a dead letter naming input, position and
//! reason; values of the wrong type are kept under `unmapped` with a warning.

use std::io::Write;

use ocsf_transform::catalog::Catalog;
use ocsf_transform::engine::Batch;

use super::support::*;

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

const NFW_OK: &str = r#"{"firewall_name":"fw","availability_zone":"az","event_timestamp":"1709633700","event":{"timestamp":"2024-03-05T10:15:00Z","event_type":"netflow","src_ip":"10.0.0.1","src_port":1,"dest_ip":"10.0.0.2","dest_port":2,"proto":"TCP","netflow":{"pkts":1,"bytes":2}}}"#;

/// A config in a temp folder with a small line cap and no default mapping.
fn strict_catalog(dir: &std::path::Path) -> Catalog {
    catalog_in(
        dir,
        r#"{"custom_source_events":{"source_name":"strict","matched_field":"$.kind",
            "ocsf_mapping":{"net":{"schema":"network_activity","schema_mapping":{
              "metadata":{"product":{"name":"P","vendor_name":"V"}},"time":"$.t","activity_id":6,"severity_id":1,
              "src_endpoint":{"ip":"$.src"},"dst_endpoint":{"ip":"$.dst","port":"$.port"}}}},
            "ignore":["heartbeat"]}}"#,
        r#"{"name":"strict","mapping_file":"m.json","limits":{"max_line_bytes":300}}"#,
    )
}

#[test]
fn bad_records_become_dead_letters_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = strict_catalog(dir.path());
    let src = catalog.source("strict").unwrap();
    let deep = format!("{}{}", "[".repeat(140), "]".repeat(140));
    let long = format!(r#"{{"kind":"net","pad":"{}"}}"#, "x".repeat(500));
    let mut input = Vec::new();
    for l in [
        r#"{"kind":"net","t":"2024-03-05T10:00:00Z","src":"10.0.0.1","dst":"10.0.0.2","port":"abc"}"#,
        r#"{"kind":"net","t":"2024-03-05T10:00:01Z","src":"10.0.0.1""#,
        deep.as_str(),
        long.as_str(),
        r#"{"t":"2024-03-05T10:00:02Z"}"#,
        r#"{"kind":"dns","t":"2024-03-05T10:00:03Z"}"#,
        r#"{"kind":"heartbeat"}"#,
        r#"{"kind":"net","t":"yesterday","src":"10.0.0.1","dst":"10.0.0.2"}"#,
        r#"{"kind":"net","t":"2024-03-05T10:00:04Z","port":5}"#,
    ] {
        input.extend_from_slice(l.as_bytes());
        input.push(b'\n');
    }
    input.extend_from_slice(b"{\"kind\":\"net\",\"src\":\"\xff\xfe\"}\n");
    input.extend_from_slice(
        br#"{"kind":"net","t":"2024-03-05T10:00:05Z","src":"10.0.0.1","dst":"10.0.0.300","port":"x"}"#,
    );
    input.push(b'\n');
    let mut batch = Batch::new(src, "bad", defaults());
    batch.add_input("bad.jsonl", None, &input[..]).unwrap();
    let out = batch.finish().unwrap();
    assert_eq!(out.stats.events_in, 11);
    assert_eq!(out.stats.written(), 1);
    assert_eq!(out.stats.ignored, 1);
    assert_eq!(
        out.stats.warnings["unconvertible_value"], 1,
        "{:?}",
        out.stats
    );
    let dead = dead_letters(&out);
    let by_pos = |p: u64| {
        dead.iter()
            .find(|d| d["origin"]["position"] == p)
            .unwrap_or_else(|| panic!("no dead letter at {p}: {dead:#?}"))
    };
    assert!(
        by_pos(2)["reason"]["message"]
            .as_str()
            .unwrap()
            .contains("invalid JSON")
    );
    assert!(
        by_pos(3)["reason"]["message"]
            .as_str()
            .unwrap()
            .contains("recursion limit")
    );
    assert!(
        by_pos(4)["reason"]["message"]
            .as_str()
            .unwrap()
            .contains("exceeds the limit of 300 bytes (the first 300 kept)")
    );
    // What the cap allows is kept: the line's first 300 bytes.
    assert_eq!(
        by_pos(4)["raw"].as_str().unwrap(),
        &long[..300],
        "the overlong line's kept bytes"
    );
    assert_eq!(by_pos(5)["reason"]["kind"], "missing_matched_field");
    assert!(
        by_pos(6)["reason"]["message"]
            .as_str()
            .unwrap()
            .contains("no mapping for `$.kind` = \"dns\"")
    );
    assert_eq!(by_pos(8)["reason"]["kind"], "missing_time");
    // The value that is not a time is named, and where to say how to read it.
    let msg = by_pos(8)["reason"]["message"].as_str().unwrap();
    assert!(
        msg.starts_with("`time` \"yesterday\" is not a time") && msg.contains("timestamp.format"),
        "{msg}"
    );
    assert!(
        by_pos(9)["reason"]["message"]
            .as_str()
            .unwrap()
            .contains("`src_endpoint`")
    );
    assert_eq!(by_pos(10)["reason"]["kind"], "parse_error");
    // A required object absent because its value could not be typed says which value.
    let msg = by_pos(11)["reason"]["message"].as_str().unwrap();
    assert!(
        msg.ends_with(
            "required `dst_endpoint` is absent (values that could not be typed: \
             `dst_endpoint.ip` \"10.0.0.300\", `dst_endpoint.port` \"x\")"
        ),
        "{msg}"
    );
    assert!(
        dead.iter()
            .all(|d| d["origin"]["input"] == "bad.jsonl" && d["source"] == "strict")
    );

    // The wrong-typed port is null and kept under unmapped with its OCSF path.
    let lake = tempfile::tempdir().unwrap();
    write(lake.path(), &out);
    ocsf_check(lake.path());
    let mut b2 = Batch::new(src, "bad", defaults()).with_preview(1);
    b2.add_input("bad.jsonl", None, &input[..]).unwrap();
    let rec = &b2.preview().0[0];
    assert_eq!(rec["unmapped"]["dst_endpoint.port"], "abc");
    assert!(rec["dst_endpoint"].get("port").is_none());
}

#[test]
fn non_utf8_text_line_is_a_dead_letter() {
    let catalog = shipped();
    let src = catalog.source("aws-alb").unwrap();
    let line = b"http 2024-03-05T10:20:02.000000Z app/x/1 198.51.100.24:40000 - -1 -1 -1 503 - 100 0 \"GET http://a/\xff HTTP/1.1\" \"ua\" - - - \"-\" \"-\" \"-\" 0 2024-03-05T10:20:02.000000Z \"-\" \"-\" \"-\" \"-\" \"-\"\n";
    let mut batch = Batch::new(src, "utf8", defaults());
    batch.add_input("alb.log", None, &line[..]).unwrap();
    let out = batch.finish().unwrap();
    let dead = dead_letters(&out);
    assert_eq!(dead.len(), 1);
    assert!(
        dead[0]["reason"]["message"]
            .as_str()
            .unwrap()
            .contains("not UTF-8")
    );
    // The text is readable; the bytes are kept exactly beside it.
    assert!(dead[0]["raw"].as_str().unwrap().contains('\u{fffd}'));
    use base64::Engine as _;
    let exact = base64::engine::general_purpose::STANDARD
        .decode(dead[0]["raw_base64"].as_str().expect("raw_base64"))
        .unwrap();
    assert_eq!(exact, line.strip_suffix(b"\n").unwrap());
}

#[test]
fn truncated_gzip_keeps_what_was_read_and_reports_the_rest() {
    let catalog = shipped();
    let src = catalog.source("aws-network-firewall").unwrap();
    let mut plain = String::new();
    for _ in 0..2000 {
        plain.push_str(NFW_OK);
        plain.push('\n');
    }
    let z = gz(plain.as_bytes());
    let cut = &z[..z.len() / 2];
    let mut batch = Batch::new(src, "trunc", defaults());
    let err = batch.add_input("s3://b/k.gz", None, cut).unwrap_err();
    assert!(
        !err.retryable,
        "a truncated gzip does not get better on retry"
    );
    assert!(err.to_string().contains("s3://b/k.gz"));
    batch.dead_letter_input(&err);
    let out = batch.finish().unwrap();
    assert!(out.stats.written() > 0 && out.stats.written() < 2000);
    assert_eq!(out.stats.dead_lettered["read_error"], 1);
}

#[test]
fn zstd_and_multi_member_gzip_inputs() {
    let catalog = shipped();
    let src = catalog.source("aws-network-firewall").unwrap();
    let line = format!("{NFW_OK}\n");
    let mut two = gz(line.as_bytes());
    two.extend(gz(line.as_bytes()));
    let z = zstd::encode_all(line.as_bytes(), 3).unwrap();
    let mut batch = Batch::new(src, "comp", defaults());
    batch.add_input("two.gz", None, &two[..]).unwrap();
    batch.add_input("one.zst", None, &z[..]).unwrap();
    batch.add_input("empty", None, &b""[..]).unwrap();
    assert_eq!(batch.finish().unwrap().stats.written(), 3);
}

#[test]
fn byte_order_marks_and_utf16_read_like_plain_utf8() {
    // Windows tools often start a file with a UTF-8 BOM, and Windows PowerShell's `>` writes
    // UTF-16LE with a BOM. Either reads exactly as the plain UTF-8 file, CRLF line ends included.
    let catalog = shipped();
    let src = catalog.source("windows-sysmon").unwrap();
    let plain =
        std::fs::read(repo().join("tests/fixtures/windows-sysmon/kinesis-agent-sysmon.jsonl"))
            .unwrap();
    let text = String::from_utf8(plain.clone())
        .unwrap()
        .replace('\n', "\r\n");
    let mut utf8_bom = b"\xef\xbb\xbf".to_vec();
    utf8_bom.extend(text.as_bytes());
    let mut utf16 = vec![0xff, 0xfe];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let run = |bytes: &[u8]| {
        let mut batch = Batch::new(src, "bom", defaults());
        batch.add_input("sysmon.jsonl", None, bytes).unwrap();
        batch.finish().unwrap()
    };
    let expected = run(&plain);
    assert!(expected.stats.written() > 0);
    assert!(!expected.stats.dead_lettered.contains_key("parse_error"));
    for (what, input) in [("UTF-8 BOM", utf8_bom), ("UTF-16LE", utf16)] {
        let got = run(&input);
        assert_eq!(
            got.stats.rows_written, expected.stats.rows_written,
            "{what}"
        );
        assert_eq!(
            got.stats.dead_lettered, expected.stats.dead_lettered,
            "{what}"
        );
        let bodies = |o: &ocsf_transform::engine::BatchOutput| {
            o.objects
                .iter()
                .map(|x| (x.key.clone(), x.body.clone()))
                .collect::<Vec<_>>()
        };
        assert!(bodies(&got) == bodies(&expected), "{what}: objects differ");
    }
}
