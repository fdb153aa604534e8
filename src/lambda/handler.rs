//! One invocation: dispatch on the trigger, run each input through the engine, store what it
//! produced, and answer with exactly the items a retry can fix.
//!
//! Runs on a blocking thread; S3 calls block on the runtime handle held by the store.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_lambda_events::event::kinesis::KinesisEvent;
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use serde::Serialize;
use serde_json::Value;

use super::notifications::{Body, ObjectRef, parse_body, parse_event};
use super::report::Report;
use super::settings::{DEFAULT_DEAD_LETTER_PREFIX, S3Location, Settings};
use super::store::{Store, StoreError};
use super::trigger::{Trigger, TriggerError, classify};
use crate::catalog::{Catalog, Source};
use crate::engine::{Batch, InputError, OutputObject, PartitionDefaults, SinkError};
use crate::output::dead_letter::{DeadLetter, Raw, dead_letter_key, encode_lines};

/// What Lambda needs to know about this invocation.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub request_id: String,
    pub deadline: Instant,
    /// The function's own account and region: partition values where the config gives none.
    pub account: String,
    pub region: String,
}

impl Invocation {
    /// From the invoked function ARN (`arn:aws:lambda:<region>:<account>:function:<name>`).
    pub fn new(request_id: &str, function_arn: &str, remaining: Duration) -> Invocation {
        let parts: Vec<&str> = function_arn.split(':').collect();
        let region = parts
            .get(3)
            .map(|s| s.to_string())
            .filter(|s| !s.is_empty())
            .or_else(|| std::env::var("AWS_REGION").ok())
            .unwrap_or_default();
        Invocation {
            request_id: request_id.to_string(),
            deadline: Instant::now() + remaining,
            account: parts.get(4).map(|s| s.to_string()).unwrap_or_default(),
            region,
        }
    }
}

/// `SQSBatchResponse` / `StreamsEventResponse`: the items Lambda should retry.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BatchResponse {
    pub batch_item_failures: Vec<ItemFailure>,
}

#[derive(Debug, Serialize, PartialEq, Eq, Clone)]
#[serde(rename_all = "camelCase")]
pub struct ItemFailure {
    pub item_identifier: String,
}

#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error(transparent)]
    Trigger(#[from] TriggerError),
    /// Only for direct (asynchronous) S3 invocations, which have no partial-failure response:
    /// failing the invocation makes Lambda retry it, and object names make the retry overwrite.
    #[error("{0} S3 object(s) could not be processed and will be retried: {1}")]
    Retry(usize, String),
}

/// A failure a retry may fix, for one item.
#[derive(Debug)]
struct Retryable(String);

impl From<StoreError> for Retryable {
    fn from(e: StoreError) -> Self {
        Retryable(e.to_string())
    }
}

pub struct Handler {
    pub catalog: Catalog,
    pub store: Store,
    pub settings: Settings,
    /// Print CloudWatch EMF lines to stdout (in Lambda; not for `invoke`).
    pub emit_metrics: bool,
}

/// A reader that stops with a retryable error once the invocation is about to time out.
struct DeadlineReader<R> {
    inner: R,
    stop_at: Instant,
}

impl<R: Read> Read for DeadlineReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if Instant::now() >= self.stop_at {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "stopped reading: the invocation is about to time out",
            ));
        }
        self.inner.read(buf)
    }
}

const UNROUTED: &str = "unrouted";

