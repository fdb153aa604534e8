//! The command-line tool as a user runs it.

use std::process::Command;

use super::support::*;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ocsf-transform"));
    c.current_dir(repo());
    c
}

#[test]
fn transform_is_deterministic_and_reports() {
    let out = tempfile::tempdir().unwrap();
    let report = out.path().join("report.json");
    for _ in 0..2 {
        let st = bin()
            .args(["transform", "--source", "windows-sysmon", "--out"])
            .arg(out.path())
            .arg("--report")
            .arg(&report)
            .arg("tests/fixtures/windows-sysmon")
            .status()
            .unwrap();
        assert!(st.success());
    }
    let files: Vec<_> = files_under(out.path())
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(
        files.len(),
        r["objects"].as_array().unwrap().len(),
        "a re-run overwrites instead of adding objects"
    );
    assert_eq!(r["stats"]["events_in"], 11);
    assert_eq!(r["stats"]["dead_lettered"]["unmappable"], 1);
    let keys: Vec<String> = r["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["key"].as_str().unwrap().to_string())
        .collect();
    assert!(
        keys.iter()
            .any(|k| k
                .starts_with("ext/windows-sysmon/process_activity/region=us-east-1/accountId="))
    );
    assert!(
        keys.iter().any(|k| k.contains("/eventDay=20240306/")),
        "a record after midnight UTC lands in the next day: {keys:?}"
    );
    let summary = ocsf_check(out.path());
    assert_eq!(summary["rows"], 10);
}

#[test]
fn check_fails_on_reference_and_passes_on_shipped() {
    let o = bin()
        .args([
            "check",
            "--config",
            "../shared/reference-mappings/sources_config.json",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("at /custom_source_events/ocsf_mapping/11/schema_mapping/file/type_uid"),
        "{text}"
    );
    let o = bin().args(["check"]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    let o = bin()
        .args([
            "check",
            "--mapping",
            "../shared/reference-mappings/aws_nfw.json",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
}

/// A caption read from the event beside a fixed id (or in place of the class's own caption) is
/// valid, and a warning says what is written; a literal caption that disagrees is an error.
#[test]
fn check_tells_a_path_caption_from_a_wrong_literal() {
    let dir = tempfile::tempdir().unwrap();
    let mapping = |severity: &str| {
        format!(
            r#"{{"custom_source_events":{{"source_name":"x","matched_field":"$.kind",
              "ocsf_mapping":{{"net":{{"schema":"network_activity","schema_mapping":{{
                "metadata":{{"product":{{"name":"P","vendor_name":"V"}}}},"time":"$.t",
                "class_name":"$.cls","type_uid":"$.t_uid","activity_id":6,"activity_name":"$.what","severity_id":1,"severity":"{severity}",
                "src_endpoint":{{"ip":"$.src"}},"dst_endpoint":{{"ip":"$.dst"}}}}}}}}}}}}"#
        )
    };
    let run = |severity: &str| {
        let f = dir.path().join("m.json");
        std::fs::write(&f, mapping(severity)).unwrap();
        let o = bin()
            .args(["check", "-v", "--mapping", f.to_str().unwrap()])
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    let (code, text) = run("$.level");
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("schema_mapping/severity: severity is read from `$.level` beside a fixed severity_id 1: it is written as `Informational`"),
        "{text}"
    );
    assert!(
        text.contains("schema_mapping/activity_name: activity_name is read from `$.what` beside a fixed activity_id 6"),
        "{text}"
    );
    assert!(
        text.contains("schema_mapping/class_name: class_name is read from `$.cls`, but it is the caption of the class: written as `Network Activity`"),
        "{text}"
    );
    assert!(
        text.contains(
            "schema_mapping/type_uid: type_uid is derived as class_uid*100 + activity_id"
        ),
        "{text}"
    );
    let (code, text) = run("Loud");
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("severity `Loud` disagrees with severity_id 1 (`Informational`)"),
        "{text}"
    );
}

