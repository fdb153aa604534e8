//! Text formats users describe in the sources config: delimited lines (VPC Flow Logs, with a
//! header line in each input) and lines matched by a regex with named captures. Each runs
//! through a mapping to Network Activity, is written to Parquet and checked against OCSF.

use ocsf_transform::catalog::Catalog;
use ocsf_transform::engine::{Batch, BatchOutput};
use serde_json::{Value, json};

use super::support::*;

/// Run `inputs` (name, text) through `source`; the OCSF JSON of every written record, and the
/// output after it is written to a lake that passes the OCSF check.
fn transform(
    catalog: &Catalog,
    source: &str,
    inputs: &[(&str, &str)],
) -> (Vec<Value>, BatchOutput) {
    let src = catalog.source(source).unwrap();
    let mut batch = Batch::new(src, "text", defaults()).with_preview(100);
    for (name, text) in inputs {
        batch.add_input(name, None, text.as_bytes()).unwrap();
    }
    // The preview lists dead letters too, in input order; the records are the rest.
    let records: Vec<Value> = batch
        .preview()
        .0
        .iter()
        .filter(|r| r.get("dead_letter").is_none())
        .cloned()
        .collect();
    (records, finish_checked(batch))
}

const VPC_MAPPING: &str = r#"{"custom_source_events":{"source_name":"vpc","matched_field":"$.version",
  "ocsf_mapping":{"2":{"schema":"network_activity","schema_mapping":{
    "metadata":{"product":{"name":"VPC Flow Logs","vendor_name":"AWS"}},
    "time":"$.start","start_time":"$.start","end_time":"$.end",
    "activity_id":6,"severity_id":1,
    "cloud":{"provider":"AWS","account":{"uid":"$['account-id']"}},
    "src_endpoint":{"ip":"$.srcaddr","port":"$.srcport","interface_uid":"$['interface-id']"},
    "dst_endpoint":{"ip":"$.dstaddr","port":"$.dstport"},
    "connection_info":{"protocol_num":"$.protocol"},
    "traffic":{"packets":"$.packets","bytes":"$.bytes"},
    "action_id":{"enum":{"evaluate":"$.action","values":{"ACCEPT":1,"REJECT":2},"other":99}},
    "status_detail":"$['log-status']"}}}}}"#;

#[test]
fn delimited_lines_take_their_names_from_each_inputs_header() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = catalog_in(
        dir.path(),
        VPC_MAPPING,
        r##"{"name":"vpc","mapping_file":"m.json","format":{"type":"delimited","delimiter":"space","header":true,"comment":"#"}}"##,
    );
    // The default VPC Flow Logs fields, then a custom order in a second file: each input's
    // own header names its columns.
    let first = "\
version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
# a comment line
2 111122223333 eni-0a1b 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1709632800 1709632860 ACCEPT OK
2 111122223333 eni-0a1b 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1709632900 1709632960 REJECT OK
2 111122223333 eni-0a1b - - - - - - - 1709633000 1709633060 - NODATA
";
    let second = "\
srcaddr dstaddr version account-id start end action log-status srcport dstport protocol packets bytes interface-id
10.0.0.5 10.0.0.6 2 111122223333 1709633100 1709633160 ACCEPT OK 443 51234 6 3 180 eni-0c2d
10.0.0.7 10.0.0.8 2 111122223333 1709633200 1709633260 ACCEPT OK https 51235 6 3 180 eni-0c2d
";
    let (records, out) = transform(&catalog, "vpc", &[("a.log", first), ("b.log", second)]);
    let s = &out.stats;
    // Headers and the comment are not events; NODATA has no endpoints, which OCSF requires.
    assert_eq!((s.events_in, s.written(), s.dead()), (5, 4, 1), "{s:?}");
    let dead = dead_letters(&out);
    assert_eq!(dead[0]["reason"]["kind"], "missing_required", "{}", dead[0]);
    assert!(
        dead[0]["raw"].as_str().unwrap().contains("NODATA"),
        "{}",
        dead[0]
    );

    // `cloud` and `action_id` belong to profiles the mapping does not list: they are added.
    let first_row = &records[0];
    assert_eq!(
        first_row["metadata"]["profiles"],
        json!(["security_control", "cloud"])
    );
    assert_eq!(first_row["time"], json!(1_709_632_800_000i64));
    assert_eq!(first_row["end_time"], json!(1_709_632_860_000i64));
    assert_eq!(
        first_row["src_endpoint"],
        json!({"ip": "172.31.16.139", "port": 20641, "interface_uid": "eni-0a1b"})
    );
    assert_eq!(first_row["traffic"], json!({"packets": 20, "bytes": 4249}));
    assert_eq!(first_row["cloud"]["account"]["uid"], "111122223333");
    assert_eq!(
        (&first_row["action_id"], &first_row["action"]),
        (&json!(1), &json!("Allowed"))
    );
    assert_eq!(records[1]["action"], "Denied");
    // The second file's order of columns is read from its own header.
    assert_eq!(
        records[2]["src_endpoint"]["port"],
        json!(443),
        "{}",
        records[2]
    );
    assert_eq!(records[2]["dst_endpoint"]["ip"], "10.0.0.6");
    assert_eq!(records[2]["src_endpoint"]["interface_uid"], "eni-0c2d");
    // A word where a port belongs: the port is null, the word kept, the record written.
    assert!(
        records[3]["src_endpoint"].get("port").is_none(),
        "{}",
        records[3]
    );
    assert_eq!(
        records[3]["unmapped"],
        json!({"src_endpoint.port": "https"})
    );
    assert_eq!(
        s.warnings.get("unconvertible_value"),
        Some(&1),
        "{:?}",
        s.warnings
    );

    // Files joined end to end (`cat a.log a.log`): the header met again is a header.
    let joined = format!("{first}{first}");
    let (_, out) = transform(&catalog, "vpc", &[("joined.log", &joined)]);
    let s = &out.stats;
    assert_eq!((s.events_in, s.written(), s.dead()), (6, 4, 2), "{s:?}");
}

