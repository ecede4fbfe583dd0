//! Newline-delimited JSON: streaming input with `FILE:LINE` errors, and
//! output that is flushed record by record.
//!
//! Input is read line by line into one reused buffer, so memory does not grow
//! with the input. Blank lines carry no record and are passed over; any other
//! line that is not a JSON object of a known kind stops the reader with an
//! error naming the file and line.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;

use serde::Serialize;

use crate::exit::Error;
use crate::record::Record;

/// STDIN_NAME is how standard input is named in error messages.
pub const STDIN_NAME: &str = "<stdin>";

/// Input is one named source of lines: a file, or standard input for `-`.
pub struct Input {
    /// Name used in error messages (`<stdin>` for `-`).
    pub name: String,
    reader: Box<dyn BufRead + Send>,
}

impl Input {
    /// Input::open opens a path, `-` meaning standard input.
    pub fn open(path: &str) -> Result<Input, Error> {
        if path == "-" {
            return Ok(Input::from_reader(STDIN_NAME, io::stdin()));
        }
        let file = File::open(Path::new(path)).map_err(|e| Error::input(format!("cannot open {path}: {e}")))?;
        Ok(Input { name: path.to_string(), reader: Box::new(BufReader::with_capacity(1 << 16, file)) })
    }

    /// Input::from_reader wraps any reader under a display name.
    pub fn from_reader(name: &str, reader: impl Read + Send + 'static) -> Input {
        Input { name: name.to_string(), reader: Box::new(BufReader::with_capacity(1 << 16, reader)) }
    }

    /// Input::open_all opens every path, or standard input when there are none.
    pub fn open_all(paths: &[String]) -> Result<Vec<Input>, Error> {
        if paths.is_empty() {
            return Ok(vec![Input::from_reader(STDIN_NAME, io::stdin())]);
        }
        paths.iter().map(|p| Input::open(p)).collect()
    }

    /// Input::into_reader gives up the name and returns the buffered reader.
    pub fn into_reader(self) -> Box<dyn BufRead + Send> {
        self.reader
    }

    /// Input::for_each_line calls `f(line, line_number)` for every non-blank
    /// line (without its newline), reusing one buffer. Stops at the first error.
    pub fn for_each_line(mut self, mut f: impl FnMut(&[u8], u64) -> Result<(), Error>) -> Result<(), Error> {
        let mut buf = Vec::with_capacity(1024);
        let mut line_no = 0u64;
        loop {
            buf.clear();
            let n = self
                .reader
                .read_until(b'\n', &mut buf)
                .map_err(|e| Error::input(format!("{}: read error: {e}", self.name)))?;
            if n == 0 {
                return Ok(());
            }
            line_no += 1;
            let line = trim_line(&buf);
            if line.is_empty() {
                continue;
            }
            f(line, line_no)?;
        }
    }

    /// Input::records reads every record, calling `f` with each one and its
    /// line number; a malformed line is an error naming `FILE:LINE`.
    pub fn records(self, mut f: impl FnMut(Record, u64) -> Result<(), Error>) -> Result<(), Error> {
        let name = self.name.clone();
        self.for_each_line(|line, no| {
            let rec = parse_record(line).map_err(|why| at(&name, no, why))?;
            f(rec, no)
        })
    }
}

/// at formats an input error as `FILE:LINE: why`.
pub fn at(name: &str, line: u64, why: impl std::fmt::Display) -> Error {
    Error::input(format!("{name}:{line}: {why}"))
}

/// trim_line strips the line ending and surrounding ASCII whitespace.
pub fn trim_line(buf: &[u8]) -> &[u8] {
    buf.trim_ascii()
}

/// check_object says why a line cannot be a record when it is not a JSON object.
pub fn check_object(line: &[u8]) -> Result<(), String> {
    match line.first() {
        Some(b'{') => Ok(()),
        Some(_) => {
            if serde_json::from_slice::<serde_json::Value>(line).is_ok() {
                Err("not a JSON object (a record is one object per line)".to_string())
            } else {
                Err(format!("not JSON: {}", first_json_error(line)))
            }
        }
        None => Err("empty line".to_string()),
    }
}

fn first_json_error(line: &[u8]) -> String {
    match serde_json::from_slice::<serde::de::IgnoredAny>(line) {
        Err(e) => e.to_string(),
        Ok(_) => "unexpected content".to_string(),
    }
}

/// parse_record parses one line into a record, saying why it is not one.
pub fn parse_record(line: &[u8]) -> Result<Record, String> {
    check_object(line)?;
    serde_json::from_slice::<Record>(line)
        .map_err(|e| if e.is_syntax() || e.is_eof() { format!("not JSON: {e}") } else { format!("bad record: {e}") })
}

/// RecordWriter writes one JSON object per line and flushes after each, so a
/// downstream tool sees it at once and an interrupted run loses nothing.
pub struct RecordWriter<W: Write> {
    out: W,
    buf: Vec<u8>,
}

impl RecordWriter<io::Stdout> {
    /// RecordWriter::stdout writes to standard output.
    pub fn stdout() -> Self {
        RecordWriter::new(io::stdout())
    }
}

