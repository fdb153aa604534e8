//! Column accumulators built from a class shape; each record is appended in one pass and the
//! columns become an Arrow `RecordBatch`.

use std::sync::Arc;

use arrow::array::NullBufferBuilder;
use arrow::array::{
    ArrayBuilder, ArrayRef, BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, ListArray,
    MapBuilder, MapFieldNames, StringBuilder, StructArray,
};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, FieldRef, Fields, Schema};
use arrow::record_batch::RecordBatch;

use super::arrow_schema::{arrow_schema, data_type, struct_fields};
use crate::mapping::shape::{Shape, StructShape};
use crate::mapping::value::Val;
use crate::ocsf::Primitive;

enum Col {
    Bool(BooleanBuilder),
    I32(Int32Builder),
    I64(Int64Builder),
    F64(Float64Builder),
    Str(StringBuilder),
    Struct {
        fields: Fields,
        children: Vec<Col>,
        nulls: NullBufferBuilder,
        /// Null rows not yet given to the children: most nested objects of a wide class are
        /// absent, so their members are filled in bulk when needed.
        pending: usize,
    },
    List {
        field: FieldRef,
        offsets: Vec<i32>,
        nulls: NullBufferBuilder,
        child: Box<Col>,
    },
    Map(Box<MapBuilder<StringBuilder, StringBuilder>>, usize),
}

fn map_field_names() -> MapFieldNames {
    MapFieldNames {
        entry: "key_value".into(),
        key: "key".into(),
        value: "value".into(),
    }
}

fn map_builder() -> MapBuilder<StringBuilder, StringBuilder> {
    MapBuilder::new(
        Some(map_field_names()),
        StringBuilder::new(),
        StringBuilder::new(),
    )
}

/// Sizes of finished columns, in the order `Col::finish` visits them, for `Col::presize`.
type Sizes = Vec<usize>;

impl Col {
    fn new(shape: &Shape) -> Col {
        match shape {
            Shape::Scalar(sc) => match sc.prim {
                Primitive::Boolean => Col::Bool(BooleanBuilder::new()),
                Primitive::Integer => Col::I32(Int32Builder::new()),
                Primitive::Long | Primitive::Timestamp => Col::I64(Int64Builder::new()),
                Primitive::Float => Col::F64(Float64Builder::new()),
                _ => Col::Str(StringBuilder::new()),
            },
            Shape::Struct(st) => Col::Struct {
                fields: struct_fields(st),
                children: st.fields.iter().map(|f| Col::new(&f.shape)).collect(),
                nulls: NullBufferBuilder::new(0),
                pending: 0,
            },
            Shape::List(inner) => {
                let DataType::List(field) = data_type(shape) else {
                    unreachable!("list shape")
                };
                Col::List {
                    field,
                    offsets: vec![0],
                    nulls: NullBufferBuilder::new(0),
                    child: Box::new(Col::new(inner)),
                }
            }
            Shape::Map => Col::Map(Box::new(map_builder()), 0),
        }
    }

    fn append_null(&mut self) {
        self.append_nulls(1)
    }

    fn append_nulls(&mut self, n: usize) {
        match self {
            Col::Bool(b) => b.append_nulls(n),
            Col::I32(b) => b.append_nulls(n),
            Col::I64(b) => b.append_nulls(n),
            Col::F64(b) => b.append_nulls(n),
            Col::Str(b) => b.append_nulls(n),
            Col::Struct { nulls, pending, .. } => {
                nulls.append_n_nulls(n);
                *pending += n;
            }
            Col::List { offsets, nulls, .. } => {
                let last = *offsets.last().expect("offsets start at 0");
                offsets.extend(std::iter::repeat_n(last, n));
                nulls.append_n_nulls(n);
            }
            Col::Map(b, _) => {
                for _ in 0..n {
                    let _ = b.append(false);
                }
            }
        }
    }

    /// Give a struct's children the null rows they are owed.
    fn settle(children: &mut [Col], pending: &mut usize) {
        if *pending > 0 {
            for c in children.iter_mut() {
                c.append_nulls(*pending);
            }
            *pending = 0;
        }
    }

