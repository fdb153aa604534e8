//! Which service invoked the function, decided by `Records[*].eventSource` before any typed
//! deserialisation, so a payload of the wrong shape fails with a message naming the trigger.

use aws_lambda_events::event::kinesis::KinesisEvent;
use aws_lambda_events::event::sqs::SqsEvent;
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

pub fn classify(event: Value) -> Result<Trigger, TriggerError> {
    let records = event
        .get("Records")
        .and_then(Value::as_array)
        .ok_or(TriggerError::NoRecords)?;
    let mut sources: Vec<&str> = records
        .iter()
        .map(|r| {
            r.get("eventSource")
                .or_else(|| r.get("EventSource"))
                .and_then(Value::as_str)
                .unwrap_or("")
        })
        .collect();
    sources.sort_unstable();
    sources.dedup();
    match sources.as_slice() {
        [] => Err(TriggerError::Empty),
        ["aws:kinesis"] => serde_json::from_value(event)
            .map(Trigger::Kinesis)
            .map_err(|source| TriggerError::Shape {
                trigger: "kinesis",
                source,
            }),
        ["aws:sqs"] => serde_json::from_value(event)
            .map(Trigger::Sqs)
            .map_err(|source| TriggerError::Shape {
                trigger: "sqs",
                source,
            }),
        ["aws:s3"] => Ok(Trigger::S3(event)),
        [one] => Err(TriggerError::Unsupported(one.to_string())),
        many => Err(TriggerError::Mixed(many.join(", "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_what_it_cannot_serve() {
        let e = classify(serde_json::json!({"detail": {}})).err().unwrap();
        assert!(matches!(e, TriggerError::NoRecords));
        let e = classify(serde_json::json!({"Records": [{"eventSource": "aws:dynamodb"}]}))
            .err()
            .unwrap();
        assert!(e.to_string().contains("aws:dynamodb"));
        let e = classify(serde_json::json!({"Records": [{"eventSource": "aws:sqs"}, {"eventSource": "aws:kinesis"}]}))
            .err()
            .unwrap();
        assert!(matches!(e, TriggerError::Mixed(_)));
        let e = classify(serde_json::json!({"Records": [{"eventSource": "aws:kinesis", "kinesis": 1}]}))
            .err()
            .unwrap();
        assert!(e.to_string().contains("kinesis"), "{e}");
    }
}
