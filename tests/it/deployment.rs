//! What the code relies on in template.yaml and kinesis_agent_configuration.json.

use std::collections::BTreeSet;
use std::process::Command;

use ocsf_transform::engine::Batch;
use ocsf_transform::lambda::settings::{ENV_NAMES, LAKE_LOCATION};
use serde_json::Value;

use crate::support::{defaults, python, repo, shipped};

fn template() -> Value {
    let out = Command::new(python())
        .arg(repo().join("tests/tools/cfn_json.py"))
        .arg(repo().join("template.yaml"))
        .output()
        .expect("python with cfn-lint (tests/run.sh installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn resources_of<'a>(t: &'a Value, ty: &str) -> Vec<(&'a String, &'a Value)> {
    t["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == ty)
        .collect()
}

#[test]
fn event_sources_report_item_failures_and_failures_have_somewhere_to_go() {
    let t = template();
    let esms = resources_of(&t, "AWS::Lambda::EventSourceMapping");
    assert_eq!(esms.len(), 2, "one per pattern");
    let mut kinds = BTreeSet::new();
    for (name, esm) in esms {
        let p = &esm["Properties"];
        assert_eq!(
            p["FunctionResponseTypes"],
            serde_json::json!(["ReportBatchItemFailures"]),
            "{name}"
        );
        assert!(
            p.get("MaximumBatchingWindowInSeconds").is_some(),
            "{name} has a batching window"
        );
        let source = p["EventSourceArn"]["Fn::GetAtt"][0].as_str().unwrap();
        let source_type = t["Resources"][source]["Type"].as_str().unwrap();
        kinds.insert(source_type.to_string());
        if source_type == "AWS::Kinesis::Stream" {
            // A bisected retry would hold fewer records than the attempt whose objects it
            // must overwrite (see the template).
            assert_eq!(p["BisectBatchOnFunctionError"], false, "no bisection");
            assert!(p.get("MaximumRetryAttempts").is_some(), "bounded retries");
            let dest = p["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
                .as_str()
                .unwrap();
            assert_eq!(t["Resources"][dest]["Type"], "AWS::SQS::Queue");
            let stream = &t["Resources"][source]["Properties"];
            assert_eq!(stream["StreamEncryption"]["EncryptionType"], "KMS");
        } else {
            assert_eq!(source_type, "AWS::SQS::Queue");
            let q = &t["Resources"][source]["Properties"];
            let dlq = q["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
                .as_str()
                .unwrap();
            assert_eq!(t["Resources"][dlq]["Type"], "AWS::SQS::Queue");
            // Visibility timeout >= 6 x the function timeout, for every timeout allowed.
            assert_eq!(
                q["VisibilityTimeout"]["Fn::FindInMap"][0],
                "VisibilityTimeout"
            );
            let allowed = t["Parameters"]["FunctionTimeoutSeconds"]["AllowedValues"]
                .as_array()
                .unwrap();
            for timeout in allowed {
                let secs = timeout.as_u64().unwrap();
                let vis = t["Mappings"]["VisibilityTimeout"][secs.to_string()]["Seconds"]
                    .as_u64()
                    .unwrap();
                assert!(vis >= 6 * secs, "visibility {vis} for timeout {secs}");
            }
        }
    }
    assert_eq!(
        kinds,
        BTreeSet::from([
            "AWS::Kinesis::Stream".to_string(),
            "AWS::SQS::Queue".to_string()
        ])
    );
}

#[test]
fn function_is_the_binary_with_the_environment_it_reads() {
    let t = template();
    let f = &t["Resources"]["TransformFunction"];
    assert_eq!(f["Metadata"]["BuildMethod"], "rust-cargolambda");
    assert_eq!(
        f["Metadata"]["BuildProperties"]["Binary"],
        env!("CARGO_PKG_NAME")
    );
    let p = &f["Properties"];
    assert_eq!(p["Runtime"], "provided.al2023");
    assert_eq!(p["Architectures"], serde_json::json!(["arm64"]));
    assert_eq!(p["LoggingConfig"]["LogFormat"], "JSON");
    let vars = p["Environment"]["Variables"].as_object().unwrap();
    for name in vars.keys() {
        assert!(
            ENV_NAMES.contains(&name.as_str()),
            "template sets {name}, which the binary does not read"
        );
    }
    assert!(vars.contains_key(LAKE_LOCATION));
    assert!(vars.contains_key(ocsf_transform::lambda::settings::DEAD_LETTER_LOCATION));
    // The shipped config routes the template's stream name and bucket to their sources.
    let catalog = shipped();
    let stream = t["Parameters"]["StreamName"]["Default"].as_str().unwrap();
    assert_eq!(
        catalog.source_for_stream(stream).unwrap().name,
        "windows-sysmon"
    );
    let bucket = "ocsf-staging-111122223333-eu-west-1-0a1b2c3d";
    assert_eq!(
        catalog
            .source_for_object(
                bucket,
                "AWSLogs/111122223333/network-firewall/flow/x.log.gz"
            )
            .unwrap()
            .name,
        "aws-network-firewall"
    );
    assert!(
        t["Resources"]["StagingBucket"]["Properties"]["BucketName"]["Fn::Sub"][0]
            .as_str()
            .unwrap()
            .starts_with("ocsf-staging-")
    );
}

#[test]
fn iam_allows_no_wildcard_actions() {
    let t = template();
    let mut statements = Vec::new();
    for (name, role) in resources_of(&t, "AWS::IAM::Role") {
        for pol in role["Properties"]["Policies"]
            .as_array()
            .into_iter()
            .flatten()
        {
            // Conditional policies are Fn::If [cond, policy, NoValue].
            let pol = pol.get("Fn::If").map_or(pol, |i| &i[1]);
            for st in pol["PolicyDocument"]["Statement"].as_array().unwrap() {
                let st = st.get("Fn::If").map_or(st, |i| &i[1]);
                statements.push((name.clone(), st.clone()));
            }
        }
    }
    assert!(statements.len() >= 8);
    for (role, st) in &statements {
        if st["Effect"] != "Allow" {
            continue;
        }
        let actions: Vec<&str> = match &st["Action"] {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().map(|v| v.as_str().unwrap()).collect(),
            other => panic!("{role}: {other}"),
        };
        for a in actions {
            assert!(!a.contains('*'), "{role} allows {a}");
        }
        assert_ne!(st["Resource"], "*", "{role}: {st}");
    }
    // The hosts' agent may only put records.
    let agent_actions: BTreeSet<String> = statements
        .iter()
        .filter(|(role, s)| role.as_str() == "KinesisAgentRole" && s["Effect"] == "Allow")
        .flat_map(|(_, s)| match &s["Action"] {
            Value::String(a) => vec![a.clone()],
            Value::Array(a) => a
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect(),
            _ => vec![],
        })
        .filter(|a| a.starts_with("kinesis:"))
        .collect();
    assert_eq!(
        agent_actions,
        BTreeSet::from([
            "kinesis:PutRecord".to_string(),
            "kinesis:PutRecords".to_string()
        ])
    );
    let write = statements
        .iter()
        .find(|(_, s)| s["Sid"] == "WriteCustomSourceObjects")
        .unwrap();
    // The function writes exactly under the custom sources the shipped config writes.
    let granted: BTreeSet<String> = write.1["Resource"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let arn = r["Fn::Sub"].as_str().unwrap();
            let (_, prefix) = arn.split_once("}/").unwrap();
            prefix.to_string()
        })
        .collect();
    let (sources, _) = ocsf_transform::custom_source::plan(&shipped());
    let needed: BTreeSet<String> = sources
        .iter()
        .map(|cs| format!("ext/{}/*", cs.name))
        .collect();
    assert_eq!(granted, needed);
}

#[test]
fn kinesis_agent_output_is_what_the_sysmon_mapping_reads() {
    let cfg: Value = serde_json::from_slice(
        &std::fs::read(repo().join("kinesis_agent_configuration.json")).unwrap(),
    )
    .unwrap();
    let source = &cfg["Sources"][0];
    assert_eq!(source["SourceType"], "WindowsEventLogSource");
    assert_eq!(source["LogName"], "Microsoft-Windows-Sysmon/Operational");
    let sink = &cfg["Sinks"][0];
    assert_eq!(sink["SinkType"], "KinesisStream");
    assert_eq!(sink["Format"], "json");
    assert_eq!(cfg["Pipes"][0]["SourceRef"], source["Id"]);
    assert_eq!(cfg["Pipes"][0]["SinkRef"], sink["Id"]);
    assert_eq!(cfg["SelfUpdate"], 0);
    assert_eq!(cfg["Telemetrics"]["off"], "true");
    // The placeholders are named like the template's outputs.
    let t = template();
    for field in ["StreamName", "RoleARN"] {
        let placeholder = sink[field].as_str().unwrap().trim_matches(['<', '>']);
        assert!(
            t["Outputs"].get(placeholder).is_some(),
            "{field} placeholder {placeholder} is no output"
        );
    }
    // ObjectDecoration "k={...};k2=...;" adds these keys to every record.
    let decoration: Vec<String> = sink["ObjectDecoration"]
        .as_str()
        .unwrap()
        .split(';')
        .filter(|s| !s.is_empty())
        .map(|kv| kv.split('=').next().unwrap().to_string())
        .collect();
    assert_eq!(decoration, ["source_instance_id"]);

    // The fixture has exactly the agent's WindowsEventLogSource fields plus the decoration.
    let mut expected: BTreeSet<String> = [
        "EventId",
        "Description",
        "LevelDisplayName",
        "LogName",
        "MachineName",
        "ProviderName",
        "TimeCreated",
        "Index",
        "UserName",
        "Keywords",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    expected.extend(decoration.iter().cloned());
    let fixture = repo().join("tests/fixtures/windows-sysmon/kinesis-agent-sysmon.jsonl");
    let text = std::fs::read_to_string(&fixture).unwrap();
    let records: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for r in &records {
        let keys: BTreeSet<String> = r.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, expected);
    }
    // And the mapping turns the decoration into device.instance_uid on every written row.
    let catalog = shipped();
    let src = catalog.source("windows-sysmon").unwrap();
    let mut batch = Batch::new(src, "agent", defaults()).with_preview(records.len());
    batch.add_input("agent", None, text.as_bytes()).unwrap();
    let (preview, _) = batch.preview();
    assert_eq!(
        preview.len(),
        records.len(),
        "one preview entry per record, in order"
    );
    let mut mapped = 0;
    for (v, r) in preview.iter().zip(&records) {
        if v.get("dead_letter").is_some() {
            continue;
        }
        mapped += 1;
        assert_eq!(v["device"]["instance_uid"], r["source_instance_id"], "{v}");
    }
    assert!(mapped > 0);
}
