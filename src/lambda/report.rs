//! What one invocation did: counts per source and class, failed items, bytes written. Ends as one
//! summary log line and CloudWatch Embedded Metric Format lines.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use crate::engine::Stats;

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub trigger: &'static str,
    /// Kinesis records or SQS messages in the event.
    pub items: usize,
    pub failed_items: usize,
    /// S3 objects read.
    pub objects_read: usize,
    /// Test events, control messages and non-create S3 events, acknowledged without work.
    pub acknowledged: usize,
    pub sources: BTreeMap<String, Stats>,
    /// Bytes written per source and class (dead letters under the class `dead_letter`).
    pub bytes_written: BTreeMap<String, BTreeMap<String, u64>>,
    pub objects_written: u64,
    /// The first few failures a retry may fix, for the log.
    pub failures: Vec<String>,
    /// Per source: inputs that failed with a retryable error, and time spent on its inputs.
    pub source_failures: BTreeMap<String, u64>,
    pub source_ms: BTreeMap<String, u64>,
}

const KEEP_FAILURES: usize = 10;

impl Report {
    pub fn new(trigger: &'static str, items: usize) -> Report {
        Report {
            trigger,
            items,
            ..Report::default()
        }
    }

    pub fn add_stats(&mut self, source: &str, stats: &Stats) {
        self.sources
            .entry(source.to_string())
            .or_default()
            .merge(stats);
    }

    pub fn wrote(&mut self, source: &str, class: &str, bytes: usize) {
        let class = if class.is_empty() {
            "dead_letter"
        } else {
            class
        };
        *self
            .bytes_written
            .entry(source.to_string())
            .or_default()
            .entry(class.to_string())
            .or_default() += bytes as u64;
        self.objects_written += 1;
    }

    /// One input of `source` finished (or failed) after `took`.
    pub fn source_done(&mut self, source: &str, took: std::time::Duration, failed: bool) {
        *self.source_ms.entry(source.to_string()).or_default() += took.as_millis() as u64;
        if failed {
            *self.source_failures.entry(source.to_string()).or_default() += 1;
        }
        self.sources.entry(source.to_string()).or_default();
    }

    pub fn failure(&mut self, what: String) {
        if self.failures.len() < KEEP_FAILURES {
            self.failures.push(what);
        }
    }

    fn totals(&self) -> Stats {
        let mut t = Stats::default();
        for s in self.sources.values() {
            t.merge(s);
        }
        t
    }

    /// The one summary line of the invocation (no event payloads).
    pub fn log(&self, duration_ms: u64) {
        let t = self.totals();
        let failures = self.failures.join("; ");
        tracing::info!(
            trigger = self.trigger,
            items = self.items,
            failed_items = self.failed_items,
            objects_read = self.objects_read,
            acknowledged = self.acknowledged + t.control_messages as usize,
            events_in = t.events_in,
            rows_written = t.written(),
            dead_lettered = t.dead(),
            ignored = t.ignored,
            warnings = t.warnings.values().sum::<u64>(),
            objects_written = self.objects_written,
            duration_ms,
            failures = failures.as_str(),
            "invocation done"
        );
    }

