//! The Lambda handler against a real S3 server (s3s-fs over HTTP), with events built from the
//! real AWS payload shapes in ../shared/samples/lambda-events.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Duration;

use base64::Engine;
use ocsf_transform::lambda::{Handler, Invocation};
use serde_json::{Value, json};

use crate::s3::{S3, objects};
use crate::support::{gzip, ocsf_check, shared, shipped};

const STAGING: &str = "ocsf-staging";
const ACCOUNT: &str = "444455556666";

fn sample(name: &str) -> Value {
    let p = shared().join("samples/lambda-events").join(name);
    serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap()
}

fn invocation() -> Invocation {
    Invocation::new(
        "test",
        &format!("arn:aws:lambda:eu-west-1:{ACCOUNT}:function:ocsf-transform"),
        Duration::from_secs(300),
    )
}

/// An S3 ObjectCreated notification (the S3 user guide's example) for `key` as S3 encodes it.
fn notification(bucket: &str, encoded_key: &str, etag: &str) -> String {
    let mut n = sample("aws-s3-userguide__s3-objectcreated-put.json");
    let r = &mut n["Records"][0]["s3"];
    r["bucket"]["name"] = json!(bucket);
    r["bucket"]["arn"] = json!(format!("arn:aws:s3:::{bucket}"));
    r["object"]["key"] = json!(encoded_key);
    r["object"]["eTag"] = json!(etag);
    r["object"].as_object_mut().unwrap().remove("versionId");
    n.to_string()
}

/// An SQS event (Powertools' S3 → SQS capture) with one record per body.
fn sqs_event(bodies: &[(String, String)]) -> Value {
    let template = sample("powertools-python__s3SqsEvent.json")["Records"][0].clone();
    let records: Vec<Value> = bodies
        .iter()
        .map(|(id, body)| {
            let mut r = template.clone();
            r["messageId"] = json!(id);
            r["body"] = json!(body);
            r
        })
        .collect();
    json!({ "Records": records })
}

/// A Kinesis event (Powertools' capture) with these payloads on one shard of `stream`.
fn kinesis_event(stream: &str, payloads: &[Vec<u8>], first_seq: u128) -> Value {
    let template = sample("powertools-python__kinesisStreamEvent.json")["Records"][0].clone();
    let records: Vec<Value> = payloads
        .iter()
        .enumerate()
        .map(|(i, data)| {
            let seq = (first_seq + i as u128).to_string();
            let mut r = template.clone();
            r["kinesis"]["data"] = json!(base64::engine::general_purpose::STANDARD.encode(data));
            r["kinesis"]["sequenceNumber"] = json!(seq);
            r["eventID"] = json!(format!("shardId-000000000003:{seq}"));
            r["eventSourceARN"] = json!(format!(
                "arn:aws:kinesis:eu-west-1:{ACCOUNT}:stream/{stream}"
            ));
            r
        })
        .collect();
    json!({ "Records": records })
}

fn lines(p: &Path) -> Vec<Vec<u8>> {
    let raw = std::fs::read(p).unwrap();
    let text = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut s = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(&raw[..]), &mut s)
            .unwrap();
        s
    } else {
        raw
    };
    text.split(|b| *b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .map(<[u8]>::to_vec)
        .collect()
}

fn dead_letter_lines(dir: &Path) -> Vec<Value> {
    let mut out = Vec::new();
    for rel in objects(dir) {
        if rel.ends_with(".jsonl") {
            for l in std::fs::read_to_string(dir.join(&rel)).unwrap().lines() {
                out.push(serde_json::from_str(l).unwrap());
            }
        }
    }
    out
}

fn failures(h: &Handler, event: Value) -> Vec<String> {
    let (resp, _) = h
        .handle(serde_json::to_vec(&event).unwrap(), &invocation())
        .expect("handled");
    resp.batch_item_failures
        .into_iter()
        .map(|f| f.item_identifier)
        .collect()
}

