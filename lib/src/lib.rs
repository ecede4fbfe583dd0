//! `navikit`: what two or more navi-launch tools share, and nothing else.
//!
//! - [`record`]: the NDJSON record contract (`probe`, `check`, `stats`).
//! - [`ndjson`]: a streaming reader that names `FILE:LINE` on bad input, and
//!   a writer that flushes every record and treats a closed stdout as success.
//! - [`checks`]: the check runner: registry, selection flags, verdict policy.
//! - [`exit`]: the exit-code type and the one place errors become codes.
//! - [`threshold`]: k6-style threshold expressions (`p95<5s`).
//! - [`redact`]: keeps secrets out of every output.
//! - [`error_class`]: why a request failed, one word per class.
//! - [`pattern`]: normalises messages into patterns ("timeout after #ms").

pub mod checks;
pub mod cli;
pub mod dburl;
pub mod duration;
pub mod error_class;
pub mod exit;
pub mod files;
pub mod histogram;
pub mod http;
pub mod ndjson;
pub mod observed;
pub mod pattern;
pub mod prom;
pub mod provenance;
pub mod record;
pub mod redact;
pub mod rng;
pub mod sample;
pub mod schema;
pub mod threshold;

pub use error_class::ErrorClass;
pub use exit::{Error, Outcome};
pub use record::{Check, CheckStatus, Probe, Record, Stats};
