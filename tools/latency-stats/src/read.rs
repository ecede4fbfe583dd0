//! Reading probe records fast: the input is cut into line-aligned chunks,
//! and each chunk's lines are parsed into per-group accumulators. With one
//! job the reading thread parses each chunk itself (a second thread on one
//! core only adds switches); with more, workers take chunks from a bounded
//! queue and hand their emptied buffers back, so the same few buffers go
//! round instead of a fresh one, page-faulted in, for every chunk.

use std::collections::BTreeMap;
use std::io::Read;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, mpsc};

use navikit::Error;
use navikit::ndjson::{Input, at};

use crate::cli::Options;
use crate::parse::{Parsed, parse_line};
use crate::{Groups, KEY_SEP};

/// CHUNK is how much is read at once: small enough that a chunk just read
/// is still in the core's cache when it is parsed, large enough that the
/// per-chunk hand-over is rare.
const CHUNK: usize = 256 * 1024;

/// Chunk is a line-aligned piece of one input.
struct Chunk {
    input: usize,
    first_line: u64,
    bytes: Vec<u8>,
}

/// Skipped counts records of other kinds, by kind.
type Skipped = BTreeMap<&'static str, u64>;

/// LineError is the first bad line seen: input index, line number, why.
type LineError = (usize, u64, String);

/// read_probes reads every input's probe records into groups, and counts
/// the records of other kinds; the first bad line (in input order) is the error.
pub fn read_probes(inputs: Vec<Input>, opts: &Options) -> Result<(Groups, Skipped), Error> {
    let names: Vec<String> = inputs.iter().map(|i| i.name.clone()).collect();
    let parsers = if opts.jobs <= 1 { vec![read_inline(inputs, opts)?] } else { read_parallel(inputs, opts)? };
    let mut groups = Groups::new();
    let mut skipped = Skipped::new();
    let mut first_error: Option<LineError> = None;
    for p in parsers {
        for (k, acc) in p.groups {
            groups.entry(k).or_default().merge(acc);
        }
        for (k, n) in p.skipped {
            *skipped.entry(k).or_insert(0) += n;
        }
        if let Some(e) = p.error
            && first_error.as_ref().is_none_or(|f| (e.0, e.1) < (f.0, f.1))
        {
            first_error = Some(e);
        }
    }
    if let Some((input, line, why)) = first_error {
        return Err(at(&names[input], line, why));
    }
    Ok((groups, skipped))
}

/// read_inline parses each chunk on the reading thread, reusing one buffer.
fn read_inline(inputs: Vec<Input>, opts: &Options) -> Result<ChunkParser<'_>, Error> {
    let mut parser = ChunkParser::new(opts);
    split_chunks(inputs, |chunk| {
        if parser.parse(&chunk) { ControlFlow::Continue(Some(chunk.bytes)) } else { ControlFlow::Break(()) }
    })?;
    Ok(parser)
}

/// read_parallel hands chunks to `opts.jobs` workers through a bounded queue.
fn read_parallel(inputs: Vec<Input>, opts: &Options) -> Result<Vec<ChunkParser<'_>>, Error> {
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::sync_channel::<Chunk>(opts.jobs * 2);
    let (spare_tx, spare_rx) = mpsc::channel::<Vec<u8>>();
    let rx = Mutex::new(rx);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..opts.jobs)
            .map(|_| {
                let (rx, stop, spare_tx) = (&rx, &stop, spare_tx.clone());
                scope.spawn(move || {
                    let mut parser = ChunkParser::new(opts);
                    let mut failed = false;
                    while let Some(chunk) = rx.lock().ok().and_then(|r| r.recv().ok()) {
                        // After a bad line the queue is still drained (chunks
                        // unread): the reader may be waiting to hand one over,
                        // and would wait for ever if every worker had left.
                        if !failed && !parser.parse(&chunk) {
                            stop.store(true, Ordering::Relaxed);
                            failed = true;
                        }
                        // The reader may be gone; the buffer is then dropped.
                        let _ = spare_tx.send(chunk.bytes);
                    }
                    parser
                })
            })
            .collect();
        let read_result = split_chunks(inputs, |chunk| {
            if stop.load(Ordering::Relaxed) || tx.send(chunk).is_err() {
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(spare_rx.try_recv().ok())
        });
        drop(tx);
        let parsers = workers
            .into_iter()
            .map(|w| w.join().map_err(|_| Error::input("a parsing thread panicked")))
            .collect::<Result<Vec<_>, _>>()?;
        read_result?;
        Ok(parsers)
    })
}