impl<W: Write> RecordWriter<W> {
    /// RecordWriter::new wraps a writer.
    pub fn new(out: W) -> Self {
        RecordWriter { out, buf: Vec::with_capacity(512) }
    }

    /// RecordWriter::write serialises one value as a line and flushes it.
    /// A closed pipe comes back as an error that maps to exit 0.
    pub fn write<T: Serialize + ?Sized>(&mut self, value: &T) -> io::Result<()> {
        self.buf.clear();
        serde_json::to_writer(&mut self.buf, value)?;
        self.buf.push(b'\n');
        self.out.write_all(&self.buf)?;
        self.out.flush()
    }

    /// RecordWriter::into_inner returns the wrapped writer.
    pub fn into_inner(self) -> W {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::*;
    use chrono::{TimeZone, Utc};

    fn sample_records() -> Vec<Record> {
        let ts = Utc.with_ymd_and_hms(2026, 2, 7, 10, 0, 0).single().unwrap_or_default();
        let probe = Probe {
            ts,
            run_id: "r1".into(),
            provider: "anthropic".into(),
            target: "http://127.0.0.1:8787".into(),
            model: "claude-sonnet-4".into(),
            scenario: "hello-world".into(),
            seq: 3,
            ok: false,
            status: Some(429),
            latency_ms: 1234.5,
            service_ms: Some(1200.0),
            ttft_ms: Some(300.25),
            ttft_any_ms: Some(120.0),
            itl_ms: vec![10.0, 12.5],
            tpot_ms: Some(11.0),
            output_tokens_per_s: Some(42.0),
            input_tokens: Some(10),
            output_tokens: Some(3),
            cache_creation_input_tokens: Some(0),
            cache_read_input_tokens: Some(5),
            tokens_estimated: true,
            cost_usd: Some(0.0012),
            attempts: vec![Attempt { status: Some(429), wait_ms: 0.0, error: Some("rate_limited".into()) }],
            request_id: Some("req_1".into()),
            conversation_id: Some("c1".into()),
            turn: Some(1),
            error: Some(ProbeError { class: "rate_limited".into(), message: "429".into() }),
            ..Probe::default()
        };
        let check =
            Check::new("pg-check", "pg.alembic.head", "postgresql://u:***@h/db", CheckStatus::Fail, "wrong head")
                .observed("0030")
                .expected("0031_metrics_learning");
        let mut stats = Stats { ts, requests: 2, ok: 1, failed: 1, success_pct: 50.0, ..Stats::default() };
        stats.group.insert("scenario".into(), "x".into());
        stats.latency_ms = Some(Distribution { count: 1, p50: 1.0, ..Distribution::default() });
        vec![Record::Probe(Box::new(probe)), Record::Check(check), Record::Stats(Box::new(stats))]
    }

    #[test]
    fn every_record_kind_round_trips_through_writer_and_reader() {
        let records = sample_records();
        let mut w = RecordWriter::new(Vec::new());
        for r in &records {
            w.write(r).unwrap();
        }
        let bytes = w.into_inner();
        assert_eq!(bytes.iter().filter(|&&b| b == b'\n').count(), 3);
        let mut back = Vec::new();
        Input::from_reader("mem", std::io::Cursor::new(bytes))
            .records(|r, _| {
                back.push(r);
                Ok(())
            })
            .unwrap();
        assert_eq!(back, records);
    }

    #[test]
    fn bad_lines_name_file_and_line() {
        let text = "{\"kind\":\"check\",\"ts\":\"2026-02-07T10:00:00Z\",\"tool\":\"t\",\"check\":\"c\",\"status\":\"pass\"}\n\n[1,2]\n";
        let err = Input::from_reader("in.ndjson", std::io::Cursor::new(text.as_bytes().to_vec()))
            .records(|_, _| Ok(()))
            .unwrap_err();
        assert_eq!(err.to_string(), "in.ndjson:3: not a JSON object (a record is one object per line)");
        assert_eq!(err.code(), 2);
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let line = br#"{"kind":"check","ts":"2026-02-07T10:00:00Z","tool":"t","check":"c","status":"warn","future":1}"#;
        match parse_record(line).unwrap() {
            Record::Check(c) => assert_eq!(c.status, CheckStatus::Warn),
            other => panic!("wrong kind {}", other.kind()),
        }
    }

    #[test]
    fn missing_field_and_wrong_type_are_reported() {
        let e =
            parse_record(br#"{"kind":"check","ts":"2026-02-07T10:00:00Z","tool":"t","status":"pass"}"#).unwrap_err();
        assert!(e.contains("missing field `check`"), "{e}");
        let e = parse_record(br#"{"kind":"probe","ts":"2026-02-07T10:00:00Z","provider":"p","model":"m","scenario":"s","ok":"yes","latency_ms":1}"#).unwrap_err();
        assert!(e.contains("invalid type"), "{e}");
        let e = parse_record(b"{\"kind\":").unwrap_err();
        assert!(e.starts_with("not JSON"), "{e}");
    }
}