#[test]
fn regex_captures_become_the_events_fields() {
    let dir = tempfile::tempdir().unwrap();
    let mapping = r#"{"custom_source_events":{"source_name":"edge","matched_field":"$.verdict",
      "default":{"schema":"network_activity","schema_mapping":{
        "metadata":{"product":{"name":"Edge","vendor_name":"Example"}},
        "time":"$.time","activity_id":6,"severity_id":1,"cloud":{"provider":"AWS"},
        "src_endpoint":{"ip":"$.src","port":"$.sport"},
        "dst_endpoint":{"ip":"$.dst","port":"$.dport"},
        "connection_info":{"protocol_num":"$.proto"},
        "action_id":{"enum":{"evaluate":"$.verdict","values":{"ALLOW":1,"DENY":2}}},
        "unmapped":{"rule":"$.rule"}}},
      "ocsf_mapping":{}}}"#;
    let pattern = r"^(?P<time>\S+) (?P<verdict>ALLOW|DENY) (?P<proto>\d+) (?P<src>[\d.]+):(?P<sport>\d+) -> (?P<dst>[\d.]+):(?P<dport>\d+)(?: rule=(?P<rule>\S+))?$";
    let entry = json!({"name": "edge", "mapping_file": "m.json",
        "format": {"type": "regex", "pattern": pattern}});
    let catalog = catalog_in(dir.path(), mapping, &entry.to_string());
    let text = "\
2024-03-05T10:00:00Z ALLOW 6 10.0.0.1:51000 -> 10.0.0.2:443 rule=web
2024-03-05T10:00:05Z DENY 17 10.0.0.3:5353 -> 10.0.0.4:53
this line is not a firewall record
";
    let (records, out) = transform(&catalog, "edge", &[("edge.log", text)]);
    let s = &out.stats;
    assert_eq!((s.events_in, s.written(), s.dead()), (3, 2, 1), "{s:?}");
    let dead = dead_letters(&out);
    assert_eq!(dead[0]["reason"]["kind"], "parse_error");
    assert!(
        dead[0]["reason"]["message"]
            .as_str()
            .unwrap()
            .contains("does not match the format's regex"),
        "{}",
        dead[0]
    );
    assert_eq!(dead[0]["origin"]["position"], json!(3));
    assert_eq!(records[0]["time"], json!(1_709_632_800_000i64));
    assert_eq!(
        records[0]["dst_endpoint"],
        json!({"ip": "10.0.0.2", "port": 443})
    );
    assert_eq!(records[0]["unmapped"], json!({"rule": "web"}));
    assert_eq!(records[1]["connection_info"]["protocol_num"], json!(17));
    assert_eq!(records[1]["action"], "Denied");
    // An optional capture that did not take part is absent, not an empty string.
    assert!(records[1].get("unmapped").is_none(), "{}", records[1]);
}

