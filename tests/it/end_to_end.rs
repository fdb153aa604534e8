//! The whole S3 path on a moto server (S3, SQS and real bucket notifications): put an object
//! into the staging bucket → S3 notifies the queue → the messages become the Lambda SQS event →
//! `ocsf-transform invoke` (the handler, over HTTP via AWS_ENDPOINT_URL) → Parquet in the lake
//! bucket, read back and checked against OCSF.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{ocsf_check, python, repo, shared};

struct Moto {
    child: Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_moto() -> Moto {
    let bin = PathBuf::from(python()).with_file_name("moto_server");
    assert!(
        bin.is_file(),
        "{} not found: tests/run.sh installs moto[server] into the venv",
        bin.display()
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(&bin)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Ready when it accepts connections.
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "moto_server did not start"
        );
        std::thread::yield_now();
    }
    Moto {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    }
}

fn flow(endpoint: &str, args: &[&str]) -> String {
    let out = Command::new(python())
        .arg(repo().join("tests/tools/moto_flow.py"))
        .arg(endpoint)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "moto_flow {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn object_to_notification_to_queue_to_handler_to_lake() {
    let moto = start_moto();
    let ep = moto.endpoint.as_str();
    flow(ep, &["setup", "ocsf-staging", "staging-events"]);
    let fixture = repo().join("tests/fixtures/aws-network-firewall/edge-fw.log.gz");
    let key = "AWSLogs/123456789012/network-firewall/flow/us-east-1/2024/03/05/edge fw.log.gz";
    flow(ep, &["put", "ocsf-staging", key, fixture.to_str().unwrap()]);
    // The test event from saving the configuration, then the object's notification.
    let msgs: Vec<Value> =
        serde_json::from_str(&flow(ep, &["receive", "staging-events", "2"])).unwrap();
    assert!(
        msgs.iter()
            .any(|m| m["body"].as_str().unwrap().contains("ObjectCreated")),
        "{msgs:?}"
    );

    // The SQS → Lambda envelope, in the shape of the real capture.
    let template: Value = serde_json::from_slice(
        &std::fs::read(shared().join("samples/lambda-events/powertools-python__s3SqsEvent.json"))
            .unwrap(),
    )
    .unwrap();
    let records: Vec<Value> = msgs
        .iter()
        .map(|m| {
            let mut r = template["Records"][0].clone();
            r["messageId"] = m["messageId"].clone();
            r["receiptHandle"] = m["receiptHandle"].clone();
            r["body"] = m["body"].clone();
            r["eventSourceARN"] = json!("arn:aws:sqs:us-east-1:123456789012:staging-events");
            r
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let event = dir.path().join("event.json");
    std::fs::write(
        &event,
        serde_json::to_vec(&json!({"Records": records})).unwrap(),
    )
    .unwrap();

    let out = Command::new(env!("CARGO_BIN_EXE_ocsf-transform"))
        .args([
            "invoke",
            "--event",
            event.to_str().unwrap(),
            "--lake",
            "s3://lake/",
        ])
        .env("AWS_ENDPOINT_URL", ep)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        // The lake is written through a provider role assumed with an external ID (moto's STS).
        .env(
            "OCSF_PROVIDER_ROLE_ARN",
            "arn:aws:iam::123456789012:role/security-lake-provider",
        )
        .env("OCSF_PROVIDER_EXTERNAL_ID", "test-external-id")
        .env_remove("AWS_PROFILE")
        .env_remove("OCSF_CONFIG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let response: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(response["batchItemFailures"], json!([]), "{stderr}");
    assert!(
        stderr.contains("source aws-network-firewall: 3 events in"),
        "{stderr}"
    );

    let lake = dir.path().join("lake");
    flow(ep, &["download", "lake", lake.to_str().unwrap()]);
    let check = ocsf_check(&lake);
    assert_eq!(check["errors"], 0);
    assert!(check["rows"].as_u64().unwrap() >= 1);
    assert_eq!(check["distinct_uids"], check["rows"]);
    let keys = crate::support::files_under(&lake);
    assert!(
        keys.iter().all(|k| k
            .display()
            .to_string()
            .contains("/ext/aws-network-firewall/network_activity/region=")
            && k.display().to_string().contains("/accountId=123456789012/")),
        "{keys:?}"
    );
}
