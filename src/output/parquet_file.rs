//! Parquet encoding as Security Lake wants it: zstd, pages ≤ 1 MB, rows sorted by `time`.
//! zstd runs at level 1 (the parquet crate's default): in `ocsf-bench` its objects are within
//! 2 % of level 3's size, and end to end is 3–5 % faster.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Int64Array, ListArray, MapArray, StructArray, UInt32Array,
};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::compute::take;
use arrow::datatypes::{DataType, Float64Type, Int32Type, Int64Type};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use parquet::arrow::{ArrowSchemaConverter, ArrowWriter};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{
    EnabledStatistics, WriterProperties, WriterPropertiesBuilder, WriterVersion,
};
use parquet::schema::types::ColumnPath;

/// Security Lake's limit for a page before compression.
pub const MAX_PAGE_BYTES: usize = 1024 * 1024;
/// The size at which the writer is asked to cut a data page. The parquet crate's limit is
/// best effort: it adds values in runs, each sized to the whole limit, and checks the limit
/// after each run, so a page can reach twice the limit, plus the 4-byte length of each string
/// (at most [`PAGE_ROWS`] rows a page) and the levels. 384 KiB keeps that within 1 MiB, unless a
/// single value is larger than what is left.
const PAGE_CUT_BYTES: usize = 384 * 1024;
/// Rows a data page holds at most (the crate's default, set here because the limit above
/// counts on it).
const PAGE_ROWS: usize = 20_000;
/// The same for a dictionary page, which the crate keeps to its limit but for one value.
const DICTIONARY_CUT_BYTES: usize = 768 * 1024;
pub const ROW_GROUP_ROWS: usize = 128 * 1024;

pub fn writer_properties() -> WriterProperties {
    properties_builder().build()
}

fn properties_builder() -> WriterPropertiesBuilder {
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(1).expect("valid zstd level"),
        ))
        .set_data_page_size_limit(PAGE_CUT_BYTES)
        .set_dictionary_page_size_limit(DICTIONARY_CUT_BYTES)
        .set_data_page_row_count_limit(PAGE_ROWS)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_writer_version(WriterVersion::PARQUET_1_0)
        // Unique per row: a dictionary and min/max statistics would only cost time and bytes.
        .set_column_dictionary_enabled(uid_column(), false)
        .set_column_statistics_enabled(uid_column(), EnabledStatistics::None)
        .set_created_by(concat!("ocsf-transform ", env!("CARGO_PKG_VERSION")).to_string())
}

/// The writer properties for one object: those of [`writer_properties`], with three changes by
/// column chunk.
/// - A chunk which holds no value at all is stored uncompressed and without a dictionary. It
///   is a few bytes of definition levels with nothing for zstd to gain, and a fixed schema is
///   mostly such columns in any one object (the union of everything a source can produce).
/// - A chunk outside lists and maps whose every row holds the same value (class, category,
///   product, version; in a small object, most columns) is stored uncompressed. Its pages are
///   a dictionary of that one value and a single run of levels and indices: a few bytes, which
///   a zstd frame only makes longer.
///
///   The parquet crate makes a zstd compressor and decompressor for every compressed chunk it
///   writes, which costs more than such chunks' bytes (on x86, zstd reads the CPU's features
///   for each, and on a VM that traps to the hypervisor).
/// - The keys and values of a map (`unmapped`) get no min/max statistics: they mix every
///   field the map holds, so their bounds prune nothing, and computing them compares every
///   string twice.
fn object_properties(
    schema: &arrow::datatypes::Schema,
    batches: &[RecordBatch],
) -> Result<WriterProperties, parquet::errors::ParquetError> {
    let descr = ArrowSchemaConverter::new().convert(schema)?;
    let mut leaves = vec![Leaf::default(); descr.num_columns()];
    for b in batches {
        let mut at = 0;
        for c in b.columns() {
            mark_leaves(c.as_ref(), Within::Row, &mut leaves, &mut at);
        }
        debug_assert_eq!(at, leaves.len(), "arrow leaves and parquet columns agree");
    }
    let mut props = properties_builder();
    for (i, leaf) in leaves.iter().enumerate() {
        let column = descr.column(i);
        let path = column.path();
        if !leaf.has_value {
            props = props
                .set_column_compression(path.clone(), Compression::UNCOMPRESSED)
                .set_column_dictionary_enabled(path.clone(), false);
            continue;
        }
        // Values of several batches are not compared with each other; an object of several
        // batches is large, and what its chunks would save is small beside it.
        if leaf.within == Within::Row && leaf.one_value && batches.len() == 1 {
            props = props.set_column_compression(path.clone(), Compression::UNCOMPRESSED);
        }
        if leaf.within == Within::Map {
            props = props.set_column_statistics_enabled(path.clone(), EnabledStatistics::None);
        }
    }
    Ok(props.build())
}