#[test]
fn alb_columns_of_a_newer_format_are_kept_in_unmapped() {
    // AWS adds ALB fields at the end of the line; those this version does not know yet are
    // kept, named by position, not dropped.
    let catalog = shipped();
    let line = r#"https 2024-03-05T10:20:00.100000Z app/shop/1 198.51.100.23:60123 10.0.5.10:8443 0.001 0.120 0.000 200 200 512 2048 "GET https://shop.example:443/cart HTTP/1.1" "ua" TLS_AES_128_GCM_SHA256 TLSv1.3 arn:tg "Root=1-1" "shop.example" "-" 1 2024-03-05T10:20:00.000000Z "forward" "-" "-" "10.0.5.10:8443" "200" "-" "-" TID_1 "-" "-" "-" "new one" - "new three""#;
    let (records, out) = transform(&catalog, "aws-alb", &[("alb.log", line)]);
    assert_eq!(out.stats.written(), 1);
    let u = &records[0]["unmapped"];
    assert_eq!(u["extra_fields.field_34"], "new one");
    assert!(u.get("extra_fields.field_35").is_none(), "`-` is absent");
    assert_eq!(u["extra_fields.field_36"], "new three");
}

/// ALB logs a request it could not read (a malformed request answered 400, a client that sent
/// nothing before the 408) as `"- - - "`. What the client sent is still an HTTP request of
/// `received_bytes`, so the line is HTTP Activity like any other (not a dead letter for want of
/// `http_request`).
#[test]
fn alb_requests_the_balancer_could_not_read_are_http_activity() {
    let catalog = shipped();
    let lines = concat!(
        r#"http 2024-03-05T10:20:02.000000Z app/shop/1 198.51.100.24:40000 - -1 -1 -1 400 - 120 272 "- - - " "-" - - - "-" "-" "-" - 2024-03-05T10:20:01.990000Z "-" "-" "-" "-" "-" "-" "-" "-" "-" "-" "-" TID_4c0c3b"#,
        "\n",
        r#"https 2024-03-05T10:20:03.000000Z app/shop/1 198.51.100.25:40001 - -1 -1 -1 408 - 0 0 "- - - " "-" - - - "-" "-" "-" - 2024-03-05T10:20:02.990000Z "-" "-" "-" "-" "-" "-" "-" "-" "-" "-" "-" -"#,
        "\n",
    );
    let (records, out) = transform(&catalog, "aws-alb", &[("alb.log", lines)]);
    assert_eq!(
        (out.stats.written(), out.stats.dead()),
        (2, 0),
        "{:?}",
        out.stats
    );
    assert_eq!(records[0]["http_request"], json!({"length": 120}));
    assert_eq!(records[0]["http_response"]["code"], json!(400));
    assert_eq!(records[0]["src_endpoint"]["ip"], "198.51.100.24");
    // No method: activity 0 Unknown (the enum's `absent`), not 99 Other.
    assert_eq!(records[0]["activity_id"], json!(0));
    assert_eq!(records[0]["activity_name"], "Unknown");
    assert_eq!(records[0]["type_uid"], json!(400200));
    assert_eq!(records[1]["http_request"], json!({"length": 0}));
    assert_eq!(records[1]["http_response"]["code"], json!(408));
}

