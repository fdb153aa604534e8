//! ocsf-transform: map security logs to typed OCSF 1.1.0 and write Parquet in the Amazon
//! Security Lake layout, from a command line or as an AWS Lambda function.

pub mod allocator;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod custom_source;
pub mod engine;
pub mod event;
pub mod glob;
pub mod input;
pub mod lambda;
pub mod mapping;
pub mod ocsf;
pub mod output;
