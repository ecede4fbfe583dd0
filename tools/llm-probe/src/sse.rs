//! A server-sent-events decoder written from the WHATWG spec, independent
//! of llm-sim's encoder: `event:` and `data:` fields (one optional space
//! after the colon), several `data:` lines joined by `\n`, comments (`:`)
//! ignored, an event dispatched at each blank line.

use std::io::BufRead;

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
}

impl<R: BufRead> Decoder<R> {
    /// Decoder::new wraps a reader.
    pub fn new(reader: R) -> Self {
        Decoder { reader, line: String::new() }
    }

    /// Decoder::next_event returns the next event, `Ok(None)` at a clean end of input.
    pub fn next_event(&mut self) -> std::io::Result<Option<Event>> {
        let mut ev = Event::default();
        let mut has_data = false;
        loop {
            self.line.clear();
            let n = self.reader.read_line(&mut self.line)?;
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
}
