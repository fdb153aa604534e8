//! The independent OCSF checker finds what is wrong in written Parquet: an object of the
//! engine, rewritten with one fault at a time, fails the check with the fault named.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Int32Array, RecordBatch};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use super::support::*;

/// A lake of the Network Firewall fixtures, and its object with the most rows.
fn lake() -> (tempfile::TempDir, PathBuf) {
    let out = tempfile::tempdir().unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_ocsf-transform"))
        .current_dir(repo())
        .args(["transform", "--source", "aws-network-firewall", "--out"])
        .arg(out.path())
        .arg("tests/fixtures/aws-network-firewall")
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let biggest = files_under(out.path())
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .max_by_key(|p| rows(p))
        .expect("an object");
    assert!(rows(&biggest) > 1, "an object of several rows");
    (out, biggest)
}

fn rows(path: &Path) -> i64 {
    let f = std::fs::File::open(path).unwrap();
    let b = ParquetRecordBatchReaderBuilder::try_new(f).unwrap();
    b.metadata().file_metadata().num_rows()
}

fn read(path: &Path) -> RecordBatch {
    let f = std::fs::File::open(path).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(f)
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<RecordBatch> = reader.collect::<Result<_, _>>().unwrap();
    arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap()
}

fn rewrite(path: &Path, batch: &RecordBatch, props: WriterProperties) {
    let mut body = Vec::new();
    let mut w = ArrowWriter::try_new(&mut body, batch.schema(), Some(props)).unwrap();
    w.write(batch).unwrap();
    w.close().unwrap();
    std::fs::write(path, body).unwrap();
}

fn zstd() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .build()
}

fn errors_of(lake: &Path) -> String {
    let (ok, stdout, stderr) = run_ocsf_check(lake);
    assert!(!ok, "the checker passes a faulty object: {stdout}");
    stderr
}

#[test]
fn the_checker_passes_the_engine_output_as_rewritten_with_zstd() {
    // The control for the faults below: the same rows, every chunk zstd, pass.
    let (out, object) = lake();
    let batch = read(&object);
    rewrite(&object, &batch, zstd());
    ocsf_check(out.path());
}

#[test]
fn the_checker_finds_uncompressed_chunks_that_hold_values() {
    let (out, object) = lake();
    let batch = read(&object);
    let plain = WriterProperties::builder()
        .set_compression(Compression::UNCOMPRESSED)
        .build();
    rewrite(&object, &batch, plain);
    let errors = errors_of(out.path());
    assert!(
        errors.contains("compressed with UNCOMPRESSED, not ZSTD"),
        "{errors}"
    );
}

#[test]
fn the_checker_finds_a_class_uid_that_is_not_the_class_of_the_folder() {
    let (out, object) = lake();
    let batch = read(&object);
    let i = batch.schema().index_of("class_uid").unwrap();
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    // 4001 (Network Activity) becomes 4003 (DNS Activity) in every row.
    let dns = Int32Array::from(vec![4003; batch.num_rows()]);
    assert_eq!(columns[i].data_type(), dns.data_type());
    columns[i] = Arc::new(dns);
    let faulty = RecordBatch::try_new(batch.schema(), columns).unwrap();
    rewrite(&object, &faulty, zstd());
    let errors = errors_of(out.path());
    assert!(
        errors.contains("class dns_activity in the folder of class network_activity"),
        "{errors}"
    );
    assert!(errors.contains("!= class_uid*100+activity_id"), "{errors}");
}
