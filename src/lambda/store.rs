//! S3 reads and writes for the handler, called from its blocking thread. Errors say which
//! object, what failed, and whether a retry may help.

use std::io::Read;

use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use tokio::runtime::Handle;
use tokio_util::io::SyncIoBridge;

#[derive(Debug, thiserror::Error)]
#[error("{op} s3://{bucket}/{key}: {message}")]
pub struct StoreError {
    pub op: &'static str,
    pub bucket: String,
    pub key: String,
    pub message: String,
    /// Reading or writing again may succeed (network, throttling, 5xx, permissions being fixed).
    pub retryable: bool,
    /// The object does not exist (deleted before it was read): no retry will find it.
    pub not_found: bool,
}

fn classify<E, R>(op: &'static str, bucket: &str, key: &str, e: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let (message, retryable, not_found) = match &e {
        SdkError::ServiceError(se) => {
            let code = se.err().code().unwrap_or("unknown");
            let msg = se.err().message().unwrap_or("");
            let not_found = matches!(code, "NoSuchKey" | "NotFound" | "NoSuchVersion");
            (format!("{code}: {msg}"), !not_found, not_found)
        }
        SdkError::ConstructionFailure(_) => (aws_smithy_error_chain(&e), false, false),
        _ => (aws_smithy_error_chain(&e), true, false),
    };
    StoreError {
        op,
        bucket: bucket.to_string(),
        key: key.to_string(),
        message,
        retryable,
        not_found,
    }
}

/// The error and its causes on one line (SDK errors put the useful part in the source chain).
fn aws_smithy_error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let t = s.to_string();
        if !parts.contains(&t) {
            parts.push(t);
        }
        cur = s.source();
    }
    parts.join(": ")
}

#[derive(Clone)]
pub struct Store {
    /// Reads inputs and writes dead letters, as the function's own role.
    pub client: Client,
    /// Writes the lake (through Security Lake's provider role when one is configured).
    pub lake_client: Client,
    pub handle: Handle,
}

impl Store {
    /// Open an object for streaming: its body as a blocking reader, and its size.
    pub fn open(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<(Box<dyn Read + Send>, Option<i64>), StoreError> {
        let req = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .set_version_id(version_id.map(str::to_string));
        let out = self
            .handle
            .block_on(req.send())
            .map_err(|e| classify("GetObject", bucket, key, e))?;
        let len = out.content_length();
        let reader = SyncIoBridge::new_with_handle(out.body.into_async_read(), self.handle.clone());
        Ok((Box::new(reader), len))
    }

    pub fn put(
        &self,
        lake: bool,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
    ) -> Result<(), StoreError> {
        let content_type = if key.ends_with(".parquet") {
            "application/vnd.apache.parquet"
        } else {
            "application/x-ndjson"
        };
        let client = if lake {
            &self.lake_client
        } else {
            &self.client
        };
        let req = client
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(body));
        self.handle
            .block_on(req.send())
            .map(|_| ())
            .map_err(|e| classify("PutObject", bucket, key, e))
    }
}
