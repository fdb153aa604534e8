//! One batch of one source: raw inputs → events → OCSF records grouped by (class, accountId,
//! region, eventDay) → Parquet objects sorted by time, plus dead letters and counts.
//! Object names come from the batch name, so re-running the same input overwrites.
//! Reading inputs and stream records into events is in `reading`.

mod reading;

use std::borrow::Cow;
use std::collections::BTreeMap;

use bumpalo::Bump;
use serde::Serialize;
use serde_json::Value;

use crate::catalog::{PartitionRule, Source};
use crate::event::Node;
use crate::mapping::MapOutcome;
use crate::mapping::convert::raw_text;
use crate::mapping::time::event_day;
use crate::output::columns::RecordColumns;
use crate::output::dead_letter::{DeadLetter, Raw, dead_letter_key, encode_lines};
use crate::output::lake::object_key;
use crate::output::parquet_file::{encode, sort_by_time};

/// The running account and region, used where the config gives no partition value.
#[derive(Debug, Clone)]
pub struct PartitionDefaults {
    pub account: String,
    pub region: String,
}

#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct Stats {
    pub events_in: u64,
    pub rows_written: BTreeMap<String, u64>,
    pub dead_lettered: BTreeMap<String, u64>,
    pub ignored: u64,
    /// CloudWatch Logs control messages read (the service checking its destination; not events).
    #[serde(skip_serializing_if = "is_zero")]
    pub control_messages: u64,
    pub warnings: BTreeMap<String, u64>,
    pub bytes_in: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Stats {
    pub fn written(&self) -> u64 {
        self.rows_written.values().sum()
    }
    pub fn dead(&self) -> u64 {
        self.dead_lettered.values().sum()
    }
    pub fn merge(&mut self, o: &Stats) {
        self.events_in += o.events_in;
        self.ignored += o.ignored;
        self.control_messages += o.control_messages;
        self.bytes_in += o.bytes_in;
        for (k, v) in &o.rows_written {
            *self.rows_written.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &o.dead_lettered {
            *self.dead_lettered.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &o.warnings {
            *self.warnings.entry(k.clone()).or_default() += v;
        }
    }
}

/// A failure reading an input part-way (events before it are kept in the batch).
#[derive(Debug, thiserror::Error)]
#[error("{input}: {message} (after record {position})")]
pub struct InputError {
    pub input: String,
    pub position: u64,
    pub message: String,
    /// Whether reading again may succeed (a network failure) or not (corrupt data, caps).
    pub retryable: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("encoding Parquet for {key}: {source}")]
    Parquet {
        key: String,
        source: parquet::errors::ParquetError,
    },
    #[error("sorting rows for {key}: {source}")]
    Arrow {
        key: String,
        source: arrow::error::ArrowError,
    },
}

/// One object to store.
#[derive(Debug)]
pub struct OutputObject {
    pub key: String,
    pub body: Vec<u8>,
    pub rows: u64,
    pub class: String,
}

#[derive(Debug)]
pub struct BatchOutput {
    pub objects: Vec<OutputObject>,
    /// The dead-letter object (JSON lines), if any event was dead-lettered.
    pub dead_letters: Option<OutputObject>,
    pub stats: Stats,
}

/// What rows are accumulated together. The day is not part of it: rows are sorted by time when
/// encoded, so each day's rows are a contiguous slice, and each slice becomes its own object.
/// Events that span many days then share one set of column buffers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct GroupKey {
    class: usize,
    account: String,
    region: String,
}

const MS_PER_DAY: i64 = 86_400_000;

/// The UTC days of a batch sorted by `time`, each with its rows (contiguous, in order).
/// Every mapped record has a time, so the column has no nulls.
fn day_slices(
    sorted: &arrow::record_batch::RecordBatch,
) -> Result<Vec<(i64, std::ops::Range<usize>)>, arrow::error::ArrowError> {
    let times: &[i64] = sorted
        .column_by_name("time")
        .and_then(|c| c.as_any().downcast_ref::<arrow::array::Int64Array>())
        .filter(|t| arrow::array::Array::null_count(*t) == 0)
        .ok_or_else(|| {
            arrow::error::ArrowError::SchemaError("rows without an integer `time`".into())
        })?
        .values();
    let mut out = Vec::new();
    let mut start = 0;
    while start < times.len() {
        let day = times[start].div_euclid(MS_PER_DAY);
        let next = (day + 1).saturating_mul(MS_PER_DAY);
        let end = start + times[start..].partition_point(|&t| t < next);
        out.push((day, start..end));
        start = end;
    }
    Ok(out)
}

