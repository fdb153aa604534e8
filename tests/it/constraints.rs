//! OCSF class constraints (`at_least_one`, `just_one`): the engine checks them on every record,
//! dotted members included (Patch State names `device.os.sp_name`), and `check` reports a
//! mapping that can never meet them instead of letting every event become a dead letter.

use ocsf_transform::catalog::Catalog;
use ocsf_transform::engine::Batch;
use ocsf_transform::mapping::diagnostics::Level;
use serde_json::json;

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

/// An object the class does not require that lacks what OCSF requires of it (a `tls` without
/// `version`, a `certificate` without `issuer`, an `observables` item without `name`) is taken
/// out of the record, bottom up, its values kept in `unmapped` under their OCSF paths and
/// counted as a warning; the record is written. An object the class requires stays, and the
/// record is a dead letter naming what it lacks.
#[test]
fn an_incomplete_optional_object_is_taken_out_not_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = one_class(
        dir.path(),
        "network_activity",
        r#""activity_id":6,"src_endpoint":{"ip":"$.src"},"dst_endpoint":{"ip":"$.dst","port":"$.port"},
          "tls":{"sni":"$.sni","version":"$.v","certificate":{"issuer":"$.iss","serial_number":"$.ser","subject":"$.sub",
            "fingerprints":[{"algorithm_id":2,"value":"$.fp"}]},"ja3_hash":{"algorithm_id":1,"value":"$.ja3"}},
          "connection_info":{"protocol_name":"tcp","uid":"$.cid"},
          "observables":[{"name":"$.oname","type_id":1,"value":"$.oval"}]"#,
    );
    let src = catalog.source("s").unwrap();
    let ev = |extra: &str| {
        format!(
            r#"{{"kind":"e","t":"2024-03-05T10:00:00Z","src":"10.0.0.1","dst":"10.0.0.2","port":443{extra}}}"#
        )
    };
    let cert = r#","iss":"CN=CA","ser":"01","fp":"0a1b2c3d4e5f60718293a4b5c6d7e8f901234567""#;
    let input = [
        ev(&format!(
            r#","sni":"a.example","v":"TLSv1.3"{cert},"oname":"host","oval":"a.example","ja3":"e7d705a3286e19ea42f587b344ee6865","cid":"c1""#
        )),
        ev(&format!(r#","sni":"b.example"{cert}"#)),
        ev(r#","sni":"c.example","v":"TLSv1.2","sub":"CN=c.example""#),
        ev(r#","oval":"d.example""#),
        r#"{"kind":"e","t":"2024-03-05T10:00:00Z","src":"10.0.0.1","port":443}"#.to_string(),
    ]
    .join("\n");
    let mut batch = Batch::new(src, "tls", defaults()).with_preview(10);
    batch
        .add_input("tls.jsonl", None, input.as_bytes())
        .unwrap();
    let records = batch.preview().0.to_vec();
    let out = batch.finish().unwrap();
    assert_eq!(out.stats.written(), 4, "{:?}", dead_letters(&out));
    assert_eq!(
        out.stats.warnings["incomplete_object"], 3,
        "{:?}",
        out.stats
    );

    // Complete: nothing taken out.
    assert_eq!(records[0]["tls"]["certificate"]["issuer"], "CN=CA");
    assert_eq!(records[0]["tls"]["ja3_hash"]["algorithm_id"], 1);
    assert_eq!(records[0]["connection_info"]["uid"], "c1");
    // A constant beside a value the event lacks: without the value the constant is no valid
    // object (a fingerprint needs its value), so the object is absent, silently; constants
    // that make a valid object on their own stay.
    assert!(
        records[2]["tls"].get("ja3_hash").is_none(),
        "{}",
        records[2]
    );
    assert_eq!(records[2]["connection_info"]["protocol_name"], "tcp");
    assert_eq!(records[0]["observables"][0]["name"], "host");
    assert!(records[0].get("unmapped").is_none(), "{}", records[0]);
    // No version: the whole `tls`, certificate and fingerprints included.
    assert!(records[1].get("tls").is_none(), "{}", records[1]);
    let u = &records[1]["unmapped"];
    assert_eq!(u["tls.sni"], "b.example");
    assert_eq!(u["tls.certificate.issuer"], "CN=CA");
    assert_eq!(u["tls.certificate.serial_number"], "01");
    assert!(
        u["tls.certificate.fingerprints"]
            .as_str()
            .unwrap()
            .contains("0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"),
        "{u}"
    );
    // Only the certificate lacks what it needs; `tls` stays.
    assert_eq!(records[2]["tls"]["version"], "TLSv1.2");
    assert!(records[2]["tls"].get("certificate").is_none());
    assert_eq!(
        records[2]["unmapped"]["tls.certificate.subject"],
        "CN=c.example"
    );
    // The item without a name goes, and with it the list.
    assert!(records[3].get("observables").is_none(), "{}", records[3]);
    assert_eq!(records[3]["unmapped"]["observables[0].value"], "d.example");
    assert_eq!(records[3]["unmapped"]["observables[0].type_id"], "1");

    // `dst_endpoint` is required by the class: the record is a dead letter saying why.
    let dead = dead_letters(&out);
    assert_eq!(dead.len(), 1);
    let msg = dead[0]["reason"]["message"].as_str().unwrap();
    assert!(
        msg.contains("`dst_endpoint` needs at least one of"),
        "{msg}"
    );
    assert_eq!(dead[0]["origin"]["position"], 5);

    let lake = tempfile::tempdir().unwrap();
    write(lake.path(), &out);
    assert_eq!(ocsf_check(lake.path())["rows"], 4);
}

#[test]
fn profiles_read_from_the_event_get_the_profile_of_what_is_mapped() {
    // `cloud` is mapped and the profile list comes from the event, without `cloud`: the record
    // lists it (as a literal list would have it added at load). Listing `cloud` without
    // mapping it: the record lacks what the profile requires, a dead letter that says so.
    let dir = tempfile::tempdir().unwrap();
    let catalog = catalog_in(
        dir.path(),
        r#"{"custom_source_events":{"source_name":"s","matched_field":"$.kind",
          "ocsf_mapping":{
            "read":{"schema":"network_activity","schema_mapping":{
              "metadata":{"product":{"name":"P","vendor_name":"V"},"profiles":"$.profiles"},
              "time":"$.t","activity_id":6,"severity_id":1,"cloud":{"provider":"AWS"},
              "src_endpoint":{"ip":"$.src"},"dst_endpoint":{"ip":"$.dst"}}},
            "listed":{"schema":"http_activity","schema_mapping":{
              "metadata":{"product":{"name":"P","vendor_name":"V"},"profiles":["cloud"]},
              "time":"$.t","activity_id":1,"severity_id":1,
              "http_request":{"http_method":"GET","url":{"url_string":"$.url"}},
              "src_endpoint":{"ip":"$.src"},"dst_endpoint":{"ip":"$.dst"}}}}}}"#,
        r#"{"name":"s","mapping_file":"m.json"}"#,
    );
    let src = catalog.source("s").unwrap();
    let input = [
        r#"{"kind":"read","t":"2024-03-05T10:00:00Z","src":"10.0.0.1","dst":"10.0.0.2","profiles":["host"]}"#,
        r#"{"kind":"read","t":"2024-03-05T10:00:01Z","src":"10.0.0.1","dst":"10.0.0.2"}"#,
        r#"{"kind":"listed","t":"2024-03-05T10:00:02Z","src":"10.0.0.1","dst":"10.0.0.2","url":"http://a/"}"#,
    ]
    .join("\n");
    let mut batch = Batch::new(src, "t", defaults()).with_preview(2);
    batch.add_input("t.jsonl", None, input.as_bytes()).unwrap();
    let recs = batch.preview().0;
    assert_eq!(recs[0]["metadata"]["profiles"], json!(["host", "cloud"]));
    assert_eq!(recs[1]["metadata"]["profiles"], json!(["cloud"]));
    let out = finish_checked(batch);
    assert_eq!((out.stats.written(), out.stats.dead()), (2, 1));
    let dead = dead_letters(&out);
    let msg = dead[0]["reason"]["message"].as_str().unwrap();
    assert!(
        msg.contains("required `cloud` of profile cloud (in `metadata.profiles`) is never mapped"),
        "{msg}"
    );
}