#[test]
fn sqs_notifications_of_every_shape_reach_the_lake() {
    let s3 = S3::start(&["lake", STAGING]);
    let fw = crate::support::repo().join("tests/fixtures/aws-network-firewall/edge-fw.log.gz");
    let alb = crate::support::repo().join("tests/fixtures/aws-alb/shop-alb.log.gz");
    // A key with a space and a plus, which S3 notifications encode as `+` and `%2B`.
    let fw_key = "AWSLogs/123456789012/network-firewall/flow/eu-west-1/edge fw+1.log.gz";
    s3.put(STAGING, fw_key, std::fs::read(&fw).unwrap());
    s3.put(
        STAGING,
        "alb-logs/shop.log.gz",
        std::fs::read(&alb).unwrap(),
    );
    s3.put(STAGING, "alb-logs/empty.log", Vec::new());

    let sns = json!({"Type": "Notification", "MessageId": "m", "Message": notification(STAGING, "alb-logs/shop.log.gz", "e2")}).to_string();
    let mut eventbridge =
        sample("powertools-python__s3EventBridgeNotificationObjectCreatedEvent.json");
    eventbridge["detail"]["bucket"]["name"] = json!(STAGING);
    eventbridge["detail"]["object"]["key"] = json!("alb-logs/empty.log");
    let test_event = std::fs::read_to_string(
        shared().join("samples/lambda-events/aws-s3-userguide__s3-testevent.json"),
    )
    .unwrap();
    let event = sqs_event(&[
        (
            "m-fw".into(),
            notification(
                STAGING,
                "AWSLogs/123456789012/network-firewall/flow/eu-west-1/edge+fw%2B1.log.gz",
                "e1",
            ),
        ),
        ("m-sns".into(), sns),
        ("m-eb".into(), eventbridge.to_string()),
        ("m-test".into(), test_event),
        (
            "m-missing".into(),
            notification(STAGING, "alb-logs/deleted-before-read.log", "e3"),
        ),
        (
            "m-unrouted".into(),
            notification(STAGING, "elsewhere/x.log", "e4"),
        ),
        ("m-junk".into(), "this is not a notification".into()),
        (
            "m-own".into(),
            notification(STAGING, "ocsf-dead-letter/unrouted/s3-0.jsonl", "e5"),
        ),
    ]);
    let h = s3.handler(shipped(), 3, &[]);
    let (resp, report) = h
        .handle(serde_json::to_vec(&event).unwrap(), &invocation())
        .unwrap();
    assert!(
        resp.batch_item_failures.is_empty(),
        "{resp:?} {:?}",
        report.failures
    );
    assert_eq!(
        report.acknowledged, 2,
        "the s3:TestEvent and our own dead letters"
    );
    assert_eq!(report.objects_read, 5);

    let lake = s3.bucket_dir("lake");
    let written = objects(&lake);
    let check = ocsf_check(&lake);
    assert_eq!(check["errors"], 0);
    let fw_rows = report.sources["aws-network-firewall"].written();
    let alb_rows = report.sources["aws-alb"].written();
    assert!(fw_rows > 0 && alb_rows > 0, "{written:?}");
    assert_eq!(check["rows"], fw_rows + alb_rows);
    assert_eq!(check["distinct_uids"], check["rows"]);
    // accountId from the AWSLogs/<account>/ key; the ALB objects have none, so the function's.
    assert!(
        written
            .iter()
            .any(|k| k.starts_with("ext/aws-network-firewall/")
                && k.contains("accountId=123456789012/")),
        "{written:?}"
    );
    assert!(
        written.iter().any(|k| k.starts_with("ext/aws-alb/")
            && k.contains(&format!("accountId={ACCOUNT}/"))
            && k.contains("region=eu-west-1/")),
        "{written:?}"
    );

    // Dead letters: the deleted object, the unrouted one and the junk message, with reasons.
    let mut dl = dead_letter_lines(&s3.bucket_dir(STAGING).join("ocsf-dead-letter"));
    // A message that names no bucket has its dead letter in the lake bucket's default prefix
    // (the template always sets OCSF_DEAD_LETTER_LOCATION instead).
    dl.extend(dead_letter_lines(&lake.join("ocsf-dead-letter")));
    let reasons: Vec<(&str, &str)> = dl
        .iter()
        .map(|d| {
            (
                d["reason"]["kind"].as_str().unwrap(),
                d["origin"]["input"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        reasons.contains(&(
            "read_error",
            "s3://ocsf-staging/alb-logs/deleted-before-read.log"
        )),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&("no_source", "s3://ocsf-staging/elsewhere/x.log")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|(k, i)| *k == "unrecognised_message" && i.ends_with("/m-junk")),
        "{reasons:?}"
    );
    let junk = dl
        .iter()
        .find(|d| d["reason"]["kind"] == "unrecognised_message")
        .unwrap();
    assert_eq!(junk["raw"], "this is not a notification");
    assert!(
        junk.get("raw_base64").is_none(),
        "text needs no base64 copy"
    );

    // A redelivery of the same messages overwrites: same objects, same rows.
    let before = objects(s3.root.path());
    assert!(failures(&h, event).is_empty());
    assert_eq!(objects(s3.root.path()), before);
    assert_eq!(ocsf_check(&lake)["rows"], check["rows"]);
}

#[test]
fn kinesis_records_and_cloudwatch_logs_payloads() {
    let s3 = S3::start(&["lake", "dead"]);
    let sysmon = lines(
        &crate::support::repo().join("tests/fixtures/windows-sysmon/kinesis-agent-sysmon.jsonl"),
    );
    // Half the events as plain records, the other half inside one CloudWatch Logs payload,
    // plus a control message and a record no source reads.
    let (plain, in_cwl) = sysmon.split_at(sysmon.len() / 2);
    let cwl = json!({
        "messageType": "DATA_MESSAGE", "owner": ACCOUNT, "logGroup": "sysmon", "logStream": "host-1",
        "subscriptionFilters": ["all"],
        "logEvents": in_cwl.iter().enumerate().map(|(i, l)| json!({"id": i.to_string(), "timestamp": 0, "message": String::from_utf8_lossy(l)})).collect::<Vec<_>>(),
    });
    let control = json!({"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "", "logStream": "", "subscriptionFilters": [], "logEvents": [{"id": "", "timestamp": 0, "message": "CWL CONTROL MESSAGE: Checking health of destination Kinesis stream."}]});
    let mut payloads: Vec<Vec<u8>> = plain.to_vec();
    payloads.push(gzip(cwl.to_string().as_bytes()));
    payloads.push(gzip(control.to_string().as_bytes()));
    let event = kinesis_event("sysmon-log-collection", &payloads, 1000);
    let h = s3.handler(
        shipped(),
        3,
        &[("OCSF_DEAD_LETTER_LOCATION", "s3://dead/letters")],
    );
    let (resp, report) = h
        .handle(serde_json::to_vec(&event).unwrap(), &invocation())
        .unwrap();
    assert!(resp.batch_item_failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.acknowledged, 1);
    let stats = &report.sources["windows-sysmon"];
    assert_eq!(stats.events_in, sysmon.len() as u64);
    let lake = s3.bucket_dir("lake");
    let check = ocsf_check(&lake);
    assert_eq!(check["errors"], 0);
    assert_eq!(check["rows"], stats.written());
    assert_eq!(check["distinct_uids"], check["rows"]);
    let names = objects(&lake);
    assert!(
        names.iter().all(|k| k.starts_with("ext/windows-sysmon/")
            && k.contains("kinesis-shardId-000000000003-1000")),
        "{names:?}"
    );
    let dl = dead_letter_lines(&s3.bucket_dir("dead"));
    assert_eq!(dl.len() as u64, stats.dead());

    // A real CloudWatch Logs → Kinesis capture: its log events belong to no configured source,
    // so each is a dead letter, none retried.
    let capture = sample("powertools-python__kinesisStreamCloudWatchLogsEvent.json");
    let (resp, report) = h
        .handle(serde_json::to_vec(&capture).unwrap(), &invocation())
        .unwrap();
    assert!(resp.batch_item_failures.is_empty());
    let unrouted = &report.sources["unrouted"];
    assert!(
        unrouted.dead_lettered["no_source"] >= capture["Records"].as_array().unwrap().len() as u64
    );
    assert_eq!(unrouted.events_in, unrouted.dead());

    // A stream no source lists: the record's metadata field (`source`) names its source.
    let mut tagged: Value = serde_json::from_slice(&sysmon[0]).unwrap();
    tagged["source"] = json!("windows-sysmon");
    let routed = kinesis_event(
        "shared-stream",
        &[serde_json::to_vec(&tagged).unwrap()],
        7000,
    );
    let (resp, report) = h
        .handle(serde_json::to_vec(&routed).unwrap(), &invocation())
        .unwrap();
    assert!(resp.batch_item_failures.is_empty());
    assert_eq!(report.sources["windows-sysmon"].events_in, 1);

    // A shipper that puts several events in one record, newline-separated: each is an event;
    // the same when the shipper compresses the record (gzip that is not a subscription payload).
    let joined = sysmon[..3].join(&b"\n"[..]);
    for (record, seq) in [(joined.clone(), 6000), (gzip(&joined), 6200)] {
        let event = kinesis_event("sysmon-log-collection", &[record], seq);
        let (resp, report) = h
            .handle(serde_json::to_vec(&event).unwrap(), &invocation())
            .unwrap();
        assert!(resp.batch_item_failures.is_empty());
        let stats = &report.sources["windows-sysmon"];
        assert_eq!(
            (stats.events_in, stats.written()),
            (3, 3),
            "{seq}: {stats:?}"
        );
    }
    // A CloudWatch Logs event is one record even when its text has line ends: it is not cut
    // into lines (a pretty-printed document stays whole), but two documents one after
    // another in it are two events, each placed by its number in the record.
    // The counts of one CloudWatch Logs payload holding one log event with this message.
    let one_event = |message: &str, seq: u128| {
        let one = json!({
            "messageType": "DATA_MESSAGE", "owner": ACCOUNT, "logGroup": "sysmon", "logStream": "host-1",
            "subscriptionFilters": ["all"],
            "logEvents": [{"id": "0", "timestamp": 0, "message": message}],
        });
        let cwl = kinesis_event(
            "sysmon-log-collection",
            &[gzip(one.to_string().as_bytes())],
            seq,
        );
        let (_, report) = h
            .handle(serde_json::to_vec(&cwl).unwrap(), &invocation())
            .unwrap();
        let stats = &report.sources["windows-sysmon"];
        (stats.events_in, stats.written())
    };
    let two_lines = String::from_utf8_lossy(&sysmon[..2].join(&b"\n"[..])).to_string();
    assert_eq!(one_event(&two_lines, 6500), (2, 2));
    let pretty =
        serde_json::to_string_pretty(&serde_json::from_slice::<Value>(&sysmon[0]).unwrap())
            .unwrap();
    assert!(pretty.lines().count() > 3);
    assert_eq!(one_event(&pretty, 6600), (1, 1));

    // An unknown stream whose records name no source: dead letters, nothing retried. A record
    // that is not UTF-8 is kept byte for byte.
    let binary = b"\xff\xfe{\"hello\": 2}".to_vec();
    let other = kinesis_event(
        "other-stream",
        &[b"{\"hello\": 1}".to_vec(), binary.clone()],
        5000,
    );
    let (resp, report) = h
        .handle(serde_json::to_vec(&other).unwrap(), &invocation())
        .unwrap();
    assert!(resp.batch_item_failures.is_empty());
    assert_eq!(report.sources["unrouted"].dead_lettered["no_source"], 2);
    let dl = dead_letter_lines(&s3.bucket_dir("dead"));
    let kept: Vec<Vec<u8>> = dl
        .iter()
        .filter_map(|d| d["raw_base64"].as_str())
        .map(|b| {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.decode(b).unwrap()
        })
        .collect();
    assert_eq!(kept, vec![binary]);
}

#[test]
fn direct_s3_invocation_fails_whole_when_a_retry_can_help() {
    let s3 = S3::start(&["lake", STAGING]);
    let alb = crate::support::repo().join("tests/fixtures/aws-alb/shop-alb.log.gz");
    s3.put(
        STAGING,
        "alb-logs/direct.log.gz",
        std::fs::read(&alb).unwrap(),
    );
    let event: Value =
        serde_json::from_str(&notification(STAGING, "alb-logs/direct.log.gz", "d1")).unwrap();
    let h = s3.handler(shipped(), 1, &[]);
    let (resp, report) = h
        .handle(serde_json::to_vec(&event).unwrap(), &invocation())
        .unwrap();
    assert!(resp.batch_item_failures.is_empty());
    assert!(report.sources["aws-alb"].written() > 0);
    // With every request failing there is no partial response to give: the invocation fails.
    let failing = s3.handler(shipped(), 1, &[]);
    s3.faults.on.store(true, Ordering::SeqCst);
    let mut errors = 0;
    for _ in 0..2 {
        if failing
            .handle(serde_json::to_vec(&event).unwrap(), &invocation())
            .is_err()
        {
            errors += 1;
        }
    }
    s3.faults.on.store(false, Ordering::SeqCst);
    assert!(
        errors >= 1,
        "a 503 or dropped connection on the GET fails the invocation"
    );
}

#[test]
fn out_of_time_reports_the_rest_without_starting_it() {
    let s3 = S3::start(&["lake", STAGING]);
    let h = s3.handler(shipped(), 3, &[("OCSF_TIME_RESERVE_SECONDS", "30")]);
    let short = Invocation::new(
        "t",
        "arn:aws:lambda:eu-west-1:444455556666:function:f",
        Duration::from_secs(5),
    );
    let event = sqs_event(&[
        ("a".into(), notification(STAGING, "alb-logs/a.log", "1")),
        ("b".into(), notification(STAGING, "alb-logs/b.log", "2")),
    ]);
    let (resp, _) = h
        .handle(serde_json::to_vec(&event).unwrap(), &short)
        .unwrap();
    let ids: Vec<_> = resp
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(ids, ["a", "b"]);
    let k = kinesis_event(
        "sysmon-log-collection",
        &[b"{}".to_vec(), b"{}".to_vec()],
        77,
    );
    let (resp, _) = h.handle(serde_json::to_vec(&k).unwrap(), &short).unwrap();
    assert_eq!(resp.batch_item_failures[0].item_identifier, "77");
    assert!(objects(&s3.bucket_dir("lake")).is_empty());
}

/// Inputs for the fault test: the shared Network Firewall and ALB samples, one object each.
fn sample_inputs() -> Vec<(PathBuf, &'static str)> {
    let mut out = Vec::new();
    for (dir, prefix) in [
        ("aws-network-firewall", "aws-nfw/"),
        ("aws-alb", "alb-logs/"),
    ] {
        for e in std::fs::read_dir(shared().join("samples").join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() && p.extension().is_none_or(|x| x != "gz") {
                out.push((p, prefix));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn s3_faults_fail_only_their_items_and_a_retry_completes_exactly_once() {
    let s3 = S3::start(&["lake", STAGING]);
    let inputs = sample_inputs();
    let mut bodies = Vec::new();
    let (mut expect_rows, mut expect_dead) = (0, 0);
    let catalog = shipped();
    for (i, (p, prefix)) in inputs.iter().enumerate() {
        let key = format!("{prefix}{}", p.file_name().unwrap().to_string_lossy());
        s3.put(STAGING, &key, std::fs::read(p).unwrap());
        bodies.push((
            format!("msg-{i}"),
            notification(STAGING, &key, &format!("etag{i}")),
        ));
        // What the engine makes of the same bytes, for the exactly-once check.
        let src = catalog.source_for_object(STAGING, &key).unwrap();
        let out = crate::support::run(&catalog, &src.name, "expect", std::slice::from_ref(p));
        expect_rows += out.stats.written();
        expect_dead += out.stats.dead();
    }
    assert!(inputs.len() >= 8 && expect_rows > 20);
    let event = sqs_event(&bodies);

    // One attempt per request, so every injected fault reaches the handler.
    // One message at a time, so the fault pattern meets the requests in a fixed order.
    let h = s3.handler(shipped(), 1, &[("OCSF_CONCURRENCY", "1")]);
    s3.faults.on.store(true, Ordering::SeqCst);
    let failed = failures(&h, event.clone());
    s3.faults.on.store(false, Ordering::SeqCst);
    assert!(s3.faults.injected.load(Ordering::SeqCst) > 0);
    assert!(
        !failed.is_empty() && failed.len() < bodies.len(),
        "{failed:?}"
    );

    // Lambda redelivers only the failed messages.
    let retry: Vec<(String, String)> = bodies
        .iter()
        .filter(|(id, _)| failed.contains(id))
        .cloned()
        .collect();
    assert!(failures(&h, sqs_event(&retry)).is_empty());

    let check = ocsf_check(&s3.bucket_dir("lake"));
    assert_eq!(check["errors"], 0);
    assert_eq!(check["rows"], expect_rows, "every row once");
    assert_eq!(check["distinct_uids"], expect_rows);
    let dl = dead_letter_lines(&s3.bucket_dir(STAGING).join("ocsf-dead-letter"));
    assert_eq!(dl.len() as u64, expect_dead);

    // Kinesis: a failed PUT fails the batch from its first record; the retry overwrites.
    let sysmon = lines(
        &crate::support::repo().join("tests/fixtures/windows-sysmon/kinesis-agent-sysmon.jsonl"),
    );
    let kev = kinesis_event("sysmon-log-collection", &sysmon, 9000);
    s3.faults.on.store(true, Ordering::SeqCst);
    let mut first = failures(&h, kev.clone());
    s3.faults.on.store(false, Ordering::SeqCst);
    // Depending on where the fault cycle stands the batch may have got through; then run once more.
    if first.is_empty() {
        s3.faults.on.store(true, Ordering::SeqCst);
        first = failures(&h, kev.clone());
        s3.faults.on.store(false, Ordering::SeqCst);
    }
    assert_eq!(first, ["9000"]);
    assert!(failures(&h, kev).is_empty());
    let check = ocsf_check(&s3.bucket_dir("lake"));
    assert_eq!(check["distinct_uids"], check["rows"]);
}

/// Firehose delivering a CloudWatch Logs subscription to S3 writes the gzip envelopes one
/// after another into each object. Their log events are the records: read with the source's
/// format, placed by envelope and index; the control message is counted, not an event.
#[test]
fn firehose_objects_of_cloudwatch_logs_envelopes() {
    let s3 = S3::start(&["lake", STAGING]);
    let fw =
        lines(&crate::support::repo().join("tests/fixtures/aws-network-firewall/edge-fw.log.gz"));
    // The real envelope (a CloudWatch Logs → Kinesis capture), members in the order CloudWatch
    // Logs writes them, with Network Firewall log events.
    let template: Value = serde_json::from_slice(
        &std::fs::read(shared().join(
            "samples/lambda-events/decoded/powertools-python__kinesisStreamCloudWatchLogsEvent.record0.decoded.json",
        ))
        .unwrap(),
    )
    .unwrap();
    let envelope = |kind: &str, group: &str, messages: &[String]| {
        let events: Vec<Value> = messages
            .iter()
            .enumerate()
            .map(|(i, m)| json!({"id": i.to_string(), "timestamp": 1709633700000u64, "message": m}))
            .collect();
        format!(
            r#"{{"messageType":"{kind}","owner":{},"logGroup":"{group}","logStream":{},"subscriptionFilters":{},"logEvents":{}}}"#,
            template["owner"],
            template["logStream"],
            template["subscriptionFilters"],
            Value::from(events)
        )
    };
    let text: Vec<String> = fw
        .iter()
        .map(|l| String::from_utf8_lossy(l).into())
        .collect();
    let control = envelope(
        "CONTROL_MESSAGE",
        "",
        &["CWL CONTROL MESSAGE: Checking health of destination Firehose.".into()],
    );
    let mut second = text[1..].to_vec();
    second.push("not a firewall log".into());
    let group = "/aws/network-firewall/flow";
    let mut object = gzip(control.as_bytes());
    object.extend(gzip(envelope("DATA_MESSAGE", group, &text[..1]).as_bytes()));
    object.extend(gzip(envelope("DATA_MESSAGE", group, &second).as_bytes()));
    let key = "aws-nfw/2024/03/05/10/flow-to-s3-1-2024-03-05-10-15-00-abc";
    s3.put(STAGING, key, object);

    let h = s3.handler(shipped(), 3, &[]);
    let event = sqs_event(&[("m-cwl".into(), notification(STAGING, key, "e1"))]);
    let (resp, report) = h
        .handle(serde_json::to_vec(&event).unwrap(), &invocation())
        .unwrap();
    assert!(resp.batch_item_failures.is_empty(), "{:?}", report.failures);
    let stats = &report.sources["aws-network-firewall"];
    assert_eq!(stats.control_messages, 1, "{stats:?}");
    assert_eq!(stats.events_in, fw.len() as u64 + 1);
    assert_eq!(stats.written(), fw.len() as u64);
    let lake = s3.bucket_dir("lake");
    let check = ocsf_check(&lake);
    assert_eq!(check["errors"], 0);
    assert_eq!(check["rows"], fw.len() as u64);
    assert_eq!(check["distinct_uids"], check["rows"]);
    let dl = dead_letter_lines(&s3.bucket_dir(STAGING).join("ocsf-dead-letter"));
    assert_eq!(dl.len(), 1, "{dl:?}");
    assert_eq!(dl[0]["raw"], "not a firewall log");
    assert_eq!(
        dl[0]["origin"]["input"],
        format!("s3://{STAGING}/{key}#3"),
        "the third envelope"
    );
    assert_eq!(dl[0]["origin"]["position"], second.len());
}