/// Add to a counter without allocating its key once it exists.
fn bump(map: &mut BTreeMap<String, u64>, key: &str, n: u64) {
    match map.get_mut(key) {
        Some(v) => *v += n,
        None => {
            map.insert(key.to_string(), n);
        }
    }
}

/// A failure storing an object; `retryable` says whether trying again may help.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SinkError {
    pub message: String,
    pub retryable: bool,
}

/// Where objects go when the batch spills before `finish` (bounded memory).
pub type Sink<'a> = Box<dyn FnMut(OutputObject) -> Result<(), SinkError> + 'a>;

/// Room that the accumulators of each (source, class) needed, kept for the life of the process:
/// the next batch of the same class (the next Lambda invocation, the next run in one process)
/// starts with room for about as much, instead of growing every buffer step by step, each step
/// copying the buffer and touching fresh pages. A hint is the larger of the last finish and half
/// the previous hint, so it follows batches that become smaller.
static SIZE_HINTS: std::sync::LazyLock<std::sync::Mutex<SizeHints>> =
    std::sync::LazyLock::new(Default::default);

/// Column sizes by (source name, class name).
type SizeHints = std::collections::HashMap<(String, String), Vec<usize>>;

fn size_hint(source: &str, class: &str) -> Option<Vec<usize>> {
    let hints = SIZE_HINTS.lock().unwrap_or_else(|e| e.into_inner());
    hints.get(&(source.to_string(), class.to_string())).cloned()
}

fn remember_sizes(source: &str, class: &str, sizes: &[usize]) {
    let mut hints = SIZE_HINTS.lock().unwrap_or_else(|e| e.into_inner());
    let hint = hints
        .entry((source.to_string(), class.to_string()))
        .or_default();
    if hint.len() != sizes.len() {
        *hint = sizes.to_vec();
        return;
    }
    for (h, &s) in hint.iter_mut().zip(sizes) {
        *h = s.max(*h / 2);
    }
}

pub struct Batch<'a> {
    source: &'a Source,
    name: String,
    /// Spill when buffered rows and dead letters exceed this many bytes.
    budget: usize,
    sink: Option<Sink<'a>>,
    /// Objects already handed to the sink.
    parts: u32,
    dead_bytes: usize,
    dead_letter_prefix: String,
    defaults: std::sync::Arc<PartitionDefaults>,
    /// Few groups per batch: found by a linear scan, the last one used checked first.
    groups: Vec<(GroupKey, RecordColumns)>,
    last_group: usize,
    /// Per class, the accumulators of an encoded part, emptied and given room for as much as
    /// that part held: the next part of the class starts from them.
    spare: Vec<Option<RecordColumns>>,
    dead: Vec<DeadLetter>,
    pub stats: Stats,
    /// When set, the OCSF JSON of the first events (or their dead-letter reasons) is kept here.
    preview: Option<(usize, Vec<Value>)>,
    /// Where each event is built; reset before the next one.
    arena: Bump,
    /// Mixed into every `metadata.uid` (see `with_uid_salt`).
    uid_salt: String,
}

fn uid_for<'b>(salt: &str, input: &str, position: u64, bump: &'b Bump) -> &'b str {
    // The hash of `[<salt>\x1f]<input>\x1f<position in decimal>`, streamed without building
    // that string.
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut p = position;
    loop {
        i -= 1;
        digits[i] = b'0' + (p % 10) as u8;
        p /= 10;
        if p == 0 {
            break;
        }
    }
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    if !salt.is_empty() {
        h.update(salt.as_bytes());
        h.update(&[0x1f]);
    }
    h.update(input.as_bytes());
    h.update(&[0x1f]);
    h.update(&digits[i..]);
    // Formatted as a UUID (8-4-4-4-12 hex digits) without going through `format!`.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = bumpalo::collections::String::with_capacity_in(36, bump);
    for (i, byte) in h.digest128().to_be_bytes().iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(HEX[(byte >> 4) as usize] as char);
        out.push(HEX[(byte & 0xf) as usize] as char);
    }
    out.into_bump_str()
}

