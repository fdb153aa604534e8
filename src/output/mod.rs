//! Output: Arrow schema per (source, class), column building, Parquet encoding, lake keys,
//! and dead letters.

pub mod arrow_schema;
pub mod columns;
pub mod dead_letter;
pub mod lake;
pub mod parquet_file;

pub use arrow_schema::arrow_schema;
pub use columns::RecordColumns;