    fn append(&mut self, v: &Val) {
        if v.is_null() {
            return self.append_null();
        }
        match (self, v) {
            (Col::Bool(b), Val::Bool(x)) => b.append_value(*x),
            (Col::I32(b), Val::Int(x)) => b.append_value(*x as i32),
            (Col::I64(b), Val::Int(x)) => b.append_value(*x),
            (Col::F64(b), Val::Float(x)) => b.append_value(*x),
            (Col::F64(b), Val::Int(x)) => b.append_value(*x as f64),
            (Col::Str(b), Val::Str(s)) => b.append_value(s),
            (
                Col::Struct {
                    children,
                    nulls,
                    pending,
                    ..
                },
                Val::Struct(members),
            ) => {
                Col::settle(children, pending);
                nulls.append_non_null();
                for (c, m) in children.iter_mut().zip(members.iter()) {
                    c.append(m);
                }
            }
            (
                Col::List {
                    offsets,
                    nulls,
                    child,
                    ..
                },
                Val::List(items),
            ) => {
                for it in items.iter() {
                    child.append(it);
                }
                let last = *offsets.last().expect("offsets start at 0");
                offsets.push(last + items.len() as i32);
                nulls.append_non_null();
            }
            (Col::Map(b, bytes), Val::Map(entries)) => {
                for (k, val) in entries.iter() {
                    *bytes += k.len() + val.len() + 8;
                    b.keys().append_value(k);
                    b.values().append_value(val);
                }
                let _ = b.append(true);
            }
            (col, _) => col.append_null(),
        }
    }

    /// The column as an array; the builders start empty again. Their lengths go to `sizes`.
    fn finish(&mut self, sizes: &mut Sizes) -> ArrayRef {
        match self {
            Col::Bool(b) => finish_leaf(b, sizes),
            Col::I32(b) => finish_leaf(b, sizes),
            Col::I64(b) => finish_leaf(b, sizes),
            Col::F64(b) => finish_leaf(b, sizes),
            Col::Str(b) => {
                sizes.extend([b.len(), b.values_slice().len()]);
                Arc::new(b.finish())
            }
            Col::Struct {
                fields,
                children,
                nulls,
                pending,
            } => {
                Col::settle(children, pending);
                sizes.push(nulls.len());
                let arrays: Vec<ArrayRef> = children.iter_mut().map(|c| c.finish(sizes)).collect();
                Arc::new(StructArray::new(fields.clone(), arrays, nulls.finish()))
            }
            Col::List {
                field,
                offsets,
                nulls,
                child,
            } => {
                sizes.push(offsets.len());
                let offs = OffsetBuffer::new(std::mem::replace(offsets, vec![0]).into());
                Arc::new(ListArray::new(
                    field.clone(),
                    offs,
                    child.finish(sizes),
                    nulls.finish(),
                ))
            }
            Col::Map(b, bytes) => {
                *bytes = 0;
                sizes.extend([
                    b.len(),
                    b.keys().len(),
                    b.keys().values_slice().len(),
                    b.values().values_slice().len(),
                ]);
                Arc::new(b.finish())
            }
        }
    }

    /// Give the (empty) builders room for as much as `finish` last took, so that the next part
    /// fills them without growing them step by step.
    fn presize(&mut self, sizes: &mut impl Iterator<Item = usize>) {
        let mut next = || sizes.next().unwrap_or(0);
        match self {
            Col::Bool(b) => *b = BooleanBuilder::with_capacity(next()),
            Col::I32(b) => *b = Int32Builder::with_capacity(next()),
            Col::I64(b) => *b = Int64Builder::with_capacity(next()),
            Col::F64(b) => *b = Float64Builder::with_capacity(next()),
            Col::Str(b) => {
                let items = next();
                *b = StringBuilder::with_capacity(items, next());
            }
            Col::Struct {
                children, nulls, ..
            } => {
                *nulls = NullBufferBuilder::new(next());
                children.iter_mut().for_each(|c| c.presize(sizes));
            }
            Col::List { offsets, child, .. } => {
                offsets.reserve(next());
                child.presize(sizes);
            }
            Col::Map(b, _) => {
                let (rows, entries, keys, values) = (next(), next(), next(), next());
                **b = MapBuilder::with_capacity(
                    Some(map_field_names()),
                    StringBuilder::with_capacity(entries, keys),
                    StringBuilder::with_capacity(entries, values),
                    rows,
                );
            }
        }
    }

