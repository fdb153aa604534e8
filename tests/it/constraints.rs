//! OCSF class constraints (`at_least_one`, `just_one`): the engine checks them on every record,
//! dotted members included (Patch State names `device.os.sp_name`), and `check` reports a
//! mapping that can never meet them instead of letting every event become a dead letter.

use ocsf_transform::catalog::Catalog;
use ocsf_transform::engine::Batch;
use ocsf_transform::mapping::diagnostics::Level;

use super::support::*;

const COMMON: &str =
    r#""metadata":{"product":{"name":"P","vendor_name":"V"}},"time":"$.t","severity_id":1"#;

fn one_class(dir: &std::path::Path, class: &str, mapping: &str) -> Catalog {
    catalog_in(
        dir,
        &format!(
            r#"{{"custom_source_events":{{"source_name":"s","matched_field":"$.kind",
              "ocsf_mapping":{{"e":{{"schema":"{class}","schema_mapping":{{{COMMON},{mapping}}}}}}}}}}}"#
        ),
        r#"{"name":"s","mapping_file":"m.json"}"#,
    )
}

/// The findings of one level, as `check` prints them.
fn findings(catalog: &Catalog, level: Level) -> Vec<String> {
    catalog
        .diagnostics
        .iter()
        .filter(|d| d.level == level)
        .map(|d| d.to_string())
        .collect()
}

fn errors(catalog: &Catalog) -> Vec<String> {
    findings(catalog, Level::Error)
}

fn warnings(catalog: &Catalog) -> Vec<String> {
    findings(catalog, Level::Warning)
}

#[test]
fn a_dotted_class_constraint_is_met_by_the_nested_member() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = one_class(
        dir.path(),
        "patch_state",
        r#""activity_id":1,"device":{"hostname":"$.host","type_id":1,"os":{"name":"Windows","type_id":100,"sp_name":"$.sp"}}"#,
    );
    assert!(errors(&catalog).is_empty(), "{:?}", errors(&catalog));
    let src = catalog.source("s").unwrap();
    let input = [
        r#"{"kind":"e","t":"2024-03-05T10:00:00Z","host":"pc1","sp":"SP1"}"#,
        r#"{"kind":"e","t":"2024-03-05T10:00:00Z","host":"pc2"}"#,
    ]
    .join("\n");
    let mut batch = Batch::new(src, "patch", defaults());
    batch
        .add_input("patch.jsonl", None, input.as_bytes())
        .unwrap();
    let out = batch.finish().unwrap();
    assert_eq!(out.stats.written(), 1, "{:?}", dead_letters(&out));
    // The independent checker reads the dotted constraint the same way.
    let lake = tempfile::tempdir().unwrap();
    write(lake.path(), &out);
    ocsf_check(lake.path());
    let dead = dead_letters(&out);
    assert_eq!(dead.len(), 1);
    let msg = dead[0]["reason"]["message"].as_str().unwrap();
    assert!(
        msg.contains(
            "needs at least one of device.os.sp_name, device.os.sp_ver, device.os.version"
        ),
        "{msg}"
    );
}

#[test]
fn check_reports_a_class_constraint_no_mapping_can_meet() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = one_class(
        dir.path(),
        "authentication",
        r#""activity_id":1,"user":{"name":"$.user"},"src_endpoint":{"ip":"$.ip"}"#,
    );
    let errs = errors(&catalog);
    assert!(
        errs.iter().any(
            |e| e.contains("needs at least one of service, dst_endpoint")
                && e.contains("m.json")
                && e.contains("\"e\"")
        ),
        "{errs:?}"
    );

    let dir = tempfile::tempdir().unwrap();
    let catalog = one_class(
        dir.path(),
        "authentication",
        r#""activity_id":1,"user":{"name":"$.user"},"dst_endpoint":{"ip":"$.ip"}"#,
    );
    assert!(errors(&catalog).is_empty(), "{:?}", errors(&catalog));
}

#[test]
fn check_reports_just_one_mapped_never_or_twice() {
    let dir = tempfile::tempdir().unwrap();
    let none = one_class(
        dir.path(),
        "authorize_session",
        r#""activity_id":1,"user":{"name":"$.user"}"#,
    );
    assert!(
        errors(&none)
            .iter()
            .any(|e| e.contains("needs exactly one of privileges, group")),
        "{:?}",
        errors(&none)
    );

    let dir = tempfile::tempdir().unwrap();
    let both = one_class(
        dir.path(),
        "authorize_session",
        r#""activity_id":1,"user":{"name":"$.user"},"privileges":"$.privs","group":{"name":"$.group"}"#,
    );
    assert!(errors(&both).is_empty(), "{:?}", errors(&both));
    assert!(
        warnings(&both)
            .iter()
            .any(|w| w.contains("exactly one of privileges, group") && w.contains("both")),
        "{:?}",
        warnings(&both)
    );
}
