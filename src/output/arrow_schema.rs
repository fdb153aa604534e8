//! The Arrow (and so Parquet) schema of a class shape: structs for objects, standard lists,
//! `map<string,string>` for `unmapped`, epoch-millisecond longs for timestamps.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Fields, Schema};

use crate::mapping::shape::{Shape, StructShape};
use crate::ocsf::Primitive;

pub fn map_type() -> DataType {
    let entries = Field::new(
        "key_value",
        DataType::Struct(Fields::from(vec![
            Field::new("key", DataType::Utf8, false),
            Field::new("value", DataType::Utf8, true),
        ])),
        false,
    );
    DataType::Map(Arc::new(entries), false)
}

pub fn data_type(shape: &Shape) -> DataType {
    match shape {
        Shape::Scalar(sc) => match sc.prim {
            Primitive::Boolean => DataType::Boolean,
            Primitive::Integer => DataType::Int32,
            Primitive::Long | Primitive::Timestamp => DataType::Int64,
            Primitive::Float => DataType::Float64,
            Primitive::String | Primitive::Json | Primitive::Object => DataType::Utf8,
        },
        Shape::Struct(st) => DataType::Struct(struct_fields(st)),
        Shape::List(inner) => {
            DataType::List(Arc::new(Field::new("element", data_type(inner), true)))
        }
        Shape::Map => map_type(),
    }
}

pub fn struct_fields(st: &StructShape) -> Fields {
    st.fields
        .iter()
        .map(|f| Field::new(&f.name, data_type(&f.shape), true))
        .collect()
}

pub fn arrow_schema(st: &StructShape) -> Arc<Schema> {
    Arc::new(Schema::new(struct_fields(st)))
}
