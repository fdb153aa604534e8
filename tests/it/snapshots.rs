//! Snapshots of mapped output for the repo's fixtures: a new source is a mapping file plus
//! fixtures plus a snapshot here. Regenerate with UPDATE_SNAPSHOTS=1 and review the diff.

use ocsf_transform::engine::Batch;

use super::support::*;

/// What the fixtures of `source` map to, as the snapshot file holds it.
fn mapped_fixtures(source: &str) -> String {
    let catalog = shipped();
    let src = catalog.source(source).unwrap();
    let mut batch = Batch::new(src, "snap", defaults()).with_preview(1000);
    for p in files_under(&repo().join("tests/fixtures").join(source)) {
        let rel = p.strip_prefix(repo()).unwrap().display().to_string();
        batch
            .add_input(&rel, None, std::fs::File::open(&p).unwrap())
            .unwrap();
    }
    serde_json::to_string_pretty(&serde_json::Value::Array(batch.preview().0.to_vec())).unwrap()
        + "\n"
}

/// Every source of the shipped config has fixtures (`tests/fixtures/<source>/`) and a snapshot
/// of what they map to (`tests/snapshots/<source>.json`); adding a source needs no code here.
#[test]
fn every_shipped_source_maps_its_fixtures_as_its_snapshot_says() {
    let update = std::env::var("UPDATE_SNAPSHOTS").is_ok();
    let mut problems = Vec::new();
    for src in &shipped().sources {
        let name = &src.name;
        let fixtures = repo().join("tests/fixtures").join(name);
        if !fixtures.is_dir() || files_under(&fixtures).is_empty() {
            problems.push(format!(
                "source {name} has no fixtures in {}",
                fixtures.display()
            ));
            continue;
        }
        let got = mapped_fixtures(name);
        let path = repo().join("tests/snapshots").join(format!("{name}.json"));
        if update || !path.exists() && std::env::var("CI").is_err() {
            std::fs::write(&path, &got).unwrap();
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        if got != want {
            problems.push(format!(
                "snapshot {} differs; run with UPDATE_SNAPSHOTS=1 and review the diff",
                path.display()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
