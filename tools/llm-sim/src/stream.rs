//! Sends a timeline of byte pieces with their delays as a response body, and
//! applies the body faults at the timeline's midpoint: `cut` aborts the
//! connection (the client sees a body that ends without its terminator),
//! `stall` stops sending but keeps the connection open until the client
//! leaves, `malformed` sends a broken piece and ends.

use std::io;
use std::time::Duration;

use axum::body::{Body, Bytes};

use crate::faults::Fault;

/// Piece is one write: wait `delay`, then send `bytes`.
pub type Piece = (Duration, Bytes);

/// body_from sends the pieces in order, honouring delays and the fault.
pub fn body_from(pieces: Vec<Piece>, fault: Option<Fault>, malformed: Bytes) -> Body {
    let body_fault = fault.filter(|f| f.strikes_body());
    let no_delays = pieces.iter().all(|(d, _)| d.is_zero());
    if body_fault.is_none() && no_delays {
        // The fast path: nothing to wait for, one buffer (a JSON answer is
        // one piece already, and is sent as it is).
        if let [(_, only)] = pieces.as_slice() {
            return Body::from(only.clone());
        }
        let mut all = Vec::with_capacity(pieces.iter().map(|(_, b)| b.len()).sum());
        for (_, b) in &pieces {
            all.extend_from_slice(b);
        }
        return Body::from(all);
    }
    let fault_at = body_fault.map(|f| (pieces.len() / 2, f));
    let timeline = Timeline::pack(pieces);
    // The body is polled for each piece when the client's connection can
    // take it; a client that leaves drops the body, and with it any wait.
    let state = (timeline, fault_at, Some(malformed));
    let stream = futures_util::stream::unfold(state, |(mut timeline, fault_at, malformed)| async move {
        if let Some((at, fault)) = fault_at
            && timeline.next_index() == at
        {
            return match fault {
                Fault::Cut => {
                    // Let the response head go out first: a cut is a body
                    // that ends mid-way, after a 200, not a refused request.
                    tokio::task::yield_now().await;
                    Some((Err(io::Error::other("llm-sim: injected cut")), (timeline.ended(), None, None)))
                }
                Fault::Malformed => malformed.map(|m| (Ok(m), (timeline.ended(), None, None))),
                // Stall: send nothing more and keep the connection open until the client leaves.
                _ => std::future::pending().await,
            };
        }
        let (delay, bytes) = timeline.next_piece()?;
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        Some((Ok(bytes), (timeline, fault_at, malformed)))
    });
    Body::from_stream(stream)
}

/// json_pieces is a JSON answer as pieces: all of it after `delay`, or, when
/// the fault strikes the body, its two halves (shared, not copied), so the
/// fault lands mid-way.
pub fn json_pieces(answer: Vec<u8>, delay: Duration, fault: Option<Fault>) -> Vec<Piece> {
    let all = Bytes::from(answer);
    if !fault.is_some_and(Fault::strikes_body) {
        return vec![(delay, all)];
    }
    let mid = all.len() / 2;
    vec![(delay, all.slice(..mid)), (Duration::ZERO, all.slice(mid..))]
}

/// Timeline is a stream's pieces, packed for the seconds the stream is held:
/// each piece is stored as what differs from the piece before it (how much of
/// the previous piece's start and end it keeps, and the bytes between), in
/// one buffer. Consecutive events differ only in their text, so a held
/// 400-token stream costs about 2 KB instead of its 12 KB of events, and
/// nothing is allocated per piece until it is sent.
struct Timeline {
    /// Every piece's own bytes, one after another.
    bytes: Box<[u8]>,
    marks: Box<[Mark]>,
    /// The next piece to send, and where its own bytes start.
    next: usize,
    offset: usize,
    /// The piece sent last (shared with the body that sent it, not copied).
    prev: Bytes,
}

/// Mark is one piece: its delay in microseconds, how many bytes of the
/// previous piece's start and end it keeps, and the length of its own bytes.
#[derive(Debug, Clone, Copy)]
struct Mark {
    delay_us: u32,
    keep_start: u16,
    keep_end: u16,
    own: u32,
}

