//! Which service invoked the function, decided by `Records[*].eventSource` before any typed
//! deserialisation, so a payload of the wrong shape fails with a message naming the trigger.

use aws_lambda_events::event::kinesis::KinesisEvent;
use aws_lambda_events::event::sqs::SqsEvent;
use serde::Deserialize;
use serde_json::Value;

pub enum Trigger {
    Kinesis(KinesisEvent),
    Sqs(SqsEvent),
    /// An S3 event notification sent to the function directly (asynchronous invocation).
    S3(Value),
}

impl Trigger {
    pub fn name(&self) -> &'static str {
        match self {
            Trigger::Kinesis(_) => "kinesis",
            Trigger::Sqs(_) => "sqs",
            Trigger::S3(_) => "s3",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TriggerError {
    #[error("the event is not JSON: {0}")]
    NotJson(serde_json::Error),
    #[error("the event has no `Records` array; expected a Kinesis, SQS or S3 event")]
    NoRecords,
    #[error("the event has no records")]
    Empty,
    #[error("records come from several event sources ({0}); one invocation serves one trigger")]
    Mixed(String),
    #[error("unsupported event source {0:?}: expected aws:kinesis or aws:sqs")]
    Unsupported(String),
    #[error("a {trigger} event that does not have the {trigger} shape: {source}")]
    Shape {
        trigger: &'static str,
        source: serde_json::Error,
    },
}

/// Only the event sources, read without building the payload's JSON tree.
#[derive(Deserialize)]
struct Probe {
    #[serde(rename = "Records")]
    records: Option<Vec<ProbeRecord>>,
}

#[derive(Deserialize)]
struct ProbeRecord {
    #[serde(rename = "eventSource", alias = "EventSource")]
    event_source: Option<String>,
}

/// Decide the trigger from the raw payload, then deserialise it once into that trigger's type.
pub fn classify(payload: &[u8]) -> Result<Trigger, TriggerError> {
    let probe: Probe = serde_json::from_slice(payload).map_err(TriggerError::NotJson)?;
    let records = probe.records.ok_or(TriggerError::NoRecords)?;
    let mut sources: Vec<String> = records
        .into_iter()
        .map(|r| r.event_source.unwrap_or_default())
        .collect();
    sources.sort_unstable();
    sources.dedup();
    let names: Vec<&str> = sources.iter().map(String::as_str).collect();
    match names.as_slice() {
        [] => Err(TriggerError::Empty),
        ["aws:kinesis"] => serde_json::from_slice(payload)
            .map(Trigger::Kinesis)
            .map_err(|source| TriggerError::Shape {
                trigger: "kinesis",
                source,
            }),
        ["aws:sqs"] => serde_json::from_slice(payload)
            .map(Trigger::Sqs)
            .map_err(|source| TriggerError::Shape {
                trigger: "sqs",
                source,
            }),
        ["aws:s3"] => serde_json::from_slice(payload)
            .map(Trigger::S3)
            .map_err(|source| TriggerError::Shape {
                trigger: "s3",
                source,
            }),
        [one] => Err(TriggerError::Unsupported(one.to_string())),
        many => Err(TriggerError::Mixed(many.join(", "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify_json(v: serde_json::Value) -> Result<Trigger, TriggerError> {
        classify(&serde_json::to_vec(&v).unwrap())
    }

    #[test]
    fn rejects_what_it_cannot_serve() {
        let e = classify(b"not json").err().unwrap();
        assert!(matches!(e, TriggerError::NotJson(_)));
        let e = classify_json(serde_json::json!({"detail": {}}))
            .err()
            .unwrap();
        assert!(matches!(e, TriggerError::NoRecords));
        let e = classify_json(serde_json::json!({"Records": [{"eventSource": "aws:dynamodb"}]}))
            .err()
            .unwrap();
        assert!(e.to_string().contains("aws:dynamodb"));
        let e = classify_json(serde_json::json!({"Records": [{"eventSource": "aws:sqs"}, {"eventSource": "aws:kinesis"}]}))
            .err()
            .unwrap();
        assert!(matches!(e, TriggerError::Mixed(_)));
        let e = classify_json(
            serde_json::json!({"Records": [{"eventSource": "aws:kinesis", "kinesis": 1}]}),
        )
        .err()
        .unwrap();
        assert!(e.to_string().contains("kinesis"), "{e}");
    }
}