/// Event Viewer's "Save as CSV": the sixth column (no header name) is the event's message,
/// quoted, with its lines and doubled quotes. A record that spans lines is one event; a quote
/// no line closes makes that one line a dead letter and the lines after it are read on their own.
#[test]
fn a_quoted_csv_field_may_span_lines() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = catalog_in(
        dir.path(),
        r#"{"custom_source_events":{"source_name":"evtx-csv","matched_field":"$['Event ID']",
          "timestamp":{"field":"$['Date and Time']","format":"%m/%d/%Y %I:%M:%S %p"},
          "ocsf_mapping":{"1":{"schema":"base_event","schema_mapping":{
            "metadata":{"product":{"name":"$.Source","vendor_name":"Microsoft"}},
            "activity_id":99,"severity_id":1,"message":"$.column_6",
            "unmapped":{"task":"$['Task Category']"}}}}}}"#,
        r#"{"name":"evtx-csv","mapping_file":"m.json","format":{"type":"delimited","delimiter":",","header":true}}"#,
    );
    let message = [
        "Process Create:",
        "RuleName: -",
        "UtcTime: 2024-03-05 10:11:12.123",
        "ProcessId: 4242",
        r#"CommandLine: ""C:\Windows\System32\cmd.exe"" /c ""echo hi"""#,
        "",
        "User: CORP\\alice",
    ]
    .join("\r\n");
    let export = [
        "Level,Date and Time,Source,Event ID,Task Category".to_string(),
        format!(
            r#"Information,3/5/2024 10:11:12 AM,Microsoft-Windows-Sysmon,1,Process Create (rule: ProcessCreate),"{message}""#
        ),
        r#"Information,3/5/2024 10:12:00 PM,Microsoft-Windows-Sysmon,1,Process Create (rule: ProcessCreate),"one line""#.to_string(),
        // Broken: the quote opens and nothing closes it before the input ends.
        r#"Information,3/5/2024 10:13:00 PM,Microsoft-Windows-Sysmon,1,Process Create (rule: ProcessCreate),"broken"#.to_string(),
        r#"Information,3/5/2024 10:14:00 PM,Microsoft-Windows-Sysmon,1,Process Create (rule: ProcessCreate),after"#.to_string(),
    ]
    .join("\r\n");
    let (records, out) = transform(&catalog, "evtx-csv", &[("export.csv", &export)]);
    let s = &out.stats;
    assert_eq!((s.events_in, s.written(), s.dead()), (4, 3, 1), "{s:?}");
    let want_first = message.replace("\r\n", "\n").replace("\"\"", "\"");
    assert_eq!(records[0]["message"], json!(want_first));
    assert!(want_first.contains(r#"CommandLine: "C:\Windows\System32\cmd.exe" /c "echo hi""#));
    assert_eq!(records[0]["time"], json!(1_709_633_472_000i64));
    assert_eq!(records[1]["message"], json!("one line"));
    assert_eq!(records[2]["message"], json!("after"));
    assert_eq!(records[2]["time"], json!(1_709_676_840_000i64));

    let dead = dead_letters(&out);
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0]["origin"]["position"], json!(10));
    let msg = dead[0]["reason"]["message"].as_str().unwrap();
    assert!(
        msg.contains("unterminated quoted field") && msg.contains("before the input ends"),
        "{msg}"
    );
    assert!(dead[0]["raw"].as_str().unwrap().ends_with(r#","broken"#));
}

/// A quoted field that no line closes within the line limit: its first line is a dead letter,
/// and every line after it is read again as a record of its own.
#[test]
fn an_open_quote_gives_way_at_the_line_limit() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = catalog_in(
        dir.path(),
        r#"{"custom_source_events":{"source_name":"c","matched_field":"$.k",
          "ocsf_mapping":{"e":{"schema":"base_event","schema_mapping":{
            "metadata":{"product":{"name":"P","vendor_name":"V"}},"time":"$.t",
            "activity_id":99,"severity_id":1,"message":"$.m"}}}}}"#,
        r#"{"name":"c","mapping_file":"m.json","format":{"type":"delimited","delimiter":",","columns":["t","k","m"]},"limits":{"max_line_bytes":100}}"#,
    );
    let mut lines = vec![r#"2024-03-05T10:00:00Z,e,"never closed"#.to_string()];
    lines.extend((1..=6).map(|i| format!("2024-03-05T10:00:0{i}Z,e,line {i}")));
    let (records, out) = transform(&catalog, "c", &[("open.csv", &lines.join("\n"))]);
    let s = &out.stats;
    assert_eq!((s.events_in, s.written(), s.dead()), (7, 6, 1), "{s:?}");
    let messages: Vec<&str> = records
        .iter()
        .map(|r| r["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        ["line 1", "line 2", "line 3", "line 4", "line 5", "line 6"]
    );
    let dead = dead_letters(&out);
    assert_eq!(dead[0]["origin"]["position"], json!(1));
    let msg = dead[0]["reason"]["message"].as_str().unwrap();
    assert!(
        msg.contains("no later line closes it within 100 bytes"),
        "{msg}"
    );
}

/// Syslog lines carry no year: with a `timestamp.format` that names none, the year is this
/// one, or last year's for a time that would be more than a day ahead. A time that fits no
/// layout is a dead letter that names the layout the mapping gave.
#[test]
fn syslog_times_without_a_year_take_the_latest_year_not_ahead() {
    use chrono::{Datelike, TimeZone};
    let dir = tempfile::tempdir().unwrap();
    let mapping = r#"{"custom_source_events":{"source_name":"ssh","matched_field":"$.result",
      "timestamp":{"field":"$.ts","format":"%b %e %H:%M:%S"},
      "ocsf_mapping":{"Accepted":{"schema":"authentication","schema_mapping":{
        "metadata":{"product":{"name":"OpenSSH","vendor_name":"OpenBSD"}},"time":"$.ts",
        "activity_id":1,"severity_id":1,"status_id":1,"user":{"name":"$.user"},
        "src_endpoint":{"ip":"$.ip"},"service":{"name":"sshd"}}}}}}"#;
    let pattern = r"^(?P<ts>\w{3} +\d+ [\d:]+) (?P<host>\S+) sshd\[\d+\]: (?P<result>Accepted) \w+ for (?P<user>\S+) from (?P<ip>\S+)";
    let entry = json!({"name": "ssh", "mapping_file": "m.json",
        "format": {"type": "regex", "pattern": pattern}});
    let catalog = catalog_in(dir.path(), mapping, &entry.to_string());
    let text = "\
Jan  1 00:00:01 web1 sshd[1]: Accepted publickey for alice from 198.51.100.7 port 1 ssh2
Dec 31 23:59:59 web1 sshd[2]: Accepted publickey for bob from 198.51.100.8 port 2 ssh2
Jan 32 00:00:00 web1 sshd[3]: Accepted publickey for eve from 198.51.100.9 port 3 ssh2
";
    let now = chrono::Utc::now();
    let (records, out) = transform(&catalog, "ssh", &[("auth.log", text)]);
    assert_eq!(
        (out.stats.written(), out.stats.dead()),
        (2, 1),
        "{:?}",
        out.stats
    );
    // 1 January of this year is never more than a day ahead; 31 December is, except on its eve.
    let jan1 = chrono::Utc
        .with_ymd_and_hms(now.year(), 1, 1, 0, 0, 1)
        .unwrap();
    let dec31 = chrono::Utc
        .with_ymd_and_hms(now.year(), 12, 31, 23, 59, 59)
        .unwrap();
    let dec31 = if dec31 > now + chrono::Duration::days(1) {
        chrono::Utc
            .with_ymd_and_hms(now.year() - 1, 12, 31, 23, 59, 59)
            .unwrap()
    } else {
        dec31
    };
    assert_eq!(records[0]["time"], json!(jan1.timestamp_millis()));
    assert_eq!(records[1]["time"], json!(dec31.timestamp_millis()));
    let msg = dead_letters(&out)[0]["reason"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains(r#"`time` "Jan 32 00:00:00" is not a time"#)
            && msg.contains("`%b %e %H:%M:%S` (`timestamp.format`)"),
        "{msg}"
    );
}