    /// Bytes one null row takes in this column (offsets, values slots).
    fn null_row_bytes(&self) -> usize {
        match self {
            Col::Bool(_) => 1,
            Col::I32(_) | Col::Str(_) | Col::List { .. } => 4,
            Col::I64(_) | Col::F64(_) | Col::Map(..) => 8,
            Col::Struct { children, .. } => {
                1 + children.iter().map(Col::null_row_bytes).sum::<usize>()
            }
        }
    }

    fn memory(&self) -> usize {
        match self {
            // Lengths, not capacities: builders are given room ahead (see `presize`).
            Col::Bool(b) => b.len() / 8,
            Col::I32(b) => b.len() * 4,
            Col::I64(b) => b.len() * 8,
            Col::F64(b) => b.len() * 8,
            Col::Str(b) => b.values_slice().len() + b.offsets_slice().len() * 4,
            // Pending null rows count as if they were already given to the children.
            Col::Struct {
                children, pending, ..
            } => children
                .iter()
                .map(|c| c.memory() + pending * c.null_row_bytes())
                .sum(),
            Col::List { offsets, child, .. } => offsets.len() * 4 + child.memory(),
            Col::Map(_, bytes) => *bytes,
        }
    }
}

/// A primitive column as an array, its length going to `sizes`.
fn finish_leaf(b: &mut dyn ArrayBuilder, sizes: &mut Sizes) -> ArrayRef {
    sizes.push(b.len());
    b.finish()
}

/// Accumulates records of one (source, class) into columns.
pub struct RecordColumns {
    schema: Arc<Schema>,
    cols: Vec<Col>,
    rows: usize,
    /// What the last `finish` took, for `presize`.
    sizes: Sizes,
}

impl RecordColumns {
    pub fn new(shape: &StructShape) -> RecordColumns {
        RecordColumns {
            schema: arrow_schema(shape),
            cols: shape.fields.iter().map(|f| Col::new(&f.shape)).collect(),
            rows: 0,
            sizes: Sizes::new(),
        }
    }

    pub fn append(&mut self, root: &[Val]) {
        for (c, v) in self.cols.iter_mut().zip(root) {
            c.append(v);
        }
        self.rows += 1;
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Approximate bytes held.
    pub fn memory(&self) -> usize {
        self.cols.iter().map(Col::memory).sum()
    }

    /// The accumulated rows as a batch; the accumulators start empty again.
    pub fn finish(&mut self) -> RecordBatch {
        self.sizes.clear();
        let arrays: Vec<ArrayRef> = self
            .cols
            .iter_mut()
            .map(|c| c.finish(&mut self.sizes))
            .collect();
        self.rows = 0;
        RecordBatch::try_new(self.schema.clone(), arrays)
            .expect("columns are built from the schema they are checked against")
    }

    /// Give the empty accumulators room for as many rows and bytes as the last `finish` took.
    /// Call it once that batch is freed, so its memory serves the next part.
    pub fn presize(&mut self) {
        let sizes = std::mem::take(&mut self.sizes);
        let mut it = sizes.iter().copied();
        for c in &mut self.cols {
            c.presize(&mut it);
        }
        self.sizes = sizes;
    }

    /// What the last `finish` took, in the order `presize` reads it.
    pub fn last_sizes(&self) -> &[usize] {
        &self.sizes
    }

    /// Give the empty accumulators room for `sizes`: what a `finish` of the same shape took
    /// (in another batch). Only capacities follow from it, never contents.
    pub fn presize_for(&mut self, sizes: &[usize]) {
        self.sizes.clear();
        self.sizes.extend_from_slice(sizes);
        self.presize();
    }

    pub fn schema(&self) -> Arc<Schema> {
        self.schema.clone()
    }
}
