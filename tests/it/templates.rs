//! Mapping extensions that build OCSF objects out of one source value: `basename` (a name from
//! a path), `pair` (one item of a `K=V,K=V` string) and an array of object templates for an
//! array attribute (one fingerprint per hash algorithm), checked through the OCSF checker.

use ocsf_transform::engine::Batch;
use ocsf_transform::mapping::diagnostics::Level;

use super::support::*;

const MAPPING: &str = r#"{"custom_source_events":{"source_name":"s","matched_field":"$.kind",
  "ocsf_mapping":{"create":{"schema":"file_activity","schema_mapping":{
    "metadata":{"product":{"name":"P","vendor_name":"V"}},"time":"$.t","severity_id":1,
    "activity_id":1,"device":{"hostname":"pc1","type_id":2},
    "actor":{"process":{"pid":"$.pid","name":{"basename":"$.image"},
      "file":{"path":"$.image","name":{"basename":"$.image"},"type_id":1}}},
    "file":{"path":"$.target","name":{"basename":"$.target"},"type_id":1,
      "hashes":[
        {"algorithm_id":3,"value":{"pair":"$.hashes","key":"SHA256"}},
        {"algorithm_id":1,"value":{"pair":"$.hashes","key":"md5"}},
        {"algorithm_id":99,"algorithm":"IMPHASH","value":{"pair":"$.hashes","key":"IMPHASH"}}]},
    "unmapped":{"hashes":"$.hashes"}}}}}}"#;

#[test]
fn names_from_paths_and_one_fingerprint_per_hash_present() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = catalog_in(
        dir.path(),
        MAPPING,
        r#"{"name":"s","mapping_file":"m.json"}"#,
    );
    let errors: Vec<_> = catalog
        .diagnostics
        .iter()
        .filter(|d| d.level != Level::Warning)
        .map(|d| d.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let src = catalog.source("s").unwrap();
    let sha = "A".repeat(64);
    let md5 = "B".repeat(32);
    let input = [
        format!(
            r#"{{"kind":"create","t":"2024-03-05T10:00:00Z","pid":4,"image":"C:\\Windows\\System32\\svchost.exe","target":"/var/tmp/x.bin","hashes":"SHA1=C0FFEE,MD5={md5}, SHA256 = {sha} ,IMPHASH="}}"#
        ),
        // No hashes at all: no fingerprint list (not a list of empty objects).
        r#"{"kind":"create","t":"2024-03-05T10:00:01Z","pid":4,"image":"svchost.exe","target":"C:\\dir\\"}"#.to_string(),
    ]
    .join("\n");
    let mut batch = Batch::new(src, "t", defaults()).with_preview(2);
    batch.add_input("t.jsonl", None, input.as_bytes()).unwrap();
    let recs = batch.preview().0;
    let first = &recs[0];
    assert_eq!(first["actor"]["process"]["name"], "svchost.exe");
    assert_eq!(
        first["actor"]["process"]["file"]["path"],
        "C:\\Windows\\System32\\svchost.exe"
    );
    assert_eq!(first["file"]["name"], "x.bin");
    // SHA-256 and MD5 (its key in another case), in template order; IMPHASH is empty: absent.
    assert_eq!(
        first["file"]["hashes"],
        serde_json::json!([
            {"algorithm": "SHA-256", "algorithm_id": 3, "value": sha},
            {"algorithm": "MD5", "algorithm_id": 1, "value": md5}
        ])
    );
    // The source string stays under unmapped.
    assert!(
        first["unmapped"]["hashes"]
            .as_str()
            .unwrap()
            .starts_with("SHA1=C0FFEE")
    );
    let second = &recs[1];
    assert_eq!(second["actor"]["process"]["name"], "svchost.exe");
    // A path ending in a separator is its own name.
    assert_eq!(second["file"]["name"], "C:\\dir\\");
    assert!(second["file"].get("hashes").is_none(), "{second}");

    let mut batch = Batch::new(src, "t", defaults());
    batch.add_input("t.jsonl", None, input.as_bytes()).unwrap();
    let out = finish_checked(batch);
    assert_eq!(out.stats.written(), 2);
}

#[test]
fn a_pair_block_without_a_key_name_is_refused_at_load() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("m.json"),
        MAPPING.replace(r#""key":"md5""#, r#""key":"""#),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("sources.json"),
        r#"{"sources":[{"name":"s","mapping_file":"m.json"}]}"#,
    )
    .unwrap();
    let err = ocsf_transform::catalog::Catalog::load(&dir.path().join("sources.json"))
        .err()
        .expect("a fatal mapping error")
        .to_string();
    assert!(
        err.contains("/file/hashes/1/value/key: `key` of a `pair` block is the item's name"),
        "{err}"
    );
}

#[test]
fn an_object_template_that_sets_nothing_is_left_out_with_a_warning() {
    // `feature` sets no attribute, `enrichments` holds one empty item, and `firewall_rule`
    // names only what OCSF's rule does not have: none of them has a Parquet form. The batch
    // still encodes, and what the unknown name read is kept under `unmapped`.
    let dir = tempfile::tempdir().unwrap();
    let catalog = catalog_in(
        dir.path(),
        r#"{"custom_source_events":{"source_name":"s","matched_field":"$.kind",
          "ocsf_mapping":{"flow":{"schema":"network_activity","schema_mapping":{
            "metadata":{"product":{"name":"P","vendor_name":"V","feature":{}}},
            "time":"$.t","activity_id":6,"severity_id":1,"enrichments":[{}],
            "firewall_rule":{"colour":"$.colour"},
            "src_endpoint":{"ip":"$.src"},"dst_endpoint":{"ip":"$.dst"}}}}}}"#,
        r#"{"name":"s","mapping_file":"m.json"}"#,
    );
    let warnings: Vec<String> = catalog
        .diagnostics
        .iter()
        .map(|d| d.to_string())
        .filter(|d| d.contains("sets no attribute of its object"))
        .collect();
    for path in ["metadata.product.feature", "enrichments", "firewall_rule"] {
        assert!(
            warnings.iter().any(|w| w.contains(&format!("`{path}`"))),
            "{path}: {warnings:?}"
        );
    }
    let src = catalog.source("s").unwrap();
    let line = r#"{"kind":"flow","t":"2024-03-05T10:00:00Z","src":"10.0.0.1","dst":"10.0.0.2","colour":"red"}"#;
    let mut batch = Batch::new(src, "t", defaults()).with_preview(1);
    batch.add_input("t.jsonl", None, line.as_bytes()).unwrap();
    let rec = &batch.preview().0[0];
    assert_eq!(rec["unmapped"]["firewall_rule.colour"], "red");
    assert!(rec["metadata"]["product"].get("feature").is_none());
    let out = finish_checked(batch);
    assert_eq!(out.stats.written(), 1);
}
