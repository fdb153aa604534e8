//! Shared helpers: paths to ../shared, running the engine into a folder, and the independent
//! OCSF checker (Python: pyarrow + DuckDB; the interpreter from OCSF_PYTHON or ./.venv).

use std::path::{Path, PathBuf};
use std::process::Command;

use ocsf_transform::catalog::Catalog;
use ocsf_transform::engine::{Batch, BatchOutput, PartitionDefaults};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn shared() -> PathBuf {
    let p = repo().join("../shared");
    assert!(
        p.join("ocsf/ocsf-schema-1.1.0.json").is_file(),
        "../shared must sit beside the repo"
    );
    p
}

pub fn shipped() -> Catalog {
    Catalog::load(&repo().join("mappings/sources.json")).expect("shipped config loads")
}

pub fn defaults() -> PartitionDefaults {
    PartitionDefaults {
        account: "111122223333".into(),
        region: "eu-west-1".into(),
    }
}

/// Files under a folder, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p)
            } else {
                out.push(p)
            }
        }
    }
    out.sort();
    out
}

/// Run `source` over `inputs` and return the output (nothing written).
pub fn run(catalog: &Catalog, source: &str, name: &str, inputs: &[PathBuf]) -> BatchOutput {
    let src = catalog
        .source(source)
        .unwrap_or_else(|| panic!("source {source}"));
    let mut batch = Batch::new(src, name, defaults());
    for p in inputs {
        let f = std::fs::File::open(p).unwrap();
        if let Err(e) = batch.add_input(&p.display().to_string(), None, f) {
            batch.dead_letter_input(&e);
        }
    }
    batch.finish().expect("encodes")
}

pub fn write(out: &Path, output: &BatchOutput) {
    for o in output.objects.iter().chain(output.dead_letters.iter()) {
        let p = out.join(&o.key);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, &o.body).unwrap();
    }
}

pub fn python() -> String {
    if let Ok(p) = std::env::var("OCSF_PYTHON") {
        return p;
    }
    let venv = repo().join(".venv/bin/python");
    if venv.is_file() {
        venv.display().to_string()
    } else {
        "python3".into()
    }
}

/// Run the independent OCSF checker on a lake folder; returns its JSON summary.
pub fn ocsf_check(lake: &Path) -> serde_json::Value {
    let (ok, stdout, stderr) = run_ocsf_check(lake);
    assert!(
        ok,
        "OCSF check failed on {}:\n{stdout}\n{stderr}",
        lake.display()
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("checker summary: {e}: {stdout}"))
}

/// Run the checker; whether it passed, its summary and its list of errors.
pub fn run_ocsf_check(lake: &Path) -> (bool, String, String) {
    let out = Command::new(python())
        .arg(repo().join("tests/tools/ocsf_check.py"))
        .arg("--schema")
        .arg(shared().join("ocsf/ocsf-schema-1.1.0.json"))
        .arg("--json")
        .arg(lake)
        .output()
        .expect("python runs (set OCSF_PYTHON to an interpreter with pyarrow and duckdb)");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn dead_letters(output: &BatchOutput) -> Vec<serde_json::Value> {
    output
        .dead_letters
        .as_ref()
        .map(|d| {
            String::from_utf8_lossy(&d.body)
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect()
        })
        .unwrap_or_default()
}

/// A config in `dir` of one source, `sources_entry` (its `mapping_file` is `m.json`), with
/// `mapping` as that file.
pub fn catalog_in(dir: &Path, mapping: &str, sources_entry: &str) -> Catalog {
    std::fs::write(dir.join("m.json"), mapping).unwrap();
    std::fs::write(
        dir.join("sources.json"),
        format!(r#"{{"sources":[{sources_entry}]}}"#),
    )
    .unwrap();
    Catalog::load(&dir.join("sources.json")).unwrap()
}

/// `data` as one gzip member.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Finish a batch and prove its output: every event accounted for (written, dead-lettered or
/// ignored), and the objects, written to a lake, pass the OCSF check with as many rows.
pub fn finish_checked(batch: Batch) -> BatchOutput {
    let out = batch.finish().unwrap();
    let s = &out.stats;
    assert_eq!(s.events_in, s.written() + s.dead() + s.ignored, "{s:?}");
    let lake = tempfile::tempdir().unwrap();
    write(lake.path(), &out);
    let summary = ocsf_check(lake.path());
    assert_eq!(summary["rows"].as_u64().unwrap(), s.written());
    out
}
