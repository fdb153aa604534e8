//! Integration tests: one binary, a module per area.

mod bad_input;
mod cli;
mod reference;
mod samples;
mod snapshots;
mod support;
