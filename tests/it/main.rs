//! Integration tests: one binary, a module per area.

mod bad_input;
mod captions;
mod checker;
mod cli;
mod constraints;
mod deployment;
mod documents;
mod end_to_end;
mod lambda;
mod mutations;
mod reference;
mod s3;
mod samples;
mod snapshots;
mod support;
mod templates;
mod text_formats;