/// Kinesis Agent (Linux) and Fluent Bit put one log line per record, with its line end: text
/// formats read the line without it.
#[test]
fn stream_records_of_text_lines_end_with_their_line_end() {
    let dir = tempfile::tempdir().unwrap();
    let mapping = r#"{"custom_source_events":{"source_name":"c","matched_field":"$.k",
      "ocsf_mapping":{"e":{"schema":"base_event","schema_mapping":{
        "metadata":{"product":{"name":"P","vendor_name":"V"}},"time":"$.t",
        "activity_id":99,"severity_id":1,"message":"$.m","count":"$.n"}}}}}"#;
    for (format, sep) in [
        (
            json!({"type": "regex", "pattern": r"^(?P<t>\S+) (?P<k>\w+) (?P<n>\d+) (?P<m>.*)$"}),
            " ",
        ),
        (
            json!({"type": "delimited", "delimiter": " ", "columns": ["t", "k", "n", "m"]}),
            " ",
        ),
        (
            json!({"type": "delimited", "delimiter": ",", "columns": ["t", "k", "n", "m"]}),
            ",",
        ),
    ] {
        let entry = json!({"name": "c", "mapping_file": "m.json", "format": format});
        let catalog = catalog_in(dir.path(), mapping, &entry.to_string());
        let line = ["2024-03-05T10:00:00Z", "e", "7", "last"].join(sep);
        let mut batch = Batch::new(catalog.source("c").unwrap(), "k", defaults()).with_preview(5);
        // Packed (Kinesis) records, and a CloudWatch Logs event, which is one event.
        for (i, end) in ["\n", "\r\n", ""].iter().enumerate() {
            let record = format!("{line}{end}");
            batch
                .add_record("stream", i as u64 + 1, record.as_bytes(), true)
                .unwrap();
        }
        let record = format!("{line}\n");
        batch
            .add_record("log-group", 1, record.as_bytes(), false)
            .unwrap();
        let records: Vec<Value> = batch.preview().0.to_vec();
        let out = finish_checked(batch);
        assert_eq!(out.stats.written(), 4, "{format}: {records:?}");
        for r in &records {
            let got = (r["message"].as_str(), r["count"].as_i64());
            assert_eq!(got, (Some("last"), Some(7)), "{format}: {r}");
        }
    }
}
