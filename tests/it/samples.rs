//! The public samples in ../shared/samples through the shipped mappings: everything is accounted
//! for, what is written passes the independent OCSF check, and dead letters have the reasons we
//! expect for those samples.

use std::collections::BTreeMap;

use super::support::*;

fn check_source(
    source: &str,
    folder: &str,
    allowed_dead: &[&str],
) -> (ocsf_transform::engine::Stats, Vec<serde_json::Value>) {
    let catalog = shipped();
    let inputs = files_under(&shared().join("samples").join(folder));
    assert!(!inputs.is_empty());
    let out = run(&catalog, source, "samples", &inputs);
    let s = &out.stats;
    assert_eq!(
        s.events_in,
        s.written() + s.dead() + s.ignored,
        "every event is accounted for: {s:?}"
    );
    assert!(s.written() > 0);
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &out);
    let summary = ocsf_check(dir.path());
    assert_eq!(
        summary["rows"].as_u64().unwrap(),
        s.written(),
        "independent reader sees every written row"
    );
    let dead = dead_letters(&out);
    assert_eq!(dead.len() as u64, s.dead());
    for d in &dead {
        let kind = d["reason"]["kind"].as_str().unwrap();
        assert!(allowed_dead.contains(&kind), "unexpected dead letter {d}");
        assert!(!d["reason"]["message"].as_str().unwrap().is_empty());
        assert!(d["origin"]["position"].as_u64().unwrap() > 0);
    }
    (out.stats, dead)
}

#[test]
fn sysmon_samples_in_every_shape() {
    let (stats, dead) = check_source("windows-sysmon", "windows-sysmon", &["unmappable"]);
    for class in [
        "process_activity",
        "file_activity",
        "network_activity",
        "dns_activity",
        "memory_activity",
    ] {
        assert!(
            stats.rows_written.get(class).copied().unwrap_or(0) > 0,
            "no {class} rows: {stats:?}"
        );
    }
    // Only the Sysmon events OCSF cannot hold (no process or file) are dead letters.
    let ids: BTreeMap<String, usize> = dead.iter().fold(BTreeMap::new(), |mut m, d| {
        let msg = d["reason"]["message"].as_str().unwrap();
        let id = msg.split('"').nth(1).unwrap().to_string();
        *m.entry(id).or_default() += 1;
        m
    });
    for id in ids.keys() {
        assert!(
            ["4", "16", "19", "20", "21", "24", "255"].contains(&id.as_str()),
            "{ids:?}"
        );
    }
}

#[test]
fn network_firewall_samples() {
    let (stats, dead) = check_source(
        "aws-network-firewall",
        "aws-network-firewall",
        &["missing_time", "missing_required"],
    );
    assert!(stats.written() >= 1100, "{stats:?}");
    for d in &dead {
        let msg = d["reason"]["message"].as_str().unwrap();
        let input = d["origin"]["input"].as_str().unwrap();
        // Raw Suricata EVE (not wrapped by Network Firewall) and the blog's redacted IPs.
        assert!(
            (input.contains("suricata-eve-raw")
                && msg.contains("matched field `$.event.event_type` is absent"))
                || msg.contains("needs at least one of ip"),
            "{d}"
        );
    }
}

/// Suricata's `tls` sub-object of alert events becomes OCSF `tls` (version, SNI, the server
/// certificate with its SHA-1 fingerprint and validity times), and nothing of a `tls` that
/// lacks a version is lost.
#[test]
fn network_firewall_tls_details() {
    let catalog = shipped();
    let src = catalog.source("aws-network-firewall").unwrap();
    let mut batch =
        ocsf_transform::engine::Batch::new(src, "tls", defaults()).with_preview(usize::MAX);
    for p in files_under(&shared().join("samples/aws-network-firewall")) {
        let f = std::fs::File::open(&p).unwrap();
        batch.add_input(&p.display().to_string(), None, f).unwrap();
    }
    let records = batch.preview().0.to_vec();
    let with_tls: Vec<&serde_json::Value> =
        records.iter().filter(|r| r.get("tls").is_some()).collect();
    assert!(!with_tls.is_empty());
    for r in &with_tls {
        assert!(r["tls"]["version"].is_string(), "{r}");
    }
    let cert = with_tls
        .iter()
        .find_map(|r| r["tls"].get("certificate"))
        .expect("a certificate");
    assert!(
        cert["issuer"].is_string() && cert["serial_number"].is_string(),
        "{cert}"
    );
    assert_eq!(cert["fingerprints"][0]["algorithm_id"], 2);
    assert_eq!(cert["fingerprints"][0]["algorithm"], "SHA-1");
    assert!(cert["expiration_time"].as_i64().unwrap() > cert["created_time"].as_i64().unwrap());
    // No ja3 in these samples: the fingerprint's constant id alone makes no `ja3_hash`.
    assert!(with_tls.iter().all(|r| r["tls"].get("ja3_hash").is_none()));
    let out = batch.finish().unwrap();
    assert!(
        !out.stats.warnings.contains_key("incomplete_object"),
        "{:?}",
        out.stats
    );
}

#[test]
fn alb_samples_every_request_type() {
    let (stats, dead) = check_source("aws-alb", "aws-alb", &[]);
    assert!(dead.is_empty());
    assert_eq!(stats.rows_written["http_activity"], stats.events_in);
}