/// Where a leaf column lies: once per row (at any depth of structs), or among the items of a
/// list or the entries of a map.
#[derive(Clone, Copy, Default, PartialEq, Debug)]
enum Within {
    #[default]
    Row,
    List,
    Map,
}

/// What one object's batches hold in a leaf column.
#[derive(Clone, Copy, Default)]
struct Leaf {
    within: Within,
    has_value: bool,
    /// Every row of the (last) batch holds the same value, and none is null.
    one_value: bool,
}

/// Walk `array` in the order the parquet schema lists its leaf columns (depth first, a list
/// through its items, a map through its keys then values), and note for each leaf where it
/// lies and what it holds.
fn mark_leaves(array: &dyn Array, within: Within, leaves: &mut [Leaf], at: &mut usize) {
    match array.data_type() {
        DataType::Struct(_) => {
            for c in array.as_struct().columns() {
                mark_leaves(c.as_ref(), within, leaves, at);
            }
        }
        DataType::List(_) => {
            let within = if within == Within::Map {
                within
            } else {
                Within::List
            };
            mark_leaves(array.as_list::<i32>().values().as_ref(), within, leaves, at)
        }
        DataType::Map(..) => {
            let m = array.as_map();
            mark_leaves(m.keys().as_ref(), Within::Map, leaves, at);
            mark_leaves(m.values().as_ref(), Within::Map, leaves, at);
        }
        _ => {
            if let Some(l) = leaves.get_mut(*at) {
                l.has_value |= array.null_count() < array.len();
                // A struct's null rows are null in its members too (see `columns`), so a
                // member without nulls lies in structs that are present in every row.
                l.one_value = array.null_count() == 0 && all_the_same(array);
                l.within = within;
            }
            *at += 1;
        }
    }
}

fn uid_column() -> ColumnPath {
    ColumnPath::from(vec!["metadata".to_string(), "uid".to_string()])
}

/// Sort a batch by its `time` column (stable, so equal times keep input order). The batch is
/// consumed column by column, each freed once its sorted copy exists, so sorting holds about
/// one batch in memory rather than two.
pub fn sort_by_time(batch: RecordBatch) -> Result<RecordBatch, ArrowError> {
    let idx = {
        let Some(times) = batch
            .column_by_name("time")
            .and_then(|c| c.as_any().downcast_ref::<Int64Array>())
        else {
            return Ok(batch);
        };
        if times.null_count() == 0 && times.values().windows(2).all(|w| w[0] <= w[1]) {
            return Ok(batch);
        }
        // (time, position) pairs are unique, so an unstable sort gives the stable order.
        // Records without a time are dead letters; a null would sort last.
        let mut order: Vec<(i64, u32)> = times
            .iter()
            .enumerate()
            .map(|(i, t)| (t.unwrap_or(i64::MAX), i as u32))
            .collect();
        order.sort_unstable();
        UInt32Array::from_iter_values(order.into_iter().map(|(_, i)| i))
    };
    let (schema, columns, _) = batch.into_parts();
    let sorted = columns
        .into_iter()
        .map(|c| take_rows(c.as_ref(), &idx))
        .collect::<Result<Vec<_>, _>>()?;
    RecordBatch::try_new(schema, sorted)
}