impl<'a> Batch<'a> {
    /// `name` names the objects this batch writes; the same input must give the same name.
    pub fn new(
        source: &'a Source,
        name: impl Into<String>,
        defaults: PartitionDefaults,
    ) -> Batch<'a> {
        Batch {
            source,
            name: name.into(),
            budget: usize::MAX,
            sink: None,
            parts: 0,
            dead_bytes: 0,
            dead_letter_prefix: "dead-letter".into(),
            defaults: std::sync::Arc::new(defaults),
            groups: Vec::new(),
            last_group: 0,
            spare: Vec::new(),
            dead: Vec::new(),
            stats: Stats::default(),
            preview: None,
            arena: Bump::new(),
            uid_salt: String::new(),
        }
    }

    /// Make `metadata.uid` depend on what identifies the inputs' content (an S3 object's ETag,
    /// a file's size and modification time), not only on input name and position: the same
    /// path or key with other content then gives other ids, and the same content the same ids.
    pub fn with_uid_salt(mut self, salt: impl Into<String>) -> Self {
        self.uid_salt = salt.into();
        self
    }

    /// Key prefix of dead-letter objects (default `dead-letter`).
    pub fn with_dead_letter_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.dead_letter_prefix = prefix.into();
        self
    }

    /// Bound memory: when buffered rows and dead letters exceed `budget` bytes, every group is
    /// encoded into a part object (`<name>-partNNNN`, sorted by time) and handed to `sink`.
    /// Part names depend only on the input, so a re-run overwrites the same objects.
    pub fn with_sink(mut self, budget: usize, sink: Sink<'a>) -> Self {
        self.budget = budget;
        self.sink = Some(sink);
        self
    }

    /// Keep the OCSF JSON of the first `n` events (see `preview`).
    pub fn with_preview(mut self, n: usize) -> Self {
        self.preview = Some((n, Vec::new()));
        self
    }

    /// The previewed events, and whether the preview is full.
    pub fn preview(&self) -> (&[Value], bool) {
        match &self.preview {
            Some((n, v)) => (v, v.len() >= *n),
            None => (&[], false),
        }
    }

    fn capture(&mut self, v: impl FnOnce() -> Value) {
        if let Some((n, items)) = &mut self.preview
            && items.len() < *n
        {
            items.push(v());
        }
    }

    pub fn source(&self) -> &Source {
        self.source
    }

    /// Record an input that failed part-way as a dead letter (when a retry cannot help).
    pub fn dead_letter_input(&mut self, err: &InputError) {
        self.push_dead(
            &err.input,
            err.position + 1,
            "read_error",
            err.message.clone(),
            Raw::default(),
        );
    }

    pub(super) fn push_dead(
        &mut self,
        input: &str,
        position: u64,
        kind: &'static str,
        message: String,
        raw: Raw,
    ) {
        bump(&mut self.stats.dead_lettered, kind, 1);
        self.capture(|| serde_json::json!({"dead_letter": {"input": input, "position": position, "kind": kind, "message": message}}));
        tracing::debug!(source = %self.source.name, input, position, reason = kind, "dead letter");
        self.dead_bytes += raw.len() + message.len() + 128;
        let letter = DeadLetter::new(&self.source.name, input, position, kind, message, raw);
        self.dead.push(letter);
    }

    /// Add one event (or a record that failed to parse, with the reason). `arena` is where the
    /// event was built.
    pub fn add_event<'e>(
        &mut self,
        input: &str,
        position: u64,
        raw: Option<&[u8]>,
        parsed: Result<Node<'e>, String>,
        arena: &'e Bump,
        key: Option<&str>,
    ) {
        self.stats.events_in += 1;
        let raw_string = |ev: Option<&Node>| match (raw, ev) {
            (Some(b), _) => Raw::bytes(b),
            (None, Some(v)) => Raw::from(v.to_string()),
            (None, None) => Raw::default(),
        };
        let event = match parsed {
            Ok(v) => v,
            Err(msg) => {
                let r = raw_string(None);
                self.push_dead(input, position, "parse_error", msg, r);
                return;
            }
        };
        let uid = uid_for(&self.uid_salt, input, position, arena);
        match self.source.mapping.map_event(event, uid, arena) {
            MapOutcome::Ignored => self.stats.ignored += 1,
            MapOutcome::Dead(reason) => {
                let r = raw_string(Some(&event));
                self.push_dead(input, position, reason.kind, reason.message, r);
            }
            MapOutcome::Mapped(rec) => {
                let source = self.source;
                let defaults = std::sync::Arc::clone(&self.defaults);
                let partitions =
                    Self::partition(&source.account, event, arena, key, &defaults.account)
                        .map_err(|m| format!("accountId: {m}"))
                        .and_then(|a| {
                            Self::partition(&source.region, event, arena, key, &defaults.region)
                                .map(|r| (a, r))
                                .map_err(|m| format!("region: {m}"))
                        });
                let (account, region) = match partitions {
                    Ok(p) => p,
                    Err(m) => {
                        return self.push_dead(
                            input,
                            position,
                            "partition",
                            m,
                            raw_string(Some(&event)),
                        );
                    }
                };
                let class = &self.source.mapping.classes[rec.class];
                if rec.warnings.unconvertible > 0 {
                    bump(
                        &mut self.stats.warnings,
                        "unconvertible_value",
                        rec.warnings.unconvertible as u64,
                    );
                }
                if rec.warnings.incomplete > 0 {
                    bump(
                        &mut self.stats.warnings,
                        "incomplete_object",
                        rec.warnings.incomplete as u64,
                    );
                }
                if rec.warnings.overridden > 0 {
                    bump(
                        &mut self.stats.warnings,
                        "derived_value_overrode_mapping",
                        rec.warnings.overridden as u64,
                    );
                }
                bump(&mut self.stats.rows_written, &class.name, 1);
                if self.preview.is_some() {
                    let shape = crate::mapping::Shape::Struct(class.shape.clone());
                    let json = crate::mapping::Val::Struct(rec.root).to_json(&shape);
                    self.capture(|| json);
                }
                let same = |k: &GroupKey| {
                    k.class == rec.class && k.account == account && k.region == region
                };
                let idx = match self.groups.get(self.last_group) {
                    Some((k, _)) if same(k) => self.last_group,
                    _ => match self.groups.iter().position(|(k, _)| same(k)) {
                        Some(i) => i,
                        None => {
                            let k = GroupKey {
                                class: rec.class,
                                account: account.into_owned(),
                                region: region.into_owned(),
                            };
                            let cols = self
                                .spare
                                .get_mut(rec.class)
                                .and_then(Option::take)
                                .unwrap_or_else(|| {
                                    let mut c = RecordColumns::new(&class.shape);
                                    if let Some(h) = size_hint(&self.source.name, &class.name) {
                                        c.presize_for(&h);
                                    }
                                    c
                                });
                            self.groups.push((k, cols));
                            self.groups.len() - 1
                        }
                    },
                };
                self.last_group = idx;
                self.groups[idx].1.append(rec.root);
            }
        }
    }

    fn partition<'s>(
        rule: &'s PartitionRule,
        event: Node<'_>,
        arena: &Bump,
        key: Option<&'s str>,
        default: &'s str,
    ) -> Result<Cow<'s, str>, String> {
        match rule {
            PartitionRule::Default => Ok(Cow::Borrowed(default)),
            PartitionRule::Fixed(s) => Ok(Cow::Borrowed(s)),
            PartitionRule::Path(p) => p
                .eval(event, arena)
                .map(|v| Cow::Owned(raw_text(&v)))
                .ok_or_else(|| format!("`{}` is absent", p.as_str())),
            PartitionRule::KeyRegex(re) => Ok(key
                .and_then(|k| re.captures(k).and_then(|c| c.get(1)))
                .map_or(Cow::Borrowed(default), |m| Cow::Borrowed(m.as_str()))),
        }
    }

    /// Approximate bytes of buffered rows and dead letters.
    pub fn buffered_bytes(&self) -> usize {
        self.groups.iter().map(|(_, c)| c.memory()).sum::<usize>() + self.dead_bytes
    }

    /// Hand everything buffered to the sink as part objects when over budget.
    pub fn spill_if_over(&mut self) -> Result<(), SinkError> {
        if self.sink.is_none() || self.buffered_bytes() <= self.budget {
            return Ok(());
        }
        self.parts += 1;
        let name = format!("{}-part{:04}", self.name, self.parts);
        let objects = self.encode_groups(&name, true).map_err(|e| SinkError {
            message: e.to_string(),
            retryable: false,
        })?;
        let dead = self.take_dead_letters(&name);
        let sink = self.sink.as_mut().expect("checked above");
        for o in objects.into_iter().chain(dead) {
            sink(o)?;
        }
        Ok(())
    }

    fn take_dead_letters(&mut self, name: &str) -> Option<OutputObject> {
        self.dead_bytes = 0;
        let dead = std::mem::take(&mut self.dead);
        (!dead.is_empty()).then(|| OutputObject {
            key: dead_letter_key(&self.dead_letter_prefix, &self.source.name, name),
            body: encode_lines(&dead),
            rows: dead.len() as u64,
            class: String::new(),
        })
    }

    /// Encode every group into its object. `more` says more rows will follow (a spill): the
    /// emptied accumulators are then kept as spares.
    fn encode_groups(&mut self, name: &str, more: bool) -> Result<Vec<OutputObject>, EncodeError> {
        let mut objects = Vec::new();
        let mut groups = std::mem::take(&mut self.groups);
        self.last_group = 0;
        groups.sort_by(|a, b| a.0.cmp(&b.0));
        for (gk, mut cols) in groups {
            let class = &self.source.mapping.classes[gk.class];
            let location = &self.source.locations[gk.class];
            let batch = cols.finish();
            remember_sizes(&self.source.name, &class.name, cols.last_sizes());
            let (sorted, days) = sort_by_time(batch)
                .and_then(|b| day_slices(&b).map(|d| (b, d)))
                .map_err(|source| EncodeError::Arrow {
                    key: object_key(location, &gk.region, &gk.account, "*", name),
                    source,
                })?;
            for (day, rows) in days {
                let key = object_key(
                    location,
                    &gk.region,
                    &gk.account,
                    &event_day(day * MS_PER_DAY),
                    name,
                );
                let part = sorted.slice(rows.start, rows.len());
                let body =
                    encode(part.schema(), &[part]).map_err(|source| EncodeError::Parquet {
                        key: key.clone(),
                        source,
                    })?;
                objects.push(OutputObject {
                    key,
                    body,
                    rows: rows.len() as u64,
                    class: class.name.clone(),
                });
            }
            drop(sorted);
            // The batch is freed by now: the room given here reuses its memory.
            if more {
                if self.spare.len() <= gk.class {
                    self.spare.resize_with(gk.class + 1, || None);
                }
                if self.spare[gk.class].is_none() {
                    cols.presize();
                    self.spare[gk.class] = Some(cols);
                }
            }
        }
        Ok(objects)
    }

    /// Encode what is still buffered into its Parquet objects and the dead letters into one
    /// JSON-lines object (the objects already spilled went to the sink).
    pub fn finish(mut self) -> Result<BatchOutput, EncodeError> {
        let name = if self.parts == 0 {
            self.name.clone()
        } else {
            format!("{}-part{:04}", self.name, self.parts + 1)
        };
        let objects = self.encode_groups(&name, false)?;
        let dead_letters = self.take_dead_letters(&name);
        Ok(BatchOutput {
            objects,
            dead_letters,
            stats: self.stats,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::Int64Array;
    use arrow::datatypes::{DataType, Field, Schema};
    use arrow::record_batch::RecordBatch;

    use super::*;

    #[test]
    fn size_hints_follow_the_last_finish_and_decay() {
        let (src, class) = ("hint-test-source", "process_activity");
        assert_eq!(size_hint(src, class), None);
        remember_sizes(src, class, &[100, 4000]);
        assert_eq!(size_hint(src, class), Some(vec![100, 4000]));
        // A smaller batch halves the hint at most; a larger one raises it at once.
        remember_sizes(src, class, &[10, 5000]);
        assert_eq!(size_hint(src, class), Some(vec![50, 5000]));
        // Another shape (another config with the same names) replaces it.
        remember_sizes(src, class, &[7]);
        assert_eq!(size_hint(src, class), Some(vec![7]));
        assert_eq!(size_hint(src, "file_activity"), None);
    }

    fn batch(times: Vec<Option<i64>>) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("time", DataType::Int64, true)]));
        RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(times))]).unwrap()
    }

    #[test]
    fn days_split_at_utc_midnight() {
        let d = MS_PER_DAY;
        let b = batch(vec![
            Some(-1),
            Some(0),
            Some(d - 1),
            Some(5 * d),
            Some(5 * d + 7),
        ]);
        assert_eq!(
            day_slices(&b).unwrap(),
            vec![(-1, 0..1), (0, 1..3), (5, 3..5)]
        );
        assert_eq!(day_slices(&batch(vec![])).unwrap(), vec![]);
        // Rows without a time would have no object: an error, never a silent loss.
        assert!(day_slices(&batch(vec![Some(0), None])).is_err());
    }
}