/// Hidden warnings are announced with the flag that lists them, and an error names its cause
/// once (the chain used to repeat the JSON error the message already held).
#[test]
fn check_names_hidden_warnings_and_errors_say_their_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("m.json");
    std::fs::write(
        &f,
        r#"{"custom_source_events":{"source_name":"x","matched_field":"$.kind",
          "ocsf_mapping":{"net":{"schema":"network_activity","schema_mapping":{
            "metadata":{"product":{"name":"P","vendor_name":"V"}},"time":"$.t","activity_id":6,
            "severity_id":1,"src_endpoint":{"ip":"$.src"},"dst_endpoint":{"ip":"$.dst"},
            "connection_info":{"protocol_name":"tcp"}}}}}}"#,
    )
    .unwrap();
    let check = |verbose: bool| {
        let mut c = bin();
        c.args(["check", "--mapping", f.to_str().unwrap()]);
        if verbose {
            c.arg("--verbose");
        }
        String::from_utf8_lossy(&c.output().unwrap().stdout).into_owned()
    };
    let quiet = check(false);
    assert!(
        quiet.contains("0 error(s), 1 warning(s) (--verbose lists the warnings)"),
        "{quiet}"
    );
    assert!(!quiet.contains("connection_info.direction_id"), "{quiet}");
    let loud = check(true);
    assert!(
        loud.contains("required `connection_info.direction_id` is not mapped"),
        "{loud}"
    );
    assert!(loud.contains("0 error(s), 1 warning(s)\n"), "{loud}");

    std::fs::write(dir.path().join("broken.json"), r#"{"custom_source_events":{"source_name":"x","matched_field":"$.k","ocsf_mapping":{"a":{}}}}"#).unwrap();
    std::fs::write(
        dir.path().join("sources.json"),
        r#"{"sources":[{"name":"x","mapping_file":"broken.json","format":{"type":"json_lines"}}]}"#,
    )
    .unwrap();
    let o = bin()
        .args([
            "check",
            "--config",
            dir.path().join("sources.json").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("broken.json is not valid JSON for a mapping file"),
        "{err}"
    );
    assert_eq!(err.matches("missing field `schema`").count(), 1, "{err}");
}

/// A config of one source needs no `--source`; with several, the error names them.
#[test]
fn the_only_source_of_a_config_needs_no_name() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("m.json"),
        r#"{"custom_source_events":{"source_name":"zeek-conn","matched_field":"$.proto",
          "timestamp":{"field":"$.ts","format":"epoch"},"ocsf_mapping":{},
          "default":{"schema":"network_activity","schema_mapping":{
            "metadata":{"product":{"name":"Zeek","vendor_name":"Zeek"},"uid":"$.uid"},
            "time":"$.ts","activity_id":6,"severity_id":1,
            "src_endpoint":{"ip":"$['id.orig_h']","port":"$['id.orig_p']"},
            "dst_endpoint":{"ip":"$['id.resp_h']","port":"$['id.resp_p']"}}}}}"#,
    )
    .unwrap();
    let config = dir.path().join("sources.json");
    std::fs::write(
        &config,
        r##"{"sources":[{"name":"zeek-conn","mapping_file":"m.json",
          "format":{"type":"delimited","delimiter":"tab","comment":"#","null_values":["-","(empty)"],
            "columns":["ts","uid","id.orig_h","id.orig_p","id.resp_h","id.resp_p","proto"]},
          "account_id":"external","region":"eu-west-1"}]}"##,
    )
    .unwrap();
    let log = dir.path().join("conn.log");
    std::fs::write(
        &log,
        "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n\
         1764633599.9996\tCAcJw21\t192.168.1.10\t51234\t10.0.0.5\t443\ttcp\n#close\t2025-12-02\n",
    )
    .unwrap();
    let out = dir.path().join("lake");
    let o = bin()
        .args(["transform", "--config", config.to_str().unwrap(), "--out"])
        .arg(&out)
        .arg(&log)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The Zeek time of the day's last millisecond stays on that day.
    let files = files_under(&out.join(
        "ext/zeek-conn/network_activity/region=eu-west-1/accountId=external/eventDay=20251201",
    ));
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(ocsf_check(&out)["rows"], 1);

    let o = bin().args(["preview"]).arg(&log).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("the config has several sources; name one with --source (have: windows-sysmon, aws-network-firewall, aws-alb)"),
        "{err}"
    );
}

