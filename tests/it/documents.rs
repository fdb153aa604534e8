//! The `json` format: events are the elements of the array under `records_key` in each
//! document (CloudTrail's `Records`), or each document itself (Firehose writes them one after
//! another). Documents are read as a stream, event by event: a broken event costs only itself,
//! and broken structure keeps what came before and dead-letters the rest.

use ocsf_transform::catalog::Catalog;
use ocsf_transform::engine::{Batch, BatchOutput};
use serde_json::{Value, json};

use super::support::*;

const MAPPING: &str = r#"{"custom_source_events":{"source_name":"trail","matched_field":"$.eventType",
  "ocsf_mapping":{"AwsApiCall":{"schema":"base_event","schema_mapping":{
    "metadata":{"product":{"name":"P","vendor_name":"V"}},"time":"$.eventTime",
    "activity_id":99,"severity_id":1,"message":"$.eventName"}}}}}"#;

fn catalog(dir: &std::path::Path, format: &str) -> Catalog {
    catalog_in(
        dir,
        MAPPING,
        &format!(
            r#"{{"name":"trail","mapping_file":"m.json","format":{format},"limits":{{"max_line_bytes":400}}}}"#
        ),
    )
}

fn call(name: &str, second: u32) -> String {
    format!(
        r#"{{"eventType":"AwsApiCall","eventTime":"2024-03-05T10:00:{second:02}Z","eventName":"{name}","requestParameters":{{"bucketName":"b","key":"a]}}\"x"}}}}"#
    )
}

/// Messages of the written records, and the output (checked against OCSF).
fn run(catalog: &Catalog, inputs: &[(&str, Vec<u8>)]) -> (Vec<String>, BatchOutput) {
    let mut batch =
        Batch::new(catalog.source("trail").unwrap(), "docs", defaults()).with_preview(100);
    for (name, bytes) in inputs {
        batch.add_input(name, None, &bytes[..]).unwrap();
    }
    let messages = batch
        .preview()
        .0
        .iter()
        .filter_map(|r| r.get("message").and_then(Value::as_str).map(str::to_string))
        .collect();
    (messages, finish_checked(batch))
}

