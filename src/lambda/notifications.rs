//! What an SQS message body announces: S3 objects (an S3 event notification, possibly inside an
//! SNS envelope, or an EventBridge "Object Created" event), an `s3:TestEvent`, or something
//! this function does not understand.

use serde_json::Value;

/// One S3 object to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    pub bucket: String,
    /// The decoded key.
    pub key: String,
    pub version_id: Option<String>,
    pub etag: Option<String>,
}

impl ObjectRef {
    /// The same object version always gives the same name, so a retry overwrites its output.
    pub fn batch_name(&self) -> String {
        let id = format!(
            "{}\u{1f}{}\u{1f}{}\u{1f}{}",
            self.bucket,
            self.key,
            self.version_id.as_deref().unwrap_or(""),
            self.etag.as_deref().unwrap_or("")
        );
        format!("s3-{:016x}", xxhash_rust::xxh3::xxh3_64(id.as_bytes()))
    }

    pub fn url(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Body {
    /// Objects created (possibly none, when every record was another kind of event).
    Objects {
        objects: Vec<ObjectRef>,
        /// Records of other S3 events (e.g. ObjectRemoved), acknowledged.
        skipped: usize,
    },
    /// S3's test message when a notification configuration is saved.
    Test,
    Unrecognised(String),
}

/// S3 event notifications encode keys as in a URL query: `+` is a space.
pub fn decode_key(key: &str) -> String {
    let spaced = key.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

pub fn parse_body(body: &str) -> Body {
    match serde_json::from_str::<Value>(body) {
        Ok(v) => parse_value(&v, 0),
        Err(e) => Body::Unrecognised(format!("message body is not JSON: {e}")),
    }
}

/// A notification already parsed (a direct S3 invocation).
pub fn parse_event(v: &Value) -> Body {
    parse_value(v, 0)
}

fn text(v: &Value, ptr: &str) -> Option<String> {
    v.pointer(ptr).and_then(Value::as_str).map(str::to_string)
}

fn parse_value(v: &Value, depth: u8) -> Body {
    // SNS envelope: the notification is a string in `Message`.
    if v.get("Type").and_then(Value::as_str) == Some("Notification")
        && let Some(msg) = v.get("Message").and_then(Value::as_str)
    {
        if depth > 2 {
            return Body::Unrecognised("SNS envelopes nested too deep".into());
        }
        return match serde_json::from_str::<Value>(msg) {
            Ok(inner) => parse_value(&inner, depth + 1),
            Err(e) => Body::Unrecognised(format!("SNS Message is not JSON: {e}")),
        };
    }
    if v.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Body::Test;
    }
    if let Some(records) = v.get("Records").and_then(Value::as_array) {
        let mut objects = Vec::new();
        let mut skipped = 0;
        for (i, r) in records.iter().enumerate() {
            let name = r.get("eventName").and_then(Value::as_str).unwrap_or("");
            if r.get("eventSource").and_then(Value::as_str) != Some("aws:s3") {
                return Body::Unrecognised(format!(
                    "Records[{i}] is not an S3 event (eventSource {:?})",
                    r.get("eventSource")
                ));
            }
            if !name.starts_with("ObjectCreated:") {
                skipped += 1;
                continue;
            }
            let (Some(bucket), Some(key)) = (text(r, "/s3/bucket/name"), text(r, "/s3/object/key"))
            else {
                return Body::Unrecognised(format!(
                    "Records[{i}] has no s3.bucket.name or s3.object.key"
                ));
            };
            objects.push(ObjectRef {
                bucket,
                key: decode_key(&key),
                version_id: text(r, "/s3/object/versionId"),
                etag: text(r, "/s3/object/eTag"),
            });
        }
        return Body::Objects { objects, skipped };
    }
    if v.get("source").and_then(Value::as_str) == Some("aws.s3") && v.get("detail-type").is_some() {
        if v.get("detail-type").and_then(Value::as_str) != Some("Object Created") {
            return Body::Objects {
                objects: vec![],
                skipped: 1,
            };
        }
        let (Some(bucket), Some(key)) = (
            text(v, "/detail/bucket/name"),
            text(v, "/detail/object/key"),
        ) else {
            return Body::Unrecognised(
                "EventBridge event has no detail.bucket.name or detail.object.key".into(),
            );
        };
        // EventBridge carries the key as stored, not URL-encoded.
        return Body::Objects {
            objects: vec![ObjectRef {
                bucket,
                key,
                version_id: text(v, "/detail/object/version-id"),
                etag: text(v, "/detail/object/etag"),
            }],
            skipped: 0,
        };
    }
    Body::Unrecognised(
        "neither an S3 event notification, an SNS envelope, an EventBridge S3 event nor an s3:TestEvent"
            .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_keys_like_s3_does() {
        assert_eq!(decode_key("a+b%2Bc%3D.log.gz"), "a b+c=.log.gz");
        assert_eq!(decode_key("AWSLogs/x/%E2%9C%93"), "AWSLogs/x/✓");
    }

    #[test]
    fn names_are_stable_and_differ_per_version() {
        let a = ObjectRef {
            bucket: "b".into(),
            key: "k".into(),
            version_id: None,
            etag: Some("e1".into()),
        };
        let mut b = a.clone();
        assert_eq!(a.batch_name(), b.batch_name());
        b.etag = Some("e2".into());
        assert_ne!(a.batch_name(), b.batch_name());
    }

    #[test]
    fn unknown_bodies_say_why() {
        assert!(matches!(parse_body("nope"), Body::Unrecognised(m) if m.contains("not JSON")));
        assert!(matches!(parse_body("{\"a\":1}"), Body::Unrecognised(_)));
        let removed = r#"{"Records":[{"eventSource":"aws:s3","eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"b"},"object":{"key":"k"}}}]}"#;
        assert_eq!(
            parse_body(removed),
            Body::Objects {
                objects: vec![],
                skipped: 1
            }
        );
    }
}
