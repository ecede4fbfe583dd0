//! A server-sent-events decoder written from the WHATWG spec, independent
//! of llm-sim's encoder: `event:` and `data:` fields (one optional space
//! after the colon), several `data:` lines joined by `\n`, comments (`:`)
//! ignored, an event dispatched at each blank line.
//!
//! Bounded: a line longer than [`MAX_LINE`], an event larger than
//! [`MAX_EVENT`] or a stream larger than [`MAX_STREAM`] (after any
//! decompression) is an `InvalidData` error saying so, never an allocation
//! the server chose; so is text that is not UTF-8.

use std::io::{BufRead, Read};

/// MAX_LINE bounds one line of the stream (1 MiB).
pub const MAX_LINE: u64 = 1 << 20;
/// MAX_EVENT bounds one event's joined data (4 MiB).
pub const MAX_EVENT: usize = 4 << 20;
/// MAX_STREAM bounds a whole stream (64 MiB).
pub const MAX_STREAM: u64 = 64 << 20;
/// TOO_LARGE starts the message of a size-limit error.
pub const TOO_LARGE: &str = "stream too large";

fn too_large(what: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{TOO_LARGE}: {what}"))
}

/// Event is one dispatched server-sent event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Event {
    /// The `event:` field, if any.
    pub event: Option<String>,
    /// The joined `data:` lines.
    pub data: String,
}

/// Decoder reads events from a buffered reader.
pub struct Decoder<R> {
    reader: R,
    line: String,
    read: u64,
}

impl<R: BufRead> Decoder<R> {
    /// Decoder::new wraps a reader.
    pub fn new(reader: R) -> Self {
        Decoder { reader, line: String::new(), read: 0 }
    }

    /// Decoder::next_event returns the next event, `Ok(None)` at a clean end of input.
    pub fn next_event(&mut self) -> std::io::Result<Option<Event>> {
        let mut ev = Event::default();
        let mut has_data = false;
        loop {
            self.line.clear();
            let n = (&mut self.reader).take(MAX_LINE + 1).read_line(&mut self.line)?;
            self.read += n as u64;
            if n as u64 > MAX_LINE {
                return Err(too_large(format!("a line longer than {MAX_LINE} bytes")));
            }
            if self.read > MAX_STREAM {
                return Err(too_large(format!("more than {MAX_STREAM} bytes")));
            }
            if n == 0 {
                // End of input: a pending event without its blank line is not dispatched (per spec).
                return Ok(None);
            }
            let line = self.line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if has_data {
                    return Ok(Some(ev));
                }
                ev = Event::default();
                continue;
            }
            if line.starts_with(':') {
                continue;
            }
            let (field, value) = match line.split_once(':') {
                Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
                None => (line, ""),
            };
            match field {
                "event" => ev.event = Some(value.to_string()),
                "data" => {
                    if ev.data.len() + value.len() >= MAX_EVENT {
                        return Err(too_large(format!("an event larger than {MAX_EVENT} bytes")));
                    }
                    if has_data {
                        ev.data.push('\n');
                    }
                    ev.data.push_str(value);
                    has_data = true;
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Vec<Event> {
        let mut d = Decoder::new(std::io::Cursor::new(text.as_bytes().to_vec()));
        let mut out = Vec::new();
        while let Some(e) = d.next_event().unwrap() {
            out.push(e);
        }
        out
    }

    #[test]
    fn decodes_events_data_lines_and_comments() {
        let evs = all(
            ": keep-alive\n\nevent: ping\ndata: {\"type\":\"ping\"}\n\ndata:a\ndata: b\r\n\r\ndata: [DONE]\n\nevent: lost\ndata: x",
        );
        assert_eq!(evs.len(), 3);
        assert_eq!(evs[0], Event { event: Some("ping".into()), data: "{\"type\":\"ping\"}".into() });
        assert_eq!(evs[1].data, "a\nb");
        assert_eq!(evs[2].data, "[DONE]");
    }

    #[test]
    fn an_endless_line_is_an_error_not_an_allocation() {
        let endless = std::io::repeat(b'a').take(MAX_LINE * 3);
        let mut d = Decoder::new(std::io::BufReader::new(endless));
        let e = d.next_event().expect_err("too large");
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        assert!(e.to_string().starts_with(TOO_LARGE), "{e}");
        let mut bad = Decoder::new(std::io::Cursor::new(b"data: \xff\xfe\n\n".to_vec()));
        assert_eq!(bad.next_event().expect_err("not utf-8").kind(), std::io::ErrorKind::InvalidData);
    }
}
