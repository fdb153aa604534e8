//! Configuration as users write it: the sources config and the mapping files (serde only).
//! Validation and compilation into the runtime form live in `crate::mapping`.

pub mod mapping_file;
pub mod sources;

pub use mapping_file::{EventMapping, MappingFile, SourceEvents, TimestampSpec};
pub use sources::{
    ClassOutput, FormatConfig, InputConfig, PartitionValue, SourceConfig, SourcesConfig,
};