/// The items of the rows `idx` of a list (or map) with these offsets and items, and the
/// offsets of the result.
fn take_items(
    offsets: &[i32],
    items: &dyn Array,
    idx: &UInt32Array,
) -> Result<(OffsetBuffer<i32>, ArrayRef), ArrowError> {
    let mut positions = Vec::with_capacity(items.len());
    let mut ends = Vec::with_capacity(idx.len() + 1);
    ends.push(0i32);
    for &i in idx.values() {
        let (start, end) = (offsets[i as usize], offsets[i as usize + 1]);
        positions.extend(start as u32..end as u32);
        ends.push(positions.len() as i32);
    }
    let taken = take_rows(items, &UInt32Array::from(positions))?;
    Ok((OffsetBuffer::new(ends.into()), taken))
}

/// The rows `idx` of `array`. Arrow's `take` copies a list of strings or structs row by row
/// through a generic path; here a list takes its items in one `take` of the items, by the
/// item positions of the rows, and a struct takes each of its members the same way.
fn take_rows(array: &dyn Array, idx: &UInt32Array) -> Result<ArrayRef, ArrowError> {
    let nulls = || {
        array
            .logical_nulls()
            .map(|n| NullBuffer::from_iter(idx.values().iter().map(|&i| n.is_valid(i as usize))))
    };
    match array.data_type() {
        DataType::Struct(fields) => {
            let s = array.as_struct();
            let children = s
                .columns()
                .iter()
                .map(|c| take_rows(c.as_ref(), idx))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Arc::new(StructArray::try_new(
                fields.clone(),
                children,
                nulls(),
            )?))
        }
        DataType::List(field) => {
            let l = array.as_list::<i32>();
            let (ends, values) = take_items(l.value_offsets(), l.values().as_ref(), idx)?;
            Ok(Arc::new(ListArray::try_new(
                field.clone(),
                ends,
                values,
                nulls(),
            )?))
        }
        DataType::Map(field, sorted) => {
            let m = array.as_map();
            let (ends, entries) = take_items(m.value_offsets(), m.entries(), idx)?;
            Ok(Arc::new(MapArray::try_new(
                field.clone(),
                ends,
                entries.as_struct().clone(),
                nulls(),
                *sorted,
            )?))
        }
        _ if idx.len() == array.len() && all_the_same(array) => Ok(array.slice(0, array.len())),
        _ => take(array, idx, None),
    }
}

/// Whether every row of a leaf array holds the same value, or every row is null: any order of
/// its rows is then the array itself. Constant columns are common in OCSF (class, category,
/// product, version), and recognising them spares a copy of each in the sort.
fn all_the_same(array: &dyn Array) -> bool {
    fn same<T: PartialEq>(mut values: impl Iterator<Item = T>) -> bool {
        match values.next() {
            Some(first) => values.all(|v| v == first),
            None => true,
        }
    }
    if array.null_count() == array.len() {
        return true;
    }
    if array.null_count() > 0 {
        return false;
    }
    match array.data_type() {
        DataType::Utf8 => same(array.as_string::<i32>().iter()),
        DataType::Int32 => same(array.as_primitive::<Int32Type>().values().iter()),
        DataType::Int64 => same(array.as_primitive::<Int64Type>().values().iter()),
        DataType::Float64 => same(
            array
                .as_primitive::<Float64Type>()
                .values()
                .iter()
                .map(|f| f.to_bits()),
        ),
        DataType::Boolean => {
            let trues = array.as_boolean().true_count();
            trues == 0 || trues == array.len()
        }
        _ => false,
    }
}