#[test]
fn records_of_each_document_are_events() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = catalog(dir.path(), r#"{"type":"json","records_key":"Records"}"#);
    let first = format!(
        r#"{{"Records":[{},{},{{"eventType":"AwsApiCall","eventName":tru}},{}]}}"#,
        call("GetObject", 1),
        call("PutObject", 2),
        call("ListBuckets", 3)
    );
    let too_big = format!(
        r#"{{"eventType":"AwsApiCall","pad":"{}"}}"#,
        "x".repeat(500)
    );
    let second = format!(
        r#"{{"Records":[{},{too_big},{}],"digest":{{"Records":"not these"}}}}"#,
        call("DeleteObject", 4),
        call("HeadObject", 5)
    );
    let no_key = r#"{"ResultToken":"x"}"#;
    let gz = gzip(format!("{first}\n{second}").as_bytes());
    let (messages, out) = run(
        &catalog,
        &[("trail.json.gz", gz), ("empty.json", no_key.into())],
    );
    assert_eq!(
        messages,
        [
            "GetObject",
            "PutObject",
            "ListBuckets",
            "DeleteObject",
            "HeadObject"
        ]
    );
    let dead = dead_letters(&out);
    let reasons: Vec<(u64, &str)> = dead
        .iter()
        .map(|d| {
            (
                d["origin"]["position"].as_u64().unwrap(),
                d["reason"]["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(
        reasons[0].0 == 3 && reasons[0].1.starts_with("invalid JSON"),
        "{reasons:?}"
    );
    assert_eq!(
        dead[0]["raw"],
        json!(r#"{"eventType":"AwsApiCall","eventName":tru}"#)
    );
    assert!(
        reasons[1].0 == 6 && reasons[1].1.contains("exceeds the limit of 400 bytes"),
        "{reasons:?}"
    );
    assert_eq!(dead[2]["origin"]["input"], json!("empty.json"));
    assert_eq!(
        dead[2]["reason"]["message"],
        json!("document has no `Records` key")
    );
    assert_eq!(dead[2]["raw"], json!(no_key));
}

#[test]
fn documents_one_after_another_are_events() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = catalog(dir.path(), r#"{"type":"json"}"#);
    // As Firehose writes them: no separator, then one per line, then an array.
    let text = format!(
        "{}{}\n{}\n[{},{}]",
        call("A", 1),
        call("B", 2),
        call("C", 3),
        call("D", 4),
        call("E", 5)
    );
    let (messages, out) = run(&catalog, &[("firehose", text.into_bytes())]);
    assert_eq!(messages, ["A", "B", "C", "D", "E"]);
    assert_eq!(out.stats.dead(), 0);
}

#[test]
fn broken_structure_keeps_what_came_before_and_the_rest_as_one_dead_letter() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = catalog(dir.path(), r#"{"type":"json","records_key":"Records"}"#);
    let text = format!(
        r#"{{"Records":[{} {},{}]}}"#,
        call("Kept", 1),
        call("Lost", 2),
        call("AlsoLost", 3)
    );
    let (messages, out) = run(&catalog, &[("broken.json", text.into_bytes())]);
    assert_eq!(messages, ["Kept"]);
    let dead = dead_letters(&out);
    assert_eq!(dead.len(), 1);
    let msg = dead[0]["reason"]["message"].as_str().unwrap();
    assert!(msg.contains("expected `,` or `]` after an event"), "{msg}");
    let raw = dead[0]["raw"].as_str().unwrap();
    assert!(
        raw.starts_with(r#"{"eventType""#) && raw.contains("\"Lost\"") && raw.contains("AlsoLost"),
        "{raw}"
    );
    // Truncated in the middle of an event: the part read is the dead letter.
    let text = format!(r#"{{"Records":[{},{{"eventType":"AwsApi"#, call("Kept", 1));
    let (messages, out) = run(&catalog, &[("cut.json", text.into_bytes())]);
    assert_eq!(messages, ["Kept"]);
    let dead = dead_letters(&out);
    assert_eq!(dead[0]["raw"], json!(r#"{"eventType":"AwsApi"#));
    assert!(
        dead[0]["reason"]["message"]
            .as_str()
            .unwrap()
            .contains("ends inside a value")
    );
}

/// Documents one per line, one of them cut short (a writer stopped mid-line): only it is a dead
/// letter; the documents on the lines after it are events (they used to be one dead letter).
#[test]
fn a_document_cut_short_costs_only_itself() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = catalog(dir.path(), r#"{"type":"json"}"#);
    let c = call("Cut", 2);
    let text = format!(
        "{}\n{}\n{}\n{}\n",
        call("A", 1),
        &c[..c.len() / 2],
        call("B", 3),
        call("C", 4)
    );
    let (messages, out) = run(&catalog, &[("lines.json", text.into_bytes())]);
    assert_eq!(messages, ["A", "B", "C"]);
    let dead = dead_letters(&out);
    assert_eq!(dead.len(), 1, "{dead:#?}");
    assert_eq!(dead[0]["reason"]["kind"], "parse_error");
    assert_eq!(dead[0]["raw"], json!(format!("{}\n", &c[..c.len() / 2])));
}

/// Firehose writes records one after another without a delimiter: a line of `json_lines` that
/// holds several documents is split into them, each an event placed by its number on the
/// line; what cannot be read after the last good one is one dead letter, the rest of the
/// line is kept.
#[test]
fn json_lines_reads_documents_one_after_another_on_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = catalog(dir.path(), r#"{"type":"json_lines"}"#);
    let text = format!(
        "{}{} {}\n{}\n{} not json {}\n",
        call("A", 1),
        call("B", 2),
        call("C", 3),
        call("D", 4),
        call("E", 5),
        call("F", 6)
    );
    let (messages, out) = run(&catalog, &[("firehose", text.into_bytes())]);
    assert_eq!(messages, ["A", "B", "C", "D", "E"]);
    let dead = dead_letters(&out);
    assert_eq!(dead.len(), 1, "{dead:#?}");
    assert_eq!(dead[0]["origin"]["input"], "firehose#3");
    assert_eq!(dead[0]["origin"]["position"], 2);
    assert_eq!(dead[0]["raw"], json!(format!("not json {}", call("F", 6))));
    // Each event has its own id: line 1's three are apart.
    let lake = tempfile::tempdir().unwrap();
    write(lake.path(), &out);
    let check = ocsf_check(lake.path());
    assert_eq!(check["rows"], 5);
    assert_eq!(check["distinct_uids"], 5);
}

/// A mapping that reads the source's own event id into `metadata.uid` keeps it; an event
/// without one gets the id derived from its origin.
#[test]
fn a_mapped_event_id_is_the_uid() {
    let dir = tempfile::tempdir().unwrap();
    let mapping = MAPPING.replace(
        r#""metadata":{"product":{"name":"P","vendor_name":"V"}}"#,
        r#""metadata":{"product":{"name":"P","vendor_name":"V"},"uid":"$.eventID"}"#,
    );
    assert_ne!(mapping, MAPPING);
    let catalog = catalog_in(
        dir.path(),
        &mapping,
        r#"{"name":"trail","mapping_file":"m.json","format":{"type":"json_lines"}}"#,
    );
    let with_id = call("A", 1).replacen('{', r#"{"eventID":"6f1c-aa","#, 1);
    let text = format!("{with_id}\n{}", call("B", 2));
    let mut batch = Batch::new(catalog.source("trail").unwrap(), "uid", defaults()).with_preview(5);
    batch.add_input("ids.jsonl", None, text.as_bytes()).unwrap();
    let records = batch.preview().0.to_vec();
    finish_checked(batch);
    assert_eq!(records[0]["metadata"]["uid"], json!("6f1c-aa"));
    let derived = records[1]["metadata"]["uid"].as_str().unwrap();
    assert!(derived.len() == 36 && derived != "6f1c-aa", "{derived}");
}