impl Handler {
    /// Handle one invocation payload (the event's JSON, as Lambda delivers it).
    pub fn handle(
        &self,
        payload: Vec<u8>,
        inv: &Invocation,
    ) -> Result<(BatchResponse, Report), HandlerError> {
        let started = Instant::now();
        let classified = classify(&payload);
        // The typed event holds what is needed; the raw copy goes before the work starts.
        drop(payload);
        let trigger = match classified {
            Ok(t) => t,
            Err(TriggerError::Empty) => {
                return Ok((BatchResponse::default(), Report::new("empty", 0)));
            }
            Err(e) => return Err(e.into()),
        };
        let (name, items) = match &trigger {
            Trigger::Kinesis(k) => (trigger.name(), k.records.len()),
            Trigger::Sqs(s) => (trigger.name(), s.records.len()),
            Trigger::S3(v) => (trigger.name(), v["Records"].as_array().map_or(0, Vec::len)),
        };
        let report = Mutex::new(Report::new(name, items));
        let result = match trigger {
            Trigger::Kinesis(k) => Ok(self.kinesis(k, inv, &report)),
            Trigger::Sqs(s) => Ok(self.sqs(s, inv, &report)),
            Trigger::S3(v) => self.direct_s3(&v, inv, &report),
        };
        let mut report = report.into_inner().expect("report lock");
        let duration_ms = started.elapsed().as_millis() as u64;
        if let Ok(r) = &result {
            report.failed_items = r.len();
        }
        report.log(duration_ms);
        if self.emit_metrics {
            let now = chrono::Utc::now().timestamp_millis();
            for doc in report.emf(&self.settings.metrics_namespace, duration_ms, now) {
                println!("{doc}");
            }
        }
        let failures = result?;
        Ok((
            BatchResponse {
                batch_item_failures: failures
                    .into_iter()
                    .map(|item_identifier| ItemFailure { item_identifier })
                    .collect(),
            },
            report,
        ))
    }

    fn out_of_time(&self, inv: &Invocation) -> bool {
        inv.deadline.saturating_duration_since(Instant::now()) < self.settings.time_reserve
    }

    fn dead_letter_home(&self, input_bucket: Option<&str>) -> S3Location {
        self.settings
            .dead_letters
            .clone()
            .unwrap_or_else(|| S3Location {
                bucket: input_bucket
                    .unwrap_or(&self.settings.lake.bucket)
                    .to_string(),
                prefix: DEFAULT_DEAD_LETTER_PREFIX.to_string(),
            })
    }

    /// Store one engine output object: Parquet into the lake, dead letters beside it.
    fn store_object(
        &self,
        source: &str,
        o: OutputObject,
        dl: &S3Location,
        report: &Mutex<Report>,
    ) -> Result<(), StoreError> {
        let bytes = o.body.len();
        if o.class.is_empty() {
            self.store.put(false, &dl.bucket, &o.key, o.body)?;
        } else {
            let key = self.settings.lake.key(&o.key);
            self.store
                .put(true, &self.settings.lake.bucket, &key, o.body)?;
        }
        report
            .lock()
            .expect("report lock")
            .wrote(source, &o.class, bytes);
        Ok(())
    }