/// Encode batches (already sorted) into one Parquet object.
pub fn encode(
    schema: Arc<arrow::datatypes::Schema>,
    batches: &[RecordBatch],
) -> Result<Vec<u8>, parquet::errors::ParquetError> {
    let mut buf = Vec::new();
    let props = object_properties(&schema, batches)?;
    let mut w = ArrowWriter::try_new(&mut buf, schema, Some(props))?;
    for b in batches {
        w.write(b)?;
    }
    w.close()?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{StringArray, StructArray};
    use arrow::datatypes::{DataType, Field, Fields, Schema};

    #[test]
    fn lists_maps_and_structs_take_the_rows_arrow_take_does() {
        use arrow::array::{
            ArrayBuilder, Int32Builder, ListBuilder, MapBuilder, StringBuilder, StructBuilder,
        };
        use arrow::datatypes::Fields;
        let mut list = ListBuilder::new(StringBuilder::new());
        let mut map = MapBuilder::new(None, StringBuilder::new(), StringBuilder::new());
        let fields = Fields::from(vec![
            Field::new("port", DataType::Int32, true),
            Field::new(
                "tags",
                DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
                true,
            ),
        ]);
        let mut st = StructBuilder::from_fields(fields, 0);
        for row in 0..40u32 {
            match row % 4 {
                0 => list.append_null(),
                _ => {
                    for j in 0..row % 3 {
                        list.values().append_value(format!("l{row}.{j}"));
                    }
                    list.values().append_null();
                    list.append(true);
                }
            }
            if row % 5 == 0 {
                map.append(false).unwrap();
            } else {
                for j in 0..row % 4 {
                    map.keys().append_value(format!("k{j}"));
                    map.values().append_value(format!("v{row}.{j}"));
                }
                map.append(true).unwrap();
            }
            let port = st.field_builder::<Int32Builder>(0).unwrap();
            port.append_option((row % 3 != 0).then_some(row as i32));
            let tags = st
                .field_builder::<ListBuilder<Box<dyn ArrayBuilder>>>(1)
                .unwrap();
            if row % 6 == 1 {
                tags.append_null();
            } else {
                let items = tags
                    .values()
                    .as_any_mut()
                    .downcast_mut::<StringBuilder>()
                    .unwrap();
                items.append_value(format!("t{row}"));
                tags.append(true);
            }
            st.append(row % 7 != 3);
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(list.finish()),
            Arc::new(map.finish()),
            Arc::new(st.finish()),
            // Constant, all null, and nearly constant (a sort must move the odd row).
            Arc::new(StringArray::from(vec!["Network Activity"; 40])),
            Arc::new(StringArray::from(vec![None::<&str>; 40])),
            Arc::new(StringArray::from_iter(
                (0..40).map(|i| (i != 9).then_some("x")),
            )),
            Arc::new(StringArray::from_iter_values(
                (0..40).map(|i| if i == 3 { "y" } else { "x" }),
            )),
            Arc::new(Int64Array::from(vec![4001; 40])),
            Arc::new(Int64Array::from_iter_values(
                (0..40).map(|i| i64::from(i == 20)),
            )),
            Arc::new(arrow::array::Float64Array::from(vec![f64::NAN; 40])),
            Arc::new(arrow::array::Float64Array::from_iter_values(
                (0..40).map(|i| if i == 5 { -0.0 } else { 0.0 }),
            )),
            Arc::new(arrow::array::BooleanArray::from(vec![true; 40])),
            Arc::new(arrow::array::BooleanArray::from_iter(
                (0..40).map(|i| Some(i % 2 == 0)),
            )),
        ];
        // A shuffled order that repeats some rows and leaves others out.
        let idx = UInt32Array::from_iter_values((0..40u32).map(|i| (i * 17 + 5) % 37));
        for c in &columns {
            let ours = take_rows(c.as_ref(), &idx).unwrap();
            let arrows = take(c.as_ref(), &idx, None).unwrap();
            assert_eq!(ours.to_data(), arrows.to_data(), "{}", c.data_type());
        }
    }

    #[test]
    fn column_chunks_are_compressed_and_counted_by_what_they_hold() {
        use arrow::array::{ListBuilder, MapBuilder, MapFieldNames, StringBuilder};
        use parquet::file::reader::{FileReader, SerializedFileReader};
        let n = 50;
        let time = Int64Array::from_iter_values(0..n);
        let full = StringArray::from_iter_values((0..n).map(|i| format!("v{i}")));
        let none = StringArray::from(vec![None::<&str>; n as usize]);
        // The last row only: a value in one batch of two still makes the chunk compressed.
        let late = StringArray::from_iter((0..n).map(|i| (i == n - 1).then_some("x")));
        let mut tags = ListBuilder::new(StringBuilder::new());
        for _ in 0..n {
            tags.append_null();
        }
        let tags = tags.finish();
        let map = |entries: bool| {
            let names = MapFieldNames {
                entry: "key_value".into(),
                key: "key".into(),
                value: "value".into(),
            };
            let mut m = MapBuilder::new(Some(names), StringBuilder::new(), StringBuilder::new())
                .with_values_field(Field::new("value", DataType::Utf8, true));
            for i in 0..n {
                if entries && i % 2 == 0 {
                    m.keys().append_value("alert.signature");
                    m.values().append_value(format!("sig {i}"));
                    m.append(true).unwrap();
                } else {
                    m.append(false).unwrap();
                }
            }
            Arc::new(m.finish()) as ArrayRef
        };
        let inner = Fields::from(vec![
            Field::new("full", DataType::Utf8, true),
            Field::new("none", DataType::Utf8, true),
        ]);
        let actor = StructArray::new(
            inner.clone(),
            vec![Arc::new(full) as ArrayRef, Arc::new(none.clone())],
            None,
        );
        let map_type = crate::output::arrow_schema::map_type();
        let schema = Arc::new(Schema::new(vec![
            Field::new("time", DataType::Int64, true),
            Field::new("actor", DataType::Struct(inner), true),
            Field::new("tags", tags.data_type().clone(), true),
            Field::new("late", DataType::Utf8, true),
            Field::new("unmapped", map_type.clone(), true),
            Field::new("extra", map_type, true),
        ]));
        let first = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(time.clone()),
                Arc::new(actor.clone()),
                Arc::new(tags.clone()),
                Arc::new(none),
                map(true),
                map(false),
            ],
        )
        .unwrap();
        let second = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(time),
                Arc::new(actor),
                Arc::new(tags),
                Arc::new(late),
                map(false),
                map(false),
            ],
        )
        .unwrap();
        let body = encode(schema, &[first, second]).unwrap();
        let reader = SerializedFileReader::new(bytes::Bytes::from(body)).unwrap();
        let rg = reader.metadata().row_group(0);
        let chunks: Vec<(String, Compression, bool)> = rg
            .columns()
            .iter()
            .map(|c| {
                let path = c.column_path().string();
                (path, c.compression(), c.statistics().is_some())
            })
            .collect();
        let zstd = writer_properties().compression(&ColumnPath::from("time"));
        let plain = Compression::UNCOMPRESSED;
        let expected = [
            ("time", zstd, true),
            ("actor.full", zstd, true),
            ("actor.none", plain, true),
            ("tags.list.item", plain, true),
            ("late", zstd, true),
            // A map's keys and values have no statistics, unless they hold nothing.
            ("unmapped.key_value.key", zstd, false),
            ("unmapped.key_value.value", zstd, false),
            ("extra.key_value.key", plain, true),
            ("extra.key_value.value", plain, true),
        ];
        let expected: Vec<_> = expected
            .into_iter()
            .map(|(p, c, s)| (p.to_string(), c, s))
            .collect();
        assert_eq!(chunks, expected);
    }

    #[test]
    fn chunks_of_one_value_per_row_are_stored_plain_in_a_single_batch() {
        use arrow::array::{Int32Array, ListBuilder, MapBuilder, MapFieldNames, StringBuilder};
        use parquet::basic::Encoding;
        use parquet::file::reader::{FileReader, SerializedFileReader};
        let n = 30usize;
        let time = Int64Array::from_iter_values((0..n as i64).map(|i| 1000 + i));
        let class = Int32Array::from(vec![4001; n]);
        let name = StringArray::from(vec!["AWS Network Firewall"; n]);
        // One null among equal values: the chunk is not of one value.
        let note = StringArray::from_iter((0..n).map(|i| (i != 3).then_some("same")));
        let mut profiles = ListBuilder::new(StringBuilder::new());
        let mut unmapped = MapBuilder::new(
            Some(MapFieldNames {
                entry: "key_value".into(),
                key: "key".into(),
                value: "value".into(),
            }),
            StringBuilder::new(),
            StringBuilder::new(),
        )
        .with_values_field(Field::new("value", DataType::Utf8, true));
        for _ in 0..n {
            profiles.values().append_value("cloud");
            profiles.append(true);
            unmapped.keys().append_value("rule");
            unmapped.values().append_value("r1");
            unmapped.append(true).unwrap();
        }
        let profiles = profiles.finish();
        let product = Fields::from(vec![
            Field::new("name", DataType::Utf8, true),
            Field::new("note", DataType::Utf8, true),
        ]);
        let schema = Arc::new(Schema::new(vec![
            Field::new("time", DataType::Int64, true),
            Field::new("class_uid", DataType::Int32, true),
            Field::new("product", DataType::Struct(product.clone()), true),
            Field::new("profiles", profiles.data_type().clone(), true),
            Field::new("unmapped", crate::output::arrow_schema::map_type(), true),
        ]));
        let columns: Vec<ArrayRef> = vec![
            Arc::new(time),
            Arc::new(class),
            Arc::new(StructArray::new(
                product,
                vec![Arc::new(name) as ArrayRef, Arc::new(note)],
                None,
            )),
            Arc::new(profiles),
            Arc::new(unmapped.finish()),
        ];
        let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
        let zstd = writer_properties().compression(&ColumnPath::from("time"));
        let plain = Compression::UNCOMPRESSED;
        let expected = [
            ("time", zstd),
            ("class_uid", plain),
            ("product.name", plain),
            ("product.note", zstd),
            // Inside a list or a map the levels vary with the entries: compressed as ever.
            ("profiles.list.item", zstd),
            ("unmapped.key_value.key", zstd),
            ("unmapped.key_value.value", zstd),
        ];
        let codecs = |body: Vec<u8>| {
            let reader = SerializedFileReader::new(bytes::Bytes::from(body)).unwrap();
            let rg = reader.metadata().row_group(0);
            rg.columns()
                .iter()
                .map(|c| {
                    let path = c.column_path().string();
                    // The one value is still dictionary encoded: a dictionary and one run.
                    if path == "product.name" {
                        assert!(c.encodings().any(|e| e == Encoding::RLE_DICTIONARY));
                    }
                    (path, c.compression())
                })
                .collect::<Vec<_>>()
        };
        let single = encode(schema.clone(), std::slice::from_ref(&batch)).unwrap();
        let want: Vec<_> = expected.iter().map(|(p, c)| (p.to_string(), *c)).collect();
        assert_eq!(codecs(single.clone()), want);
        // Written as two batches, every chunk with a value is compressed.
        let two = encode(schema, &[batch.slice(0, 10), batch.slice(10, n - 10)]).unwrap();
        assert!(codecs(two).iter().all(|(_, c)| *c == zstd));
        // And the plain chunks read back as written.
        let back: Vec<RecordBatch> =
            parquet::arrow::arrow_reader::ParquetRecordBatchReader::try_new(
                bytes::Bytes::from(single),
                1024,
            )
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(back[0], batch);
    }

    #[test]
    fn every_page_stays_within_a_megabyte() {
        use arrow::array::{ListBuilder, StringBuilder};
        use parquet::file::reader::{FileReader, SerializedFileReader};
        // Several megabytes of distinct text per column (a dictionary gives up on it), over
        // more rows than the writer takes at once, in values from a few bytes to 40 KB.
        let n = 45_000usize;
        let text = |i: usize| {
            let len = match i % 100 {
                0 => 40_000,
                1..=9 => 2_000,
                _ => 20 + i % 300,
            };
            let mut s = format!("{i:08}:");
            while s.len() < len {
                s.push_str("C:\\Windows\\System32\\cmd.exe /c ");
            }
            s
        };
        let full = StringArray::from_iter_values((0..n).map(text));
        let gaps = StringArray::from_iter((0..n).map(|i| (i % 7 != 0).then(|| text(i + 1))));
        let mut items = ListBuilder::new(StringBuilder::new());
        for i in 0..n {
            for j in 0..i % 3 {
                items.values().append_value(text(i * 3 + j));
            }
            items.append(i % 5 != 0);
        }
        let items = items.finish();
        let schema = Arc::new(Schema::new(vec![
            Field::new("time", DataType::Int64, true),
            Field::new("full", DataType::Utf8, true),
            Field::new("gaps", DataType::Utf8, true),
            Field::new("items", items.data_type().clone(), true),
        ]));
        let time = Int64Array::from_iter_values(0..n as i64);
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(time),
                Arc::new(full),
                Arc::new(gaps),
                Arc::new(items),
            ],
        )
        .unwrap();
        let body = encode(schema, &[batch]).unwrap();
        let reader = SerializedFileReader::new(bytes::Bytes::from(body)).unwrap();
        let rg = reader.get_row_group(0).unwrap();
        for c in 0..rg.num_columns() {
            let mut pages = rg.get_column_page_reader(c).unwrap();
            let mut count = 0;
            while let Some(page) = pages.get_next_page().unwrap() {
                // The page's body before compression: levels and values.
                let len = page.buffer().len();
                let kind = page.page_type();
                assert!(len <= MAX_PAGE_BYTES, "column {c}: {kind:?} of {len} bytes");
                count += 1;
            }
            if c > 0 {
                assert!(count > 8, "column {c} spans many pages, not {count}");
            }
        }
    }

    #[test]
    fn equal_times_keep_their_input_order() {
        // Enough rows that a sort which is not stable would move ties.
        let n = 2000;
        let times = Int64Array::from_iter_values((0..n).map(|i| (n - i) / 100));
        let pos = Int64Array::from_iter_values(0..n);
        let schema = Arc::new(Schema::new(vec![
            Field::new("time", DataType::Int64, true),
            Field::new("pos", DataType::Int64, true),
        ]));
        let batch = RecordBatch::try_new(schema, vec![Arc::new(times), Arc::new(pos)]).unwrap();
        let sorted = sort_by_time(batch).unwrap();
        let col = |i: usize| {
            sorted
                .column(i)
                .as_any()
                .downcast_ref::<Int64Array>()
                .unwrap()
                .values()
                .to_vec()
        };
        let (t, p) = (col(0), col(1));
        for w in 0..t.len() - 1 {
            assert!(
                t[w] < t[w + 1] || (t[w] == t[w + 1] && p[w] < p[w + 1]),
                "row {w}"
            );
        }
    }

    #[test]
    fn sorts_every_column_by_time_and_keeps_ties_in_order() {
        let name = Arc::new(StringArray::from(vec![
            Some("c"),
            None,
            Some("b1"),
            Some("b2"),
        ]));
        let inner = Field::new("name", DataType::Utf8, true);
        let actor = StructArray::from(vec![(Arc::new(inner.clone()), name as _)]);
        let schema = Arc::new(Schema::new(vec![
            Field::new("time", DataType::Int64, true),
            Field::new("actor", actor.data_type().clone(), true),
        ]));
        let times = Int64Array::from(vec![Some(30), Some(10), Some(20), Some(20)]);
        let batch = RecordBatch::try_new(schema, vec![Arc::new(times), Arc::new(actor)]).unwrap();
        let sorted = sort_by_time(batch).unwrap();
        let t = sorted
            .column(0)
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap();
        assert_eq!(t.values().to_vec(), vec![10, 20, 20, 30]);
        let a = sorted
            .column(1)
            .as_any()
            .downcast_ref::<StructArray>()
            .unwrap();
        let n = a.column(0).as_any().downcast_ref::<StringArray>().unwrap();
        let names: Vec<Option<&str>> = n.iter().collect();
        assert_eq!(names, vec![None, Some("b1"), Some("b2"), Some("c")]);
    }
}