impl Timeline {
    fn pack(pieces: Vec<Piece>) -> Timeline {
        let mut bytes = Vec::new();
        let mut marks = Vec::with_capacity(pieces.len());
        let mut prev: &[u8] = &[];
        for (delay, piece) in &pieces {
            let room = prev.len().min(piece.len());
            let start = prev.iter().zip(piece.iter()).take_while(|(a, b)| a == b).count().min(usize::from(u16::MAX));
            let end = prev
                .iter()
                .rev()
                .zip(piece.iter().rev())
                .take(room - start)
                .take_while(|(a, b)| a == b)
                .count()
                .min(usize::from(u16::MAX));
            let own = &piece[start..piece.len() - end];
            bytes.extend_from_slice(own);
            marks.push(Mark {
                delay_us: u32::try_from(delay.as_micros()).unwrap_or(u32::MAX),
                // Both were capped at u16::MAX above.
                keep_start: u16::try_from(start).unwrap_or(u16::MAX),
                keep_end: u16::try_from(end).unwrap_or(u16::MAX),
                own: u32::try_from(own.len()).unwrap_or(u32::MAX),
            });
            prev = piece;
        }
        Timeline { bytes: bytes.into(), marks: marks.into(), next: 0, offset: 0, prev: Bytes::new() }
    }

    /// Timeline::next_index is the index of the piece `next_piece` gives next.
    fn next_index(&self) -> usize {
        self.next
    }

    /// Timeline::ended is this timeline with nothing left to send.
    fn ended(mut self) -> Timeline {
        self.next = self.marks.len();
        self
    }

    /// Timeline::next_piece rebuilds the next piece from the one before it.
    fn next_piece(&mut self) -> Option<(Duration, Bytes)> {
        let m = *self.marks.get(self.next)?;
        let (keep_start, keep_end, own) = (usize::from(m.keep_start), usize::from(m.keep_end), m.own as usize);
        let own_bytes = self.bytes.get(self.offset..self.offset + own)?;
        let tail = self.prev.get(self.prev.len().checked_sub(keep_end)?..)?;
        let mut piece = Vec::with_capacity(keep_start + own + keep_end);
        piece.extend_from_slice(self.prev.get(..keep_start)?);
        piece.extend_from_slice(own_bytes);
        piece.extend_from_slice(tail);
        self.next += 1;
        self.offset += own;
        self.prev = Bytes::from(piece);
        Some((Duration::from_micros(u64::from(m.delay_us)), self.prev.clone()))
    }
}

/// sse formats one server-sent event with an `event:` line.
pub fn sse_event(event: &str, data: &serde_json::Value) -> Bytes {
    Bytes::from(format!("event: {event}\ndata: {data}\n\n"))
}

/// sse_data formats one server-sent event with only a `data:` line.
pub fn sse_data(data: &str) -> Bytes {
    Bytes::from(format!("data: {data}\n\n"))
}

/// spread turns a plan's first delay and gaps into per-piece delays:
/// `lead` pieces go out at once, then the first content after `ttft`, then
/// each following content piece after its gap.
pub fn content_delays(ttft: Duration, gaps: &[Duration]) -> impl Iterator<Item = Duration> + '_ {
    std::iter::once(ttft).chain(gaps.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(texts: &[&str]) -> Vec<Piece> {
        texts
            .iter()
            .enumerate()
            .map(|(i, t)| (Duration::from_micros(i as u64 * 7), Bytes::copy_from_slice(t.as_bytes())))
            .collect()
    }

    #[test]
    fn a_packed_timeline_gives_back_every_piece_and_delay() {
        let texts = [
            "event: message_start\ndata: {}\n\n",
            "data: {\"text\":\"Hello\"}\n\n",
            "data: {\"text\":\" world\"}\n\n",
            "data: {\"text\":\" world\"}\n\n",
            "",
            "aaa",
            "aa",
            "aaaa",
            "xyz",
            "data: [DONE]\n\n",
        ];
        let mut t = Timeline::pack(pieces(&texts));
        for (i, want) in texts.iter().enumerate() {
            assert_eq!(t.next_index(), i);
            let (delay, got) = t.next_piece().expect("a piece");
            assert_eq!(delay, Duration::from_micros(i as u64 * 7));
            assert_eq!(got, want.as_bytes(), "piece {i}");
        }
        assert!(t.next_piece().is_none());
    }

    #[test]
    fn events_that_differ_in_their_text_cost_little_to_hold() {
        let texts: Vec<String> = (0..100)
            .map(|i| format!("event: content_block_delta\ndata: {{\"delta\":{{\"text\":\"word{i} \",\"type\":\"text_delta\"}},\"index\":0,\"type\":\"content_block_delta\"}}\n\n"))
            .collect();
        let total: usize = texts.iter().map(String::len).sum();
        let t = Timeline::pack(pieces(&texts.iter().map(String::as_str).collect::<Vec<_>>()));
        assert!(t.bytes.len() * 10 < total, "{} of {total} bytes held", t.bytes.len());
    }
}