    fn new_batch<'a>(
        &'a self,
        source: &'a Source,
        name: String,
        inv: &Invocation,
        dl: &'a S3Location,
        report: &'a Mutex<Report>,
        budget: usize,
    ) -> Batch<'a> {
        let defaults = PartitionDefaults {
            account: inv.account.clone(),
            region: inv.region.clone(),
        };
        Batch::new(source, name, defaults)
            .with_dead_letter_prefix(dl.prefix.clone())
            .with_sink(
                budget,
                Box::new(move |o| {
                    self.store_object(&source.name, o, dl, report)
                        .map_err(|e| SinkError {
                            retryable: e.retryable,
                            message: e.to_string(),
                        })
                }),
            )
    }

    /// Finish a batch and store what it holds; its counts join the report once stored.
    fn finish_batch(
        &self,
        batch: Batch<'_>,
        dl: &S3Location,
        report: &Mutex<Report>,
    ) -> Result<(), Retryable> {
        let source = batch.source().name.clone();
        let out = batch
            .finish()
            .map_err(|e| Retryable(format!("encoding output of {source}: {e}")))?;
        for o in out.objects.into_iter().chain(out.dead_letters) {
            self.store_object(&source, o, dl, report)?;
        }
        report
            .lock()
            .expect("report lock")
            .add_stats(&source, &out.stats);
        Ok(())
    }

    /// Dead letters that belong to no source (unknown message, no route).
    fn store_unrouted(
        &self,
        letters: Vec<DeadLetter>,
        name: &str,
        dl: &S3Location,
        report: &Mutex<Report>,
    ) -> Result<(), Retryable> {
        if letters.is_empty() {
            return Ok(());
        }
        let mut stats = crate::engine::Stats::default();
        for l in &letters {
            stats.events_in += 1;
            *stats
                .dead_lettered
                .entry(l.reason.kind.clone())
                .or_default() += 1;
            tracing::warn!(input = %l.origin.input, reason = %l.reason.kind, message = %l.reason.message, "dead letter");
        }
        let body = encode_lines(&letters);
        let key = dead_letter_key(&dl.prefix, UNROUTED, name);
        let bytes = body.len();
        self.store.put(false, &dl.bucket, &key, body)?;
        let mut r = report.lock().expect("report lock");
        r.wrote(UNROUTED, "", bytes);
        r.add_stats(UNROUTED, &stats);
        Ok(())
    }

    // ---- SQS (S3 notifications) ----

    /// Messages are handled by up to `concurrency` threads (S3 latency, not CPU, bounds small
    /// objects); the answer lists failed messages in the event's order.
    fn sqs(&self, ev: SqsEvent, inv: &Invocation, report: &Mutex<Report>) -> Vec<String> {
        let records = &ev.records;
        let next = AtomicUsize::new(0);
        let failed: Mutex<Vec<(usize, String)>> = Mutex::new(Vec::new());
        let workers = self.settings.concurrency.clamp(1, records.len().max(1));
        let budget = self.settings.buffer_bytes / workers;
        let work = || {
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(msg) = records.get(i) else { break };
                let id = msg.message_id.clone().unwrap_or_default();
                let outcome = if self.out_of_time(inv) {
                    Err("not started, the invocation is about to time out".to_string())
                } else {
                    self.message(msg, &id, inv, report, budget)
                        .map_err(|Retryable(e)| e)
                };
                if let Err(e) = outcome {
                    tracing::warn!(message_id = %id, error = %e, "message will be retried");
                    report
                        .lock()
                        .expect("report lock")
                        .failure(format!("message {id}: {e}"));
                    failed.lock().expect("failures lock").push((i, id));
                }
            }
        };
        if workers == 1 {
            work();
        } else {
            std::thread::scope(|scope| {
                for _ in 0..workers {
                    scope.spawn(work);
                }
            });
        }
        let mut failed = failed.into_inner().expect("failures lock");
        failed.sort();
        failed.into_iter().map(|(_, id)| id).collect()
    }

    fn message(
        &self,
        msg: &SqsMessage,
        id: &str,
        inv: &Invocation,
        report: &Mutex<Report>,
        budget: usize,
    ) -> Result<(), Retryable> {
        let body = msg.body.as_deref().unwrap_or("");
        match parse_body(body) {
            Body::Test => {
                report.lock().expect("report lock").acknowledged += 1;
                Ok(())
            }
            Body::Unrecognised(reason) => {
                let queue = msg
                    .event_source_arn
                    .as_deref()
                    .and_then(|a| a.rsplit(':').next())
                    .unwrap_or("sqs");
                let input = format!("sqs:{queue}/{id}");
                let letter = DeadLetter::new(
                    UNROUTED,
                    &input,
                    1,
                    "unrecognised_message",
                    reason,
                    body.to_string(),
                );
                let name = format!("sqs-{:016x}", xxhash_rust::xxh3::xxh3_64(input.as_bytes()));
                self.store_unrouted(vec![letter], &name, &self.dead_letter_home(None), report)
            }
            Body::Objects { objects, skipped } => {
                report.lock().expect("report lock").acknowledged += skipped;
                for o in &objects {
                    self.object(o, inv, report, budget)?;
                }
                Ok(())
            }
        }
    }

    fn object(
        &self,
        o: &ObjectRef,
        inv: &Invocation,
        report: &Mutex<Report>,
        budget: usize,
    ) -> Result<(), Retryable> {
        let dl = self.dead_letter_home(Some(&o.bucket));
        if o.bucket == dl.bucket && o.key.starts_with(&dl.prefix) {
            // Our own dead letters, announced by the same bucket's notifications: reading them
            // would write dead letters about dead letters, forever.
            report.lock().expect("report lock").acknowledged += 1;
            return Ok(());
        }
        report.lock().expect("report lock").objects_read += 1;
        let url = o.url();
        let Some(source) = self.catalog.source_for_object(&o.bucket, &o.key) else {
            let letter = DeadLetter::new(
                UNROUTED,
                &url,
                0,
                "no_source",
                format!(
                    "no source in the config reads {url}: add its bucket and key prefix to a source's input.s3"
                ),
                String::new(),
            );
            return self.store_unrouted(vec![letter], &o.batch_name(), &dl, report);
        };
        let started = Instant::now();
        let result = self.read_object(o, source, inv, &dl, report, budget);
        report.lock().expect("report lock").source_done(
            &source.name,
            started.elapsed(),
            result.is_err(),
        );
        result
    }

    /// Read one routed object through the engine and store what it produced.
    fn read_object(
        &self,
        o: &ObjectRef,
        source: &Source,
        inv: &Invocation,
        dl: &S3Location,
        report: &Mutex<Report>,
        budget: usize,
    ) -> Result<(), Retryable> {
        let url = o.url();
        let name = o.batch_name();
        let mut batch = self
            .new_batch(source, name.clone(), inv, dl, report, budget)
            .with_uid_salt(name);
        match self.store.open(&o.bucket, &o.key, o.version_id.as_deref()) {
            Ok((reader, _len)) => {
                let stop_at = inv
                    .deadline
                    .checked_sub(self.settings.time_reserve / 2)
                    .unwrap_or(inv.deadline);
                let reader = DeadlineReader {
                    inner: reader,
                    stop_at,
                };
                match batch.add_input(&url, Some(&o.key), reader) {
                    Ok(()) => {}
                    Err(e) if e.retryable => return Err(Retryable(e.to_string())),
                    Err(e) => {
                        tracing::warn!(input = %url, error = %e, "input cannot be read to the end; the rest is dead-lettered");
                        batch.dead_letter_input(&e)
                    }
                }
            }
            Err(e) if e.not_found => {
                // Deleted before it was read: nothing to retry; say so in the dead letters.
                batch.dead_letter_input(&InputError {
                    input: url.clone(),
                    position: 0,
                    message: e.to_string(),
                    retryable: false,
                });
            }
            Err(e) => return Err(e.into()),
        }
        self.finish_batch(batch, dl, report)
    }

    fn direct_s3(
        &self,
        v: &Value,
        inv: &Invocation,
        report: &Mutex<Report>,
    ) -> Result<Vec<String>, HandlerError> {
        let Body::Objects { objects, skipped } = parse_event(v) else {
            return Err(
                TriggerError::Unsupported("aws:s3 event without object records".into()).into(),
            );
        };
        report.lock().expect("report lock").acknowledged += skipped;
        let mut errors = Vec::new();
        for o in &objects {
            if let Err(Retryable(e)) = self.object(o, inv, report, self.settings.buffer_bytes) {
                errors.push(e);
            }
        }
        if errors.is_empty() {
            Ok(Vec::new())
        } else {
            Err(HandlerError::Retry(errors.len(), errors.join("; ")))
        }
    }

    // ---- Kinesis ----

    /// All records of the batch are written under names derived from its first sequence
    /// number; a write failure reports that first record, so Lambda retries from there and
    /// the retry overwrites the same objects. Running out of time reports the first record
    /// not yet read, after the records before it are stored.
    fn kinesis(&self, ev: KinesisEvent, inv: &Invocation, report: &Mutex<Report>) -> Vec<String> {
        let Some(first) = ev.records.first() else {
            return Vec::new();
        };
        let first_seq = first.kinesis.sequence_number.clone();
        let event_id = first.event_id.clone().unwrap_or_default();
        let shard = event_id.split(':').next().unwrap_or("shard").to_string();
        let arn = first.event_source_arn.clone().unwrap_or_default();
        let stream = arn.rsplit('/').next().unwrap_or("stream").to_string();
        let name = format!("kinesis-{shard}-{first_seq}");
        let started = Instant::now();
        let dl = self.dead_letter_home(None);
        let mut batches: BTreeMap<String, Batch<'_>> = BTreeMap::new();
        let mut unrouted = Vec::new();
        let mut stopped_at = None;
        let mut failure: Option<String> = None;
        // Records are consumed as they are read, so their data is freed as the batch grows.
        for (i, rec) in ev.records.into_iter().enumerate() {
            if i % 64 == 0 && self.out_of_time(inv) {
                stopped_at = Some(rec.kinesis.sequence_number.clone());
                break;
            }
            let seq = &rec.kinesis.sequence_number;
            let input = format!("kinesis:{stream}/{shard}/{seq}");
            let data = rec.kinesis.data.0;
            let by_stream = rec
                .event_source_arn
                .as_deref()
                .and_then(|a| self.catalog.source_for_stream(a));
            // A CloudWatch Logs event is one event even when its text spans lines; a plain
            // record (or a gzip record that is not a subscription payload) may pack several,
            // one per line.
            let mut packed = !data.starts_with(&[0x1f, 0x8b]);
            let events: Vec<(u64, Vec<u8>)> = if !packed {
                match crate::input::cloudwatch_logs::decode(&data) {
                    Ok(crate::input::cloudwatch_logs::Payload::Other(plain)) => {
                        packed = true;
                        vec![(1, plain)]
                    }
                    Ok(crate::input::cloudwatch_logs::Payload::Control) => {
                        report.lock().expect("report lock").acknowledged += 1;
                        continue;
                    }
                    Ok(crate::input::cloudwatch_logs::Payload::Data(msgs)) => msgs
                        .into_iter()
                        .enumerate()
                        .map(|(j, m)| (j as u64 + 1, m.into_bytes()))
                        .collect(),
                    Err(msg) => {
                        unrouted.push(DeadLetter::new(
                            UNROUTED,
                            &input,
                            1,
                            "parse_error",
                            msg,
                            Raw::bytes(&data),
                        ));
                        continue;
                    }
                }
            } else {
                vec![(1, data)]
            };
            for (pos, bytes) in events {
                let source = by_stream.or_else(|| self.catalog.source_for_payload(&bytes));
                let Some(source) = source else {
                    unrouted.push(DeadLetter::new(
                        UNROUTED,
                        &input,
                        pos,
                        "no_source",
                        format!("no source in the config reads stream {stream} or names this record in its metadata field"),
                        Raw::bytes(&bytes),
                    ));
                    continue;
                };
                let batch = batches.entry(source.name.clone()).or_insert_with(|| {
                    self.new_batch(
                        source,
                        name.clone(),
                        inv,
                        &dl,
                        report,
                        self.settings.buffer_bytes,
                    )
                });
                if let Err(e) = batch.add_record(&input, pos, &bytes, packed) {
                    failure = Some(e.message);
                    break;
                }
            }
            if failure.is_some() {
                break;
            }
        }
        let sources: Vec<String> = batches.keys().cloned().collect();
        if failure.is_none() {
            for (_, batch) in std::mem::take(&mut batches) {
                if let Err(Retryable(e)) = self.finish_batch(batch, &dl, report) {
                    failure = Some(e);
                    break;
                }
            }
        }
        if failure.is_none()
            && let Err(Retryable(e)) = self.store_unrouted(unrouted, &name, &dl, report)
        {
            failure = Some(e);
        }
        {
            // The sources of one batch are read together: each is charged the batch's time.
            let mut r = report.lock().expect("report lock");
            for name in &sources {
                r.source_done(name, started.elapsed(), failure.is_some());
            }
        }
        if let Some(e) = failure {
            tracing::warn!(shard = %shard, sequence_number = %first_seq, error = %e, "batch output not stored; Lambda retries from its first record");
            report
                .lock()
                .expect("report lock")
                .failure(format!("{shard} from {first_seq}: {e}"));
            return vec![first_seq];
        }
        if let Some(seq) = stopped_at {
            report.lock().expect("report lock").failure(format!(
                "{shard} from {seq}: not started, the invocation is about to time out"
            ));
            return vec![seq];
        }
        Vec::new()
    }
}