#[test]
fn preview_and_schema() {
    let o = bin()
        .args([
            "preview",
            "--source",
            "aws-network-firewall",
            "-n",
            "2",
            "tests/fixtures/aws-network-firewall",
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("\"type_uid\": 400106")
            && text.contains("\"class_name\": \"Network Activity\""),
        "{text}"
    );
    let o = bin().args(["schema"]).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("source aws-alb class http_activity (4002) at ext/aws-alb/http_activity/")
    );
    assert!(text.contains("unmapped: map<string,string>") && text.contains("time: bigint"));
    let o = bin()
        .args(["transform", "--source", "nope", "x"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn stdin_input() {
    let out = tempfile::tempdir().unwrap();
    let mut child = bin()
        .args(["transform", "--source", "aws-alb", "--out"])
        .arg(out.path())
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let data = std::fs::read(repo().join("tests/fixtures/aws-alb/shop-alb.log.gz")).unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&data).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("3 rows written"));
}

/// The shipped Network Firewall mapping writes protocol names in lower case, as OCSF does, and
/// their IANA numbers: by name, from a numeric `proto`, and an unknown name kept in `unmapped`.
#[test]
fn preview_from_stdin_shows_protocols_as_ocsf_writes_them() {
    use std::io::Write;
    let line = r#"{"firewall_name":"fw","availability_zone":"az","event_timestamp":"1709633700","event":{"timestamp":"2024-03-05T10:15:00Z","event_type":"netflow","src_ip":"10.0.0.1","src_port":1,"dest_ip":"10.0.0.2","dest_port":2,"proto":"PROTO","netflow":{"pkts":1,"bytes":2}}}"#;
    let input: String = ["IPv6-ICMP", "47", "FOO"]
        .iter()
        .map(|p| line.replace("PROTO", p) + "\n")
        .collect();
    let mut child = bin()
        .args(["preview", "--source", "aws-network-firewall", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    let records: Vec<serde_json::Value> = serde_json::Deserializer::from_slice(&o.stdout)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    let conn: Vec<(&str, Option<i64>)> = records
        .iter()
        .map(|r| {
            let c = &r["connection_info"];
            (
                c["protocol_name"].as_str().unwrap(),
                c["protocol_num"].as_i64(),
            )
        })
        .collect();
    assert_eq!(
        conn,
        vec![("ipv6-icmp", Some(58)), ("47", Some(47)), ("foo", None)]
    );
    assert_eq!(
        records[2]["unmapped"]["connection_info.protocol_num"], "FOO",
        "{}",
        records[2]
    );
}

/// Run `transform --source aws-alb` on `input` (a path, or `-` with `stdin`) into `out`; the
/// Parquet objects under `out` afterwards.
fn alb_run(out: &std::path::Path, input: &std::path::Path, stdin: Option<&[u8]>) -> Vec<String> {
    use std::io::Write;
    let mut child = bin()
        .args(["transform", "--source", "aws-alb", "--out"])
        .arg(out)
        .arg(input)
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    pipe.write_all(stdin.unwrap_or_default()).unwrap();
    drop(pipe);
    assert!(child.wait().unwrap().success());
    files_under(out)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .map(|p| p.display().to_string())
        .collect()
}

/// A re-run of the same input overwrites its objects; different content under the same path
/// (a log rotated to the same name) or on standard input gets objects of its own, and the
/// earlier ones stay.
#[test]
fn object_names_follow_the_input_not_only_its_path() {
    let fixture = std::fs::read(repo().join("tests/fixtures/aws-alb/shop-alb.log.gz")).unwrap();
    let mut text = String::new();
    use std::io::Read;
    flate2::read::MultiGzDecoder::new(&fixture[..])
        .read_to_string(&mut text)
        .unwrap();
    let first_line = format!("{}\n", text.lines().next().unwrap());

    // `metadata.uid` of the first event of `log`, as `preview` shows it.
    let first_uid = |log: &std::path::Path| {
        let o = bin()
            .args(["preview", "--source", "aws-alb", "-n", "1"])
            .arg(log)
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::Deserializer::from_slice(&o.stdout)
            .into_iter()
            .next()
            .unwrap()
            .unwrap();
        v["metadata"]["uid"].as_str().unwrap().to_string()
    };

    let dir = tempfile::tempdir().unwrap();
    let (out, log) = (dir.path().join("lake"), dir.path().join("alb.log"));
    std::fs::write(&log, &text).unwrap();
    let first = alb_run(&out, &log, None);
    assert!(!first.is_empty());
    assert_eq!(alb_run(&out, &log, None), first, "same file: overwritten");
    let uid = first_uid(&log);
    assert_eq!(first_uid(&log), uid, "same file: same ids");
    std::fs::write(&log, &first_line).unwrap();
    // The same line at the same position of the same path, but another file: another id.
    assert_ne!(first_uid(&log), uid);
    let rotated = alb_run(&out, &log, None);
    assert!(
        first.iter().all(|k| rotated.contains(k)),
        "earlier objects stay"
    );
    assert!(
        rotated.len() > first.len(),
        "the new content has objects of its own"
    );

    let out = dir.path().join("lake-stdin");
    let dash = std::path::Path::new("-");
    let a = alb_run(&out, dash, Some(text.as_bytes()));
    assert_eq!(alb_run(&out, dash, Some(text.as_bytes())), a);
    let b = alb_run(&out, dash, Some(first_line.as_bytes()));
    assert!(
        a.iter().all(|k| b.contains(k)) && b.len() > a.len(),
        "{a:?} {b:?}"
    );
}

/// A folder given as input is read without its hidden entries and without the output folder
/// inside it: running twice over `.` reads the same events, not the lake the first run wrote.
#[test]
fn a_folder_is_read_without_hidden_entries_or_the_lake_inside_it() {
    let work = tempfile::tempdir().unwrap();
    let logs = work.path().join("logs");
    std::fs::create_dir_all(logs.join(".git")).unwrap();
    std::fs::copy(
        repo().join("tests/fixtures/aws-network-firewall/edge-fw.log.gz"),
        logs.join("edge-fw.log.gz"),
    )
    .unwrap();
    std::fs::write(logs.join(".DS_Store"), b"\0\0\0\x01Bud1").unwrap();
    std::fs::write(logs.join(".git/HEAD"), b"ref: refs/heads/main\n").unwrap();
    let run = || {
        let out = bin()
            .current_dir(work.path())
            .args(["transform", "--source", "aws-network-firewall", "--config"])
            .arg(repo().join("mappings/sources.json"))
            .args(["--report", "report.json", "."])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let r: serde_json::Value =
            serde_json::from_slice(&std::fs::read(work.path().join("report.json")).unwrap())
                .unwrap();
        (r, String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (first, stderr) = run();
    assert!(
        stderr.contains(".DS_Store") && stderr.contains(".git"),
        "{stderr}"
    );
    let (second, stderr) = run();
    assert!(stderr.contains("lake"), "{stderr}");
    for r in [&first, &second] {
        assert_eq!(r["stats"]["dead_lettered"], serde_json::json!({}), "{r}");
        assert!(r["stats"]["events_in"].as_u64().unwrap() > 0);
    }
    assert_eq!(first["stats"], second["stats"]);
    assert_eq!(first["objects"], second["objects"]);
}

/// A `timestamp.format` that cannot read back a time it writes (no date in it, or no format at
/// all) is an error of `check`, naming the file and the key, not a dead letter per record.
#[test]
fn check_refuses_a_time_format_that_cannot_read_a_time() {
    let dir = tempfile::tempdir().unwrap();
    for (format, says) in [
        ("%H:%M:%S", "cannot read back a time it writes (`10:15:02`)"),
        ("epoch_us", "none of auto, epoch, epoch_ms"),
        ("%Y-%m-%d %J", "is not a strftime format"),
    ] {
        let f = dir.path().join("m.json");
        std::fs::write(
            &f,
            format!(
                r#"{{"custom_source_events":{{"source_name":"x","matched_field":"$.kind",
                  "timestamp":{{"field":"$.t","format":"{format}"}},
                  "ocsf_mapping":{{"e":{{"schema":"base_event","schema_mapping":{{
                    "metadata":{{"product":{{"name":"P","vendor_name":"V"}}}},"time":"$.t",
                    "activity_id":99,"severity_id":1}}}}}}}}}}"#
            ),
        )
        .unwrap();
        let o = bin()
            .args(["check", "--mapping", f.to_str().unwrap()])
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        assert_ne!(o.status.code(), Some(0), "{format}: {out}");
        assert!(
            out.contains("/custom_source_events/timestamp/format") && out.contains(says),
            "{format}: {out}"
        );
    }
}

/// An enum's `absent` is used when the value is absent (its `other` otherwise), and `check`
/// holds it to the enum's values as it does `values` and `other`.
#[test]
fn enum_absent_is_for_an_absent_value_and_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let mapping = |absent: i64| {
        format!(
            r#"{{"custom_source_events":{{"source_name":"x","matched_field":"$.kind",
              "ocsf_mapping":{{"e":{{"schema":"base_event","schema_mapping":{{
                "metadata":{{"product":{{"name":"P","vendor_name":"V"}}}},"time":"$.t",
                "activity_id":99,"severity_id":1,
                "status_id":{{"enum":{{"evaluate":"$.ok","values":{{"yes":1,"no":2}},"other":99,"absent":{absent}}}}}}}}}}}}}}}"#
        )
    };
    let f = dir.path().join("m.json");
    std::fs::write(&f, mapping(7)).unwrap();
    let o = bin()
        .args(["check", "--mapping", f.to_str().unwrap()])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("/schema_mapping/status_id/enum/absent"),
        "{out}"
    );

    std::fs::write(&f, mapping(0)).unwrap();
    let events = dir.path().join("e.jsonl");
    std::fs::write(
        &events,
        concat!(
            r#"{"kind":"e","t":1709633702000,"ok":"yes"}"#,
            "\n",
            r#"{"kind":"e","t":1709633702000,"ok":"maybe"}"#,
            "\n",
            r#"{"kind":"e","t":1709633702000}"#,
            "\n",
            r#"{"kind":"e","t":1709633702000,"ok":null}"#,
            "\n",
        ),
    )
    .unwrap();
    let config = dir.path().join("sources.json");
    std::fs::write(
        &config,
        r#"{"sources":[{"name":"x","mapping_file":"m.json","format":{"type":"json_lines"}}]}"#,
    )
    .unwrap();
    let o = bin()
        .args(["preview", "--config", config.to_str().unwrap(), "-n", "4"])
        .arg(&events)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    let ids: Vec<i64> = serde_json::Deserializer::from_str(&text)
        .into_iter::<serde_json::Value>()
        .map(|v| v.unwrap()["status_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![1, 99, 0, 0], "{text}");
}