    /// Embedded Metric Format documents: per source and class, per source, per dead-letter
    /// reason, and per invocation.
    pub fn emf(&self, namespace: &str, duration_ms: u64, timestamp_ms: i64) -> Vec<Value> {
        let doc = |dims: &[&str], metrics: &[(&str, &str, u64)], values: Value| {
            let mut v = values;
            let m = v.as_object_mut().expect("an object");
            m.insert(
                "_aws".into(),
                json!({
                    "Timestamp": timestamp_ms,
                    "CloudWatchMetrics": [{
                        "Namespace": namespace,
                        "Dimensions": [dims],
                        "Metrics": metrics.iter().map(|(n, u, _)| json!({"Name": n, "Unit": u})).collect::<Vec<_>>(),
                    }]
                }),
            );
            for (n, _, val) in metrics {
                m.insert((*n).into(), json!(val));
            }
            v
        };
        let mut out = Vec::new();
        for (source, stats) in &self.sources {
            out.push(doc(
                &["Source"],
                &[
                    ("EventsIn", "Count", stats.events_in),
                    ("RowsWritten", "Count", stats.written()),
                    ("DeadLettered", "Count", stats.dead()),
                    ("Ignored", "Count", stats.ignored),
                    ("Warnings", "Count", stats.warnings.values().sum()),
                    ("BytesIn", "Bytes", stats.bytes_in),
                    (
                        "FailedItems",
                        "Count",
                        self.source_failures.get(source).copied().unwrap_or(0),
                    ),
                    (
                        "Duration",
                        "Milliseconds",
                        self.source_ms.get(source).copied().unwrap_or(0),
                    ),
                ],
                json!({"Source": source}),
            ));
            let bytes = self.bytes_written.get(source);
            let mut classes: Vec<&String> = stats.rows_written.keys().collect();
            if let Some(b) = bytes {
                classes.extend(b.keys().filter(|c| !stats.rows_written.contains_key(*c)));
            }
            for class in classes {
                out.push(doc(
                    &["Source", "Class"],
                    &[
                        (
                            "RowsWritten",
                            "Count",
                            stats.rows_written.get(class).copied().unwrap_or(0),
                        ),
                        (
                            "BytesWritten",
                            "Bytes",
                            bytes.and_then(|b| b.get(class)).copied().unwrap_or(0),
                        ),
                    ],
                    json!({"Source": source, "Class": class}),
                ));
            }
            for (reason, n) in &stats.dead_lettered {
                out.push(doc(
                    &["Source", "Reason"],
                    &[("DeadLettered", "Count", *n)],
                    json!({"Source": source, "Reason": reason}),
                ));
            }
        }
        out.push(doc(
            &["Trigger"],
            &[
                ("Items", "Count", self.items as u64),
                ("FailedItems", "Count", self.failed_items as u64),
                ("ObjectsWritten", "Count", self.objects_written),
                ("Duration", "Milliseconds", duration_ms),
            ],
            json!({"Trigger": self.trigger}),
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_documents_declare_what_they_carry() {
        let mut r = Report::new("sqs", 2);
        let mut s = Stats {
            events_in: 3,
            ..Stats::default()
        };
        s.rows_written.insert("network_activity".into(), 2);
        s.dead_lettered.insert("parse_error".into(), 1);
        r.add_stats("fw", &s);
        r.wrote("fw", "network_activity", 100);
        r.wrote("fw", "", 10);
        r.failed_items = 1;
        r.source_done("fw", std::time::Duration::from_millis(7), true);
        let docs = r.emf("Ns", 5, 1_700_000_000_000);
        for d in &docs {
            let cw = &d["_aws"]["CloudWatchMetrics"][0];
            assert_eq!(cw["Namespace"], "Ns");
            for dim in cw["Dimensions"][0].as_array().unwrap() {
                assert!(d.get(dim.as_str().unwrap()).is_some(), "{d}");
            }
            for m in cw["Metrics"].as_array().unwrap() {
                assert!(d[m["Name"].as_str().unwrap()].is_u64(), "{d}");
            }
        }
        let class = docs
            .iter()
            .find(|d| d["Class"] == "network_activity")
            .unwrap();
        assert_eq!(class["RowsWritten"], 2);
        assert_eq!(class["BytesWritten"], 100);
        let dl = docs.iter().find(|d| d["Class"] == "dead_letter").unwrap();
        assert_eq!(dl["BytesWritten"], 10);
        let reason = docs.iter().find(|d| d["Reason"] == "parse_error").unwrap();
        assert_eq!(reason["DeadLettered"], 1);
        let per_source = docs
            .iter()
            .find(|d| d["Source"] == "fw" && d.get("Class").is_none() && d.get("Reason").is_none())
            .unwrap();
        assert_eq!(per_source["FailedItems"], 1);
        assert_eq!(per_source["Duration"], 7);
        let inv = docs.iter().find(|d| d["Trigger"] == "sqs").unwrap();
        assert_eq!(inv["FailedItems"], 1);
    }
}
