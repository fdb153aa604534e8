//! An enum's caption sibling (`action` beside `action_id`) carries the caption of the id, as
//! OCSF defines it; the source's own word stays there only for 99 (Other). A mapped word that
//! gives way to the caption is kept under `unmapped` by its OCSF path, not counted as a warning.

use ocsf_transform::catalog::Catalog;
use ocsf_transform::engine::Batch;

use super::support::*;

fn catalog(dir: &std::path::Path) -> Catalog {
    catalog_in(
        dir,
        r#"{"custom_source_events":{"source_name":"fw","matched_field":"$.kind",
            "ocsf_mapping":{"flow":{"schema":"network_activity","schema_mapping":{
              "metadata":{"product":{"name":"P","vendor_name":"V"}},"time":"$.t","activity_id":6,"severity_id":1,
              "src_endpoint":{"ip":"10.0.0.1"},"dst_endpoint":{"ip":"10.0.0.2"},
              "action_id":{"enum":{"evaluate":"$.act","values":{"allowed":1,"blocked":2},"other":99}},
              "action":"$.act",
              "connection_info":{"direction_id":"$.dir_id","direction":"$.dir"}}}}}}"#,
        r#"{"name":"fw","mapping_file":"m.json"}"#,
    )
}

#[test]
fn caption_siblings_carry_the_caption_and_keep_the_source_word() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = catalog(dir.path());
    let src = catalog.source("fw").unwrap();
    let line = |act: &str, dir_id: u32, dir: &str| {
        format!(
            r#"{{"kind":"flow","t":"2024-03-05T10:00:00Z","act":"{act}","dir_id":{dir_id},"dir":"{dir}"}}"#
        )
    };
    let input = [
        line("blocked", 1, "in"),
        line("allowed", 2, "OUTBOUND"),
        line("flagged", 99, "sideways"),
    ]
    .join("\n");
    let mut batch = Batch::new(src, "captions", defaults()).with_preview(3);
    batch
        .add_input("captions.jsonl", None, input.as_bytes())
        .unwrap();
    let records = batch.preview().0.to_vec();
    let out = batch.finish().unwrap();
    assert_eq!(out.stats.written(), 3);
    assert!(out.stats.warnings.is_empty(), "{:?}", out.stats.warnings);

    let seen: Vec<(&str, &str)> = records
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap(),
                r["connection_info"]["direction"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            ("Denied", "Inbound"),
            ("Allowed", "Outbound"),
            ("flagged", "sideways")
        ]
    );
    assert_eq!(
        records[0]["unmapped"],
        serde_json::json!({"action": "blocked", "connection_info.direction": "in"})
    );
    // The same word in another case is the caption; Other keeps the source's word.
    assert!(records[1].get("unmapped").is_none(), "{}", records[1]);
    assert!(records[2].get("unmapped").is_none(), "{}", records[2]);
}
