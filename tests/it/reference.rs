//! The reference library's mapping files and sources config load unchanged, with precise findings.

use ocsf_transform::catalog::Catalog;
use ocsf_transform::mapping::Level;

use super::support::*;

#[test]
fn reference_config_loads_with_precise_findings() {
    let catalog = Catalog::load(&shared().join("reference-mappings/sources_config.json"))
        .expect("loads unchanged");
    assert_eq!(catalog.sources.len(), 3);
    let text: Vec<String> = catalog.diagnostics.iter().map(|d| d.to_string()).collect();
    let has = |needle: &str| text.iter().any(|t| t.contains(needle));
    assert!(
        has(
            "windows_sysmon.json [matched value \"1\"] at /custom_source_events/ocsf_mapping/1/schema_mapping/actor/process: `actor.process` is an OCSF object"
        ),
        "{text:#?}"
    );
    assert!(has("type_uid 100701 is fixed while activity_id varies"));
    assert!(has("`metadata.version` is `v1.0.0`"));
    assert!(has("`metadata.profiles` is an array in OCSF"));
    assert!(has(
        "severity `High` disagrees with severity_id 3 (`Medium`)"
    ));
    assert!(has(
        "`file.type_uid` is not an OCSF attribute of object file; did you mean `type_id`?"
    ));
    assert!(has(
        "`loadbalancing` is not an OCSF 1.1.0 profile; did you mean `load_balancer`?"
    ));
    assert!(catalog.diagnostics.iter().all(|d| d.level != Level::Fatal));
    assert!(
        catalog
            .notes
            .iter()
            .any(|n| n.contains("no `mapping_file`; using `windows_sysmon.json`"))
    );
    // And it runs, losslessly: what the reference mapping cannot make valid OCSF is dead-lettered
    // with the reason (its `actor.process` is a string, so `actor` is absent).
    let out = run(&catalog, "windows-sysmon", "ref", &[shared().join("samples/windows-sysmon/derived-kinesis-agent-shape/otrf-mordor-sysmon.kinesis-agent.jsonl")]);
    assert_eq!(out.stats.events_in, 338);
    assert_eq!(
        out.stats.events_in,
        out.stats.written() + out.stats.dead() + out.stats.ignored
    );
    let dead = dead_letters(&out);
    assert!(dead.iter().any(|d| {
        d["reason"]["message"]
            .as_str()
            .unwrap()
            .contains("required `actor` is absent")
    }));
    assert!(dead.iter().any(|d| {
        d["reason"]["message"]
            .as_str()
            .unwrap()
            .contains("no mapping for `$.EventId` = \"13\"")
    }));
}

#[test]
fn shipped_config_has_no_findings() {
    let catalog = shipped();
    let bad: Vec<String> = catalog
        .diagnostics
        .iter()
        .filter(|d| d.level != Level::Warning)
        .map(|d| d.to_string())
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
    assert_eq!(catalog.sources.len(), 3);
}

/// A misspelt key is ignored, and the finding names the key it was probably meant to be.
#[test]
fn misspelt_keys_are_named_with_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = catalog_in(
        dir.path(),
        r#"{"custom_source_events":{"source_name":"t","matched_field":"$.kind",
            "ocsf_mapping":{"net":{"schema":"network_activity","schema_maping":{}}}}}"#,
        r#"{"name":"t","mapping_file":"m.json","formatt":{"type":"json_lines"}}"#,
    );
    assert!(
        catalog
            .notes
            .iter()
            .any(|n| n.contains("unknown key `formatt` ignored; did you mean `format`?")),
        "{:?}",
        catalog.notes
    );
    let text: Vec<String> = catalog.diagnostics.iter().map(|d| d.to_string()).collect();
    assert!(
        text.iter().any(|t| t.contains(
            "ocsf_mapping/net/schema_maping: unknown key `schema_maping` ignored; did you mean `schema_mapping`?"
        )),
        "{text:#?}"
    );
}

/// Security Lake reads each custom source's prefix as one class with one schema: two classes
/// (or two sources) writing to the same location, or one inside another, and a source name
/// given twice, are refused when the config loads, naming both.
#[test]
fn locations_that_would_mix_classes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["aws-network-firewall.json", "windows-sysmon.json"] {
        std::fs::copy(repo().join("mappings").join(f), dir.path().join(f)).unwrap();
    }
    let load = |sources: &str| {
        let path = dir.path().join("sources.json");
        std::fs::write(&path, format!(r#"{{"sources":[{sources}]}}"#)).unwrap();
        Catalog::load(&path).err().map(|e| e.to_string())
    };
    let nfw = |loc: &str| {
        format!(
            r#"{{"name":"nfw","mapping_file":"aws-network-firewall.json","classes":{{"network_activity":{{"location":"{loc}"}}}}}}"#
        )
    };
    let sysmon = |extra: &str| {
        format!(
            r#"{{"name":"sysmon","mapping_file":"windows-sysmon.json","format":{{"type":"windows_event"}}{extra}}}"#
        )
    };
    let same = sysmon(r#","classes":{"network_activity":{"location":"/ext/net"}}"#);
    let err = load(&format!("{},{same}", nfw("ext/net/"))).expect("refused");
    assert!(
        err.contains("network_activity")
            && err.contains("`nfw`")
            && err.contains("`sysmon`")
            && err.contains("ext/net/"),
        "{err}"
    );
    let inside = sysmon(r#","classes":{"dns_activity":{"location":"ext/net/dns/"}}"#);
    let err = load(&format!("{},{inside}", nfw("ext/net/"))).expect("refused");
    assert!(
        err.contains("dns_activity") && err.contains("ext/net/dns/"),
        "{err}"
    );
    let one_source = sysmon(
        r#","classes":{"process_activity":{"location":"ext/sysmon/"},"file_activity":{"location":"ext/sysmon/"}}"#,
    );
    let err = load(&one_source).expect("refused");
    assert!(
        err.contains("process_activity") && err.contains("file_activity"),
        "{err}"
    );
    let err = load(&format!("{},{}", nfw("ext/a/"), nfw("ext/b/"))).expect("refused");
    assert!(err.contains("`nfw`") && err.contains("twice"), "{err}");
    // Neighbours whose names share a beginning are apart.
    let near = sysmon(r#","classes":{"network_activity":{"location":"ext/network/"}}"#);
    assert_eq!(load(&format!("{},{near}", nfw("ext/net/"))), None);
}