/// split_chunks cuts the inputs into line-aligned chunks and gives each to
/// `deliver`, which answers with an emptied buffer to fill next (or none),
/// or breaks to stop reading.
fn split_chunks(
    inputs: Vec<Input>,
    mut deliver: impl FnMut(Chunk) -> ControlFlow<(), Option<Vec<u8>>>,
) -> Result<(), Error> {
    let mut spare: Option<Vec<u8>> = None;
    for (idx, input) in inputs.into_iter().enumerate() {
        let name = input.name.clone();
        let mut reader = input.into_reader();
        let mut carry: Vec<u8> = Vec::new();
        let mut line = 1u64;
        loop {
            // A long unfinished line is carried over as it is, never copied
            // chunk after chunk.
            let mut buf = match spare.take() {
                Some(mut b) if carry.len() <= CHUNK / 4 => {
                    b.clear();
                    b.extend_from_slice(&carry);
                    b
                }
                _ => std::mem::take(&mut carry),
            };
            buf.reserve(CHUNK);
            let start = buf.len();
            // read_to_end fills spare capacity without zeroing it first.
            loop {
                match (&mut reader).take(CHUNK as u64).read_to_end(&mut buf) {
                    Ok(_) => break,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(Error::input(format!("{name}: read error: {e}"))),
                }
            }
            let eof = buf.len() == start;
            if eof && buf.is_empty() {
                break;
            }
            carry.clear();
            if !eof {
                // Only the bytes just read: the carried part has no newline,
                // and scanning it again would make a long line quadratic.
                match memchr::memrchr(b'\n', &buf[start..]).map(|i| start + i) {
                    Some(cut) => {
                        carry.extend_from_slice(&buf[cut + 1..]);
                        buf.truncate(cut + 1);
                    }
                    None => {
                        // No newline yet in this chunk: keep reading until one arrives.
                        carry = buf;
                        continue;
                    }
                }
            }
            let lines = memchr::memchr_iter(b'\n', &buf).count() as u64 + u64::from(buf.last() != Some(&b'\n'));
            let chunk = Chunk { input: idx, first_line: line, bytes: buf };
            line += lines;
            match deliver(chunk) {
                ControlFlow::Continue(emptied) => spare = emptied,
                ControlFlow::Break(()) => return Ok(()),
            }
            if eof {
                break;
            }
        }
    }
    Ok(())
}

/// ChunkParser parses chunks into its own groups; parsers are merged at the end.
struct ChunkParser<'o> {
    opts: &'o Options,
    groups: Groups,
    skipped: Skipped,
    error: Option<LineError>,
    itl: Vec<f64>,
    key: String,
}

impl<'o> ChunkParser<'o> {
    fn new(opts: &'o Options) -> Self {
        ChunkParser {
            opts,
            groups: Groups::new(),
            skipped: Skipped::new(),
            error: None,
            itl: Vec::with_capacity(256),
            key: String::new(),
        }
    }

    /// ChunkParser::parse reads every line of a chunk; false once a line is
    /// bad (it is kept as the error, and reading should stop).
    fn parse(&mut self, chunk: &Chunk) -> bool {
        let by = &self.opts.by;
        let mut from = 0;
        let ends = memchr::memchr_iter(b'\n', &chunk.bytes).chain(std::iter::once(chunk.bytes.len()));
        for (this, end) in (chunk.first_line..).zip(ends) {
            let line = &chunk.bytes[from..end];
            from = (end + 1).min(chunk.bytes.len());
            let line = navikit::ndjson::trim_line(line);
            if line.is_empty() {
                continue;
            }
            match parse_line(line, by, &mut self.itl) {
                Ok(Parsed::Probe(view, values)) => {
                    self.key.clear();
                    for (j, v) in values.iter().take(by.len()).enumerate() {
                        if j > 0 {
                            self.key.push(KEY_SEP);
                        }
                        self.key.push_str(v.as_deref().unwrap_or(""));
                    }
                    let acc = match self.groups.get_mut(self.key.as_str()) {
                        Some(acc) => acc,
                        None => self.groups.entry(self.key.clone()).or_default(),
                    };
                    acc.add(&view, self.opts.include_warmup);
                }
                Ok(Parsed::Other(kind)) => *self.skipped.entry(kind).or_insert(0) += 1,
                Err(why) => {
                    if self.error.as_ref().is_none_or(|e| (chunk.input, this) < (e.0, e.1)) {
                        self.error = Some((chunk.input, this, why));
                    }
                    return false;
                }
            }
        }
        true
    }
}
