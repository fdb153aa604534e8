//! Snapshots of mapped output for the repo's fixtures: a new source is a mapping file plus
//! fixtures plus a snapshot here. Regenerate with UPDATE_SNAPSHOTS=1 and review the diff.

use ocsf_transform::engine::Batch;

use super::support::*;

fn snapshot(source: &str) {
    let catalog = shipped();
    let src = catalog.source(source).unwrap();
    let mut batch = Batch::new(src, "snap", defaults()).with_preview(1000);
    for p in files_under(&repo().join("tests/fixtures").join(source)) {
        let rel = p.strip_prefix(repo()).unwrap().display().to_string();
        batch
            .add_input(&rel, None, std::fs::File::open(&p).unwrap())
            .unwrap();
    }
    let got = serde_json::to_string_pretty(&serde_json::Value::Array(batch.preview().0.to_vec()))
        .unwrap()
        + "\n";
    let path = repo()
        .join("tests/snapshots")
        .join(format!("{source}.json"));
    if std::env::var("UPDATE_SNAPSHOTS").is_ok() || !path.exists() && std::env::var("CI").is_err() {
        std::fs::write(&path, &got).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        got == want,
        "snapshot {} differs; run with UPDATE_SNAPSHOTS=1 and review",
        path.display()
    );
}

#[test]
fn sysmon_snapshot() {
    snapshot("windows-sysmon");
}

#[test]
fn network_firewall_snapshot() {
    snapshot("aws-network-firewall");
}

#[test]
fn alb_snapshot() {
    snapshot("aws-alb");
}
